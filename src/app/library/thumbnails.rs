//! Thumbnails: the middle frame of every clip, decoded and scaled down by
//! the app's one thumbnail worker (a clip that fails is marked unreadable),
//! then loaded as textures as they arrive.

use eframe::egui;

use super::Library;
use crate::dicom::PatientSalt;
use crate::jobs::StoreThread;

/// Thumbnail width in pixels (and the most a thumbnail may be tall).
pub(super) const THUMBNAIL_WIDTH: u32 = 96;

impl Library {
    /// The size of a clip's thumbnail in pixels, once it has arrived.
    pub fn thumbnail_size(&self, clip: i64) -> Option<[usize; 2]> {
        self.thumbnails.get(&clip).map(egui::TextureHandle::size)
    }

    /// Asks the worker for the thumbnails of clips that have none yet.
    pub(super) fn start_thumbnails(&mut self, store: &StoreThread, salt: &PatientSalt) {
        self.thumbnails_started = true;
        let root = store.root();
        for clip in &self.clips {
            if self.thumbnails.contains_key(&clip.id) {
                continue;
            }
            let path = if clip.path.is_absolute() {
                clip.path.clone()
            } else {
                root.join(&clip.path)
            };
            self.thumbnail_client
                .request(clip.id, path, salt, None, THUMBNAIL_WIDTH);
        }
    }

    pub(super) fn receive_thumbnails(&mut self, ctx: &egui::Context) {
        for (clip_id, image) in self.thumbnail_client.take() {
            match image {
                Ok(image) => {
                    let texture = ctx.load_texture(
                        format!("thumbnail-{clip_id}"),
                        color_image(&image),
                        egui::TextureOptions::LINEAR,
                    );
                    self.thumbnails.insert(clip_id, texture);
                }
                Err(error) => {
                    self.unreadable.insert(clip_id, error.to_string());
                }
            }
        }
    }
}

/// The worker's image as a texture's.
pub fn color_image(image: &image::RgbImage) -> egui::ColorImage {
    egui::ColorImage::from_rgb(
        [image.width() as usize, image.height() as usize],
        image.as_raw(),
    )
}
