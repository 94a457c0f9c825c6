//! The uncertainty map of the frame on screen, drawn over the image: the
//! per-pixel MC entropy an active-learning round saved for the frames it
//! queued or pseudo-labelled, as a transparent-to-red heat map. The PNG is
//! read and coloured on a job thread; the UI only polls.

use std::path::PathBuf;

use eframe::egui;

use crate::active::round::uncertainty_map_path;
use crate::jobs::{Job, JobState, Wake};

/// Which map is loaded: the frame and the rounds it was looked up in.
type MapKey = (i64, u32, Vec<i64>);

#[derive(Default)]
pub struct UncertaintyOverlay {
    key: Option<MapKey>,
    texture: Option<egui::TextureHandle>,
    job: Option<Job<Option<egui::ColorImage>>>,
}

impl UncertaintyOverlay {
    /// Whether a map is loaded for the frame last asked about.
    pub fn is_shown(&self) -> bool {
        self.texture.is_some()
    }

    /// The texture of the newest saved map of `frame` of `clip_id`, if one
    /// exists; a new frame (or a new round) starts loading it.
    pub fn texture(
        &mut self,
        ctx: &egui::Context,
        root: PathBuf,
        rounds: Vec<i64>,
        clip_id: i64,
        frame: u32,
        wake: Wake,
    ) -> Option<egui::TextureId> {
        let key = (clip_id, frame, rounds);
        if self.key.as_ref() != Some(&key) {
            self.texture = None;
            let rounds = key.2.clone();
            self.job = Some(Job::spawn("Reading the uncertainty map", wake, move |_| {
                load_map(&root, &rounds, clip_id, frame)
            }));
            self.key = Some(key);
        }
        if let Some(job) = &mut self.job {
            match job.poll() {
                JobState::Running { .. } => {}
                JobState::Finished(image) => {
                    self.job = None;
                    self.texture = image.map(|image| {
                        ctx.load_texture("uncertainty map", image, egui::TextureOptions::LINEAR)
                    });
                }
                JobState::Failed(_) => self.job = None,
            }
        }
        self.texture.as_ref().map(egui::TextureHandle::id)
    }
}

/// The first saved map among `rounds` (newest first), coloured.
fn load_map(
    root: &std::path::Path,
    rounds: &[i64],
    clip_id: i64,
    frame: u32,
) -> Option<egui::ColorImage> {
    let path = rounds
        .iter()
        .map(|&round| uncertainty_map_path(root, round, clip_id, frame))
        .find(|path| path.is_file())?;
    let map = image::open(&path).ok()?.into_luma8();
    let size = [map.width() as usize, map.height() as usize];
    let rgba: Vec<u8> = map.as_raw().iter().flat_map(|&v| heat(v)).collect();
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
    use super::heat;

    #[test]
    fn certain_pixels_are_clear_and_uncertain_ones_opaque_red() {
        assert_eq!(heat(0)[3], 0);
        assert_eq!(heat(30)[3], 0, "faint noise stays clear");
        assert_eq!(heat(255), [255, 0, 0, 230]);
        assert!(heat(64)[3] < heat(192)[3]);
    }
}
