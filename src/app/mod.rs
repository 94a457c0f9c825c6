//! The desktop application (egui/eframe on its wgpu renderer). This is the
//! only module that imports egui.
//!
//! One state ([`EchoLabelApp`]) owns the open project's [`session::Session`];
//! panels draw from it and hand back what the user asked for (edits,
//! actions), which the app applies in one place each frame. Everything slow
//! (the database, decoding, imports, demo generation) runs on workers that
//! wake the UI when they have news.

mod assistant;
mod canvas;
mod clip_view;
mod dialogs;
mod gpu_errors;
mod learning;
mod library;
mod notices;
mod saving;
mod screenshot;
mod session;
mod shortcuts;
mod side_panel;
mod timeline;
mod tools;
mod uncertainty_overlay;
mod viewer_gpu;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use eframe::egui;

use crate::demo::create_demo_project;
use crate::editor::Mutation;
use crate::jobs::{Job, JobState, Shutdown, Wake};
use crate::settings::Settings;
use crate::store::{ImportOptions, ImportSummary, KeyFrameKind, Project, import_folder};

use assistant::{Assistant, ModelRequest};
use canvas::{CanvasEdit, OverlayCache, Viewport};
use dialogs::{AnnotatorChoice, AnnotatorPicker, ImportDecision, ImportForm};
use learning::{Learning, LearningAction};
use notices::Notices;
use saving::{AfterLeave, LeaveChoice};
use screenshot::ScreenshotRequest;
use session::Session;
use shortcuts::Action;
use side_panel::PanelAction;
use timeline::TimelineAction;
use tools::{EditorState, Gesture, Tool};
use uncertainty_overlay::UncertaintyOverlay;

pub use notices::Level as NoticeLevel;

/// How the app starts.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Open this project instead of the last one.
    pub project: Option<PathBuf>,
    /// Annotate as this person without asking (scripts, screenshots).
    pub annotator: Option<String>,
    /// Where settings live, and where the demo project is made.
    pub config_dir: PathBuf,
    pub demo_dir: PathBuf,
}

impl AppOptions {
    /// The user's own folders.
    pub fn from_environment(project: Option<PathBuf>, annotator: Option<String>) -> AppOptions {
        AppOptions {
            project,
            annotator,
            config_dir: crate::settings::config_dir(),
            demo_dir: crate::settings::demo_project_dir(),
        }
    }
}

/// Opens the main window and runs until it is closed. With `screenshot`, the
/// window saves a PNG of itself there once a clip shows, then closes.
pub fn run(options: AppOptions, screenshot: Option<PathBuf>) -> eframe::Result {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("EchoLabel")
            .with_inner_size([1280.0, 860.0])
            .with_min_inner_size([800.0, 560.0]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "EchoLabel",
        native,
        Box::new(move |cc| {
            if let Some(render_state) = &cc.wgpu_render_state {
                install_viewer(render_state);
                report_gpu_errors(render_state, &cc.egui_ctx);
            }
            let mut app = EchoLabelApp::new(options, cc.egui_ctx.clone());
            app.screenshot = screenshot.map(ScreenshotRequest::new);
            Ok(Box::new(app))
        }),
    )
}

/// Sets up the GPU frame viewer on the renderer that draws the UI: the app does
/// this at start, UI tests that render through wgpu do it on their renderer.
pub fn install_viewer(render_state: &eframe::egui_wgpu::RenderState) {
    viewer_gpu::install(render_state);
}

/// Shows the GPU's uncaptured errors as notices on `ctx` instead of letting
/// wgpu panic: the app does this at start, UI tests on their renderer.
pub fn report_gpu_errors(render_state: &eframe::egui_wgpu::RenderState, ctx: &egui::Context) {
    gpu_errors::watch(render_state, ctx);
}

/// One background job in the status bar; returns whether Cancel was clicked.
fn job_row(ui: &mut egui::Ui, name: &str, fraction: f32, message: &str) -> bool {
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

/// Wakes the UI (a worker finished something).
fn repaint(cell: &Arc<OnceLock<egui::Context>>) -> Wake {
    let cell = cell.clone();
    Arc::new(move || {
        if let Some(ctx) = cell.get() {
            ctx.request_repaint();
        }
    })
}

/// Work the app waits for.
enum Background {
    Demo(Job<Result<PathBuf, String>>),
    Import(Job<Result<ImportSummary, String>>),
    PickFolder(std::sync::mpsc::Receiver<Option<PathBuf>>, FolderPurpose),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FolderPurpose {
    Import,
    OpenProject,
    NewProject,
}

/// The whole application state.
pub struct EchoLabelApp {
    options: AppOptions,
    settings: Settings,
    ctx: Arc<OnceLock<egui::Context>>,
    session: Option<Session>,
    editor: EditorState,
    overlay: OverlayCache,
    /// The canvas mapping of the last frame drawn.
    viewport: Option<Viewport>,
    notices: Notices,
    background: Vec<Background>,
    picker: Option<AnnotatorPicker>,
    import_form: Option<ImportForm>,
    show_help: bool,
    screenshot: Option<ScreenshotRequest>,
    assistant: Assistant,
    learning: Learning,
    uncertainty: UncertaintyOverlay,
    /// Pseudo-labels to copy into the annotator's contours once their frame's document is open.
    takeover: Option<Takeover>,
    /// Leaving the project was asked for while changes were unsaved.
    leaving: Option<AfterLeave>,
    /// The user chose to quit; the next close request goes through.
    quitting: bool,
    show_failures: bool,
}

/// A reviewer taking over a frame's pseudo-labels to edit them.
struct Takeover {
    clip_id: i64,
    frame: u32,
    pseudo_labels: Vec<crate::store::Annotation>,
}

impl EchoLabelApp {
    /// Starts on the chosen, last or demo project.
    pub fn new(options: AppOptions, ctx: egui::Context) -> EchoLabelApp {
        let settings = Settings::load_from(&options.config_dir);
        let cell = Arc::new(OnceLock::new());
        let _ = cell.set(ctx);
        let assistant = Assistant::new(repaint(&cell));
        let mut app = EchoLabelApp {
            settings,
            ctx: cell,
            session: None,
            editor: EditorState::new(&[]),
            overlay: OverlayCache::default(),
            viewport: None,
            notices: Notices::default(),
            background: Vec::new(),
            picker: None,
            import_form: None,
            show_help: false,
            screenshot: None,
            assistant,
            learning: Learning::default(),
            uncertainty: UncertaintyOverlay::default(),
            takeover: None,
            leaving: None,
            quitting: false,
            show_failures: false,
            options,
        };
        let start = app
            .options
            .project
            .clone()
            .or_else(|| app.settings.last_project.clone().filter(|p| is_project(p)));
        match start {
            Some(root) => app.open_project(&root, false),
            None => app.open_demo(),
        }
        app
    }

    fn wake(&self) -> Wake {
        repaint(&self.ctx)
    }

    /// Whether the model can take a request now.
    pub fn model_ready(&self) -> bool {
        self.assistant.ready()
    }

    /// The open project's session (tests inspect it).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The open project's session, to change (tests put hostile header values in).
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        self.session.as_mut()
    }

    pub fn notices(&self) -> impl Iterator<Item = (NoticeLevel, &str)> {
        self.notices.texts()
    }

    /// Whether every change has been written to the project.
    pub fn all_saved(&self) -> bool {
        self.session.as_ref().is_none_or(Session::is_settled)
    }

    /// Whether the app asks what to do with unsaved changes before leaving.
    pub fn asks_before_leaving(&self) -> bool {
        self.leaving.is_some()
    }

    /// The annotations of the clip on screen.
    pub fn document(&self) -> Option<&crate::editor::ClipDocument> {
        self.session.as_ref()?.document()
    }

    /// The frame on screen.
    pub fn current_frame(&self) -> Option<u32> {
        Some(self.session.as_ref()?.clip.as_ref()?.playback.frame)
    }

    /// Where an image point (pixels) was drawn on the last frame.
    pub fn screen_from_image(&self, p: crate::geometry::Point) -> Option<egui::Pos2> {
        Some(self.viewport?.screen_from_image(p))
    }

    /// Whether an uncertainty map is drawn over the frame on screen.
    pub fn uncertainty_map_shown(&self) -> bool {
        self.learning.show_uncertainty && self.uncertainty.is_shown()
    }

    /// The clip on screen and its frame.
    pub fn clip_and_frame(&self) -> Option<(i64, u32)> {
        let clip = self.session.as_ref()?.clip.as_ref()?;
        Some((clip.record.id, clip.playback.frame))
    }

    /// Whether a clip is on screen with its frame decoded and its annotations loaded.
    pub fn clip_ready(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            s.document().is_some() && s.clip.as_ref().is_some_and(|c| c.current_image().is_some())
        })
    }

    /// Opens `root` once the open project is left: at once when everything
    /// is saved, else after asking ([`saving::leave_dialog`]).
    fn open_project(&mut self, root: &Path, create: bool) {
        self.leave_then(AfterLeave::Open {
            root: root.to_path_buf(),
            create,
        });
    }

    /// Does `after` now if the open project has nothing unsaved, else asks first.
    fn leave_then(&mut self, after: AfterLeave) {
        if self.session.as_ref().is_some_and(|s| !s.is_settled()) {
            self.leaving = Some(after);
            return;
        }
        self.leaving = None;
        self.close_session();
        match after {
            AfterLeave::Quit => {
                self.quitting = true;
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
    fn close_session(&mut self) {
        if let Some(session) = self.session.take()
            && let Shutdown::Kept(count) = session.close()
        {
            self.notices.info(format!(
                "{count} unsaved change(s) are kept in the project's journal; they are saved when it is opened again"
            ));
        }
    }

    fn switch_project(&mut self, root: &Path, create: bool) {
        let session = Session::open(root, create, self.wake());
        self.assistant.project_opened(&session);
        self.learning.project_opened(&session);
        self.takeover = None;
        self.session = Some(session);
        self.picker = None;
        self.settings.opened(root);
        self.save_settings();
    }

    /// Opens the demo project, generating it first when it does not exist.
    fn open_demo(&mut self) {
        self.leave_then(AfterLeave::OpenDemo);
    }

    fn start_demo(&mut self) {
        let root = self.options.demo_dir.clone();
        if is_project(&root)
            && Project::open(&root).is_ok_and(|p| p.clips(None).is_ok_and(|c| !c.is_empty()))
        {
            self.open_project(&root, false);
            return;
        }
        let job = Job::spawn("demo project", self.wake(), move |progress| {
            create_demo_project(&root, |f, m| progress.report(f, m), progress.cancel_flag())
                .map(|()| root)
                .map_err(|e| e.to_string())
        });
        self.background.push(Background::Demo(job));
    }

    fn save_settings(&mut self) {
        if let Err(error) = self.settings.save_to(&self.options.config_dir) {
            self.notices.error(format!(
                "cannot save settings in {}: {error}",
                self.options.config_dir.display()
            ));
        }
    }

    /// Polls every worker and applies what finished.
    fn poll(&mut self) {
        let mut still_running = Vec::new();
        for mut job in std::mem::take(&mut self.background) {
            match &mut job {
                Background::Demo(demo) => match demo.poll() {
                    JobState::Running { .. } => still_running.push(job),
                    JobState::Finished(Ok(root)) => self.open_project(&root, false),
                    JobState::Finished(Err(message)) => self
                        .notices
                        .error(format!("creating the demo project: {message}")),
                    JobState::Failed(message) => self.notices.error(message),
                },
                Background::Import(import) => match import.poll() {
                    JobState::Running { .. } => still_running.push(job),
                    JobState::Finished(result) => {
                        match result {
                            Ok(summary) => self.import_finished(&summary),
                            Err(message) => self.notices.error(format!("import: {message}")),
                        }
                        if let Some(session) = &mut self.session {
                            session.reload();
                        }
                    }
                    JobState::Failed(message) => self.notices.error(message),
                },
                Background::PickFolder(receiver, purpose) => match receiver.try_recv() {
                    Ok(Some(folder)) => self.folder_picked(folder, *purpose),
                    Ok(None) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {}
                    Err(std::sync::mpsc::TryRecvError::Empty) => still_running.push(job),
                },
            }
        }
        self.background.extend(still_running);
        self.assistant
            .poll(self.session.as_mut(), &mut self.notices);
        if self.learning.poll(self.session.as_ref(), &mut self.notices)
            && let Some(session) = &mut self.session
        {
            // A round may have trained a new model version and added pseudo-labels.
            self.assistant.model_changed(session);
            session
                .library
                .refresh(&session.store, &session.task.structures);
        }
        self.apply_takeover();
        if let Some(session) = &mut self.session
            && let Err(message) = session.poll(&mut self.notices)
        {
            let root = session.root().display().to_string();
            self.notices.error(format!("{root}: {message}"));
            self.session = None;
        }
        self.choose_annotator_without_asking();
        if let Some(session) = &mut self.session {
            self.editor.set_structures(&session.task.structures);
            if let Some(clip) = &session.clip
                && let Some(failure) = &clip.failure
            {
                let id = clip.record.id;
                let failure = failure.clone();
                session.library.mark_unreadable(id, failure);
            }
            if session.clip.is_none()
                && session.annotator.is_some()
                && session.library.is_loaded()
                && let Some(first) = session.library.visible().first().map(|c| (*c).clone())
            {
                session.open_clip(&first);
            }
        }
    }

    fn import_finished(&mut self, summary: &ImportSummary) {
        if summary.failed.is_empty() {
            self.notices.info(format!("Import finished: {summary}"));
        } else {
            let first: Vec<String> = summary
                .failed
                .iter()
                .take(3)
                .map(|(path, message)| format!("{}: {message}", path.display()))
                .collect();
            self.notices.error(format!(
                "Import finished: {summary}. Could not import:\n{}{}",
                first.join("\n"),
                if summary.failed.len() > 3 {
                    "\n…"
                } else {
                    ""
                }
            ));
        }
    }

    /// Picks the annotator named on the command line, or asks.
    fn choose_annotator_without_asking(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        if session.annotator.is_some() {
            return;
        }
        let Some(meta) = &session.meta else { return };
        if let Some(name) = &self.options.annotator
            && let Some(annotator) = meta.annotators.iter().find(|a| &a.name == name)
        {
            let annotator = annotator.clone();
            session.choose_annotator(annotator);
            return;
        }
        if self.picker.is_none() {
            let remembered = self
                .settings
                .annotator_by_project
                .get(session.root())
                .cloned();
            self.picker = Some(AnnotatorPicker {
                selected: meta
                    .annotators
                    .iter()
                    .find(|a| Some(&a.name) == remembered.as_ref())
                    .map(|a| a.id),
                new_name: String::new(),
            });
        }
    }

    fn annotator_chosen(&mut self, choice: AnnotatorChoice) {
        let Some(session) = &mut self.session else {
            return;
        };
        let annotator = match choice {
            AnnotatorChoice::Existing(annotator) => annotator,
            AnnotatorChoice::New(name) => {
                // Added on the store thread; picked by name once the project
                // has been read again.
                let stored = name.clone();
                session.store.write(Mutation::AddAnnotator { name: stored });
                self.settings
                    .annotator_by_project
                    .insert(session.root().to_path_buf(), name.clone());
                self.options.annotator = Some(name);
                session.reload();
                self.picker = None;
                self.save_settings();
                return;
            }
        };
        self.settings
            .annotator_by_project
            .insert(session.root().to_path_buf(), annotator.name.clone());
        session.choose_annotator(annotator);
        session.reload();
        self.picker = None;
        self.save_settings();
    }

    fn folder_picked(&mut self, folder: PathBuf, purpose: FolderPurpose) {
        match purpose {
            FolderPurpose::Import => {
                let collection = folder
                    .file_name()
                    .map_or("Imported".into(), |n| n.to_string_lossy().into_owned());
                self.import_form = Some(ImportForm {
                    folder,
                    collection,
                    copy: false,
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
        }
    }

    fn pick_folder(&mut self, purpose: FolderPurpose) {
        let (sender, receiver) = std::sync::mpsc::channel();
        let wake = self.wake();
        let title = match purpose {
            FolderPurpose::Import => "Import a folder of DICOM clips",
            FolderPurpose::OpenProject => "Open an EchoLabel project folder",
            FolderPurpose::NewProject => "Choose an empty folder for the new project",
        };
        // The native dialog blocks its thread, so it gets one of its own.
        let spawned = std::thread::Builder::new()
            .name("folder dialog".into())
            .spawn(move || {
                let folder = rfd::FileDialog::new().set_title(title).pick_folder();
                let _ = sender.send(folder);
                wake();
            });
        match spawned {
            Ok(_) => self
                .background
                .push(Background::PickFolder(receiver, purpose)),
            Err(error) => self
                .notices
                .error(format!("cannot open the folder dialog: {error}")),
        }
    }

    /// Starts importing `folder` into the open project.
    pub fn start_import(&mut self, folder: PathBuf, collection: String, copy: bool) {
        let Some(session) = &self.session else { return };
        if self
            .background
            .iter()
            .any(|b| matches!(b, Background::Import(_)))
        {
            self.notices.info("An import is already running.");
            return;
        }
        let root = session.root().to_path_buf();
        let job = Job::spawn("import", self.wake(), move |progress| {
            let mut project = Project::open(&root).map_err(|e| e.to_string())?;
            import_folder(
                &mut project,
                &folder,
                &collection,
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
            .map_err(|e| e.to_string())
        });
        self.background.push(Background::Import(job));
    }

    /// Draws one frame of the app.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) && !self.quitting {
            // Closing the window waits for unsaved changes or asks, like Quit.
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.leave_then(AfterLeave::Quit);
        }
        self.poll();
        for message in gpu_errors::take(&ctx) {
            let text = format!("The graphics device refused to draw something: {message}");
            // A refusal repeats every frame; one notice says it.
            if !self.notices.texts().any(|(_, shown)| shown == text) {
                self.notices.error(text);
            }
        }
        if let Some(session) = &mut self.session
            && let Some(clip) = &mut session.clip
            && let Some(next) = clip.advance(f64::from(ctx.input(|i| i.stable_dt)))
        {
            ctx.request_repaint_after(next);
        }
        if !ctx.egui_wants_keyboard_input() && self.picker.is_none() && self.import_form.is_none() {
            for action in shortcuts::pressed(&ctx) {
                self.perform(action);
            }
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        let Some(session) = &mut self.session else {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.centered_and_justified(|ui| {
                    ui.label("No project open. Project > Open project… or Open demo project.")
                });
            });
            self.dialogs_ui(&ctx);
            return;
        };
        egui::Panel::left("library")
            .resizable(true)
            .default_size(280.0)
            .show(ui, |ui| {
                if let Some(record) = session.library.ui(ui, &session.store) {
                    session.open_clip(&record);
                }
            });
        let template = session.task.template.clone();
        let document = session.document().cloned();
        let assistant = &mut self.assistant;
        let (panel_action, model_request) = egui::Panel::right("tools")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                let mut request = None;
                let action = side_panel::side_panel_ui(
                    ui,
                    &mut self.editor,
                    session.clip.as_mut(),
                    document.as_ref(),
                    &template,
                    |ui| request = assistant.panel_ui(ui),
                );
                (action, request)
            })
            .inner;
        let timeline_action = egui::Panel::bottom("timeline")
            .show(ui, |ui| {
                session
                    .clip
                    .as_mut()
                    .and_then(|clip| timeline::timeline_ui(ui, clip, document.as_ref()))
            })
            .inner;
        let map = session
            .clip
            .as_ref()
            .filter(|_| self.learning.show_uncertainty)
            .and_then(|clip| self.learning.map_of(clip.record.id, clip.playback.frame));
        let uncertainty = self.uncertainty.texture(&ctx, map, repaint(&self.ctx));
        let (edits, viewport) = egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                canvas::canvas_ui(
                    ui,
                    session,
                    &mut self.editor,
                    &mut self.overlay,
                    &mut self.notices,
                    uncertainty,
                )
            })
            .inner;
        self.viewport = viewport;
        self.apply_edits(edits);
        if let Some(action) = panel_action {
            self.panel_action(action);
        }
        if let Some(TimelineAction::ToggleKeyFrame(kind)) = timeline_action {
            self.toggle_key_frame(kind);
        }
        if let Some(request) = model_request {
            self.model_request(request);
        }
        self.assistant.training_window(&ctx);
        self.learning_ui(&ctx);
        self.dialogs_ui(&ctx);
        let ready = self.clip_ready();
        if let Some(request) = &mut self.screenshot {
            request.poll(&ctx, ready);
        }
    }

    /// The active-learning window and what it asks for.
    fn learning_ui(&mut self, ctx: &egui::Context) {
        let Some(session) = &self.session else {
            return;
        };
        let wake = self.wake();
        let ready = self.assistant.ready();
        let (action, start) = self.learning.window(
            ctx,
            session,
            ready,
            &self.editor.styles,
            &wake,
            &mut self.notices,
        );
        if start && self.assistant.is_training() {
            self.notices
                .info("The model is training; start the round when it has finished");
        } else if start {
            match self.assistant.device() {
                Some(device) => {
                    let config = self.assistant.model_config();
                    self.learning
                        .start_round(session, device, config, wake, &mut self.notices);
                }
                None => self
                    .notices
                    .info("The model is still starting; try again in a moment"),
            }
        }
        match action {
            Some(LearningAction::OpenFrame { clip_id, frame }) => self.open_frame(clip_id, frame),
            Some(LearningAction::TakeOver {
                clip_id,
                frame,
                pseudo_labels,
            }) => {
                self.open_frame(clip_id, frame);
                self.takeover = Some(Takeover {
                    clip_id,
                    frame,
                    pseudo_labels,
                });
            }
            None => {}
        }
    }

    /// Shows `frame` of the clip `clip_id` in the viewer.
    fn open_frame(&mut self, clip_id: i64, frame: u32) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(record) = session
            .library
            .clips()
            .iter()
            .find(|c| c.id == clip_id)
            .cloned()
        else {
            return self
                .notices
                .error(format!("clip {clip_id} is no longer in the project"));
        };
        self.editor.gesture = None;
        self.editor.selected = None;
        session.open_clip(&record);
        if let Some(clip) = &mut session.clip {
            clip.go_to(frame);
        }
    }

    /// Copies taken-over pseudo-labels into the annotator's document (as
    /// model proposals they then correct) and closes those it copied, in the
    /// same queue of writes (so a copy that fails to save closes nothing).
    fn apply_takeover(&mut self) {
        let (Some(session), Some(takeover)) = (&mut self.session, &self.takeover) else {
            return;
        };
        let on_screen = session.clip.as_ref().map(|c| c.record.id);
        if on_screen != Some(takeover.clip_id) {
            // The annotator went elsewhere before the clip was ready.
            self.takeover = None;
            return;
        }
        let (Some(annotator), Some(document)) = (session.annotator.clone(), session.document())
        else {
            return;
        };
        let takeover = self.takeover.take().expect("checked above");
        // Structures the annotator has drawn keep their contour: those
        // pseudo-labels stay open for review.
        let copied: Vec<&crate::store::Annotation> = takeover
            .pseudo_labels
            .iter()
            .filter(|a| document.contour(takeover.frame, &a.target).is_none())
            .collect();
        let contours: Vec<(String, Vec<crate::geometry::Point>)> = copied
            .iter()
            .map(|a| (a.target.clone(), a.geometry.contour.clone()))
            .collect();
        let version = copied.iter().find_map(|a| a.model_version_id);
        let ids: Vec<i64> = copied.iter().map(|a| a.id).collect();
        let mut added = 0;
        session.edit(|document| {
            let (writes, count) = document.propose(takeover.frame, contours, version);
            added = count;
            writes
        });
        if !ids.is_empty() {
            let reviewer = annotator.id;
            session.store.write(Mutation::ReviewPseudoLabels {
                ids,
                reviewer,
                decision: crate::store::AnnotationStatus::Rejected,
            });
        }
        self.learning.reload(session);
        self.notices.info(match added {
            0 => format!(
                "Frame {}: you already have every structure the model drew; the pseudo-labels stay open",
                takeover.frame + 1
            ),
            n => format!(
                "Frame {}: {n} pseudo-label contour(s) copied into your annotations to correct; they are closed as pseudo-labels",
                takeover.frame + 1
            ),
        });
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context) {
        if let Some(picker) = &mut self.picker
            && let Some(meta) = self.session.as_ref().and_then(|s| s.meta.as_ref())
            && let Some(choice) = picker.ui(ctx, &meta.annotators)
        {
            self.annotator_chosen(choice);
        }
        if let Some(form) = &mut self.import_form
            && let Some(decision) = form.ui(ctx)
        {
            let form = self.import_form.take().expect("the form is open");
            if let ImportDecision::Start = decision {
                self.start_import(form.folder, form.collection.trim().to_string(), form.copy);
            }
        }
        dialogs::help_ui(ctx, &mut self.show_help);
        if let Some(session) = &self.session {
            saving::failures_window(ctx, &session.store, &mut self.show_failures);
        }
        self.leave_ui(ctx);
        self.notices.ui(ctx);
    }

    /// Goes on with leaving the project once everything is saved, or asks.
    fn leave_ui(&mut self, ctx: &egui::Context) {
        let Some(after) = self.leaving.clone() else {
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
        match saving::leave_dialog(ctx, &session.store, &after) {
            Some(LeaveChoice::Retry) => session.store.retry(),
            Some(LeaveChoice::Stay) => self.leaving = None,
            Some(LeaveChoice::LeaveKeepingJournal) => {
                self.leaving = None;
                self.close_session();
                self.leave_then(after);
            }
            None => {}
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("Project", |ui| {
                if ui.button("New project…").clicked() {
                    self.pick_folder(FolderPurpose::NewProject);
                }
                if ui.button("Open project…").clicked() {
                    self.pick_folder(FolderPurpose::OpenProject);
                }
                if ui.button("Open demo project").clicked() {
                    self.open_demo();
                }
                ui.menu_button("Recent", |ui| {
                    for root in self.settings.recent_projects.clone() {
                        if ui.button(root.display().to_string()).clicked() {
                            self.open_project(&root, false);
                        }
                    }
                });
                ui.separator();
                let open = self.session.is_some();
                if ui
                    .add_enabled(open, egui::Button::new("Import DICOM folder…"))
                    .clicked()
                {
                    self.pick_folder(FolderPurpose::Import);
                }
                if ui
                    .add_enabled(open, egui::Button::new("Change annotator…"))
                    .clicked()
                    && let Some(session) = &mut self.session
                {
                    session.annotator = None;
                    self.options.annotator = None;
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    self.leave_then(AfterLeave::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui.button("Undo  (Ctrl+Z)").clicked() {
                    self.perform(Action::Undo);
                }
                if ui.button("Redo  (Ctrl+Shift+Z)").clicked() {
                    self.perform(Action::Redo);
                }
            });
            if ui
                .add_enabled(
                    self.session.is_some(),
                    egui::Button::selectable(self.learning.open, "Active learning"),
                )
                .clicked()
            {
                self.learning.open = !self.learning.open;
            }
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts  (F1)").clicked() {
                    self.show_help = true;
                }
            });
            ui.separator();
            if let Some(session) = &self.session {
                ui.label(egui::RichText::new(session.root().display().to_string()).weak());
                if let Some(annotator) = &session.annotator {
                    ui.label(format!("annotating as {}", annotator.name));
                }
            }
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(session) = &self.session {
                saving::status_ui(ui, &session.store, &mut self.show_failures);
            }
            let mut cancel = None;
            for (index, job) in self.background.iter_mut().enumerate() {
                let (name, state) = match job {
                    Background::Demo(job) => (job.name().to_string(), job.status()),
                    Background::Import(job) => (job.name().to_string(), job.status()),
                    Background::PickFolder(..) => continue,
                };
                let (fraction, message) = state;
                if job_row(ui, &name, fraction, &message) {
                    cancel = Some(index);
                }
            }
            if let Some(index) = cancel {
                match &self.background[index] {
                    Background::Demo(job) => job.cancel(),
                    Background::Import(job) => job.cancel(),
                    Background::PickFolder(..) => {}
                }
            }
            for (index, (name, fraction, message)) in self.assistant.jobs().into_iter().enumerate()
            {
                if job_row(ui, &name, fraction, &message) {
                    self.assistant.cancel(index);
                }
            }
            if let Some((name, fraction, message)) = self.learning.job_status()
                && job_row(ui, &name, fraction, &message)
            {
                self.learning.cancel();
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Shortcuts (F1)").clicked() {
                    self.show_help = !self.show_help;
                }
            });
        });
    }

    /// Applies the canvas's edits to the document (and so to the project).
    fn apply_edits(&mut self, edits: Vec<CanvasEdit>) {
        let Some(session) = &mut self.session else {
            return;
        };
        for edit in edits {
            match edit {
                CanvasEdit::Set {
                    frame,
                    structure,
                    points,
                } => session.edit(|d| d.set_contour(frame, &structure, points)),
                CanvasEdit::Remove { frame, structure } => {
                    session.edit(|d| d.remove_contour(frame, &structure))
                }
            }
        }
    }

    fn model_request(&mut self, request: ModelRequest) {
        if request == ModelRequest::Train && self.learning.is_running() {
            return self.notices.info(
                "An active-learning round is running (it trains first when asked to); train when it has finished",
            );
        }
        let wake = self.wake();
        match &self.session {
            Some(session) => self
                .assistant
                .start(request, session, wake, &mut self.notices),
            None => self.notices.info("Open a project first"),
        }
    }

    fn toggle_key_frame(&mut self, kind: KeyFrameKind) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(frame) = session.clip.as_ref().map(|c| c.playback.frame) else {
            return;
        };
        session.edit(|d| d.toggle_key_frame(kind, frame));
    }

    fn panel_action(&mut self, action: PanelAction) {
        match action {
            PanelAction::Undo => self.perform(Action::Undo),
            PanelAction::Redo => self.perform(Action::Redo),
            PanelAction::Smooth => self.perform(Action::Smooth),
            PanelAction::CopyFromOtherKeyFrame => self.perform(Action::CopyFromOtherKeyFrame),
            PanelAction::AcceptFrame => self.perform(Action::AcceptFrame),
            PanelAction::DeleteContour => {
                self.editor.selected = None;
                self.perform(Action::DeleteSelection);
            }
        }
    }

    /// Carries out a keyboard (or menu) action.
    pub fn perform(&mut self, action: Action) {
        match action {
            Action::Help => self.show_help = !self.show_help,
            Action::ProposeContours => self.model_request(ModelRequest::ProposeContours),
            Action::ProposeKeyFrames => self.model_request(ModelRequest::ProposeKeyFrames),
            Action::Cancel if self.show_help => self.show_help = false,
            Action::Cancel => self.editor.gesture = None,
            Action::EditTool => self.editor.set_tool(Tool::Edit),
            Action::PenTool => self.editor.set_tool(Tool::Pen),
            Action::BrushTool => self.editor.set_tool(Tool::Brush),
            Action::EraserTool => self.editor.set_tool(Tool::Eraser),
            Action::BrushSmaller => {
                self.editor.brush_radius = (self.editor.brush_radius / 1.25).max(1.0)
            }
            Action::BrushLarger => {
                self.editor.brush_radius = (self.editor.brush_radius * 1.25).min(40.0)
            }
            Action::Structure(index) => self.editor.select_structure(index),
            Action::NextStructure => {
                let count = self.editor.styles.len().max(1);
                self.editor
                    .select_structure((self.editor.structure + 1) % count);
            }
            Action::ToggleStructureVisibility => {
                let index = self.editor.structure;
                if let Some(style) = self.editor.styles.get_mut(index) {
                    style.visible = !style.visible;
                }
            }
            Action::MarkEndDiastole => self.toggle_key_frame(KeyFrameKind::EndDiastole),
            Action::MarkEndSystole => self.toggle_key_frame(KeyFrameKind::EndSystole),
            Action::PreviousClip => self.step_clip(-1),
            Action::NextClip => self.step_clip(1),
            Action::ToggleUncertainty => {
                self.learning.show_uncertainty = !self.learning.show_uncertainty
            }
            Action::NextQueued => {
                let current = self
                    .session
                    .as_ref()
                    .and_then(|s| s.clip.as_ref())
                    .map(|c| (c.record.id, c.playback.frame));
                match self.learning.next_queued(current) {
                    Some((clip_id, frame)) => self.open_frame(clip_id, frame),
                    None => self.notices.info(
                        "No frame waiting in the annotation queue: start an active-learning round",
                    ),
                }
            }
            _ => self.clip_action(action),
        }
    }

    fn step_clip(&mut self, step: isize) {
        self.editor.gesture = None;
        self.editor.selected = None;
        if let Some(session) = &mut self.session {
            session.step_clip(step);
        }
    }

    /// Actions on the clip on screen and its document.
    fn clip_action(&mut self, action: Action) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(clip) = &mut session.clip else {
            return;
        };
        let frame = clip.playback.frame;
        let structure = self.editor.active_name().unwrap_or_default().to_string();
        match action {
            Action::PlayPause => clip.playback.playing = !clip.playback.playing,
            Action::PreviousFrame => clip.step(-1),
            Action::NextFrame => clip.step(1),
            Action::ToggleLoop => clip.playback.looping = !clip.playback.looping,
            Action::FitView => {
                let fitted = clip_view::View::fitted(clip.record.cols, clip.record.rows);
                clip.view.zoom = fitted.zoom;
                clip.view.centre = fitted.centre;
            }
            Action::PreviousKeyFrame | Action::NextKeyFrame => {
                let Some(document) = session.document() else {
                    return;
                };
                let mut frames: Vec<u32> = document.key_frames().map(|k| k.frame).collect();
                frames.dedup();
                let target = if action == Action::NextKeyFrame {
                    frames
                        .iter()
                        .copied()
                        .find(|&f| f > frame)
                        .or(frames.first().copied())
                } else {
                    frames
                        .iter()
                        .rev()
                        .copied()
                        .find(|&f| f < frame)
                        .or(frames.last().copied())
                };
                if let (Some(target), Some(clip)) = (target, session.clip.as_mut()) {
                    clip.go_to(target);
                }
            }
            Action::Undo => {
                self.editor.gesture = None;
                session.edit(|d| d.undo());
            }
            Action::Redo => {
                self.editor.gesture = None;
                session.edit(|d| d.redo());
            }
            Action::AcceptFrame => {
                session.edit(|d| d.accept_frame(frame));
                self.notices.info(format!("Frame {} accepted", frame + 1));
            }
            Action::ClosePen => {
                if let Some(Gesture::Pen {
                    points,
                    structure: index,
                }) = &self.editor.gesture
                {
                    match canvas::close_pen(points) {
                        Some(points) => {
                            let name = self
                                .editor
                                .styles
                                .get(*index)
                                .map(|s| s.name.clone())
                                .unwrap_or(structure);
                            session.edit(|d| d.set_contour(frame, &name, points));
                            self.editor.gesture = None;
                        }
                        None => self
                            .notices
                            .info("The contour needs 3 points and must not cross itself to close."),
                    }
                }
            }
            Action::Smooth => {
                let Some(points) = session
                    .document()
                    .and_then(|d| d.contour(frame, &structure))
                    .map(|c| c.points.clone())
                else {
                    self.notices
                        .info(format!("No {structure} contour on this frame to smooth."));
                    return;
                };
                let smoothed = smooth_contour(&points);
                session.edit(|d| d.set_contour(frame, &structure, smoothed));
            }
            Action::CopyFromOtherKeyFrame => {
                let structures = session.task.structures.clone();
                let Some(document) = session.document() else {
                    return;
                };
                match other_key_frame(document, frame) {
                    Some(source) => {
                        session.edit(|d| d.copy_contours(source, frame, &structures));
                        self.notices
                            .info(format!("Copied the contours of frame {}", source + 1));
                    }
                    None => self
                        .notices
                        .info("No other key frame with contours to copy from."),
                }
            }
            Action::DeleteSelection => {
                if let Some(Gesture::Pen { points, .. }) = &mut self.editor.gesture {
                    points.pop();
                    return;
                }
                let Some(points) = session
                    .document()
                    .and_then(|d| d.contour(frame, &structure))
                    .map(|c| c.points.clone())
                else {
                    return;
                };
                match self.editor.selected.take() {
                    Some(index) => match crate::geometry::with_vertex_removed(&points, index) {
                        Some(points) => session.edit(|d| d.set_contour(frame, &structure, points)),
                        None => self.notices.info("That point cannot go: the contour would cross itself or have fewer than 3 points."),
                    },
                    None => session.edit(|d| d.remove_contour(frame, &structure)),
                }
            }
            _ => {}
        }
    }
}

/// The key frame to copy contours from: the nearest frame of the other kind
/// (ED for an ES frame and the reverse), else the nearest key frame, that has contours.
fn other_key_frame(document: &crate::editor::ClipDocument, frame: u32) -> Option<u32> {
    let here: Vec<KeyFrameKind> = document
        .key_frames()
        .filter(|k| k.frame == frame)
        .map(|k| k.kind)
        .collect();
    let annotated = document.annotated_frames();
    let candidates = |other_kind_only: bool| {
        document
            .key_frames()
            .filter(|k| k.frame != frame && annotated.contains(&k.frame))
            .filter(|k| !other_kind_only || !here.contains(&k.kind))
            .map(|k| k.frame)
            .min_by_key(|f| f.abs_diff(frame))
    };
    candidates(!here.is_empty()).or_else(|| candidates(false))
}

/// Spacing (pixels) and passes of the smoothing command: dense enough that
/// Taubin smoothing rounds corners without moving long edges, then thinned
/// back to editable handles.
const SMOOTH_SPACING: f32 = 2.0;
const SMOOTH_PASSES: usize = 4;
const SMOOTH_TOLERANCE: f32 = 0.35;

fn smooth_contour(points: &[crate::geometry::Point]) -> Vec<crate::geometry::Point> {
    use crate::geometry::{resample, simplify, smooth};
    simplify(
        &smooth(&resample(points, SMOOTH_SPACING), SMOOTH_PASSES),
        SMOOTH_TOLERANCE,
    )
}

fn is_project(root: &Path) -> bool {
    root.join(crate::store::DATABASE_FILE).is_file()
}

impl eframe::App for EchoLabelApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        EchoLabelApp::ui(self, ui);
    }

    fn on_exit(&mut self) {
        self.save_settings();
        self.close_session();
    }
}
