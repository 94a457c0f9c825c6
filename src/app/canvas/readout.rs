//! The readout in the canvas's corner: the pointer in pixels (and in mm
//! within the imaging region), the active contour's area, and the brush and
//! pen cursors that follow the pointer.

use eframe::egui::{self, Color32, Stroke, Vec2};

use super::Viewport;
use crate::app::clip_view::OpenClip;
use crate::app::tools::{EditorState, Gesture, Tool};
use crate::editor::ClipDocument;
use crate::geometry;

/// The pointer position in pixels and millimetres, the active contour's area, the brush.
pub(super) fn draw_cursor_readout(
    ui: &egui::Ui,
    painter: &egui::Painter,
    response: &egui::Response,
    clip: &OpenClip,
    document: Option<&ClipDocument>,
    editor: &EditorState,
    viewport: &Viewport,
) {
    let mut lines = Vec::new();
    let mm = clip.info.as_ref().and_then(|i| i.mm_per_pixel());
    if let Some(pointer) = response.hover_pos() {
        let p = viewport.image_from_screen(pointer);
        let mut text = format!("x {:.0}  y {:.0} px", p[0], p[1]);
        if let (Some((mx, my)), Some(region)) =
            (mm, clip.info.as_ref().and_then(|i| i.region.as_ref()))
        {
            let (depth, lateral) = geometry::region_position_mm(p, region.bounds, (mx, my));
            text.push_str(&format!(
                "  ·  depth {depth:.1} mm, lateral {lateral:+.1} mm"
            ));
        }
        lines.push(text);
        if matches!(editor.tool, Tool::Brush | Tool::Eraser) {
            painter.circle_stroke(
                pointer,
                editor.brush_radius * viewport.scale,
                Stroke::new(1.0, Color32::WHITE),
            );
        }
        if editor.tool == Tool::Pen
            && let Some(Gesture::Pen { points, .. }) = &editor.gesture
            && let Some(last) = points.last()
        {
            painter.line_segment(
                [viewport.screen_from_image(*last), pointer],
                Stroke::new(1.0, Color32::from_white_alpha(160)),
            );
        }
    }
    if let (Some(document), Some(name)) = (document, editor.active_name())
        && let Some(contour) = document.contour(clip.playback.frame, name)
    {
        let pixels = geometry::area(&contour.points);
        let area = match mm {
            Some((mx, my)) => format!("{:.2} cm²", f64::from(pixels) * mx * my / 100.0),
            None => format!("{pixels:.0} px²"),
        };
        lines.push(format!(
            "{name}: {area}, {} points, {}",
            contour.points.len(),
            contour.status
        ));
    }
    let origin = viewport.rect.left_bottom() + Vec2::new(8.0, -8.0);
    for (i, line) in lines.iter().rev().enumerate() {
        painter.text(
            origin - Vec2::new(0.0, 16.0 * i as f32),
            egui::Align2::LEFT_BOTTOM,
            line,
            egui::FontId::monospace(12.0),
            ui.visuals().strong_text_color(),
        );
    }
}
