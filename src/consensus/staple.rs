//! STAPLE (Warfield, Zou and Wells, IEEE TMI 2004) for binary masks, and
//! majority voting: several raters' masks of one structure on one frame
//! become one consensus mask, and STAPLE also estimates each rater's
//! sensitivity and specificity.
//!
//! Like SimpleITK's `STAPLEImageFilter`, the prior probability of foreground
//! is fixed to the fraction of foreground over all raters and pixels, every
//! rater starts at sensitivity = specificity = 0.99, and the consensus is
//! the pixels whose posterior is at least one half.

use crate::geometry::Mask;

/// The most EM iterations; STAPLE converges in tens on echo masks.
const MAX_ITERATIONS: usize = 200;
/// Convergence: the largest change of any rater's sensitivity or specificity.
const TOLERANCE: f64 = 1e-7;
/// Keeps the estimates away from 0 and 1, where the products would vanish.
const CLAMP: f64 = 1e-6;

/// The STAPLE estimate.
#[derive(Debug, Clone)]
pub struct Staple {
    /// Pixels whose posterior probability of foreground is at least ½.
    pub consensus: Mask,
    /// Per rater, in the order given.
    pub sensitivity: Vec<f64>,
    pub specificity: Vec<f64>,
    pub iterations: usize,
}

/// STAPLE of `raters`' masks (all of one size); `None` for fewer than two
/// raters or masks of different sizes.
pub fn staple(raters: &[&Mask]) -> Option<Staple> {
    let first = raters.first()?;
    let (width, height) = (first.width(), first.height());
    if raters.len() < 2
        || raters
            .iter()
            .any(|m| (m.width(), m.height()) != (width, height))
    {
        return None;
    }
    let pixels = width * height;
    let foreground: usize = raters.iter().map(|m| m.count()).sum();
    let prior = (foreground as f64 / (pixels * raters.len()) as f64).clamp(CLAMP, 1.0 - CLAMP);
    let mut sensitivity = vec![0.99; raters.len()];
    let mut specificity = vec![0.99; raters.len()];
    let mut posterior = vec![0.0f64; pixels];
    let mut iterations = 0;
    for iteration in 1..=MAX_ITERATIONS {
        iterations = iteration;
        // E-step: the probability that each pixel is truly foreground.
        for (i, w) in posterior.iter_mut().enumerate() {
            let (mut a, mut b) = (prior, 1.0 - prior);
            for (j, mask) in raters.iter().enumerate() {
                if mask.pixels()[i] {
                    a *= sensitivity[j];
                    b *= 1.0 - specificity[j];
                } else {
                    a *= 1.0 - sensitivity[j];
                    b *= specificity[j];
                }
            }
            *w = if a + b > 0.0 { a / (a + b) } else { prior };
        }
        // M-step: each rater's sensitivity and specificity given the posterior.
        let total: f64 = posterior.iter().sum();
        let background = pixels as f64 - total;
        let mut change: f64 = 0.0;
        for (j, mask) in raters.iter().enumerate() {
            let (mut hit, mut correct_rejection) = (0.0, 0.0);
            for (w, &on) in posterior.iter().zip(mask.pixels()) {
                if on {
                    hit += w;
                } else {
                    correct_rejection += 1.0 - w;
                }
            }
            let p = (hit / total.max(f64::MIN_POSITIVE)).clamp(CLAMP, 1.0 - CLAMP);
            let q =
                (correct_rejection / background.max(f64::MIN_POSITIVE)).clamp(CLAMP, 1.0 - CLAMP);
            change = change
                .max((p - sensitivity[j]).abs())
                .max((q - specificity[j]).abs());
            sensitivity[j] = p;
            specificity[j] = q;
        }
        if change < TOLERANCE {
            break;
        }
    }
    let mut consensus = Mask::new(width, height);
    for (i, w) in posterior.iter().enumerate() {
        if *w >= 0.5 {
            consensus.set(i % width, i / width, true);
        }
    }
    Some(Staple {
        consensus,
        sensitivity,
        specificity,
        iterations,
    })
}

/// The pixels more than half of `raters` mark (a tie is background).
pub fn majority_vote(raters: &[&Mask]) -> Option<Mask> {
    let first = raters.first()?;
    let (width, height) = (first.width(), first.height());
    if raters
        .iter()
        .any(|m| (m.width(), m.height()) != (width, height))
    {
        return None;
    }
    let mut vote = Mask::new(width, height);
    for i in 0..width * height {
        let votes = raters.iter().filter(|m| m.pixels()[i]).count();
        if 2 * votes > raters.len() {
            vote.set(i % width, i / width, true);
        }
    }
    Some(vote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// A disc of radius 30 in a 100×100 frame, and raters who flip truth
    /// pixels with known probabilities.
    #[test]
    fn staple_recovers_the_raters_error_rates() {
        let mut truth = Mask::new(100, 100);
        for y in 0..100 {
            for x in 0..100 {
                let (dx, dy) = (x as f64 - 50.0, y as f64 - 50.0);
                truth.set(x, y, dx * dx + dy * dy < 900.0);
            }
        }
        let rates = [(0.95, 0.99), (0.85, 0.97), (0.75, 0.995), (0.9, 0.9)];
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let raters: Vec<Mask> = rates
            .iter()
            .map(|&(sensitivity, specificity)| {
                let mut mask = Mask::new(100, 100);
                for y in 0..100 {
                    for x in 0..100 {
                        let roll: f64 = rng.random();
                        let on = if truth.get(x, y) {
                            roll < sensitivity
                        } else {
                            roll >= specificity
                        };
                        mask.set(x, y, on);
                    }
                }
                mask
            })
            .collect();
        let refs: Vec<&Mask> = raters.iter().collect();
        let estimate = staple(&refs).unwrap();
        for (j, &(p, q)) in rates.iter().enumerate() {
            assert!(
                (estimate.sensitivity[j] - p).abs() < 0.03,
                "rater {j}: {:?}",
                estimate.sensitivity
            );
            assert!(
                (estimate.specificity[j] - q).abs() < 0.01,
                "rater {j}: {:?}",
                estimate.specificity
            );
        }
        assert!(estimate.consensus.dice(&truth) > 0.98);
        assert!(majority_vote(&refs).unwrap().dice(&truth) > 0.9);
        assert!(staple(&refs[..1]).is_none());
    }
}
