//! The model work the desktop and the CLI start: which model a project uses,
//! contour proposals for a frame, ED/ES proposals for a clip, and training a
//! new model version from a project. Each runs to completion on the calling
//! thread (the app puts it in a background job) and checks for cancellation.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dataset::to_samples;
use super::key_frames::detect_key_frames;
use super::project_data::project_frames;
use super::segmenter::Segmenter;
use super::shipped::{STARTING_MODEL_BYTES, STARTING_MODEL_NAME};
use super::train::{StopReason, TrainEvent, TrainOptions, train};
use super::uncertainty::UncertaintyScores;
use super::{ComputeDevice, ModelConfig, checkpoint};
use crate::dicom::{Clip, PatientSalt};
use crate::geometry::Point;
use crate::store::{KeyFrameKind, Project};

/// A model file in memory with where it came from; cheap to clone, turned
/// into a network on a device by each task that needs one.
#[derive(Clone)]
pub struct ModelChoice {
    pub bytes: Arc<Vec<u8>>,
    /// The project's model version, or `None` for the shipped starting model.
    pub version_id: Option<i64>,
    pub name: String,
}

impl ModelChoice {
    pub fn starting_model() -> ModelChoice {
        ModelChoice {
            bytes: Arc::new(STARTING_MODEL_BYTES.to_vec()),
            version_id: None,
            name: STARTING_MODEL_NAME.to_string(),
        }
    }

    /// The project's newest model version, or the starting model when it has none.
    pub fn for_project(project: &Project) -> Result<ModelChoice, String> {
        let Some(version) = project.model_versions().map_err(|e| e.to_string())?.pop() else {
            return Ok(ModelChoice::starting_model());
        };
        let path = project.root().join(&version.checkpoint_path);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(ModelChoice {
            bytes: Arc::new(bytes),
            version_id: Some(version.id),
            name: format!("model version {} ({})", version.id, version.name),
        })
    }

    pub fn header(&self) -> Result<super::ModelHeader, String> {
        checkpoint::header_of(&self.bytes, &self.name).map_err(|e| e.to_string())
    }

    pub fn load(&self, device: &ComputeDevice) -> Result<Segmenter, String> {
        Segmenter::from_bytes(&self.bytes, &device.device, &self.name).map_err(|e| e.to_string())
    }
}

/// A model's contours for one frame and how unsure it was.
#[derive(Debug, Clone)]
pub struct FrameProposal {
    pub frame: u32,
    pub contours: Vec<(String, Vec<Point>)>,
    pub scores: UncertaintyScores,
}

/// Segments one frame with `samples` MC passes and turns the mask into contours.
pub fn propose_frame(
    model: &Segmenter,
    clip_path: &Path,
    salt: &PatientSalt,
    frame: u32,
    samples: usize,
) -> Result<FrameProposal, String> {
    let clip = Clip::open(clip_path, salt).map_err(|e| e.to_string())?;
    let gray = clip.frame(frame).map_err(|e| e.to_string())?.gray();
    let info = clip.info();
    let segmented = model.segment(&[&gray], info.cols as usize, info.rows as usize, samples, 1);
    let result = segmented
        .into_iter()
        .next()
        .ok_or("the model returned nothing")?;
    Ok(FrameProposal {
        frame,
        contours: model.proposals(&result),
        scores: result.prediction.scores,
    })
}

/// ED and ES frames from the LV area of every frame (one deterministic pass
/// each). `progress(done, total)` returns false to cancel (then `Ok(None)`).
pub fn propose_key_frames(
    model: &Segmenter,
    clip_path: &Path,
    salt: &PatientSalt,
    mut progress: impl FnMut(u32, u32) -> bool,
) -> Result<Option<Vec<(KeyFrameKind, u32)>>, String> {
    const BATCH: u32 = 8;
    let clip = Clip::open(clip_path, salt).map_err(|e| e.to_string())?;
    let info = clip.info().clone();
    let lv = model
        .header
        .config
        .class_of("LV endocardium")
        .ok_or("the model does not segment the LV endocardium, so it cannot find ED/ES")?;
    let mut areas = Vec::with_capacity(info.frames as usize);
    for first in (0..info.frames).step_by(BATCH as usize) {
        if !progress(first, info.frames) {
            return Ok(None);
        }
        let last = (first + BATCH).min(info.frames);
        let grays = (first..last)
            .map(|f| {
                clip.frame(f)
                    .map(|frame| frame.gray())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = grays.iter().map(Vec::as_slice).collect();
        let results = model.segment(&refs, info.cols as usize, info.rows as usize, 0, refs.len());
        areas.extend(results.iter().map(|r| r.area(lv) as f32));
    }
    let period = info.cycle_frames().map(|f| f as f32);
    let found = detect_key_frames(&areas, period);
    let marks = found
        .end_diastole
        .iter()
        .map(|&f| (KeyFrameKind::EndDiastole, f));
    let marks = marks.chain(
        found
            .end_systole
            .iter()
            .map(|&f| (KeyFrameKind::EndSystole, f)),
    );
    Ok(Some(marks.collect()))
}

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
) -> Result<Option<TrainedVersion>, String> {
    let config = &training.config;
    config.validate()?;
    // Accepted pseudo-labels join only when asked for and the project allows it.
    let include_pseudo_labels = training.include_pseudo_labels
        && project.pseudo_label_policy().map_err(|e| e.to_string())?
            == crate::store::PseudoLabelPolicy::WhenAccepted;
    let found =
        project_frames(project, config, include_pseudo_labels).map_err(|e| e.to_string())?;
    let (samples, groups) = to_samples(&found.frames, config.input_size);
    let parent = if training.warm_start {
        project.model_versions().map_err(|e| e.to_string())?.pop()
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
    let skipped_note = if found.skipped.is_empty() {
        String::new()
    } else {
        format!(" ({})", found.skipped.join("; "))
    };
    let outcome = train(
        config,
        &training.options,
        &samples,
        &groups,
        warm.as_ref().map(Segmenter::model),
        &device.device,
        on_event,
    )
    .map_err(|e| format!("{e}{skipped_note}"))?;
    if outcome.stopped == StopReason::Cancelled {
        return Ok(None);
    }
    let path = match &training.out {
        Some(out) => out.clone(),
        None => next_checkpoint(project.root())?,
    };
    checkpoint::save(&path, &outcome.header, &outcome.model).map_err(|e| e.to_string())?;
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
    let version_id = project
        .add_model_version(
            &name,
            config.architecture.name(),
            &relative,
            warm_started_from,
            &found.annotation_ids,
            &metrics,
        )
        .map_err(|e| e.to_string())?;
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
fn next_checkpoint(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("checkpoints");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    (1..)
        .map(|n| dir.join(format!("model-{n:03}.elm")))
        .find(|path| !path.exists())
        .ok_or_else(|| "no free checkpoint name".to_string())
}
