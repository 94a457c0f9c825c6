//! Task templates on the Work tab: what each asks for (contour structures,
//! labels, keypoints or measurements), and for an admin a form to add one or
//! change the kind and items of one. Assignments name a template, so an
//! annotator's task follows it.

use eframe::egui;

use crate::editor::StudyChange;
use crate::store::{AnnotationKind, Assignment, TaskTemplate};

const KINDS: [(AnnotationKind, &str); 4] = [
    (AnnotationKind::Contour, "outlines of structures"),
    (AnnotationKind::Label, "one label per frame from a list"),
    (AnnotationKind::Keypoint, "named points"),
    (AnnotationKind::Measurement, "named measurements"),
];

pub struct TemplateForm {
    name: String,
    kind: AnnotationKind,
    /// Items, comma-separated as typed.
    items: String,
}

impl Default for TemplateForm {
    fn default() -> Self {
        TemplateForm {
            name: String::new(),
            kind: AnnotationKind::Contour,
            items: String::new(),
        }
    }
}

impl TemplateForm {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        templates: &[TaskTemplate],
        assignments: &[Assignment],
        admin: bool,
    ) -> Option<StudyChange> {
        ui.strong("Task templates");
        egui::Grid::new("templates")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                for template in templates {
                    if admin {
                        if ui
                            .link(&template.name)
                            .on_hover_text("Change its kind or items")
                            .clicked()
                        {
                            self.name = template.name.clone();
                            self.kind = template.kind;
                            self.items = template.items.join(", ");
                        }
                    } else {
                        ui.label(&template.name);
                    }
                    ui.label(template.kind.as_str());
                    ui.label(template.items.join(", "));
                    ui.end_row();
                }
            });
        if !admin {
            return None;
        }
        egui::Grid::new("template form")
            .num_columns(2)
            .show(ui, |ui| {
                let label = ui.label("Template name");
                ui.text_edit_singleline(&mut self.name)
                    .labelled_by(label.id);
                ui.end_row();
                ui.label("Kind");
                ui.horizontal(|ui| {
                    for (kind, help) in KINDS {
                        ui.radio_value(&mut self.kind, kind, kind.as_str())
                            .on_hover_text(help);
                    }
                });
                ui.end_row();
                let label = ui.label("Items");
                ui.add(
                    egui::TextEdit::singleline(&mut self.items)
                        .hint_text("e.g. LV endocardium, Myocardium, Left atrium"),
                )
                .labelled_by(label.id);
                ui.end_row();
            });
        let name = self.name.trim().to_string();
        let items: Vec<String> = self
            .items
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let stored = templates.iter().find(|t| t.name == name);
        let exists = stored.is_some();
        let used = assignments.iter().filter(|a| a.template == name).count();
        if let Some(stored) = stored
            && used > 0
            && (stored.kind != self.kind || stored.items != items)
        {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "{used} assignment(s) use this template: their annotators' task changes with it"
                ),
            );
        }
        let label = if exists {
            "Save template"
        } else {
            "Add template"
        };
        let ready = !name.is_empty() && !items.is_empty();
        let clicked = ui
            .add_enabled(ready, egui::Button::new(label))
            .on_disabled_hover_text("A template needs a name and at least one item")
            .clicked();
        if !clicked {
            return None;
        }
        let kind = self.kind;
        *self = TemplateForm::default();
        Some(StudyChange::Template { name, kind, items })
    }
}
