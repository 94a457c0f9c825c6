//! The project's life cycle: which project is open, making the demo,
//! picking folders, importing, choosing who annotates, and leaving a project
//! (quitting, opening another) only once its changes are saved or the user
//! chose to keep them in the journal.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;

use super::EchoLabelApp;
use super::background::JobOutput;
use super::dialogs::{AnnotatorChoice, AnnotatorPicker, ImportForm};
use super::saving::{self, AfterLeave, LeaveChoice};
use super::session::Session;
use crate::demo::create_demo_project;
use crate::editor::Mutation;
use crate::jobs::{JobKind, Progress, Shutdown};
use crate::store::{ImportOptions, ImportSummary, Project, StoreError, import_folder};

/// A native folder dialog, open on a thread of its own (it blocks its thread).
pub struct FolderDialog {
    answer: Receiver<Option<PathBuf>>,
    purpose: FolderPurpose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderPurpose {
    Import,
    OpenProject,
    NewProject,
    /// The export form's target folder.
    ExportTarget,
}

/// Leaving the open project.
#[derive(Default)]
pub struct Leaving {
    /// Asked for while changes were unsaved: what to do once they are.
    after: Option<AfterLeave>,
    /// The user chose to quit; the next close request goes through.
    pub quitting: bool,
}

impl Leaving {
    pub fn asking(&self) -> bool {
        self.after.is_some()
    }
}

impl EchoLabelApp {
    /// Opens the project given, else the last one, else the demo.
    pub(super) fn start(&mut self) {
        let start = self
            .options
            .project
            .clone()
            .or_else(|| self.settings.last_project.clone().filter(|p| is_project(p)));
        match start {
            Some(root) => self.open_project(&root, false),
            None => self.leave_then(AfterLeave::OpenDemo),
        }
    }

    /// Opens `root` once the open project is left: at once when everything
    /// is saved, else after asking ([`saving::leave_dialog`]).
    pub(super) fn open_project(&mut self, root: &Path, create: bool) {
        self.leave_then(AfterLeave::Open {
            root: root.to_path_buf(),
            create,
        });
    }

    /// Does `after` now if the open project has nothing unsaved, else asks first.
    pub(super) fn leave_then(&mut self, after: AfterLeave) {
        if self.session.as_ref().is_some_and(|s| !s.is_settled()) {
            self.leaving.after = Some(after);
            return;
        }
        self.leaving.after = None;
        self.close_session();
        match after {
            AfterLeave::Quit => {
                self.leaving.quitting = true;
                if let Some(ctx) = self.ctx.get() {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            AfterLeave::Open { root, create } => self.switch_project(&root, create),
            AfterLeave::OpenDemo => self.start_demo(),
        }
    }

    /// Stops the open project's store thread (waiting for it); what it could
    /// not save stays in the project's journal.
    pub(super) fn close_session(&mut self) {
        if let Some(session) = self.session.take()
            && let Shutdown::Kept(count) = session.close()
        {
            self.notices.info(format!(
                "{count} unsaved change(s) are kept in the project's journal; they are saved when it is opened again"
            ));
        }
    }

    fn switch_project(&mut self, root: &Path, create: bool) {
        // Proposals were asked for a clip of the project left; their results
        // would be dropped anyway. Training and rounds finish their project's work.
        self.jobs.cancel_kind(JobKind::ContourProposal);
        self.jobs.cancel_kind(JobKind::KeyFrameProposal);
        let session = Session::open(root, create, self.wake(), self.thumbnails.client());
        self.assistant.project_opened(&session);
        self.learning.project_opened(&session);
        self.study.project_opened(&session);
        self.takeover = None;
        self.session = Some(session);
        self.dialogs.picker = None;
        self.settings.opened(root);
        self.save_settings();
    }

    /// Opens the demo project, generating it first when it does not exist.
    fn start_demo(&mut self) {
        let root = self.options.demo_dir.clone();
        if is_project(&root)
            && Project::open(&root).is_ok_and(|p| p.clips(None).is_ok_and(|c| !c.is_empty()))
        {
            self.open_project(&root, false);
            return;
        }
        let started = self.jobs.start(
            JobKind::Demo,
            JobKind::Demo.label(),
            self.wake(),
            move |progress| {
                JobOutput::Demo(
                    create_demo_project(
                        &root,
                        |f, m| progress.report(f, m),
                        progress.cancel_flag(),
                    )
                    .map(|()| root),
                )
            },
        );
        if let Err(refused) = started {
            self.notices.info(refused.to_string());
        }
    }

    pub(super) fn save_settings(&mut self) {
        if let Err(error) = self.settings.save_to(&self.options.config_dir) {
            self.notices.error(format!(
                "cannot save settings in {}: {error}",
                self.options.config_dir.display()
            ));
        }
    }

    /// Takes the folder the dialog answered with, if it has.
    pub(super) fn poll_folder_dialog(&mut self) {
        let Some(dialog) = &self.folder_dialog else {
            return;
        };
        match dialog.answer.try_recv() {
            Err(TryRecvError::Empty) => {}
            Ok(None) | Err(TryRecvError::Disconnected) => self.folder_dialog = None,
            Ok(Some(folder)) => {
                let purpose = dialog.purpose;
                self.folder_dialog = None;
                self.folder_picked(folder, purpose);
            }
        }
    }

    pub(super) fn import_finished(&mut self, summary: &ImportSummary) {
        if summary.failed.is_empty() {
            self.notices.info(format!("Import finished: {summary}"));
            return;
        }
        let first: Vec<String> = summary
            .failed
            .iter()
            .take(3)
            .map(|(path, message)| format!("{}: {message}", path.display()))
            .collect();
        let more = if summary.failed.len() > 3 {
            "\n…"
        } else {
            ""
        };
        self.notices.error(format!(
            "Import finished: {summary}. Could not import:\n{}{more}",
            first.join("\n"),
        ));
    }

    /// Picks the annotator named on the command line, or asks.
    pub(super) fn choose_annotator_without_asking(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        if session.annotator.is_some() || session.is_signing_in() {
            return;
        }
        let Some(meta) = &session.meta else { return };
        // A person with a passphrase is always asked for it.
        if let Some(name) = &self.options.annotator
            && let Some(annotator) = meta
                .annotators
                .iter()
                .find(|a| &a.name == name && !a.passphrase)
        {
            let annotator = annotator.clone();
            session.choose_annotator(annotator);
            return;
        }
        if self.dialogs.picker.is_none() {
            let remembered = self
                .settings
                .annotator_by_project
                .get(session.root())
                .cloned();
            self.dialogs.picker = Some(AnnotatorPicker {
                selected: meta
                    .annotators
                    .iter()
                    .find(|a| Some(&a.name) == remembered.as_ref())
                    .map(|a| a.id),
                new_name: String::new(),
                passphrase: String::new(),
            });
        }
    }

    /// Forgets who is annotating, so the picker asks again.
    pub(super) fn change_annotator(&mut self) {
        if let Some(session) = &mut self.session {
            session.annotator = None;
            self.options.annotator = None;
        }
    }

    pub(super) fn annotator_chosen(&mut self, choice: AnnotatorChoice) {
        let Some(session) = &mut self.session else {
            return;
        };
        let name = match &choice {
            AnnotatorChoice::Existing(annotator) | AnnotatorChoice::SignIn { annotator, .. } => {
                annotator.name.clone()
            }
            AnnotatorChoice::New(name) => name.clone(),
        };
        self.settings
            .annotator_by_project
            .insert(session.root().to_path_buf(), name.clone());
        match choice {
            AnnotatorChoice::Existing(annotator) => session.choose_annotator(annotator),
            AnnotatorChoice::SignIn {
                annotator,
                passphrase,
            } => session.sign_in(annotator.name, passphrase),
            AnnotatorChoice::New(name) => {
                // Added on the store thread; picked by name once the project
                // has been read again.
                session
                    .store
                    .write(Mutation::AddAnnotator { name: name.clone() });
                self.options.annotator = Some(name);
            }
        }
        session.reload();
        self.dialogs.picker = None;
        self.save_settings();
    }

    fn folder_picked(&mut self, folder: PathBuf, purpose: FolderPurpose) {
        match purpose {
            FolderPurpose::Import => {
                let collection = folder
                    .file_name()
                    .map_or("Imported".into(), |n| n.to_string_lossy().into_owned());
                self.dialogs.import_form = Some(ImportForm {
                    folder,
                    collection,
                    copy: self.preferences.import_copy,
                });
            }
            FolderPurpose::OpenProject => {
                if is_project(&folder) {
                    self.open_project(&folder, false);
                } else {
                    self.notices.error(format!("{}: no EchoLabel project here (no {}). Use Project > New project… to make one.", folder.display(), crate::store::DATABASE_FILE));
                }
            }
            FolderPurpose::NewProject => self.open_project(&folder, true),
            FolderPurpose::ExportTarget => self.export_folder_chosen(folder),
        }
    }

    /// Asks for a folder on a thread of its own (the native dialog blocks it).
    pub(super) fn pick_folder(&mut self, purpose: FolderPurpose) {
        if self.folder_dialog.is_some() {
            return self.notices.info("A folder dialog is already open.");
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        let wake = self.wake();
        let title = match purpose {
            FolderPurpose::Import => "Import a folder of DICOM clips",
            FolderPurpose::OpenProject => "Open an EchoLabel project folder",
            FolderPurpose::NewProject => "Choose an empty folder for the new project",
            FolderPurpose::ExportTarget => "Choose an empty folder to export to",
        };
        let spawned = std::thread::Builder::new()
            .name("folder dialog".into())
            .spawn(move || {
                let folder = rfd::FileDialog::new().set_title(title).pick_folder();
                let _ = sender.send(folder);
                wake();
            });
        match spawned {
            Ok(_) => {
                self.folder_dialog = Some(FolderDialog {
                    answer: receiver,
                    purpose,
                })
            }
            Err(error) => self
                .notices
                .error(format!("cannot open the folder dialog: {error}")),
        }
    }

    /// Starts importing `folder` into the open project.
    pub fn start_import(&mut self, folder: PathBuf, collection: String, copy: bool) {
        let Some(session) = &self.session else { return };
        self.preferences.import_copy = copy;
        let Some(by) = session.annotator.as_ref().map(|a| a.id) else {
            self.notices.info("Choose who is working before importing");
            return;
        };
        let root = session.root().to_path_buf();
        let wake = self.wake();
        let started = self.jobs.start(
            JobKind::Import,
            JobKind::Import.label(),
            wake,
            move |progress| {
                JobOutput::Import(import_into(&root, by, &folder, &collection, copy, progress))
            },
        );
        if let Err(refused) = started {
            self.notices.info(refused.to_string());
        }
    }

    /// Goes on with leaving the project once everything is saved, or asks.
    pub(super) fn leave_ui(&mut self, ctx: &egui::Context) {
        let Some(after) = self.leaving.after.clone() else {
            return;
        };
        let Some(session) = &self.session else {
            self.leave_then(after);
            return;
        };
        if session.is_settled() {
            self.leave_then(after);
            return;
        }
        // Saving may finish by itself: look again soon.
        ctx.request_repaint_after(std::time::Duration::from_millis(200));
        if let Some(choice) = saving::leave_dialog(ctx, &session.store, &after) {
            self.commands.sender().send(super::Command::Leave(choice));
        }
    }

    /// The answer to the leave question.
    pub(super) fn leave_choice(&mut self, choice: LeaveChoice) {
        let Some(after) = self.leaving.after.clone() else {
            return;
        };
        match choice {
            LeaveChoice::Retry => {
                if let Some(session) = &self.session {
                    session.store.retry();
                }
            }
            LeaveChoice::Stay => self.leaving.after = None,
            LeaveChoice::LeaveKeepingJournal => {
                self.leaving.after = None;
                self.close_session();
                self.leave_then(after);
            }
        }
    }
}

/// Imports `folder` into the project at `root`, reporting each file.
fn import_into(
    root: &Path,
    by: i64,
    folder: &Path,
    collection: &str,
    copy: bool,
    progress: &Progress,
) -> Result<ImportSummary, StoreError> {
    let mut project = Project::open(root)?;
    import_folder(
        &mut project,
        by,
        folder,
        collection,
        &ImportOptions {
            copy_into_project: copy,
        },
        |done, total, file| {
            let name = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            progress.report(
                done as f32 / total.max(1) as f32,
                format!("importing {done}/{total}: {name}"),
            );
        },
        progress.cancel_flag(),
    )
}

pub(super) fn is_project(root: &Path) -> bool {
    root.join(crate::store::DATABASE_FILE).is_file()
}
