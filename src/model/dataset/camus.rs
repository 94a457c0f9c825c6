//! The CAMUS echocardiography dataset: per patient, the apical 2- and
//! 4-chamber views at end diastole and end systole as 2-D NIfTI images
//! (`patient0001/patient0001_4CH_ED.nii.gz`) with expert masks
//! (`..._ED_gt.nii.gz`). The mask classes (0 background, 1 LV endocardium,
//! 2 myocardium, 3 left atrium) are those of `ModelConfig::camus`, so they are
//! used as they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::nifti_volume::read_volume;
use super::{DatasetError, LabelledClip, LabelledFrame, Layout, class_labels, unreadable};

/// Names of CAMUS patient folders and files start with this.
pub(super) const PATIENT_PREFIX: &str = "patient";

/// File name endings of NIfTI-1 files, compressed first.
const NIFTI_SUFFIXES: [&str; 2] = [".nii.gz", ".nii"];

pub(super) fn is_nifti(name: &str) -> bool {
    NIFTI_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// Every patient and view of a CAMUS folder with ground truth, as one clip
/// each: the ED frame first, then the ES frame. Looks in `patient*/` folders
/// and in `dir` itself; images without `_gt` masks (the test half and the
/// `_sequence` files) are skipped.
pub fn read_camus_folder(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    let mut folders = vec![dir.to_path_buf()];
    folders.extend(
        list(dir)?
            .into_iter()
            .filter(|(path, name)| name.starts_with(PATIENT_PREFIX) && path.is_dir())
            .map(|(path, _)| path),
    );
    // Clip name → ground-truth file per phase (ED, ES).
    let mut clips: BTreeMap<String, [Option<PathBuf>; 2]> = BTreeMap::new();
    for folder in &folders {
        for (path, name) in list(folder)? {
            if let Some((clip, phase)) = parse_truth_name(&name) {
                clips.entry(clip).or_default()[phase] = Some(path);
            }
        }
    }
    if clips.is_empty() {
        return Err(DatasetError::Empty {
            path: dir.to_path_buf(),
            layout: Layout::Camus,
        });
    }
    clips
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .enumerate()
        .map(|(index, (name, truths))| {
            let mut clip = LabelledClip {
                name,
                dicom: None,
                frames: Vec::new(),
                end_diastole: Vec::new(),
                end_systole: Vec::new(),
                period_frames: None,
            };
            for (phase, truth) in truths.iter().enumerate() {
                let Some(truth) = truth else { continue };
                let frame = clip.frames.len() as u32;
                clip.frames.push(read_frame(truth, index as u32, frame)?);
                match phase {
                    ED => clip.end_diastole.push(frame),
                    _ => clip.end_systole.push(frame),
                }
            }
            Ok(clip)
        })
        .collect()
}

const ED: usize = 0;
const ES: usize = 1;

/// Paths and names of a folder's entries.
fn list(dir: &Path) -> Result<Vec<(PathBuf, String)>, DatasetError> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((path, name))
        })
        .collect())
}

/// `patient0001_4CH_ES_gt.nii.gz` → (`patient0001_4CH`, ES); anything else
/// (images, `_sequence` files, other files) → None.
fn parse_truth_name(name: &str) -> Option<(String, usize)> {
    let stem = NIFTI_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))?;
    let (clip, phase) = stem.strip_suffix("_gt")?.rsplit_once('_')?;
    let phase = match phase {
        "ED" => ED,
        "ES" => ES,
        _ => return None,
    };
    let (patient, view) = clip.split_once('_')?;
    (patient.starts_with(PATIENT_PREFIX) && !view.is_empty() && !view.contains('_'))
        .then(|| (clip.to_string(), phase))
}

/// The frame of ground-truth file `truth` and of its image (the same name
/// without `_gt`).
fn read_frame(truth: &Path, clip: u32, frame: u32) -> Result<LabelledFrame, DatasetError> {
    let name = truth
        .file_name()
        .map(|n| n.to_string_lossy().replacen("_gt.", ".", 1))
        .unwrap_or_default();
    let image = truth.with_file_name(name);
    if !image.is_file() {
        return Err(unreadable(
            truth,
            format!("no image {} for this ground truth", image.display()),
        ));
    }
    let (width, height, voxels) = read_2d(&image)?;
    let gray = voxels.into_gray();
    let (mask_width, mask_height, voxels) = read_2d(truth)?;
    if (mask_width, mask_height) != (width, height) {
        return Err(unreadable(
            truth,
            format!("mask is {mask_width}×{mask_height}, image is {width}×{height}"),
        ));
    }
    let values = voxels.into_classes(truth)?;
    Ok(LabelledFrame {
        clip,
        frame,
        width,
        height,
        gray,
        labels: class_labels(values, truth)?,
    })
}

/// A 2-D NIfTI image (dimensions [W, H], or [W, H, 1, …]) with its width and
/// height. NIfTI stores x fastest, so voxel (x, y) already sits at y·W + x:
/// the row-major order of our frames, with no transposition.
pub(super) fn read_2d(
    path: &Path,
) -> Result<(usize, usize, super::nifti_volume::Voxels), DatasetError> {
    let volume = read_volume(path)?;
    match volume.dims.as_slice() {
        [width, height, rest @ ..] if rest.iter().all(|&d| d == 1) => {
            Ok((*width, *height, volume.voxels))
        }
        dims => Err(unreadable(
            path,
            format!("dimensions {dims:?} are not a 2-D image"),
        )),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Write;

    const UINT8: i16 = 2;
    const FLOAT32: i16 = 16;

    /// A gzipped NIfTI-1 file (348-byte header, empty extender, voxels in x-fastest order).
    fn write_nifti(path: &Path, dims: &[i16], datatype: i16, data: &[u8]) {
        let mut bytes = vec![0u8; 352];
        bytes[0..4].copy_from_slice(&348i32.to_le_bytes());
        bytes[40..42].copy_from_slice(&(dims.len() as i16).to_le_bytes());
        for (i, d) in dims.iter().enumerate() {
            bytes[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
        }
        let bitpix = if datatype == FLOAT32 { 32i16 } else { 8 };
        bytes[70..72].copy_from_slice(&datatype.to_le_bytes());
        bytes[72..74].copy_from_slice(&bitpix.to_le_bytes());
        bytes[108..112].copy_from_slice(&352f32.to_le_bytes());
        bytes[344..348].copy_from_slice(b"n+1\0");
        bytes.extend_from_slice(data);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&bytes).unwrap();
        std::fs::write(path, encoder.finish().unwrap()).unwrap();
    }

    /// A 3×2 image whose masks mark (x 0, y 0) and (x 2, y 1): asymmetric, so a
    /// transposed read shows.
    fn write_pair(folder: &Path, stem: &str, image: u8, mask: &[u8; 6]) {
        write_nifti(
            &folder.join(format!("{stem}.nii.gz")),
            &[3, 2],
            UINT8,
            &[image; 6],
        );
        write_nifti(
            &folder.join(format!("{stem}_gt.nii.gz")),
            &[3, 2, 1],
            UINT8,
            mask,
        );
    }

    pub(in crate::model::dataset) fn write_folder(dir: &Path) {
        let patient = dir.join("patient0001");
        std::fs::create_dir_all(&patient).unwrap();
        // ES written first: the reader's order must come from the names.
        write_pair(&patient, "patient0001_4CH_ES", 20, &[3, 0, 0, 0, 0, 2]);
        write_pair(&patient, "patient0001_4CH_ED", 10, &[1, 0, 0, 0, 0, 2]);
        // Neither is read: not NIfTI at all.
        std::fs::write(patient.join("patient0001_4CH_half_sequence.nii.gz"), b"x").unwrap();
        std::fs::write(patient.join("patient0001_2CH_ED.nii.gz"), b"x").unwrap();
        // Flat in the folder, float image.
        let ramp: Vec<u8> = [0f32, 0.5, 1.0, 1.0, 1.0, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        write_nifti(
            &dir.join("patient0002_2CH_ED.nii.gz"),
            &[3, 2],
            FLOAT32,
            &ramp,
        );
        write_nifti(
            &dir.join("patient0002_2CH_ED_gt.nii.gz"),
            &[3, 2],
            UINT8,
            &[0, 1, 2, 3, 0, 0],
        );
    }

    #[test]
    fn patients_and_views_are_clips_with_ed_then_es() {
        let dir = tempfile::tempdir().unwrap();
        write_folder(dir.path());
        let clips = read_camus_folder(dir.path()).unwrap();
        let names: Vec<_> = clips.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["patient0001_4CH", "patient0002_2CH"]);

        let four = &clips[0];
        assert!(four.dicom.is_none());
        assert_eq!(
            (four.end_diastole.as_slice(), four.end_systole.as_slice()),
            (&[0][..], &[1][..])
        );
        let ed = &four.frames[0];
        assert_eq!((ed.clip, ed.frame, ed.width, ed.height), (0, 0, 3, 2));
        assert_eq!(ed.gray, [10; 6]);
        assert_eq!(ed.labels, [1, 0, 0, 0, 0, 2]);
        assert_eq!(four.frames[1].gray, [20; 6]);
        assert_eq!(four.frames[1].labels, [3, 0, 0, 0, 0, 2]);

        let two = &clips[1];
        assert_eq!(
            (two.end_diastole.as_slice(), two.end_systole.as_slice()),
            (&[0][..], &[][..])
        );
        assert_eq!(two.frames[0].clip, 1);
        assert_eq!(two.frames[0].gray, [0, 128, 255, 255, 255, 255]);
        assert_eq!(two.frames[0].labels, [0, 1, 2, 3, 0, 0]);
    }

    #[test]
    fn corrupt_or_missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_folder(dir.path());
        let corrupt = dir.path().join("patient0003_4CH_ES_gt.nii.gz");
        std::fs::write(&corrupt, b"\x1f\x8b not really gzip").unwrap();
        write_nifti(
            &dir.path().join("patient0003_4CH_ES.nii.gz"),
            &[3, 2],
            UINT8,
            &[0; 6],
        );
        let error = read_camus_folder(dir.path()).unwrap_err();
        assert!(
            matches!(&error, DatasetError::Unreadable { path, .. } if *path == corrupt),
            "{error}"
        );

        // Ground truth whose image is missing.
        std::fs::remove_file(&corrupt).unwrap();
        let truth = dir.path().join("patient0003_4CH_ED_gt.nii.gz");
        write_nifti(&truth, &[3, 2], UINT8, &[0; 6]);
        let error = read_camus_folder(dir.path()).unwrap_err().to_string();
        assert!(error.contains("patient0003_4CH_ED.nii.gz"), "{error}");

        // A 3-D volume is not a frame.
        write_nifti(
            &dir.path().join("patient0003_4CH_ED.nii.gz"),
            &[3, 2, 2],
            UINT8,
            &[0; 12],
        );
        let error = read_camus_folder(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("patient0003_4CH_ED.nii.gz") && error.contains("2-D"),
            "{error}"
        );
    }

    #[test]
    fn only_ground_truth_names_make_frames() {
        assert_eq!(
            parse_truth_name("patient0001_4CH_ES_gt.nii.gz"),
            Some(("patient0001_4CH".to_string(), ES))
        );
        assert_eq!(
            parse_truth_name("patient0001_2CH_ED_gt.nii"),
            Some(("patient0001_2CH".to_string(), ED))
        );
        for name in [
            "patient0001_4CH_ES.nii.gz",
            "patient0001_4CH_half_sequence_gt.nii.gz",
            "patient0001_4CH_ES_gt.mhd",
            "Info_4CH.cfg",
        ] {
            assert_eq!(parse_truth_name(name), None, "{name}");
        }
    }
}
