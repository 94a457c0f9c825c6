//! Folders in the phantom layout (`<clip>.dcm`, `<clip>_gt/frame_NNNN.png`,
//! `<clip>.json`) as `echolabel phantom` writes them.

use std::path::{Path, PathBuf};

use super::{DatasetError, LabelledClip, LabelledFrame, Layout, unreadable};
use crate::dicom::{Clip, PatientSalt};
use crate::phantom::GroundTruthFile;

/// Every clip of a folder in the phantom layout, all frames.
pub fn read_phantom_folder(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    let mut truths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    truths.sort();
    if truths.is_empty() {
        return Err(DatasetError::Empty {
            path: dir.to_path_buf(),
            layout: Layout::Phantom,
        });
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
