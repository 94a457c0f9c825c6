//! The queue tab: the latest round's frames in rank order, which are
//! labelled, and a button to open each; the uncertainty map's switch lives
//! here because the queue is where it is used.

use eframe::egui;

use super::Overview;
use crate::app::actions::Action;
use crate::app::command::Command;

/// The latest round's queue; a click opens the frame.
pub(super) fn queue_ui(
    ui: &mut egui::Ui,
    overview: &Overview,
    show_uncertainty: bool,
) -> Option<Command> {
    let mut action = None;
    if overview.queue.is_empty() {
        ui.weak("The queue is empty: start a round to rank the unlabelled frames.");
        return None;
    }
    ui.horizontal(|ui| {
        let mut show = show_uncertainty;
        let key = Action::ToggleUncertainty.key_text().unwrap_or_default();
        ui.checkbox(
            &mut show,
            format!("Show the uncertainty map on the image ({key})"),
        );
        if show != show_uncertainty {
            action = Some(Command::Do(Action::ToggleUncertainty));
        }
        let next = Action::NextQueued.key_text().unwrap_or_default();
        ui.weak(format!("{next} opens the next frame to label"));
    });
    let done = overview.queue.iter().filter(|e| e.done).count();
    ui.label(format!(
        "Round {}: {done} of {} frames labelled",
        overview.queue[0].round_id,
        overview.queue.len()
    ));
    egui::ScrollArea::vertical()
        .id_salt("queue")
        .show(ui, |ui| {
            egui::Grid::new("queue")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for heading in ["rank", "clip", "frame", "score", ""] {
                        ui.label(egui::RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for entry in &overview.queue {
                        ui.label(entry.rank.to_string());
                        ui.label(&entry.clip_name);
                        ui.label((entry.frame + 1).to_string());
                        ui.label(format!("{:.4}", entry.score));
                        ui.horizontal(|ui| {
                            if ui.button("Open").clicked() {
                                action = Some(Command::OpenFrame {
                                    clip_id: entry.clip_id,
                                    frame: entry.frame,
                                });
                            }
                            if entry.done {
                                ui.colored_label(
                                    egui::Color32::from_rgb(110, 200, 110),
                                    "labelled",
                                );
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    action
}
