//! The depth ruler and the 1 cm scale bar beside the imaging sector, drawn
//! where the file gives a physical calibration; the tick positions come from
//! [`crate::geometry::ruler_ticks`], which bounds them against absurd headers.

use eframe::egui::{self, Color32, Pos2, Stroke};

use super::Viewport;
use crate::app::clip_view::OpenClip;
use crate::geometry::ruler_ticks;

/// Depth ruler (1 cm ticks) beside the imaging sector and a scale bar, where
/// the file gives a physical calibration. A region with inverted bounds or a
/// calibration that is not a positive finite number draws nothing.
pub(super) fn draw_calibration(painter: &egui::Painter, clip: &OpenClip, viewport: &Viewport) {
    let Some(info) = &clip.info else { return };
    let Some(region) = &info.region else { return };
    let (Some(mm_x), Some(mm_y)) = (region.mm_per_pixel_x, region.mm_per_pixel_y) else {
        return;
    };
    if !(mm_x.is_finite() && mm_y.is_finite() && mm_x > 0.0 && mm_y > 0.0) {
        return;
    }
    let (min_x, min_y, max_x, max_y) = region.bounds;
    if max_x < min_x || max_y < min_y {
        return;
    }
    let colour = Color32::from_rgba_unmultiplied(250, 230, 120, 200);
    let stroke = Stroke::new(1.0, colour);
    let top = viewport.screen_from_image([min_x as f32, min_y as f32]);
    let bottom = viewport.screen_from_image([min_x as f32, max_y as f32 + 1.0]);
    let x = top.x - 6.0;
    painter.line_segment([Pos2::new(x, top.y), Pos2::new(x, bottom.y)], stroke);
    let depth_mm = (f64::from(max_y) + 1.0 - f64::from(min_y)) * mm_y;
    for (mm, major) in ruler_ticks(depth_mm) {
        let y = viewport
            .screen_from_image([0.0, min_y as f32 + (mm / mm_y) as f32])
            .y;
        let length = if major { 8.0 } else { 4.0 };
        painter.line_segment([Pos2::new(x - length, y), Pos2::new(x, y)], stroke);
        if major && mm > 0.0 {
            painter.text(
                Pos2::new(x - 10.0, y),
                egui::Align2::RIGHT_CENTER,
                format!("{}", mm / 10.0),
                egui::FontId::monospace(10.0),
                colour,
            );
        }
    }
    painter.text(
        Pos2::new(x - 10.0, top.y - 8.0),
        egui::Align2::RIGHT_CENTER,
        "cm",
        egui::FontId::monospace(10.0),
        colour,
    );
    // A 1 cm scale bar under the sector's right corner, when 1 cm is on screen.
    let right = viewport.screen_from_image([max_x as f32 + 1.0, max_y as f32 + 1.0]);
    let bar = (10.0 / mm_x) as f32 * viewport.scale;
    if !(bar.is_finite() && bar <= viewport.rect.width()) {
        return;
    }
    let y = right.y + 10.0;
    painter.line_segment(
        [Pos2::new(right.x - bar, y), Pos2::new(right.x, y)],
        Stroke::new(2.0, colour),
    );
    painter.text(
        Pos2::new(right.x - bar / 2.0, y + 8.0),
        egui::Align2::CENTER_CENTER,
        "1 cm",
        egui::FontId::monospace(10.0),
        colour,
    );
}
