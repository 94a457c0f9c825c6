//! The pixels an export writes: a clip's frames in grey, blanked outside its
//! ultrasound regions, and the class map of a label set's frame.

use crate::dicom::{Clip, UltrasoundRegion};
use crate::geometry::{Mask, paint_class_map};

use super::{ExportError, LabelSet, Selection};

/// The most pixels of one clip an export decodes at once (1 GiB of grey).
const MAX_CLIP_PIXELS: u64 = 1 << 30;

/// A clip's frames as an export writes them.
pub struct Pictures {
    clip: Clip,
    /// The regions outside which pixels are blanked; empty when nothing is blanked.
    blank_outside: Vec<UltrasoundRegion>,
    name: String,
}

impl Pictures {
    pub fn new(clip: Clip, name: &str, keep_outside_regions: bool) -> Result<Self, ExportError> {
        let info = clip.info();
        let pixels = u64::from(info.rows) * u64::from(info.cols) * u64::from(info.frames);
        if pixels > MAX_CLIP_PIXELS {
            return Err(ExportError::Invalid(format!(
                "{name}: {} frames of {}×{} are more than an export decodes at once",
                info.frames, info.cols, info.rows
            )));
        }
        let blank_outside = if keep_outside_regions {
            Vec::new()
        } else {
            info.regions.clone()
        };
        Ok(Pictures {
            clip,
            blank_outside,
            name: name.to_string(),
        })
    }

    pub fn clip(&self) -> &Clip {
        &self.clip
    }

    /// Whether pixels outside the ultrasound regions are blanked.
    pub fn blanks(&self) -> bool {
        !self.blank_outside.is_empty()
    }

    /// Frame `index` in grey (row-major), blanked outside the regions.
    pub fn gray(&self, index: u32) -> Result<Vec<u8>, ExportError> {
        let frame = self.clip.frame(index).map_err(|e| {
            let message = super::without_path(self.clip.path(), &e.to_string());
            ExportError::Invalid(format!("{}: frame {index}: {message}", self.name))
        })?;
        let mut gray = frame.gray();
        blank_outside(&mut gray, frame.width as usize, &self.blank_outside);
        Ok(gray)
    }
}

/// Sets to 0 every pixel of a row-major image that lies in none of `regions`
/// (bounds inclusive); leaves the image as it is when there are none.
pub fn blank_outside(gray: &mut [u8], width: usize, regions: &[UltrasoundRegion]) {
    if regions.is_empty() || width == 0 {
        return;
    }
    for (row, line) in gray.chunks_mut(width).enumerate() {
        for (col, pixel) in line.iter_mut().enumerate() {
            let inside = regions.iter().any(|r| {
                let (x0, y0, x1, y1) = r.bounds;
                (x0 as usize..=x1 as usize).contains(&col)
                    && (y0 as usize..=y1 as usize).contains(&row)
            });
            if !inside {
                *pixel = 0;
            }
        }
    }
}

/// The class map of a label set's contours on `frame` (`width × height`),
/// in the selection's class numbers; `max_class` drops classes above it (the
/// layouts whose readers know only the CAMUS classes).
pub fn class_map(
    selection: &Selection,
    set: &LabelSet,
    frame: u32,
    width: usize,
    height: usize,
    max_class: usize,
) -> Vec<u8> {
    let annotations = set.contours.get(&frame).map(Vec::as_slice).unwrap_or(&[]);
    let contours: Vec<Option<&[[f32; 2]]>> = selection
        .structures
        .iter()
        .take(max_class)
        .map(|structure| {
            annotations
                .iter()
                .find(|a| a.target.eq_ignore_ascii_case(structure))
                .map(|a| a.geometry.contour.as_slice())
        })
        .collect();
    paint_class_map(&contours, width, height)
}

/// The pixels of class `class` in a class map.
pub fn class_mask(labels: &[u8], width: usize, height: usize, class: usize) -> Mask {
    Mask::from_labels(labels, width, height, class.min(usize::from(u8::MAX)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_outside_every_region_are_blanked() {
        let region = |bounds| UltrasoundRegion {
            bounds,
            spatial_format: 1,
            mm_per_pixel_x: None,
            mm_per_pixel_y: None,
        };
        let mut gray = vec![9u8; 4 * 3];
        blank_outside(&mut gray, 4, &[region((1, 0, 2, 1)), region((3, 2, 3, 2))]);
        assert_eq!(gray, [0, 9, 9, 0, 0, 9, 9, 0, 0, 0, 0, 9]);
        let mut untouched = vec![9u8; 4];
        blank_outside(&mut untouched, 2, &[]);
        assert_eq!(untouched, [9; 4]);
    }
}
