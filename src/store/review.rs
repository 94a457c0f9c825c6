//! Pseudo-labels under review, and the project setting that decides whether
//! accepted ones teach the next model.
//!
//! A pseudo-label is a model's annotation made during an active-learning
//! round (source `pseudo_label`, status draft). A reviewer accepts or
//! rejects it, one at a time or many at once; either decision is a new
//! revision by the reviewer, so who decided what stays on record.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::access::Permission;
use super::annotations::{ANNOTATION_SELECT, annotation_from_row, insert_revision};
use super::{Annotation, AnnotationEdit, AnnotationStatus, Project, StoreError};

/// Whether accepted pseudo-labels join the training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PseudoLabelPolicy {
    /// Once a reviewer accepted them (the default).
    #[default]
    WhenAccepted,
    /// Never: only people's annotations teach the model.
    Never,
}

const POLICY_KEY: &str = "pseudo_label_policy";

impl Project {
    pub fn pseudo_label_policy(&self) -> Result<PseudoLabelPolicy, StoreError> {
        self.setting(POLICY_KEY)
    }

    /// Changes the setting; a project setting, so for an admin.
    pub fn set_pseudo_label_policy(
        &mut self,
        by: i64,
        policy: PseudoLabelPolicy,
    ) -> Result<(), StoreError> {
        self.require(by, Permission::Administer, "change project settings")?;
        self.write_pseudo_label_policy(Some(by), policy)
    }

    /// The setting as a journal written before roles were enforced asks:
    /// applied only while the project has no admin (as then), else refused.
    pub fn set_pseudo_label_policy_unattributed(
        &mut self,
        policy: PseudoLabelPolicy,
    ) -> Result<(), StoreError> {
        if !self.admins()?.is_empty() {
            return Err(StoreError::Invalid(
                "a training-policy change saved before roles were enforced names no one; an admin must make it again".into(),
            ));
        }
        self.write_pseudo_label_policy(None, policy)
    }

    fn write_pseudo_label_policy(
        &mut self,
        by: Option<i64>,
        policy: PseudoLabelPolicy,
    ) -> Result<(), StoreError> {
        let value = serde_json::to_string(&policy).expect("enums serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO project_meta (key, value) VALUES (?1, ?2)",
                params![POLICY_KEY, value],
            )?;
            super::audit(
                tx,
                by.map(|by| by.to_string()).as_deref(),
                "update",
                "project_setting",
                None,
                &serde_json::json!({ POLICY_KEY: policy }),
            )?;
            Ok(())
        })
    }

    /// Live pseudo-labels with one of `statuses`, most confident (lowest
    /// uncertainty) first.
    pub fn pseudo_labels(
        &self,
        statuses: &[AnnotationStatus],
    ) -> Result<Vec<Annotation>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{ANNOTATION_SELECT} WHERE a.source = 'pseudo_label' AND a.removed_at IS NULL
             ORDER BY a.uncertainty IS NULL, a.uncertainty, a.clip_id, a.frame, a.id"
        ))?;
        let rows = statement.query_map([], annotation_from_row)?;
        let all: Vec<Annotation> = rows.collect::<Result<_, _>>()?;
        Ok(all
            .into_iter()
            .filter(|a| statuses.contains(&a.status))
            .collect())
    }

    /// Accepts or rejects pseudo-labels in one transaction (all or none);
    /// returns how many changed. Anything but a pseudo-label is refused, and
    /// so is anyone but a reviewer or an admin.
    pub fn review_pseudo_labels(
        &mut self,
        ids: &[i64],
        reviewer_id: i64,
        decision: AnnotationStatus,
    ) -> Result<usize, StoreError> {
        if !matches!(
            decision,
            AnnotationStatus::Accepted | AnnotationStatus::Rejected
        ) {
            return Err(StoreError::Invalid(
                "a review accepts or rejects a pseudo-label".into(),
            ));
        }
        self.require(reviewer_id, Permission::Review, "decide on pseudo-labels")?;
        self.write(|tx| {
            let mut changed = 0;
            for &id in ids {
                let (source, status): (String, AnnotationStatus) = tx
                    .query_row(
                        "SELECT source, status FROM annotations WHERE id = ?1 AND removed_at IS NULL",
                        [id],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound {
                        what: "pseudo-label",
                        name: id.to_string(),
                    })?;
                if source != "pseudo_label" {
                    return Err(StoreError::Invalid(format!(
                        "annotation {id} is not a pseudo-label"
                    )));
                }
                if status == decision {
                    continue;
                }
                insert_revision(
                    tx,
                    id,
                    &AnnotationEdit {
                        author_id: reviewer_id,
                        geometry: None,
                        mask: None,
                        status: decision,
                    },
                )?;
                changed += 1;
            }
            Ok(changed)
        })
    }
}
