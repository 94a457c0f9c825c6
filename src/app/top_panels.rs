//! The menu bar and the status bar. Both draw from the app's state and send
//! commands; the menu items come from the action table.

use eframe::egui;

use super::EchoLabelApp;
use super::actions::Action;
use super::command::Command;

impl EchoLabelApp {
    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let commands = self.commands.sender();
        let open = self.session.is_some();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("Project", |ui| {
                Action::NewProject.menu_item(ui, true, commands);
                Action::OpenProject.menu_item(ui, true, commands);
                Action::OpenDemo.menu_item(ui, true, commands);
                ui.menu_button("Recent", |ui| {
                    for root in &self.settings.recent_projects {
                        if ui.button(root.display().to_string()).clicked() {
                            commands.send(Command::OpenProjectAt(root.clone()));
                        }
                    }
                });
                ui.separator();
                Action::ImportFolder.menu_item(ui, open, commands);
                Action::Export.menu_item(ui, open, commands);
                Action::ChangeAnnotator.menu_item(ui, open, commands);
                ui.separator();
                Action::Quit.menu_item(ui, true, commands);
            });
            ui.menu_button("Edit", |ui| {
                let document = self.session.as_ref().and_then(|s| s.document());
                let can_undo = document.is_some_and(|d| d.can_undo());
                let can_redo = document.is_some_and(|d| d.can_redo());
                Action::Undo.menu_item(ui, can_undo, commands);
                Action::Redo.menu_item(ui, can_redo, commands);
            });
            let learning = Action::ToggleLearning;
            if ui
                .add_enabled(
                    open,
                    egui::Button::selectable(self.learning.open, learning.spec().name),
                )
                .on_hover_text(learning.spec().help)
                .clicked()
            {
                commands.send(Command::Do(learning));
            }
            for (action, shown) in [
                (Action::ToggleStudy, self.study.open),
                (Action::ToggleAgreement, self.study.agreement.open),
            ] {
                if ui
                    .add_enabled(open, egui::Button::selectable(shown, action.spec().name))
                    .on_hover_text(action.spec().help)
                    .clicked()
                {
                    commands.send(Command::Do(action));
                }
            }
            ui.menu_button("Help", |ui| Action::Help.menu_item(ui, true, commands));
            ui.separator();
            if let Some(session) = &self.session {
                ui.label(egui::RichText::new(session.root().display().to_string()).weak());
                if let Some(annotator) = &session.annotator {
                    ui.label(format!("annotating as {}", annotator.name));
                }
            }
        });
    }

    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(session) = &self.session {
                super::saving::status_ui(ui, &session.store, &mut self.dialogs.show_failures);
            }
            self.jobs_ui(ui);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let help = format!(
                    "Shortcuts ({})",
                    Action::Help.key_text().unwrap_or_default()
                );
                Action::Help.button_labelled(ui, help, true, self.commands.sender());
            });
        });
    }
}

/// One background job in the status bar; returns whether Cancel was clicked.
pub(super) fn job_row(ui: &mut egui::Ui, name: &str, fraction: f32, message: &str) -> bool {
    ui.separator();
    ui.label(name);
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(180.0)
            .show_percentage(),
    );
    ui.label(message);
    ui.button("Cancel").clicked()
}
