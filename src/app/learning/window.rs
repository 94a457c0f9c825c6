//! The window itself: the tab bar with the queue's and review's counts,
//! each tab drawn in turn, and the review decisions and training policy
//! written through the store's ordered write queue.

use eframe::egui;

use super::progress_tab::progress_ui;
use super::queue_tab::queue_ui;
use super::review_grid::ReviewView;
use super::round_tab::round_ui;
use super::{Learning, Tab};
use crate::app::command::{Command, CommandSender};
use crate::app::notices::Notices;
use crate::app::session::Session;
use crate::app::tools::StructureStyle;
use crate::editor::Mutation;
use crate::jobs::ThumbnailWorker;
use crate::store::{AnnotationStatus, PseudoLabelPolicy};

impl Learning {
    /// The window. `model_ready` says whether a round can start now,
    /// `running` whether one is running.
    #[allow(clippy::too_many_arguments)]
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        session: &Session,
        model_ready: bool,
        running: bool,
        styles: &[StructureStyle],
        thumbnails: &ThumbnailWorker,
        commands: &CommandSender,
    ) {
        if !self.open {
            return;
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
                let asked = match self.tab {
                    Tab::Round => round_ui(ui, &mut self.form, overview, model_ready, running)
                        .then_some(Command::StartRound),
                    Tab::Queue => queue_ui(ui, overview, self.show_uncertainty),
                    Tab::Review if session.annotator.is_none() => {
                        ui.weak("Choose who is annotating (Project > Change annotator) to review pseudo-labels.");
                        None
                    }
                    Tab::Review
                        if session
                            .annotator
                            .as_ref()
                            .is_some_and(|a| a.role == crate::store::Role::Annotator) =>
                    {
                        ui.weak("Deciding on pseudo-labels is for a reviewer or an admin.");
                        None
                    }
                    Tab::Review => {
                        let view = ReviewView {
                            pseudo_labels: &overview.pseudo_labels,
                            clip_names: &overview.clip_names,
                            policy: overview.policy,
                            styles,
                        };
                        self.review.ui(ui, session, &view, thumbnails)
                    }
                    Tab::Progress => {
                        progress_ui(ui, overview);
                        None
                    }
                };
                if let Some(command) = asked {
                    commands.send(command);
                }
            });
        self.open = open;
    }

    /// Sets whether accepted pseudo-labels join training, through the
    /// ordered write queue; the overview is read again once it is written.
    pub fn set_policy(
        &mut self,
        session: &Session,
        policy: PseudoLabelPolicy,
        notices: &mut Notices,
    ) {
        let Some(admin) = &session.annotator else {
            return;
        };
        session.store.write(Mutation::ChangePseudoLabelPolicy {
            by: admin.id,
            policy,
        });
        notices.info(match policy {
            PseudoLabelPolicy::WhenAccepted => "Accepted pseudo-labels now join training",
            PseudoLabelPolicy::Never => "Pseudo-labels no longer join training",
        });
        self.reload(session);
    }
}
