//! Reading DICOM echo clips: metadata, validation and frame decoding.
//!
//! Element lengths are checked against the file before the parser allocates,
//! headers are validated before pixel data is touched, frames are decoded one
//! at a time under a panic guard, and every failure is a [`ClipError`] naming
//! the file.

mod clip;
mod deidentify;
mod error;
mod info;
mod palette;
mod patient;
mod pixels;
mod prescan;
mod scan;

/// Implementation Class UID of the files EchoLabel writes (phantoms, segmentations).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.186873196043785294613441129125442105651";

pub use clip::{
    Clip, MAX_COMPRESSION_RATIO, MAX_DECODED_BYTES, MAX_DIMENSION, MAX_FRAME_BYTES_UNCHECKED,
    MAX_FRAMES, check_structure,
};
pub use deidentify::{
    DEIDENTIFICATION_METHOD_TEXT, DeidentifyError, deidentify, deidentify_file, remap_uid,
};
pub use error::ClipError;
pub use info::{ClipInfo, UltrasoundRegion};
pub(crate) use info::{integer as header_integer, text as header_text};
pub use patient::{PatientIdentity, PatientSalt};
pub use pixels::Frame;
pub use prescan::{MAX_INFLATED_BYTES, MAX_NESTING};
pub use scan::{ScanEntry, dicom_candidates, scan};
