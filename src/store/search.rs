//! Finding clips and frames: by collection and DICOM attributes (clip level),
//! and by annotator, status, source, label, structure and uncertainty (frame level).

use std::collections::BTreeMap;

use rusqlite::ToSql;
use serde::Serialize;

use super::catalog::{CLIP_COLUMNS, ClipRecord, clip_from_row};
use super::model::{AnnotationKind, AnnotationStatus, Source};
use super::{Project, StoreError};

/// Search filters; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub collection: Option<String>,
    pub annotator: Option<String>,
    pub status: Option<AnnotationStatus>,
    pub source: Option<Source>,
    /// An image-level label value (label annotations whose chosen label is this).
    pub label: Option<String>,
    /// A contour structure name, e.g. `lv_endocardium`.
    pub structure: Option<String>,
    /// Uncertainty range: a model annotation's uncertainty, or the frame's score
    /// in the most recent active-learning round.
    pub uncertainty_min: Option<f64>,
    pub uncertainty_max: Option<f64>,
    pub modality: Option<String>,
    pub manufacturer: Option<String>,
    /// Study date range, `YYYYMMDD`, inclusive.
    pub date_from: Option<String>,
    pub date_to: Option<String>,
}

/// Adds a bound value and returns its placeholder.
fn bind(values: &mut Vec<Box<dyn ToSql>>, value: Box<dyn ToSql>) -> String {
    values.push(value);
    format!("?{}", values.len())
}

/// One matching clip and, for frame-level filters, its matching frames.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub clip: ClipRecord,
    pub frames: Vec<u32>,
}

impl SearchQuery {
    fn annotation_filtered(&self) -> bool {
        self.annotator.is_some()
            || self.status.is_some()
            || self.source.is_some()
            || self.label.is_some()
            || self.structure.is_some()
    }

    fn uncertainty_filtered(&self) -> bool {
        self.uncertainty_min.is_some() || self.uncertainty_max.is_some()
    }
}

impl Project {
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(collection) = &query.collection {
            let p = bind(&mut values, Box::new(collection.clone()));
            conditions.push(format!(
                "clips.id IN (SELECT cc.clip_id FROM collection_clips cc JOIN collections c ON c.id = cc.collection_id WHERE c.name = {p})"
            ));
        }
        for (column, value) in [
            ("modality", &query.modality),
            ("manufacturer", &query.manufacturer),
        ] {
            if let Some(value) = value {
                let p = bind(&mut values, Box::new(value.clone()));
                conditions.push(format!("clips.{column} = {p} COLLATE NOCASE"));
            }
        }
        if let Some(from) = &query.date_from {
            let p = bind(&mut values, Box::new(from.clone()));
            conditions.push(format!("clips.study_date >= {p}"));
        }
        if let Some(to) = &query.date_to {
            let p = bind(&mut values, Box::new(to.clone()));
            conditions.push(format!("clips.study_date <= {p}"));
        }
        let range = query.uncertainty_filtered().then(|| {
            let min = bind(
                &mut values,
                Box::new(query.uncertainty_min.unwrap_or(f64::NEG_INFINITY)),
            );
            let max = bind(
                &mut values,
                Box::new(query.uncertainty_max.unwrap_or(f64::INFINITY)),
            );
            format!("BETWEEN {min} AND {max}")
        });
        let frame_sql = if query.annotation_filtered() {
            let mut annotation_conditions = Vec::new();
            if let Some(name) = &query.annotator {
                let p = bind(&mut values, Box::new(name.clone()));
                annotation_conditions.push(format!(
                    "a.author_id = (SELECT id FROM annotators WHERE name = {p})"
                ));
            }
            if let Some(status) = query.status {
                let p = bind(&mut values, Box::new(status));
                annotation_conditions.push(format!("a.status = {p}"));
            }
            if let Some(source) = query.source {
                let p = bind(&mut values, Box::new(source));
                annotation_conditions.push(format!("a.source = {p}"));
            }
            if let Some(structure) = &query.structure {
                let p = bind(&mut values, Box::new(structure.clone()));
                let kind = bind(&mut values, Box::new(AnnotationKind::Contour));
                annotation_conditions.push(format!("a.target = {p} AND a.kind = {kind}"));
            }
            if let Some(label) = &query.label {
                let p = bind(&mut values, Box::new(label.clone()));
                let kind = bind(&mut values, Box::new(AnnotationKind::Label));
                annotation_conditions.push(format!(
                    "a.kind = {kind} AND json_extract(r.geometry, '$.label') = {p}"
                ));
            }
            if let Some(range) = &range {
                annotation_conditions.push(format!("a.uncertainty {range}"));
            }
            Some(format!(
                "SELECT a.clip_id, a.frame FROM annotations a JOIN annotation_revisions r
                 ON r.annotation_id = a.id AND r.revision = a.revision
                 WHERE a.removed_at IS NULL AND {}",
                annotation_conditions.join(" AND ")
            ))
        } else {
            range.map(|range| {
                format!(
                    "SELECT a.clip_id, a.frame FROM annotations a
                     WHERE a.removed_at IS NULL AND a.uncertainty {range}
                     UNION SELECT s.clip_id, s.frame FROM al_scores s
                     WHERE s.round_id = (SELECT MAX(id) FROM al_rounds) AND s.score {range}"
                )
            })
        };
        let clip_filter = if conditions.is_empty() {
            "1".to_string()
        } else {
            conditions.join(" AND ")
        };
        let sql = match &frame_sql {
            Some(frames) => format!(
                "SELECT {CLIP_COLUMNS}, f.frame FROM clips JOIN ({frames}) f ON f.clip_id = clips.id
                 WHERE {clip_filter} GROUP BY clips.id, f.frame ORDER BY clips.path, f.frame"
            ),
            None => format!(
                "SELECT {CLIP_COLUMNS}, NULL FROM clips WHERE {clip_filter} ORDER BY clips.path"
            ),
        };
        let mut statement = self.conn.prepare(&sql)?;
        let params: Vec<&dyn ToSql> = values.iter().map(|v| v.as_ref()).collect();
        let frame_column = CLIP_COLUMNS.split(',').count();
        let rows = statement.query_map(params.as_slice(), |row| {
            Ok((
                clip_from_row(row)?,
                row.get::<_, Option<u32>>(frame_column)?,
            ))
        })?;
        let mut hits: BTreeMap<i64, SearchHit> = BTreeMap::new();
        let mut order = Vec::new();
        for row in rows {
            let (clip, frame) = row?;
            let hit = hits.entry(clip.id).or_insert_with(|| {
                order.push(clip.id);
                SearchHit {
                    clip,
                    frames: Vec::new(),
                }
            });
            hit.frames.extend(frame);
        }
        let mut found: Vec<SearchHit> = order
            .into_iter()
            .filter_map(|id| hits.remove(&id))
            .map(|hit| SearchHit {
                clip: self.reveal(hit.clip),
                frames: hit.frames,
            })
            .collect();
        // The database ordered sealed paths; order by the paths themselves.
        found.sort_by(|a, b| a.clip.path.cmp(&b.clip.path));
        Ok(found)
    }
}
