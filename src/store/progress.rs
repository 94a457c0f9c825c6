//! Per-clip annotation state for the library's status colours.

use std::collections::HashMap;

use serde::Serialize;

use super::{Project, StoreError};

/// How far the annotation of one clip is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClipProgress {
    /// Live contour annotations on the clip, by anyone.
    pub contours: u32,
    /// Frames marked ED or ES.
    pub key_frames: u32,
    /// Key frames where every structure has a submitted or accepted contour.
    pub complete_key_frames: u32,
}

impl ClipProgress {
    /// Every key frame complete (and at least one marked).
    pub fn is_done(&self) -> bool {
        self.key_frames > 0 && self.complete_key_frames == self.key_frames
    }

    /// Some work exists but the clip is not done.
    pub fn is_started(&self) -> bool {
        self.contours > 0 || self.key_frames > 0
    }
}

impl Project {
    /// The progress of every clip that has any, judged against `structures`
    /// (the template's items): anyone's work, or with `author` only theirs
    /// (their contours on their own key frames). Clips absent from the map
    /// have nothing yet.
    pub fn clip_progress(
        &self,
        structures: &[String],
        author: Option<i64>,
    ) -> Result<HashMap<i64, ClipProgress>, StoreError> {
        let mut progress: HashMap<i64, ClipProgress> = HashMap::new();
        let mut statement = self.conn.prepare(
            "SELECT clip_id, COUNT(*) FROM annotations
             WHERE kind = 'contour' AND removed_at IS NULL AND (?1 IS NULL OR author_id = ?1)
             GROUP BY clip_id",
        )?;
        for row in statement.query_map([author], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))? {
            let (clip, count) = row?;
            progress.entry(clip).or_default().contours = count;
        }
        let structures_json = serde_json::to_string(structures).expect("strings serialise");
        let mut statement = self.conn.prepare(
            "SELECT k.clip_id, COUNT(*), SUM(
                (SELECT COUNT(DISTINCT a.target) FROM annotations a
                 WHERE a.clip_id = k.clip_id AND a.frame = k.frame AND a.kind = 'contour'
                   AND a.removed_at IS NULL AND a.status IN ('submitted', 'accepted')
                   AND (?3 IS NULL OR a.author_id = ?3)
                   AND a.target IN (SELECT value FROM json_each(?1))) = ?2)
             FROM (SELECT DISTINCT clip_id, frame FROM key_frames WHERE ?3 IS NULL OR author_id = ?3) k
             GROUP BY k.clip_id",
        )?;
        let rows = statement.query_map(
            rusqlite::params![structures_json, structures.len() as i64, author],
            |row| Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?)),
        )?;
        for row in rows {
            let (clip, key_frames, complete) = row?;
            let entry = progress.entry(clip).or_default();
            entry.key_frames = key_frames;
            entry.complete_key_frames = complete;
        }
        Ok(progress)
    }
}
