//! Building blocks shared by the networks.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::{Distribution, activation};

/// Two 3×3 convolutions with batch normalisation and ReLU: the U-Net level.
/// With `residual`, the input (through a 1×1 projection when the widths
/// differ) is added before the last ReLU (ResUNet); with `squeeze_excite`
/// the channels are then reweighted by their global context (ResUNet++).
#[derive(Module, Debug)]
pub struct ConvBlock {
    pub(super) conv1: Conv2d,
    pub(super) norm1: BatchNorm,
    pub(super) conv2: Conv2d,
    pub(super) norm2: BatchNorm,
    shortcut: Option<Projection>,
    pub(super) residual: bool,
    pub(super) squeeze_excite: Option<SqueezeExcite>,
}

/// A 1×1 convolution and batch norm that match a shortcut to the block's width.
#[derive(Module, Debug)]
pub struct Projection {
    conv: Conv2d,
    norm: BatchNorm,
}

impl ConvBlock {
    pub fn new(
        input: usize,
        output: usize,
        residual: bool,
        squeeze_excite: bool,
        device: &Device,
    ) -> Self {
        let shortcut = (residual && input != output).then(|| Projection {
            conv: Conv2dConfig::new([input, output], [1, 1])
                .with_bias(false)
                .init(device),
            norm: BatchNormConfig::new(output).init(device),
        });
        Self {
            conv1: conv3x3(input, output, device),
            norm1: BatchNormConfig::new(output).init(device),
            conv2: conv3x3(output, output, device),
            norm2: BatchNormConfig::new(output).init(device),
            shortcut,
            residual,
            squeeze_excite: squeeze_excite.then(|| SqueezeExcite::new(output, device)),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = activation::relu(self.norm1.forward(self.conv1.forward(x.clone())));
        let mut y = self.norm2.forward(self.conv2.forward(y));
        if self.residual {
            y = y + match &self.shortcut {
                Some(projection) => projection.norm.forward(projection.conv.forward(x)),
                None => x,
            };
        }
        let y = activation::relu(y);
        match &self.squeeze_excite {
            Some(se) => se.forward(y),
            None => y,
        }
    }
}

/// Squeeze-and-excitation: channel weights from the global average, through
/// a bottleneck of a quarter of the channels.
#[derive(Module, Debug)]
pub struct SqueezeExcite {
    reduce: Conv2d,
    expand: Conv2d,
}

impl SqueezeExcite {
    pub fn new(channels: usize, device: &Device) -> Self {
        let hidden = (channels / 4).max(1);
        Self {
            reduce: Conv2dConfig::new([channels, hidden], [1, 1]).init(device),
            expand: Conv2dConfig::new([hidden, channels], [1, 1]).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let context = x.clone().mean_dims(&[2, 3]);
        let weights = activation::sigmoid(
            self.expand
                .forward(activation::relu(self.reduce.forward(context))),
        );
        x * weights
    }
}

/// Atrous spatial pyramid pooling at the bridge (ResUNet++): parallel 3×3
/// convolutions at growing dilation, concatenated and fused by a 1×1 conv.
#[derive(Module, Debug)]
pub struct Aspp {
    branches: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    fuse: Conv2d,
    fuse_norm: BatchNorm,
}

/// Dilations of the ASPP branches: the bridge of a 128–256 px input is 8–16
/// px wide, so the rates stop at 6 rather than the 18 of larger inputs.
const ASPP_RATES: [usize; 4] = [1, 2, 4, 6];

impl Aspp {
    pub fn new(channels: usize, device: &Device) -> Self {
        let branches = ASPP_RATES
            .iter()
            .map(|&rate| {
                Conv2dConfig::new([channels, channels], [3, 3])
                    .with_dilation([rate, rate])
                    .with_padding(PaddingConfig2d::Explicit(rate, rate, rate, rate))
                    .with_bias(false)
                    .init(device)
            })
            .collect();
        Self {
            branches,
            norms: ASPP_RATES
                .iter()
                .map(|_| BatchNormConfig::new(channels).init(device))
                .collect(),
            fuse: Conv2dConfig::new([channels * ASPP_RATES.len(), channels], [1, 1])
                .with_bias(false)
                .init(device),
            fuse_norm: BatchNormConfig::new(channels).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let branches = self
            .branches
            .iter()
            .zip(&self.norms)
            .map(|(conv, norm)| activation::relu(norm.forward(conv.forward(x.clone()))))
            .collect();
        activation::relu(
            self.fuse_norm
                .forward(self.fuse.forward(Tensor::cat(branches, 1))),
        )
    }
}

/// An attention gate on a skip connection (ResUNet++): the decoder's
/// upsampled features decide which skip pixels pass.
#[derive(Module, Debug)]
pub struct AttentionGate {
    skip: Conv2d,
    gate: Conv2d,
    score: Conv2d,
}

impl AttentionGate {
    pub fn new(channels: usize, device: &Device) -> Self {
        let hidden = (channels / 2).max(1);
        Self {
            skip: Conv2dConfig::new([channels, hidden], [1, 1]).init(device),
            gate: Conv2dConfig::new([channels, hidden], [1, 1]).init(device),
            score: Conv2dConfig::new([hidden, 1], [1, 1]).init(device),
        }
    }

    pub fn forward(&self, skip: Tensor<4>, gate: Tensor<4>) -> Tensor<4> {
        let joined = activation::relu(self.skip.forward(skip.clone()) + self.gate.forward(gate));
        skip * activation::sigmoid(self.score.forward(joined))
    }
}

/// A 3×3 convolution that keeps the spatial size (no bias: batch norm follows).
pub fn conv3x3(input: usize, output: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(device)
}

/// Dropout that is applied whenever `active`, on any device, in training and
/// at inference alike: burn's `nn::Dropout` only acts on autodiff tensors, so
/// Monte-Carlo sampling at inference draws its own Bernoulli mask.
pub fn mc_dropout<const D: usize>(x: Tensor<D>, probability: f64, active: bool) -> Tensor<D> {
    if !active || probability <= 0.0 {
        return x;
    }
    let keep = 1.0 - probability;
    let mask = x.random_like(Distribution::Bernoulli(keep));
    x * mask / keep
}
