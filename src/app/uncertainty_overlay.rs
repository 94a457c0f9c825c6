//! The uncertainty map of the frame on screen, drawn over the image: the
//! per-pixel MC entropy an active-learning round saved for the frames it
//! queued or pseudo-labelled, as a transparent-to-red heat map. Which frames
//! have a map is known from the project's overview; the PNG is read and
//! coloured on a job thread, only for those frames.

use std::path::PathBuf;

use eframe::egui;

use super::background::{JobOutput, Jobs};
use crate::jobs::{JobKind, Wake};

#[derive(Default)]
pub struct UncertaintyOverlay {
    /// The map file loaded (or loading), if the frame has one.
    path: Option<PathBuf>,
    texture: Option<egui::TextureHandle>,
}

impl UncertaintyOverlay {
    /// Whether a map is loaded for the frame last asked about.
    pub fn is_shown(&self) -> bool {
        self.texture.is_some()
    }

    /// The texture of the map at `path` (the frame on screen's, if it has
    /// one); a new path starts reading it.
    pub fn texture(
        &mut self,
        ctx: &egui::Context,
        path: Option<PathBuf>,
        jobs: &mut Jobs,
        wake: Wake,
    ) -> Option<egui::TextureId> {
        if self.path != path {
            self.texture = None;
            let max_side = u32::try_from(ctx.input(|i| i.max_texture_side)).unwrap_or(u32::MAX);
            if let Some(path) = path.clone() {
                // Maps may be read side by side: the registry refuses none.
                let _ = jobs.start(
                    JobKind::UncertaintyMap,
                    JobKind::UncertaintyMap.label(),
                    wake,
                    move |_| JobOutput::UncertaintyMap {
                        image: load_map(&path, max_side),
                        path,
                    },
                );
            }
            self.path = path;
        }
        self.texture.as_ref().map(egui::TextureHandle::id)
    }

    /// A map finished reading; shown if its frame is still the one on screen.
    pub fn loaded(&mut self, ctx: &egui::Context, path: PathBuf, image: Option<egui::ColorImage>) {
        if self.path.as_ref() != Some(&path) {
            return;
        }
        self.texture = image
            .map(|image| ctx.load_texture("uncertainty map", image, egui::TextureOptions::LINEAR));
    }
}

/// The map at `path`, coloured, and shrunk to fit a texture of at most
/// `max_side` pixels a side (it is drawn over the whole image rect anyway).
fn load_map(path: &std::path::Path, max_side: u32) -> Option<egui::ColorImage> {
    let map = image::open(path).ok()?.into_luma8();
    let (width, height) = map.dimensions();
    let fitted = crate::downsample::fit_within(width, height, max_side, max_side);
    let values = if fitted == (width, height) {
        map.into_raw()
    } else {
        crate::downsample::box_filter(map.as_raw(), (width, height), 1, fitted)?
    };
    let size = [fitted.0 as usize, fitted.1 as usize];
    let rgba: Vec<u8> = values.iter().flat_map(|&v| heat(v)).collect();
    Some(egui::ColorImage::from_rgba_unmultiplied(size, &rgba))
}

/// Below this share of the frame's peak entropy a pixel stays clear, so the
/// faint background noise of a confident model does not tint the image.
const CLEAR_BELOW: f32 = 0.15;

/// Certain pixels are clear; uncertain ones go from yellow to opaque red.
fn heat(value: u8) -> [u8; 4] {
    let t = ((f32::from(value) / 255.0 - CLEAR_BELOW) / (1.0 - CLEAR_BELOW)).clamp(0.0, 1.0);
    [255, (220.0 * (1.0 - t)) as u8, 0, (230.0 * t.sqrt()) as u8]
}

#[cfg(test)]
mod tests {
    use super::{heat, load_map};

    #[test]
    fn a_map_beyond_the_texture_limit_is_shrunk_to_fit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.png");
        image::GrayImage::from_pixel(11, 1000, image::Luma([200]))
            .save(&path)
            .unwrap();
        let shrunk = load_map(&path, 64).unwrap();
        assert_eq!(shrunk.size, [1, 64]);
        let full = load_map(&path, 4096).unwrap();
        assert_eq!(full.size, [11, 1000]);
        assert_eq!(
            shrunk.pixels[0], full.pixels[0],
            "same colour, fewer pixels"
        );
    }

    #[test]
    fn certain_pixels_are_clear_and_uncertain_ones_opaque_red() {
        assert_eq!(heat(0)[3], 0);
        assert_eq!(heat(30)[3], 0, "faint noise stays clear");
        assert_eq!(heat(255), [255, 0, 0, 230]);
        assert!(heat(64)[3] < heat(192)[3]);
    }
}
