//! A tiny network and data shared by the model tests: 32×32 phantom frames
//! and a U-Net with 4 base filters, trained briefly once per test run, so the
//! tests exercise real weights (an untrained net barely varies under dropout).

use std::sync::OnceLock;

use burn::prelude::*;

use super::config::ModelConfig;
use super::dataset::{phantom_clips, to_samples};
use super::sample::Sample;
use super::train::{TrainOptions, TrainOutcome, train};
use super::unet::McdUNet;

pub const SIZE: usize = 32;

pub fn tiny_config() -> ModelConfig {
    ModelConfig::camus(SIZE, 4)
}

/// Phantom frames at 32×32 and the clip each comes from.
pub fn tiny_samples(clips: u32) -> (Vec<Sample>, Vec<u32>) {
    let frames: Vec<_> = phantom_clips(99, clips, 4)
        .into_iter()
        .flat_map(|clip| clip.frames)
        .collect();
    to_samples(&frames, SIZE)
}

/// A tiny model trained for a few epochs on flex (once per test binary).
pub fn trained() -> &'static (McdUNet, Vec<Sample>) {
    static TRAINED: OnceLock<(McdUNet, Vec<Sample>)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let (samples, groups) = tiny_samples(6);
        let options = TrainOptions {
            learning_rate: 5e-3,
            max_epochs: 12,
            patience: 12,
            // A seed this tiny net learns the LV with (at 32×32 some seeds
            // settle on the myocardium first).
            seed: 99,
            ..TrainOptions::default()
        };
        let TrainOutcome { model, .. } = train(
            &tiny_config(),
            &options,
            &samples,
            &groups,
            None,
            &Device::flex(),
            |_| true,
        )
        .expect("training runs");
        (model, samples)
    })
}

/// The first `n` sample images as an input batch `[n, 1, 32, 32]`.
pub fn batch(samples: &[Sample], n: usize, device: &Device) -> Tensor<4> {
    let data: Vec<f32> = samples
        .iter()
        .take(n)
        .flat_map(|s| s.image.clone())
        .collect();
    Tensor::from_data(TensorData::new(data, [n, 1, SIZE, SIZE]), device)
}
