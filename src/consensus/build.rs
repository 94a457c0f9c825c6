//! Building consensus annotations: the people's finished contours of a frame
//! and structure become masks, STAPLE or majority vote combines them, and the
//! result is traced back to an editable contour and stored with its inputs
//! (see `store::consensus`).

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::staple::{majority_vote, staple};
use crate::geometry::{Mask, fill, mask_to_contour};
use crate::store::{
    ConsensusInput, ConsensusMethod, Geometry, NewConsensus, Permission, Project, StoreError,
};

/// Outline tolerance of a traced consensus, in pixels: few enough vertices to
/// edit by hand, within a pixel of the mask (the label import's default).
pub const CONSENSUS_TOLERANCE: f32 = 0.8;

/// What building consensus over a project did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildSummary {
    /// Consensus annotations stored for the first time.
    pub built: usize,
    /// Stale ones computed again.
    pub rebuilt: usize,
    /// Up to date already.
    pub current: usize,
    /// Stale but corrected by a reviewer: left for a person to decide.
    pub corrected_left: usize,
    /// Frames and structures whose consensus could not be made, with why.
    pub failed: Vec<String>,
    /// Stopped before the end (what was built is kept).
    pub cancelled: bool,
}

/// Computes and stores the consensus of one frame and structure from every
/// person's finished contour; returns the consensus annotation's id.
pub fn build_consensus(
    project: &mut Project,
    by: i64,
    clip_id: i64,
    frame: u32,
    target: &str,
    method: ConsensusMethod,
    replace_correction: bool,
) -> Result<i64, StoreError> {
    project.require(by, Permission::Review, "build a consensus")?;
    let clip = project.clip(clip_id)?;
    let candidates = project.consensus_candidates(clip_id, frame, target)?;
    if candidates.len() < 2 {
        return Err(StoreError::Invalid(format!(
            "{target} on frame {} of clip{clip_id:04} has {} finished annotation(s); a consensus needs two or more",
            frame + 1,
            candidates.len()
        )));
    }
    let (width, height) = (clip.cols as usize, clip.rows as usize);
    let masks: Vec<Mask> = candidates
        .iter()
        .map(|a| fill(&a.geometry.contour, width, height))
        .collect();
    let refs: Vec<&Mask> = masks.iter().collect();
    let combined = match method {
        ConsensusMethod::Staple => staple(&refs).map(|s| s.consensus),
        ConsensusMethod::Majority => majority_vote(&refs),
    };
    let contour = combined
        .map(|mask| mask.largest_component().fill_holes())
        .and_then(|mask| mask_to_contour(&mask, CONSENSUS_TOLERANCE))
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "the annotators' {target} outlines on frame {} of clip{clip_id:04} share no pixels to build a consensus from",
                frame + 1
            ))
        })?;
    let new = NewConsensus {
        clip_id,
        frame,
        target,
        geometry: Geometry {
            contour,
            ..Geometry::default()
        },
        method,
        inputs: candidates
            .iter()
            .map(|a| ConsensusInput {
                annotation_id: a.id,
                revision: a.revision,
            })
            .collect(),
    };
    project.save_consensus(by, &new, replace_correction)
}

/// Builds every missing or stale consensus of a clip (all clips with
/// `None`); corrected ones are left as they are. `progress(done, total)`;
/// setting `cancel` stops after the frame in hand (what is built stays).
pub fn build_all(
    project: &mut Project,
    by: i64,
    clip_id: Option<i64>,
    method: ConsensusMethod,
    mut progress: impl FnMut(usize, usize),
    cancel: &AtomicBool,
) -> Result<BuildSummary, StoreError> {
    let mut summary = BuildSummary::default();
    let mut groups = Vec::new();
    for clip in project.clips(None)? {
        if clip_id.is_some_and(|id| id != clip.id) {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in project.annotations(clip.id, None)? {
            if seen.insert((a.frame, a.target.clone())) {
                groups.push((clip.id, a.frame, a.target));
            }
        }
    }
    let total = groups.len();
    for (done, (clip, frame, target)) in groups.into_iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        progress(done, total);
        if project.consensus_candidates(clip, frame, &target)?.len() < 2 {
            continue;
        }
        let existing = project.consensus_of(clip, frame, &target)?;
        match &existing {
            Some(record) if !record.stale => {
                summary.current += 1;
                continue;
            }
            Some(record) if record.corrected => {
                summary.corrected_left += 1;
                continue;
            }
            _ => {}
        }
        match build_consensus(project, by, clip, frame, &target, method, false) {
            Ok(_) if existing.is_some() => summary.rebuilt += 1,
            Ok(_) => summary.built += 1,
            Err(error @ StoreError::Refused { .. }) => return Err(error),
            Err(error) => summary.failed.push(error.to_string()),
        }
    }
    progress(total, total);
    Ok(summary)
}
