//! Modal windows: who is annotating, importing a folder, exporting (its form
//! is in [`super::export_dialog`]), and the keyboard help. Each window keeps what is typed into it; what the user decides is
//! sent as a [`Command`].

use std::path::PathBuf;

use eframe::egui;

use super::actions::{ACTIONS, describe};
use super::command::{Command, CommandSender};
use crate::store::{Annotator, Role};

/// The windows that can be open over the editor.
#[derive(Default)]
pub struct Dialogs {
    pub picker: Option<AnnotatorPicker>,
    pub import_form: Option<ImportForm>,
    pub export_form: Option<super::export_dialog::ExportForm>,
    pub show_help: bool,
    pub show_failures: bool,
}

impl Dialogs {
    /// Whether a modal window takes the keyboard (editor shortcuts are off).
    pub fn modal_open(&self) -> bool {
        self.picker.is_some() || self.import_form.is_some() || self.export_form.is_some()
    }

    /// Draws the annotator picker, the import form and the help.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        annotators: Option<&[Annotator]>,
        commands: &CommandSender,
    ) {
        if let Some(picker) = &mut self.picker
            && let Some(annotators) = annotators
            && let Some(choice) = picker.ui(ctx, annotators)
        {
            commands.send(Command::ChooseAnnotator(choice));
        }
        if let Some(form) = &mut self.import_form
            && let Some(decision) = form.ui(ctx)
        {
            let form = self.import_form.take().expect("the form is open");
            if let ImportDecision::Start = decision {
                commands.send(Command::StartImport {
                    folder: form.folder,
                    collection: form.collection.trim().to_string(),
                    copy: form.copy,
                });
            }
        }
        super::export_dialog::export_form_ui(&mut self.export_form, ctx, commands);
        help_ui(ctx, &mut self.show_help);
    }
}

/// The "who is annotating?" window. Returns the chosen annotator, or a new
/// name to add, once the user confirms.
#[derive(Debug, Clone)]
pub enum AnnotatorChoice {
    Existing(Annotator),
    /// A person with a passphrase: checked on the store thread first.
    SignIn {
        annotator: Annotator,
        passphrase: String,
    },
    New(String),
}

#[derive(Default)]
pub struct AnnotatorPicker {
    pub selected: Option<i64>,
    pub new_name: String,
    pub passphrase: String,
}

impl AnnotatorPicker {
    pub fn ui(&mut self, ctx: &egui::Context, annotators: &[Annotator]) -> Option<AnnotatorChoice> {
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("who is annotating")).show(ctx, |ui| {
            ui.set_width(340.0);
            ui.heading("Who is annotating?");
            ui.label("Every contour and key frame you make is recorded under this name.");
            ui.separator();
            for annotator in annotators {
                let role = match annotator.role {
                    Role::Annotator => "annotator",
                    Role::Reviewer => "reviewer",
                    Role::Admin => "admin",
                };
                let label = format!(
                    "{}  ({role}{}{})",
                    annotator.name,
                    if annotator.expertise.is_empty() {
                        ""
                    } else {
                        ", "
                    },
                    annotator.expertise.join(", ")
                );
                let response = ui.selectable_label(self.selected == Some(annotator.id), label);
                if response.clicked() {
                    self.selected = Some(annotator.id);
                }
                if response.double_clicked() && !annotator.passphrase {
                    choice = Some(AnnotatorChoice::Existing(annotator.clone()));
                }
            }
            // Only a project without an admin takes a new name here: that
            // person becomes its admin, and adds everyone else.
            let admins: Vec<&str> = annotators
                .iter()
                .filter(|a| a.role == Role::Admin)
                .map(|a| a.name.as_str())
                .collect();
            if admins.is_empty() {
                ui.label("This project has no admin yet: the person named here becomes its admin.");
                ui.horizontal(|ui| {
                    ui.label("New:");
                    ui.add(egui::TextEdit::singleline(&mut self.new_name).hint_text("your name"));
                });
            } else {
                self.new_name.clear();
                ui.weak(format!(
                    "Not listed? An admin ({}) adds people to the project.",
                    admins.join(", ")
                ));
            }
            let protected = annotators
                .iter()
                .find(|a| Some(a.id) == self.selected)
                .filter(|a| a.passphrase && self.new_name.trim().is_empty());
            if let Some(person) = protected {
                ui.horizontal(|ui| {
                    ui.label(format!("{}'s passphrase:", person.name));
                    ui.add(egui::TextEdit::singleline(&mut self.passphrase).password(true));
                });
                ui.weak("A passphrase keeps people on a shared workstation apart; it does not protect the project file.");
            }
            ui.separator();
            let new_name = self.new_name.trim().to_string();
            let enabled = self.selected.is_some() || !new_name.is_empty();
            let confirm = ui
                .add_enabled(enabled, egui::Button::new("Start annotating"))
                .clicked()
                || (enabled && ui.input(|i| i.key_pressed(egui::Key::Enter)));
            if confirm {
                choice = if !new_name.is_empty() {
                    Some(AnnotatorChoice::New(new_name))
                } else {
                    annotators
                        .iter()
                        .find(|a| Some(a.id) == self.selected)
                        .cloned()
                        .map(|annotator| {
                            if annotator.passphrase {
                                AnnotatorChoice::SignIn {
                                    annotator,
                                    passphrase: std::mem::take(&mut self.passphrase),
                                }
                            } else {
                                AnnotatorChoice::Existing(annotator)
                            }
                        })
                };
            }
        });
        choice
    }
}

/// The import form shown after a folder is picked.
pub struct ImportForm {
    pub folder: PathBuf,
    pub collection: String,
    pub copy: bool,
}

pub enum ImportDecision {
    Start,
    Cancel,
}

impl ImportForm {
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<ImportDecision> {
        let mut decision = None;
        egui::Modal::new(egui::Id::unique("import form")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading("Import DICOM folder");
            ui.label(self.folder.display().to_string());
            ui.horizontal(|ui| {
                ui.label("Collection");
                ui.text_edit_singleline(&mut self.collection);
            });
            ui.checkbox(&mut self.copy, "Copy the files into the project");
            ui.weak("Files already in the project are skipped; unreadable files are listed and the rest are imported.");
            ui.horizontal(|ui| {
                if ui.add_enabled(!self.collection.trim().is_empty(), egui::Button::new("Import")).clicked() {
                    decision = Some(ImportDecision::Start);
                }
                if ui.button("Cancel").clicked() {
                    decision = Some(ImportDecision::Cancel);
                }
            });
        });
        decision
    }
}

/// The keyboard shortcuts, from the one table the key handling uses. The
/// list scrolls inside a window that fits the screen, however small.
fn help_ui(ctx: &egui::Context, open: &mut bool) {
    let screen = ctx.content_rect();
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .max_height((screen.height() - 80.0).max(120.0))
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .max_height((screen.height() - 140.0).max(60.0))
                .show(ui, shortcut_grid);
        });
}

fn shortcut_grid(ui: &mut egui::Ui) {
    egui::Grid::new("shortcuts")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for spec in ACTIONS.iter().filter(|s| !s.keys.is_empty()) {
                let keys: Vec<String> = spec.keys.iter().map(describe).collect();
                ui.monospace(keys.join(" / "));
                ui.label(spec.help);
                ui.end_row();
            }
            ui.monospace("Mouse wheel");
            ui.label("Zoom around the pointer");
            ui.end_row();
            ui.monospace("Middle-drag");
            ui.label("Pan (or drag empty image with the edit tool)");
            ui.end_row();
            ui.monospace("Right-drag");
            ui.label("Window / level");
            ui.end_row();
            ui.monospace("Right-click a point");
            ui.label("Delete it (edit tool)");
            ui.end_row();
        });
}
