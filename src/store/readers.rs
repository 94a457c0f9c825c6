//! What one person may see of the other readers' work on a clip. Blind mode
//! is decided here, so no front-end can show an annotator of a blind
//! collection anyone else's contours or key frames.

use serde::Serialize;

use super::{Annotation, ConsensusRecord, KeyFrame, Project, Source, StoreError};

/// The other people's live contours and key frames of a clip, and its
/// consensus annotations, as far as the viewer may see them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OthersWork {
    /// Whether the viewer may see others' work at all (not blind).
    pub visible: bool,
    /// Other people's contours (any status), by frame.
    pub contours: Vec<Annotation>,
    pub key_frames: Vec<KeyFrame>,
    pub consensus: Vec<ConsensusRecord>,
}

impl Project {
    /// What `viewer_id` may see of others' work on `clip_id`: nothing (and
    /// `visible` false) for an annotator in a blind collection.
    pub fn others_work(&self, viewer_id: i64, clip_id: i64) -> Result<OthersWork, StoreError> {
        if !self.may_see_others(viewer_id, clip_id)? {
            return Ok(OthersWork::default());
        }
        let people: Vec<i64> = self.annotators()?.iter().map(|a| a.id).collect();
        let contours = self
            .annotations(clip_id, None)?
            .into_iter()
            .filter(|a| {
                a.author_id != viewer_id
                    && people.contains(&a.author_id)
                    && matches!(a.source, Source::Human | Source::Model)
                    && a.geometry.contour.len() >= 3
            })
            .collect();
        let key_frames = self
            .key_frames(clip_id)?
            .into_iter()
            .filter(|k| k.author_id != viewer_id && people.contains(&k.author_id))
            .collect();
        Ok(OthersWork {
            visible: true,
            contours,
            key_frames,
            consensus: self.consensus_records(Some(clip_id))?,
        })
    }
}
