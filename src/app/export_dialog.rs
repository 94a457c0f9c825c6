//! Project ▸ Export…: the form (format, filters, target folder), the export
//! as a background job with progress and Cancel, and what it says when done.

use std::path::PathBuf;

use eframe::egui;

use super::EchoLabelApp;
use super::background::JobOutput;
use super::command::{Command, CommandSender};
use super::lifecycle::FolderPurpose;
use crate::export::{
    ExportError, ExportFormat, ExportRequest, ExportSummary, Filters, FrameFilter, StatusFilter,
    WhoseLabels, export,
};
use crate::jobs::{JobKind, Progress, SaveState};
use crate::store::Project;

/// The export form, with what the project offers to filter by.
pub struct ExportForm {
    pub format: ExportFormat,
    /// The target folder, typed or chosen.
    pub folder: String,
    pub collection: Option<String>,
    pub labels: WhoseLabels,
    pub statuses: Vec<(StatusFilter, bool)>,
    pub key_frames_only: bool,
    pub keep_outside_regions: bool,
    pub replace: bool,
    collections: Vec<String>,
    annotators: Vec<String>,
}

/// What the form asks for when a button is pressed.
pub enum ExportDecision {
    Start(ExportRequest),
    ChooseFolder,
    Cancel,
}

impl ExportForm {
    /// A form for a project with these collections and annotators, writing
    /// to `exports/` inside it by default.
    pub fn new(root: &std::path::Path, collections: Vec<String>, annotators: Vec<String>) -> Self {
        let defaults = Filters::default();
        ExportForm {
            format: ExportFormat::DicomSeg,
            folder: root.join("exports").join("dicom-seg").display().to_string(),
            collection: None,
            labels: WhoseLabels::Everyone,
            statuses: StatusFilter::ALL
                .into_iter()
                .map(|s| (s, defaults.statuses.contains(&s)))
                .collect(),
            key_frames_only: false,
            keep_outside_regions: false,
            replace: false,
            collections,
            annotators,
        }
    }

    /// The request the form describes, or why it cannot be made.
    pub fn request(&self) -> Result<ExportRequest, &'static str> {
        let folder = self.folder.trim();
        if folder.is_empty() {
            return Err("Choose a folder to export to");
        }
        let statuses = self
            .statuses
            .iter()
            .filter(|(_, on)| *on)
            .map(|(s, _)| *s)
            .collect::<std::collections::BTreeSet<_>>();
        if statuses.is_empty() && self.labels != WhoseLabels::Training {
            return Err("Tick at least one status");
        }
        Ok(ExportRequest {
            format: self.format,
            out: PathBuf::from(folder),
            filters: Filters {
                collection: self.collection.clone(),
                labels: self.labels.clone(),
                statuses,
                frames: if self.key_frames_only {
                    FrameFilter::KeyFrames
                } else {
                    FrameFilter::Annotated
                },
            },
            replace: self.replace,
            keep_outside_regions: self.keep_outside_regions,
        })
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> Option<ExportDecision> {
        let mut decision = None;
        egui::Modal::new(egui::Id::unique("export form")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Export annotations");
            egui::Grid::new("export grid")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    ui.label("Format");
                    let previous = self.format;
                    egui::ComboBox::from_id_salt("export format")
                        .selected_text(self.format.as_str())
                        .width(300.0)
                        .show_ui(ui, |ui| {
                            for format in ExportFormat::ALL {
                                ui.selectable_value(&mut self.format, format, format.describe());
                            }
                        });
                    if self.format != previous {
                        self.follow_format(previous);
                    }
                    ui.end_row();
                    ui.label("");
                    ui.weak(self.format.describe());
                    ui.end_row();

                    ui.label("Folder");
                    ui.horizontal(|ui| {
                        ui.add(egui::TextEdit::singleline(&mut self.folder).desired_width(300.0));
                        if ui.button("Choose…").clicked() {
                            decision = Some(ExportDecision::ChooseFolder);
                        }
                    });
                    ui.end_row();

                    ui.label("Collection");
                    choice(ui, "export collection", &mut self.collection, &self.collections, "All collections");
                    ui.end_row();
                    ui.label("Labels");
                    whose_labels(ui, &mut self.labels, &self.annotators);
                    ui.end_row();
                    if self.labels == WhoseLabels::Training {
                        ui.label("");
                        ui.weak(
                            "Per frame, the one set training learns from: the project's \
                             training-label setting (Study ▸ Work) and pseudo-label policy \
                             decide, not the statuses below.",
                        );
                        ui.end_row();
                    }

                    ui.label("Status");
                    ui.add_enabled_ui(self.labels != WhoseLabels::Training, |ui| {
                        ui.horizontal_wrapped(|ui| {
                        for (status, on) in &mut self.statuses {
                            let label = match status {
                                StatusFilter::Draft => "Drafts",
                                StatusFilter::Submitted => "Submitted",
                                StatusFilter::Accepted => "Accepted",
                                StatusFilter::PseudoAccepted => "Accepted pseudo-labels",
                            };
                            ui.checkbox(on, label);
                        }
                        });
                    });
                    ui.end_row();
                    ui.label("Frames");
                    ui.checkbox(&mut self.key_frames_only, "ED and ES frames only");
                    ui.end_row();
                });
            if self.format.writes_images() {
                ui.checkbox(
                    &mut self.keep_outside_regions,
                    "Keep pixels outside the ultrasound regions",
                )
                .on_hover_text(
                    "Scanners burn names, dates and institutions into the margins around the \
                     sector. By default every pixel outside the clip's ultrasound regions is blanked.",
                );
            }
            ui.checkbox(&mut self.replace, "Replace an earlier export in this folder");
            ui.weak(
                "A folder that holds anything else is never written into. Files carry the \
                 project's pseudonymous patient reference, never names, IDs or birth dates.",
            );
            ui.separator();
            let request = self.request();
            ui.horizontal(|ui| {
                let export = ui.add_enabled(request.is_ok(), egui::Button::new("Export"));
                if let Err(why) = &request {
                    ui.weak(*why);
                }
                if export.clicked()
                    && let Ok(request) = request
                {
                    decision = Some(ExportDecision::Start(request));
                }
                if ui.button("Cancel").clicked() {
                    decision = Some(ExportDecision::Cancel);
                }
            });
        });
        decision
    }

    /// Keeps a default folder named after the format in step with it.
    fn follow_format(&mut self, previous: ExportFormat) {
        let folder = PathBuf::from(self.folder.trim());
        if folder.file_name().is_some_and(|n| n == previous.as_str())
            && let Some(parent) = folder.parent()
        {
            self.folder = parent.join(self.format.as_str()).display().to_string();
        }
    }
}

/// A combo box over `options` with an "all" entry meaning `None`.
fn choice(ui: &mut egui::Ui, id: &str, value: &mut Option<String>, options: &[String], all: &str) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.clone().unwrap_or_else(|| all.to_string()))
        .width(300.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, all);
            for option in options {
                ui.selectable_value(value, Some(option.clone()), option);
            }
        });
}

/// The Labels choice: everyone, one annotator, the consensus or what trains.
fn whose_labels(ui: &mut egui::Ui, value: &mut WhoseLabels, annotators: &[String]) {
    let text = |labels: &WhoseLabels| match labels {
        WhoseLabels::Everyone => "Everyone (one set each)".to_string(),
        WhoseLabels::Annotator(name) => name.clone(),
        WhoseLabels::Consensus => "Consensus".to_string(),
        WhoseLabels::Training => "What training uses".to_string(),
    };
    egui::ComboBox::from_id_salt("export labels")
        .selected_text(text(value))
        .width(300.0)
        .show_ui(ui, |ui| {
            let fixed = [
                WhoseLabels::Everyone,
                WhoseLabels::Consensus,
                WhoseLabels::Training,
            ];
            let named = annotators.iter().cloned().map(WhoseLabels::Annotator);
            for labels in fixed.into_iter().chain(named) {
                let label = text(&labels);
                ui.selectable_value(value, labels, label);
            }
        });
}

/// Draws the form if it is open and sends what it decides.
pub fn export_form_ui(
    form: &mut Option<ExportForm>,
    ctx: &egui::Context,
    commands: &CommandSender,
) {
    let Some(open) = form else { return };
    match open.ui(ctx) {
        Some(ExportDecision::Start(request)) => {
            *form = None;
            commands.send(Command::StartExport(Box::new(request)));
        }
        Some(ExportDecision::ChooseFolder) => commands.send(Command::ChooseExportFolder),
        Some(ExportDecision::Cancel) => *form = None,
        None => {}
    }
}

impl EchoLabelApp {
    /// Opens the export form for the open project.
    pub(super) fn open_export_form(&mut self) {
        let Some(session) = &self.session else { return };
        let collections = session
            .library
            .collections()
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let annotators = session
            .meta
            .as_ref()
            .map(|m| m.annotators.iter().map(|a| a.name.clone()).collect())
            .unwrap_or_default();
        self.dialogs.export_form = Some(ExportForm::new(session.root(), collections, annotators));
    }

    /// Puts the folder the dialog chose into the export form.
    pub(super) fn export_folder_chosen(&mut self, folder: PathBuf) {
        if let Some(form) = &mut self.dialogs.export_form {
            form.folder = folder.display().to_string();
        }
    }

    /// Starts the export as a background job.
    pub fn start_export(&mut self, request: ExportRequest) {
        let Some(session) = &self.session else { return };
        // The export reads the database: what is still on its way there
        // would be missing from it.
        if !matches!(session.save_state(), SaveState::Saved { .. }) {
            self.notices.info(
                "Some changes are still being saved: export once the status bar says all changes are saved",
            );
            return;
        }
        let root = session.root().to_path_buf();
        let started = self.jobs.start(
            JobKind::Export,
            format!("Exporting {}", request.format),
            self.wake(),
            move |progress| JobOutput::Export(export_from(&root, &request, progress)),
        );
        if let Err(refused) = started {
            self.notices.info(refused.to_string());
        }
    }

    pub(super) fn export_finished(&mut self, result: Result<ExportSummary, ExportError>) {
        match result {
            Ok(summary) => {
                let counts = &summary.manifest.counts;
                let mut message = format!(
                    "Exported {} clip(s), {} label set(s), {} frame(s) as {} to {}",
                    counts.clips,
                    counts.label_sets,
                    counts.frames,
                    summary.manifest.format,
                    summary.out.display()
                );
                if let Some(setting) = &summary.manifest.training_labels {
                    message.push_str(&format!(", following {setting}"));
                }
                if summary.manifest.skipped.is_empty() {
                    self.notices.info(message);
                } else {
                    let first: Vec<&str> = summary
                        .manifest
                        .skipped
                        .iter()
                        .take(3)
                        .map(String::as_str)
                        .collect();
                    message.push_str(&format!(
                        ". Left out ({}):\n{}",
                        summary.manifest.skipped.len(),
                        first.join("\n")
                    ));
                    self.notices.error(message);
                }
            }
            Err(ExportError::Cancelled) => {
                self.notices.info("Export cancelled: nothing was written")
            }
            Err(error) => self.notices.error(format!("Export: {error}")),
        }
    }

    pub(super) fn choose_export_folder(&mut self) {
        self.pick_folder(FolderPurpose::ExportTarget);
    }
}

/// Exports from the project at `root`, reporting each clip.
fn export_from(
    root: &std::path::Path,
    request: &ExportRequest,
    progress: &Progress,
) -> Result<ExportSummary, ExportError> {
    let project = Project::open(root)?;
    export(
        &project,
        request,
        &mut |done, total, what| {
            progress.report(
                done as f32 / total.max(1) as f32,
                format!("exporting {done}/{total}: {what}"),
            )
        },
        progress.cancel_flag(),
    )
}
