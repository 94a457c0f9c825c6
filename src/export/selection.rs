//! Which annotations an export takes: the filters a user sets (collection,
//! whose labels, review status, key frames or every annotated frame) applied
//! to the project, grouped into label sets (one clip, one author; or one clip
//! and the consensus, or what training would use).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::ExportError;
use crate::model::ModelConfig;
use crate::model::config::CAMUS_CLASSES;
use crate::modelling::{ModelChoice, TaskError, training_sets};
use crate::store::{
    Annotation, AnnotationKind, AnnotationStatus, ClipRecord, KeyFrame, Project, PseudoLabelPolicy,
    Role, Source, StoreError, TrainingLabels,
};

/// A review status an export may take, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum StatusFilter {
    /// Work still in progress.
    #[serde(rename = "draft")]
    Draft,
    /// Work its author has finished.
    #[serde(rename = "submitted")]
    Submitted,
    /// Work a reviewer accepted.
    #[serde(rename = "accepted")]
    Accepted,
    /// Model pseudo-labels a reviewer accepted.
    #[serde(rename = "pseudo-accepted")]
    PseudoAccepted,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 4] = [
        StatusFilter::Draft,
        StatusFilter::Submitted,
        StatusFilter::Accepted,
        StatusFilter::PseudoAccepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Draft => "draft",
            StatusFilter::Submitted => "submitted",
            StatusFilter::Accepted => "accepted",
            StatusFilter::PseudoAccepted => "pseudo-accepted",
        }
    }

    /// Whether `annotation` has this status.
    fn admits(self, annotation: &Annotation) -> bool {
        let pseudo = annotation.source == Source::PseudoLabel;
        match self {
            StatusFilter::PseudoAccepted => {
                pseudo && annotation.status == AnnotationStatus::Accepted
            }
            _ if pseudo => false,
            StatusFilter::Draft => annotation.status == AnnotationStatus::Draft,
            StatusFilter::Submitted => annotation.status == AnnotationStatus::Submitted,
            StatusFilter::Accepted => annotation.status == AnnotationStatus::Accepted,
        }
    }
}

impl std::str::FromStr for StatusFilter {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        crate::export::parse_choice(text, &StatusFilter::ALL, StatusFilter::as_str)
    }
}

/// Which frames of a label set an export writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum FrameFilter {
    /// Every frame with an annotation.
    #[default]
    #[serde(rename = "annotated")]
    Annotated,
    /// Only the clip's ED and ES frames.
    #[serde(rename = "key-frames")]
    KeyFrames,
}

/// Whose labels an export takes, and so what its label sets are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum WhoseLabels {
    /// Everyone's, one label set per author and clip.
    #[default]
    Everyone,
    /// This annotator's only.
    Annotator(String),
    /// The consensus annotations (built from several experts' work), one set
    /// per clip.
    Consensus,
    /// Per frame, the one set a retraining of the project's current model
    /// would learn from (its structures only) under the project's
    /// training-label setting and pseudo-label policy, as one set per clip.
    /// The review-status filter does not apply: the setting decides.
    Training,
}

impl WhoseLabels {
    /// The name of the one set per clip these labels make, if they make one.
    fn combined_name(&self) -> Option<&'static str> {
        match self {
            WhoseLabels::Consensus => Some("consensus"),
            WhoseLabels::Training => Some("training"),
            WhoseLabels::Everyone | WhoseLabels::Annotator(_) => None,
        }
    }

    /// The one annotator whose work the export takes, if one is named.
    fn annotator(&self) -> Option<&str> {
        match self {
            WhoseLabels::Annotator(name) => Some(name),
            _ => None,
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Serialize)]
pub struct Filters {
    /// Only clips of this collection.
    pub collection: Option<String>,
    /// Whose labels, and so what the label sets are.
    pub labels: WhoseLabels,
    /// The review statuses taken (except for [`WhoseLabels::Training`]).
    pub statuses: BTreeSet<StatusFilter>,
    pub frames: FrameFilter,
}

impl Default for Filters {
    /// Finished work: submitted and accepted, every annotated frame, everyone.
    fn default() -> Self {
        Filters {
            collection: None,
            labels: WhoseLabels::Everyone,
            statuses: [StatusFilter::Submitted, StatusFilter::Accepted].into(),
            frames: FrameFilter::Annotated,
        }
    }
}

/// One author's (or the consensus') annotations of one clip.
#[derive(Debug, Clone)]
pub struct LabelSet {
    /// The author's name, or `consensus` / `training` for a combined set.
    pub author: String,
    /// The author, or `None` for a combined set (whose contours may come
    /// from several people).
    pub author_id: Option<i64>,
    pub role: Option<Role>,
    /// `clip0007_demo-sonographer`: names the set's files.
    pub name: String,
    /// `demo-sonographer`: the author part of the names.
    pub slug: String,
    /// Contours by frame (each with three or more points).
    pub contours: BTreeMap<u32, Vec<Annotation>>,
}

/// A clip in an export.
#[derive(Debug, Clone)]
pub struct ClipSelection {
    pub clip: ClipRecord,
    /// `clip0007`: a name that says nothing of the patient or the file.
    pub name: String,
    pub key_frames: Vec<KeyFrame>,
    /// Every selected annotation of any kind (the CSV's rows).
    pub annotations: Vec<Annotation>,
    pub sets: Vec<LabelSet>,
}

/// What the filters selected, and the structures it holds in class order.
#[derive(Debug, Clone)]
pub struct Selection {
    pub clips: Vec<ClipSelection>,
    /// Class 1, 2, … of the masks: the three CAMUS structures (always, so
    /// their numbers never change), then the others found, by name.
    pub structures: Vec<String>,
    /// For [`WhoseLabels::Training`], the setting the sets follow, in words.
    pub training_labels: Option<String>,
}

impl Selection {
    /// The class index of `structure` in masks (1-based), if it has one.
    pub fn class_of(&self, structure: &str) -> Option<usize> {
        self.structures
            .iter()
            .position(|s| s.eq_ignore_ascii_case(structure))
            .map(|index| index + 1)
    }

    /// Class names, background first.
    pub fn classes(&self) -> Vec<String> {
        std::iter::once("background".to_string())
            .chain(self.structures.iter().cloned())
            .collect()
    }
}

/// The annotations `filters` select in `project`.
pub fn select(project: &Project, filters: &Filters) -> Result<Selection, ExportError> {
    let collection = match &filters.collection {
        Some(name) => Some(
            project
                .collections()?
                .into_iter()
                .find(|c| c.name == *name)
                .ok_or_else(|| StoreError::NotFound {
                    what: "collection",
                    name: name.clone(),
                })?
                .id,
        ),
        None => None,
    };
    let annotator = match filters.labels.annotator() {
        Some(name) => Some(project.annotator_id(name)?),
        None => None,
    };
    let training = match filters.labels {
        WhoseLabels::Training => {
            let model = ModelChoice::for_project(project)
                .and_then(|choice| choice.header().map_err(TaskError::from))?;
            Some(Training {
                model: model.config,
                policy: project.training_labels()?,
                pseudo_labels: project.pseudo_label_policy()? == PseudoLabelPolicy::WhenAccepted,
            })
        }
        _ => None,
    };
    let combined = filters.labels.combined_name();
    let roles: HashMap<i64, Role> = project
        .annotators()?
        .into_iter()
        .map(|a| (a.id, a.role))
        .collect();
    let mut clips = Vec::new();
    let mut structures = BTreeSet::new();
    for clip in project.clips(collection)? {
        let key_frames = project.key_frames(clip.id)?;
        // A person's contours count as key-frame contours on their own marks;
        // a consensus or pseudo-label (nobody's own) on anyone's.
        let marked = |a: &Annotation| {
            let anyones = matches!(a.source, Source::Consensus | Source::PseudoLabel);
            key_frames
                .iter()
                .any(|k| k.frame == a.frame && (anyones || k.author_id == a.author_id))
        };
        let all = project.annotations(clip.id, None)?;
        let taken: Vec<Annotation> = match &training {
            Some(training) => training_sets(
                &all,
                &training.model,
                &training.policy,
                training.pseudo_labels,
            )
            .into_values()
            .flatten()
            .cloned()
            .collect(),
            None => all
                .into_iter()
                .filter(|a| {
                    (a.source == Source::Consensus) == (filters.labels == WhoseLabels::Consensus)
                })
                .filter(|a| annotator.is_none_or(|id| a.author_id == id))
                .filter(|a| filters.statuses.iter().any(|s| s.admits(a)))
                .collect(),
        };
        let annotations: Vec<Annotation> = taken
            .into_iter()
            .filter(|a| filters.frames == FrameFilter::Annotated || marked(a))
            .collect();
        if annotations.is_empty() {
            continue;
        }
        let name = format!("clip{:04}", clip.id);
        let mut by_author: BTreeMap<i64, (String, BTreeMap<u32, Vec<Annotation>>)> =
            BTreeMap::new();
        for annotation in &annotations {
            if annotation.kind != AnnotationKind::Contour || annotation.geometry.contour.len() < 3 {
                continue;
            }
            structures.insert(annotation.target.clone());
            let (key, author) = match combined {
                Some(name) => (0, name.to_string()),
                None => (annotation.author_id, annotation.author.clone()),
            };
            by_author
                .entry(key)
                .or_insert_with(|| (author, BTreeMap::new()))
                .1
                .entry(annotation.frame)
                .or_default()
                .push(annotation.clone());
        }
        let mut slugs = BTreeSet::new();
        let sets = by_author
            .into_iter()
            .map(|(author_id, (author, contours))| {
                let mut slug = slug(&author);
                if !slugs.insert(slug.clone()) {
                    slug = format!("{slug}-{author_id}");
                    slugs.insert(slug.clone());
                }
                LabelSet {
                    author_id: combined.is_none().then_some(author_id),
                    role: roles.get(&author_id).copied(),
                    name: format!("{name}_{slug}"),
                    slug,
                    author,
                    contours,
                }
            })
            .collect();
        clips.push(ClipSelection {
            clip,
            name,
            key_frames,
            annotations,
            sets,
        });
    }
    // The CAMUS structures keep their CAMUS class numbers whether or not they
    // occur, so that every export means the same by 1, 2 and 3.
    let mut ordered: Vec<String> = CAMUS_CLASSES[1..].iter().map(|s| s.to_string()).collect();
    ordered.extend(
        structures
            .into_iter()
            .filter(|s| !CAMUS_CLASSES.iter().any(|c| c.eq_ignore_ascii_case(s))),
    );
    Ok(Selection {
        clips,
        structures: ordered,
        training_labels: training.map(|training| {
            let pseudo = if training.pseudo_labels {
                "with"
            } else {
                "without"
            };
            format!(
                "{}; {pseudo} accepted pseudo-labels; the structures of the current model ({})",
                training.policy,
                training.model.classes[1..].join(", ")
            )
        }),
    })
}

/// What a [`WhoseLabels::Training`] export follows: the model a retraining
/// would start from, the training-label setting and whether accepted
/// pseudo-labels join.
struct Training {
    model: ModelConfig,
    policy: TrainingLabels,
    pseudo_labels: bool,
}

/// A file-name part for an author: lower-case letters and digits joined by
/// `-` (`Dr. Anna Müller` → `dr-anna-m-ller`); `author` when nothing is left.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "author".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("Demo sonographer"), "demo-sonographer");
        assert_eq!(slug("Dr. Anna Müller"), "dr-anna-m-ller");
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("  "), "author");
    }

    #[test]
    fn statuses_parse_as_spelled() {
        for status in StatusFilter::ALL {
            assert_eq!(status.as_str().parse::<StatusFilter>(), Ok(status));
        }
        assert!(
            "done"
                .parse::<StatusFilter>()
                .unwrap_err()
                .contains("pseudo-accepted")
        );
    }
}
