//! Training frames from a project: the contours people finished (submitted or
//! accepted, model proposals included once a person submitted them), and —
//! when asked — accepted pseudo-labels, rasterised into class masks over the
//! decoded frame.
//!
//! A frame joins only when one author drew every structure the model
//! predicts: a missing structure would otherwise teach the model that it is
//! background. When several people labelled a frame, the project's
//! [`TrainingLabels`] setting picks whose set trains ([`choose_label_sets`]).

use std::collections::BTreeMap;

use crate::dicom::Clip;
use crate::geometry;
use crate::model::ModelConfig;
use crate::model::dataset::LabelledFrame;
use crate::store::{
    Annotation, AnnotationKind, AnnotationStatus, LastResort, Project, Source, StoreError,
    TrainingLabels,
};

#[derive(Debug, Default)]
pub struct ProjectFrames {
    pub frames: Vec<LabelledFrame>,
    /// The annotations the frames were made from (recorded with the model version).
    pub annotation_ids: Vec<i64>,
    /// Clips or frames left out, and why.
    pub skipped: Vec<String>,
}

/// Whether an annotation may teach the model.
pub fn counts_for_training(annotation: &Annotation, include_pseudo_labels: bool) -> bool {
    if annotation.kind != AnnotationKind::Contour || annotation.geometry.contour.len() < 3 {
        return false;
    }
    match annotation.source {
        // A model proposal an annotator submitted (with or without edits) is theirs.
        Source::Human | Source::Consensus | Source::Model => {
            matches!(
                annotation.status,
                AnnotationStatus::Submitted | AnnotationStatus::Accepted
            )
        }
        Source::PseudoLabel => {
            include_pseudo_labels && annotation.status == AnnotationStatus::Accepted
        }
    }
}

pub fn project_frames(
    project: &Project,
    config: &ModelConfig,
    include_pseudo_labels: bool,
) -> Result<ProjectFrames, StoreError> {
    let policy = project.training_labels()?;
    let mut out = ProjectFrames::default();
    for (index, clip) in project.clips(None)?.iter().enumerate() {
        let usable: Vec<Annotation> = project
            .annotations(clip.id, None)?
            .into_iter()
            .filter(|a| counts_for_training(a, include_pseudo_labels))
            .collect();
        if usable.is_empty() {
            continue;
        }
        let path = project.clip_file(clip);
        let decoded = match Clip::open(&path, project.salt()) {
            Ok(decoded) => decoded,
            Err(error) => {
                out.skipped.push(error.to_string());
                continue;
            }
        };
        let (width, height) = (clip.cols as usize, clip.rows as usize);
        let chosen = training_sets(&usable, config, &policy, include_pseudo_labels);
        // Frames some complete set would have trained, had the setting allowed it.
        let mut left_out: std::collections::BTreeSet<u32> = training_sets(
            &usable,
            config,
            &TrainingLabels::default(),
            include_pseudo_labels,
        )
        .into_keys()
        .filter(|frame| !chosen.contains_key(frame))
        .collect();
        let mut frames_done = std::collections::HashSet::new();
        let mut incomplete: std::collections::BTreeSet<u32> =
            usable.iter().map(|a| a.frame).collect();
        incomplete.retain(|frame| !left_out.contains(frame));
        for (frame, set) in chosen {
            let Some(labels) = class_mask(config, &set, width, height) else {
                continue;
            };
            match decoded.frame(frame) {
                Ok(pixels) => {
                    out.annotation_ids.extend(set.iter().map(|a| a.id));
                    out.frames.push(LabelledFrame {
                        clip: index as u32,
                        frame,
                        width: clip.cols as usize,
                        height: clip.rows as usize,
                        gray: pixels.gray(),
                        labels,
                    });
                    frames_done.insert(frame);
                }
                Err(error) => out
                    .skipped
                    .push(format!("{}: frame {frame}: {error}", path.display())),
            }
        }
        incomplete.retain(|frame| !frames_done.contains(frame));
        left_out.retain(|frame| !frames_done.contains(frame));
        if !left_out.is_empty() {
            out.skipped.push(format!(
                "{}: {} frame(s) left out by the training-label setting ({policy})",
                path.display(),
                left_out.len()
            ));
        }
        if !incomplete.is_empty() {
            out.skipped.push(format!(
                "{}: {} frame(s) lack one of the model's structures ({})",
                path.display(),
                incomplete.len(),
                config.classes[1..].join(", ")
            ));
        }
    }
    Ok(out)
}

/// Per frame, the contours of `annotations` that would train a model shaped
/// like `config` under `policy`: only finished work (and accepted
/// pseudo-labels when `include_pseudo_labels`), only the model's structures,
/// and only sets that hold every one of them. Training and the export of
/// what trains (`export --training-labels`) both read this.
pub fn training_sets<'a>(
    annotations: &'a [Annotation],
    config: &ModelConfig,
    policy: &TrainingLabels,
    include_pseudo_labels: bool,
) -> BTreeMap<u32, Vec<&'a Annotation>> {
    let usable: Vec<&Annotation> = annotations
        .iter()
        .filter(|a| counts_for_training(a, include_pseudo_labels))
        .filter(|a| config.class_of(&a.target).is_some_and(|class| class > 0))
        .collect();
    let every_structure = |set: &[&Annotation]| {
        (1..config.classes.len()).all(|class| {
            set.iter()
                .any(|a| config.class_of(&a.target) == Some(class))
        })
    };
    choose_label_sets(&usable, policy, &every_structure)
}

/// Per frame, the one set of `annotations` (all passing
/// [`counts_for_training`]) that teaches the model, as `policy` says: the
/// consensus, else a set a reviewer accepted in full, else the last resort's;
/// accepted pseudo-labels only where no person's set qualifies. `complete`
/// says whether a set has everything training needs.
fn choose_label_sets<'a>(
    annotations: &[&'a Annotation],
    policy: &TrainingLabels,
    complete: &impl Fn(&[&Annotation]) -> bool,
) -> BTreeMap<u32, Vec<&'a Annotation>> {
    let mut sets: BTreeMap<u32, BTreeMap<(u8, i64), Vec<&'a Annotation>>> = BTreeMap::new();
    for &annotation in annotations {
        let key = match annotation.source {
            Source::Consensus => (CONSENSUS, 0),
            Source::PseudoLabel => (PSEUDO_LABELS, annotation.author_id),
            Source::Human | Source::Model => (PEOPLE, annotation.author_id),
        };
        sets.entry(annotation.frame)
            .or_default()
            .entry(key)
            .or_default()
            .push(annotation);
    }
    let mut chosen = BTreeMap::new();
    for (frame, by_author) in sets {
        if let Some((_, set)) = by_author
            .iter()
            .filter(|(_, set)| complete(set))
            .filter_map(|(&(group, author), set)| {
                tier(policy, group, set).map(|tier| ((tier, author), set))
            })
            .min_by_key(|(rank, _)| *rank)
        {
            chosen.insert(frame, set.clone());
        }
    }
    chosen
}

/// A set's place in the order of preference (lower first), or `None` when
/// the policy leaves it out.
fn tier(policy: &TrainingLabels, group: u8, set: &[&Annotation]) -> Option<u8> {
    match group {
        CONSENSUS => policy.consensus.then_some(0),
        PSEUDO_LABELS => Some(3),
        _ if policy.reviewer_accepted
            && set.iter().all(|a| a.status == AnnotationStatus::Accepted) =>
        {
            Some(1)
        }
        _ => match &policy.otherwise {
            LastResort::Anyone => Some(2),
            LastResort::Annotator(name) if *name == set[0].author => Some(2),
            LastResort::Annotator(_) | LastResort::Nobody => None,
        },
    }
}

/// Groups of [`choose_label_sets`]: consensus annotations form one set per
/// frame whoever built them; people's and pseudo-labels go by author.
const CONSENSUS: u8 = 0;
const PEOPLE: u8 = 1;
const PSEUDO_LABELS: u8 = 2;

/// The class mask of one author's contours on a frame
/// ([`geometry::paint_class_map`]); `None` unless every structure of the
/// model is there.
fn class_mask(
    config: &ModelConfig,
    set: &[&Annotation],
    width: usize,
    height: usize,
) -> Option<Vec<u8>> {
    let contours = (1..config.classes.len())
        .map(|class| {
            set.iter()
                .find(|a| config.class_of(&a.target) == Some(class))
                .map(|a| Some(a.geometry.contour.as_slice()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(geometry::paint_class_map(&contours, width, height))
}
