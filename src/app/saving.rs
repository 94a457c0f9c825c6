//! What the desktop shows about saving: the status-bar indicator, the list of
//! changes the store refused, and the question asked before leaving a project
//! (quitting, closing the window, opening another) while changes are unsaved.

use std::path::PathBuf;

use eframe::egui;

use crate::jobs::{SaveState, StoreThread};

/// What to do once the open project has been left.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterLeave {
    Quit,
    Open { root: PathBuf, create: bool },
    OpenDemo,
}

/// The answer to the leave question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveChoice {
    /// Reopen the project and try the waiting changes now.
    Retry,
    /// Stay in the project; the changes go on waiting.
    Stay,
    /// Leave now; what is unsaved stays in the journal for next time.
    LeaveKeepingJournal,
}

/// The indicator in the status bar; sets `show_failures` when the user asks
/// for the list of refused changes.
pub fn status_ui(ui: &mut egui::Ui, store: &StoreThread, show_failures: &mut bool) {
    match store.save_state() {
        SaveState::Saved { .. } => {
            ui.colored_label(egui::Color32::from_rgb(110, 200, 110), "All changes saved");
        }
        SaveState::Saving { queued } => {
            ui.spinner();
            ui.label(format!("Saving {queued} change(s)…"));
        }
        SaveState::Waiting { message, waiting } => {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{waiting} change(s) waiting: {message}"),
            )
            .on_hover_text(
                "The changes are written to this project's journal on disk, so they are not lost \
                 if EchoLabel is closed; they are saved as soon as the database can take them.",
            );
            if ui
                .button("Retry")
                .on_hover_text("Reopen the project and save the waiting changes now")
                .clicked()
            {
                store.retry();
            }
        }
    }
    let failures = store.failures().len();
    if failures > 0
        && ui
            .button(
                egui::RichText::new(format!("Unsaved changes ({failures})…"))
                    .color(ui.visuals().error_fg_color),
            )
            .clicked()
    {
        *show_failures = true;
    }
    if let Some(error) = store.journal_error() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("Changes are not journalled: {error}"),
        );
    }
}

/// The changes the store refused, each with what failed, to discard one by
/// one or export for a colleague to redo.
pub fn failures_window(ctx: &egui::Context, store: &StoreThread, open: &mut bool) {
    let failures = store.failures();
    if failures.is_empty() {
        *open = false;
        return;
    }
    egui::Window::new("Unsaved changes")
        .open(open)
        .default_width(520.0)
        .show(ctx, |ui| {
            ui.label(
                "The project refused these changes; the screen was brought back to what the \
                 project holds. Discard a change once you have redone it, or export the list.",
            );
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    for failure in &failures {
                        ui.horizontal(|ui| {
                            if ui.button("Discard").clicked() {
                                store.discard(failure.seq);
                            }
                            ui.vertical(|ui| {
                                ui.strong(failure.mutation.describe());
                                ui.colored_label(ui.visuals().error_fg_color, &failure.error);
                            });
                        });
                        ui.separator();
                    }
                });
            if ui
                .button("Export all…")
                .on_hover_text("Write the list to a JSON file in the project's exports folder")
                .clicked()
            {
                store.export_failures();
            }
        });
}

/// Asks what to do with unsaved changes before leaving the project; `None`
/// while the user has not answered (saving may finish meanwhile).
pub fn leave_dialog(
    ctx: &egui::Context,
    store: &StoreThread,
    after: &AfterLeave,
) -> Option<LeaveChoice> {
    let mut choice = None;
    let leave = match after {
        AfterLeave::Quit => "Quit",
        AfterLeave::Open { .. } | AfterLeave::OpenDemo => "Open the other project",
    };
    egui::Modal::new(egui::Id::unique("leave with unsaved changes")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("Changes are not saved yet");
        match store.save_state() {
            SaveState::Saving { queued } => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Saving {queued} change(s)…"));
                });
            }
            SaveState::Waiting { message, waiting } => {
                ui.label(format!("{waiting} change(s) are waiting: {message}"));
            }
            SaveState::Saved { .. } => {}
        }
        let failures = store.failures().len();
        if failures > 0 {
            ui.label(format!(
                "{failures} change(s) were refused by the project (see Unsaved changes)."
            ));
        }
        match store.journal_error() {
            None => ui.label(
                "Everything is kept in the project's journal on disk: if you leave now, it is \
                 saved the next time this project is opened.",
            ),
            Some(error) => ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "The journal cannot be written ({error}): changes not yet saved are only \
                     in memory and are lost if you leave now. Free the database or wait."
                ),
            ),
        };
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Retry now").clicked() {
                choice = Some(LeaveChoice::Retry);
            }
            if ui.button("Keep working").clicked() {
                choice = Some(LeaveChoice::Stay);
            }
            if ui
                .button(format!("{leave}, keep them for next time"))
                .clicked()
            {
                choice = Some(LeaveChoice::LeaveKeepingJournal);
            }
        });
    });
    choice
}
