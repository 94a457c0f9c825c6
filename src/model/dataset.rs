//! Labelled frames for training and evaluation: phantom clips generated in
//! memory, and folders in the phantom layout (`<clip>.dcm`, `<clip>_gt/`,
//! `<clip>.json`) as `echolabel phantom` writes them.

use std::path::{Path, PathBuf};

use super::sample::Sample;
use crate::dicom::{Clip, PatientSalt};
use crate::phantom::{self, GroundTruthFile};

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
            let clip = phantom::generate(seed, index);
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
    #[error("{}: no clips in the phantom layout (<clip>.json, <clip>.dcm, <clip>_gt/)", .0.display())]
    Empty(PathBuf),
}

/// Every clip of a folder in the phantom layout, all frames.
pub fn read_phantom_folder(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    let unreadable = |path: &Path, message: String| DatasetError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let mut truths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    truths.sort();
    if truths.is_empty() {
        return Err(DatasetError::Empty(dir.to_path_buf()));
    }
    let salt = PatientSalt::random();
    truths
        .iter()
        .enumerate()
        .map(|(index, json)| {
            let text = std::fs::read(json).map_err(|e| unreadable(json, e.to_string()))?;
            let truth: GroundTruthFile = serde_json::from_slice(&text)
                .map_err(|e| unreadable(json, format!("not a phantom ground-truth file: {e}")))?;
            let dicom = dir.join(format!("{}.dcm", truth.clip));
            let clip = Clip::open(&dicom, &salt).map_err(|e| unreadable(&dicom, e.to_string()))?;
            let info = clip.info().clone();
            let frames = (0..clip.frame_count())
                .map(|frame| {
                    let gray = clip
                        .frame(frame)
                        .map_err(|e| unreadable(&dicom, e.to_string()))?
                        .gray();
                    let mask_path = dir
                        .join(format!("{}_gt", truth.clip))
                        .join(format!("frame_{frame:04}.png"));
                    let mask = image::open(&mask_path)
                        .map_err(|e| unreadable(&mask_path, e.to_string()))?
                        .into_luma8();
                    if mask.dimensions() != (info.cols, info.rows) {
                        return Err(unreadable(
                            &mask_path,
                            format!(
                                "mask is {:?}, frame is {}×{}",
                                mask.dimensions(),
                                info.cols,
                                info.rows
                            ),
                        ));
                    }
                    Ok(LabelledFrame {
                        clip: index as u32,
                        frame,
                        width: info.cols as usize,
                        height: info.rows as usize,
                        gray,
                        labels: mask.into_raw(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let period_frames = info.cycle_frames().map(|f| f as f32);
            Ok(LabelledClip {
                name: truth.clip,
                dicom: Some(dicom),
                frames,
                end_diastole: truth.ed_frames,
                end_systole: truth.es_frames,
                period_frames,
            })
        })
        .collect()
}
