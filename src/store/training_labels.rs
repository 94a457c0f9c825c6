//! The project setting that says whose labels teach the model when several
//! people labelled a frame: training, active-learning rounds and exports all
//! read it (see `modelling::training_sets`). Whether accepted
//! pseudo-labels join is the separate [`super::PseudoLabelPolicy`].

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::access::Permission;
use super::{Project, StoreError, audit};

/// Per frame, the first of these that gives a complete set of structures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingLabels {
    /// The frame's consensus annotations, where built.
    pub consensus: bool,
    /// Else a person's set that a reviewer accepted in full.
    pub reviewer_accepted: bool,
    /// Else whose finished (submitted or accepted) set.
    pub otherwise: LastResort,
}

/// Whose finished work trains a frame that has no consensus or accepted set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum LastResort {
    /// Anyone's: the set of the person added to the project first.
    Anyone,
    /// This person's only.
    Annotator(String),
    /// Nobody's: unreviewed work does not train.
    Nobody,
}

impl Default for TrainingLabels {
    fn default() -> Self {
        TrainingLabels {
            consensus: true,
            reviewer_accepted: true,
            otherwise: LastResort::Anyone,
        }
    }
}

impl std::fmt::Display for TrainingLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.consensus {
            parts.push("consensus".to_string());
        }
        if self.reviewer_accepted {
            parts.push("reviewer-accepted".to_string());
        }
        match &self.otherwise {
            LastResort::Anyone => parts.push("anyone's finished work".into()),
            LastResort::Annotator(name) => parts.push(format!("{name}'s finished work")),
            LastResort::Nobody => {}
        }
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", else "))
        }
    }
}

const KEY: &str = "training_labels";

impl Project {
    pub fn training_labels(&self) -> Result<TrainingLabels, StoreError> {
        self.setting(KEY)
    }

    /// Changes the setting; for an admin. A named annotator must exist.
    pub fn set_training_labels(
        &mut self,
        by: i64,
        labels: &TrainingLabels,
    ) -> Result<(), StoreError> {
        self.require(by, Permission::Administer, "change project settings")?;
        if let LastResort::Annotator(name) = &labels.otherwise {
            self.annotator_id(name)?;
        }
        let value = serde_json::to_string(labels).expect("settings serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO project_meta (key, value) VALUES (?1, ?2)",
                params![KEY, value],
            )?;
            audit(
                tx,
                Some(&by.to_string()),
                "update",
                "project_setting",
                None,
                &serde_json::json!({ KEY: labels }),
            )
        })
    }
}
