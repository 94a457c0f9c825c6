//! The app's background work: what each kind of job hands back
//! ([`JobOutput`]), the first step of every frame (take what the workers
//! finished and bring the screen up to date), and the status bar's row of
//! running jobs. Jobs are started, refused, cancelled and listed by the one
//! [`JobRegistry`]; the views never hold a job themselves.

use std::path::PathBuf;

use eframe::egui;

use super::EchoLabelApp;
use super::command::Command;
use super::top_panels::job_row;
use crate::active::round::{RoundError, RoundOutcome};
use crate::demo::DemoError;
use crate::export::{ExportError, ExportSummary};
use crate::jobs::{Finished, JobKind, JobRegistry};
use crate::model::ComputeDevice;
use crate::modelling::{FrameProposal, TaskError, TrainedVersion};
use crate::store::{ImportSummary, KeyFrameKind, StoreError};

/// The app's jobs.
pub type Jobs = JobRegistry<JobOutput>;

/// What a finished job hands back, by kind. Work on a project names it, so
/// a result that arrives after another project was opened is not applied to
/// that one (clip ids restart in every project). Proposals carry the clip
/// and model version they were made for: a result that arrives after the
/// annotator moved on is dropped, and a proposal records the version that
/// made it even if another took over meanwhile.
pub enum JobOutput {
    Demo(Result<PathBuf, DemoError>),
    Import(Result<ImportSummary, StoreError>),
    Export(Result<ExportSummary, ExportError>),
    Device(Result<ComputeDevice, String>),
    Contours {
        project: PathBuf,
        clip_id: i64,
        version: Option<i64>,
        result: Result<FrameProposal, TaskError>,
    },
    /// ED/ES marks found, or `None` when cancelled.
    KeyFrames {
        project: PathBuf,
        clip_id: i64,
        version: Option<i64>,
        result: Result<Option<Vec<(KeyFrameKind, u32)>>, TaskError>,
    },
    /// The new model version, or `None` when cancelled.
    Training {
        project: PathBuf,
        result: Result<Option<TrainedVersion>, TaskError>,
    },
    /// The round, or `None` when cancelled.
    Round {
        project: PathBuf,
        result: Result<Option<RoundOutcome>, RoundError>,
    },
    Agreement(Result<crate::consensus::AgreementReport, StoreError>),
    Consensus(Result<crate::consensus::BuildSummary, StoreError>),
    /// The coloured map of `path`, or `None` if it cannot be read.
    UncertaintyMap {
        path: PathBuf,
        image: Option<egui::ColorImage>,
    },
}

impl EchoLabelApp {
    /// Polls every worker and applies what finished.
    pub(super) fn poll(&mut self) {
        self.poll_folder_dialog();
        for finished in self.jobs.poll() {
            self.job_finished(finished);
        }
        self.assistant.follow_training();
        self.apply_takeover();
        if let Some(session) = &mut self.session
            && let Err(message) = session.poll(&mut self.notices)
        {
            let root = session.root().display().to_string();
            self.notices.error(format!("{root}: {message}"));
            self.session = None;
        }
        self.assistant.poll(&mut self.notices);
        self.learning.poll(&mut self.notices);
        self.study.poll(&mut self.notices);
        self.choose_annotator_without_asking();
        let Some(session) = &mut self.session else {
            return;
        };
        self.editor
            .set_structures(&session.task.structures, &mut self.preferences);
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

    /// Hands a finished job's output to the part of the app that asked for it.
    fn job_finished(&mut self, finished: Finished<JobOutput>) {
        let output = match finished.result {
            Ok(output) => output,
            Err(error) => {
                match finished.kind {
                    JobKind::DeviceProbe => {
                        return self
                            .assistant
                            .device_found(Err(error.to_string()), &mut self.notices);
                    }
                    JobKind::Training => self.assistant.training_stopped(),
                    JobKind::Round | JobKind::Import => {
                        if let Some(session) = &mut self.session {
                            // It may have written part of its work.
                            self.learning.reload(session);
                            session.reload();
                        }
                    }
                    _ => {}
                }
                return self.notices.error(error.to_string());
            }
        };
        match output {
            JobOutput::Demo(Ok(root)) => self.open_project(&root, false),
            JobOutput::Demo(Err(message)) => self
                .notices
                .error(format!("creating the demo project: {message}")),
            JobOutput::Import(result) => {
                match result {
                    Ok(summary) => self.import_finished(&summary),
                    Err(message) => self.notices.error(format!("import: {message}")),
                }
                if let Some(session) = &mut self.session {
                    session.reload();
                }
            }
            JobOutput::Export(result) => self.export_finished(result),
            JobOutput::Agreement(result) => self.agreement_finished(result),
            JobOutput::Consensus(result) => self.consensus_finished(result),
            JobOutput::Device(result) => self.assistant.device_found(result, &mut self.notices),
            JobOutput::Contours {
                project,
                clip_id,
                version,
                result,
            } => self.assistant.contours_proposed(
                self.session.as_mut().filter(|s| s.root() == project),
                clip_id,
                version,
                result,
                &mut self.notices,
            ),
            JobOutput::KeyFrames {
                project,
                clip_id,
                version,
                result,
            } => self.assistant.key_frames_proposed(
                self.session.as_mut().filter(|s| s.root() == project),
                clip_id,
                version,
                result,
                &mut self.notices,
            ),
            JobOutput::Training { project, result } => {
                let session = self.session.as_ref().filter(|s| s.root() == project);
                self.assistant.trained(session, result, &mut self.notices)
            }
            JobOutput::Round { project, result } => {
                let session = self.session.as_ref().filter(|s| s.root() == project);
                self.learning
                    .round_finished(session, result, &mut self.notices);
                if let Some(session) = self.session.as_mut().filter(|s| s.root() == project) {
                    // A round may have trained a new model version and added pseudo-labels.
                    self.assistant.model_changed(session);
                    session
                        .library
                        .refresh(&session.store, &session.task.structures);
                }
            }
            JobOutput::UncertaintyMap { path, image } => {
                if let Some(ctx) = self.ctx.get() {
                    self.uncertainty.loaded(ctx, path, image);
                }
            }
        }
    }

    /// The running jobs, each with its progress and a Cancel button. Reading
    /// an uncertainty map takes a moment and finding the GPU cannot be
    /// stopped half way, so neither is listed.
    pub(super) fn jobs_ui(&self, ui: &mut egui::Ui) {
        let commands = self.commands.sender();
        for row in self.jobs.rows() {
            if matches!(row.kind, JobKind::UncertaintyMap | JobKind::DeviceProbe) {
                continue;
            }
            let message = if row.cancelling {
                "cancelling…"
            } else {
                row.message.as_str()
            };
            if job_row(ui, &row.name, row.fraction, message) {
                commands.send(Command::CancelJob(row.id));
            }
        }
    }
}
