//! Monte-Carlo dropout inference: T stochastic passes per frame, batched,
//! reduced on the device to the maps of [`super::uncertainty`].
//!
//! The upper encoder has no dropout, so it runs once per frame and its
//! features are repeated for the T samples ([`SamplingMode::Shared`]); the
//! naive mode runs all T passes from the input, for benchmarks and checks.

use burn::prelude::*;
use burn::tensor::activation;

use super::cpu_unet::{CpuUNet, Maps, mc_maps};
use super::uncertainty::{
    LOG_FLOOR, MapScore, StructureBands, UncertaintyMaps, UncertaintyScores, least_confidence,
};
use super::unet::McdUNet;

/// How the T passes are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingMode {
    /// The deterministic part once, the stochastic part T times.
    Shared,
    /// The whole network T times.
    Naive,
}

/// The MC result for one frame.
#[derive(Debug, Clone)]
pub struct FramePrediction {
    pub maps: UncertaintyMaps,
    pub scores: UncertaintyScores,
}

/// Softmax probabilities of T passes over `x` `[batch, 1, s, s]`, as
/// `[T, batch, classes, s, s]`.
pub fn mc_probabilities(
    model: &McdUNet,
    x: Tensor<4>,
    samples: usize,
    mode: SamplingMode,
) -> Tensor<5> {
    let [batch, _, height, width] = x.dims();
    let logits = match mode {
        SamplingMode::Shared => model.sample(model.shared(x).repeat(samples), true),
        SamplingMode::Naive => model.forward(x.repeat_dim(0, samples), true),
    };
    let classes = logits.dims()[1];
    activation::softmax(logits, 1).reshape([samples, batch, classes, height, width])
}

/// The device-side reductions: mean `[batch, classes, s, s]` and the
/// entropy, variance and BALD maps `[batch, s, s]`.
pub struct DeviceMaps {
    pub mean: Tensor<4>,
    pub entropy: Tensor<3>,
    pub variance: Tensor<3>,
    pub bald: Tensor<3>,
}

pub fn reduce(probabilities: Tensor<5>) -> DeviceMaps {
    let [_, batch, classes, height, width] = probabilities.dims();
    let mean = probabilities.clone().mean_dim(0);
    let variance = probabilities.clone().var_bias(0).mean_dim(2);
    let entropy = pixel_entropy(mean.clone());
    let expected_entropy = pixel_entropy(probabilities).mean_dim(0);
    let bald = entropy.clone() - expected_entropy;
    DeviceMaps {
        mean: mean.reshape([batch, classes, height, width]),
        entropy: entropy.reshape([batch, height, width]),
        variance: variance.reshape([batch, height, width]),
        bald: bald.reshape([batch, height, width]),
    }
}

/// −Σ_c p_c ln p_c over dimension 2 (kept, size 1).
fn pixel_entropy(probabilities: Tensor<5>) -> Tensor<5> {
    (probabilities.clone() * probabilities.clamp_min(LOG_FLOOR).log())
        .sum_dim(2)
        .neg()
}

/// One pass with dropout off, in the same form as [`predict`]: the
/// uncertainty maps are those of the single pass (variance and BALD are zero).
pub fn predict_deterministic(
    model: &McdUNet,
    images: &[&[f32]],
    size: usize,
    device: &Device,
) -> Vec<FramePrediction> {
    let batch = images.len();
    let x = input(images, size, device);
    let probabilities = activation::softmax(model.forward(x, false), 1);
    let classes = probabilities.dims()[1];
    collect(
        reduce(probabilities.reshape([1, batch, classes, size, size])),
        None,
        size,
    )
}

/// T-sample MC inference of a batch of `size × size` images (grey 0..1).
pub fn predict(
    model: &McdUNet,
    images: &[&[f32]],
    size: usize,
    samples: usize,
    mode: SamplingMode,
    device: &Device,
) -> Vec<FramePrediction> {
    if images.is_empty() {
        return Vec::new();
    }
    let batch = images.len();
    let x = input(images, size, device);
    let samples = samples.max(1);

    let single = activation::softmax(model.forward(x.clone(), false), 1);
    let single_entropy = (single.clone() * single.clamp_min(LOG_FLOOR).log())
        .sum_dim(1)
        .neg();
    let single_entropy = single_entropy.reshape([batch, size, size]);
    collect(
        reduce(mc_probabilities(model, x, samples, mode)),
        Some(single_entropy),
        size,
    )
}

/// A batch of `size × size` grey images as `[batch, 1, size, size]`.
pub fn input(images: &[&[f32]], size: usize, device: &Device) -> Tensor<4> {
    let data: Vec<f32> = images
        .iter()
        .flat_map(|image| image.iter().copied())
        .collect();
    Tensor::from_data(TensorData::new(data, [images.len(), 1, size, size]), device)
}

/// Reads the maps back and scores them.
fn collect(
    maps: DeviceMaps,
    single_entropy: Option<Tensor<3>>,
    size: usize,
) -> Vec<FramePrediction> {
    let [batch, classes, _, _] = maps.mean.dims();
    let mask = maps.mean.clone().argmax(1);
    let read = |t: Tensor<3>| {
        t.try_into_vec_as::<f32>()
            .expect("the device returns its tensors")
    };
    let single_entropy = single_entropy.map(read);
    let mean: Vec<f32> = read(maps.mean.reshape([batch, classes, size * size]));
    let entropy = read(maps.entropy);
    let variance = read(maps.variance);
    let bald = read(maps.bald);
    let mask: Vec<i64> = mask
        .try_into_vec_as::<i64>()
        .expect("the device returns its tensors");

    let pixels = size * size;
    (0..batch)
        .map(|b| {
            let image = b * pixels..(b + 1) * pixels;
            let maps = UncertaintyMaps {
                width: size,
                height: size,
                classes,
                mean: mean[b * classes * pixels..(b + 1) * classes * pixels].to_vec(),
                mask: mask[image.clone()].iter().map(|&c| c as u8).collect(),
                entropy: entropy[image.clone()].to_vec(),
                variance: variance[image.clone()].to_vec(),
                bald: bald[image.clone()].to_vec(),
            };
            score(maps, single_entropy.as_ref().map(|s| &s[image]))
        })
        .collect()
}

/// A frame's maps with their scores; without a separate single pass, the
/// single-pass entropy is the entropy map itself.
fn score(maps: UncertaintyMaps, single_entropy: Option<&[f32]>) -> FramePrediction {
    let single = single_entropy.unwrap_or(&maps.entropy);
    let bands = StructureBands::of(&maps.mask, maps.width, maps.height, maps.classes);
    let score = |map: &[f32]| MapScore::of_bands(map, &bands);
    let scores = UncertaintyScores {
        entropy: score(&maps.entropy),
        variance: score(&maps.variance),
        bald: score(&maps.bald),
        single_pass_entropy: score(single),
        least_confidence: score(&least_confidence(&maps.mean, maps.classes)),
    };
    FramePrediction { maps, scores }
}

/// MC inference on the faster path for where the model runs: the folded CPU
/// network when there is one ([`folded_for`]), burn's pass otherwise.
#[derive(Clone, Copy)]
pub struct Inference<'a> {
    pub model: &'a McdUNet,
    pub folded: Option<&'a CpuUNet>,
    pub device: &'a Device,
}

impl Inference<'_> {
    /// [`predict`] (shared mode) with `samples` passes, or
    /// [`predict_deterministic`] when `samples` is 0.
    pub fn predict(&self, images: &[&[f32]], size: usize, samples: usize) -> Vec<FramePrediction> {
        match (self.folded, samples) {
            (Some(folded), 0) => predict_folded_deterministic(folded, images, size),
            (Some(folded), _) => {
                let seed = seed_from(self.device);
                predict_folded(folded, images, size, samples, SamplingMode::Shared, seed)
            }
            (None, 0) => predict_deterministic(self.model, images, size, self.device),
            (None, _) => predict(
                self.model,
                images,
                size,
                samples,
                SamplingMode::Shared,
                self.device,
            ),
        }
    }
}

/// The folded CPU network of `model` when it runs on the CPU (`flex`), where
/// it is faster than burn's pass ([`CpuUNet`]); `None` on a GPU or for the
/// architectures it does not fold.
pub fn folded_for(model: &McdUNet, device: &Device) -> Option<CpuUNet> {
    (*device == Device::flex())
        .then(|| CpuUNet::of(model))
        .flatten()
}

/// A seed for the folded network's dropout masks drawn from `device`'s
/// generator, so a seeded device gives repeatable samples on either path.
pub fn seed_from(device: &Device) -> u64 {
    let parts: Vec<f32> = Tensor::<1>::random(
        [4],
        burn::tensor::Distribution::Uniform(0.0, 65_536.0),
        device,
    )
    .try_into_vec_as()
    .expect("the device returns its tensors");
    parts
        .iter()
        .fold(0, |seed, &part| (seed << 16) | (part as u64 & 0xFFFF))
}

/// [`predict`] on the folded CPU network: the same maps and scores.
pub fn predict_folded(
    network: &CpuUNet,
    images: &[&[f32]],
    size: usize,
    samples: usize,
    mode: SamplingMode,
    seed: u64,
) -> Vec<FramePrediction> {
    if images.is_empty() {
        return Vec::new();
    }
    let x = host_input(images, size);
    let single = mc_maps(&network.logits(&x, 1, mode, false, seed), images.len());
    let logits = network.logits(&x, samples.max(1), mode, true, seed);
    mc_maps(&logits, images.len())
        .into_iter()
        .zip(single)
        .map(|(maps, single)| score(maps, Some(&single.entropy)))
        .collect()
}

/// [`predict_deterministic`] on the folded CPU network.
pub fn predict_folded_deterministic(
    network: &CpuUNet,
    images: &[&[f32]],
    size: usize,
) -> Vec<FramePrediction> {
    if images.is_empty() {
        return Vec::new();
    }
    let logits = network.logits(&host_input(images, size), 1, SamplingMode::Shared, false, 0);
    mc_maps(&logits, images.len())
        .into_iter()
        .map(|maps| score(maps, None))
        .collect()
}

fn host_input(images: &[&[f32]], size: usize) -> Maps {
    Maps {
        data: images.iter().flat_map(|i| i.iter().copied()).collect(),
        images: images.len(),
        channels: 1,
        height: size,
        width: size,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{SIZE, batch, trained};
    use super::super::uncertainty::reference_maps;
    use super::*;
    use crate::model::device::{DevicePreference, select_device};

    /// The device reductions against the plain loops, on the same samples.
    fn check_against_reference(device: &Device) {
        let (cpu_model, samples) = trained();
        let model = cpu_model.clone().to_device(device);
        let x = batch(samples, 3, device);
        let probabilities = mc_probabilities(&model, x, 8, SamplingMode::Shared);
        let [t, b, c, h, w] = probabilities.dims();
        let host: Vec<f32> = probabilities.clone().try_into_vec_as().unwrap();
        let maps = reduce(probabilities);
        let read3 = |m: Tensor<3>| -> Vec<f32> { m.try_into_vec_as().unwrap() };
        let (entropy, variance, bald) =
            (read3(maps.entropy), read3(maps.variance), read3(maps.bald));
        let mean: Vec<f32> = maps.mean.try_into_vec_as().unwrap();
        let pixels = h * w;
        for image in 0..b {
            let per_pass: Vec<Vec<f32>> = (0..t)
                .map(|pass| {
                    host[(pass * b + image) * c * pixels..(pass * b + image + 1) * c * pixels]
                        .to_vec()
                })
                .collect();
            let expected = reference_maps(&per_pass, c, w, h);
            let range = image * pixels..(image + 1) * pixels;
            let close = |got: &[f32], want: &[f32], what: &str| {
                let worst = got
                    .iter()
                    .zip(want)
                    .map(|(g, e)| (g - e).abs())
                    .fold(0.0, f32::max);
                assert!(worst < 2e-5, "{what}: worst difference {worst}");
            };
            close(&entropy[range.clone()], &expected.entropy, "entropy");
            close(&variance[range.clone()], &expected.variance, "variance");
            close(&bald[range], &expected.bald, "BALD");
            close(
                &mean[image * c * pixels..(image + 1) * c * pixels],
                &expected.mean,
                "mean",
            );
            assert!(
                expected.variance.iter().any(|v| *v > 1e-4),
                "the passes differ, so the check is not trivial"
            );
        }
    }

    #[test]
    fn uncertainty_maps_on_the_cpu_match_the_plain_formulas() {
        check_against_reference(&Device::flex());
    }

    /// CI runs this on Mesa's lavapipe; a workstation on its GPU.
    #[test]
    fn uncertainty_maps_on_wgpu_match_the_plain_formulas() {
        let gpu = select_device(DevicePreference::Gpu)
            .expect("a wgpu adapter (install mesa-vulkan-drivers)");
        check_against_reference(&gpu.device);
    }

    #[test]
    fn predictions_carry_maps_and_scores_per_frame() {
        let device = Device::flex();
        let (model, samples) = trained();
        let images: Vec<&[f32]> = samples.iter().take(2).map(|s| s.image.as_slice()).collect();
        let predictions = predict(model, &images, SIZE, 6, SamplingMode::Shared, &device);
        assert_eq!(predictions.len(), 2);
        let first = &predictions[0];
        assert_eq!(first.maps.mask.len(), SIZE * SIZE);
        assert_eq!(first.maps.mean.len(), 4 * SIZE * SIZE);
        assert!(
            first.maps.mask.contains(&1),
            "the trained model finds the LV"
        );
        let scores = first.scores;
        assert!(scores.entropy.max >= scores.entropy.mean && scores.entropy.mean > 0.0);
        assert!(
            (scores.entropy.sum - scores.entropy.mean * (SIZE * SIZE) as f32).abs()
                < 1e-2 * scores.entropy.sum
        );
        assert!(
            scores.bald.max <= scores.entropy.max + 1e-5,
            "BALD never exceeds the total entropy"
        );
        assert!(scores.single_pass_entropy.mean > 0.0);
        // The naive mode samples the same model: its mean mask mostly agrees.
        let naive = predict(model, &images, SIZE, 6, SamplingMode::Naive, &device);
        let agree = naive[0]
            .maps
            .mask
            .iter()
            .zip(&first.maps.mask)
            .filter(|(a, b)| a == b)
            .count();
        assert!(agree as f32 / (SIZE * SIZE) as f32 > 0.9);
    }
}
