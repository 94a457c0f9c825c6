//! Labelled frames for training and evaluation: phantom clips generated in
//! memory, and fully labelled folders on disk in one of three layouts (the
//! phantom layout `echolabel phantom` writes, plain image/mask PNG folders,
//! the CAMUS dataset and nnU-Net v2 raw datasets), all read into the same [`LabelledClip`]s so the
//! training and simulation code never sees where the frames came from.

mod camus;
mod nifti_volume;
mod nnunet;
mod phantom;
mod png_folder;

use std::fmt;
use std::path::{Path, PathBuf};

pub use camus::read_camus_folder;
pub use nifti_volume::{Voxels, read_volume, volume_dims, write_volume};
pub use nnunet::read_nnunet_folder;
pub use phantom::read_phantom_folder;
pub use png_folder::read_png_folder;

use super::config::CAMUS_CLASSES;
use super::sample::Sample;

/// One frame with its class mask at the clip's own resolution.
#[derive(Debug, Clone)]
pub struct LabelledFrame {
    /// Index of the clip in its dataset (the validation split keeps clips whole).
    pub clip: u32,
    pub frame: u32,
    pub width: usize,
    pub height: usize,
    pub gray: Vec<u8>,
    pub labels: Vec<u8>,
}

/// A clip's frames with ground truth, and its true key frames.
#[derive(Debug, Clone)]
pub struct LabelledClip {
    pub name: String,
    pub dicom: Option<PathBuf>,
    pub frames: Vec<LabelledFrame>,
    pub end_diastole: Vec<u32>,
    pub end_systole: Vec<u32>,
    /// Frames per cardiac cycle, when known.
    pub period_frames: Option<f32>,
}

impl LabelledClip {
    /// A clip of labelled frames without key frames or timing (the layouts
    /// that store frames only: PNG, nnU-Net).
    pub fn of_frames(name: String, frames: Vec<LabelledFrame>) -> Self {
        LabelledClip {
            name,
            dicom: None,
            frames,
            end_diastole: Vec::new(),
            end_systole: Vec::new(),
            period_frames: None,
        }
    }
}

/// Samples at the model size, with the clip each frame comes from (the
/// groups the validation split keeps whole).
pub fn to_samples(frames: &[LabelledFrame], size: usize) -> (Vec<Sample>, Vec<u32>) {
    frames
        .iter()
        .map(|f| {
            (
                Sample::from_frame(&f.gray, Some(&f.labels), f.width, f.height, size),
                f.clip,
            )
        })
        .unzip()
}

/// `clips` phantom clips of dataset `seed`, every `stride`-th frame.
pub fn phantom_clips(seed: u64, clips: u32, stride: usize) -> Vec<LabelledClip> {
    use rayon::prelude::*;
    (0..clips)
        .into_par_iter()
        .map(|index| {
            let clip = crate::phantom::generate(seed, index);
            let (width, height) = (clip.params.cols as usize, clip.params.rows as usize);
            let frames = clip
                .frames
                .iter()
                .zip(&clip.labels)
                .enumerate()
                .step_by(stride.max(1))
                .map(|(frame, (gray, labels))| LabelledFrame {
                    clip: index,
                    frame: frame as u32,
                    width,
                    height,
                    gray: gray.clone(),
                    labels: labels.clone(),
                })
                .collect();
            LabelledClip {
                name: clip.name,
                dicom: None,
                frames,
                end_diastole: clip.truth.end_diastole,
                end_systole: clip.truth.end_systole,
                period_frames: Some(clip.params.cycle_frames() as f32),
            }
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: no clips in the {layout}", path.display())]
    Empty { path: PathBuf, layout: Layout },
    #[error(
        "{}: not a dataset folder in a known layout; expected the {}, the {}, the {} or the {}",
        .0.display(),
        Layout::Phantom,
        Layout::PngFolders,
        Layout::Camus,
        Layout::NnUnet
    )]
    UnknownLayout(PathBuf),
}

/// The folder layouts [`read_dataset`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Phantom,
    PngFolders,
    Camus,
    NnUnet,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Phantom => "phantom layout (<clip>.json, <clip>.dcm, <clip>_gt/)",
            Layout::PngFolders => "PNG layout (images/NAME.png with masks/NAME.png)",
            Layout::Camus => {
                "CAMUS layout (patientXXXX/patientXXXX_{2CH,4CH}_{ED,ES}[_gt].nii.gz, or those files flat)"
            }
            Layout::NnUnet => {
                "nnU-Net v2 layout (dataset.json, imagesTr/CASE_0000.nii.gz, labelsTr/CASE.nii.gz)"
            }
        })
    }
}

impl Layout {
    /// The layout of `dir`, if any; a folder that looks like several is read
    /// as the first of phantom, nnU-Net, PNG, CAMUS (the phantom files are
    /// the most specific).
    pub fn detect(dir: &Path) -> Result<Option<Layout>, DatasetError> {
        let entries: Vec<(String, bool)> = std::fs::read_dir(dir)
            .map_err(|e| unreadable(dir, e.to_string()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter_map(|path| {
                let name = path.file_name()?.to_string_lossy().into_owned();
                Some((name, path.is_dir()))
            })
            .collect();
        let has_file = |suffix: &str| {
            entries
                .iter()
                .any(|(name, is_dir)| !is_dir && name.ends_with(suffix))
        };
        let has_folder = |name: &str| entries.iter().any(|(n, is_dir)| *is_dir && n == name);
        Ok(if has_file(".json") && has_file(".dcm") {
            Some(Layout::Phantom)
        } else if has_file("dataset.json") && has_folder("labelsTr") && has_folder("imagesTr") {
            Some(Layout::NnUnet)
        } else if has_folder("images") && has_folder("masks") {
            Some(Layout::PngFolders)
        } else if entries.iter().any(|(name, is_dir)| {
            name.starts_with(camus::PATIENT_PREFIX) && (*is_dir || camus::is_nifti(name))
        }) {
            Some(Layout::Camus)
        } else {
            None
        })
    }
}

/// Every clip of a fully labelled folder, in whichever layout [`Layout::detect`] finds.
pub fn read_dataset(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    match Layout::detect(dir)? {
        Some(Layout::Phantom) => read_phantom_folder(dir),
        Some(Layout::PngFolders) => read_png_folder(dir),
        Some(Layout::Camus) => read_camus_folder(dir),
        Some(Layout::NnUnet) => read_nnunet_folder(dir),
        None => Err(DatasetError::UnknownLayout(dir.to_path_buf())),
    }
}

fn unreadable(path: &Path, message: impl Into<String>) -> DatasetError {
    DatasetError::Unreadable {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Checks a mask read from `path` holds class indices of [`CAMUS_CLASSES`];
/// a mask of only 0 and 255 is a binary LV mask drawn white, whose 255 becomes
/// class 1.
fn class_labels(mut values: Vec<u8>, path: &Path) -> Result<Vec<u8>, DatasetError> {
    if values.iter().all(|&v| v == 0 || v == 255) {
        values.iter_mut().for_each(|v| *v = u8::from(*v == 255));
        return Ok(values);
    }
    let classes = CAMUS_CLASSES.len();
    match values.iter().find(|&&v| usize::from(v) >= classes) {
        Some(v) => Err(unreadable(
            path,
            format!("mask value {v} is not a class index 0..={}", classes - 1),
        )),
        None => Ok(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_dataset_detects_each_layout() {
        let phantom = tempfile::tempdir().unwrap();
        crate::phantom::write_dataset(phantom.path(), 1, 5, |_, _| {}).unwrap();
        let png = tempfile::tempdir().unwrap();
        png_folder::tests::write_folder(png.path());
        let camus = tempfile::tempdir().unwrap();
        camus::tests::write_folder(camus.path());
        for (dir, layout) in [
            (phantom.path(), Layout::Phantom),
            (png.path(), Layout::PngFolders),
            (camus.path(), Layout::Camus),
        ] {
            assert_eq!(Layout::detect(dir).unwrap(), Some(layout));
            let clips = read_dataset(dir).unwrap();
            assert!(!clips.is_empty() && clips.iter().all(|c| !c.frames.is_empty()));
            assert_eq!(clips[0].dicom.is_some(), layout == Layout::Phantom);
        }
    }

    #[test]
    fn an_unknown_layout_names_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        std::fs::create_dir(dir.path().join("images")).unwrap();
        let error = read_dataset(dir.path()).unwrap_err();
        assert!(matches!(error, DatasetError::UnknownLayout(_)));
        let message = error.to_string();
        assert!(
            message.starts_with(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("CAMUS"), "{message}");

        let missing = dir.path().join("missing");
        assert!(matches!(
            read_dataset(&missing),
            Err(DatasetError::Unreadable { path, .. }) if path == missing
        ));
    }

    #[test]
    fn masks_hold_class_indices() {
        let path = Path::new("mask.png");
        assert_eq!(class_labels(vec![0, 255, 0], path).unwrap(), [0, 1, 0]);
        assert_eq!(class_labels(vec![0, 3, 2], path).unwrap(), [0, 3, 2]);
        let error = class_labels(vec![0, 4, 255], path).unwrap_err().to_string();
        assert!(
            error.contains("mask.png") && error.contains("value 4"),
            "{error}"
        );
    }
}
