//! The MCD U-Net: a depth-5 U-Net whose deepest levels end in dropout that
//! stays on at inference, so repeated passes sample the model's uncertainty.
//! The same struct builds the residual variants (ResUNet, ResUNet++) from
//! [`Architecture`], so every family shares MC inference and training.
//!
//! The network is split at the first dropout layer: [`McdUNet::shared`] runs
//! the deterministic upper encoder once per image, [`McdUNet::sample`] runs
//! the stochastic rest, which MC inference repeats T times on a batch.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::prelude::*;

use super::config::{Architecture, ModelConfig};
use super::layers::{Aspp, AttentionGate, ConvBlock, mc_dropout};

#[derive(Module, Debug)]
pub struct McdUNet {
    pub(super) encoder: Vec<ConvBlock>,
    /// ASPP after the bottleneck (ResUNet++ only).
    pub(super) bridge: Option<Aspp>,
    pub(super) upsample: Vec<ConvTranspose2d>,
    /// One attention gate per skip, decoder order (ResUNet++ only).
    pub(super) gates: Vec<AttentionGate>,
    pub(super) decoder: Vec<ConvBlock>,
    pool: MaxPool2d,
    pub(super) head: Conv2d,
    pub(super) dropout: f64,
    pub(super) first_dropout_level: usize,
    /// Decoder blocks (from the bottom) that end in dropout.
    pub(super) decoder_dropout_blocks: usize,
}

/// The deterministic part of a pass, reusable for every MC sample.
#[derive(Debug, Clone)]
pub struct SharedFeatures {
    /// Skip connections of the levels above the first dropout level.
    skips: Vec<Tensor<4>>,
    /// Output of the first dropout level's convolutions, before dropout.
    deep: Tensor<4>,
}

impl SharedFeatures {
    /// The same features repeated `times` along the batch (sample-major:
    /// sample t of image b lands at `t × batch + b`).
    pub fn repeat(&self, times: usize) -> SharedFeatures {
        SharedFeatures {
            skips: self
                .skips
                .iter()
                .map(|s| s.clone().repeat_dim(0, times))
                .collect(),
            deep: self.deep.clone().repeat_dim(0, times),
        }
    }
}

impl McdUNet {
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        let filters = config.filters();
        let residual = config.architecture != Architecture::UNet;
        let plus = config.architecture == Architecture::ResUNetPlusPlus;
        let block = |input, output| ConvBlock::new(input, output, residual, plus, device);
        let encoder = (0..config.depth)
            .map(|level| {
                let input = if level == 0 { 1 } else { filters[level - 1] };
                block(input, filters[level])
            })
            .collect();
        let upsample = (0..config.depth - 1)
            .rev()
            .map(|level| {
                ConvTranspose2dConfig::new([filters[level + 1], filters[level]], [2, 2])
                    .with_stride([2, 2])
                    .init(device)
            })
            .collect();
        let decoder = (0..config.depth - 1)
            .rev()
            .map(|level| block(2 * filters[level], filters[level]))
            .collect();
        let gates = match plus {
            true => (0..config.depth - 1)
                .rev()
                .map(|level| AttentionGate::new(filters[level], device))
                .collect(),
            false => Vec::new(),
        };
        Self {
            encoder,
            bridge: plus.then(|| Aspp::new(filters[config.depth - 1], device)),
            upsample,
            gates,
            decoder,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: Conv2dConfig::new([filters[0], config.classes.len()], [1, 1]).init(device),
            dropout: config.dropout,
            first_dropout_level: config.first_dropout_level(),
            decoder_dropout_blocks: config.dropout_levels.saturating_sub(1),
        }
    }

    /// Class logits `[batch, classes, size, size]` of `x` `[batch, 1, size, size]`.
    pub fn forward(&self, x: Tensor<4>, dropout: bool) -> Tensor<4> {
        self.sample(self.shared(x), dropout)
    }

    /// The upper encoder, which has no dropout.
    pub fn shared(&self, x: Tensor<4>) -> SharedFeatures {
        let mut skips = Vec::new();
        let mut x = x;
        for level in 0..self.first_dropout_level {
            let features = self.encoder[level].forward(x);
            x = self.pool.forward(features.clone());
            skips.push(features);
        }
        let deep = self.encoder[self.first_dropout_level].forward(x);
        SharedFeatures { skips, deep }
    }

    /// The rest of the pass from `shared`, with dropout when `dropout` is set.
    pub fn sample(&self, shared: SharedFeatures, dropout: bool) -> Tensor<4> {
        let bottom = self.encoder.len() - 1;
        let SharedFeatures { mut skips, deep } = shared;
        let mut x = mc_dropout(deep, self.dropout, dropout);
        for level in self.first_dropout_level + 1..=bottom {
            skips.push(x.clone());
            let features = self.encoder[level].forward(self.pool.forward(x));
            x = mc_dropout(features, self.dropout, dropout);
        }
        if let Some(bridge) = &self.bridge {
            x = bridge.forward(x);
        }
        for (block, (up, decode)) in self.upsample.iter().zip(&self.decoder).enumerate() {
            let skip = skips.pop().expect("one skip per decoder level");
            let upsampled = up.forward(x);
            let skip = match self.gates.get(block) {
                Some(gate) => gate.forward(skip, upsampled.clone()),
                None => skip,
            };
            let joined = Tensor::cat(vec![skip, upsampled], 1);
            x = decode.forward(joined);
            x = mc_dropout(
                x,
                self.dropout,
                dropout && block < self.decoder_dropout_blocks,
            );
        }
        self.head.forward(x)
    }

    /// Per-image encoder features `[batch, channels]` (the bottleneck, averaged
    /// over space, dropout off): the embedding diversity sampling works on.
    pub fn embedding(&self, x: Tensor<4>) -> Tensor<2> {
        let SharedFeatures { deep, .. } = self.shared(x);
        let mut x = deep;
        for level in self.first_dropout_level + 1..self.encoder.len() {
            x = self.encoder[level].forward(self.pool.forward(x));
        }
        x.mean_dims(&[2, 3]).flatten(1, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::super::layers::mc_dropout;
    use super::super::testing::{SIZE, batch, tiny_config, trained};
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn every_architecture_gives_one_channel_per_class_at_input_size() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 1, SIZE, SIZE], Distribution::Default, &device);
        let mut parameters = Vec::new();
        for architecture in [
            Architecture::UNet,
            Architecture::ResUNet,
            Architecture::ResUNetPlusPlus,
        ] {
            let model = McdUNet::new(&tiny_config().with_architecture(architecture), &device);
            assert_eq!(
                model.forward(x.clone(), true).dims(),
                [2, 4, SIZE, SIZE],
                "{architecture:?}"
            );
            assert_eq!(model.embedding(x.clone()).dims(), [2, 64]);
            // Dropout off, the shared split reproduces the full pass in every family.
            let full: Vec<f32> = model.forward(x.clone(), false).try_into_vec_as().unwrap();
            let split: Vec<f32> = model
                .sample(model.shared(x.clone()), false)
                .try_into_vec_as()
                .unwrap();
            assert!(full.iter().zip(&split).all(|(a, b)| (a - b).abs() < 1e-5));
            parameters.push(model.num_params());
        }
        // The residual variants add projections; ResUNet++ adds SE, ASPP and gates.
        assert!(
            parameters[0] < parameters[1] && parameters[1] < parameters[2],
            "{parameters:?}"
        );
    }

    #[test]
    fn mc_dropout_zeroes_and_rescales_only_when_active() {
        let device = Device::flex();
        let x = Tensor::<2>::ones([100, 100], &device);
        let kept: Vec<f32> = mc_dropout(x.clone(), 0.5, true).try_into_vec_as().unwrap();
        let zeros = kept.iter().filter(|v| **v == 0.0).count();
        assert!((4000..6000).contains(&zeros), "{zeros} of 10000 dropped");
        assert!(kept.iter().all(|v| *v == 0.0 || (*v - 2.0).abs() < 1e-6));
        let off: Vec<f32> = mc_dropout(x, 0.5, false).try_into_vec_as().unwrap();
        assert!(off.iter().all(|v| *v == 1.0));
    }

    #[test]
    fn passes_vary_with_dropout_on_and_repeat_exactly_with_it_off() {
        let device = Device::flex();
        let (model, samples) = trained();
        let x = batch(samples, 2, &device);
        let read = |t: Tensor<4>| -> Vec<f32> { t.try_into_vec_as().unwrap() };
        let a = read(model.forward(x.clone(), true));
        let b = read(model.forward(x.clone(), true));
        let mean_difference =
            a.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum::<f32>() / a.len() as f32;
        assert!(
            mean_difference > 1e-3,
            "MC passes differ by {mean_difference} on average"
        );
        assert_eq!(
            read(model.forward(x.clone(), false)),
            read(model.forward(x.clone(), false))
        );
        // The shared upper encoder gives the same deterministic result as a full pass.
        let shared = read(model.sample(model.shared(x.clone()), false));
        let full = read(model.forward(x, false));
        assert!(shared.iter().zip(&full).all(|(p, q)| (p - q).abs() < 1e-5));
    }
}
