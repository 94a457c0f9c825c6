//! Exports of a project's annotations in formats other tools read: DICOM
//! Segmentation, NIfTI volumes, the CAMUS, nnU-Net v2 and PNG training
//! layouts, and CSV tables.
//!
//! An export takes what the [`Filters`] select ([`selection`]), writes it
//! into a hidden folder beside the target ([`folder`]), writes a
//! `manifest.json` last (what, from which project, with which filters, the
//! EchoLabel version and counts), and only then moves the folder into place.
//! Nothing identifying leaves: files carry the project's pseudonymous patient
//! reference and `clipNNNN` names, never a name, ID, birth date or file name,
//! and images are blanked outside the clip's ultrasound regions, where
//! scanners burn names and dates into the pixels (unless asked not to).

mod dicom_seg;
mod folder;
mod layouts;
mod pictures;
mod selection;
mod table;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

pub use dicom_seg::{Origin, structure_code, structure_of_code};
pub use folder::MANIFEST;
pub use selection::{
    ClipSelection, Filters, FrameFilter, LabelSet, Selection, StatusFilter, WhoseLabels, select,
};

use crate::dicom::{Clip, ClipError};
use crate::store::{ClipRecord, Project, StoreError};

/// The formats an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ExportFormat {
    #[serde(rename = "dicom-seg")]
    DicomSeg,
    #[serde(rename = "nifti")]
    Nifti,
    #[serde(rename = "camus")]
    Camus,
    #[serde(rename = "nnunet")]
    NnUnet,
    #[serde(rename = "png")]
    Png,
    #[serde(rename = "csv")]
    Csv,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::DicomSeg,
        ExportFormat::Nifti,
        ExportFormat::Camus,
        ExportFormat::NnUnet,
        ExportFormat::Png,
        ExportFormat::Csv,
    ];

    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::DicomSeg => "dicom-seg",
            ExportFormat::Nifti => "nifti",
            ExportFormat::Camus => "camus",
            ExportFormat::NnUnet => "nnunet",
            ExportFormat::Png => "png",
            ExportFormat::Csv => "csv",
        }
    }

    /// What a person picking a format reads.
    pub fn describe(self) -> &'static str {
        match self {
            ExportFormat::DicomSeg => {
                "DICOM Segmentation: one SEG per clip and author (PACS, viewers)"
            }
            ExportFormat::Nifti => "NIfTI: label and image volumes per clip (rows × cols × frames)",
            ExportFormat::Camus => "CAMUS layout: ED and ES frames per clip (patientXXXX_4CH_ED…)",
            ExportFormat::NnUnet => "nnU-Net v2 raw dataset (imagesTr, labelsTr, dataset.json)",
            ExportFormat::Png => "PNG images and class masks (images/, masks/)",
            ExportFormat::Csv => "CSV tables: annotations and key frames",
        }
    }

    /// Whether the format writes pixels of the clip (and so blanks outside
    /// the ultrasound regions).
    pub fn writes_images(self) -> bool {
        matches!(
            self,
            ExportFormat::Nifti | ExportFormat::Camus | ExportFormat::NnUnet | ExportFormat::Png
        )
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        crate::export::parse_choice(text, &ExportFormat::ALL, ExportFormat::as_str)
    }
}

/// The one of `all` whose `name` is `text`, or a sentence listing them all
/// (the command line's parser for the small vocabularies of exports and imports).
pub fn parse_choice<T: Copy>(
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&item| name(item) == text)
        .ok_or_else(|| {
            format!(
                "{text:?} is not one of: {}",
                all.iter()
                    .map(|&item| name(item))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub out: PathBuf,
    pub filters: Filters,
    /// Replace `out` when it holds an earlier export.
    pub replace: bool,
    /// Keep the pixels outside the ultrasound regions (names and dates the
    /// scanner burned in stay visible).
    pub keep_outside_regions: bool,
}

/// Why an export failed. Nothing of a failed export is left in place.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The project's model could not be read (a training-labels export
    /// needs its structures).
    #[error(transparent)]
    Model(#[from] crate::modelling::TaskError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: the folder is not empty; choose an empty or new folder, or replace an earlier export",
        .0.display()
    )]
    NotEmpty(PathBuf),
    #[error(
        "{}: the folder is not empty and holds no earlier EchoLabel export (no manifest.json); it is never replaced",
        .0.display()
    )]
    NotAnExport(PathBuf),
    #[error("{}: not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{}: cannot write the DICOM file: {message}", path.display())]
    Dicom { path: PathBuf, message: String },
    #[error("{}: cannot write the NIfTI file: {message}", path.display())]
    Nifti { path: PathBuf, message: String },
    #[error("{}: cannot write the image: {message}", path.display())]
    Image { path: PathBuf, message: String },
    #[error("{}: cannot write the table: {message}", path.display())]
    Table { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("nothing to export: no annotation matches the filters")]
    Nothing,
    #[error("the export was cancelled; nothing was written")]
    Cancelled,
}

/// The counts a manifest reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub clips: usize,
    pub label_sets: usize,
    /// Labelled frames written (a frame of two authors counts twice).
    pub frames: usize,
    pub annotations: usize,
    pub key_frames: usize,
    pub files: usize,
}

/// A label set in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestSet {
    pub name: String,
    pub author: String,
    pub role: Option<String>,
    /// The clip frames (0-based) it labels.
    pub frames: Vec<u32>,
    pub end_diastole: Option<u32>,
    pub end_systole: Option<u32>,
    /// For a combined set (consensus, training), who made each frame's
    /// contours, by frame.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub authors_by_frame: std::collections::BTreeMap<u32, Vec<String>>,
    /// Its files, relative to the export folder.
    pub files: Vec<String>,
}

/// A clip in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestClip {
    pub name: String,
    pub sop_instance_uid: String,
    /// The project's pseudonymous patient reference.
    pub patient: String,
    pub frames: u32,
    pub rows: u32,
    pub cols: u32,
    pub mm_per_pixel: Option<(f64, f64)>,
    pub frame_time_ms: Option<f64>,
    /// Burned In Annotation (0028,0301) as the file says, if it says.
    pub burned_in_annotation: Option<String>,
    /// Whether the image files were blanked outside the ultrasound regions.
    pub outside_regions_blanked: bool,
    pub label_sets: Vec<ManifestSet>,
    /// Files of the clip itself (the NIfTI image volume).
    pub files: Vec<String>,
}

/// `manifest.json`: what an export holds and how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub echolabel_version: &'static str,
    pub format: ExportFormat,
    /// Seconds since 1970 (UTC) when the export was written.
    pub created_unix: u64,
    /// The project folder's name.
    pub project: String,
    pub filters: Filters,
    /// The training-label setting a `training` export followed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_labels: Option<String>,
    pub keep_outside_regions: bool,
    /// Mask values: class `i` is `classes[i]` (0 the background).
    pub classes: Vec<String>,
    pub counts: Counts,
    pub clips: Vec<ManifestClip>,
    /// What could not be exported, and why (the rest was).
    pub skipped: Vec<String>,
}

/// A finished export.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub manifest: Manifest,
}

/// How an export reports progress: `(done, total, what is being written)`.
pub type ExportProgress<'a> = &'a mut dyn FnMut(usize, usize, &str);

/// Exports what `request` selects from `project`. `progress` is called
/// before each clip; setting `cancel` stops at the next clip and discards
/// everything written so far.
pub fn export(
    project: &Project,
    request: &ExportRequest,
    progress: ExportProgress<'_>,
    cancel: &AtomicBool,
) -> Result<ExportSummary, ExportError> {
    let selection = select(project, &request.filters)?;
    if selection.clips.is_empty() {
        return Err(ExportError::Nothing);
    }
    let staging = folder::Staging::begin(&request.out, request.replace)?;
    let mut manifest = Manifest {
        echolabel_version: env!("CARGO_PKG_VERSION"),
        format: request.format,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        project: project
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        filters: Filters {
            // The training-label setting chose, not the statuses.
            statuses: match request.filters.labels {
                WhoseLabels::Training => Default::default(),
                _ => request.filters.statuses.clone(),
            },
            ..request.filters.clone()
        },
        training_labels: selection.training_labels.clone(),
        keep_outside_regions: request.keep_outside_regions,
        classes: selection.classes(),
        counts: Counts::default(),
        clips: Vec::new(),
        skipped: Vec::new(),
    };
    let mut writer = layouts::Writer::new(project, &selection, request, &staging);
    let total = selection.clips.len();
    for (index, clip) in selection.clips.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        progress(index, total, &clip.name);
        match writer.clip(clip) {
            Ok(Some(entry)) => manifest.clips.push(entry),
            Ok(None) => {}
            // A clip whose file is gone or unreadable is reported; the rest go on.
            Err(ExportError::Invalid(message)) => manifest.skipped.push(message),
            Err(error) => return Err(error),
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(ExportError::Cancelled);
    }
    progress(total, total, MANIFEST);
    writer.finish()?;
    manifest.skipped.append(&mut writer.skipped);
    manifest.counts = writer.counts.clone();
    manifest.counts.clips = manifest.clips.len();
    if manifest.counts.files == 0 {
        return Err(if manifest.skipped.is_empty() {
            ExportError::Nothing
        } else {
            ExportError::Invalid(format!(
                "nothing could be exported: {}",
                manifest.skipped.join("; ")
            ))
        });
    }
    let path = staging.file(MANIFEST)?;
    let json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    std::fs::write(&path, json).map_err(|source| ExportError::Io { path, source })?;
    let out = staging.commit()?;
    Ok(ExportSummary { out, manifest })
}

/// The project's pseudonymous reference for a clip's patient: a prefix of
/// the salted patient hash, the same for every clip of one patient.
pub fn patient_reference(clip: &ClipRecord) -> String {
    match &clip.patient_hash {
        Some(hash) if !hash.is_empty() => {
            format!("EL-{}", hash.chars().take(12).collect::<String>())
        }
        _ => "EL-unknown".to_string(),
    }
}

/// The decoded clip of a record, or an [`ExportError::Invalid`] that names
/// the file (the export goes on without it).
fn open_clip(project: &Project, clip: &ClipRecord) -> Result<Clip, ExportError> {
    let path = project.clip_file(clip);
    Clip::open(&path, project.salt()).map_err(|e| skipped(&path, clip, e))
}

/// A clip left out, said without its file's path: the reason goes into the
/// manifest, and a path can name the patient.
fn skipped(path: &Path, clip: &ClipRecord, error: ClipError) -> ExportError {
    ExportError::Invalid(format!(
        "clip{:04}: {}",
        clip.id,
        without_path(path, &error.to_string())
    ))
}

/// `message` with every mention of `path` replaced by "the clip's file".
fn without_path(path: &Path, message: &str) -> String {
    message.replace(&path.display().to_string(), "the clip's file")
}

/// Model version names by id, looked up once.
#[derive(Default)]
struct ModelNames(HashMap<i64, String>);

impl ModelNames {
    fn name(&mut self, project: &Project, id: Option<i64>) -> String {
        let Some(id) = id else {
            return "EchoLabel model".to_string();
        };
        self.0
            .entry(id)
            .or_insert_with(|| {
                project
                    .model_version(id)
                    .map(|v| format!("EchoLabel {}", v.name))
                    .unwrap_or_else(|_| format!("EchoLabel model {id}"))
            })
            .clone()
    }
}

/// A relative path as the manifest writes it (forward slashes).
pub(crate) fn relative(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
