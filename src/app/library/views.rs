//! One clip in the panel: a row of the list (status dot and name) or a card
//! of the grid (thumbnail, name, status border), with the same tooltip.

use eframe::egui;

use super::thumbnails::THUMBNAIL_WIDTH;
use super::{Library, display_name};
use crate::store::ClipRecord;

impl Library {
    fn tooltip(&self, clip: &ClipRecord) -> String {
        let status = self.status(clip.id);
        let mut text = format!(
            "{}\n{} frames, {}×{}\nstatus: {}",
            clip.path.display(),
            clip.frames,
            clip.cols,
            clip.rows,
            status.label()
        );
        if let Some(p) = self.progress.get(&clip.id) {
            text.push_str(&format!(
                "\n{} key frames, {} complete; {} contours",
                p.key_frames, p.complete_key_frames, p.contours
            ));
        }
        if self.is_returned(clip.id) {
            text.push_str("\na reviewer returned work on this clip to you");
        }
        if let Some(message) = self.unreadable.get(&clip.id) {
            text.push_str(&format!("\n{message}"));
        }
        text
    }

    pub(super) fn list_item_ui(&self, ui: &mut egui::Ui, clip: &ClipRecord) -> bool {
        let status = self.status(clip.id);
        let selected = self.selected == Some(clip.id);
        let response = ui
            .horizontal(|ui| {
                let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter()
                    .circle_filled(dot.center(), 5.0, status.colour());
                let returned = if self.is_returned(clip.id) {
                    "  ·  returned"
                } else {
                    ""
                };
                ui.selectable_label(
                    selected,
                    format!("{}  ·  {} fr{returned}", display_name(clip), clip.frames),
                )
            })
            .inner;
        let response = response.on_hover_text(self.tooltip(clip));
        if selected && response.ctx.memory(|m| m.focused().is_none()) {
            response.scroll_to_me(None);
        }
        response.clicked()
    }

    pub(super) fn grid_item_ui(&self, ui: &mut egui::Ui, clip: &ClipRecord) -> bool {
        let status = self.status(clip.id);
        let selected = self.selected == Some(clip.id);
        let size = egui::vec2(
            THUMBNAIL_WIDTH as f32 + 8.0,
            THUMBNAIL_WIDTH as f32 * 0.75 + 26.0,
        );
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
        let painter = ui.painter_at(rect);
        let stroke = if selected {
            egui::Stroke::new(3.0, ui.visuals().selection.bg_fill)
        } else {
            egui::Stroke::new(2.0, status.colour())
        };
        painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
        let image_rect = egui::Rect::from_min_size(
            rect.min + egui::vec2(4.0, 4.0),
            egui::vec2(THUMBNAIL_WIDTH as f32, THUMBNAIL_WIDTH as f32 * 0.75),
        );
        if let Some(texture) = self.thumbnails.get(&clip.id) {
            let fitted = fit(texture.size_vec2(), image_rect);
            painter.image(
                texture.id(),
                fitted,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                egui::Color32::WHITE,
            );
        }
        painter.text(
            egui::pos2(rect.center().x, rect.bottom() - 11.0),
            egui::Align2::CENTER_CENTER,
            truncate(&display_name(clip), 14),
            egui::FontId::proportional(11.0),
            ui.visuals().text_color(),
        );
        painter.rect_stroke(rect, 4.0, stroke, egui::StrokeKind::Inside);
        let response = response.on_hover_text(self.tooltip(clip));
        response.clicked()
    }
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    }
}

fn fit(size: egui::Vec2, rect: egui::Rect) -> egui::Rect {
    let scale = (rect.width() / size.x).min(rect.height() / size.y);
    egui::Rect::from_center_size(rect.center(), size * scale)
}
