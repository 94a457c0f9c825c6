//! Plain PNG folders: `images/NAME.png` with its class mask `masks/NAME.png`,
//! the simplest layout to export another dataset to. There is no clip file,
//! so frames are grouped into clips by the name before the last `_`
//! (`p001_frame03` → `p001`): the validation and test splits then keep a
//! patient's frames together instead of leaking near-copies across them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use rayon::prelude::*;

use super::{DatasetError, LabelledClip, LabelledFrame, Layout, class_labels, unreadable};

/// Every clip of a folder in the PNG layout, frames in file-name order.
pub fn read_png_folder(dir: &Path) -> Result<Vec<LabelledClip>, DatasetError> {
    let images = dir.join("images");
    let mut clips: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in std::fs::read_dir(&images)
        .map_err(|e| unreadable(&images, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|ext| ext.eq_ignore_ascii_case("png"))
        })
    {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        clips
            .entry(clip_name(&stem).to_string())
            .or_default()
            .push(path);
    }
    if clips.is_empty() {
        return Err(DatasetError::Empty {
            path: dir.to_path_buf(),
            layout: Layout::PngFolders,
        });
    }
    let masks = dir.join("masks");
    clips
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .enumerate()
        .map(|(index, (name, mut paths))| {
            paths.sort();
            let frames = paths
                .iter()
                .enumerate()
                .map(|(frame, image)| read_frame(image, &masks, index as u32, frame as u32))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LabelledClip::of_frames(name, frames))
        })
        .collect()
}

/// The clip a frame file belongs to: its name before the last `_`, or the
/// whole name when it has none.
fn clip_name(stem: &str) -> &str {
    stem.rsplit_once('_').map_or(stem, |(clip, _)| clip)
}

fn read_frame(
    image: &Path,
    masks: &Path,
    clip: u32,
    frame: u32,
) -> Result<LabelledFrame, DatasetError> {
    let mask_path = masks.join(image.file_name().unwrap_or_default());
    if !mask_path.is_file() {
        return Err(unreadable(
            image,
            format!("no mask {}", mask_path.display()),
        ));
    }
    let gray = image::open(image)
        .map_err(|e| unreadable(image, e.to_string()))?
        .into_luma8();
    let mask = image::open(&mask_path).map_err(|e| unreadable(&mask_path, e.to_string()))?;
    if mask.width() != gray.width() || mask.height() != gray.height() {
        return Err(unreadable(
            &mask_path,
            format!(
                "mask is {}×{}, image is {}×{}",
                mask.width(),
                mask.height(),
                gray.width(),
                gray.height()
            ),
        ));
    }
    let values = mask_values(mask).map_err(|message| unreadable(&mask_path, message))?;
    Ok(LabelledFrame {
        clip,
        frame,
        width: gray.width() as usize,
        height: gray.height() as usize,
        gray: gray.into_raw(),
        labels: class_labels(values, &mask_path)?,
    })
}

/// A mask's values unchanged: class indices must not go through the
/// brightness conversions that suit images (16-bit → 8-bit scaling, colour
/// weighting), so only gray values are accepted, also when stored as RGB.
fn mask_values(mask: DynamicImage) -> Result<Vec<u8>, String> {
    match mask {
        DynamicImage::ImageLuma8(mask) => Ok(mask.into_raw()),
        DynamicImage::ImageLuma16(mask) => mask
            .into_raw()
            .into_iter()
            .map(|v| u8::try_from(v).map_err(|_| format!("mask value {v} is not a class index")))
            .collect(),
        other => {
            let color = other.color();
            let rgb = other.to_rgb8();
            let gray = color.bytes_per_pixel() == color.channel_count()
                && rgb.pixels().all(|p| p[0] == p[1] && p[1] == p[2]);
            if gray {
                Ok(rgb.pixels().map(|p| p[0]).collect())
            } else {
                Err(format!(
                    "mask is {color:?} with colours; expected gray class indices"
                ))
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use image::{GrayImage, ImageBuffer, Luma, RgbImage};

    fn write_gray(path: &Path, width: u32, values: &[u8]) {
        GrayImage::from_raw(width, values.len() as u32 / width, values.to_vec())
            .unwrap()
            .save(path)
            .unwrap();
    }

    /// Two patients × two frames: p001 with class-index masks (one image
    /// 16-bit, one RGB), p002 with 0/255 masks.
    pub(in crate::model::dataset) fn write_folder(dir: &Path) {
        std::fs::create_dir_all(dir.join("images")).unwrap();
        std::fs::create_dir_all(dir.join("masks")).unwrap();
        let image16: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_raw(3, 2, vec![0, 65535, 0, 65535, 0, 65535]).unwrap();
        image16.save(dir.join("images/p001_frame00.png")).unwrap();
        RgbImage::from_pixel(3, 2, image::Rgb([200, 200, 200]))
            .save(dir.join("images/p001_frame01.png"))
            .unwrap();
        write_gray(&dir.join("masks/p001_frame00.png"), 3, &[0, 1, 2, 3, 0, 1]);
        write_gray(&dir.join("masks/p001_frame01.png"), 3, &[3, 3, 0, 0, 0, 0]);
        for name in ["p002_a.png", "p002_b.png"] {
            write_gray(&dir.join("images").join(name), 3, &[9; 6]);
            write_gray(&dir.join("masks").join(name), 3, &[0, 255, 255, 0, 0, 0]);
        }
    }

    #[test]
    fn frames_are_grouped_into_clips_by_name() {
        let dir = tempfile::tempdir().unwrap();
        write_folder(dir.path());
        let clips = read_png_folder(dir.path()).unwrap();
        let names: Vec<_> = clips.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["p001", "p002"]);
        for (index, clip) in clips.iter().enumerate() {
            assert_eq!(clip.frames.len(), 2);
            assert!(clip.dicom.is_none());
            for (frame, f) in clip.frames.iter().enumerate() {
                assert_eq!((f.clip, f.frame), (index as u32, frame as u32));
                assert_eq!((f.width, f.height), (3, 2));
            }
        }
        let p001 = &clips[0].frames;
        assert_eq!(p001[0].gray, [0, 255, 0, 255, 0, 255]);
        assert_eq!(p001[0].labels, [0, 1, 2, 3, 0, 1]);
        assert_eq!(p001[1].gray, [200; 6]);
        assert_eq!(p001[1].labels, [3, 3, 0, 0, 0, 0]);
        // 0/255 masks are binary LV masks.
        assert_eq!(clips[1].frames[0].labels, [0, 1, 1, 0, 0, 0]);
        assert_eq!(clip_name("nounderscore"), "nounderscore");
        assert_eq!(clip_name("a_b_c"), "a_b");
    }

    #[test]
    fn a_missing_mask_or_a_bad_class_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_folder(dir.path());
        let image = dir.path().join("images/p003.png");
        write_gray(&image, 3, &[0; 6]);
        let error = read_png_folder(dir.path()).unwrap_err();
        assert!(
            matches!(&error, DatasetError::Unreadable { path, .. } if *path == image),
            "{error}"
        );
        assert!(error.to_string().contains("p003.png"), "{error}");

        let mask = dir.path().join("masks/p003.png");
        write_gray(&mask, 3, &[0, 7, 0, 0, 0, 0]);
        let error = read_png_folder(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("masks/p003.png") && error.contains('7'),
            "{error}"
        );

        write_gray(&mask, 2, &[0; 4]);
        let error = read_png_folder(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("masks/p003.png") && error.contains("2×2"),
            "{error}"
        );
    }
}
