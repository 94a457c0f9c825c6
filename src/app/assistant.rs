//! The model in the desktop: which model and device the project uses,
//! contour and ED/ES proposals on request, and training a new model version
//! with a live plot of loss and validation Dice. Every piece of model work
//! is a background job; the UI only polls.

use std::sync::{Arc, Mutex};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::actions::Action;
use super::background::{JobOutput, Jobs};
use super::command::CommandSender;
use super::notices::Notices;
use super::session::Session;
use crate::jobs::{JobKind, Pending, Progress, Wake};
use crate::model::{
    ComputeDevice, DevicePreference, EpochReport, ModelConfig, TrainEvent, TrainOptions,
    select_device,
};
use crate::modelling::{
    FrameProposal, ModelChoice, ProjectTraining, TaskError, TrainedVersion, propose_frame,
    propose_key_frames, train_project,
};
use crate::store::{KeyFrameKind, Project};

/// MC passes for an interactive proposal: enough for a stable mean mask and
/// a usable uncertainty score while staying quick on a CPU.
const PROPOSAL_SAMPLES: usize = 8;

/// What the user asked of the model from the panel or a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelRequest {
    ProposeContours,
    ProposeKeyFrames,
    Train,
}

pub struct Assistant {
    device: Option<Result<ComputeDevice, String>>,
    choice: Option<ModelChoice>,
    choice_pending: Option<Pending<Result<ModelChoice, TaskError>>>,
    /// Epochs of the running training, filled by its job.
    training: Option<Arc<Mutex<Vec<EpochReport>>>>,
    /// Epochs of the last training, kept for the plot after it ends.
    history: Vec<EpochReport>,
    pub show_training: bool,
    /// The uncertainty of the last proposal, shown in the panel.
    last_scores: Option<(u32, f32)>,
}

impl Assistant {
    /// Finds the compute device in the background (opening a GPU can take seconds).
    pub fn new(jobs: &mut Jobs, wake: Wake) -> Assistant {
        let probe = jobs.start(JobKind::DeviceProbe, "Finding a GPU", wake, |_| {
            JobOutput::Device(DevicePreference::from_env().and_then(select_device))
        });
        Assistant {
            device: probe.err().map(|refused| Err(refused.to_string())),
            choice: None,
            choice_pending: None,
            training: None,
            history: Vec::new(),
            show_training: false,
            last_scores: None,
        }
    }

    /// Reads which model the newly opened project uses.
    pub fn project_opened(&mut self, session: &Session) {
        self.choice = None;
        self.model_changed(session);
    }

    /// The compute device, once found.
    pub fn device(&self) -> Option<ComputeDevice> {
        match &self.device {
            Some(Ok(device)) => Some(device.clone()),
            _ => None,
        }
    }

    /// The shape of the model in use (new versions keep it, so training
    /// warm-starts from it); the starting model's when unknown.
    pub fn model_config(&self) -> ModelConfig {
        self.choice
            .as_ref()
            .and_then(|choice| choice.header().ok())
            .map(|header| header.config)
            .unwrap_or_else(|| ModelConfig::camus(128, 8))
    }

    /// Re-reads which model the project uses (a new version was trained),
    /// leaving running work alone.
    pub fn model_changed(&mut self, session: &Session) {
        self.choice_pending = Some(
            session
                .store
                .read(|project| Ok(ModelChoice::for_project(project))),
        );
    }

    /// Whether the model and its device are known (a proposal may still be
    /// refused by a running one).
    pub fn ready(&self) -> bool {
        self.choice.is_some() && matches!(self.device, Some(Ok(_)))
    }

    /// The device probe's answer.
    pub fn device_found(&mut self, result: Result<ComputeDevice, String>, notices: &mut Notices) {
        if let Err(message) = &result {
            notices.error(format!("model device: {message}"));
        }
        self.device = Some(result);
    }

    /// Takes the project's model choice once it has been read.
    pub fn poll(&mut self, notices: &mut Notices) {
        if let Some(pending) = &self.choice_pending
            && let Some(answer) = pending.try_take()
        {
            self.choice_pending = None;
            match answer.map_err(TaskError::from).and_then(|choice| choice) {
                Ok(choice) => self.choice = Some(choice),
                Err(message) => {
                    notices.error(format!(
                        "the project's model cannot be read ({message}); using the starting model"
                    ));
                    self.choice = Some(ModelChoice::starting_model());
                }
            }
        }
    }

    /// Copies the running training's epochs for the plot.
    pub fn follow_training(&mut self) {
        if let Some(shared) = &self.training {
            self.history = shared.lock().map(|h| h.clone()).unwrap_or_default();
        }
    }

    /// A training job stopped without a result (its thread panicked).
    pub fn training_stopped(&mut self) {
        self.follow_training();
        self.training = None;
    }

    /// A training job ended; `session` is the project it trained, if open.
    pub fn trained(
        &mut self,
        session: Option<&Session>,
        result: Result<Option<TrainedVersion>, TaskError>,
        notices: &mut Notices,
    ) {
        self.follow_training();
        self.training = None;
        match result {
            Ok(Some(trained)) => {
                notices.info(format!(
                    "Model version {} trained on {} frames ({:?}); it now makes the proposals",
                    trained.version_id, trained.frames, trained.stopped
                ));
                if let Some(session) = session {
                    self.project_opened(session);
                }
            }
            Ok(None) => notices.info("Training cancelled; no model version was stored"),
            Err(message) => notices.error(format!("training: {message}")),
        }
    }

    /// Proposed contours go into the clip's document (undoable, saved);
    /// results for a clip no longer open are dropped (they were asked for it).
    pub fn contours_proposed(
        &mut self,
        session: Option<&mut Session>,
        clip_id: i64,
        version: Option<i64>,
        result: Result<FrameProposal, TaskError>,
        notices: &mut Notices,
    ) {
        let Some(session) = session.filter(|s| showing(s, clip_id)) else {
            return;
        };
        let proposal = match result {
            Ok(proposal) => proposal,
            Err(message) => return notices.error(format!("proposing contours: {message}")),
        };
        let frame = proposal.frame;
        let mut added = 0;
        session.edit(|document| {
            let (writes, count) = document.propose(frame, proposal.contours, version);
            added = count;
            writes
        });
        let entropy = proposal.scores.entropy.mean;
        self.last_scores = Some((frame, entropy));
        notices.info(match added {
            0 => format!("Frame {}: the model found nothing to add", frame + 1),
            n => format!(
                "Frame {}: {n} contour(s) proposed (mean entropy {entropy:.3}); edit or accept them",
                frame + 1
            ),
        });
    }

    /// Proposed ED/ES marks go into the clip's document, like contours.
    pub fn key_frames_proposed(
        &mut self,
        session: Option<&mut Session>,
        clip_id: i64,
        version: Option<i64>,
        result: Result<Option<Vec<(KeyFrameKind, u32)>>, TaskError>,
        notices: &mut Notices,
    ) {
        let Some(session) = session.filter(|s| showing(s, clip_id)) else {
            return;
        };
        match result {
            Ok(Some(marks)) => {
                let mut added = 0;
                session.edit(|document| {
                    let (writes, count) = document.propose_key_frames(&marks, version);
                    added = count;
                    writes
                });
                let (ed, es) = (
                    Action::MarkEndDiastole.key_text().unwrap_or_default(),
                    Action::MarkEndSystole.key_text().unwrap_or_default(),
                );
                notices.info(format!(
                    "{added} ED/ES frame(s) proposed: press {ed} or {es} on a proposed frame to confirm it"
                ));
            }
            Ok(None) => notices.info("Finding ED/ES cancelled"),
            Err(message) => notices.error(format!("proposing ED/ES: {message}")),
        }
    }

    /// Starts what `request` asks for, or says why it cannot start.
    pub fn start(
        &mut self,
        request: ModelRequest,
        session: &Session,
        jobs: &mut Jobs,
        wake: Wake,
        notices: &mut Notices,
    ) {
        let device = match &self.device {
            Some(Ok(device)) => device.clone(),
            Some(Err(message)) => {
                return notices.error(format!("no device to run the model on: {message}"));
            }
            None => return notices.info("The model is still starting; try again in a moment"),
        };
        if request == ModelRequest::Train {
            return self.start_training(session, device, jobs, wake, notices);
        }
        let Some(choice) = self.choice.clone() else {
            return notices.info("The project's model is still loading; try again in a moment");
        };
        let (Some(clip), Some(meta)) = (session.clip.as_ref(), session.meta.as_ref()) else {
            return notices.info("Open a clip first");
        };
        let version = choice.version_id;
        let path = session.clip_path(&clip.record);
        let salt = meta.salt.clone();
        let clip_id = clip.record.id;
        let project = session.root().to_path_buf();
        let started = match request {
            ModelRequest::ProposeContours => {
                let frame = clip.playback.frame;
                jobs.start(
                    JobKind::ContourProposal,
                    format!("Proposing contours (frame {})", frame + 1),
                    wake,
                    move |progress| {
                        progress.report(0.1, format!("{PROPOSAL_SAMPLES} MC passes"));
                        let result =
                            choice
                                .load(&device)
                                .map_err(TaskError::from)
                                .and_then(|model| {
                                    propose_frame(&model, &path, &salt, frame, PROPOSAL_SAMPLES)
                                });
                        JobOutput::Contours {
                            project,
                            clip_id,
                            version,
                            result,
                        }
                    },
                )
            }
            ModelRequest::ProposeKeyFrames => jobs.start(
                JobKind::KeyFrameProposal,
                JobKind::KeyFrameProposal.label(),
                wake,
                move |progress| {
                    let result = choice
                        .load(&device)
                        .map_err(TaskError::from)
                        .and_then(|model| {
                            propose_key_frames(&model, &path, &salt, |done, total| {
                                progress.report(
                                    done as f32 / total.max(1) as f32,
                                    format!("frame {done}/{total}"),
                                );
                                !progress.cancelled()
                            })
                        });
                    JobOutput::KeyFrames {
                        project,
                        clip_id,
                        version,
                        result,
                    }
                },
            ),
            ModelRequest::Train => unreachable!("handled above"),
        };
        if let Err(refused) = started {
            notices.info(refused.to_string());
        }
    }

    fn start_training(
        &mut self,
        session: &Session,
        device: ComputeDevice,
        jobs: &mut Jobs,
        wake: Wake,
        notices: &mut Notices,
    ) {
        let root = session.root().to_path_buf();
        let history = Arc::new(Mutex::new(Vec::new()));
        let shared = history.clone();
        let config = self.model_config();
        let started = jobs.start(
            JobKind::Training,
            JobKind::Training.label(),
            wake,
            move |progress| {
                let result = train_in(&root, config, &device, progress, &shared);
                JobOutput::Training {
                    project: root,
                    result,
                }
            },
        );
        match started {
            Ok(_) => {
                self.training = Some(history);
                self.history.clear();
                self.show_training = true;
            }
            Err(refused) => notices.info(refused.to_string()),
        }
    }

    /// The "Model" section of the right panel.
    /// `busy`: a proposal is running, so another cannot start.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, busy: bool, commands: &CommandSender) {
        ui.separator();
        ui.heading("Model");
        match &self.choice {
            Some(choice) => ui.label(&choice.name),
            None => ui.weak("reading the project's model…"),
        };
        match &self.device {
            Some(Ok(device)) => ui.weak(format!("runs on {}", device.description)),
            Some(Err(message)) => ui.colored_label(ui.visuals().error_fg_color, message),
            None => ui.weak("looking for a GPU…"),
        };
        let ready = self.ready() && !busy;
        ui.horizontal_wrapped(|ui| {
            for action in [Action::ProposeContours, Action::ProposeKeyFrames] {
                action.button_labelled(ui, action.name_with_key(), ready, commands);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let idle = self.training.is_none() && matches!(self.device, Some(Ok(_)));
            Action::Train.button(ui, idle, commands);
            if !self.history.is_empty() || self.training.is_some() {
                ui.toggle_value(&mut self.show_training, "Training plot");
            }
        });
        if let Some((frame, entropy)) = self.last_scores {
            ui.weak(format!(
                "last proposal: frame {}, mean entropy {entropy:.3}",
                frame + 1
            ));
        }
    }

    /// The training window: loss and validation Dice per epoch, live.
    pub fn training_window(&mut self, ctx: &egui::Context) {
        if !self.show_training {
            return;
        }
        let running = self.training.is_some();
        let history = &self.history;
        egui::Window::new("Model training")
            .open(&mut self.show_training)
            .default_size([460.0, 300.0])
            .show(ctx, |ui| {
                match history.last() {
                    Some(last) => ui.label(format!(
                        "epoch {}: train loss {:.3}, validation loss {:.3}, mean validation Dice {:.3}{}",
                        last.epoch,
                        last.train_loss,
                        last.validation_loss,
                        last.mean_dice(),
                        if running { "" } else { " (finished)" }
                    )),
                    None => ui.label("waiting for the first epoch…"),
                };
                let series = |value: fn(&EpochReport) -> f32| -> PlotPoints<'static> {
                    history.iter().map(|r| [r.epoch as f64, f64::from(value(r))]).collect::<Vec<_>>().into()
                };
                Plot::new("training curves")
                    .legend(Legend::default())
                    .x_axis_label("epoch")
                    .height(220.0)
                    .show(ui, |plot| {
                        plot.line(Line::new("train loss", series(|r| r.train_loss)));
                        plot.line(Line::new("validation loss", series(|r| r.validation_loss)));
                        plot.line(Line::new("validation Dice", series(EpochReport::mean_dice)));
                    });
            });
    }
}

/// Whether the clip `clip_id` is on screen.
fn showing(session: &Session, clip_id: i64) -> bool {
    session
        .clip
        .as_ref()
        .is_some_and(|c| c.record.id == clip_id)
}

/// Trains a new version of the project at `root` on its finished contours,
/// reporting steps to `progress` and epochs into `history`.
fn train_in(
    root: &std::path::Path,
    config: ModelConfig,
    device: &ComputeDevice,
    progress: &Progress,
    history: &Mutex<Vec<EpochReport>>,
) -> Result<Option<TrainedVersion>, TaskError> {
    let mut project = Project::open(root)?;
    let training = ProjectTraining {
        config,
        options: TrainOptions::default(),
        // Read from the project's policy when it trains.
        include_pseudo_labels: true,
        warm_start: true,
        out: None,
    };
    let max_epochs = training.options.max_epochs;
    train_project(&mut project, &training, device, |event| {
        match event {
            TrainEvent::Step {
                epoch,
                step,
                steps,
                loss,
            } => progress.report(
                event.fraction(max_epochs).unwrap_or(0.0),
                format!("epoch {epoch}, step {step}/{steps}, loss {loss:.3}"),
            ),
            TrainEvent::Epoch(report) => {
                if let Ok(mut history) = history.lock() {
                    history.push(report.clone());
                }
            }
        }
        !progress.cancelled()
    })
}
