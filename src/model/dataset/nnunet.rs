//! nnU-Net v2 raw datasets: `dataset.json`, `imagesTr/CASE_0000.nii.gz` and
//! `labelsTr/CASE.nii.gz`, 2-D cases stored `[W, H]`. Cases are grouped into
//! clips by the name before their last `_` (`clip0007_anna_012` →
//! `clip0007_anna`), as in the PNG layout, so splits keep a clip's frames
//! together. The label values are mapped onto the CAMUS classes by the names
//! `dataset.json` gives them; labels of other structures (an export's classes
//! 4 and up) are read as background, since the model knows only the CAMUS
//! structures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::camus::read_2d;
use super::{DatasetError, LabelledClip, LabelledFrame, Layout, class_labels, unreadable};
use crate::model::config::CAMUS_CLASSES;

/// The image channel nnU-Net reads (one modality, channel 0).
pub(super) const CHANNEL_SUFFIX: &str = "_0000";
pub(super) const FILE_ENDING: &str = ".nii.gz";

/// Every clip of an nnU-Net raw dataset folder with training labels.
pub fn read_nnunet_folder(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    let remap = label_map(&dir.join("dataset.json"))?;
    let labels_dir = dir.join("labelsTr");
    let mut clips: BTreeMap<String, Vec<(String, PathBuf)>> = BTreeMap::new();
    for entry in
        std::fs::read_dir(&labels_dir).map_err(|e| unreadable(&labels_dir, e.to_string()))?
    {
        let path = entry
            .map_err(|e| unreadable(&labels_dir, e.to_string()))?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(case) = name.strip_suffix(FILE_ENDING) else {
            continue;
        };
        let clip = case.rsplit_once('_').map_or(case, |(clip, _)| clip);
        clips
            .entry(clip.to_string())
            .or_default()
            .push((case.to_string(), path));
    }
    if clips.is_empty() {
        return Err(DatasetError::Empty {
            path: dir.to_path_buf(),
            layout: Layout::NnUnet,
        });
    }
    clips
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .enumerate()
        .map(|(index, (name, mut cases))| {
            cases.sort();
            let frames = cases
                .iter()
                .enumerate()
                .map(|(frame, (case, label))| {
                    let image = dir
                        .join("imagesTr")
                        .join(format!("{case}{CHANNEL_SUFFIX}{FILE_ENDING}"));
                    read_case(&image, label, &remap, index as u32, frame as u32)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LabelledClip::of_frames(name, frames))
        })
        .collect()
}

/// Stored label value → CAMUS class, from `dataset.json`'s `labels`.
fn label_map(path: &Path) -> Result<[u8; 256], DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreadable(path, format!("not JSON: {e}")))?;
    let mut map = [u8::MAX; 256];
    let labels = json
        .get("labels")
        .and_then(|l| l.as_object())
        .ok_or_else(|| unreadable(path, "no \"labels\" object"))?;
    for (name, value) in labels {
        let value = value
            .as_u64()
            .filter(|v| *v < 256)
            .ok_or_else(|| unreadable(path, format!("label {name:?} is not a value 0..=255")))?;
        let class = CAMUS_CLASSES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .unwrap_or(0);
        map[value as usize] = class as u8;
    }
    Ok(map)
}

fn read_case(
    image: &Path,
    label: &Path,
    remap: &[u8; 256],
    clip: u32,
    frame: u32,
) -> Result<LabelledFrame, DatasetError> {
    if !image.is_file() {
        return Err(unreadable(
            label,
            format!("no image {} for this label", image.display()),
        ));
    }
    let (width, height, voxels) = read_2d(image)?;
    let (label_width, label_height, values) = read_2d(label)?;
    if (label_width, label_height) != (width, height) {
        return Err(unreadable(
            label,
            format!("label is {label_width}×{label_height}, image is {width}×{height}"),
        ));
    }
    let values = values
        .into_classes(label)?
        .into_iter()
        .map(|v| match remap[usize::from(v)] {
            u8::MAX => Err(unreadable(
                label,
                format!("value {v} is not a label of dataset.json"),
            )),
            class => Ok(class),
        })
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(LabelledFrame {
        clip,
        frame,
        width,
        height,
        gray: voxels.into_gray(),
        labels: class_labels(values, label)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::write_volume;
    use super::*;

    #[test]
    fn cases_group_into_clips_and_labels_map_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("imagesTr")).unwrap();
        std::fs::create_dir_all(dir.path().join("labelsTr")).unwrap();
        // Stored 1 is the atrium, 2 the cavity: the reader maps them by name.
        std::fs::write(
            dir.path().join("dataset.json"),
            r#"{"labels": {"background": 0, "Left atrium": 1, "LV endocardium": 2}}"#,
        )
        .unwrap();
        for (case, label) in [
            ("a_x_000", [0, 1, 2, 0, 0, 0]),
            ("a_x_005", [2; 6]),
            ("b_y_001", [1; 6]),
        ] {
            write_volume(
                &dir.path().join(format!("imagesTr/{case}_0000.nii.gz")),
                &[3, 2],
                vec![7; 6],
                &[1.0, 1.0],
                "",
            )
            .unwrap();
            write_volume(
                &dir.path().join(format!("labelsTr/{case}.nii.gz")),
                &[3, 2],
                label.to_vec(),
                &[1.0, 1.0],
                "",
            )
            .unwrap();
        }
        let clips = read_nnunet_folder(dir.path()).unwrap();
        assert_eq!(clips.len(), 2);
        assert_eq!(clips[0].name, "a_x");
        assert_eq!(clips[0].frames.len(), 2);
        assert_eq!(clips[0].frames[0].labels, [0, 3, 1, 0, 0, 0]);
        assert_eq!(clips[0].frames[0].gray, [7; 6]);
        assert_eq!(Layout::detect(dir.path()).unwrap(), Some(Layout::NnUnet));

        std::fs::remove_file(dir.path().join("imagesTr/b_y_001_0000.nii.gz")).unwrap();
        let error = read_nnunet_folder(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("b_y_001.nii.gz") && error.contains("no image"),
            "{error}"
        );
    }
}
