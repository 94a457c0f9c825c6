//! What the desktop shows of active learning, read from the project: the
//! annotation queue of the latest round, and the learning curve of the
//! project's model versions (validation Dice against labelled frames).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::modelling::counts_for_training;
use crate::store::{Project, StoreError};

/// A frame the latest round asked people to label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEntry {
    pub round_id: i64,
    pub clip_id: i64,
    pub clip_name: String,
    pub frame: u32,
    pub score: f64,
    /// 1 = asked first.
    pub rank: u32,
    /// The viewer (or, for the whole project's queue, anyone) finished
    /// (submitted or accepted) an annotation of the frame.
    pub done: bool,
}

/// The latest round's queried frames, best score first: every one with
/// `viewer` `None`, else those on clips the viewer may work on, done when
/// the viewer has finished them (each annotator has their own queue).
pub fn annotation_queue(
    project: &Project,
    viewer: Option<i64>,
) -> Result<Vec<QueueEntry>, StoreError> {
    let Some(round) = project.rounds()?.pop() else {
        return Ok(Vec::new());
    };
    let names: HashMap<i64, String> = project
        .clips(None)?
        .into_iter()
        .map(|c| (c.id, clip_name(&c.path)))
        .collect();
    let queried: Vec<_> = project
        .round_scores(round.id)?
        .into_iter()
        .filter(|s| s.queried)
        .collect();
    let mut may_work: HashMap<i64, bool> = HashMap::new();
    let mut queried_for_viewer = Vec::new();
    for score in queried {
        let allowed = match viewer {
            None => true,
            Some(viewer) => match may_work.get(&score.clip_id) {
                Some(&allowed) => allowed,
                None => {
                    let allowed = project.require_clip_work(viewer, score.clip_id).is_ok();
                    may_work.insert(score.clip_id, allowed);
                    allowed
                }
            },
        };
        if allowed {
            queried_for_viewer.push(score);
        }
    }
    let queried = queried_for_viewer;
    let clips: BTreeSet<i64> = queried.iter().map(|s| s.clip_id).collect();
    let mut finished: HashMap<i64, BTreeSet<u32>> = HashMap::new();
    for clip_id in clips {
        let frames = project
            .annotations(clip_id, None)?
            .iter()
            .filter(|a| counts_for_training(a, false))
            .filter(|a| viewer.is_none_or(|viewer| a.author_id == viewer))
            .map(|a| a.frame)
            .collect();
        finished.insert(clip_id, frames);
    }
    let mut entries = Vec::new();
    for score in queried {
        entries.push(QueueEntry {
            round_id: round.id,
            clip_id: score.clip_id,
            clip_name: names.get(&score.clip_id).cloned().unwrap_or_default(),
            frame: score.frame,
            score: score.score,
            rank: score.rank,
            done: finished[&score.clip_id].contains(&score.frame),
        });
    }
    entries.sort_by_key(|e| e.rank);
    Ok(entries)
}

/// The next frame of `queue` nobody has labelled after `current` (clip id,
/// frame), wrapping round to the first open one; from the top when `current`
/// is not queued. `None` once every queued frame is labelled.
pub fn next_open(queue: &[QueueEntry], current: Option<(i64, u32)>) -> Option<(i64, u32)> {
    let position = current.and_then(|(clip, frame)| {
        queue
            .iter()
            .position(|e| e.clip_id == clip && e.frame == frame)
    });
    let after = position.map_or(0, |p| p + 1);
    queue[after.min(queue.len())..]
        .iter()
        .find(|e| !e.done)
        .or_else(|| queue.iter().find(|e| !e.done))
        .map(|e| (e.clip_id, e.frame))
}

fn clip_name(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A model version as a point of the learning curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub version_id: i64,
    /// Frames it was trained on.
    pub frames: usize,
    /// Mean validation Dice over the structures.
    pub dice: f32,
}

/// Every model version that recorded its training frames and validation
/// Dice, oldest first.
pub fn learning_curve(project: &Project) -> Result<Vec<CurvePoint>, StoreError> {
    Ok(project
        .model_versions()?
        .into_iter()
        .filter_map(|version| {
            let metrics = version.metrics.as_object()?;
            let frames = metrics.get("frames")?.as_u64()? as usize;
            let dice: Vec<f64> = metrics
                .iter()
                .filter(|(key, _)| key.starts_with("dice_"))
                .filter_map(|(_, value)| value.as_f64())
                .collect();
            (!dice.is_empty()).then(|| CurvePoint {
                version_id: version.id,
                frames,
                dice: (dice.iter().sum::<f64>() / dice.len() as f64) as f32,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rank: u32, clip_id: i64, frame: u32, done: bool) -> QueueEntry {
        QueueEntry {
            round_id: 1,
            clip_id,
            clip_name: format!("clip {clip_id}"),
            frame,
            score: 1.0 / f64::from(rank),
            rank,
            done,
        }
    }

    #[test]
    fn the_next_open_frame_follows_the_current_one_and_wraps_round() {
        let queue = [
            entry(1, 7, 10, false),
            entry(2, 7, 20, true),
            entry(3, 8, 0, false),
            entry(4, 9, 5, true),
        ];
        assert_eq!(next_open(&queue, None), Some((7, 10)));
        assert_eq!(next_open(&queue, Some((7, 10))), Some((8, 0)));
        // Labelled frames are skipped, and past the end it starts again.
        assert_eq!(next_open(&queue, Some((7, 20))), Some((8, 0)));
        assert_eq!(next_open(&queue, Some((8, 0))), Some((7, 10)));
        assert_eq!(next_open(&queue, Some((9, 5))), Some((7, 10)));
        // A frame that is not queued starts from the top.
        assert_eq!(next_open(&queue, Some((3, 3))), Some((7, 10)));
    }

    #[test]
    fn nothing_is_next_once_every_frame_is_labelled() {
        assert_eq!(next_open(&[], None), None);
        let queue = [entry(1, 7, 10, true), entry(2, 8, 0, true)];
        assert_eq!(next_open(&queue, None), None);
        assert_eq!(next_open(&queue, Some((7, 10))), None);
    }
}
