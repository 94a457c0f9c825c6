//! What T Monte-Carlo passes say about one frame: the mean class
//! probabilities, the predicted mask and three uncertainty maps, and per-image
//! scores that active learning ranks frames by.
//!
//! With p_t the softmax of pass t and p̄ their mean, per pixel:
//! - entropy  H(p̄) = −Σ_c p̄_c ln p̄_c (total predictive uncertainty),
//! - variance (1/C) Σ_c Var_t(p_t,c) (population variance over the passes),
//! - BALD     H(p̄) − (1/T) Σ_t H(p_t) (mutual information: where the passes
//!   disagree rather than where each pass is unsure).
//!
//! The maps are computed on the device by `mc`; [`reference_maps`] is the
//! same formulas as plain loops, which the tests hold the device version to.

use serde::{Deserialize, Serialize};

/// Probabilities below this are treated as this in logarithms.
pub const LOG_FLOOR: f32 = 1e-7;

/// The per-pixel results of MC inference on one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertaintyMaps {
    pub width: usize,
    pub height: usize,
    pub classes: usize,
    /// Mean probability per class, class-major (`classes × height × width`).
    pub mean: Vec<f32>,
    /// The most probable class of the mean, per pixel.
    pub mask: Vec<u8>,
    pub entropy: Vec<f32>,
    pub variance: Vec<f32>,
    pub bald: Vec<f32>,
}

/// Mean, sum and maximum of one map over the image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MapScore {
    pub mean: f32,
    pub sum: f32,
    pub max: f32,
}

impl MapScore {
    pub fn of(map: &[f32]) -> MapScore {
        let sum: f32 = map.iter().sum();
        MapScore {
            mean: if map.is_empty() {
                0.0
            } else {
                sum / map.len() as f32
            },
            sum,
            max: map.iter().copied().fold(0.0, f32::max),
        }
    }
}

/// Per-image uncertainty scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UncertaintyScores {
    pub entropy: MapScore,
    pub variance: MapScore,
    pub bald: MapScore,
    /// Entropy of one deterministic pass (dropout off): the max-entropy strategy.
    pub single_pass_entropy: MapScore,
    /// 1 − the largest class probability of the MC mean, per pixel (least
    /// confidence): the pixel-wise strategy. Unlike entropy it ignores how
    /// the rest of the probability is spread over the other classes.
    pub least_confidence: MapScore,
}

/// The least-confidence map of class-major mean probabilities (`classes × pixels`).
pub fn least_confidence(mean: &[f32], classes: usize) -> Vec<f32> {
    let pixels = mean.len() / classes.max(1);
    (0..pixels)
        .map(|i| {
            let top = (0..classes)
                .map(|c| mean[c * pixels + i])
                .fold(0.0f32, f32::max);
            1.0 - top
        })
        .collect()
}

/// Entropy of one pixel's class distribution.
pub fn entropy(probabilities: impl IntoIterator<Item = f32>) -> f32 {
    -probabilities
        .into_iter()
        .map(|p| p * p.max(LOG_FLOOR).ln())
        .sum::<f32>()
}

/// The maps from `samples[t]` = softmax of pass t, class-major, computed pixel
/// by pixel in plain loops.
pub fn reference_maps(
    samples: &[Vec<f32>],
    classes: usize,
    width: usize,
    height: usize,
) -> UncertaintyMaps {
    let pixels = width * height;
    let passes = samples.len() as f32;
    let at = |t: usize, c: usize, i: usize| samples[t][c * pixels + i];
    let mut maps = UncertaintyMaps {
        width,
        height,
        classes,
        mean: vec![0.0; classes * pixels],
        mask: vec![0; pixels],
        entropy: vec![0.0; pixels],
        variance: vec![0.0; pixels],
        bald: vec![0.0; pixels],
    };
    for i in 0..pixels {
        let mut best = 0;
        let mut variance = 0.0;
        for c in 0..classes {
            let mean = (0..samples.len()).map(|t| at(t, c, i)).sum::<f32>() / passes;
            variance += (0..samples.len())
                .map(|t| (at(t, c, i) - mean).powi(2))
                .sum::<f32>()
                / passes;
            maps.mean[c * pixels + i] = mean;
            if mean > maps.mean[best * pixels + i] {
                best = c;
            }
        }
        let total = entropy((0..classes).map(|c| maps.mean[c * pixels + i]));
        let expected = (0..samples.len())
            .map(|t| entropy((0..classes).map(|c| at(t, c, i))))
            .sum::<f32>()
            / passes;
        maps.mask[i] = best as u8;
        maps.entropy[i] = total;
        maps.variance[i] = variance / classes as f32;
        maps.bald[i] = total - expected;
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_confidence_and_entropy_can_disagree() {
        // Pixel 0 splits between two classes; pixel 1 leans to one but spreads the rest.
        let mean = [0.5, 0.6, 0.5, 0.1, 0.0, 0.1, 0.0, 0.2];
        let lc = least_confidence(&mean, 4);
        assert!((lc[0] - 0.5).abs() < 1e-6 && (lc[1] - 0.4).abs() < 1e-6);
        let h0 = entropy([0.5, 0.5, 0.0, 0.0]);
        let h1 = entropy([0.6, 0.1, 0.1, 0.2]);
        assert!(
            lc[0] > lc[1] && h0 < h1,
            "pixel-wise and entropy rank them apart"
        );
    }

    #[test]
    fn agreeing_certain_passes_have_no_uncertainty() {
        let pass = vec![1.0, 0.0, 0.0, 1.0]; // 2 classes × 2 pixels
        let maps = reference_maps(&[pass.clone(), pass], 2, 2, 1);
        assert_eq!(maps.mask, [0, 1]);
        assert!(
            maps.entropy
                .iter()
                .chain(&maps.variance)
                .chain(&maps.bald)
                .all(|v| v.abs() < 1e-5)
        );
    }

    #[test]
    fn disagreeing_passes_have_bald_and_agreeing_unsure_ones_do_not() {
        // Pixel 0: the passes say (1, 0) and (0, 1). Pixel 1: both say (½, ½).
        let a = vec![1.0, 0.5, 0.0, 0.5];
        let b = vec![0.0, 0.5, 1.0, 0.5];
        let maps = reference_maps(&[a, b], 2, 2, 1);
        let ln2 = std::f32::consts::LN_2;
        assert!((maps.entropy[0] - ln2).abs() < 1e-5 && (maps.entropy[1] - ln2).abs() < 1e-5);
        assert!((maps.bald[0] - ln2).abs() < 1e-5, "{:?}", maps.bald);
        assert!(maps.bald[1].abs() < 1e-5);
        assert!((maps.variance[0] - 0.25).abs() < 1e-6 && maps.variance[1].abs() < 1e-6);
    }

    #[test]
    fn scores_summarise_a_map() {
        let score = MapScore::of(&[0.0, 1.0, 3.0]);
        assert_eq!(
            score,
            MapScore {
                mean: 4.0 / 3.0,
                sum: 4.0,
                max: 3.0
            }
        );
    }
}
