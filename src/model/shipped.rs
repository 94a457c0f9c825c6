//! The starting model that ships in `assets/`: a small MCD U-Net trained on
//! phantom clips, so a fresh install (and the demo project) proposes contours
//! before anyone has labelled anything. README.md gives the command that
//! reproduces it.

use burn::prelude::*;

use super::segmenter::Segmenter;

/// The model file, compiled into the binary so it is always there.
pub const STARTING_MODEL_BYTES: &[u8] = include_bytes!("../../assets/models/camus-phantom.elm");

/// Name shown where the starting model's proposals are listed.
pub const STARTING_MODEL_NAME: &str = "starting model (phantom-trained)";

/// The shipped model on `device`.
pub fn starting_model(device: &Device) -> Segmenter {
    Segmenter::from_bytes(
        STARTING_MODEL_BYTES,
        device,
        "assets/models/camus-phantom.elm",
    )
    .expect("the shipped model is checked by the tests")
}
