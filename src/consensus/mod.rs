//! Several experts on one clip: consensus masks (STAPLE, majority vote) and
//! how much the experts agree, pairwise and against the consensus.
//!
//! [`project_agreement`] takes every frame and structure that two or more
//! people finished (submitted or accepted contours; model pseudo-labels and
//! stored consensus annotations are not raters), computes the STAPLE
//! consensus of their masks, and reports each pair of annotators and each
//! annotator against the consensus.

mod agreement;
mod build;
mod key_frames;
mod staple;

use std::collections::BTreeMap;

use serde::Serialize;

pub use agreement::{Agreement, agreement};
pub use build::{BuildSummary, CONSENSUS_TOLERANCE, build_all, build_consensus};
pub use key_frames::{KeyFrameConsensus, key_frame_consensus};
pub use staple::{Staple, majority_vote, staple};

use crate::geometry::{Mask, Point, fill};
use crate::store::{AnnotationKind, AnnotationStatus, Project, Source, StoreError};

/// Two outlines of one structure on one frame, compared.
#[derive(Debug, Clone, Serialize)]
pub struct PairRow {
    pub clip: String,
    pub sop_instance_uid: String,
    pub frame: u32,
    pub structure: String,
    pub annotator_a: String,
    /// The other annotator, or `STAPLE consensus`.
    pub annotator_b: String,
    pub dice: f64,
    pub hausdorff_mm: f64,
    pub mean_distance_mm: f64,
    pub area_difference_mm2: f64,
    /// Whether the clip is calibrated (otherwise "mm" are pixels).
    pub calibrated: bool,
}

/// One annotator over every frame they share with others.
#[derive(Debug, Clone, Serialize)]
pub struct AnnotatorRow {
    pub annotator: String,
    /// Frames × structures compared.
    pub compared: usize,
    pub mean_dice_vs_consensus: f64,
    pub mean_staple_sensitivity: f64,
    pub mean_staple_specificity: f64,
}

/// One person's ED or ES mark against the median of everyone's in its cycle.
#[derive(Debug, Clone, Serialize)]
pub struct KeyFrameRow {
    pub clip: String,
    pub sop_instance_uid: String,
    pub kind: crate::store::KeyFrameKind,
    pub cycle: usize,
    pub annotator: String,
    pub frame: u32,
    pub consensus_frame: u32,
    /// Positive when the annotator marked later than the consensus.
    pub difference_frames: i64,
    /// The same in milliseconds, when the clip gives its frame time.
    pub difference_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AgreementReport {
    pub pairs: Vec<PairRow>,
    pub annotators: Vec<AnnotatorRow>,
    /// ED/ES marks of cycles marked by two or more people.
    pub key_frames: Vec<KeyFrameRow>,
}

/// Each author's outline of one structure on one frame.
type Outlines = BTreeMap<String, Vec<Point>>;

/// The label of the consensus in [`PairRow::annotator_b`].
pub const CONSENSUS: &str = "STAPLE consensus";

/// Agreement over every clip, frame and structure of `project` with two or
/// more people's finished contours.
pub fn project_agreement(project: &Project) -> Result<AgreementReport, StoreError> {
    let mut report = AgreementReport::default();
    // Per annotator: (Dice vs consensus, sensitivity, specificity) samples.
    let mut per_annotator: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for clip in project.clips(None)? {
        let (width, height) = (clip.cols as usize, clip.rows as usize);
        let mm = clip.mm_per_pixel.unwrap_or((1.0, 1.0));
        let mut groups: BTreeMap<(u32, String), Outlines> = BTreeMap::new();
        for a in project.annotations(clip.id, None)? {
            let rater = a.kind == AnnotationKind::Contour
                && a.geometry.contour.len() >= 3
                && matches!(a.source, Source::Human | Source::Model)
                && matches!(
                    a.status,
                    AnnotationStatus::Submitted | AnnotationStatus::Accepted
                );
            if rater {
                groups
                    .entry((a.frame, a.target.clone()))
                    .or_default()
                    .insert(a.author.clone(), a.geometry.contour.clone());
            }
        }
        let name = format!("clip{:04}", clip.id);
        for cycle in key_frame_consensus(&project.key_frames(clip.id)?) {
            if cycle.marks.len() < 2 {
                continue;
            }
            for (annotator, frame, difference) in &cycle.marks {
                report.key_frames.push(KeyFrameRow {
                    clip: name.clone(),
                    sop_instance_uid: clip.sop_instance_uid.clone(),
                    kind: cycle.kind,
                    cycle: cycle.cycle,
                    annotator: annotator.clone(),
                    frame: *frame,
                    consensus_frame: cycle.frame,
                    difference_frames: *difference,
                    difference_ms: clip.frame_time_ms.map(|ms| ms * *difference as f64),
                });
            }
        }
        for ((frame, structure), outlines) in groups.into_iter().filter(|(_, o)| o.len() >= 2) {
            let row = |a: &str, b: &str, agreement: Agreement| PairRow {
                clip: name.clone(),
                sop_instance_uid: clip.sop_instance_uid.clone(),
                frame,
                structure: structure.clone(),
                annotator_a: a.to_string(),
                annotator_b: b.to_string(),
                dice: agreement.dice,
                hausdorff_mm: agreement.hausdorff_mm,
                mean_distance_mm: agreement.mean_distance_mm,
                area_difference_mm2: agreement.area_difference_mm2,
                calibrated: clip.mm_per_pixel.is_some(),
            };
            let authors: Vec<(&String, &Vec<Point>)> = outlines.iter().collect();
            for (i, (a, outline_a)) in authors.iter().enumerate() {
                for (b, outline_b) in &authors[i + 1..] {
                    report.pairs.push(row(
                        a,
                        b,
                        agreement(outline_a, outline_b, width, height, mm),
                    ));
                }
            }
            let masks: Vec<Mask> = authors
                .iter()
                .map(|(_, outline)| fill(outline, width, height))
                .collect();
            let refs: Vec<&Mask> = masks.iter().collect();
            let Some(estimate) = staple(&refs) else {
                continue;
            };
            let Some(consensus) = crate::geometry::mask_to_contour(
                &estimate.consensus.largest_component().fill_holes(),
                0.0,
            ) else {
                continue;
            };
            for (j, (author, outline)) in authors.iter().enumerate() {
                let against = agreement(outline, &consensus, width, height, mm);
                per_annotator.entry((*author).clone()).or_default().push((
                    against.dice,
                    estimate.sensitivity[j],
                    estimate.specificity[j],
                ));
                report.pairs.push(row(author, CONSENSUS, against));
            }
        }
    }
    report.annotators = per_annotator
        .into_iter()
        .map(|(annotator, samples)| {
            let n = samples.len() as f64;
            let mean = |f: fn(&(f64, f64, f64)) -> f64| samples.iter().map(f).sum::<f64>() / n;
            AnnotatorRow {
                annotator,
                compared: samples.len(),
                mean_dice_vs_consensus: mean(|s| s.0),
                mean_staple_sensitivity: mean(|s| s.1),
                mean_staple_specificity: mean(|s| s.2),
            }
        })
        .collect();
    Ok(report)
}
