//! Active editing time per annotator and frame (see `editor::timing`), and
//! the report a study reads it through: the median time per frame of each
//! annotator, with and without a model proposal to start from.

use rusqlite::params;
use serde::Serialize;

use super::{Project, StoreError};

/// One annotator's frames of one kind (with or without a proposal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameTimeRow {
    pub annotator: String,
    /// Whether the frames started from a model proposal.
    pub with_proposal: bool,
    pub frames: usize,
    pub median_seconds: f64,
}

impl Project {
    /// Adds `active_ms` to the annotator's time on a frame, on submit. A
    /// frame that ever started from a proposal stays counted as one.
    pub fn record_frame_time(
        &mut self,
        annotator_id: i64,
        clip_id: i64,
        frame: u32,
        active_ms: u64,
        with_proposal: bool,
    ) -> Result<(), StoreError> {
        self.check_frame(clip_id, frame)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO frame_times (clip_id, frame, annotator_id, active_ms, with_proposal, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                 ON CONFLICT(clip_id, frame, annotator_id) DO UPDATE SET
                    active_ms = active_ms + excluded.active_ms,
                    with_proposal = with_proposal OR excluded.with_proposal,
                    submitted_at = excluded.submitted_at,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                params![clip_id, frame, annotator_id, active_ms as i64, with_proposal],
            )?;
            Ok(())
        })
    }

    /// The median active time per frame, per annotator and with/without a
    /// proposal, by annotator.
    pub fn frame_time_report(&self) -> Result<Vec<FrameTimeRow>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT p.name, t.with_proposal, t.active_ms FROM frame_times t
             JOIN annotators p ON p.id = t.annotator_id ORDER BY p.name, t.with_proposal, t.active_ms",
        )?;
        let samples: Vec<(String, bool, i64)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for group in samples.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            let ms: Vec<f64> = group.iter().map(|s| s.2 as f64).collect();
            rows.push(FrameTimeRow {
                annotator: group[0].0.clone(),
                with_proposal: group[0].1,
                frames: ms.len(),
                median_seconds: median(&ms) / 1000.0,
            });
        }
        Ok(rows)
    }
}

/// The median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}
