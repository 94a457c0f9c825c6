//! Softmax and the MC reductions of [`crate::model::uncertainty`] in one pass
//! over the pixels of the T passes' logits: per pixel the T softmaxes, their
//! mean, the entropy of the mean, the population variance over the passes
//! (averaged over classes), BALD and the most probable class.

use rayon::prelude::*;

use super::kernels::Maps;
use crate::model::uncertainty::{LOG_FLOOR, UncertaintyMaps};

/// Pixels one worker reduces at a time.
const CHUNK: usize = 1024;

/// The maps of each of `frames` frames from `logits` (`T × frames` images,
/// sample-major, one channel per class).
pub fn mc_maps(logits: &Maps, frames: usize) -> Vec<UncertaintyMaps> {
    let classes = logits.channels;
    let samples = logits.images / frames;
    let pixels = logits.pixels();
    (0..frames)
        .map(|frame| {
            let mut maps = UncertaintyMaps::zeros(logits.width, logits.height, classes);
            let per_pixel: Vec<Pixel> = (0..pixels)
                .into_par_iter()
                .with_min_len(CHUNK)
                .map(|p| pixel(logits, frame, frames, samples, p))
                .collect();
            for (p, result) in per_pixel.into_iter().enumerate() {
                for c in 0..classes {
                    maps.mean[c * pixels + p] = result.mean[c];
                }
                maps.mask[p] = result.class;
                maps.entropy[p] = result.entropy;
                maps.variance[p] = result.variance;
                maps.bald[p] = result.bald;
            }
            maps
        })
        .collect()
}

/// The most classes a folded network has ([`super::CpuUNet::of`] checks).
pub const MAX_CLASSES: usize = 16;

/// One pixel's statistics.
struct Pixel {
    mean: [f32; MAX_CLASSES],
    class: u8,
    entropy: f32,
    variance: f32,
    bald: f32,
}

fn pixel(logits: &Maps, frame: usize, frames: usize, samples: usize, p: usize) -> Pixel {
    let classes = logits.channels;
    let pixels = logits.pixels();
    let mut sum = [0.0f32; MAX_CLASSES];
    let mut squares = [0.0f32; MAX_CLASSES];
    let mut probability = [0.0f32; MAX_CLASSES];
    let probability = &mut probability[..classes];
    let mut pass_entropy = 0.0f32;
    for t in 0..samples {
        let image = logits.image(t * frames + frame);
        let mut largest = f32::NEG_INFINITY;
        for c in 0..classes {
            probability[c] = image[c * pixels + p];
            largest = largest.max(probability[c]);
        }
        let mut total = 0.0;
        for value in probability.iter_mut() {
            *value = (*value - largest).exp();
            total += *value;
        }
        for c in 0..classes {
            let q = probability[c] / total;
            sum[c] += q;
            squares[c] += q * q;
            pass_entropy -= q * q.max(LOG_FLOOR).ln();
        }
    }
    let n = samples as f32;
    let mut entropy = 0.0;
    let mut variance = 0.0;
    let mut class = 0;
    for c in 0..classes {
        sum[c] /= n;
        let m = sum[c];
        entropy -= m * m.max(LOG_FLOOR).ln();
        variance += (squares[c] / n - m * m).max(0.0);
        if m > sum[class] {
            class = c;
        }
    }
    Pixel {
        mean: sum,
        class: class as u8,
        entropy,
        variance: variance / classes as f32,
        bald: entropy - pass_entropy / n,
    }
}
