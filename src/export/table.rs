//! The CSV export: `annotations.csv`, one row per annotation, and
//! `key_frames.csv`, one row per ED/ES mark. Column names carry their units
//! (`area_mm2`, `time_ms`); contours and keypoints are JSON arrays of
//! `[x, y]` pixel positions (x right, y down, pixel centres at +0.5).

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;

use super::folder::Staging;
use super::{ClipSelection, ExportError, ModelNames, WhoseLabels, patient_reference};
use crate::geometry::area;
use crate::store::{Project, Role};

const ANNOTATION_COLUMNS: [&str; 21] = [
    "clip",
    "sop_instance_uid",
    "patient",
    "frame",
    "time_ms",
    "kind",
    "structure",
    "author",
    "role",
    "status",
    "source",
    "model_version",
    "area_px",
    "area_mm2",
    "contour_points_px",
    "keypoints_px",
    "label",
    "value",
    "uncertainty",
    "revision",
    "updated_at",
];

const KEY_FRAME_COLUMNS: [&str; 8] = [
    "clip",
    "sop_instance_uid",
    "kind",
    "frame",
    "time_ms",
    "set_by",
    "author",
    "model_version",
];

/// The two open tables.
pub struct Tables {
    annotations: (PathBuf, csv::Writer<File>),
    key_frames: (PathBuf, csv::Writer<File>),
}

fn table_error(path: &std::path::Path, error: impl std::fmt::Display) -> ExportError {
    ExportError::Table {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

fn open(
    staging: &Staging,
    name: &str,
    columns: &[&str],
) -> Result<(PathBuf, csv::Writer<File>), ExportError> {
    let path = staging.file(name)?;
    let mut writer = csv::Writer::from_path(&path).map_err(|e| table_error(&path, e))?;
    writer
        .write_record(columns)
        .map_err(|e| table_error(&path, e))?;
    Ok((path, writer))
}

impl Tables {
    pub fn create(staging: &Staging) -> Result<Tables, ExportError> {
        Ok(Tables {
            annotations: open(staging, "annotations.csv", &ANNOTATION_COLUMNS)?,
            key_frames: open(staging, "key_frames.csv", &KEY_FRAME_COLUMNS)?,
        })
    }

    /// Writes a clip's rows; returns how many annotations and key frames.
    pub fn clip(
        &mut self,
        project: &Project,
        clip: &ClipSelection,
        roles: &HashMap<String, Role>,
        labels: &WhoseLabels,
        models: &mut ModelNames,
    ) -> Result<(usize, usize), ExportError> {
        let record = &clip.clip;
        let time = |frame: u32| {
            record
                .frame_time_ms
                .map(|ms| format!("{:.1}", f64::from(frame) * ms))
                .unwrap_or_default()
        };
        let patient = patient_reference(record);
        let (path, writer) = &mut self.annotations;
        for annotation in &clip.annotations {
            let contour = &annotation.geometry.contour;
            let (area_px, area_mm2) = if contour.len() >= 3 {
                let px = f64::from(area(contour));
                (
                    format!("{px:.1}"),
                    record
                        .mm_per_pixel
                        .map(|(x, y)| format!("{:.2}", px * x * y))
                        .unwrap_or_default(),
                )
            } else {
                (String::new(), String::new())
            };
            let points = |points: &[[f32; 2]]| {
                if points.is_empty() {
                    String::new()
                } else {
                    serde_json::to_string(points).expect("points serialise")
                }
            };
            let model = match annotation.model_version_id {
                Some(_) => models.name(project, annotation.model_version_id),
                None => String::new(),
            };
            writer
                .write_record([
                    clip.name.as_str(),
                    &record.sop_instance_uid,
                    &patient,
                    &annotation.frame.to_string(),
                    &time(annotation.frame),
                    annotation.kind.as_str(),
                    &annotation.target,
                    &annotation.author,
                    roles
                        .get(&annotation.author)
                        .map(|r| r.as_str())
                        .unwrap_or_default(),
                    annotation.status.as_str(),
                    annotation.source.as_str(),
                    &model,
                    &area_px,
                    &area_mm2,
                    &points(contour),
                    &points(&annotation.geometry.points),
                    annotation.geometry.label.as_deref().unwrap_or_default(),
                    &annotation
                        .geometry
                        .value
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    &annotation
                        .uncertainty
                        .map(|u| format!("{u:.5}"))
                        .unwrap_or_default(),
                    &annotation.revision.to_string(),
                    &annotation.updated_at,
                ])
                .map_err(|e| table_error(path, e))?;
        }
        let (path, writer) = &mut self.key_frames;
        let mut key_frames = 0;
        // One person's export has their marks; a combined set's those on
        // the frames it holds (not every reader's marks of the clip).
        let held = |frame: u32| {
            clip.sets
                .iter()
                .any(|set| set.contours.contains_key(&frame))
        };
        for key in &clip.key_frames {
            let wanted = match labels {
                WhoseLabels::Everyone => true,
                WhoseLabels::Annotator(name) => key.author == *name,
                WhoseLabels::Consensus | WhoseLabels::Training => held(key.frame),
            };
            if !wanted {
                continue;
            }
            let model = match key.model_version_id {
                Some(_) => models.name(project, key.model_version_id),
                None => String::new(),
            };
            writer
                .write_record([
                    clip.name.as_str(),
                    &record.sop_instance_uid,
                    key.kind.as_str(),
                    &key.frame.to_string(),
                    &time(key.frame),
                    key.set_by.as_str(),
                    &key.author,
                    &model,
                ])
                .map_err(|e| table_error(path, e))?;
            key_frames += 1;
        }
        Ok((clip.annotations.len(), key_frames))
    }

    /// Flushes both tables to disk.
    pub fn finish(self) -> Result<(), ExportError> {
        for (path, mut writer) in [self.annotations, self.key_frames] {
            writer.flush().map_err(|e| table_error(&path, e))?;
        }
        Ok(())
    }
}
