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

impl UncertaintyMaps {
    /// Maps of zeros (and class 0) to fill in.
    pub fn zeros(width: usize, height: usize, classes: usize) -> UncertaintyMaps {
        let pixels = width * height;
        UncertaintyMaps {
            width,
            height,
            classes,
            mean: vec![0.0; classes * pixels],
            mask: vec![0; pixels],
            entropy: vec![0.0; pixels],
            variance: vec![0.0; pixels],
            bald: vec![0.0; pixels],
        }
    }
}

/// Mean, sum and maximum of one map over the image, and its mean over the
/// predicted structures' boundary bands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MapScore {
    pub mean: f32,
    pub sum: f32,
    pub max: f32,
    /// Per predicted structure, the map's mean over the band around its
    /// outline, averaged over the structures ([`StructureBands`]): most of
    /// an echo frame is sure background, which dilutes the image mean.
    /// The image mean where no structure is predicted (or in scores stored
    /// before this existed).
    #[serde(default)]
    pub structures: f32,
}

impl MapScore {
    /// Over the whole image (the structure score is the image mean).
    pub fn of(map: &[f32]) -> MapScore {
        let sum: f32 = map.iter().sum();
        let mean = if map.is_empty() {
            0.0
        } else {
            sum / map.len() as f32
        };
        MapScore {
            mean,
            sum,
            max: map.iter().copied().fold(0.0, f32::max),
            structures: mean,
        }
    }

    /// Over the whole image and over `bands`.
    pub fn of_bands(map: &[f32], bands: &StructureBands) -> MapScore {
        let whole = MapScore::of(map);
        MapScore {
            structures: bands.mean_of(map).unwrap_or(whole.mean),
            ..whole
        }
    }
}

/// The pixels near each predicted structure's outline: within `margin`
/// pixels (Chebyshev) of the boundary of its predicted region, inside or out.
/// This is where a segmentation is right or wrong.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructureBands {
    /// Pixel indices per structure (class 1, 2, …) that has a band.
    pub bands: Vec<Vec<u32>>,
}

impl StructureBands {
    /// The bands of `mask` (`width × height` class indices), `margin` a
    /// thirty-second of the image side (at least one pixel).
    pub fn of(mask: &[u8], width: usize, height: usize, classes: usize) -> StructureBands {
        let margin = (width.min(height) / 32).max(1);
        let bands = (1..classes)
            .filter_map(|class| {
                let inside: Vec<bool> = mask.iter().map(|&c| usize::from(c) == class).collect();
                if !inside.contains(&true) {
                    return None;
                }
                let grown = dilate(&inside, width, height, margin);
                let outside: Vec<bool> = inside.iter().map(|i| !i).collect();
                let shrunk_outside = dilate(&outside, width, height, margin);
                // Near the outline: within reach of the region and of its outside.
                let band: Vec<u32> = (0..inside.len())
                    .filter(|&i| grown[i] && shrunk_outside[i])
                    .map(|i| i as u32)
                    .collect();
                (!band.is_empty()).then_some(band)
            })
            .collect();
        StructureBands { bands }
    }

    /// The mean of `map` over each band, averaged over the bands.
    pub fn mean_of(&self, map: &[f32]) -> Option<f32> {
        if self.bands.is_empty() {
            return None;
        }
        let means = self
            .bands
            .iter()
            .map(|band| band.iter().map(|&i| map[i as usize]).sum::<f32>() / band.len() as f32);
        Some(means.sum::<f32>() / self.bands.len() as f32)
    }
}

/// `bits` grown by `radius` pixels in every direction (a square window),
/// in two passes of running counts.
fn dilate(bits: &[bool], width: usize, height: usize, radius: usize) -> Vec<bool> {
    let pass = |get: &dyn Fn(usize, usize) -> bool, outer: usize, inner: usize| {
        let mut out = vec![false; outer * inner];
        for o in 0..outer {
            let mut prefix = vec![0u32; inner + 1];
            for i in 0..inner {
                prefix[i + 1] = prefix[i] + u32::from(get(o, i));
            }
            for i in 0..inner {
                let (low, high) = (i.saturating_sub(radius), (i + radius + 1).min(inner));
                out[o * inner + i] = prefix[high] > prefix[low];
            }
        }
        out
    };
    // Along rows, then along columns (stored column-major in between).
    let rows = pass(&|y, x| bits[y * width + x], height, width);
    let columns = pass(&|x, y| rows[y * width + x], width, height);
    (0..width * height)
        .map(|i| columns[(i % width) * height + i / width])
        .collect()
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
    let mut maps = UncertaintyMaps::zeros(width, height, classes);
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
                max: 3.0,
                structures: 4.0 / 3.0,
            }
        );
    }

    #[test]
    fn bands_follow_each_structures_outline_and_ignore_sure_background() {
        // 64 × 64, a 20 × 20 square of class 1; margin 2.
        let (w, h) = (64, 64);
        let mut mask = vec![0u8; w * h];
        for y in 20..40 {
            for x in 20..40 {
                mask[y * w + x] = 1;
            }
        }
        let bands = StructureBands::of(&mask, w, h, 3);
        assert_eq!(bands.bands.len(), 1, "class 2 is not predicted");
        // The band: the square grown by 2 minus the square shrunk by 2.
        assert_eq!(bands.bands[0].len(), 24 * 24 - 16 * 16);
        assert!(bands.bands[0].iter().all(|&i| {
            let (x, y) = (i as usize % w, i as usize / w);
            (18..42).contains(&x)
                && (18..42).contains(&y)
                && !((22..38).contains(&x) && (22..38).contains(&y))
        }));
        // Uncertainty on the outline only: the band score sees it, the
        // image mean is diluted by sure background.
        let map: Vec<f32> = (0..w * h)
            .map(|i| {
                if bands.bands[0].contains(&(i as u32)) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let score = MapScore::of_bands(&map, &bands);
        assert!((score.structures - 1.0).abs() < 1e-6);
        assert!(score.mean < 0.1);
        // Nothing predicted: the image mean.
        let empty = StructureBands::of(&vec![0u8; w * h], w, h, 3);
        assert_eq!(MapScore::of_bands(&map, &empty).structures, score.mean);
    }
}
