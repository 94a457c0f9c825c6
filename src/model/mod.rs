//! The segmentation engine: the MCD U-Net in burn, Monte-Carlo dropout
//! inference with uncertainty maps and scores, training, model files, the
//! device choice (wgpu GPU, else CPU), and what is derived from predictions
//! (ED/ES from the LV area curve).

pub mod checkpoint;
pub mod config;
pub mod cpu_unet;
pub mod dataset;
pub mod device;
pub mod key_frames;
mod layers;
pub mod loss;
pub mod mc;
pub mod metrics;
pub mod sample;
pub mod segmenter;
pub mod shipped;
pub mod train;
pub mod uncertainty;
pub mod unet;

#[cfg(test)]
mod testing;

pub use checkpoint::{CheckpointError, ModelHeader};
pub use config::{Architecture, ModelConfig};
pub use device::{ComputeDevice, DevicePreference, HEADLESS_VULKAN_ENV, select_device};
pub use key_frames::{KeyFrameProposal, detect_key_frames};
pub use loss::LossKind;
pub use mc::{FramePrediction, SamplingMode};
pub use sample::Sample;
pub use segmenter::{SegmentedFrame, Segmenter};
pub use train::{EpochReport, TrainEvent, TrainOptions, TrainOutcome, train};
pub use uncertainty::{MapScore, StructureBands, UncertaintyMaps, UncertaintyScores};
pub use unet::McdUNet;
