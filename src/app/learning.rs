//! The active-learning window: start a round (retrain → score the pool →
//! queue frames) as a background job, work through the annotation queue,
//! review pseudo-labels, and follow validation Dice against labelled frames
//! across model versions. Everything it shows is read from the project by
//! the store thread; the UI only polls.

use std::collections::HashMap;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::notices::Notices;
use super::review_grid::{ReviewAction, ReviewGrid, ReviewView};
use super::session::Session;
use super::tools::StructureStyle;
use crate::active::queue::{CurvePoint, QueueEntry, annotation_queue, learning_curve};
use crate::active::round::{
    RoundBudget, RoundError, RoundOutcome, RoundProgress, RoundSettings, run_round, saved_maps,
};
use crate::active::{SemiSupervised, Strategy};
use crate::editor::Mutation;
use crate::jobs::{Job, JobState, Pending, Wake};
use crate::model::{ComputeDevice, ModelConfig, TrainEvent, TrainOptions};
use crate::modelling::ProjectTraining;
use crate::store::{Annotation, AnnotationStatus, Project, PseudoLabelPolicy, Round};

/// What the window asks the app to do.
pub enum LearningAction {
    /// Show a frame in the viewer.
    OpenFrame { clip_id: i64, frame: u32 },
    /// Copy pseudo-labels into the annotator's own contours of the frame
    /// for editing; the pseudo-labels are then closed (rejected).
    TakeOver {
        clip_id: i64,
        frame: u32,
        pseudo_labels: Vec<Annotation>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Round,
    Queue,
    Review,
    Progress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SemiChoice {
    None,
    Ceal,
    Ssal,
}

/// The round settings as the form edits them.
struct RoundForm {
    strategy: Strategy,
    by_percent: bool,
    frames: usize,
    percent: f32,
    samples: usize,
    semi: SemiChoice,
    /// CEAL: mean-entropy threshold and its decay per round.
    ceal_threshold: f32,
    ceal_decay: f32,
    /// SSAL: entropy quantile range and the largest threshold instability.
    ssal_range: (f32, f32),
    ssal_max_instability: f32,
    stride: u32,
    retrain: bool,
    seed: u64,
}

impl Default for RoundForm {
    fn default() -> Self {
        RoundForm {
            strategy: Strategy::McEntropy,
            by_percent: false,
            frames: 8,
            percent: 10.0,
            samples: 8,
            semi: SemiChoice::None,
            ceal_threshold: 0.03,
            ceal_decay: 0.002,
            ssal_range: (0.3, 0.7),
            ssal_max_instability: 0.05,
            stride: 8,
            retrain: true,
            seed: 1,
        }
    }
}

/// Strategies the desktop runs (ensembles need several models trained per
/// round; `echolabel simulate` compares them).
const DESKTOP_STRATEGIES: [Strategy; 10] = [
    Strategy::McEntropy,
    Strategy::Bald,
    Strategy::McVariance,
    Strategy::MaxEntropy,
    Strategy::PixelWise,
    Strategy::KCenter,
    Strategy::FuzzyCMeans,
    Strategy::UncertaintyThenDiversity,
    Strategy::DiversityThenUncertainty,
    Strategy::Random,
];

/// What the window shows, read in one go from the project.
struct Overview {
    rounds: Vec<Round>,
    queue: Vec<QueueEntry>,
    pseudo_labels: Vec<Annotation>,
    clip_names: HashMap<i64, String>,
    policy: PseudoLabelPolicy,
    curve: Vec<CurvePoint>,
    /// The saved uncertainty map of each (clip, frame) that has one.
    maps: HashMap<(i64, u32), std::path::PathBuf>,
}

fn read_overview(project: &mut Project) -> Result<Overview, crate::store::StoreError> {
    Ok(Overview {
        rounds: project.rounds()?,
        queue: annotation_queue(project)?,
        pseudo_labels: project.pseudo_labels(&[
            AnnotationStatus::Draft,
            AnnotationStatus::Accepted,
            AnnotationStatus::Rejected,
        ])?,
        clip_names: project
            .clips(None)?
            .into_iter()
            .map(|c| (c.id, super::library::display_name(&c)))
            .collect(),
        policy: project.pseudo_label_policy()?,
        curve: learning_curve(project)?,
        maps: saved_maps(project.root()),
    })
}

type RoundJob = Job<Result<Option<RoundOutcome>, RoundError>>;

pub struct Learning {
    pub open: bool,
    tab: Tab,
    form: RoundForm,
    job: Option<RoundJob>,
    overview: Option<Overview>,
    loading: Option<Pending<Overview>>,
    review: ReviewGrid,
    /// Show the uncertainty map of the frame on screen (key U).
    pub show_uncertainty: bool,
}

impl Default for Learning {
    fn default() -> Self {
        Learning {
            open: false,
            tab: Tab::Round,
            form: RoundForm::default(),
            job: None,
            overview: None,
            loading: None,
            review: ReviewGrid::default(),
            show_uncertainty: true,
        }
    }
}

impl Learning {
    /// Forgets the last project's state and reads the new one's.
    pub fn project_opened(&mut self, session: &Session) {
        let open = self.open;
        *self = Learning {
            open,
            ..Learning::default()
        };
        self.reload(session);
    }

    pub fn reload(&mut self, session: &Session) {
        self.loading = Some(session.store.read(read_overview));
    }

    /// The saved uncertainty map of a frame, if a round made one.
    pub fn map_of(&self, clip_id: i64, frame: u32) -> Option<std::path::PathBuf> {
        self.overview.as_ref()?.maps.get(&(clip_id, frame)).cloned()
    }

    /// Whether a round is running.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The round job for the status bar: (name, fraction, message).
    pub fn job_status(&self) -> Option<(String, f32, String)> {
        self.job.as_ref().map(|job| {
            let (fraction, message) = job.status();
            (job.name().to_string(), fraction, message)
        })
    }

    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }

    /// The next queued frame not yet labelled after (`clip_id`, `frame`).
    pub fn next_queued(&self, current: Option<(i64, u32)>) -> Option<(i64, u32)> {
        let queue = &self.overview.as_ref()?.queue;
        let open: Vec<&QueueEntry> = queue.iter().filter(|e| !e.done).collect();
        let position = current.and_then(|(clip, frame)| {
            queue
                .iter()
                .position(|e| e.clip_id == clip && e.frame == frame)
        });
        let after = position.map_or(0, |p| p + 1);
        queue[after.min(queue.len())..]
            .iter()
            .find(|e| !e.done)
            .or(open.first().copied())
            .map(|e| (e.clip_id, e.frame))
    }

    /// Takes finished reads, writes and rounds.
    pub fn poll(&mut self, session: Option<&Session>, notices: &mut Notices) -> bool {
        let mut round_finished = false;
        if let Some(pending) = &self.loading
            && let Some(answer) = pending.try_take()
        {
            self.loading = None;
            match answer {
                Ok(overview) => {
                    self.review.retain_known(&overview.pseudo_labels);
                    self.overview = Some(overview);
                }
                Err(message) => {
                    notices.error(format!("reading the active-learning state: {message}"))
                }
            }
        }
        if let Some(job) = &mut self.job {
            let result = match job.poll() {
                JobState::Running { .. } => None,
                JobState::Finished(result) => Some(result.map_err(|error| error.to_string())),
                JobState::Failed(message) => Some(Err(message)),
            };
            if let Some(result) = result {
                self.job = None;
                round_finished = true;
                match result {
                    Ok(Some(outcome)) => {
                        notices.info(round_summary(&outcome));
                        for problem in &outcome.skipped {
                            notices.error(format!("left out of the round: {problem}"));
                        }
                        self.tab = Tab::Queue;
                    }
                    Ok(None) => notices.info(
                        "Round cancelled; no round was recorded (a model version trained before the cancel is kept)",
                    ),
                    Err(message) => notices.error(format!("active-learning round: {message}")),
                }
                if let Some(session) = session {
                    self.reload(session);
                }
            }
        }
        round_finished
    }

    /// Starts a round with the form's settings on `device`, training (when
    /// asked) a model shaped like `config`.
    pub fn start_round(
        &mut self,
        session: &Session,
        device: ComputeDevice,
        config: ModelConfig,
        wake: Wake,
        notices: &mut Notices,
    ) {
        if self.job.is_some() {
            return notices.info("A round is already running");
        }
        let form = &self.form;
        let settings = RoundSettings {
            strategy: form.strategy,
            budget: if form.by_percent {
                RoundBudget::Percent(form.percent)
            } else {
                RoundBudget::Frames(form.frames)
            },
            samples: form.samples,
            semi: match form.semi {
                SemiChoice::None => SemiSupervised::None,
                SemiChoice::Ceal => SemiSupervised::Ceal {
                    threshold: form.ceal_threshold,
                    decay: form.ceal_decay,
                },
                SemiChoice::Ssal => SemiSupervised::Ssal {
                    low: form.ssal_range.0,
                    high: form.ssal_range.1,
                    max_instability: form.ssal_max_instability,
                },
            },
            stride: form.stride,
            seed: form.seed,
            retrain: form.retrain.then(|| ProjectTraining {
                config,
                options: TrainOptions::default(),
                // Read from the project when the round trains.
                include_pseudo_labels: true,
                warm_start: true,
                out: None,
            }),
        };
        let root = session.root().to_path_buf();
        let max_epochs = TrainOptions::default().max_epochs;
        self.job = Some(Job::spawn(
            format!("Active-learning round ({})", form.strategy.name()),
            wake,
            move |progress| {
                let mut project = Project::open(&root)?;
                run_round(&mut project, &settings, &device, |event| {
                    match event {
                        RoundProgress::Training(
                            event @ TrainEvent::Step {
                                epoch, step, steps, ..
                            },
                        ) => progress.report(
                            0.5 * event.fraction(max_epochs).unwrap_or(0.0),
                            format!("training: epoch {epoch}, step {step}/{steps}"),
                        ),
                        RoundProgress::Training(TrainEvent::Epoch(_)) => {}
                        RoundProgress::Scoring { done, total } => progress.report(
                            0.5 + 0.5 * done as f32 / total.max(1) as f32,
                            format!("scoring the pool: {done}/{total} frames"),
                        ),
                    }
                    !progress.cancelled()
                })
            },
        ));
        // The form's seed moves on so the next random round differs; it is
        // stored with each round.
        self.form.seed += 1;
    }

    /// The window; `model_ready` says whether a round can start now.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        session: &Session,
        model_ready: bool,
        styles: &[StructureStyle],
        wake: &Wake,
        notices: &mut Notices,
    ) -> (Option<LearningAction>, bool) {
        let mut action = None;
        let mut start = false;
        if !self.open {
            return (None, false);
        }
        let mut open = self.open;
        egui::Window::new("Active learning")
            .open(&mut open)
            .default_size([640.0, 540.0])
            .default_pos([300.0, 60.0])
            .vscroll(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.tab, Tab::Round, "Round");
                    let queue = self
                        .overview
                        .as_ref()
                        .map_or(0, |o| o.queue.iter().filter(|e| !e.done).count());
                    ui.selectable_value(&mut self.tab, Tab::Queue, format!("Queue ({queue})"));
                    let pending = self.overview.as_ref().map_or(0, |o| {
                        o.pseudo_labels
                            .iter()
                            .filter(|a| a.status == AnnotationStatus::Draft)
                            .count()
                    });
                    ui.selectable_value(&mut self.tab, Tab::Review, format!("Review ({pending})"));
                    ui.selectable_value(&mut self.tab, Tab::Progress, "Progress");
                });
                ui.separator();
                let Some(overview) = &self.overview else {
                    ui.spinner();
                    return;
                };
                match self.tab {
                    Tab::Round => {
                        start = round_ui(
                            ui,
                            &mut self.form,
                            overview,
                            model_ready,
                            self.job.is_some(),
                        )
                    }
                    Tab::Queue => action = queue_ui(ui, overview, &mut self.show_uncertainty),
                    Tab::Review if session.annotator.is_none() => {
                        ui.weak("Choose who is annotating (Project > Change annotator) to review pseudo-labels.");
                    }
                    Tab::Review => {
                        let reviewer = session.annotator.as_ref().map(|a| a.id);
                        let view = ReviewView {
                            pseudo_labels: &overview.pseudo_labels,
                            clip_names: &overview.clip_names,
                            policy: overview.policy,
                            styles,
                        };
                        match self.review.ui(ui, session, &view, wake) {
                            Some(ReviewAction::Decide { ids, decision }) => {
                                if let Some(reviewer) = reviewer {
                                    self.decide(session, ids, reviewer, decision, notices);
                                }
                            }
                            Some(ReviewAction::Policy(policy)) => {
                                self.set_policy(session, policy, notices)
                            }
                            Some(ReviewAction::Edit {
                                clip_id,
                                frame,
                                pseudo_labels,
                            }) => {
                                action = Some(LearningAction::TakeOver {
                                    clip_id,
                                    frame,
                                    pseudo_labels,
                                });
                            }
                            Some(ReviewAction::Open { clip_id, frame }) => {
                                action = Some(LearningAction::OpenFrame { clip_id, frame });
                            }
                            None => {}
                        }
                    }
                    Tab::Progress => progress_ui(ui, overview),
                }
            });
        self.open = open;
        (action, start)
    }

    /// Accepts or rejects pseudo-labels as `reviewer`, in one transaction,
    /// through the ordered write queue (a later decision always wins); the
    /// overview is read again once the decision is written.
    fn decide(
        &mut self,
        session: &Session,
        ids: Vec<i64>,
        reviewer: i64,
        decision: AnnotationStatus,
        notices: &mut Notices,
    ) {
        let verb = if decision == AnnotationStatus::Accepted {
            "accepted"
        } else {
            "rejected"
        };
        notices.info(format!("{} pseudo-label(s) {verb}", ids.len()));
        session.store.write(Mutation::ReviewPseudoLabels {
            ids,
            reviewer,
            decision,
        });
        self.reload(session);
    }

    fn set_policy(&mut self, session: &Session, policy: PseudoLabelPolicy, notices: &mut Notices) {
        session.store.write(Mutation::SetPseudoLabelPolicy(policy));
        notices.info(match policy {
            PseudoLabelPolicy::WhenAccepted => "Accepted pseudo-labels now join training",
            PseudoLabelPolicy::Never => "Pseudo-labels no longer join training",
        });
        self.reload(session);
    }
}

fn round_summary(outcome: &RoundOutcome) -> String {
    let model = match (&outcome.trained, &outcome.training_note) {
        (Some(trained), _) => format!(
            "trained model version {} on {} frames; ",
            trained.version_id, trained.frames
        ),
        (None, Some(note)) => format!("{note}; "),
        (None, None) => String::new(),
    };
    format!(
        "Round {}: {model}scored {} frames with {}, queued {} for annotation{}",
        outcome.round_id,
        outcome.pool,
        outcome.model_name,
        outcome.queued.len(),
        match outcome.pseudo_labels {
            0 => String::new(),
            n => format!(", {n} pseudo-label contour(s) to review"),
        }
    )
}

/// The settings form and the round history; true when Start was pressed.
fn round_ui(
    ui: &mut egui::Ui,
    form: &mut RoundForm,
    overview: &Overview,
    model_ready: bool,
    running: bool,
) -> bool {
    let mut start = false;
    egui::Grid::new("round form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        ui.label("Strategy");
        egui::ComboBox::from_id_salt("strategy")
            .selected_text(form.strategy.name())
            .show_ui(ui, |ui| {
                for strategy in DESKTOP_STRATEGIES {
                    ui.selectable_value(&mut form.strategy, strategy, strategy.name());
                }
            });
        ui.end_row();
        ui.label("Budget");
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.by_percent, false, "frames");
            ui.add_enabled(!form.by_percent, egui::DragValue::new(&mut form.frames).range(1..=500));
            ui.radio_value(&mut form.by_percent, true, "% of pool");
            ui.add_enabled(
                form.by_percent,
                egui::DragValue::new(&mut form.percent).range(0.5..=100.0).speed(0.5).suffix(" %"),
            );
        });
        ui.end_row();
        ui.label("Pool");
        ui.horizontal(|ui| {
            ui.label("key frames, and one frame in every");
            ui.add(egui::DragValue::new(&mut form.stride).range(1..=64));
            ui.label("of each clip");
        });
        ui.end_row();
        ui.label("MC passes");
        ui.add(egui::DragValue::new(&mut form.samples).range(2..=64));
        ui.end_row();
        ui.label("Pseudo-labels");
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.semi, SemiChoice::None, "none");
            ui.radio_value(&mut form.semi, SemiChoice::Ceal, "CEAL (confident frames)")
                .on_hover_text("Frames the model is sure of (low MC entropy) become pseudo-labels for review");
            ui.radio_value(&mut form.semi, SemiChoice::Ssal, "SSAL (stable mid-uncertainty)")
                .on_hover_text("Frames of middling uncertainty whose mask hardly moves with the probability threshold");
        });
        ui.end_row();
        match form.semi {
            SemiChoice::None => {}
            SemiChoice::Ceal => {
                ui.label("");
                ui.horizontal(|ui| {
                    ui.label("mean entropy ≤");
                    ui.add(egui::DragValue::new(&mut form.ceal_threshold).range(0.0..=2.0).speed(0.001).max_decimals(3));
                    ui.label("less per round");
                    ui.add(egui::DragValue::new(&mut form.ceal_decay).range(0.0..=0.5).speed(0.001).max_decimals(3));
                });
                ui.end_row();
            }
            SemiChoice::Ssal => {
                ui.label("");
                ui.horizontal(|ui| {
                    ui.label("entropy quantiles");
                    ui.add(egui::DragValue::new(&mut form.ssal_range.0).range(0.0..=1.0).speed(0.01));
                    ui.label("to");
                    ui.add(egui::DragValue::new(&mut form.ssal_range.1).range(0.0..=1.0).speed(0.01));
                    ui.label("instability ≤");
                    ui.add(egui::DragValue::new(&mut form.ssal_max_instability).range(0.0..=1.0).speed(0.005).max_decimals(3));
                });
                ui.end_row();
            }
        }
        ui.label("Retrain first");
        ui.checkbox(&mut form.retrain, "train a new model version from the finished annotations");
        ui.end_row();
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut form.seed));
        ui.end_row();
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let button = ui.add_enabled(model_ready && !running, egui::Button::new("Start round"));
        if button.clicked() {
            start = true;
        }
        if running {
            ui.spinner();
            ui.label("a round is running (progress and Cancel in the status bar)");
        } else if !model_ready {
            ui.weak("waiting for the model and device…");
        }
    });
    ui.separator();
    ui.label(egui::RichText::new("Rounds").strong());
    if overview.rounds.is_empty() {
        ui.weak("No rounds yet.");
        return start;
    }
    egui::ScrollArea::vertical()
        .id_salt("rounds")
        .max_height(200.0)
        .show(ui, |ui| {
            egui::Grid::new("rounds")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for heading in ["round", "strategy", "budget", "seed", "model"] {
                        ui.label(egui::RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for round in overview.rounds.iter().rev() {
                        ui.label(round.id.to_string());
                        ui.label(&round.strategy);
                        ui.label(round.budget.to_string());
                        ui.label(round.seed.map_or("–".to_string(), |s| s.to_string()));
                        ui.label(
                            round
                                .model_version_id
                                .map_or("starting model".to_string(), |v| format!("version {v}")),
                        );
                        ui.end_row();
                    }
                });
        });
    start
}

/// The latest round's queue; a click opens the frame.
fn queue_ui(
    ui: &mut egui::Ui,
    overview: &Overview,
    show_uncertainty: &mut bool,
) -> Option<LearningAction> {
    let mut action = None;
    if overview.queue.is_empty() {
        ui.weak("The queue is empty: start a round to rank the unlabelled frames.");
        return None;
    }
    ui.horizontal(|ui| {
        ui.checkbox(
            show_uncertainty,
            "Show the uncertainty map on the image (U)",
        );
        ui.weak("N opens the next frame to label");
    });
    let done = overview.queue.iter().filter(|e| e.done).count();
    ui.label(format!(
        "Round {}: {done} of {} frames labelled",
        overview.queue[0].round_id,
        overview.queue.len()
    ));
    egui::ScrollArea::vertical()
        .id_salt("queue")
        .show(ui, |ui| {
            egui::Grid::new("queue")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for heading in ["rank", "clip", "frame", "score", ""] {
                        ui.label(egui::RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for entry in &overview.queue {
                        ui.label(entry.rank.to_string());
                        ui.label(&entry.clip_name);
                        ui.label((entry.frame + 1).to_string());
                        ui.label(format!("{:.4}", entry.score));
                        ui.horizontal(|ui| {
                            if ui.button("Open").clicked() {
                                action = Some(LearningAction::OpenFrame {
                                    clip_id: entry.clip_id,
                                    frame: entry.frame,
                                });
                            }
                            if entry.done {
                                ui.colored_label(
                                    egui::Color32::from_rgb(110, 200, 110),
                                    "labelled",
                                );
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    action
}

/// Validation Dice of each model version against its labelled frames.
fn progress_ui(ui: &mut egui::Ui, overview: &Overview) {
    let curve = &overview.curve;
    match curve.last() {
        Some(last) => ui.label(format!(
            "Latest model version {}: mean validation Dice {:.3} with {} labelled frames",
            last.version_id, last.dice, last.frames
        )),
        None => ui.weak(
            "No trained model version yet: the curve starts with the first round that trains one.",
        ),
    };
    let points: Vec<[f64; 2]> = curve
        .iter()
        .map(|p| [p.frames as f64, f64::from(p.dice)])
        .collect();
    Plot::new("dice vs labels")
        .x_axis_label("training frames (labelled + accepted pseudo-labels)")
        .y_axis_label("validation Dice")
        .include_y(0.0)
        .include_y(1.0)
        .include_x(0.0)
        .height(ui.available_height().max(200.0))
        .show(ui, |plot| {
            plot.line(Line::new(
                "validation Dice",
                PlotPoints::from(points.clone()),
            ));
            plot.points(Points::new("model versions", PlotPoints::from(points)).radius(4.0));
        });
}
