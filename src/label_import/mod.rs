//! Imports of labels that exist already (a public dataset's masks, another
//! site's segmentations, an earlier EchoLabel export) as a person's
//! submitted contours.
//!
//! Each label file is matched to its clip ([`matching`]), its masks are
//! checked against the clip's size and frame count, traced into editable
//! contours with the editor's own tracing ([`crate::geometry::region_contours`]),
//! and stored in one transaction: a file lands whole or not at all, and a
//! file that fails is reported by name while the others go on.

mod matching;
mod seg_reader;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::geometry::{Mask, region_contours};
use crate::model::config::CAMUS_CLASSES;
use crate::model::dataset::{DatasetError, read_volume, volume_dims};
use crate::store::{
    AnnotationStatus, ClipRecord, ContourKey, Geometry, KeyFrameKind, Permission, Project, Role,
    StoreError,
};

/// The tolerance, in pixels, contours are traced at by default: the one
/// model proposals use, so an imported outline has as few vertices to drag
/// as a proposal. At 0 the traced contour's fill is exactly the mask.
pub const DEFAULT_TOLERANCE: f32 = 0.8;

/// The formats labels are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LabelFormat {
    /// `masks/NAME_FRAME.png` class masks (the PNG export's layout).
    #[serde(rename = "png")]
    Png,
    /// Label volumes per clip, `[rows, cols, frames]` or `[cols, rows, frames]`.
    #[serde(rename = "nifti")]
    Nifti,
    /// `patientXXXX_VIEW_{ED,ES}_gt.nii.gz` masks.
    #[serde(rename = "camus")]
    Camus,
    /// DICOM Segmentations of the project's clips.
    #[serde(rename = "dicom-seg")]
    DicomSeg,
}

impl LabelFormat {
    pub const ALL: [LabelFormat; 4] = [
        LabelFormat::Png,
        LabelFormat::Nifti,
        LabelFormat::Camus,
        LabelFormat::DicomSeg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelFormat::Png => "png",
            LabelFormat::Nifti => "nifti",
            LabelFormat::Camus => "camus",
            LabelFormat::DicomSeg => "dicom-seg",
        }
    }
}

impl std::str::FromStr for LabelFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        crate::export::parse_choice(text, &LabelFormat::ALL, LabelFormat::as_str)
    }
}

/// What to import.
#[derive(Debug, Clone)]
pub struct LabelImportRequest {
    /// The admin importing (importing is for an admin).
    pub by: i64,
    /// A folder of label files, or one file.
    pub path: PathBuf,
    pub format: LabelFormat,
    /// Whose submitted contours they become (added as an annotator if new).
    pub annotator: String,
    /// A CSV of `name,sop_instance_uid[,ed_frame,es_frame]` for names that
    /// are not the project's clip file names.
    pub mapping: Option<PathBuf>,
    /// Tracing tolerance in pixels ([`DEFAULT_TOLERANCE`]).
    pub tolerance: f32,
}

/// Why a file (or the whole import) failed.
#[derive(Debug, thiserror::Error)]
pub enum LabelImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    Dataset(#[from] DatasetError),
}

/// A file that was imported.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedFile {
    pub file: PathBuf,
    pub clip: String,
    pub frames: usize,
    pub contours: usize,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelImportSummary {
    pub imported: Vec<ImportedFile>,
    /// `(file, reason)` of each file of which nothing was imported.
    pub failed: Vec<(PathBuf, String)>,
    /// What was left out of files that were imported (unknown segments…).
    pub notes: Vec<String>,
    /// Whether the annotator was new to the project.
    pub annotator_added: bool,
    pub cancelled: bool,
}

impl std::fmt::Display for LabelImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} file(s): {} contour(s) on {} frame(s); {} file(s) failed",
            self.imported.len(),
            self.imported.iter().map(|i| i.contours).sum::<usize>(),
            self.imported.iter().map(|i| i.frames).sum::<usize>(),
            self.failed.len()
        )
    }
}

/// A label file read: its clip and, per clip frame, each structure's mask.
struct FileLabels {
    clip: ClipRecord,
    frames: BTreeMap<u32, Vec<(String, Mask)>>,
    notes: Vec<String>,
}

/// Imports `request`'s label files into `project`. `progress(done, total,
/// file)` is called before each file; `cancel` stops before the next one
/// (files already imported stay).
pub fn import_labels(
    project: &mut Project,
    request: &LabelImportRequest,
    mut progress: impl FnMut(usize, usize, &Path),
    cancel: &AtomicBool,
) -> Result<LabelImportSummary, LabelImportError> {
    project.require(request.by, Permission::Administer, "import labels")?;
    let folder = if request.path.is_dir() {
        request.path.clone()
    } else {
        request
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    if !request.path.exists() {
        return Err(LabelImportError::Io {
            path: request.path.clone(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let names = matching::Names::read(&folder, request.mapping.as_deref())?;
    let files = label_files(&request.path, request.format);
    let mut summary = LabelImportSummary::default();
    if files.is_empty() {
        return Err(LabelImportError::File {
            path: request.path.clone(),
            message: format!("no {} label files here", request.format.as_str()),
        });
    }
    // A new annotator is added only once a file is to be stored under them.
    let mut author_id = match project.annotator_id(&request.annotator) {
        Ok(id) => Some(id),
        Err(StoreError::NotFound { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    let classes: Vec<String> = names
        .classes
        .clone()
        .unwrap_or_else(|| CAMUS_CLASSES.iter().map(|c| c.to_string()).collect());
    for (index, file) in files.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        progress(index, files.len(), file);
        let relative = file
            .strip_prefix(&folder)
            .map(crate::export::relative)
            .unwrap_or_default();
        let read = match request.format {
            LabelFormat::DicomSeg => read_seg(project, file),
            LabelFormat::Png => read_png(project, &names, file, &relative, &classes),
            LabelFormat::Nifti => read_nifti(project, &names, file, &relative, &classes),
            LabelFormat::Camus => read_camus(project, &names, file, &relative, &classes),
        };
        let outcome = read.and_then(|labels| store(project, file, labels, &mut author_id, request));
        match outcome {
            Ok((imported, notes, added)) => {
                summary.annotator_added |= added;
                summary.notes.extend(notes);
                summary.imported.push(imported);
            }
            Err(error) => summary.failed.push((file.clone(), error.to_string())),
        }
    }
    Ok(summary)
}

/// Traces a file's masks and stores the contours, all in one transaction.
fn store(
    project: &mut Project,
    file: &Path,
    labels: FileLabels,
    author_id: &mut Option<i64>,
    request: &LabelImportRequest,
) -> Result<(ImportedFile, Vec<String>, bool), LabelImportError> {
    let clip = &labels.clip;
    let mut traced = Vec::new();
    for (&frame, masks) in &labels.frames {
        if frame >= clip.frames {
            return Err(mismatch(
                project,
                file,
                clip,
                format!(
                    "labels frame {} of a clip of {} frames",
                    frame + 1,
                    clip.frames
                ),
            ));
        }
        let masks: Vec<(&str, Mask)> = masks
            .iter()
            .map(|(name, mask)| (name.as_str(), mask.clone()))
            .collect();
        traced.extend(
            region_contours(&masks, request.tolerance)
                .into_iter()
                .map(|(structure, contour)| (frame, structure, contour)),
        );
    }
    if traced.is_empty() {
        return Err(LabelImportError::File {
            path: file.to_path_buf(),
            message: "holds no labelled pixels".into(),
        });
    }
    // An import never replaces work: the annotator's own contours on these
    // frames stay, and the file is refused.
    if let Some(author) = *author_id {
        let existing = project.annotations(clip.id, None)?;
        if let Some((frame, structure, _)) = traced.iter().find(|(frame, structure, _)| {
            existing
                .iter()
                .any(|a| a.author_id == author && a.frame == *frame && a.target == *structure)
        }) {
            return Err(LabelImportError::File {
                path: file.to_path_buf(),
                message: format!(
                    "{} already has a {structure} contour on frame {frame} of clip{:04}; nothing of this file was imported",
                    request.annotator, clip.id
                ),
            });
        }
    }
    let mut added = false;
    let author = match *author_id {
        Some(id) => id,
        None => {
            let id =
                project.upsert_annotator(request.by, &request.annotator, Role::Annotator, &[])?;
            *author_id = Some(id);
            added = true;
            id
        }
    };
    let frames = traced
        .iter()
        .map(|(frame, _, _)| *frame)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let contours: Vec<(ContourKey, Geometry)> = traced
        .into_iter()
        .map(|(frame, target, contour)| {
            (
                ContourKey {
                    clip_id: clip.id,
                    frame,
                    target,
                    author_id: author,
                },
                Geometry {
                    contour,
                    ..Geometry::default()
                },
            )
        })
        .collect();
    project.save_contours(&contours, None, AnnotationStatus::Submitted)?;
    Ok((
        ImportedFile {
            file: file.to_path_buf(),
            clip: format!("clip{:04}", clip.id),
            frames,
            contours: contours.len(),
        },
        labels.notes,
        added,
    ))
}

/// A size or frame mismatch, naming the label file and the clip's file.
fn mismatch(project: &Project, file: &Path, clip: &ClipRecord, what: String) -> LabelImportError {
    LabelImportError::File {
        path: file.to_path_buf(),
        message: format!(
            "{what}: it does not fit clip{:04} ({}, {}×{} pixels, {} frames); nothing of it was imported",
            clip.id,
            project.clip_file(clip).display(),
            clip.cols,
            clip.rows,
            clip.frames
        ),
    }
}

/// The label files of a folder (or the one file given) in `format`.
fn label_files(path: &Path, format: LabelFormat) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    match format {
        LabelFormat::DicomSeg => matching::files_with(path, &[".dcm"]),
        LabelFormat::Png => {
            let masks = path.join("masks");
            matching::files_with(if masks.is_dir() { &masks } else { path }, &[".png"])
        }
        LabelFormat::Nifti => matching::files_with(path, &[".nii.gz", ".nii"])
            .into_iter()
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_lowercase())
                    .unwrap_or_default();
                !name.contains("_image.nii") && !name.contains("_0000.nii")
            })
            .collect(),
        LabelFormat::Camus => matching::files_with(path, &["_gt.nii.gz", "_gt.nii"]),
    }
}

fn read_seg(project: &Project, file: &Path) -> Result<FileLabels, LabelImportError> {
    let mut found = None;
    let seg = seg_reader::read(file, |uid| {
        let clip = matching::by_uid(project, file, uid)?;
        let size = seg_reader::SourceSize {
            rows: clip.rows,
            cols: clip.cols,
            frames: clip.frames,
        };
        found = Some(clip);
        Ok(size)
    })
    .map_err(|error| match (&found, error) {
        // A size mismatch names the clip's file too.
        (Some(clip), LabelImportError::File { message, .. }) if message.contains("its clip") => {
            mismatch(project, file, clip, message)
        }
        (_, error) => error,
    })?;
    Ok(FileLabels {
        clip: found.expect("the reader asked for the clip before returning it"),
        frames: seg.frames,
        notes: seg.notes,
    })
}

/// Per-structure masks of a class map (class `i` is `classes[i]`).
fn structure_masks(
    file: &Path,
    labels: &[u8],
    width: usize,
    height: usize,
    classes: &[String],
) -> Result<Vec<(String, Mask)>, LabelImportError> {
    // A mask of only 0 and 255 is a binary LV mask drawn white.
    let binary = labels.iter().all(|&v| v == 0 || v == 255);
    if let Some(v) = labels
        .iter()
        .find(|&&v| !binary && usize::from(v) >= classes.len())
    {
        return Err(LabelImportError::File {
            path: file.to_path_buf(),
            message: format!("value {v} is not a class ({})", classes.join(", ")),
        });
    }
    Ok((1..classes.len())
        .map(|class| {
            let value = if binary && class == 1 {
                255
            } else {
                class as u8
            };
            (
                classes[class].clone(),
                Mask::from_labels(labels, width, height, value),
            )
        })
        .filter(|(_, mask)| mask.count() > 0)
        .collect())
}

/// `NAME_FRAME` or `NAME_FRAME-AUTHOR` (as exports name them) → (`NAME`, FRAME).
fn name_and_frame(stem: &str) -> Option<(&str, u32)> {
    let (name, frame) = stem.rsplit_once('_')?;
    Some((name, leading_number(frame)?))
}

/// The number a text starts with (`012-anna` → 12; `frame03` → 3, the
/// digits after a word).
pub(crate) fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn stem(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [".nii.gz", ".nii", ".png", ".PNG"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    name
}

fn read_png(
    project: &Project,
    names: &matching::Names,
    file: &Path,
    relative: &str,
    classes: &[String],
) -> Result<FileLabels, LabelImportError> {
    let stem = stem(file);
    let (name, frame_in_name) = name_and_frame(&stem).ok_or_else(|| LabelImportError::File {
        path: file.to_path_buf(),
        message: "the name is not NAME_FRAME.png".into(),
    })?;
    let target = names.target(project, file, relative, name, None)?;
    let frame = target.frame.unwrap_or(frame_in_name);
    let unreadable = |e: image::ImageError| LabelImportError::File {
        path: file.to_path_buf(),
        message: format!("not a readable image: {e}"),
    };
    // The size from the header first: a mask is never decoded at a size
    // that does not fit the clip.
    let (width, height) = image::image_dimensions(file).map_err(unreadable)?;
    if (width, height) != (target.clip.cols, target.clip.rows) {
        return Err(mismatch(
            project,
            file,
            &target.clip,
            format!("the mask is {width}×{height}"),
        ));
    }
    let image = image::open(file).map_err(unreadable)?;
    let labels = image.into_luma8().into_raw();
    let masks = structure_masks(file, &labels, width as usize, height as usize, classes)?;
    Ok(FileLabels {
        clip: target.clip,
        frames: [(frame, masks)].into(),
        notes: Vec::new(),
    })
}

fn read_camus(
    project: &Project,
    names: &matching::Names,
    file: &Path,
    relative: &str,
    classes: &[String],
) -> Result<FileLabels, LabelImportError> {
    let stem = stem(file);
    let (name, phase) = stem
        .strip_suffix("_gt")
        .and_then(|s| s.rsplit_once('_'))
        .and_then(|(name, phase)| match phase {
            "ED" => Some((name, KeyFrameKind::EndDiastole)),
            "ES" => Some((name, KeyFrameKind::EndSystole)),
            _ => None,
        })
        .ok_or_else(|| LabelImportError::File {
            path: file.to_path_buf(),
            message: "the name is not patientXXXX_VIEW_{ED,ES}_gt.nii.gz".into(),
        })?;
    let target = names.target(project, file, relative, name, Some(phase))?;
    let Some(frame) = target.frame else {
        return Err(LabelImportError::File {
            path: file.to_path_buf(),
            message: format!(
                "the {phase} frame of clip{:04} is not known",
                target.clip.id
            ),
        });
    };
    read_volume_labels(project, file, target.clip, Some(frame), classes)
}

fn read_nifti(
    project: &Project,
    names: &matching::Names,
    file: &Path,
    relative: &str,
    classes: &[String],
) -> Result<FileLabels, LabelImportError> {
    let stem = stem(file);
    let name = stem
        .strip_suffix("_label")
        .or_else(|| stem.strip_suffix("_gt"))
        .unwrap_or(&stem);
    let target = names.target(project, file, relative, name, None)?;
    read_volume_labels(project, file, target.clip, target.frame, classes)
}

/// A NIfTI mask file's frames: a 2-D `[cols, rows]` file is `frame` (or the
/// only frame of a one-frame clip); a volume is `[rows, cols, frames]` (as
/// EchoLabel writes it) or `[cols, rows, frames]` (x fastest), told apart by
/// the clip's size (a square clip is read as EchoLabel writes it).
fn read_volume_labels(
    project: &Project,
    file: &Path,
    clip: ClipRecord,
    frame: Option<u32>,
    classes: &[String],
) -> Result<FileLabels, LabelImportError> {
    let (rows, cols) = (clip.rows as usize, clip.cols as usize);
    // The shape from the header first: a volume is never read at a size
    // that does not fit the clip.
    let dims: Vec<usize> = {
        let mut dims = volume_dims(file)?;
        while dims.len() > 2 && dims.last() == Some(&1) {
            dims.pop();
        }
        dims
    };
    let described = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("×");
    let fits = match dims.as_slice() {
        [w, h] => (*w, *h) == (cols, rows),
        [a, b, n] => {
            *n == clip.frames as usize && ((*a, *b) == (rows, cols) || (*a, *b) == (cols, rows))
        }
        _ => false,
    };
    if !fits {
        return Err(mismatch(
            project,
            file,
            &clip,
            format!("the mask volume is {described}"),
        ));
    }
    let values = read_volume(file)?.voxels.into_classes(file)?;
    let mut frames = BTreeMap::new();
    match dims.as_slice() {
        [w, h] if (*w, *h) == (cols, rows) => {
            let frame = match frame {
                Some(frame) => frame,
                None if clip.frames == 1 => 0,
                None => {
                    return Err(mismatch(
                        project,
                        file,
                        &clip,
                        format!("a 2-D mask ({described}) says no frame"),
                    ));
                }
            };
            frames.insert(frame, structure_masks(file, &values, cols, rows, classes)?);
        }
        [a, b, n]
            if *n == clip.frames as usize
                && ((*a, *b) == (rows, cols) || (*a, *b) == (cols, rows)) =>
        {
            let rows_first = (*a, *b) == (rows, cols);
            let plane = rows * cols;
            for f in 0..*n {
                let slab = &values[f * plane..(f + 1) * plane];
                let labels: Vec<u8> = if rows_first {
                    (0..plane)
                        .map(|i| {
                            let (row, col) = (i / cols, i % cols);
                            slab[row + rows * col]
                        })
                        .collect()
                } else {
                    slab.to_vec()
                };
                if labels.iter().any(|&v| v != 0) {
                    frames.insert(
                        f as u32,
                        structure_masks(file, &labels, cols, rows, classes)?,
                    );
                }
            }
        }
        _ => {
            return Err(mismatch(
                project,
                file,
                &clip,
                format!("the mask volume is {described}"),
            ));
        }
    }
    Ok(FileLabels {
        clip,
        frames,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_numbers_come_from_the_end_of_the_name() {
        assert_eq!(name_and_frame("clip0001_012-anna2"), Some(("clip0001", 12)));
        assert_eq!(name_and_frame("p001_frame03"), Some(("p001", 3)));
        assert_eq!(name_and_frame("nounderscore"), None);
        assert_eq!(stem(Path::new("a/b_label.nii.gz")), "b_label");
    }

    #[test]
    fn masks_outside_the_classes_are_refused_by_name() {
        let classes: Vec<String> = CAMUS_CLASSES.iter().map(|c| c.to_string()).collect();
        let masks = structure_masks(Path::new("m.png"), &[0, 255, 255, 0], 2, 2, &classes).unwrap();
        assert_eq!(masks.len(), 1);
        assert_eq!(masks[0].0, "LV endocardium");
        let error = structure_masks(Path::new("m.png"), &[0, 7], 2, 1, &classes)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("m.png") && error.contains("value 7"),
            "{error}"
        );
    }
}
