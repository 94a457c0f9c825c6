//! The one integration-test binary (each extra `tests/*.rs` would link the GUI
//! and GPU stacks once more).

mod active;
mod architecture;
mod cli;
mod common;
mod consensus;
mod dicom_bad;
mod dicom_codecs;
mod dicom_fuzz;
mod dicom_real;
mod export;
mod model;
mod phantom;
mod privacy;
mod store;
mod study;
mod ui;
mod ui_hostile;
mod ui_preferences;
mod ui_saving;
mod ui_study;
