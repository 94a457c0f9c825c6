//! The active-learning window: start a round (retrain → score the pool →
//! queue frames) as a background job, work through the annotation queue,
//! review pseudo-labels, and follow validation Dice against labelled frames
//! across model versions. Everything it shows is read from the project by
//! the store thread; the UI only polls.
//!
//! [`Learning`] holds the state and the [`Overview`] read from the project;
//! `round_job` starts a round and polls it and the reads; `window` draws the
//! window and hands each tab its part: `round_tab` (the settings form and
//! the round history), `queue_tab`, `review_grid` (the pseudo-label review
//! tab) and `progress_tab`. The tabs return what the user asked for as a
//! command, which the window sends to the app.

mod progress_tab;
mod queue_tab;
mod review_grid;
mod round_job;
mod round_tab;
mod window;

use std::collections::HashMap;

use super::preferences::Preferences;
use super::session::Session;
use crate::active::queue::{CurvePoint, QueueEntry, annotation_queue, learning_curve, next_open};
use crate::active::round::saved_maps;
use crate::jobs::Pending;
use crate::store::{Annotation, AnnotationStatus, Project, PseudoLabelPolicy, Round};
use review_grid::ReviewGrid;
pub use round_tab::RoundForm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Round,
    Queue,
    Review,
    Progress,
}

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

fn read_overview(
    project: &mut Project,
    viewer: Option<i64>,
) -> Result<Overview, crate::store::StoreError> {
    Ok(Overview {
        rounds: project.rounds()?,
        queue: annotation_queue(project, viewer)?,
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

pub struct Learning {
    pub open: bool,
    tab: Tab,
    form: RoundForm,
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
            overview: None,
            loading: None,
            review: ReviewGrid::default(),
            show_uncertainty: true,
        }
    }
}

impl Learning {
    /// The round form as it was left last time.
    pub fn with_preferences(preferences: &Preferences) -> Learning {
        Learning {
            form: preferences.round.clone(),
            ..Learning::default()
        }
    }

    /// Writes the form into `preferences`.
    pub fn remember(&self, preferences: &mut Preferences) {
        preferences.round = self.form.clone();
    }

    /// Forgets the last project's state and reads the new one's.
    pub fn project_opened(&mut self, session: &Session) {
        *self = Learning {
            open: self.open,
            form: self.form.clone(),
            show_uncertainty: self.show_uncertainty,
            ..Learning::default()
        };
        self.reload(session);
    }

    pub fn reload(&mut self, session: &Session) {
        let viewer = session.annotator.as_ref().map(|a| a.id);
        self.loading = Some(
            session
                .store
                .read(move |project| read_overview(project, viewer)),
        );
    }

    /// The saved uncertainty map of a frame, if a round made one.
    pub fn map_of(&self, clip_id: i64, frame: u32) -> Option<std::path::PathBuf> {
        self.overview.as_ref()?.maps.get(&(clip_id, frame)).cloned()
    }

    /// The next queued frame not yet labelled after (`clip_id`, `frame`).
    pub fn next_queued(&self, current: Option<(i64, u32)>) -> Option<(i64, u32)> {
        next_open(&self.overview.as_ref()?.queue, current)
    }
}
