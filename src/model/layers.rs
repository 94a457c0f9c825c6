//! Building blocks shared by the networks.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::{Distribution, activation};

/// Two 3×3 convolutions, each followed by batch normalisation and ReLU.
#[derive(Module, Debug)]
pub struct DoubleConv {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
}

impl DoubleConv {
    pub fn new(input: usize, output: usize, device: &Device) -> Self {
        Self {
            conv1: conv3x3(input, output, device),
            norm1: BatchNormConfig::new(output).init(device),
            conv2: conv3x3(output, output, device),
            norm2: BatchNormConfig::new(output).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = activation::relu(self.norm1.forward(self.conv1.forward(x)));
        activation::relu(self.norm2.forward(self.conv2.forward(x)))
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
