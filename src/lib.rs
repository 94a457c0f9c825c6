//! EchoLabel: a desktop workbench for building a biobank of expert annotations
//! of echocardiography clips.
//!
//! Everything but the user interface lives in modules that never import the
//! UI toolkit:
//! [`dicom`] reads clips, [`export`] writes annotations for other tools and
//! [`label_import`] reads theirs back, [`consensus`] measures how experts
//! agree, [`phantom`] makes synthetic ones with ground truth,
//! [`store`] is the project database, [`geometry`] and [`editor`] hold the
//! contour work, [`downsample`] shrinks images too large to show, [`jobs`]
//! runs work in the background, [`model`] segments with uncertainty (and
//! never sees a project), [`modelling`] trains it on a project's labels and
//! proposes from it, [`active`] chooses what to label, [`cli`] is the
//! headless command line, [`panic_log`] keeps panics off the terminal.
//! [`app`] is the desktop UI, and only it.
#![forbid(unsafe_code)]

pub mod active;
pub mod app;
pub mod cli;
pub mod consensus;
pub mod demo;
pub mod dicom;
pub mod downsample;
pub mod editor;
pub mod export;
pub mod geometry;
pub mod jobs;
pub mod label_import;
pub mod model;
pub mod modelling;
pub mod panic_log;
pub mod phantom;
pub mod settings;
pub mod store;
