//! Synthetic apical four-chamber echo clips with exact ground truth, for the
//! built-in demo, the tests and the benchmarks.
//!
//! Layout of a dataset folder (see [`write_dataset`]):
//! `<clip>.dcm`, `<clip>_gt/frame_NNNN.png` (pixel value = class index: 0
//! background, 1 LV endocardium, 2 myocardium, 3 left atrium) and `<clip>.json`
//! (true end-diastole / end-systole frames and the generation parameters).

mod anatomy;
mod dicom_file;
mod params;
mod ultrasound;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use anatomy::Heart;
pub use params::PhantomParams;

/// Class indices of the ground-truth masks.
pub const CLASS_NAMES: [&str; 4] = ["background", "lv_endocardium", "myocardium", "left_atrium"];

/// One generated clip, in memory.
#[derive(Debug, Clone)]
pub struct PhantomClip {
    pub name: String,
    pub params: PhantomParams,
    /// B-mode frames, row-major 8-bit.
    pub frames: Vec<Vec<u8>>,
    /// Class-index masks, one per frame.
    pub labels: Vec<Vec<u8>>,
    pub truth: KeyFrames,
}

/// The true key frames of a clip: one end-diastole and one end-systole per
/// cardiac cycle that the clip shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFrames {
    pub end_diastole: Vec<u32>,
    pub end_systole: Vec<u32>,
}

/// The `<clip>.json` file beside each phantom clip.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroundTruthFile {
    pub clip: String,
    pub frames: u32,
    /// The first true end-diastole and end-systole frames (0-based).
    pub ed_frame: u32,
    pub es_frame: u32,
    /// Every true key frame, one per cycle.
    pub ed_frames: Vec<u32>,
    pub es_frames: Vec<u32>,
    pub classes: Vec<String>,
    pub seed: u64,
    pub index: u32,
    pub parameters: PhantomParams,
}

/// Why a phantom dataset could not be written. The writers' errors are
/// boxed: they are large, and every clip's result carries this type.
#[derive(Debug, thiserror::Error)]
pub enum PhantomError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot write the DICOM file: {source}", path.display())]
    Dicom {
        path: PathBuf,
        #[source]
        source: Box<dicom_object::WriteError>,
    },
    #[error("{}: cannot write the mask: {source}", path.display())]
    Mask {
        path: PathBuf,
        #[source]
        source: Box<image::ImageError>,
    },
}

/// Name of clip `index` in a dataset.
pub fn clip_name(index: u32) -> String {
    format!("phantom_{index:04}")
}

/// Generates clip `index` of the dataset made with `seed`.
pub fn generate(seed: u64, index: u32) -> PhantomClip {
    let params = PhantomParams::random(seed, index);
    let mut scanner = ultrasound::Scanner::new(&params, seed ^ (u64::from(index) << 32) ^ 0x5eed);
    let mut frames = Vec::with_capacity(params.frames as usize);
    let mut labels = Vec::with_capacity(params.frames as usize);
    for frame in 0..params.frames {
        let heart = Heart::at(&params, params.filling(params.phase(frame)));
        let tissue = anatomy::tissue_map(&heart, params.rows, params.cols);
        frames.push(scanner.image(&tissue));
        labels.push(
            tissue
                .iter()
                .enumerate()
                .map(|(i, t)| if scanner.in_sector(i) { t.label() } else { 0 })
                .collect(),
        );
    }
    let truth = key_frames(&params, &labels);
    PhantomClip {
        name: clip_name(index),
        params,
        frames,
        labels,
        truth,
    }
}

/// End-diastole and end-systole frames: at each time the cardiac phase passes
/// ED (0) or ES (the systole fraction), of the two frames around it the one
/// with the larger (ED) or smaller (ES) drawn LV cavity.
fn key_frames(params: &PhantomParams, labels: &[Vec<u8>]) -> KeyFrames {
    let area = |f: usize| labels[f].iter().filter(|c| **c == 1).count();
    let period_frames = params.cycle_frames();
    let last = labels.len() - 1;
    let events = |event_phase: f64, prefer_larger: bool| {
        let mut found = Vec::new();
        // Frame time (in frames) of the first crossing at or after frame 0.
        let mut t = (event_phase - params.phase_at_first_frame).rem_euclid(1.0) * period_frames;
        while t <= last as f64 {
            let (before, after) = (t.floor() as usize, (t.ceil() as usize).min(last));
            let pick = match area(before).cmp(&area(after)) {
                std::cmp::Ordering::Equal => t.round() as usize,
                std::cmp::Ordering::Greater => {
                    if prefer_larger {
                        before
                    } else {
                        after
                    }
                }
                std::cmp::Ordering::Less => {
                    if prefer_larger {
                        after
                    } else {
                        before
                    }
                }
            };
            found.push(pick as u32);
            t += period_frames;
        }
        found
    };
    KeyFrames {
        end_diastole: events(0.0, true),
        end_systole: events(params.systole_fraction, false),
    }
}

/// Writes `clips` clips made with `seed` into `out` and returns the DICOM paths.
/// `progress(done, total)` is called after each clip.
pub fn write_dataset(
    out: &Path,
    clips: u32,
    seed: u64,
    progress: impl Fn(u32, u32) + Sync,
) -> Result<Vec<PathBuf>, PhantomError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    std::fs::create_dir_all(out).map_err(|source| PhantomError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let done = AtomicU32::new(0);
    (0..clips)
        .into_par_iter()
        .map(|index| {
            let clip = generate(seed, index);
            let path = write_clip(out, &clip, seed, index)?;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, clips);
            Ok(path)
        })
        .collect()
}

/// Writes one clip's DICOM file, masks and JSON into `out`.
pub fn write_clip(
    out: &Path,
    clip: &PhantomClip,
    seed: u64,
    index: u32,
) -> Result<PathBuf, PhantomError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PhantomError::Io { path, source }
    };
    let dicom_path = out.join(format!("{}.dcm", clip.name));
    dicom_file::write_clip(&dicom_path, &clip.params, &clip.frames, seed, index).map_err(
        |source| PhantomError::Dicom {
            path: dicom_path.clone(),
            source,
        },
    )?;
    let mask_dir = out.join(format!("{}_gt", clip.name));
    std::fs::create_dir_all(&mask_dir).map_err(io(&mask_dir))?;
    for (frame, mask) in clip.labels.iter().enumerate() {
        let path = mask_dir.join(format!("frame_{frame:04}.png"));
        image::GrayImage::from_raw(clip.params.cols, clip.params.rows, mask.clone())
            .expect("masks are rows × cols")
            .save(&path)
            .map_err(|source| PhantomError::Mask {
                path: path.clone(),
                source: Box::new(source),
            })?;
    }
    let truth = GroundTruthFile {
        clip: clip.name.clone(),
        frames: clip.params.frames,
        ed_frame: clip.truth.end_diastole.first().copied().unwrap_or(0),
        es_frame: clip.truth.end_systole.first().copied().unwrap_or(0),
        ed_frames: clip.truth.end_diastole.clone(),
        es_frames: clip.truth.end_systole.clone(),
        classes: CLASS_NAMES.iter().map(|c| c.to_string()).collect(),
        seed,
        index,
        parameters: clip.params.clone(),
    };
    let json_path = out.join(format!("{}.json", clip.name));
    let json = serde_json::to_vec_pretty(&truth).expect("ground truth serialises");
    std::fs::write(&json_path, json).map_err(io(&json_path))?;
    Ok(dicom_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_clip_and_other_seed_differs() {
        let a = generate(3, 1);
        let b = generate(3, 1);
        assert_eq!(a.frames, b.frames);
        assert_eq!(a.labels, b.labels);
        let c = generate(4, 1);
        assert_ne!(a.params, c.params);
    }

    #[test]
    fn key_frames_are_area_extremes() {
        let clip = generate(11, 0);
        let area = |f: u32| clip.labels[f as usize].iter().filter(|c| **c == 1).count();
        assert!(!clip.truth.end_diastole.is_empty() && !clip.truth.end_systole.is_empty());
        let max = (0..clip.params.frames).map(area).max().unwrap();
        let min = (0..clip.params.frames).map(area).min().unwrap();
        for ed in &clip.truth.end_diastole {
            assert!(
                area(*ed) as f64 > 0.97 * max as f64,
                "ED {ed}: {} vs max {max}",
                area(*ed)
            );
        }
        for es in &clip.truth.end_systole {
            assert!(
                (area(*es) as f64) < 1.03 * min as f64,
                "ES {es}: {} vs min {min}",
                area(*es)
            );
        }
    }
}
