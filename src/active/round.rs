//! An active-learning round on a project, as the desktop starts it:
//! retrain from the labelled frames, score the pool of unlabelled frames
//! with MC inference, send the strategy's picks to the annotation queue,
//! store CEAL/SSAL pseudo-labels for review, and record the round (strategy,
//! seed, every score, the queried frames) so it can be reproduced.
//!
//! Runs to completion on the calling thread (the app puts it in a
//! background job) and checks for cancellation between steps.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::batch::{BatchRule, Place};
use super::semi::{STABILITY_THRESHOLDS, SemiSupervised, threshold_variance};
use super::strategies::{Candidate, FrameSummary, Labelled, Strategy, select};
use crate::dicom::{Clip, ClipError};
use crate::model::{
    CheckpointError, ComputeDevice, ModelConfig, SegmentedFrame, Segmenter, TrainEvent,
};
use crate::modelling::{
    ModelChoice, ProjectTraining, TaskError, TrainedVersion, project_frames, train_project,
    training_sets,
};
use crate::store::{
    AnnotationKind, AnnotationStatus, Geometry, NewAnnotation, NewRound, Project,
    PseudoLabelPolicy, Source, StoreError,
};

/// The annotator pseudo-labels are recorded under (a reviewer's decision is
/// a revision by the reviewer): the store's system row, never a person.
pub use crate::store::MODEL_ANNOTATOR;

/// Folder of the project where each round keeps its uncertainty maps.
pub const ROUNDS_DIR: &str = "rounds";

/// How many frames a round sends to people.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoundBudget {
    Frames(usize),
    /// A share of the pool, in percent.
    Percent(f32),
}

impl RoundBudget {
    pub fn frames(self, pool: usize) -> usize {
        match self {
            RoundBudget::Frames(n) => n.min(pool),
            RoundBudget::Percent(p) => {
                ((pool as f32 * p / 100.0).round() as usize).clamp(usize::from(pool > 0), pool)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct RoundSettings {
    pub strategy: Strategy,
    /// How the strategy's scores become a batch (top-k, power sampling,
    /// frames per clip).
    pub batch: BatchRule,
    pub budget: RoundBudget,
    /// MC passes per frame.
    pub samples: usize,
    pub semi: SemiSupervised,
    /// Every `stride`-th frame of each clip joins the pool (key frames always do).
    pub stride: u32,
    pub seed: u64,
    /// Train a new model version first (when there is something to learn from).
    pub retrain: Option<ProjectTraining>,
}

/// Where a round is.
#[derive(Debug)]
pub enum RoundProgress<'a> {
    Training(TrainEvent<'a>),
    Scoring { done: usize, total: usize },
}

/// Why a round stopped before it was recorded. Each variant keeps the error
/// it comes from; what a round only leaves out (a clip that cannot be read,
/// a map that cannot be saved) is listed in [`RoundOutcome::skipped`] instead.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(
        "{} needs an ensemble of models trained each round; the desktop runs single-model strategies (use echolabel simulate for ensembles)",
        strategy.name()
    )]
    NeedsEnsemble { strategy: Strategy },
    #[error("no unlabelled frames to score: every pool frame is labelled or unreadable")]
    NothingToScore,
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Clip(#[from] ClipError),
}

/// Why a frame's uncertainty map was not saved (the round goes on without it).
#[derive(Debug, thiserror::Error)]
enum MapError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: map of the wrong size", path.display())]
    WrongSize { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Image {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}

/// A frame sent to people, with its score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuedFrame {
    pub clip_id: i64,
    pub frame: u32,
    pub score: f64,
}

#[derive(Debug, Clone)]
pub struct RoundOutcome {
    pub round_id: i64,
    pub trained: Option<TrainedVersion>,
    /// Why no new model was trained, when retraining was asked for.
    pub training_note: Option<String>,
    pub model_name: String,
    pub pool: usize,
    pub queued: Vec<QueuedFrame>,
    pub pseudo_labels: usize,
    pub skipped: Vec<String>,
}

/// The uncertainty (entropy) map a round saved for a frame, if any.
pub fn uncertainty_map_path(root: &Path, round_id: i64, clip_id: i64, frame: u32) -> PathBuf {
    root.join(ROUNDS_DIR)
        .join(format!("round-{round_id:04}"))
        .join(format!("clip{clip_id}-frame{frame}.png"))
}

/// Every saved uncertainty map of a project: for each (clip, frame) the
/// newest round's file. Read once per change of the rounds, so the viewer
/// never probes the disk frame by frame.
pub fn saved_maps(root: &Path) -> HashMap<(i64, u32), PathBuf> {
    let mut maps = HashMap::new();
    let Ok(rounds) = std::fs::read_dir(root.join(ROUNDS_DIR)) else {
        return maps;
    };
    let mut rounds: Vec<(i64, PathBuf)> = rounds
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let id = path
                .file_name()?
                .to_str()?
                .strip_prefix("round-")?
                .parse()
                .ok()?;
            Some((id, path))
        })
        .collect();
    // Oldest first: newer rounds overwrite.
    rounds.sort();
    for (_, dir) in rounds {
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in files.filter_map(|entry| entry.ok().map(|e| e.path())) {
            let key = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .and_then(|stem| stem.strip_prefix("clip"))
                .and_then(|rest| rest.split_once("-frame"))
                .and_then(|(clip, frame)| Some((clip.parse().ok()?, frame.parse().ok()?)));
            if let Some(key) = key {
                maps.insert(key, path);
            }
        }
    }
    maps
}

/// Runs one round. `Ok(None)` when cancelled (a cancelled training stores
/// no model; a round cancelled while scoring stores nothing).
pub fn run_round(
    project: &mut Project,
    settings: &RoundSettings,
    device: &ComputeDevice,
    mut progress: impl FnMut(RoundProgress) -> bool,
) -> Result<Option<RoundOutcome>, RoundError> {
    if settings.strategy.ensemble().is_some() {
        return Err(RoundError::NeedsEnsemble {
            strategy: settings.strategy,
        });
    }
    let (trained, training_note) = match &settings.retrain {
        Some(training) => retrain(project, training, device, &mut progress)?,
        None => (None, None),
    };
    if settings.retrain.is_some() && trained.is_none() && training_note.is_none() {
        return Ok(None);
    }
    let choice = ModelChoice::for_project(project)?;
    let segmenter = choice.load(device)?;
    let mut skipped = Vec::new();
    let config = &segmenter.header.config;
    let pool = pool_frames(project, config, settings.stride, &mut skipped)?;
    let total: usize = pool.iter().map(|(_, frames)| frames.len()).sum();
    let mut scored: Vec<ScoredFrame> = Vec::with_capacity(total);
    for (clip_id, frames) in &pool {
        if !progress(RoundProgress::Scoring {
            done: scored.len(),
            total,
        }) {
            return Ok(None);
        }
        match score_clip(
            project,
            &segmenter,
            *clip_id,
            frames,
            settings.samples,
            &mut skipped,
        ) {
            Ok(mut clip_scores) => scored.append(&mut clip_scores),
            Err(error) => skipped.push(error.to_string()),
        }
    }
    if scored.is_empty() {
        return Err(RoundError::NothingToScore);
    }
    let candidates: Vec<Candidate> = scored.iter().map(|s| s.candidate.clone()).collect();
    let labelled = labelled_embeddings(project, &segmenter, settings.strategy)?;
    let labelled_places = labelled_places(project, config, settings.strategy)?;
    let budget = settings.budget.frames(scored.len());
    let picked = select(
        settings.strategy,
        &candidates,
        Labelled {
            embeddings: &labelled,
            places: &labelled_places,
        },
        budget,
        settings.seed,
        &settings.batch,
    );

    let rounds_before = project.rounds()?.len() as u32;
    let entropies: Vec<f32> = candidates.iter().map(|c| c.scores.entropy.mean).collect();
    let instability: Vec<f32> = scored.iter().map(|s| s.instability).collect();
    let pseudo = settings
        .semi
        .choose(rounds_before, &entropies, &instability, &picked);

    let score_of = |s: &ScoredFrame| {
        f64::from(
            settings
                .strategy
                .score(&s.candidate)
                .unwrap_or(s.candidate.scores.entropy.mean),
        )
    };
    let queued: Vec<QueuedFrame> = picked
        .iter()
        .map(|&i| QueuedFrame {
            clip_id: scored[i].clip_id,
            frame: scored[i].frame,
            score: score_of(&scored[i]),
        })
        .collect();
    let author_id = project.model_annotator_id()?;
    let new_pseudo_labels: Vec<NewAnnotation> = pseudo
        .iter()
        .flat_map(|&i| pseudo_labels_of(&segmenter, &scored[i], author_id, choice.version_id))
        .collect();
    let (round_id, pseudo_labels) = project.record_round_with(
        &NewRound {
            strategy: settings.strategy.name(),
            seed: Some(settings.seed),
            budget: budget as u32,
            model_version_id: choice.version_id,
            parameters: serde_json::json!({
                "budget": settings.budget,
                "batch": settings.batch.name(),
                "samples": settings.samples,
                "semi": settings.semi,
                "stride": settings.stride,
                "pool": scored.len(),
                "model": choice.name,
            }),
            scores: scored
                .iter()
                .map(|s| (s.clip_id, s.frame, score_of(s)))
                .collect(),
            queried: queued.iter().map(|q| (q.clip_id, q.frame)).collect(),
        },
        &new_pseudo_labels,
    )?;
    // The maps are files beside the database, named after the committed round.
    for &i in picked.iter().chain(&pseudo) {
        let frame = &scored[i];
        let path = uncertainty_map_path(project.root(), round_id, frame.clip_id, frame.frame);
        if let Err(error) = save_entropy_map(&path, &frame.entropy_map, frame.map_size) {
            skipped.push(error.to_string());
        }
    }
    Ok(Some(RoundOutcome {
        round_id,
        trained,
        training_note,
        model_name: choice.name,
        pool: scored.len(),
        queued,
        pseudo_labels,
        skipped,
    }))
}

/// Trains a new version; `(None, Some(why))` when there is nothing to train on.
fn retrain(
    project: &mut Project,
    training: &ProjectTraining,
    device: &ComputeDevice,
    progress: &mut impl FnMut(RoundProgress) -> bool,
) -> Result<(Option<TrainedVersion>, Option<String>), RoundError> {
    let include = training.include_pseudo_labels
        && project.pseudo_label_policy()? == PseudoLabelPolicy::WhenAccepted;
    let found = project_frames(project, &training.config, include)?;
    let clips: BTreeSet<u32> = found.frames.iter().map(|f| f.clip).collect();
    if clips.len() < 2 {
        return Ok((
            None,
            Some(format!(
                "no new model: training needs labelled frames from two clips or more ({} so far); the current model scores the pool",
                clips.len()
            )),
        ));
    }
    let trained = train_project(project, training, device, |event| {
        progress(RoundProgress::Training(event))
    })?;
    Ok((trained, None))
}

/// For each clip, the frames to score: key frames and every `stride`-th
/// frame, less those a person labelled or a pseudo-label already covers.
fn pool_frames(
    project: &Project,
    config: &ModelConfig,
    stride: u32,
    skipped: &mut Vec<String>,
) -> Result<Vec<(i64, Vec<u32>)>, StoreError> {
    let policy = project.training_labels()?;
    let mut pool = Vec::new();
    for clip in project.clips(None)? {
        let annotations = project.annotations(clip.id, None)?;
        let mut covered: BTreeSet<u32> = training_sets(&annotations, config, &policy, false)
            .into_keys()
            .collect();
        // Pseudo-labels waiting for a decision are not asked for again.
        covered.extend(
            annotations
                .iter()
                .filter(|a| {
                    a.source == Source::PseudoLabel && a.status != AnnotationStatus::Rejected
                })
                .map(|a| a.frame),
        );
        let key_frames = match project.key_frames(clip.id) {
            Ok(marks) => marks.into_iter().map(|k| k.frame).collect(),
            Err(error) => {
                skipped.push(error.to_string());
                Vec::new()
            }
        };
        let frames: BTreeSet<u32> = (0..clip.frames)
            .step_by(stride.max(1) as usize)
            .chain(key_frames)
            .filter(|f| *f < clip.frames && !covered.contains(f))
            .collect();
        if !frames.is_empty() {
            pool.push((clip.id, frames.into_iter().collect()));
        }
    }
    Ok(pool)
}

/// What scoring found for one pool frame.
struct ScoredFrame {
    clip_id: i64,
    frame: u32,
    candidate: Candidate,
    instability: f32,
    /// Per-pixel MC entropy at the network's size.
    entropy_map: Vec<f32>,
    map_size: usize,
    segmented: SegmentedFrame,
}

fn score_clip(
    project: &Project,
    segmenter: &Segmenter,
    clip_id: i64,
    frames: &[u32],
    samples: usize,
    skipped: &mut Vec<String>,
) -> Result<Vec<ScoredFrame>, RoundError> {
    const BATCH: usize = 8;
    let record = project.clip(clip_id)?;
    let path = project.clip_file(&record);
    let clip = Clip::open(&path, project.salt())?;
    let (width, height) = (record.cols as usize, record.rows as usize);
    // A frame that cannot be decoded is left out; the clip's others are scored.
    let mut decoded = Vec::with_capacity(frames.len());
    for &f in frames {
        match clip.frame(f) {
            Ok(frame) => decoded.push((f, frame.gray())),
            Err(error) => skipped.push(format!("{}: frame {}: {error}", path.display(), f + 1)),
        }
    }
    let mut out = Vec::with_capacity(decoded.len());
    for chunk in decoded.chunks(BATCH) {
        let refs: Vec<&[u8]> = chunk.iter().map(|(_, gray)| gray.as_slice()).collect();
        let embeddings = segmenter.embeddings(&refs, width, height);
        let results = segmenter.segment(&refs, width, height, samples.max(1), BATCH);
        for ((&(frame, _), segmented), embedding) in chunk.iter().zip(results).zip(embeddings) {
            let maps = &segmented.prediction.maps;
            let pixels = maps.width * maps.height;
            let foreground: Vec<f32> = maps.mean[..pixels].iter().map(|p| 1.0 - p).collect();
            let summary = FrameSummary::of(maps);
            out.push(ScoredFrame {
                clip_id,
                frame,
                candidate: Candidate {
                    place: place(clip_id, frame),
                    foreground: summary.foreground,
                    lv_fraction: summary.lv_fraction,
                    scores: segmented.prediction.scores,
                    embedding,
                    ensemble: None,
                },
                instability: threshold_variance(&foreground, &STABILITY_THRESHOLDS),
                entropy_map: maps.entropy.clone(),
                map_size: maps.width,
                segmented,
            });
        }
    }
    Ok(out)
}

/// Where the frames that train lie (under the project's training-label
/// setting), for the key-frames baseline (it goes to the clips with the
/// fewest first); empty for the others.
fn labelled_places(
    project: &Project,
    config: &ModelConfig,
    strategy: Strategy,
) -> Result<Vec<Place>, StoreError> {
    let mut places = Vec::new();
    if strategy != Strategy::KeyFramesFirst {
        return Ok(places);
    }
    let policy = project.training_labels()?;
    for clip in project.clips(None)? {
        let annotations = project.annotations(clip.id, None)?;
        let frames = training_sets(&annotations, config, &policy, false).into_keys();
        places.extend(frames.map(|frame| place(clip.id, frame)));
    }
    Ok(places)
}

/// A project frame as a batch place (clip ids fit u32 in any real project;
/// a larger one only loses its keep-apart grouping).
fn place(clip_id: i64, frame: u32) -> Place {
    Place {
        clip: u32::try_from(clip_id).unwrap_or(u32::MAX),
        frame,
    }
}

/// Embeddings of the frames people labelled, for the strategies that keep
/// new picks away from them; empty for the others (no decoding needed).
fn labelled_embeddings(
    project: &Project,
    segmenter: &Segmenter,
    strategy: Strategy,
) -> Result<Vec<Vec<f32>>, StoreError> {
    let uses_labelled = matches!(
        strategy,
        Strategy::KCenter | Strategy::UncertaintyThenDiversity | Strategy::DiversityThenUncertainty
    );
    if !uses_labelled {
        return Ok(Vec::new());
    }
    let found = project_frames(project, &segmenter.header.config, false)?;
    Ok(found
        .frames
        .iter()
        .flat_map(|f| segmenter.embeddings(&[&f.gray], f.width, f.height))
        .collect())
}

/// The entropy map as an 8-bit PNG scaled by its own peak: the overlay
/// shows where the model is unsure (the frame's score says how much), and a
/// faint map stays visible.
fn save_entropy_map(path: &Path, map: &[f32], size: usize) -> Result<(), MapError> {
    let peak = map.iter().copied().fold(0.0f32, f32::max).max(1e-6);
    let pixels: Vec<u8> = map
        .iter()
        .map(|v| (v / peak * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    if let Some(dir) = path.parent()
        && let Err(source) = std::fs::create_dir_all(dir)
    {
        let path = dir.to_path_buf();
        return Err(MapError::Io { path, source });
    }
    let path = path.to_path_buf();
    let Some(image) = image::GrayImage::from_raw(size as u32, size as u32, pixels) else {
        return Err(MapError::WrongSize { path });
    };
    image
        .save(&path)
        .map_err(|source| MapError::Image { path, source })
}

/// The model's contours of a frame as draft pseudo-labels by the model
/// annotator, with the frame's mean MC entropy as their uncertainty.
fn pseudo_labels_of(
    segmenter: &Segmenter,
    frame: &ScoredFrame,
    author_id: i64,
    model_version_id: Option<i64>,
) -> Vec<NewAnnotation> {
    segmenter
        .proposals(&frame.segmented)
        .into_iter()
        .map(|(structure, contour)| NewAnnotation {
            clip_id: frame.clip_id,
            frame: frame.frame,
            template_id: None,
            kind: AnnotationKind::Contour,
            target: structure,
            author_id,
            source: Source::PseudoLabel,
            model_version_id,
            status: AnnotationStatus::Draft,
            geometry: Geometry {
                contour,
                ..Geometry::default()
            },
            mask: None,
            uncertainty: Some(f64::from(frame.candidate.scores.entropy.mean)),
        })
        .collect()
}
