//! The saved form of what the desktop changes in a project: journalled to
//! disk first, then applied by the store thread in order.

use serde::{Deserialize, Serialize};

use super::StudyChange;
use crate::geometry::Point;
use crate::store::{
    AnnotationStatus, ContourKey, Geometry, KeyFrameKind, Project, PseudoLabelPolicy, SetBy,
    Source, StoreError,
};

/// One write to the project that an edit needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Persist {
    /// The annotator's contour exactly as their screen shows it (after an
    /// edit, an undo, a redo or an accept), whatever is stored.
    SaveContour {
        key: ContourKey,
        template_id: Option<i64>,
        contour: Vec<Point>,
        status: AnnotationStatus,
        /// Who it is shown as coming from: a person, or a model (an untouched
        /// proposal) with its version.
        source: Source,
        model_version_id: Option<i64>,
    },
    /// A model's proposal for a structure the annotator had no contour of.
    ProposeContour {
        key: ContourKey,
        template_id: Option<i64>,
        contour: Vec<Point>,
        model_version_id: Option<i64>,
    },
    RemoveContour {
        key: ContourKey,
    },
    /// A key frame mark exactly as the screen shows it.
    SetKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        set_by: SetBy,
        /// The person who set it (none for a model's proposal).
        author_id: Option<i64>,
        /// Whose set of marks it is in. Journals written before key frames
        /// had owners lack it: then the mark goes where the schema migration
        /// puts such marks (see [`key_frame_owner`]).
        #[serde(default)]
        owner_id: Option<i64>,
        model_version_id: Option<i64>,
    },
    /// A model's proposed mark on a frame that had none, in the owner's set.
    ProposeKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        #[serde(default)]
        owner_id: Option<i64>,
        model_version_id: Option<i64>,
    },
    ClearKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        author_id: i64,
    },
}

impl Persist {
    /// Writes the change in one transaction. A change the store refuses
    /// (a proposal over a person's work) is an error, never a silent `Ok`.
    /// An annotator may change only clips assigned to them (see
    /// [`Project::require_clip_work`]).
    pub fn apply(&self, project: &mut Project) -> Result<(), StoreError> {
        if let Some(person) = self.person() {
            project.require_clip_work(person, self.clip_id())?;
        }
        let geometry = |contour: &[Point]| Geometry {
            contour: contour.to_vec(),
            ..Geometry::default()
        };
        match self {
            Persist::SaveContour {
                key,
                template_id,
                contour,
                status,
                source,
                model_version_id,
            } => project
                .save_contour_from(
                    key,
                    *template_id,
                    &geometry(contour),
                    *status,
                    *source,
                    *model_version_id,
                )
                .map(|_| ()),
            Persist::ProposeContour {
                key,
                template_id,
                contour,
                model_version_id,
            } => project
                .propose_contour(key, *template_id, &geometry(contour), *model_version_id)
                .map(|_| ()),
            Persist::RemoveContour { key } => project.remove_contour(key).map(|_| ()),
            Persist::SetKeyFrame {
                clip_id,
                kind,
                frame,
                set_by,
                author_id,
                owner_id,
                model_version_id,
            } => {
                let owner = key_frame_owner(project, owner_id.or(*author_id))?;
                project.restore_key_frame(
                    *clip_id,
                    *kind,
                    *frame,
                    *set_by,
                    owner,
                    *model_version_id,
                )
            }
            Persist::ProposeKeyFrame {
                clip_id,
                kind,
                frame,
                owner_id,
                model_version_id,
            } => {
                let owner = key_frame_owner(project, *owner_id)?;
                project.set_key_frame(
                    *clip_id,
                    *kind,
                    *frame,
                    SetBy::Model,
                    owner,
                    *model_version_id,
                )
            }
            Persist::ClearKeyFrame {
                clip_id,
                kind,
                frame,
                author_id,
            } => project.clear_key_frame(*clip_id, *kind, *frame, *author_id),
        }
    }

    /// The person whose work the change is.
    fn person(&self) -> Option<i64> {
        match self {
            Persist::SaveContour { key, .. }
            | Persist::ProposeContour { key, .. }
            | Persist::RemoveContour { key } => Some(key.author_id),
            Persist::SetKeyFrame {
                author_id,
                owner_id,
                ..
            } => owner_id.or(*author_id),
            Persist::ProposeKeyFrame { owner_id, .. } => *owner_id,
            Persist::ClearKeyFrame { author_id, .. } => Some(*author_id),
        }
    }

    /// The clip the change is about.
    pub fn clip_id(&self) -> i64 {
        match self {
            Persist::SaveContour { key, .. }
            | Persist::ProposeContour { key, .. }
            | Persist::RemoveContour { key } => key.clip_id,
            Persist::SetKeyFrame { clip_id, .. }
            | Persist::ProposeKeyFrame { clip_id, .. }
            | Persist::ClearKeyFrame { clip_id, .. } => *clip_id,
        }
    }

    /// What the change is, in a user's words.
    pub fn describe(&self) -> String {
        match self {
            Persist::SaveContour { key, .. } => {
                format!("{} on frame {}", key.target, key.frame + 1)
            }
            Persist::ProposeContour { key, .. } => {
                format!("the proposed {} on frame {}", key.target, key.frame + 1)
            }
            Persist::RemoveContour { key } => {
                format!("removing {} on frame {}", key.target, key.frame + 1)
            }
            Persist::SetKeyFrame { kind, frame, .. } => {
                format!("{kind} mark on frame {}", frame + 1)
            }
            Persist::ProposeKeyFrame { kind, frame, .. } => {
                format!("the proposed {kind} mark on frame {}", frame + 1)
            }
            Persist::ClearKeyFrame { kind, frame, .. } => {
                format!("removing the {kind} mark on frame {}", frame + 1)
            }
        }
    }
}

/// The set a key frame write goes to: its owner, or for a journal entry made
/// before marks had owners, the model's pseudo-annotator (as the schema
/// migration does with marks that had no author).
fn key_frame_owner(project: &mut Project, owner: Option<i64>) -> Result<i64, StoreError> {
    match owner {
        Some(owner) => Ok(owner),
        None => project.model_annotator_id(),
    }
}

/// Everything the desktop writes to a project, in the one ordered queue of
/// the store thread (so a later decision can never be overtaken by an older one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Mutation {
    /// An annotator's edit of their contours or the clip's key frames.
    Edit(Persist),
    /// A new person from the start-up picker: kept as they are if the name
    /// exists, the project's first admin if it has none, otherwise refused
    /// (an admin adds people).
    AddAnnotator { name: String },
    /// A reviewer's decision on pseudo-labels (all or none).
    ReviewPseudoLabels {
        ids: Vec<i64>,
        reviewer: i64,
        decision: AnnotationStatus,
    },
    /// A change to the study by one person (see [`StudyChange`]).
    Study { by: i64, change: StudyChange },
    /// An annotator's active time on a frame, written when they submit it.
    RecordFrameTime {
        annotator_id: i64,
        clip_id: i64,
        frame: u32,
        active_ms: u64,
        with_proposal: bool,
    },
    /// Whether accepted pseudo-labels join training, as set by an admin.
    ChangePseudoLabelPolicy { by: i64, policy: PseudoLabelPolicy },
    /// The same, from a journal written before roles were enforced: it names
    /// no one (see [`Project::set_pseudo_label_policy_unattributed`]).
    SetPseudoLabelPolicy(PseudoLabelPolicy),
}

impl Mutation {
    pub fn apply(&self, project: &mut Project) -> Result<(), StoreError> {
        match self {
            Mutation::Edit(persist) => persist.apply(project),
            // Adding a name that exists changes nothing (a replay, or the
            // picker's "new" path with a known name must not reset a role).
            Mutation::AddAnnotator { name } => {
                if project.annotators()?.iter().any(|a| a.name == name.trim()) {
                    return Ok(());
                }
                project.bootstrap_admin(name).map(|_| ())
            }
            Mutation::ReviewPseudoLabels {
                ids,
                reviewer,
                decision,
            } => project
                .review_pseudo_labels(ids, *reviewer, *decision)
                .map(|_| ()),
            Mutation::Study { by, change } => change.apply(project, *by),
            Mutation::RecordFrameTime {
                annotator_id,
                clip_id,
                frame,
                active_ms,
                with_proposal,
            } => project.record_frame_time(
                *annotator_id,
                *clip_id,
                *frame,
                *active_ms,
                *with_proposal,
            ),
            Mutation::ChangePseudoLabelPolicy { by, policy } => {
                project.set_pseudo_label_policy(*by, *policy)
            }
            Mutation::SetPseudoLabelPolicy(policy) => {
                project.set_pseudo_label_policy_unattributed(*policy)
            }
        }
    }

    /// What the change is, in a user's words (for the list of failed saves).
    pub fn describe(&self) -> String {
        match self {
            Mutation::Edit(persist) => persist.describe(),
            Mutation::AddAnnotator { name } => format!("adding annotator {name}"),
            Mutation::ReviewPseudoLabels { ids, decision, .. } => {
                let verb = if *decision == AnnotationStatus::Accepted {
                    "accepting"
                } else {
                    "rejecting"
                };
                format!("{verb} {} pseudo-label(s)", ids.len())
            }
            Mutation::Study { change, .. } => change.describe(),
            Mutation::RecordFrameTime { frame, .. } => {
                format!("the time spent on frame {}", frame + 1)
            }
            Mutation::ChangePseudoLabelPolicy { policy, .. }
            | Mutation::SetPseudoLabelPolicy(policy) => {
                format!("training policy {policy:?}")
            }
        }
    }

    /// The clip whose annotations the change touches, if one.
    pub fn clip_id(&self) -> Option<i64> {
        match self {
            Mutation::Edit(persist) => Some(persist.clip_id()),
            Mutation::RecordFrameTime { clip_id, .. } => Some(*clip_id),
            _ => None,
        }
    }
}
