use burn::prelude::*;

use super::super::config::Architecture;
use super::super::mc::{self, SamplingMode};
use super::super::testing::{SIZE, batch, tiny_config, trained};
use super::super::uncertainty::reference_maps;
use super::*;

fn host_batch(n: usize) -> (Maps, Tensor<4>) {
    let (_, samples) = trained();
    let x = batch(samples, n, &Device::flex());
    let maps = Maps {
        data: x.clone().try_into_vec_as().unwrap(),
        images: n,
        channels: 1,
        height: SIZE,
        width: SIZE,
    };
    (maps, x)
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn without_dropout_the_folded_network_gives_burns_logits() {
    let (model, _) = trained();
    let folded = CpuUNet::of(model).expect("the plain U-Net folds");
    let (x, tensor) = host_batch(3);
    let expected: Vec<f32> = model.forward(tensor, false).try_into_vec_as().unwrap();
    let largest = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        largest > 1.0,
        "a trained net has logits of some size: {largest}"
    );
    for mode in [SamplingMode::Shared, SamplingMode::Naive] {
        let got = folded.logits(&x, 1, mode, false, 7);
        assert_eq!(
            (got.images, got.channels, got.height, got.width),
            (3, 4, SIZE, SIZE)
        );
        let difference = worst(&got.data, &expected);
        assert!(difference < 1e-4 * largest, "{mode:?}: {difference}");
    }
}

#[test]
fn every_sample_of_a_frame_without_dropout_is_that_frames_pass() {
    let (model, _) = trained();
    let folded = CpuUNet::of(model).unwrap();
    let (x, _) = host_batch(2);
    let single = folded.logits(&x, 1, SamplingMode::Shared, false, 1);
    let repeated = folded.logits(&x, 3, SamplingMode::Shared, false, 1);
    assert_eq!(repeated.images, 6);
    for n in 0..6 {
        assert_eq!(repeated.image(n), single.image(n % 2), "image {n}");
    }
}

#[test]
fn dropout_samples_vary_repeat_with_the_seed_and_match_burns_statistics() {
    let (model, _) = trained();
    let folded = CpuUNet::of(model).unwrap();
    let (x, tensor) = host_batch(2);
    let a = folded.logits(&x, 4, SamplingMode::Shared, true, 11);
    let b = folded.logits(&x, 4, SamplingMode::Shared, true, 11);
    let c = folded.logits(&x, 4, SamplingMode::Shared, true, 12);
    assert_eq!(a, b, "the same seed, the same masks");
    assert!(worst(&a.data, &c.data) > 1e-2, "another seed, other masks");
    assert!(
        worst(a.image(0), a.image(2)) > 1e-2,
        "two samples of one frame differ"
    );
    // The MC mean of many samples agrees with burn's MC mean (other masks,
    // the same distribution): the same mask almost everywhere.
    let samples = 32;
    let ours = mc_maps(
        &folded.logits(&x, samples, SamplingMode::Shared, true, 5),
        2,
    );
    let burns = mc::reduce(mc::mc_probabilities(
        model,
        tensor,
        samples,
        SamplingMode::Shared,
    ));
    let burn_mean: Vec<f32> = burns.mean.try_into_vec_as().unwrap();
    let pixels = SIZE * SIZE;
    for frame in 0..2 {
        let theirs = &burn_mean[frame * 4 * pixels..(frame + 1) * 4 * pixels];
        let mean_difference = ours[frame]
            .mean
            .iter()
            .zip(theirs)
            .map(|(p, q)| (p - q).abs())
            .sum::<f32>()
            / theirs.len() as f32;
        assert!(mean_difference < 0.03, "frame {frame}: {mean_difference}");
        assert!(ours[frame].variance.iter().any(|v| *v > 1e-4));
    }
}

#[test]
fn the_reductions_match_the_plain_formulas_on_the_same_passes() {
    let (model, _) = trained();
    let folded = CpuUNet::of(model).unwrap();
    let (x, _) = host_batch(2);
    let (frames, samples, classes, pixels) = (2, 6, 4, SIZE * SIZE);
    let logits = folded.logits(&x, samples, SamplingMode::Shared, true, 3);
    let maps = mc_maps(&logits, frames);
    for (frame, got) in maps.iter().enumerate() {
        let passes: Vec<Vec<f32>> = (0..samples)
            .map(|t| {
                let image = logits.image(t * frames + frame);
                let mut probabilities = image.to_vec();
                for p in 0..pixels {
                    let column: Vec<f32> = (0..classes).map(|c| image[c * pixels + p]).collect();
                    let largest = column.iter().fold(f32::MIN, |m, v| m.max(*v));
                    let total: f32 = column.iter().map(|v| (v - largest).exp()).sum();
                    for c in 0..classes {
                        probabilities[c * pixels + p] = (column[c] - largest).exp() / total;
                    }
                }
                probabilities
            })
            .collect();
        let expected = reference_maps(&passes, classes, SIZE, SIZE);
        assert!(worst(&got.mean, &expected.mean) < 2e-5);
        assert!(worst(&got.entropy, &expected.entropy) < 2e-5);
        assert!(worst(&got.variance, &expected.variance) < 2e-5);
        assert!(worst(&got.bald, &expected.bald) < 2e-5);
        assert_eq!(got.mask, expected.mask);
        assert!(expected.variance.iter().any(|v| *v > 1e-4), "not trivial");
    }
}

#[test]
fn dropout_keeps_the_expected_share_and_rescales() {
    let mut maps = Maps {
        data: vec![1.0; 4 * 10_000],
        images: 4,
        channels: 1,
        height: 100,
        width: 100,
    };
    kernels::dropout(&mut maps, 0.25, 9);
    for image in maps.data.chunks(10_000) {
        let kept = image.iter().filter(|v| **v != 0.0).count();
        assert!((7_250..7_750).contains(&kept), "{kept} of 10000 kept");
        assert!(
            image
                .iter()
                .all(|v| *v == 0.0 || (*v - 4.0 / 3.0).abs() < 1e-6)
        );
    }
    assert_ne!(
        maps.data[..10_000],
        maps.data[10_000..20_000],
        "images draw their own masks"
    );
}

#[test]
fn the_residual_families_are_left_to_burn() {
    let device = Device::flex();
    for architecture in [Architecture::ResUNet, Architecture::ResUNetPlusPlus] {
        let model = McdUNet::new(&tiny_config().with_architecture(architecture), &device);
        assert!(CpuUNet::of(&model).is_none(), "{architecture:?}");
    }
    let model = McdUNet::new(&tiny_config(), &device);
    assert!(mc::folded_for(&model, &device).is_some());
}

#[test]
fn folded_predictions_carry_the_same_maps_and_scores_as_burns() {
    let (model, samples) = trained();
    let folded = CpuUNet::of(model).unwrap();
    let images: Vec<&[f32]> = samples.iter().take(2).map(|s| s.image.as_slice()).collect();
    let ours = mc::predict_folded(&folded, &images, SIZE, 16, SamplingMode::Shared, 4);
    let burns = mc::predict(
        model,
        &images,
        SIZE,
        16,
        SamplingMode::Shared,
        &Device::flex(),
    );
    for (o, b) in ours.iter().zip(&burns) {
        let agree = o
            .maps
            .mask
            .iter()
            .zip(&b.maps.mask)
            .filter(|(x, y)| x == y)
            .count();
        assert!(agree as f32 > 0.95 * (SIZE * SIZE) as f32, "{agree}");
        // The single pass is deterministic on both paths: the same score.
        let (ours, theirs) = (
            o.scores.single_pass_entropy.mean,
            b.scores.single_pass_entropy.mean,
        );
        assert!(
            (ours - theirs).abs() < 1e-3 * theirs.max(1e-3),
            "{ours} vs {theirs}"
        );
        assert!(o.scores.bald.mean > 0.0 && o.scores.entropy.mean > o.scores.bald.mean);
    }
    let deterministic = mc::predict_folded_deterministic(&folded, &images, SIZE);
    let burns = mc::predict_deterministic(model, &images, SIZE, &Device::flex());
    for (o, b) in deterministic.iter().zip(&burns) {
        assert!(worst(&o.maps.entropy, &b.maps.entropy) < 1e-4);
        assert_eq!(o.maps.variance.iter().sum::<f32>(), 0.0);
    }
}
