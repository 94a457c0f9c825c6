//! A reviewer's decision on a person's submitted annotation: accepted, or
//! returned to its author with a comment. Pseudo-labels have their own review
//! (`review`); this is for people's work.
//!
//! Each decision is a new revision (status `accepted`, or `draft` again for a
//! returned one, so it no longer counts as finished), a row of
//! `annotation_reviews` with the revision it produced and the comment, and an
//! audit entry, all in one transaction. An annotation is *returned* while its
//! latest decision is a return and its author has not changed it since.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::access::Permission;
use super::annotations::{ANNOTATION_SELECT, annotation_from_row, insert_revision};
use super::{Annotation, AnnotationEdit, AnnotationStatus, Project, Source, StoreError, audit};

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewDecision {
    Accepted,
    /// Back to the author, with a comment saying what to change.
    Returned,
}

impl ReviewDecision {
    fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accepted => "accepted",
            ReviewDecision::Returned => "returned",
        }
    }
}

/// One decision on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewRecord {
    pub annotation_id: i64,
    /// The annotation's revision the decision produced.
    pub revision: u32,
    pub reviewer: String,
    pub decision: ReviewDecision,
    pub comment: String,
    pub decided_at: String,
}

/// A returned annotation with the decision that returned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnedWork {
    pub annotation: Annotation,
    pub review: ReviewRecord,
}

impl Project {
    /// Accepts or returns `annotation_id`, a person's submitted (or earlier
    /// accepted) annotation; for a reviewer or an admin, never on their own
    /// work. A return needs a comment.
    pub fn review_annotation(
        &mut self,
        reviewer_id: i64,
        annotation_id: i64,
        decision: ReviewDecision,
        comment: &str,
    ) -> Result<(), StoreError> {
        let reviewer = self.require(reviewer_id, Permission::Review, "review people's work")?;
        let annotation = self.annotation(annotation_id)?;
        if annotation.removed || !matches!(annotation.source, Source::Human | Source::Model) {
            return Err(StoreError::Invalid(format!(
                "annotation {annotation_id} is not a person's live annotation"
            )));
        }
        if annotation.author_id == reviewer_id {
            return Err(StoreError::Invalid(
                "a reviewer does not review their own annotation; another reviewer may".into(),
            ));
        }
        if !matches!(
            annotation.status,
            AnnotationStatus::Submitted | AnnotationStatus::Accepted
        ) {
            return Err(StoreError::Invalid(format!(
                "{}'s {} on frame {} is a {}: only submitted work is reviewed",
                annotation.author,
                annotation.target,
                annotation.frame + 1,
                annotation.status
            )));
        }
        let comment = comment.trim();
        if decision == ReviewDecision::Returned && comment.is_empty() {
            return Err(StoreError::Invalid(
                "say what to change when returning work to its author".into(),
            ));
        }
        let status = match decision {
            ReviewDecision::Accepted => AnnotationStatus::Accepted,
            ReviewDecision::Returned => AnnotationStatus::Draft,
        };
        self.write(|tx| {
            let revision = insert_revision(
                tx,
                annotation_id,
                &AnnotationEdit {
                    author_id: reviewer_id,
                    geometry: None,
                    mask: None,
                    status,
                },
            )?;
            tx.execute(
                "INSERT INTO annotation_reviews (annotation_id, revision, reviewer_id, decision, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    annotation_id,
                    revision,
                    reviewer_id,
                    decision.as_str(),
                    comment
                ],
            )?;
            audit(
                tx,
                Some(&reviewer_id.to_string()),
                decision.as_str(),
                "annotation",
                Some(annotation_id),
                &serde_json::json!({
                    "reviewer": reviewer.name,
                    "author": annotation.author,
                    "revision": revision,
                    "comment": comment,
                }),
            )
        })
    }

    /// Every decision on an annotation, oldest first.
    pub fn reviews_of(&self, annotation_id: i64) -> Result<Vec<ReviewRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{REVIEW_SELECT} WHERE v.annotation_id = ?1 ORDER BY v.id"
        ))?;
        let rows = statement.query_map([annotation_id], review_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `author_id`'s annotations returned to them and not changed since,
    /// newest decision first: the top of their worklist.
    pub fn returned_to(&self, author_id: i64) -> Result<Vec<ReturnedWork>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{REVIEW_SELECT} JOIN annotations a ON a.id = v.annotation_id
             WHERE a.author_id = ?1 AND a.removed_at IS NULL AND v.decision = 'returned'
               AND v.revision = a.revision
               AND v.id = (SELECT MAX(id) FROM annotation_reviews WHERE annotation_id = a.id)
             ORDER BY v.id DESC"
        ))?;
        let reviews: Vec<ReviewRecord> = statement
            .query_map([author_id], review_from_row)?
            .collect::<Result<_, _>>()?;
        reviews
            .into_iter()
            .map(|review| {
                Ok(ReturnedWork {
                    annotation: self.annotation(review.annotation_id)?,
                    review,
                })
            })
            .collect()
    }

    /// People's submitted annotations (a decision makes them accepted or,
    /// returned, drafts), by clip and frame: what waits for a reviewer.
    pub fn awaiting_review(&self) -> Result<Vec<Annotation>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{ANNOTATION_SELECT} WHERE a.source IN ('human', 'model') AND a.status = 'submitted'
               AND a.removed_at IS NULL AND p.system = 0
             ORDER BY a.clip_id, a.frame, a.target, p.name"
        ))?;
        let rows = statement.query_map([], annotation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest decision on an annotation, if any.
    pub fn latest_review(&self, annotation_id: i64) -> Result<Option<ReviewRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("{REVIEW_SELECT} WHERE v.annotation_id = ?1 ORDER BY v.id DESC LIMIT 1"),
                [annotation_id],
                review_from_row,
            )
            .optional()?)
    }
}

const REVIEW_SELECT: &str =
    "SELECT v.annotation_id, v.revision, r.name, v.decision, v.comment, v.decided_at
     FROM annotation_reviews v JOIN annotators r ON r.id = v.reviewer_id";

fn review_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRecord> {
    let decision: String = row.get(3)?;
    Ok(ReviewRecord {
        annotation_id: row.get(0)?,
        revision: row.get(1)?,
        reviewer: row.get(2)?,
        decision: if decision == "accepted" {
            ReviewDecision::Accepted
        } else {
            ReviewDecision::Returned
        },
        comment: row.get(4)?,
        decided_at: row.get(5)?,
    })
}
