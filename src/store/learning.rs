//! Model versions and active-learning rounds: what each model was trained on
//! and how it scored, and for each round its strategy, seed, every frame's
//! score and which frames were sent to annotators, so a round can be reproduced.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::annotations::insert_annotation;
use super::{NewAnnotation, Project, StoreError, audit};

/// A trained model checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelVersion {
    pub id: i64,
    pub name: String,
    pub architecture: String,
    /// Relative to the project folder.
    pub checkpoint_path: String,
    /// The version it was warm-started from.
    pub parent_id: Option<i64>,
    /// Annotation ids it was trained on.
    pub training_set: Vec<i64>,
    /// Validation metrics, e.g. `{"dice_lv": 0.91}`.
    pub metrics: serde_json::Value,
    pub created_at: String,
}

/// A new active-learning round.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub strategy: String,
    pub seed: Option<u64>,
    /// Frames to query.
    pub budget: u32,
    pub model_version_id: Option<i64>,
    pub parameters: serde_json::Value,
    /// `(clip id, frame, score)` for every scored frame of the pool.
    pub scores: Vec<(i64, u32, f64)>,
    /// The `(clip id, frame)` pairs sent to annotators, in asking order.
    pub queried: Vec<(i64, u32)>,
}

/// A stored round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    pub id: i64,
    pub strategy: String,
    pub seed: Option<u64>,
    pub budget: u32,
    pub model_version_id: Option<i64>,
    pub parameters: serde_json::Value,
    pub created_at: String,
}

/// One scored frame of a stored round, best rank first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundScore {
    pub clip_id: i64,
    pub frame: u32,
    pub score: f64,
    /// 1 for the highest score.
    pub rank: u32,
    pub queried: bool,
}

impl Project {
    /// Records a trained model; returns its id.
    pub fn add_model_version(
        &mut self,
        name: &str,
        architecture: &str,
        checkpoint_path: &str,
        parent_id: Option<i64>,
        training_set: &[i64],
        metrics: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let training = serde_json::to_string(training_set).expect("ids serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO model_versions (name, architecture, checkpoint_path, parent_id, training_set, metrics)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, architecture, checkpoint_path, parent_id, training, metrics.to_string()],
            )?;
            let id = tx.last_insert_rowid();
            audit(tx, None, "create", "model_version", Some(id), &serde_json::json!({ "name": name }))?;
            Ok(id)
        })
    }

    pub fn model_version(&self, id: i64) -> Result<ModelVersion, StoreError> {
        self.conn
            .query_row(
                &format!("{MODEL_SELECT} WHERE id = ?1"),
                [id],
                model_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "model version",
                name: id.to_string(),
            })
    }

    /// Every model version, oldest first.
    pub fn model_versions(&self) -> Result<Vec<ModelVersion>, StoreError> {
        let mut statement = self.conn.prepare(&format!("{MODEL_SELECT} ORDER BY id"))?;
        let rows = statement.query_map([], model_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a round with its scores and queried frames.
    pub fn record_round(&mut self, round: &NewRound) -> Result<i64, StoreError> {
        Ok(self.record_round_with(round, &[])?.0)
    }

    /// Stores a round, its scores and the pseudo-labels it made, in one
    /// transaction: all of it or nothing. Ranks: the queried frames first,
    /// in the order they are asked for, then the others by descending score.
    /// A pseudo-label whose frame someone finished labelling in the meantime
    /// is left out. Returns the round's id and the pseudo-labels stored.
    pub fn record_round_with(
        &mut self,
        round: &NewRound,
        pseudo_labels: &[NewAnnotation],
    ) -> Result<(i64, usize), StoreError> {
        let mut ranked: Vec<(i64, u32, f64)> = round
            .queried
            .iter()
            .filter_map(|q| round.scores.iter().find(|s| (s.0, s.1) == *q).copied())
            .collect();
        let mut rest: Vec<(i64, u32, f64)> = round
            .scores
            .iter()
            .filter(|s| !round.queried.contains(&(s.0, s.1)))
            .copied()
            .collect();
        rest.sort_by(|a, b| b.2.total_cmp(&a.2));
        ranked.extend(rest);
        let seed = round.seed.map(|s| s as i64);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO al_rounds (strategy, seed, budget, model_version_id, parameters)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![round.strategy, seed, round.budget, round.model_version_id, round.parameters.to_string()],
            )?;
            let id = tx.last_insert_rowid();
            let mut insert = tx.prepare(
                "INSERT INTO al_scores (round_id, clip_id, frame, score, rank, queried) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (rank, (clip, frame, score)) in ranked.iter().enumerate() {
                let queried = round.queried.contains(&(*clip, *frame));
                insert.execute(params![id, clip, frame, score, rank as i64 + 1, queried])?;
            }
            let mut stored = 0;
            for pseudo in pseudo_labels {
                let finished: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM annotations WHERE clip_id = ?1 AND frame = ?2
                     AND removed_at IS NULL AND source != 'pseudo_label'
                     AND status IN ('submitted', 'accepted'))",
                    params![pseudo.clip_id, pseudo.frame],
                    |row| row.get(0),
                )?;
                if !finished {
                    insert_annotation(tx, pseudo)?;
                    stored += 1;
                }
            }
            audit(
                tx,
                None,
                "create",
                "al_round",
                Some(id),
                &serde_json::json!({
                    "strategy": round.strategy,
                    "seed": round.seed,
                    "queried": round.queried.len(),
                    "pseudo_labels": stored,
                }),
            )?;
            Ok((id, stored))
        })
    }

    /// Every round, oldest first.
    pub fn rounds(&self) -> Result<Vec<Round>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT id, strategy, seed, budget, model_version_id, parameters, created_at
             FROM al_rounds ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            let parameters: String = row.get(5)?;
            Ok(Round {
                id: row.get(0)?,
                strategy: row.get(1)?,
                seed: row.get::<_, Option<i64>>(2)?.map(|s| s as u64),
                budget: row.get(3)?,
                model_version_id: row.get(4)?,
                parameters: serde_json::from_str(&parameters).unwrap_or_default(),
                created_at: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The scores of a stored round, best first.
    pub fn round_scores(&self, round_id: i64) -> Result<Vec<RoundScore>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT clip_id, frame, score, rank, queried FROM al_scores WHERE round_id = ?1 ORDER BY rank",
        )?;
        let rows = statement.query_map([round_id], |row| {
            Ok(RoundScore {
                clip_id: row.get(0)?,
                frame: row.get(1)?,
                score: row.get(2)?,
                rank: row.get(3)?,
                queried: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

const MODEL_SELECT: &str =
    "SELECT id, name, architecture, checkpoint_path, parent_id, training_set, metrics, created_at
     FROM model_versions";

fn model_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ModelVersion> {
    let training: String = row.get(5)?;
    let metrics: String = row.get(6)?;
    Ok(ModelVersion {
        id: row.get(0)?,
        name: row.get(1)?,
        architecture: row.get(2)?,
        checkpoint_path: row.get(3)?,
        parent_id: row.get(4)?,
        training_set: serde_json::from_str(&training).unwrap_or_default(),
        metrics: serde_json::from_str(&metrics).unwrap_or_default(),
        created_at: row.get(7)?,
    })
}
