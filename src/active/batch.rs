//! Turning per-frame scores into a batch to label. Taking the top k of a
//! score is the known failure of uncertainty sampling on video: a round's
//! most uncertain frames come from one clip and one phase and teach the
//! model the same thing. So a batch here is drawn in an order (the top
//! scores, or stochastic power sampling) and kept apart: at most a few frames
//! of a clip, and those frames far apart in time.
//!
//! Power sampling draws without replacement with probability ∝ score^β
//! (Kirsch et al., "Stochastic batch acquisition", TMLR 2023): the
//! Gumbel-top-k trick orders frames by β·ln(score) + Gumbel noise, which is
//! exactly such a draw.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// The order frames are considered in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "draw")]
pub enum Draw {
    /// Highest score first (deterministic).
    Top,
    /// Sampled without replacement, probability ∝ score^β.
    Power { beta: f32 },
}

/// How a batch is drawn from scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchRule {
    pub draw: Draw,
    /// At most this many frames of one clip per batch (0: no limit).
    pub per_clip: usize,
    /// Frames of one clip in a batch at least this many frames apart.
    pub min_gap: u32,
    /// Read each frame's score over the predicted structures' outline bands
    /// rather than the whole image (most of which is sure background).
    #[serde(default)]
    pub structures: bool,
}

impl BatchRule {
    /// Plain top-k: the ranking as it is, no limits.
    pub const TOP_K: BatchRule = BatchRule {
        draw: Draw::Top,
        per_clip: 0,
        min_gap: 0,
        structures: false,
    };

    /// Power sampling (β = 1, Baal's default) with one frame per clip.
    pub const DEFAULT: BatchRule = BatchRule {
        draw: Draw::Power { beta: 1.0 },
        per_clip: 1,
        min_gap: 0,
        structures: false,
    };

    /// The short name the command line and the CSV files use.
    pub fn name(&self) -> String {
        let draw = match self.draw {
            Draw::Top => "top".to_string(),
            Draw::Power { beta } => format!("power{beta}"),
        };
        let mut name = draw;
        if self.per_clip > 0 {
            name.push_str(&format!("-clip{}", self.per_clip));
        }
        if self.min_gap > 0 {
            name.push_str(&format!("-gap{}", self.min_gap));
        }
        if self.structures {
            name.push_str("-bands");
        }
        name
    }
}

impl std::str::FromStr for BatchRule {
    type Err = String;

    /// `top`, `power` or `powerB`, then optionally `-clipK`, `-gapG` and
    /// `-bands` (scores over the structures' outlines): `top`,
    /// `power2-clip1`, `top-clip2-gap8-bands`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{text:?} is not a batch rule: top or power[β], then -clipK (frames per clip), -gapG (frames apart) and -bands (scores over the structures' outlines), e.g. power1-clip1"
            )
        };
        let mut parts = text.split('-');
        let draw = match parts.next().ok_or_else(bad)? {
            "top" => Draw::Top,
            "power" => Draw::Power { beta: 1.0 },
            power => {
                let beta: f32 = power
                    .strip_prefix("power")
                    .and_then(|b| b.parse().ok())
                    .filter(|b: &f32| b.is_finite() && *b > 0.0)
                    .ok_or_else(bad)?;
                Draw::Power { beta }
            }
        };
        let mut rule = BatchRule {
            draw,
            ..BatchRule::TOP_K
        };
        for part in parts {
            if part == "bands" {
                rule.structures = true;
            } else if let Some(k) = part.strip_prefix("clip") {
                rule.per_clip = k.parse().map_err(|_| bad())?;
            } else if let Some(gap) = part.strip_prefix("gap") {
                rule.min_gap = gap.parse().map_err(|_| bad())?;
            } else {
                return Err(bad());
            }
        }
        Ok(rule)
    }
}

/// Where a candidate frame lies: its clip and frame number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Place {
    pub clip: u32,
    pub frame: u32,
}

impl Place {
    /// The places of a dataset's frames.
    pub fn of_frames(frames: &[crate::model::dataset::LabelledFrame]) -> Vec<Place> {
        frames
            .iter()
            .map(|f| Place {
                clip: f.clip,
                frame: f.frame,
            })
            .collect()
    }
}

/// The order `rule.draw` considers the candidates in (indices into `scores`).
pub fn draw_order(scores: &[f32], draw: Draw, seed: u64) -> Vec<usize> {
    let mut keyed: Vec<(f32, usize)> = match draw {
        Draw::Top => scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (if s.is_nan() { f32::NEG_INFINITY } else { s }, i))
            .collect(),
        Draw::Power { beta } => {
            let mut rng = StdRng::seed_from_u64(seed);
            scores
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    // Gumbel noise −ln(−ln U); a score of 0 (or less) is drawn last.
                    let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                    let gumbel = -(-u.ln()).ln() as f32;
                    let key = if s > 0.0 {
                        beta * s.ln() + gumbel
                    } else {
                        f32::NEG_INFINITY
                    };
                    (key, i)
                })
                .collect()
        }
    };
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Walks `order` and keeps each candidate the rule allows beside those kept
/// so far, until `budget`. Where the limits leave the batch short (fewer
/// clips than the budget needs), the rest is filled in order regardless, so
/// that a round always asks for its budget.
pub fn keep_apart(
    order: &[usize],
    places: &[Place],
    budget: usize,
    rule: &BatchRule,
) -> Vec<usize> {
    let budget = budget.min(order.len());
    let mut batch: Vec<usize> = Vec::with_capacity(budget);
    let allowed = |batch: &[usize], candidate: usize| {
        let place = places[candidate];
        let same_clip = batch.iter().filter(|&&b| places[b].clip == place.clip);
        let mut count = 0;
        for &other in same_clip {
            count += 1;
            if places[other].frame.abs_diff(place.frame) < rule.min_gap {
                return false;
            }
        }
        rule.per_clip == 0 || count < rule.per_clip
    };
    for &candidate in order {
        if batch.len() == budget {
            return batch;
        }
        if allowed(&batch, candidate) {
            batch.push(candidate);
        }
    }
    for &candidate in order {
        if batch.len() == budget {
            break;
        }
        if !batch.contains(&candidate) {
            batch.push(candidate);
        }
    }
    batch
}

/// The batch of `budget` candidates `rule` draws from `scores`.
pub fn choose_batch(
    scores: &[f32],
    places: &[Place],
    budget: usize,
    rule: &BatchRule,
    seed: u64,
) -> Vec<usize> {
    keep_apart(&draw_order(scores, rule.draw, seed), places, budget, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(clips: &[u32]) -> Vec<Place> {
        clips
            .iter()
            .enumerate()
            .map(|(i, &clip)| Place {
                clip,
                frame: i as u32,
            })
            .collect()
    }

    #[test]
    fn top_k_is_the_ranking_itself() {
        let scores = [0.1, 0.9, 0.5, 0.7];
        let batch = choose_batch(&scores, &places(&[0, 0, 0, 0]), 3, &BatchRule::TOP_K, 1);
        assert_eq!(batch, [1, 3, 2]);
    }

    #[test]
    fn one_frame_per_clip_spreads_the_batch_over_clips() {
        // Clip 0 holds the three most uncertain frames.
        let scores = [0.9, 0.8, 0.7, 0.2, 0.1];
        let rule = BatchRule {
            per_clip: 1,
            ..BatchRule::TOP_K
        };
        let batch = choose_batch(&scores, &places(&[0, 0, 0, 1, 2]), 3, &rule, 1);
        assert_eq!(batch, [0, 3, 4]);
        // With fewer clips than the budget, the rest is filled in order.
        let batch = choose_batch(&scores, &places(&[0, 0, 0, 1, 1]), 3, &rule, 1);
        assert_eq!(batch, [0, 3, 1]);
    }

    #[test]
    fn frames_of_a_clip_are_kept_apart_in_time() {
        let scores = [0.9, 0.85, 0.8, 0.1, 0.7];
        let rule = BatchRule {
            min_gap: 3,
            ..BatchRule::TOP_K
        };
        // Frames 0..4 of one clip: 0 is taken, 1 and 2 are too close, 4 is not.
        let batch = choose_batch(&scores, &places(&[0, 0, 0, 0, 0]), 2, &rule, 1);
        assert_eq!(batch, [0, 4]);
    }

    #[test]
    fn power_sampling_draws_in_proportion_to_score_to_the_beta() {
        // Two frames, scores 3 and 1: with β = 1 the first comes first 3/4 of
        // the time, with β = 2 9/10 of the time.
        for (beta, expected) in [(1.0, 0.75), (2.0, 0.9)] {
            let draws = 20_000;
            let first = (0..draws)
                .filter(|&seed| draw_order(&[3.0, 1.0], Draw::Power { beta }, seed)[0] == 0)
                .count();
            let share = first as f64 / draws as f64;
            assert!((share - expected).abs() < 0.015, "β {beta}: {share}");
        }
        // A zero score is drawn last, and the same seed draws the same order.
        let order = draw_order(&[0.0, 0.5, 0.2], Draw::Power { beta: 1.0 }, 7);
        assert_eq!(order[2], 0);
        assert_eq!(
            order,
            draw_order(&[0.0, 0.5, 0.2], Draw::Power { beta: 1.0 }, 7)
        );
    }

    #[test]
    fn rules_are_named_and_parsed_alike() {
        for text in [
            "top",
            "power1",
            "power2-clip1",
            "top-clip2-gap8",
            "top-gap4",
        ] {
            let rule: BatchRule = text.parse().unwrap();
            assert_eq!(rule.name(), text);
        }
        assert_eq!(
            "power".parse::<BatchRule>().unwrap(),
            BatchRule {
                draw: Draw::Power { beta: 1.0 },
                per_clip: 0,
                min_gap: 0,
                structures: false,
            }
        );
        for bad in ["", "best", "power0", "power-1", "top-clip", "top-x1"] {
            assert!(bad.parse::<BatchRule>().is_err(), "{bad}");
        }
        assert_eq!(BatchRule::DEFAULT.name(), "power1-clip1");
    }
}
