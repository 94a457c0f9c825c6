//! The Study window: the people of the project and their roles, the work
//! assigned to each (collections or single clips, blind collections),
//! progress per annotator and collection with bars and the median time per
//! frame, and which labels train. Changes go through the store thread's
//! ordered queue as [`Mutation::Study`]; the library refuses what a role does
//! not allow, and the window offers an admin's controls only to an admin.
//! The Agreement window (consensus and agreement between readers) is
//! [`agreement`].

pub mod agreement;
mod jobs;
pub mod passphrase_form;
mod people_tab;
mod progress_tab;
mod template_form;
mod work_tab;

use eframe::egui;

use super::command::{Command, CommandSender};
use super::notices::Notices;
use super::session::Session;
use crate::editor::{Mutation, StudyChange};
use crate::jobs::Pending;
use crate::store::{
    Annotator, Assignment, Collection, FrameTimeRow, ProgressRow, Project, Role, StoreError,
    TaskTemplate, TrainingLabels, progress_report,
};
use passphrase_form::PassphraseRequest;

/// Everything the window shows, read in one go.
pub struct StudyOverview {
    pub annotators: Vec<Annotator>,
    pub collections: Vec<Collection>,
    pub templates: Vec<TaskTemplate>,
    pub assignments: Vec<Assignment>,
    pub progress: Vec<ProgressRow>,
    pub times: Vec<FrameTimeRow>,
    pub training: TrainingLabels,
    /// Clip ids and display names, for assigning single clips.
    pub clips: Vec<(i64, String)>,
}

fn read_overview(project: &mut Project) -> Result<StudyOverview, StoreError> {
    Ok(StudyOverview {
        annotators: project.annotators()?,
        collections: project.collections()?,
        templates: project.templates()?,
        assignments: project.assignments()?,
        progress: progress_report(project)?,
        times: project.frame_time_report()?,
        training: project.training_labels()?,
        clips: project
            .clips(None)?
            .iter()
            .map(|c| (c.id, super::library::display_name(c)))
            .collect(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Progress,
    People,
    Work,
}

#[derive(Default)]
pub struct StudyWindow {
    pub open: bool,
    pub agreement: agreement::AgreementWindow,
    tab: Tab,
    overview: Option<StudyOverview>,
    loading: Option<Pending<StudyOverview>>,
    people: people_tab::PersonForm,
    passphrase: passphrase_form::PassphraseForm,
    /// A passphrase being set: whose, and whether set (not removed).
    setting_passphrase: Option<Pending<(String, bool)>>,
    work: work_tab::AssignForm,
}

impl StudyWindow {
    pub fn reload(&mut self, session: &Session) {
        self.loading = Some(session.store.read(read_overview));
    }

    /// Takes the overview once the store thread has read it.
    pub fn poll(&mut self, notices: &mut Notices) {
        if let Some(pending) = &self.setting_passphrase
            && let Some(answer) = pending.try_take()
        {
            self.setting_passphrase = None;
            match answer {
                Ok((name, true)) => notices.info(format!("{name}'s passphrase is set")),
                Ok((name, false)) => notices.info(format!("{name} has no passphrase now")),
                Err(error) => notices.error(format!("passphrase: {error}")),
            }
        }
        if let Some(pending) = &self.loading
            && let Some(answer) = pending.try_take()
        {
            self.loading = None;
            match answer {
                Ok(overview) => self.overview = Some(overview),
                Err(error) => notices.error(format!("reading the study: {error}")),
            }
        }
    }

    /// Forgets the last project's study.
    pub fn project_opened(&mut self, session: &Session) {
        let agreement_open = self.agreement.open;
        *self = StudyWindow {
            open: self.open,
            ..StudyWindow::default()
        };
        self.agreement.open = agreement_open;
        self.reload(session);
    }

    pub fn window(&mut self, ctx: &egui::Context, session: &Session, commands: &CommandSender) {
        if !self.open {
            return;
        }
        let Some(me) = session.annotator.clone() else {
            return;
        };
        let mut open = self.open;
        let mut change = None;
        egui::Window::new("Study")
            .open(&mut open)
            .default_size([620.0, 460.0])
            .default_pos([260.0, 80.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.tab, Tab::Progress, "Progress");
                    ui.selectable_value(&mut self.tab, Tab::People, "People");
                    ui.selectable_value(&mut self.tab, Tab::Work, "Work and settings");
                });
                ui.separator();
                let Some(overview) = &self.overview else {
                    ui.spinner();
                    return;
                };
                let admin = me.role == Role::Admin;
                egui::ScrollArea::vertical().show(ui, |ui| {
                    change = match self.tab {
                        Tab::Progress => {
                            progress_tab::progress_ui(ui, overview);
                            None
                        }
                        Tab::People => {
                            let change = self.people.ui(ui, overview, admin);
                            ui.separator();
                            if let Some(request) =
                                self.passphrase.ui(ui, &me, &overview.annotators, admin)
                            {
                                commands.send(Command::SetPassphrase(request));
                            }
                            change
                        }
                        Tab::Work => self.work.ui(ui, overview, admin),
                    };
                });
            });
        self.open = open;
        if let Some(change) = change {
            commands.send(Command::Study(change));
        }
    }

    /// Sets or removes a passphrase as the person working, on the store
    /// thread and outside the journal (see [`passphrase_form`]), then reads
    /// the study again.
    pub fn set_passphrase(&mut self, session: &Session, request: PassphraseRequest) {
        let Some(me) = &session.annotator else { return };
        let by = me.id;
        self.setting_passphrase = Some(session.store.read(move |project: &mut Project| {
            let PassphraseRequest {
                annotator_id,
                passphrase,
            } = request;
            project.set_passphrase(by, annotator_id, passphrase.as_deref())?;
            let name = project
                .annotators()?
                .into_iter()
                .find(|a| a.id == annotator_id)
                .map(|a| a.name)
                .unwrap_or_default();
            Ok::<_, StoreError>((name, passphrase.is_some()))
        }));
        self.reload(session);
    }

    /// Writes a change as the person working, then reads the study again
    /// (the read is answered after the write).
    pub fn send(&mut self, session: &Session, change: StudyChange) {
        let Some(me) = &session.annotator else { return };
        session.store.write(Mutation::Study { by: me.id, change });
        self.reload(session);
    }
}

/// A note under a tab for people who may look but not change, naming the admins.
fn admin_only(ui: &mut egui::Ui, overview: &StudyOverview) {
    let names: Vec<&str> = overview
        .annotators
        .iter()
        .filter(|a| a.role == Role::Admin)
        .map(|a| a.name.as_str())
        .collect();
    ui.weak(format!(
        "Only an admin changes this ({}).",
        if names.is_empty() {
            "the project has none".to_string()
        } else {
            names.join(", ")
        }
    ));
}
