//! Training frames from a project: the contours people finished (submitted or
//! accepted, model proposals included once a person submitted them), and —
//! when asked — accepted pseudo-labels, rasterised into class masks over the
//! decoded frame.
//!
//! A frame joins only when one author drew every structure the model
//! predicts: a missing structure would otherwise teach the model that it is
//! background.

use std::collections::BTreeMap;

use crate::dicom::Clip;
use crate::geometry;
use crate::model::ModelConfig;
use crate::model::dataset::LabelledFrame;
use crate::store::{Annotation, AnnotationKind, AnnotationStatus, Project, Source, StoreError};

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
        // Per frame and author: the annotation of each structure.
        let mut sets: BTreeMap<(u32, i64), Vec<&Annotation>> = BTreeMap::new();
        for annotation in &usable {
            sets.entry((annotation.frame, annotation.author_id))
                .or_default()
                .push(annotation);
        }
        let mut frames_done = std::collections::HashSet::new();
        let mut incomplete = std::collections::BTreeSet::new();
        for ((frame, _), set) in sets {
            if frames_done.contains(&frame) {
                continue;
            }
            let Some(labels) = class_mask(config, &set, clip.cols as usize, clip.rows as usize)
            else {
                incomplete.insert(frame);
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
