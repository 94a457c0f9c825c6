//! The model in the desktop: which model and device the project uses,
//! contour and ED/ES proposals on request, and training a new model version
//! with a live plot of loss and validation Dice. Every piece of model work
//! is a background job; the UI only polls.

use std::sync::{Arc, Mutex};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::notices::Notices;
use super::session::Session;
use crate::jobs::{Job, JobState, Pending, Wake};
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

/// ED/ES marks found, or `None` when cancelled.
type KeyFrameResult<E = String> = Result<Option<Vec<(KeyFrameKind, u32)>>, E>;

/// Model work for a clip, with the model version doing it (recorded on its
/// proposals even if another version takes over meanwhile).
enum Work {
    Contours {
        clip_id: i64,
        version: Option<i64>,
        job: Job<Result<FrameProposal, TaskError>>,
    },
    KeyFrames {
        clip_id: i64,
        version: Option<i64>,
        job: Job<KeyFrameResult<TaskError>>,
    },
}

/// A finished piece of [`Work`].
enum Done {
    Contours(Result<FrameProposal, String>),
    KeyFrames(KeyFrameResult),
}

/// A job's result once it has one; a job that died is an error.
fn outcome<T: Send + 'static>(job: &mut Job<T>) -> Option<Result<T, String>> {
    match job.poll() {
        JobState::Running { .. } => None,
        JobState::Finished(value) => Some(Ok(value)),
        JobState::Failed(message) => Some(Err(message)),
    }
}

struct Training {
    job: Job<Result<Option<TrainedVersion>, TaskError>>,
    history: Arc<Mutex<Vec<EpochReport>>>,
}

pub struct Assistant {
    device: Option<Result<ComputeDevice, String>>,
    device_job: Option<Job<Result<ComputeDevice, String>>>,
    choice: Option<ModelChoice>,
    choice_pending: Option<Pending<Result<ModelChoice, TaskError>>>,
    work: Option<Work>,
    training: Option<Training>,
    /// Epochs of the last training, kept for the plot after it ends.
    history: Vec<EpochReport>,
    pub show_training: bool,
    /// The uncertainty of the last proposal, shown in the panel.
    last_scores: Option<(u32, f32)>,
}

impl Assistant {
    /// Finds the compute device in the background (opening a GPU can take seconds).
    pub fn new(wake: Wake) -> Assistant {
        let device_job = Job::spawn("Finding a GPU", wake, |_| {
            let preference = DevicePreference::from_env()?;
            select_device(preference)
        });
        Assistant {
            device: None,
            device_job: Some(device_job),
            choice: None,
            choice_pending: None,
            work: None,
            training: None,
            history: Vec::new(),
            show_training: false,
            last_scores: None,
        }
    }

    /// Reads which model the newly opened project uses.
    pub fn project_opened(&mut self, session: &Session) {
        self.choice = None;
        self.work = None;
        self.choice_pending = Some(
            session
                .store
                .read(|project| Ok(ModelChoice::for_project(project))),
        );
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

    /// Whether a training job is running.
    pub fn is_training(&self) -> bool {
        self.training.is_some()
    }

    /// Whether a proposal can start now (model and device known, nothing running).
    pub fn ready(&self) -> bool {
        self.choice.is_some() && matches!(self.device, Some(Ok(_))) && self.work.is_none()
    }

    /// Background jobs to show in the status bar: (name, fraction, message).
    pub fn jobs(&self) -> Vec<(String, f32, String)> {
        let mut jobs = Vec::new();
        match &self.work {
            Some(Work::Contours { job, .. }) => jobs.push((job.name().to_string(), job.status())),
            Some(Work::KeyFrames { job, .. }) => jobs.push((job.name().to_string(), job.status())),
            None => {}
        }
        if let Some(training) = &self.training {
            jobs.push((training.job.name().to_string(), training.job.status()));
        }
        jobs.into_iter()
            .map(|(name, (fraction, message))| (name, fraction, message))
            .collect()
    }

    /// Cancels the `index`-th job of [`Assistant::jobs`].
    pub fn cancel(&self, index: usize) {
        let mut cancels: Vec<&dyn Fn()> = Vec::new();
        let work_cancel;
        let training_cancel;
        if let Some(work) = &self.work {
            work_cancel = move || match work {
                Work::Contours { job, .. } => job.cancel(),
                Work::KeyFrames { job, .. } => job.cancel(),
            };
            cancels.push(&work_cancel);
        }
        if let Some(training) = &self.training {
            training_cancel = move || training.job.cancel();
            cancels.push(&training_cancel);
        }
        if let Some(cancel) = cancels.get(index) {
            cancel();
        }
    }

    /// Takes finished work: proposals go into the clip's document (undoable, saved).
    pub fn poll(&mut self, session: Option<&mut Session>, notices: &mut Notices) {
        if let Some(job) = &mut self.device_job {
            match job.poll() {
                JobState::Running { .. } => {}
                JobState::Finished(result) => {
                    if let Err(message) = &result {
                        notices.error(format!("model device: {message}"));
                    }
                    self.device = Some(result);
                    self.device_job = None;
                }
                JobState::Failed(message) => {
                    self.device = Some(Err(message));
                    self.device_job = None;
                }
            }
        }
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
        if let Some(training) = &mut self.training {
            self.history = training
                .history
                .lock()
                .map(|h| h.clone())
                .unwrap_or_default();
            match training.job.poll() {
                JobState::Running { .. } => {}
                JobState::Finished(result) => {
                    self.training = None;
                    match result {
                        Ok(Some(trained)) => {
                            notices.info(format!(
                                "Model version {} trained on {} frames ({:?}); it now makes the proposals",
                                trained.version_id, trained.frames, trained.stopped
                            ));
                            if let Some(session) = session.as_deref() {
                                self.project_opened(session);
                            }
                        }
                        Ok(None) => notices.info("Training cancelled; no model version was stored"),
                        Err(message) => notices.error(format!("training: {message}")),
                    }
                }
                JobState::Failed(message) => {
                    self.training = None;
                    notices.error(format!("training: {message}"));
                }
            }
        }
        let finished = match &mut self.work {
            Some(Work::Contours {
                clip_id,
                version,
                job,
            }) => outcome(job).map(|result| {
                let result = result.and_then(|r| r.map_err(|error| error.to_string()));
                (*clip_id, *version, Done::Contours(result))
            }),
            Some(Work::KeyFrames {
                clip_id,
                version,
                job,
            }) => outcome(job).map(|result| {
                let result = result.and_then(|r| r.map_err(|error| error.to_string()));
                (*clip_id, *version, Done::KeyFrames(result))
            }),
            None => None,
        };
        let Some((clip_id, version, done)) = finished else {
            return;
        };
        self.work = None;
        // Results for a clip no longer open are dropped: they were asked for it.
        let Some(session) =
            session.filter(|s| s.clip.as_ref().is_some_and(|c| c.record.id == clip_id))
        else {
            return;
        };
        match done {
            Done::Contours(Ok(proposal)) => {
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
            Done::Contours(Err(message)) => notices.error(format!("proposing contours: {message}")),
            Done::KeyFrames(Ok(Some(marks))) => {
                let mut added = 0;
                session.edit(|document| {
                    let (writes, count) = document.propose_key_frames(&marks, version);
                    added = count;
                    writes
                });
                notices.info(format!(
                    "{added} ED/ES frame(s) proposed: press D or S on a proposed frame to confirm it"
                ));
            }
            Done::KeyFrames(Ok(None)) => notices.info("Finding ED/ES cancelled"),
            Done::KeyFrames(Err(message)) => notices.error(format!("proposing ED/ES: {message}")),
        }
    }

    /// Starts what `request` asks for, or says why it cannot start.
    pub fn start(
        &mut self,
        request: ModelRequest,
        session: &Session,
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
            return self.start_training(session, device, wake, notices);
        }
        if self.work.is_some() {
            return notices.info("The model is still working on the last request");
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
        match request {
            ModelRequest::ProposeContours => {
                let frame = clip.playback.frame;
                let job = Job::spawn(
                    format!("Proposing contours (frame {})", frame + 1),
                    wake,
                    move |progress| {
                        progress.report(0.1, format!("{PROPOSAL_SAMPLES} MC passes"));
                        let model = choice.load(&device)?;
                        propose_frame(&model, &path, &salt, frame, PROPOSAL_SAMPLES)
                    },
                );
                self.work = Some(Work::Contours {
                    clip_id,
                    version,
                    job,
                });
            }
            ModelRequest::ProposeKeyFrames => {
                let job = Job::spawn("Finding ED and ES", wake, move |progress| {
                    let model = choice.load(&device)?;
                    propose_key_frames(&model, &path, &salt, |done, total| {
                        progress.report(
                            done as f32 / total.max(1) as f32,
                            format!("frame {done}/{total}"),
                        );
                        !progress.cancelled()
                    })
                });
                self.work = Some(Work::KeyFrames {
                    clip_id,
                    version,
                    job,
                });
            }
            ModelRequest::Train => unreachable!("handled above"),
        }
    }

    fn start_training(
        &mut self,
        session: &Session,
        device: ComputeDevice,
        wake: Wake,
        notices: &mut Notices,
    ) {
        if self.training.is_some() {
            return notices.info("A model is already training");
        }
        let root = session.root().to_path_buf();
        let history = Arc::new(Mutex::new(Vec::new()));
        let shared = history.clone();
        let config = self.model_config();
        let job = Job::spawn("Training the model", wake, move |progress| {
            let mut project = Project::open(&root)?;
            let training = ProjectTraining {
                config,
                options: TrainOptions::default(),
                // Read from the project's policy when it trains.
                include_pseudo_labels: true,
                warm_start: true,
                out: None,
            };
            let max_epochs = training.options.max_epochs;
            train_project(&mut project, &training, &device, |event| {
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
                        if let Ok(mut history) = shared.lock() {
                            history.push(report.clone());
                        }
                    }
                }
                !progress.cancelled()
            })
        });
        self.training = Some(Training { job, history });
        self.history.clear();
        self.show_training = true;
    }

    /// The "Model" section of the right panel.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui) -> Option<ModelRequest> {
        let mut request = None;
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
        let ready = self.ready();
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new("Propose contours (R)"))
                .clicked()
            {
                request = Some(ModelRequest::ProposeContours);
            }
            if ui
                .add_enabled(ready, egui::Button::new("Propose ED/ES (K)"))
                .clicked()
            {
                request = Some(ModelRequest::ProposeKeyFrames);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let idle = self.training.is_none() && matches!(self.device, Some(Ok(_)));
            if ui
                .add_enabled(idle, egui::Button::new("Train new version"))
                .on_hover_text(
                    "Train on the finished (submitted or accepted) contours of this project",
                )
                .clicked()
            {
                request = Some(ModelRequest::Train);
            }
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
        request
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
