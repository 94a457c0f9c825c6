//! People: every annotator with role and expertise; an admin adds people and
//! changes roles.

use eframe::egui;

use super::{StudyOverview, admin_only};
use crate::editor::StudyChange;
use crate::store::Role;

const ROLES: [(Role, &str); 3] = [
    (Role::Annotator, "annotator: their own assigned work"),
    (
        Role::Reviewer,
        "reviewer: reviews anyone's work, builds consensus",
    ),
    (Role::Admin, "admin: people, assignments, imports, settings"),
];

/// The add-or-change form.
pub struct PersonForm {
    name: String,
    role: Role,
    expertise: String,
}

impl Default for PersonForm {
    fn default() -> Self {
        PersonForm {
            name: String::new(),
            role: Role::Annotator,
            expertise: String::new(),
        }
    }
}

impl PersonForm {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        overview: &StudyOverview,
        admin: bool,
    ) -> Option<StudyChange> {
        let mut change = None;
        egui::Grid::new("people")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.strong("Name");
                ui.strong("Role");
                ui.strong("Expertise");
                ui.end_row();
                for person in &overview.annotators {
                    if admin {
                        if ui
                            .link(&person.name)
                            .on_hover_text("Change role or expertise")
                            .clicked()
                        {
                            self.name = person.name.clone();
                            self.role = person.role;
                            self.expertise = person.expertise.join(", ");
                        }
                    } else {
                        ui.label(&person.name);
                    }
                    ui.label(person.role.as_str());
                    ui.label(person.expertise.join(", "));
                    ui.end_row();
                }
            });
        ui.separator();
        if !admin {
            admin_only(ui, overview);
            return None;
        }
        ui.strong("Add a person, or change one");
        egui::Grid::new("person form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Name");
                ui.text_edit_singleline(&mut self.name);
                ui.end_row();
                ui.label("Role");
                egui::ComboBox::from_id_salt("person role")
                    .selected_text(self.role.as_str())
                    .show_ui(ui, |ui| {
                        for (role, help) in ROLES {
                            ui.selectable_value(&mut self.role, role, role.as_str())
                                .on_hover_text(help);
                        }
                    });
                ui.end_row();
                ui.label("Expertise");
                ui.add(
                    egui::TextEdit::singleline(&mut self.expertise)
                        .hint_text("e.g. sonographer, cardiologist"),
                );
                ui.end_row();
            });
        let name = self.name.trim().to_string();
        let exists = overview.annotators.iter().any(|a| a.name == name);
        let label = if exists { "Save changes" } else { "Add person" };
        if ui
            .add_enabled(!name.is_empty(), egui::Button::new(label))
            .clicked()
        {
            change = Some(StudyChange::Person {
                name,
                role: self.role,
                expertise: self
                    .expertise
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            });
            *self = PersonForm::default();
        }
        change
    }
}
