//! The study's background work: agreement figures and consensus building run
//! as jobs on their own connection (STAPLE over every frame would hold up
//! the store thread's saves), with progress and Cancel in the status bar.

use super::passphrase_form::PassphraseRequest;
use crate::app::EchoLabelApp;
use crate::app::background::JobOutput;
use crate::consensus::{AgreementReport, BuildSummary, build_all, project_agreement};
use crate::editor::StudyChange;
use crate::jobs::JobKind;
use crate::store::{ConsensusMethod, Project, StoreError};

impl EchoLabelApp {
    pub(in crate::app) fn study_changed(&mut self, change: StudyChange) {
        if let Some(session) = &self.session {
            self.study.send(session, change);
            session_reload(self);
        }
    }

    pub(in crate::app) fn passphrase_requested(&mut self, request: PassphraseRequest) {
        if let Some(session) = &self.session {
            self.study.set_passphrase(session, request);
            session_reload(self);
        }
    }

    pub(in crate::app) fn start_agreement(&mut self) {
        let Some(session) = &self.session else { return };
        let root = session.root().to_path_buf();
        let started = self.jobs.start(
            JobKind::Agreement,
            JobKind::Agreement.label(),
            self.wake(),
            move |progress| {
                progress.report(0.0, "comparing every frame two or more people finished");
                JobOutput::Agreement(Project::open(&root).and_then(|p| project_agreement(&p)))
            },
        );
        match started {
            Ok(_) => self.study.agreement.open = true,
            Err(refused) => self.notices.info(refused.to_string()),
        }
    }

    pub(in crate::app) fn start_consensus(&mut self, method: ConsensusMethod) {
        let Some(session) = &self.session else { return };
        let Some(by) = session.annotator.as_ref().map(|a| a.id) else {
            return;
        };
        let root = session.root().to_path_buf();
        let started = self.jobs.start(
            JobKind::Consensus,
            JobKind::Consensus.label(),
            self.wake(),
            move |progress| {
                let built = Project::open(&root).and_then(|mut project| {
                    build_all(
                        &mut project,
                        by,
                        None,
                        method,
                        |done, total| {
                            progress.report(
                                done as f32 / total.max(1) as f32,
                                format!("{done} of {total} frames and structures"),
                            )
                        },
                        progress.cancel_flag(),
                    )
                });
                JobOutput::Consensus(built)
            },
        );
        if let Err(refused) = started {
            self.notices.info(refused.to_string());
        }
    }

    pub(in crate::app) fn agreement_finished(
        &mut self,
        result: Result<AgreementReport, StoreError>,
    ) {
        match result {
            Ok(report) => self.study.agreement.report = Some(report),
            Err(error) => self.notices.error(format!("agreement: {error}")),
        }
    }

    /// Says what was built, shows it on the canvas and compares again.
    pub(in crate::app) fn consensus_finished(&mut self, result: Result<BuildSummary, StoreError>) {
        match result {
            Ok(summary) => {
                self.notices.info(format!(
                    "Consensus: {} built, {} recomputed, {} up to date, {} corrected by a reviewer kept{}",
                    summary.built,
                    summary.rebuilt,
                    summary.current,
                    summary.corrected_left,
                    if summary.cancelled { " (cancelled)" } else { "" }
                ));
                for reason in &summary.failed {
                    self.notices.error(format!("consensus: {reason}"));
                }
                session_reload(self);
                self.start_agreement();
            }
            Err(error) => self.notices.error(format!("consensus: {error}")),
        }
    }
}

/// Reads the open project again (the other readers' contours and consensus
/// on the canvas, the library's status).
fn session_reload(app: &mut EchoLabelApp) {
    if let Some(session) = &mut app.session {
        session.reload();
    }
}
