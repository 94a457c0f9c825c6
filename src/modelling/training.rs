//! Training a new model version from a project's finished annotations.

use std::path::{Path, PathBuf};

use super::{ModelChoice, TaskError, project_frames};
use crate::model::dataset::to_samples;
use crate::model::train::{StopReason, TrainEvent, TrainOptions, train};
use crate::model::{ComputeDevice, ModelConfig, Segmenter, checkpoint};
use crate::store::{Project, PseudoLabelPolicy};

/// How a project model is trained.
#[derive(Debug, Clone)]
pub struct ProjectTraining {
    pub config: ModelConfig,
    pub options: TrainOptions,
    /// Let accepted pseudo-labels join, if the project's policy allows it.
    pub include_pseudo_labels: bool,
    /// Start from the newest compatible model version (or, for a project's
    /// first model, from the shipped starting model when it has the same shape).
    pub warm_start: bool,
    /// Where to write the model (default: `checkpoints/model-NNN.elm` in the project).
    pub out: Option<PathBuf>,
}

/// What a project training produced.
#[derive(Debug, Clone)]
pub struct TrainedVersion {
    pub version_id: i64,
    pub path: PathBuf,
    pub metrics: serde_json::Value,
    pub stopped: StopReason,
    pub frames: usize,
    pub skipped: Vec<String>,
    pub warm_started_from: Option<i64>,
}

/// Trains on the project's finished annotations and stores the result as a
/// new model version. A cancelled training stores nothing.
pub fn train_project(
    project: &mut Project,
    training: &ProjectTraining,
    device: &ComputeDevice,
    on_event: impl FnMut(TrainEvent) -> bool,
) -> Result<Option<TrainedVersion>, TaskError> {
    let config = &training.config;
    config.validate().map_err(TaskError::Config)?;
    // Accepted pseudo-labels join only when asked for and the project allows it.
    let include_pseudo_labels = training.include_pseudo_labels
        && project.pseudo_label_policy()? == PseudoLabelPolicy::WhenAccepted;
    let found = project_frames(project, config, include_pseudo_labels)?;
    let (samples, groups) = to_samples(&found.frames, config.input_size);
    let parent = if training.warm_start {
        project.model_versions()?.pop()
    } else {
        None
    };
    let warm = match &parent {
        Some(version) => {
            let path = project.root().join(&version.checkpoint_path);
            Segmenter::load(&path, &device.device).ok()
        }
        // A project's first model starts from the shipped one it replaces.
        None if training.warm_start => ModelChoice::starting_model().load(device).ok(),
        None => None,
    }
    .filter(|previous| previous.header.config == *config);
    let outcome = train(
        config,
        &training.options,
        &samples,
        &groups,
        warm.as_ref().map(Segmenter::model),
        &device.device,
        on_event,
    )
    .map_err(|source| TaskError::Train {
        source,
        skipped: found.skipped.clone(),
    })?;
    if outcome.stopped == StopReason::Cancelled {
        return Ok(None);
    }
    let path = match &training.out {
        Some(out) => out.clone(),
        None => next_checkpoint(project.root())?,
    };
    checkpoint::save(&path, &outcome.header, &outcome.model)?;
    let relative = path
        .strip_prefix(project.root())
        .unwrap_or(&path)
        .to_string_lossy()
        .into_owned();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let warm_started_from = warm.as_ref().and(parent.as_ref().map(|p| p.id));
    // The frame count places the version on the project's learning curve.
    let mut metrics = outcome.header.metrics.clone();
    if let Some(map) = metrics.as_object_mut() {
        map.insert("frames".into(), serde_json::json!(found.frames.len()));
    }
    let version_id = project.add_model_version(
        &name,
        config.architecture.name(),
        &relative,
        warm_started_from,
        &found.annotation_ids,
        &metrics,
    )?;
    Ok(Some(TrainedVersion {
        version_id,
        path,
        metrics,
        stopped: outcome.stopped,
        frames: found.frames.len(),
        skipped: found.skipped,
        warm_started_from,
    }))
}

/// `checkpoints/model-NNN.elm`, the first number not taken.
fn next_checkpoint(root: &Path) -> Result<PathBuf, TaskError> {
    let dir = root.join("checkpoints");
    if let Err(source) = std::fs::create_dir_all(&dir) {
        return Err(TaskError::Io { path: dir, source });
    }
    (1..)
        .map(|n| dir.join(format!("model-{n:03}.elm")))
        .find(|path| !path.exists())
        .ok_or(TaskError::NoFreeCheckpointName)
}
