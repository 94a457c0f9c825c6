//! The mapping between image pixels and screen points for one frame of the
//! canvas, kept apart because every drawing and every tool goes through it.

use eframe::egui::{Pos2, Rect, Vec2};

use crate::app::clip_view::View;
use crate::geometry::Point;

/// Maps between image pixels and screen points for one canvas rect.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub rect: Rect,
    /// Screen points per image pixel.
    pub scale: f32,
    pub centre: Point,
    pub image_size: [f32; 2],
}

impl Viewport {
    pub fn new(rect: Rect, view: &View, width: u32, height: u32) -> Viewport {
        let fit = (rect.width() / width.max(1) as f32).min(rect.height() / height.max(1) as f32);
        Viewport {
            rect,
            // A canvas squeezed to nothing still maps points both ways.
            scale: (fit * view.zoom).max(1e-3),
            centre: view.centre,
            image_size: [width as f32, height as f32],
        }
    }

    pub fn screen_from_image(&self, p: Point) -> Pos2 {
        self.rect.center() + Vec2::new(p[0] - self.centre[0], p[1] - self.centre[1]) * self.scale
    }

    pub fn image_from_screen(&self, s: Pos2) -> Point {
        let d = (s - self.rect.center()) / self.scale;
        [self.centre[0] + d.x, self.centre[1] + d.y]
    }

    /// The texture coordinates of the rect's corners.
    pub(super) fn uv(&self) -> ([f32; 2], [f32; 2]) {
        let min = self.image_from_screen(self.rect.min);
        let max = self.image_from_screen(self.rect.max);
        let [w, h] = self.image_size;
        ([min[0] / w, min[1] / h], [max[0] / w, max[1] / h])
    }
}
