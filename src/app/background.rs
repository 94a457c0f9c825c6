//! The first step of every frame: take what the workers finished (jobs, the
//! store thread, the model, the active-learning round) and bring the screen
//! up to date; and the status bar's row of running jobs.

use eframe::egui;

use super::EchoLabelApp;
use super::top_panels::job_row;

impl EchoLabelApp {
    /// Polls every worker and applies what finished.
    pub(super) fn poll(&mut self) {
        self.poll_background();
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
        let Some(session) = &mut self.session else {
            return;
        };
        self.editor
            .set_structures(&session.task.structures, &self.preferences);
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

    /// The running jobs, each with its progress and a Cancel button.
    pub(super) fn jobs_ui(&mut self, ui: &mut egui::Ui) {
        use super::lifecycle::Background;
        let mut cancel = None;
        for (index, job) in self.background.iter().enumerate() {
            let (name, (fraction, message)) = match job {
                Background::Demo(job) => (job.name(), job.status()),
                Background::Import(job) => (job.name(), job.status()),
                Background::PickFolder(..) => continue,
            };
            if job_row(ui, name, fraction, &message) {
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
        for (index, (name, fraction, message)) in self.assistant.jobs().into_iter().enumerate() {
            if job_row(ui, &name, fraction, &message) {
                self.assistant.cancel(index);
            }
        }
        if let Some((name, fraction, message)) = self.learning.job_status()
            && job_row(ui, &name, fraction, &message)
        {
            self.learning.cancel();
        }
    }
}
