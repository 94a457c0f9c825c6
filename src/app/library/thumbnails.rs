//! Thumbnails: the middle frame of every clip decoded and scaled down on a
//! thread of its own (a clip that fails is marked unreadable), then loaded
//! as textures as they arrive; [`frame_thumbnail`] also serves the review
//! grid's cards.

use std::path::PathBuf;
use std::sync::mpsc::channel;

use eframe::egui;

use super::Library;
use crate::dicom::{Clip, PatientSalt};
use crate::downsample::fit_within;
use crate::jobs::{StoreThread, Wake};

/// Thumbnail width in pixels (and the most a thumbnail may be tall).
pub(super) const THUMBNAIL_WIDTH: u32 = 96;

pub(super) struct Thumbnail {
    clip_id: i64,
    image: Result<egui::ColorImage, String>,
}

impl Library {
    /// The size of a clip's thumbnail in pixels, once it has arrived.
    pub fn thumbnail_size(&self, clip: i64) -> Option<[usize; 2]> {
        self.thumbnails.get(&clip).map(egui::TextureHandle::size)
    }

    pub(super) fn start_thumbnails(&mut self, store: &StoreThread, salt: PatientSalt, wake: Wake) {
        self.thumbnails_started = true;
        let root = store.root().to_path_buf();
        let jobs: Vec<(i64, PathBuf)> = self
            .clips
            .iter()
            .filter(|c| !self.thumbnails.contains_key(&c.id))
            .map(|c| {
                let path = if c.path.is_absolute() {
                    c.path.clone()
                } else {
                    root.join(&c.path)
                };
                (c.id, path)
            })
            .collect();
        let (sender, receiver) = channel();
        let spawned = std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || {
                for (clip_id, path) in jobs {
                    let image = thumbnail(&path, &salt);
                    if sender.send(Thumbnail { clip_id, image }).is_err() {
                        return;
                    }
                    wake();
                }
            });
        if spawned.is_ok() {
            self.thumbnail_receiver = Some(receiver);
        }
    }

    pub(super) fn receive_thumbnails(&mut self, ctx: &egui::Context) {
        let Some(receiver) = &self.thumbnail_receiver else {
            return;
        };
        while let Ok(thumbnail) = receiver.try_recv() {
            match thumbnail.image {
                Ok(image) => {
                    let texture = ctx.load_texture(
                        format!("thumbnail-{}", thumbnail.clip_id),
                        image,
                        egui::TextureOptions::LINEAR,
                    );
                    self.thumbnails.insert(thumbnail.clip_id, texture);
                }
                Err(message) => {
                    self.unreadable.insert(thumbnail.clip_id, message);
                }
            }
        }
    }
}

/// The middle frame of a clip, scaled down.
fn thumbnail(path: &std::path::Path, salt: &PatientSalt) -> Result<egui::ColorImage, String> {
    frame_thumbnail(path, salt, None, THUMBNAIL_WIDTH)
}

/// A frame of a clip (the middle one when `frame` is `None`) scaled to fit
/// `side` × `side` pixels with its aspect ratio, for grids of clips or frames.
/// Both sides are bounded: a tall narrow frame scaled to the width alone
/// would make a texture taller than the GPU allows.
pub fn frame_thumbnail(
    path: &std::path::Path,
    salt: &PatientSalt,
    frame: Option<u32>,
    side: u32,
) -> Result<egui::ColorImage, String> {
    let clip = Clip::open(path, salt).map_err(|e| e.to_string())?;
    let frame = clip
        .frame(frame.unwrap_or(clip.frame_count() / 2))
        .map_err(|e| e.to_string())?;
    let image = frame.to_rgb_image();
    let (width, height) = fit_within(frame.width, frame.height, side, side);
    let small = image::imageops::thumbnail(&image, width, height);
    Ok(egui::ColorImage::from_rgb(
        [small.width() as usize, small.height() as usize],
        small.as_raw(),
    ))
}
