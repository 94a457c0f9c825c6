//! Reading DICOM echo clips: metadata, validation and frame decoding.
//!
//! Headers are validated before pixel data is touched, frames are decoded one
//! at a time, and every failure is a [`ClipError`] naming the file.

mod clip;
mod deidentify;
mod error;
mod info;
mod palette;
mod patient;
mod pixels;
mod scan;

pub use clip::{Clip, MAX_DECODED_BYTES, MAX_DIMENSION, MAX_FRAMES};
pub use deidentify::{
    DEIDENTIFICATION_METHOD_TEXT, DeidentifyError, deidentify, deidentify_file, remap_uid,
};
pub use error::ClipError;
pub use info::{ClipInfo, UltrasoundRegion};
pub use patient::{PatientIdentity, PatientSalt};
pub use pixels::Frame;
pub use scan::{ScanEntry, dicom_candidates, scan};
