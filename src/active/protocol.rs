//! The statistics that let a simulation say "better" rather than "higher on
//! one run": per seed the area under each learning curve (the mean Dice over
//! the labelled range), its mean over seeds with a 95 % interval, the paired
//! difference against plain random (curves of one seed start from the same
//! labelled set, so the pairing removes the luck of the start), and the
//! share of labels each curve needs to reach 95, 97 and 99 % of the
//! full-data Dice.

use std::collections::BTreeMap;

use serde::Serialize;

use super::simulation::{CurvePoint, SummaryRow, is_plain_random};
use super::strategies::Strategy;

/// A mean with the half-width of its 95 % interval (Student's t).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub mean: f64,
    /// 0 with fewer than two values (no spread can be estimated).
    pub half_width: f64,
    pub n: usize,
}

impl Interval {
    pub fn of(values: &[f64]) -> Interval {
        let n = values.len();
        if n == 0 {
            return Interval {
                mean: f64::NAN,
                half_width: 0.0,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Interval {
                mean,
                half_width: 0.0,
                n,
            };
        }
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Interval {
            mean,
            half_width: t_975(n - 1) * (variance / n as f64).sqrt(),
            n,
        }
    }

    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        31..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

/// The mean Dice over the labelled range of one curve: the trapezoid area
/// under Dice against labelled percent, divided by the range. A curve of one
/// point is that point's Dice.
pub fn area_under_curve(curve: &[(f32, f32)]) -> f64 {
    let mut points: Vec<(f64, f64)> = curve
        .iter()
        .map(|&(x, y)| (f64::from(x), f64::from(y)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    match points.as_slice() {
        [] => f64::NAN,
        [only] => only.1,
        [first, .., last] if last.0 <= first.0 => {
            points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64
        }
        [first, .., last] => {
            let area: f64 = points
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
                .sum();
            area / (last.0 - first.0)
        }
    }
}

/// The labelled percent at which `curve` (mean Dice by labelled percent, in
/// round order) first reaches `target`, interpolated between rounds.
pub fn percent_to_reach(curve: &[(f32, f32)], target: f32) -> Option<f32> {
    let first = curve.first()?;
    if first.1 >= target {
        return Some(first.0);
    }
    curve.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (y1 >= target).then(|| x0 + (x1 - x0) * (target - y0) / (y1 - y0).max(f32::EPSILON))
    })
}

/// One curve against plain random.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveComparison {
    pub strategy: Strategy,
    pub batch: String,
    pub mode: &'static str,
    pub seeds: usize,
    /// Area under the learning curve (mean Dice over the labelled range).
    pub auc_mean: f64,
    pub auc_low: f64,
    pub auc_high: f64,
    /// Paired with plain random over the seeds both ran; absent for random
    /// itself or when random did not run.
    pub paired_seeds: usize,
    pub vs_random_mean: Option<f64>,
    pub vs_random_low: Option<f64>,
    pub vs_random_high: Option<f64>,
    /// The paired 95 % interval lies wholly above zero.
    pub better_than_random: bool,
    /// Labelled percent where the mean curve reaches 95, 97 and 99 % of the
    /// full-data Dice (absent when it never does, or with no full-data run).
    pub percent_to_95: Option<f32>,
    pub percent_to_97: Option<f32>,
    pub percent_to_99: Option<f32>,
}

/// Every curve of `points` compared with plain random; `summary` is
/// [`super::simulation::summarise`] of the same points.
pub fn compare(
    points: &[CurvePoint],
    summary: &[SummaryRow],
    full_data_dice: Option<f32>,
) -> Vec<CurveComparison> {
    type Key = (String, String, &'static str);
    let mut areas: BTreeMap<Key, (Strategy, BTreeMap<u64, f64>)> = BTreeMap::new();
    let mut curves: BTreeMap<(Key, u64), Vec<(f32, f32)>> = BTreeMap::new();
    for p in points {
        let key = (p.strategy.name(), p.batch.clone(), p.mode);
        areas
            .entry(key.clone())
            .or_insert((p.strategy, BTreeMap::new()));
        curves
            .entry((key, p.seed))
            .or_default()
            .push((p.percent, p.dice));
    }
    for ((key, seed), curve) in &curves {
        if let Some((_, by_seed)) = areas.get_mut(key) {
            by_seed.insert(*seed, area_under_curve(curve));
        }
    }
    let random = areas
        .iter()
        .find(|((_, batch, mode), (strategy, _))| is_plain_random(*strategy, batch, mode))
        .map(|(_, (_, by_seed))| by_seed.clone());
    areas
        .into_iter()
        .map(|((_, batch, mode), (strategy, by_seed))| {
            let auc = Interval::of(&by_seed.values().copied().collect::<Vec<_>>());
            let paired: Vec<f64> = match &random {
                Some(random) if !is_plain_random(strategy, &batch, mode) => by_seed
                    .iter()
                    .filter_map(|(seed, area)| random.get(seed).map(|r| area - r))
                    .collect(),
                _ => Vec::new(),
            };
            let difference = (!paired.is_empty()).then(|| Interval::of(&paired));
            let mean_curve: Vec<(f32, f32)> = summary
                .iter()
                .filter(|r| r.strategy == strategy && r.batch == batch && r.mode == mode)
                .map(|r| (r.labelled_percent, r.dice_mean))
                .collect();
            let reach = |share: f32| {
                full_data_dice.and_then(|full| percent_to_reach(&mean_curve, share * full))
            };
            CurveComparison {
                strategy,
                batch,
                mode,
                seeds: auc.n,
                auc_mean: auc.mean,
                auc_low: auc.low(),
                auc_high: auc.high(),
                paired_seeds: paired.len(),
                vs_random_mean: difference.map(|d| d.mean),
                vs_random_low: difference.map(|d| d.low()),
                vs_random_high: difference.map(|d| d.high()),
                better_than_random: difference.is_some_and(|d| d.n >= 2 && d.low() > 0.0),
                percent_to_95: reach(0.95),
                percent_to_97: reach(0.97),
                percent_to_99: reach(0.99),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_known_values_uses_students_t() {
        // Mean 2, sample sd √(2/3), n 4: half-width t(3) · sd / √4.
        let interval = Interval::of(&[1.0, 2.0, 3.0, 2.0]);
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((interval.mean - 2.0).abs() < 1e-12);
        assert!((interval.half_width - 3.182 * sd / 2.0).abs() < 1e-9);
        assert!((interval.low() - (2.0 - interval.half_width)).abs() < 1e-12);
        assert_eq!(Interval::of(&[0.7]).half_width, 0.0);
    }

    #[test]
    fn the_area_is_the_mean_dice_over_the_labelled_range() {
        // A straight line from 0.5 at 10 % to 0.9 at 30 %: mean 0.7.
        assert!((area_under_curve(&[(10.0, 0.5), (20.0, 0.7), (30.0, 0.9)]) - 0.7).abs() < 1e-6);
        // A curve that rises early has the larger area over the same range.
        let early = area_under_curve(&[(10.0, 0.5), (20.0, 0.85), (30.0, 0.9)]);
        let late = area_under_curve(&[(10.0, 0.5), (20.0, 0.55), (30.0, 0.9)]);
        assert!(early > late);
        assert_eq!(area_under_curve(&[(5.0, 0.4)]), f64::from(0.4f32));
    }

    #[test]
    fn labels_to_reach_a_target_are_interpolated_between_rounds() {
        let curve = [(10.0, 0.6), (20.0, 0.8), (30.0, 0.9)];
        assert_eq!(percent_to_reach(&curve, 0.5), Some(10.0));
        assert!((percent_to_reach(&curve, 0.7).unwrap() - 15.0).abs() < 1e-4);
        assert_eq!(percent_to_reach(&curve, 0.95), None);
    }

    fn point(strategy: Strategy, batch: &str, seed: u64, round: usize, dice: f32) -> CurvePoint {
        CurvePoint {
            strategy,
            batch: batch.to_string(),
            mode: "al",
            seed,
            round,
            labelled: 4 + round * 4,
            percent: 10.0 + 10.0 * round as f32,
            pseudo_labelled: 0,
            dice,
            dice_lv_endocardium: None,
            dice_myocardium: None,
            dice_left_atrium: None,
        }
    }

    #[test]
    fn a_curve_is_better_only_when_its_paired_interval_excludes_zero() {
        let mut points = Vec::new();
        // Random's curves differ a lot between seeds; BALD's are always
        // 0.05 above random's at round 1 (paired: a sure gain), while
        // K-Center's gain flips sign between seeds.
        for seed in 1..=5u64 {
            let start = 0.4 + 0.05 * seed as f32;
            points.push(point(Strategy::Random, "top", seed, 0, start));
            points.push(point(Strategy::Random, "top", seed, 1, start + 0.1));
            points.push(point(Strategy::Bald, "power1-clip1", seed, 0, start));
            points.push(point(Strategy::Bald, "power1-clip1", seed, 1, start + 0.15));
            let flip = if seed % 2 == 0 { 0.1 } else { -0.1 };
            points.push(point(Strategy::KCenter, "own", seed, 0, start));
            points.push(point(Strategy::KCenter, "own", seed, 1, start + 0.1 + flip));
        }
        let summary = crate::active::simulation::summarise(&points);
        let rows = compare(&points, &summary, Some(0.8));
        let row = |s: Strategy| rows.iter().find(|r| r.strategy == s).unwrap();
        let bald = row(Strategy::Bald);
        assert_eq!(bald.paired_seeds, 5);
        assert!(
            (bald.vs_random_mean.unwrap() - 0.025).abs() < 1e-6,
            "{bald:?}"
        );
        assert!(bald.better_than_random);
        let k_center = row(Strategy::KCenter);
        assert!(!k_center.better_than_random, "{k_center:?}");
        assert!(k_center.vs_random_low.unwrap() < 0.0);
        let random = row(Strategy::Random);
        assert_eq!(random.vs_random_mean, None);
        assert!(!random.better_than_random);
        // Random's mean curve: 0.55 → 0.65; 95 % of 0.8 = 0.76 is never reached.
        assert_eq!(random.percent_to_95, None);
        assert!(bald.percent_to_95.is_none() && bald.auc_mean > random.auc_mean);
    }
}
