//! The MCD U-Net for MC inference on the CPU, outside burn: batch norm folded
//! into the preceding convolution, each convolution one GEMM per tile with
//! bias and ReLU fused, the decoder reading skip and upsampled features in
//! place of their concatenation, the shared features of a frame read by all
//! T samples without copies, and the softmax and MC reductions in one pass
//! over the pixels.
//!
//! Why: on a 2-core CPU burn's `flex` backend spent most of an MC pass
//! outside the arithmetic (transposing every input to NHWC, scattering GEMM
//! tiles, four elementwise passes per batch norm, fresh buffers per
//! operation); BENCHMARKS.md has the profile and the figures. The results are
//! the network's own: the tests compare every output with burn's pass.
//!
//! Only the plain U-Net is folded (the starting model and the default); the
//! residual families (and a head of more than 16 classes) keep burn's path
//! ([`CpuUNet::of`] answers `None`).

mod kernels;
mod reduce;

use burn::module::Param;
use burn::nn::BatchNorm;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use ndarray::Array2;

pub use kernels::Maps;
use kernels::{Conv, conv_transpose2x2, conv1x1, conv3x3, dropout, max_pool2x2};
pub use reduce::mc_maps;

use super::layers::ConvBlock;
use super::mc::SamplingMode;
use super::unet::McdUNet;

/// One level's two folded convolutions (each followed by ReLU).
#[derive(Debug, Clone)]
struct Block {
    first: Conv,
    second: Conv,
}

/// A 2×2 stride-2 transposed convolution: weights `[in, out × 4]`, bias.
#[derive(Debug, Clone)]
struct Upsample {
    weight: Array2<f32>,
    bias: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct CpuUNet {
    encoder: Vec<Block>,
    upsample: Vec<Upsample>,
    decoder: Vec<Block>,
    head: Conv,
    dropout: f64,
    first_dropout_level: usize,
    decoder_dropout_blocks: usize,
    classes: usize,
}

/// What the deterministic upper encoder leaves for the samples.
struct Shared {
    skips: Vec<Maps>,
    deep: Maps,
}

impl CpuUNet {
    /// The folded network of `model`, or `None` for the residual families.
    pub fn of(model: &McdUNet) -> Option<CpuUNet> {
        let plain = |b: &ConvBlock| !b.residual && b.squeeze_excite.is_none();
        if model.bridge.is_some()
            || !model.gates.is_empty()
            || !model.encoder.iter().chain(&model.decoder).all(plain)
        {
            return None;
        }
        let block = |b: &ConvBlock| Block {
            first: fold(&b.conv1, &b.norm1),
            second: fold(&b.conv2, &b.norm2),
        };
        let head_weight = host(model.head.weight.val());
        let classes = head_weight.len() / model.head.weight.val().dims()[1];
        if classes > reduce::MAX_CLASSES {
            return None;
        }
        Some(CpuUNet {
            encoder: model.encoder.iter().map(block).collect(),
            upsample: model.upsample.iter().map(upsample).collect(),
            decoder: model.decoder.iter().map(block).collect(),
            head: Conv {
                weight: matrix(head_weight, classes),
                bias: bias(&model.head.bias, classes),
                relu: false,
            },
            dropout: model.dropout,
            first_dropout_level: model.first_dropout_level,
            decoder_dropout_blocks: model.decoder_dropout_blocks,
            classes,
        })
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class logits of `samples` passes over `x` (`[frames, 1, s, s]`), as
    /// `samples × frames` images, sample-major (pass t of frame b is image
    /// `t × frames + b`), with dropout when `active`; masks come from `seed`.
    pub fn logits(
        &self,
        x: &Maps,
        samples: usize,
        mode: SamplingMode,
        active: bool,
        seed: u64,
    ) -> Maps {
        let images = x.images * samples.max(1);
        match mode {
            SamplingMode::Shared => self.sample(self.shared(x), images, active, seed),
            SamplingMode::Naive => {
                self.sample(self.shared(&x.repeat(images)), images, active, seed)
            }
        }
    }

    fn shared(&self, x: &Maps) -> Shared {
        let mut skips = Vec::new();
        let mut x = block(&self.encoder[0], &[x], x.images);
        for level in 1..=self.first_dropout_level {
            let pooled = max_pool2x2(&x);
            skips.push(x);
            x = block(&self.encoder[level], &[&pooled], pooled.images);
        }
        Shared { skips, deep: x }
    }

    /// The stochastic rest, for `images` images (a multiple of the shared batch).
    fn sample(&self, shared: Shared, images: usize, active: bool, seed: u64) -> Maps {
        let Shared { mut skips, deep } = shared;
        let mut seeds =
            (0u64..).map(|layer| seed.wrapping_add(layer.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        let mut drop = |maps: &mut Maps, on: bool| {
            let layer_seed = seeds.next().expect("an endless sequence");
            if on && active {
                dropout(maps, self.dropout, layer_seed);
            }
        };
        let mut x = deep.repeat(images);
        drop(&mut x, true);
        for level in self.first_dropout_level + 1..self.encoder.len() {
            let pooled = max_pool2x2(&x);
            skips.push(x);
            x = block(&self.encoder[level], &[&pooled], images);
            drop(&mut x, true);
        }
        for (index, (up, decode)) in self.upsample.iter().zip(&self.decoder).enumerate() {
            let skip = skips.pop().expect("one skip per decoder level");
            let upsampled = conv_transpose2x2(&x, &up.weight, &up.bias);
            x = block(decode, &[&skip, &upsampled], images);
            drop(&mut x, index < self.decoder_dropout_blocks);
        }
        conv1x1(&x, images, &self.head)
    }
}

fn block(block: &Block, sources: &[&Maps], images: usize) -> Maps {
    let first = conv3x3(sources, images, &block.first);
    conv3x3(&[&first], images, &block.second)
}

/// A 3×3 convolution without bias and its batch norm on running statistics,
/// as one convolution: `w' = w · γ / √(σ² + ε)`, `b' = β − μ · γ / √(σ² + ε)`.
fn fold(conv: &Conv2d, norm: &BatchNorm) -> Conv {
    let outputs = conv.weight.val().dims()[0];
    let mut weight = matrix(host(conv.weight.val()), outputs);
    let conv_bias = bias(&conv.bias, outputs);
    let gamma = host(norm.gamma.val());
    let beta = host(norm.beta.val());
    let mean = host(norm.running_mean.value());
    let variance = host(norm.running_var.value());
    let mut folded_bias = Vec::with_capacity(outputs);
    for (o, mut row) in weight.rows_mut().into_iter().enumerate() {
        let scale = gamma[o] / (variance[o] + norm.epsilon as f32).sqrt();
        row.mapv_inplace(|w| w * scale);
        folded_bias.push(beta[o] + (conv_bias[o] - mean[o]) * scale);
    }
    Conv {
        weight,
        bias: folded_bias,
        relu: true,
    }
}

fn upsample(conv: &ConvTranspose2d) -> Upsample {
    let [inputs, outputs, _, _] = conv.weight.val().dims();
    Upsample {
        weight: matrix(host(conv.weight.val()), inputs),
        bias: bias(&conv.bias, outputs),
    }
}

fn bias(bias: &Option<Param<Tensor<1>>>, outputs: usize) -> Vec<f32> {
    bias.as_ref()
        .map_or_else(|| vec![0.0; outputs], |b| host(b.val()))
}

fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .try_into_vec_as::<f32>()
        .expect("model weights read back from their device")
}

fn matrix(values: Vec<f32>, rows: usize) -> Array2<f32> {
    let columns = values.len() / rows;
    Array2::from_shape_vec((rows, columns), values).expect("weights fill their matrix")
}

#[cfg(test)]
mod tests;
