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
    /// Someone finished (submitted or accepted) an annotation of the frame.
    pub done: bool,
}

/// The latest round's queried frames, best score first.
pub fn annotation_queue(project: &Project) -> Result<Vec<QueueEntry>, StoreError> {
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
    let clips: BTreeSet<i64> = queried.iter().map(|s| s.clip_id).collect();
    let mut finished: HashMap<i64, BTreeSet<u32>> = HashMap::new();
    for clip_id in clips {
        let frames = project
            .annotations(clip_id, None)?
            .iter()
            .filter(|a| counts_for_training(a, false))
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
