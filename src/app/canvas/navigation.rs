//! Moving the view with the mouse: wheel zoom around the cursor, panning and
//! right-drag window/level. Separate from the tools because it works the same
//! whichever tool is active (and the edit tool pans on an empty drag).

use eframe::egui::{self, Vec2};

use super::Viewport;
use crate::app::clip_view::OpenClip;

const ZOOM_RANGE: (f32, f32) = (0.25, 32.0);

/// Wheel zoom around the cursor, middle- or empty-drag pan, right-drag window/level.
pub(super) fn handle_zoom(
    ui: &egui::Ui,
    response: &egui::Response,
    clip: &mut OpenClip,
    viewport: &Viewport,
) {
    if let Some(pointer) = response.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let anchor = viewport.image_from_screen(pointer);
            let zoom = (clip.view.zoom * (scroll * 0.002).exp()).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
            let scale = viewport.scale / clip.view.zoom * zoom;
            let d = (pointer - viewport.rect.center()) / scale;
            clip.view.zoom = zoom;
            clip.view.centre = [anchor[0] - d.x, anchor[1] - d.y];
        }
    }
    if response.dragged_by(egui::PointerButton::Middle) {
        pan(clip, response.drag_delta(), viewport.scale);
    }
    if response.dragged_by(egui::PointerButton::Secondary) {
        let delta = response.drag_delta();
        clip.view.window = (clip.view.window + delta.x).clamp(1.0, 512.0);
        clip.view.level = (clip.view.level - delta.y).clamp(-128.0, 383.0);
    }
}

pub(super) fn pan(clip: &mut OpenClip, delta: Vec2, scale: f32) {
    clip.view.centre[0] -= delta.x / scale;
    clip.view.centre[1] -= delta.y / scale;
}
