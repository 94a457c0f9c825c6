//! The counts under the filters: how many clips are shown and how many of
//! them are done, in progress, not started or unreadable.

use eframe::egui;

use super::{ClipStatus, Library};

impl Library {
    pub(super) fn counts_ui(&self, ui: &mut egui::Ui) {
        let visible = self.visible();
        let count = |status| {
            visible
                .iter()
                .filter(|c| self.status(c.id) == status)
                .count()
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} clips", visible.len()));
            for status in [
                ClipStatus::Done,
                ClipStatus::InProgress,
                ClipStatus::NotStarted,
            ] {
                ui.colored_label(
                    status.colour(),
                    format!("{} {}", count(status), status.label()),
                );
            }
            let unreadable = count(ClipStatus::Unreadable);
            if unreadable > 0 {
                ui.colored_label(
                    ClipStatus::Unreadable.colour(),
                    format!("{unreadable} unreadable"),
                );
            }
        });
    }
}
