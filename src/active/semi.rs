//! Rules that decide between a person and the model: the likelihood
//! threshold for image-level labels, CEAL's decaying confidence threshold,
//! and SSAL's threshold-variance stability check for pseudo-label masks.

use serde::Serialize;

/// How model predictions join the training set (chosen anew each round from
/// the frames nobody labelled; the oracle never sees them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SemiSupervised {
    /// Active learning alone.
    None,
    /// CEAL: frames with mean MC entropy below a threshold that decays by
    /// `decay` per round.
    Ceal { threshold: f32, decay: f32 },
    /// SSAL: frames between the `low` and `high` entropy quantiles whose
    /// mask is stable under threshold variance (≤ `max_instability`).
    Ssal {
        low: f32,
        high: f32,
        max_instability: f32,
    },
}

impl SemiSupervised {
    /// Positions (in the pool) of the frames that become pseudo-labels
    /// after `round` rounds, given each frame's mean MC entropy and
    /// threshold instability; frames going to a person (`to_person`) are
    /// never among them.
    pub fn choose(
        self,
        round: u32,
        entropies: &[f32],
        instability: &[f32],
        to_person: &[usize],
    ) -> Vec<usize> {
        let chosen = match self {
            SemiSupervised::None => Vec::new(),
            SemiSupervised::Ceal { threshold, decay } => {
                ceal_pseudo_labels(entropies, ceal_threshold(threshold, decay, round))
            }
            SemiSupervised::Ssal {
                low,
                high,
                max_instability,
            } => ssal_pseudo_labels(entropies, instability, low, high, max_instability),
        };
        chosen
            .into_iter()
            .filter(|p| !to_person.contains(p))
            .collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            SemiSupervised::None => "al",
            SemiSupervised::Ceal { .. } => "ceal",
            SemiSupervised::Ssal { .. } => "ssal",
        }
    }
}

/// Probability thresholds the SSAL stability check moves through.
pub const STABILITY_THRESHOLDS: [f32; 4] = [0.3, 0.4, 0.6, 0.7];

/// Splits image-level predictions by their largest class probability: below
/// `t` a frame is a hard case for a person, otherwise its label is accepted.
/// Returns (hard, accepted) indices.
pub fn hard_cases(max_probabilities: &[f32], t: f32) -> (Vec<usize>, Vec<usize>) {
    (0..max_probabilities.len()).partition(|&i| max_probabilities[i] < t)
}

/// CEAL's entropy threshold for automatic pseudo-labels after `round`
/// rounds: it starts at `initial` and shrinks by `decay` per round, so the
/// model must be ever more certain as it improves (fewer, better pseudo-labels).
pub fn ceal_threshold(initial: f32, decay: f32, round: u32) -> f32 {
    (initial - decay * round as f32).max(0.0)
}

/// CEAL: the frames confident enough (mean MC entropy at or below
/// `threshold`) to become pseudo-labels without a person.
pub fn ceal_pseudo_labels(entropies: &[f32], threshold: f32) -> Vec<usize> {
    (0..entropies.len())
        .filter(|&i| entropies[i] <= threshold)
        .collect()
}

/// SSAL: pseudo-label candidates from the middle of the uncertainty ranking
/// (between the `low` and `high` quantiles of `entropies`: the model is
/// neither trivially sure nor lost), kept only when their mask is stable
/// under threshold variance (`instability[i]` ≤ `max_instability`).
pub fn ssal_pseudo_labels(
    entropies: &[f32],
    instability: &[f32],
    low: f32,
    high: f32,
    max_instability: f32,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..entropies.len()).collect();
    order.sort_by(|&a, &b| entropies[a].total_cmp(&entropies[b]));
    let n = order.len() as f32;
    let to = ((n * high).ceil() as usize).min(order.len());
    // A reversed range (low above high) selects nothing.
    let from = ((n * low).floor() as usize).min(to);
    let mut picked: Vec<usize> = order[from..to]
        .iter()
        .copied()
        .filter(|&i| instability[i] <= max_instability)
        .collect();
    picked.sort_unstable();
    picked
}

/// How much a predicted mask changes as the probability threshold moves:
/// 1 − the mean IoU between the mask at 0.5 and at each of `thresholds`
/// (over the foreground probability map). A stable, trustworthy mask scores
/// near 0; SSAL accepts a pseudo-label only below a limit.
pub fn threshold_variance(foreground: &[f32], thresholds: &[f32]) -> f32 {
    let mask = |t: f32| foreground.iter().map(move |&p| p >= t);
    let iou = |t: f32| {
        let (mut both, mut either) = (0usize, 0usize);
        for (a, b) in mask(0.5).zip(mask(t)) {
            both += usize::from(a && b);
            either += usize::from(a || b);
        }
        if either == 0 {
            1.0
        } else {
            both as f32 / either as f32
        }
    };
    if thresholds.is_empty() {
        return 0.0;
    }
    1.0 - thresholds.iter().map(|&t| iou(t)).sum::<f32>() / thresholds.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_likelihoods_go_to_a_person() {
        let (hard, accepted) = hard_cases(&[0.99, 0.4, 0.85, 0.6], 0.8);
        assert_eq!(hard, [1, 3]);
        assert_eq!(accepted, [0, 2]);
    }

    #[test]
    fn the_ceal_threshold_decays_to_zero() {
        assert_eq!(ceal_threshold(0.05, 0.01, 0), 0.05);
        assert!((ceal_threshold(0.05, 0.01, 2) - 0.03).abs() < 1e-6);
        assert_eq!(ceal_threshold(0.05, 0.01, 9), 0.0);
    }

    #[test]
    fn ceal_takes_the_confident_and_ssal_the_stable_middle() {
        let entropies = [0.01, 0.9, 0.3, 0.02, 0.5, 0.4, 0.6, 0.2, 0.8, 0.35];
        assert_eq!(ceal_pseudo_labels(&entropies, 0.05), [0, 3]);
        // Middle half of the ranking: 0.3, 0.35, 0.4, 0.5 (and 0.2 / 0.6 at the edges).
        let stable = [0.0; 10];
        let middle = ssal_pseudo_labels(&entropies, &stable, 0.3, 0.7, 0.1);
        assert_eq!(middle, [2, 4, 5, 9]);
        let mut shaky = stable;
        shaky[4] = 0.5;
        assert_eq!(
            ssal_pseudo_labels(&entropies, &shaky, 0.3, 0.7, 0.1),
            [2, 5, 9]
        );
        assert!(
            ssal_pseudo_labels(&entropies, &stable, 0.7, 0.3, 0.1).is_empty(),
            "a reversed range selects nothing"
        );
    }

    #[test]
    fn sharp_masks_are_stable_and_blurry_ones_are_not() {
        // A crisp disc: probabilities near 0 or 1.
        let crisp: Vec<f32> = (0..100).map(|i| if i < 40 { 0.98 } else { 0.02 }).collect();
        // A blurry one: probabilities ramp through the thresholds.
        let blurry: Vec<f32> = (0..100).map(|i| 1.0 - i as f32 / 100.0).collect();
        let thresholds = [0.3, 0.4, 0.6, 0.7];
        assert_eq!(threshold_variance(&crisp, &thresholds), 0.0);
        let unstable = threshold_variance(&blurry, &thresholds);
        assert!(unstable > 0.2, "{unstable}");
    }
}
