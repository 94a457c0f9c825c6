//! Active learning: which unlabelled frames a person should label next, and
//! which model predictions may become pseudo-labels.
//!
//! Every strategy works on what MC inference already computed per frame
//! ([`crate::model::UncertaintyScores`], encoder embeddings, ensemble
//! members' mean probabilities), so ranking a pool costs no extra passes.

pub mod batch;
pub mod diversity;
pub mod plot;
pub mod protocol;
pub mod queue;
pub mod round;
pub mod semi;
pub mod simulation;
pub mod strategies;
pub mod summary;

pub use batch::{BatchRule, Draw, Place};
pub use diversity::{fuzzy_c_means, greedy_k_center, pca};
pub use semi::{
    SemiSupervised, ceal_pseudo_labels, ceal_threshold, hard_cases, ssal_pseudo_labels,
    threshold_variance,
};
pub use strategies::{Candidate, EnsembleKind, FrameSummary, Labelled, Strategy, select};
