//! The desktop application (eframe on its wgpu renderer). This is the only
//! module that imports the UI toolkit.
//!
//! One state ([`EchoLabelApp`]) owns the open project's [`session::Session`].
//! Each frame ([`EchoLabelApp::ui`]) polls the workers, draws every view from
//! read-only state, collects what the user asked for as [`command::Command`]s
//! and applies them in one place ([`handle`]). Everything slow (the
//! database, decoding, imports, training) runs on workers that wake the UI
//! when they have news. ARCHITECTURE.md at the top of the repository walks
//! through the parts.

mod actions;
mod assistant;
mod background;
mod canvas;
mod clip_view;
mod command;
mod dialogs;
mod export_dialog;
mod gpu_errors;
mod handle;
mod learning;
mod library;
mod lifecycle;
mod notices;
mod preferences;
mod readers;
mod saving;
mod screenshot;
mod session;
mod side_panel;
mod study;
mod timeline;
mod tools;
mod top_panels;
mod uncertainty_overlay;
mod viewer_gpu;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use eframe::egui;

use crate::jobs::{ThumbnailWorker, Wake};
use crate::settings::Settings;

use assistant::Assistant;
use background::Jobs;
use canvas::{OverlayCache, Viewport};
use command::{Command, CommandQueue};
use dialogs::Dialogs;
use handle::Takeover;
use learning::Learning;
use lifecycle::{FolderDialog, Leaving};
use notices::Notices;
use screenshot::ScreenshotRequest;
use session::Session;
use tools::EditorState;
use uncertainty_overlay::UncertaintyOverlay;

pub use actions::Action;
pub use notices::Level as NoticeLevel;
pub use preferences::Preferences;
pub use tools::Tool;

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
        // Preferences, panel sizes and the window's place live beside the
        // settings, so ECHOLABEL_HOME moves them too.
        persistence_path: Some(options.config_dir.join(preferences::STORAGE_FILE)),
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
            let mut app = EchoLabelApp::restore(options, cc.egui_ctx.clone(), cc.storage);
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

/// Wakes the UI (a worker finished something).
fn repaint(cell: &Arc<OnceLock<egui::Context>>) -> Wake {
    let cell = cell.clone();
    Arc::new(move || {
        if let Some(ctx) = cell.get() {
            ctx.request_repaint();
        }
    })
}

/// The whole application state.
pub struct EchoLabelApp {
    options: AppOptions,
    settings: Settings,
    preferences: Preferences,
    ctx: Arc<OnceLock<egui::Context>>,
    commands: CommandQueue,
    session: Option<Session>,
    editor: EditorState,
    overlay: OverlayCache,
    /// The canvas mapping of the last frame drawn.
    viewport: Option<Viewport>,
    notices: Notices,
    jobs: Jobs,
    /// Decodes the thumbnails of the library and the review grid.
    thumbnails: ThumbnailWorker,
    folder_dialog: Option<FolderDialog>,
    dialogs: Dialogs,
    screenshot: Option<ScreenshotRequest>,
    assistant: Assistant,
    learning: Learning,
    study: study::StudyWindow,
    uncertainty: UncertaintyOverlay,
    /// Pseudo-labels to copy into the annotator's contours once their frame's document is open.
    takeover: Option<Takeover>,
    leaving: Leaving,
}

impl EchoLabelApp {
    /// Starts on the chosen, last or demo project, with default preferences.
    pub fn new(options: AppOptions, ctx: egui::Context) -> EchoLabelApp {
        EchoLabelApp::restore(options, ctx, None)
    }

    /// Starts with the preferences kept in `storage` (eframe's, or a test's).
    pub fn restore(
        options: AppOptions,
        ctx: egui::Context,
        storage: Option<&dyn eframe::Storage>,
    ) -> EchoLabelApp {
        let settings = Settings::load_from(&options.config_dir);
        let preferences = storage.map(Preferences::load).unwrap_or_default();
        let cell = Arc::new(OnceLock::new());
        let _ = cell.set(ctx);
        let mut jobs = Jobs::default();
        let assistant = Assistant::new(&mut jobs, repaint(&cell));
        let thumbnails = ThumbnailWorker::spawn(repaint(&cell));
        let mut app = EchoLabelApp {
            settings,
            editor: EditorState::with_preferences(&preferences),
            learning: Learning::with_preferences(&preferences),
            study: study::StudyWindow::default(),
            dialogs: Dialogs::default(),
            preferences,
            ctx: cell,
            commands: CommandQueue::default(),
            session: None,
            overlay: OverlayCache::default(),
            viewport: None,
            notices: Notices::default(),
            jobs,
            thumbnails,
            folder_dialog: None,
            screenshot: None,
            assistant,
            uncertainty: UncertaintyOverlay::default(),
            takeover: None,
            leaving: Leaving::default(),
            options,
        };
        app.start();
        app
    }

    fn wake(&self) -> Wake {
        repaint(&self.ctx)
    }

    /// Whether the model can take a request now.
    pub fn model_ready(&self) -> bool {
        self.assistant.ready() && !self.model_busy()
    }

    /// Whether the registry would refuse a proposal now.
    fn model_busy(&self) -> bool {
        self.jobs
            .refusal(crate::jobs::JobKind::ContourProposal)
            .is_some()
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
        self.leaving.asking()
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

    /// The agreement figures the Agreement window shows, once computed.
    pub fn agreement(&self) -> Option<&crate::consensus::AgreementReport> {
        self.study.agreement.report.as_ref()
    }

    /// Whether a clip is on screen with its frame decoded and its annotations loaded.
    pub fn clip_ready(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            s.document().is_some() && s.clip.as_ref().is_some_and(|c| c.current_image().is_some())
        })
    }

    /// What the app will remember of this run (tests check it round-trips).
    pub fn preferences(&self) -> Preferences {
        let mut preferences = self.preferences.clone();
        self.editor.remember(&mut preferences);
        self.learning.remember(&mut preferences);
        preferences
    }

    /// Carries out an action as its key, menu item or button would.
    pub fn perform(&mut self, action: Action) {
        self.apply(Command::Do(action));
    }

    /// Draws one frame of the app: poll the workers, draw the views, apply
    /// what they asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) && !self.leaving.quitting {
            // Closing the window waits for unsaved changes or asks, like Quit.
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.apply(Command::Do(Action::Quit));
        }
        self.poll();
        self.report_gpu_errors(&ctx);
        if let Some(session) = &mut self.session {
            if let Some(clip) = &mut session.clip
                && let Some(next) = clip.advance(f64::from(ctx.input(|i| i.stable_dt)))
            {
                ctx.request_repaint_after(next);
            }
            session.observe_activity(ctx.input(session::is_activity));
        }
        if !ctx.egui_wants_keyboard_input() && !self.dialogs.modal_open() {
            for action in actions::pressed(&ctx) {
                self.commands.sender().send(Command::Do(action));
            }
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.session.is_some() {
            self.workspace_ui(ui);
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.centered_and_justified(|ui| {
                    ui.label("No project open. Project > Open project… or Open demo project.")
                });
            });
        }
        self.windows_ui(&ctx);
        let commands = self.commands.drain();
        if !commands.is_empty() {
            // The views drew the state before these; the next frame shows it.
            ctx.request_repaint();
        }
        for command in commands {
            self.apply(command);
        }
        let ready = self.clip_ready();
        if let Some(request) = &mut self.screenshot {
            request.poll(&ctx, ready);
        }
    }

    /// A refusal repeats every frame; one notice says it.
    fn report_gpu_errors(&mut self, ctx: &egui::Context) {
        for message in gpu_errors::take(ctx) {
            let text = format!("The graphics device refused to draw something: {message}");
            if !self.notices.texts().any(|(_, shown)| shown == text) {
                self.notices.error(text);
            }
        }
    }

    /// The library, the tools panel, the timeline and the canvas of the open project.
    fn workspace_ui(&mut self, ui: &mut egui::Ui) {
        let busy = self.model_busy();
        let Some(session) = &mut self.session else {
            return;
        };
        let commands = self.commands.sender();
        egui::Panel::left("library")
            .resizable(true)
            .default_size(280.0)
            .show(ui, |ui| {
                if let Some(record) = session.library.ui(ui, &session.store) {
                    commands.send(Command::OpenClip(Box::new(record)));
                }
            });
        let assistant = &mut self.assistant;
        // Taken out for the panel's closure, which also reads the session.
        let mut readers = std::mem::take(&mut session.readers);
        let reading = session.reading_context();
        egui::Panel::right("tools")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                side_panel::side_panel_ui(
                    ui,
                    &self.editor,
                    session.clip.as_ref(),
                    session.document(),
                    &session.task.template,
                    commands,
                    |ui| {
                        assistant.panel_ui(ui, busy, commands);
                        if let Some((role, frame, own)) = &reading {
                            ui.separator();
                            readers.ui(ui, *role, *frame, own, commands);
                        }
                    },
                )
            });
        session.readers = readers;
        egui::Panel::bottom("timeline").show(ui, |ui| {
            if let Some(clip) = &session.clip {
                let others = session.readers.marks(clip.record.id);
                timeline::timeline_ui(ui, clip, session.document(), &others, commands);
            }
        });
        let map = session
            .clip
            .as_ref()
            .filter(|_| self.learning.show_uncertainty)
            .and_then(|clip| self.learning.map_of(clip.record.id, clip.playback.frame));
        let uncertainty =
            self.uncertainty
                .texture(ui.ctx(), map, &mut self.jobs, repaint(&self.ctx));
        self.viewport = egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                canvas::canvas_ui(
                    ui,
                    session,
                    &mut self.editor,
                    &mut self.overlay,
                    &mut self.notices,
                    uncertainty,
                    commands,
                )
            })
            .inner;
    }

    /// The windows over the workspace: training, active learning, dialogs, notices.
    fn windows_ui(&mut self, ctx: &egui::Context) {
        let commands = self.commands.sender();
        if let Some(session) = &self.session {
            self.assistant.training_window(ctx);
            let ready = self.model_ready();
            let running = self.jobs.is_running(crate::jobs::JobKind::Round);
            self.learning.window(
                ctx,
                session,
                ready,
                running,
                &self.editor.styles,
                &self.thumbnails,
                commands,
            );
            self.study.window(ctx, session, commands);
            let reviewer = session
                .annotator
                .as_ref()
                .is_some_and(|a| a.role != crate::store::Role::Annotator);
            let busy = [
                crate::jobs::JobKind::Agreement,
                crate::jobs::JobKind::Consensus,
            ]
            .iter()
            .any(|kind| self.jobs.is_running(*kind));
            self.study.agreement.window(ctx, reviewer, busy, commands);
            saving::failures_window(ctx, &session.store, &mut self.dialogs.show_failures);
        }
        let annotators = self
            .session
            .as_ref()
            .and_then(|s| s.meta.as_ref())
            .map(|m| m.annotators.as_slice());
        self.dialogs.ui(ctx, annotators, commands);
        self.leave_ui(ctx);
        self.notices.ui(ctx);
    }
}

impl eframe::App for EchoLabelApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        EchoLabelApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.preferences().store(storage);
    }

    fn on_exit(&mut self) {
        self.jobs.cancel_all();
        self.save_settings();
        self.close_session();
    }
}
