//! The study changes the desktop makes (people, task templates, assignments,
//! blind collections, the training-label setting, review decisions, consensus
//! corrections), as values the store thread applies in its ordered queue.
//! Each is made by one person (`by`), whose role the store checks.

use serde::{Deserialize, Serialize};

use crate::geometry::Point;
use crate::store::{
    AnnotationKind, Geometry, Project, ReviewDecision, Role, StoreError, TrainingLabels, WorkUnit,
};

/// What an assignment covers, owned (see [`WorkUnit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Work {
    Collection(String),
    Clip(i64),
}

impl Work {
    fn unit(&self) -> WorkUnit<'_> {
        match self {
            Work::Collection(name) => WorkUnit::Collection(name),
            Work::Clip(id) => WorkUnit::Clip(*id),
        }
    }

    fn describe(&self) -> String {
        match self {
            Work::Collection(name) => format!("collection {name}"),
            Work::Clip(id) => format!("clip{id:04}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StudyChange {
    /// Adds a person, or changes the role and expertise of one.
    Person {
        name: String,
        role: Role,
        expertise: Vec<String>,
    },
    /// Adds a task template, or changes the kind and items of one.
    Template {
        name: String,
        kind: AnnotationKind,
        items: Vec<String>,
    },
    Assign {
        work: Work,
        template: String,
        annotator: String,
    },
    Unassign {
        work: Work,
        template: String,
        annotator: String,
    },
    Blind {
        collection_id: i64,
        blind: bool,
    },
    TrainingLabels(TrainingLabels),
    /// A reviewer's decision on a person's annotation.
    Review {
        annotation_id: i64,
        accepted: bool,
        comment: String,
    },
    /// A reviewer's outline replaces a consensus contour (it becomes theirs).
    CorrectConsensus {
        consensus_id: i64,
        contour: Vec<Point>,
    },
}

impl StudyChange {
    pub fn apply(&self, project: &mut Project, by: i64) -> Result<(), StoreError> {
        match self {
            StudyChange::Person {
                name,
                role,
                expertise,
            } => project
                .upsert_annotator(by, name, *role, expertise)
                .map(|_| ()),
            StudyChange::Template { name, kind, items } => {
                project.upsert_template(by, name, *kind, items).map(|_| ())
            }
            StudyChange::Assign {
                work,
                template,
                annotator,
            } => project.assign(by, work.unit(), template, annotator),
            StudyChange::Unassign {
                work,
                template,
                annotator,
            } => project.unassign(by, work.unit(), template, annotator),
            StudyChange::Blind {
                collection_id,
                blind,
            } => project.set_collection_blind(by, *collection_id, *blind),
            StudyChange::TrainingLabels(labels) => project.set_training_labels(by, labels),
            StudyChange::Review {
                annotation_id,
                accepted,
                comment,
            } => {
                let decision = if *accepted {
                    ReviewDecision::Accepted
                } else {
                    ReviewDecision::Returned
                };
                project.review_annotation(by, *annotation_id, decision, comment)
            }
            StudyChange::CorrectConsensus {
                consensus_id,
                contour,
            } => project
                .correct_consensus(
                    by,
                    *consensus_id,
                    &Geometry {
                        contour: contour.clone(),
                        ..Geometry::default()
                    },
                )
                .map(|_| ()),
        }
    }

    /// What the change is, in a user's words.
    pub fn describe(&self) -> String {
        match self {
            StudyChange::Person { name, role, .. } => format!("{name} as {role}"),
            StudyChange::Template { name, .. } => format!("template {name}"),
            StudyChange::Assign {
                work, annotator, ..
            } => format!("assigning {} to {annotator}", work.describe()),
            StudyChange::Unassign {
                work, annotator, ..
            } => format!("taking {} back from {annotator}", work.describe()),
            StudyChange::Blind { blind, .. } => {
                format!(
                    "making a collection {}",
                    if *blind { "blind" } else { "open" }
                )
            }
            StudyChange::TrainingLabels(labels) => format!("training labels: {labels}"),
            StudyChange::Review { accepted, .. } => {
                if *accepted {
                    "accepting an annotation".into()
                } else {
                    "returning an annotation".into()
                }
            }
            StudyChange::CorrectConsensus { .. } => "correcting a consensus".into(),
        }
    }
}
