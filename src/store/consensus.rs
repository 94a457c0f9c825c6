//! Consensus annotations on record: a `consensus`-source contour per clip,
//! frame and structure, with the method that made it (STAPLE or majority
//! vote), the revision the method produced, and the revision of each input.
//!
//! A later revision is a reviewer's correction, and the annotation becomes
//! theirs. Staleness is worked out on reading, never stored, so it cannot
//! drift: a consensus is stale when an input has changed, been removed or is
//! no longer finished work, or when another person has submitted that
//! structure on that frame since.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::access::Permission;
use super::annotations::{
    ANNOTATION_SELECT, annotation_from_row, insert_annotation, insert_revision,
};
use super::{
    Annotation, AnnotationEdit, AnnotationKind, AnnotationStatus, Geometry, NewAnnotation, Project,
    Source, StoreError, audit,
};

/// How a consensus was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusMethod {
    Staple,
    Majority,
}

impl ConsensusMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsensusMethod::Staple => "staple",
            ConsensusMethod::Majority => "majority",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "majority" {
            ConsensusMethod::Majority
        } else {
            ConsensusMethod::Staple
        }
    }
}

/// One input of a consensus: an annotation at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConsensusInput {
    pub annotation_id: i64,
    pub revision: u32,
}

/// A consensus annotation with how it was made and whether it still holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusRecord {
    pub annotation: Annotation,
    pub method: ConsensusMethod,
    pub built_by: String,
    /// A reviewer has corrected it since it was computed.
    pub corrected: bool,
    pub inputs: Vec<ConsensusInput>,
    /// An input changed or went, or someone submitted this structure since.
    pub stale: bool,
}

/// What to store for one frame and structure.
#[derive(Debug, Clone)]
pub struct NewConsensus<'a> {
    pub clip_id: i64,
    pub frame: u32,
    pub target: &'a str,
    pub geometry: Geometry,
    pub method: ConsensusMethod,
    pub inputs: Vec<ConsensusInput>,
}

impl Project {
    /// Stores (or recomputes) the consensus of a frame and structure; for a
    /// reviewer or an admin. Recomputing over a reviewer's correction is a
    /// [`StoreError::Conflict`] unless `replace_correction`.
    pub fn save_consensus(
        &mut self,
        by: i64,
        new: &NewConsensus<'_>,
        replace_correction: bool,
    ) -> Result<i64, StoreError> {
        self.require(by, Permission::Review, "build a consensus")?;
        if new.inputs.len() < 2 {
            return Err(StoreError::Invalid(
                "a consensus needs two or more annotations".into(),
            ));
        }
        let existing = self.consensus_of(new.clip_id, new.frame, new.target)?;
        if let Some(existing) = &existing
            && existing.corrected
            && !replace_correction
        {
            return Err(StoreError::Conflict(format!(
                "the consensus of {} on frame {} was corrected by {}; recomputing would replace the correction",
                new.target,
                new.frame + 1,
                existing.annotation.author
            )));
        }
        let mut inputs = new.inputs.clone();
        inputs.sort_by_key(|i| i.annotation_id);
        inputs.dedup_by_key(|i| i.annotation_id);
        self.write(|tx| {
            let id = match &existing {
                Some(existing) => {
                    let id = existing.annotation.id;
                    let revision = insert_revision(
                        tx,
                        id,
                        &AnnotationEdit {
                            author_id: by,
                            geometry: Some(new.geometry.clone()),
                            mask: None,
                            status: AnnotationStatus::Submitted,
                        },
                    )?;
                    tx.execute("UPDATE annotations SET author_id = ?2 WHERE id = ?1", params![id, by])?;
                    tx.execute(
                        "UPDATE consensus SET method = ?2, built_revision = ?3, built_by = ?4 WHERE annotation_id = ?1",
                        params![id, new.method.as_str(), revision, by],
                    )?;
                    tx.execute("DELETE FROM consensus_inputs WHERE consensus_id = ?1", [id])?;
                    id
                }
                None => {
                    let id = insert_annotation(
                        tx,
                        &NewAnnotation {
                            clip_id: new.clip_id,
                            frame: new.frame,
                            template_id: None,
                            kind: AnnotationKind::Contour,
                            target: new.target.to_string(),
                            author_id: by,
                            source: Source::Consensus,
                            model_version_id: None,
                            status: AnnotationStatus::Submitted,
                            geometry: new.geometry.clone(),
                            mask: None,
                            uncertainty: None,
                        },
                    )?;
                    tx.execute(
                        "INSERT INTO consensus (annotation_id, method, built_revision, built_by) VALUES (?1, ?2, 1, ?3)",
                        params![id, new.method.as_str(), by],
                    )?;
                    id
                }
            };
            record_inputs(tx, id, &inputs)?;
            audit(
                tx,
                Some(&by.to_string()),
                "build_consensus",
                "annotation",
                Some(id),
                &serde_json::json!({
                    "method": new.method.as_str(),
                    "inputs": inputs.iter().map(|i| [i.annotation_id, i64::from(i.revision)]).collect::<Vec<_>>(),
                }),
            )?;
            Ok(id)
        })
    }

    /// A reviewer's correction of a consensus contour: a new revision, and
    /// the consensus becomes theirs.
    pub fn correct_consensus(
        &mut self,
        by: i64,
        consensus_id: i64,
        geometry: &Geometry,
    ) -> Result<u32, StoreError> {
        self.require(by, Permission::Review, "correct a consensus")?;
        let annotation = self.annotation(consensus_id)?;
        if annotation.source != Source::Consensus || annotation.removed {
            return Err(StoreError::Invalid(format!(
                "annotation {consensus_id} is not a live consensus"
            )));
        }
        self.write(|tx| {
            let revision = insert_revision(
                tx,
                consensus_id,
                &AnnotationEdit {
                    author_id: by,
                    geometry: Some(geometry.clone()),
                    mask: None,
                    status: AnnotationStatus::Submitted,
                },
            )?;
            tx.execute(
                "UPDATE annotations SET author_id = ?2 WHERE id = ?1",
                params![consensus_id, by],
            )?;
            Ok(revision)
        })
    }

    /// The consensus of one frame and structure, if built.
    pub fn consensus_of(
        &self,
        clip_id: i64,
        frame: u32,
        target: &str,
    ) -> Result<Option<ConsensusRecord>, StoreError> {
        let annotation = self
            .conn
            .query_row(
                &format!(
                    "{ANNOTATION_SELECT} WHERE a.clip_id = ?1 AND a.frame = ?2 AND a.target = ?3
                     AND a.source = 'consensus' AND a.removed_at IS NULL ORDER BY a.id DESC LIMIT 1"
                ),
                params![clip_id, frame, target],
                annotation_from_row,
            )
            .optional()?;
        annotation.map(|a| self.consensus_record(a)).transpose()
    }

    /// Every consensus of a clip (all clips with `None`), by clip, frame and structure.
    pub fn consensus_records(
        &self,
        clip_id: Option<i64>,
    ) -> Result<Vec<ConsensusRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{ANNOTATION_SELECT} WHERE a.source = 'consensus' AND a.removed_at IS NULL
             AND (?1 IS NULL OR a.clip_id = ?1) ORDER BY a.clip_id, a.frame, a.target"
        ))?;
        let annotations: Vec<Annotation> = statement
            .query_map([clip_id], annotation_from_row)?
            .collect::<Result<_, _>>()?;
        annotations
            .into_iter()
            .map(|a| self.consensus_record(a))
            .collect()
    }

    fn consensus_record(&self, annotation: Annotation) -> Result<ConsensusRecord, StoreError> {
        let (method, built_revision, built_by): (String, u32, String) = self.conn.query_row(
            "SELECT c.method, c.built_revision, p.name FROM consensus c
             JOIN annotators p ON p.id = c.built_by WHERE c.annotation_id = ?1",
            [annotation.id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let mut statement = self.conn.prepare(
            "SELECT input_id, input_revision FROM consensus_inputs WHERE consensus_id = ?1 ORDER BY input_id",
        )?;
        let inputs: Vec<ConsensusInput> = statement
            .query_map([annotation.id], |row| {
                Ok(ConsensusInput {
                    annotation_id: row.get(0)?,
                    revision: row.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let current: Vec<i64> = self
            .consensus_candidates(annotation.clip_id, annotation.frame, &annotation.target)?
            .iter()
            .map(|a| a.id)
            .collect();
        let mut stale = current != inputs.iter().map(|i| i.annotation_id).collect::<Vec<_>>();
        for input in &inputs {
            // A review decision is a revision too, but only a new outline counts.
            stale = stale
                || self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM annotation_revisions base
                        JOIN annotation_revisions r ON r.annotation_id = base.annotation_id
                        WHERE base.annotation_id = ?1 AND base.revision = ?2
                        AND r.revision > base.revision AND r.geometry != base.geometry)",
                    params![input.annotation_id, input.revision],
                    |row| row.get(0),
                )?;
        }
        Ok(ConsensusRecord {
            method: ConsensusMethod::parse(&method),
            built_by,
            corrected: annotation.revision > built_revision,
            stale,
            inputs,
            annotation,
        })
    }

    /// The annotations a consensus of this frame and structure is built
    /// from: every person's live submitted or accepted contour, by id.
    pub fn consensus_candidates(
        &self,
        clip_id: i64,
        frame: u32,
        target: &str,
    ) -> Result<Vec<Annotation>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{ANNOTATION_SELECT} WHERE a.clip_id = ?1 AND a.frame = ?2 AND a.target = ?3
             AND a.kind = 'contour' AND a.source IN ('human', 'model') AND a.removed_at IS NULL
             AND a.author_id IN (SELECT id FROM annotators WHERE system = 0)
             AND a.status IN ('submitted', 'accepted') ORDER BY a.id"
        ))?;
        let rows = statement.query_map(params![clip_id, frame, target], annotation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn record_inputs(
    tx: &Transaction<'_>,
    consensus_id: i64,
    inputs: &[ConsensusInput],
) -> Result<(), StoreError> {
    for input in inputs {
        tx.execute(
            "INSERT INTO consensus_inputs (consensus_id, input_id, input_revision) VALUES (?1, ?2, ?3)",
            params![consensus_id, input.annotation_id, input.revision],
        )?;
    }
    Ok(())
}
