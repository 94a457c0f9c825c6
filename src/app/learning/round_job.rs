//! Running a round: starting it as a cancellable background job with the
//! form's settings, taking its outcome, and taking the project reads that
//! finish on the store thread while the window is drawn.

use super::{Learning, Tab};
use crate::active::round::{RoundError, RoundOutcome, RoundProgress, run_round};
use crate::app::background::{JobOutput, Jobs};
use crate::app::notices::Notices;
use crate::app::session::Session;
use crate::jobs::{JobKind, Progress, Wake};
use crate::model::{ComputeDevice, ModelConfig, TrainEvent, TrainOptions};
use crate::store::Project;

impl Learning {
    /// Takes the project's active-learning state once it has been read.
    pub fn poll(&mut self, notices: &mut Notices) {
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
    }

    /// A round ended: say what it did and, when its project is the one
    /// open (`session`), show the queue and read the project again.
    pub fn round_finished(
        &mut self,
        session: Option<&Session>,
        result: Result<Option<RoundOutcome>, RoundError>,
        notices: &mut Notices,
    ) {
        match result {
            Ok(Some(outcome)) => {
                notices.info(round_summary(&outcome));
                for problem in &outcome.skipped {
                    notices.error(format!("left out of the round: {problem}"));
                }
                if session.is_some() {
                    self.tab = Tab::Queue;
                }
            }
            Ok(None) => notices.info(
                "Round cancelled; no round was recorded (a model version trained before the cancel is kept)",
            ),
            Err(error) => notices.error(format!("active-learning round: {error}")),
        }
        if let Some(session) = session {
            self.reload(session);
        }
    }

    /// Starts a round with the form's settings on `device`, training (when
    /// asked) a model shaped like `config`; the registry refuses it while a
    /// round or a training runs.
    pub fn start_round(
        &mut self,
        session: &Session,
        device: ComputeDevice,
        config: ModelConfig,
        jobs: &mut Jobs,
        wake: Wake,
        notices: &mut Notices,
    ) {
        let settings = self.form.settings(config);
        let root = session.root().to_path_buf();
        let started = jobs.start(
            JobKind::Round,
            format!("Active-learning round ({})", settings.strategy.name()),
            wake,
            move |progress| {
                let result =
                    Project::open(&root)
                        .map_err(RoundError::from)
                        .and_then(|mut project| {
                            run_round(&mut project, &settings, &device, |event| {
                                report(progress, event)
                            })
                        });
                JobOutput::Round {
                    project: root,
                    result,
                }
            },
        );
        match started {
            Ok(_) => self.form.advance_seed(),
            Err(refused) => notices.info(refused.to_string()),
        }
    }
}

/// A round's progress: training is the first half, scoring the second.
/// Returns whether to go on.
fn report(progress: &Progress, event: RoundProgress) -> bool {
    let max_epochs = TrainOptions::default().max_epochs;
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
