//! The window itself: the tab bar with the queue's and review's counts,
//! each tab drawn in turn, and the review decisions and training policy
//! written through the store's ordered write queue.

use eframe::egui;

use super::progress_tab::progress_ui;
use super::queue_tab::queue_ui;
use super::review_grid::{ReviewAction, ReviewView};
use super::round_tab::round_ui;
use super::{Learning, LearningAction, Tab};
use crate::app::notices::Notices;
use crate::app::session::Session;
use crate::app::tools::StructureStyle;
use crate::editor::Mutation;
use crate::jobs::Wake;
use crate::store::{AnnotationStatus, PseudoLabelPolicy};

impl Learning {
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
