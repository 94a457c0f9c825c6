//! Work and settings: the assignments (with Remove), assigning a collection
//! or a single clip, task templates, blind collections, and which labels
//! train.

use eframe::egui;

use super::template_form::TemplateForm;
use super::{StudyOverview, admin_only};
use crate::editor::{StudyChange, Work};
use crate::store::{LastResort, TrainingLabels};

/// The assign form's choices.
#[derive(Default)]
pub struct AssignForm {
    annotator: Option<String>,
    template: Option<String>,
    /// A collection by name, or a single clip by id.
    collection: Option<String>,
    clip: Option<i64>,
    templates: TemplateForm,
}

impl AssignForm {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        overview: &StudyOverview,
        admin: bool,
    ) -> Option<StudyChange> {
        let mut change = None;
        ui.strong("Assignments");
        if overview.assignments.is_empty() {
            ui.weak("Nothing is assigned yet.");
        }
        egui::Grid::new("assignments")
            .striped(true)
            .num_columns(4)
            .show(ui, |ui| {
                for assignment in &overview.assignments {
                    let work = match (&assignment.collection, assignment.clip_id) {
                        (Some(name), _) => Work::Collection(name.clone()),
                        (None, Some(id)) => Work::Clip(id),
                        (None, None) => continue,
                    };
                    ui.label(&assignment.annotator);
                    ui.label(match &work {
                        Work::Collection(name) => format!("collection {name}"),
                        Work::Clip(id) => clip_name(overview, *id),
                    });
                    ui.label(&assignment.template);
                    if admin && ui.small_button("Remove").clicked() {
                        change = Some(StudyChange::Unassign {
                            work,
                            template: assignment.template.clone(),
                            annotator: assignment.annotator.clone(),
                        });
                    }
                    ui.end_row();
                }
            });
        ui.separator();
        if !admin {
            self.templates
                .ui(ui, &overview.templates, &overview.assignments, false);
            ui.separator();
            admin_only(ui, overview);
            ui.label(format!("Training labels: {}", overview.training));
            return change;
        }
        // Every section is drawn each frame, whichever of them changed something.
        let assigned = self.assign_ui(ui, overview);
        ui.separator();
        let template = self
            .templates
            .ui(ui, &overview.templates, &overview.assignments, true);
        ui.separator();
        let blind = blind_ui(ui, overview);
        ui.separator();
        let training = training_ui(ui, &overview.training, overview);
        change.or(assigned).or(template).or(blind).or(training)
    }

    fn assign_ui(&mut self, ui: &mut egui::Ui, overview: &StudyOverview) -> Option<StudyChange> {
        ui.strong("Assign work");
        egui::Grid::new("assign form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("To");
                combo(
                    ui,
                    "assign annotator",
                    &mut self.annotator,
                    overview.annotators.iter().map(|a| a.name.clone()),
                );
                ui.end_row();
                ui.label("Template");
                combo(
                    ui,
                    "assign template",
                    &mut self.template,
                    overview.templates.iter().map(|t| t.name.clone()),
                );
                ui.end_row();
                ui.label("Collection");
                if combo(
                    ui,
                    "assign collection",
                    &mut self.collection,
                    overview.collections.iter().map(|c| c.name.clone()),
                ) {
                    self.clip = None;
                }
                ui.end_row();
                ui.label("or one clip");
                let selected = self
                    .clip
                    .map_or("—".to_string(), |id| clip_name(overview, id));
                egui::ComboBox::from_id_salt("assign clip")
                    .selected_text(selected)
                    .show_ui(ui, |ui| {
                        for (id, name) in &overview.clips {
                            if ui.selectable_label(self.clip == Some(*id), name).clicked() {
                                self.clip = Some(*id);
                                self.collection = None;
                            }
                        }
                    });
                ui.end_row();
            });
        let work = match (&self.collection, self.clip) {
            (Some(name), _) => Some(Work::Collection(name.clone())),
            (None, Some(id)) => Some(Work::Clip(id)),
            (None, None) => None,
        };
        let ready = work.is_some() && self.annotator.is_some() && self.template.is_some();
        if ui.add_enabled(ready, egui::Button::new("Assign")).clicked()
            && let (Some(work), Some(annotator), Some(template)) =
                (work, self.annotator.clone(), self.template.clone())
        {
            return Some(StudyChange::Assign {
                work,
                template,
                annotator,
            });
        }
        None
    }
}

/// A combo box over `options`; returns whether the choice changed.
fn combo(
    ui: &mut egui::Ui,
    id: &str,
    choice: &mut Option<String>,
    options: impl Iterator<Item = String>,
) -> bool {
    let mut changed = false;
    egui::ComboBox::from_id_salt(id)
        .selected_text(choice.clone().unwrap_or_else(|| "—".into()))
        .show_ui(ui, |ui| {
            for option in options {
                if ui
                    .selectable_label(choice.as_deref() == Some(option.as_str()), &option)
                    .clicked()
                {
                    *choice = Some(option);
                    changed = true;
                }
            }
        });
    changed
}

fn clip_name(overview: &StudyOverview, id: i64) -> String {
    overview
        .clips
        .iter()
        .find(|(clip, _)| *clip == id)
        .map_or_else(|| format!("clip{id:04}"), |(_, name)| name.clone())
}

/// One checkbox per collection: blind annotators see only their own work.
fn blind_ui(ui: &mut egui::Ui, overview: &StudyOverview) -> Option<StudyChange> {
    ui.strong("Blind collections")
        .on_hover_text("Annotators of a blind collection see only their own contours and key frames; reviewers and admins see everyone's");
    let mut change = None;
    for collection in &overview.collections {
        let mut blind = collection.blind;
        if ui
            .checkbox(
                &mut blind,
                format!("{} ({} clips)", collection.name, collection.clips),
            )
            .changed()
        {
            change = Some(StudyChange::Blind {
                collection_id: collection.id,
                blind,
            });
        }
    }
    change
}

/// Which labels train when several people labelled a frame.
fn training_ui(
    ui: &mut egui::Ui,
    current: &TrainingLabels,
    overview: &StudyOverview,
) -> Option<StudyChange> {
    ui.strong("Which labels train")
        .on_hover_text("Read by training, active-learning rounds and exports alike");
    let mut labels = current.clone();
    ui.checkbox(&mut labels.consensus, "The consensus, where one was built");
    ui.checkbox(
        &mut labels.reviewer_accepted,
        "Else a set a reviewer accepted",
    );
    ui.horizontal(|ui| {
        ui.label("Else");
        let text = match &labels.otherwise {
            LastResort::Anyone => "anyone's finished work".to_string(),
            LastResort::Annotator(name) => format!("{name}'s finished work"),
            LastResort::Nobody => "nothing more".to_string(),
        };
        egui::ComboBox::from_id_salt("last resort")
            .selected_text(text)
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut labels.otherwise,
                    LastResort::Anyone,
                    "anyone's finished work",
                );
                for person in &overview.annotators {
                    let choice = LastResort::Annotator(person.name.clone());
                    ui.selectable_value(
                        &mut labels.otherwise,
                        choice,
                        format!("{}'s finished work", person.name),
                    );
                }
                ui.selectable_value(&mut labels.otherwise, LastResort::Nobody, "nothing more");
            });
    });
    (labels != *current).then_some(StudyChange::TrainingLabels(labels))
}
