//! Learning curves averaged over seeds (mean, sd and 95 % interval per
//! round), which curve is plain random, and the labels each curve needed to
//! reach random's final Dice.

use serde::Serialize;

use super::batch::BatchRule;
use super::protocol::Interval;
use super::semi::SemiSupervised;
use super::simulation::CurvePoint;
use super::strategies::Strategy;

/// A learning curve's point averaged over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub strategy: Strategy,
    pub batch: String,
    pub mode: &'static str,
    pub round: usize,
    /// Mean share of the pool labelled by the oracle, in percent.
    pub labelled_percent: f32,
    pub dice_mean: f32,
    pub dice_sd: f32,
    pub seeds: usize,
    /// Half-width of the 95 % interval of the mean (Student's t over seeds).
    pub dice_ci95: f32,
}

impl SummaryRow {
    /// The curve's name in tables and figures: `bald power1-clip1 al`.
    pub fn curve(&self) -> String {
        format!("{} {} {}", self.strategy.name(), self.batch, self.mode)
    }
}

/// Mean and standard deviation of Dice per curve (strategy, batch rule and
/// mode) and round, over seeds.
pub fn summarise(points: &[CurvePoint]) -> Vec<SummaryRow> {
    let mut keys: Vec<(String, String, &'static str, usize, Strategy)> = points
        .iter()
        .map(|p| {
            (
                p.strategy.name(),
                p.batch.clone(),
                p.mode,
                p.round,
                p.strategy,
            )
        })
        .collect();
    keys.sort_by(|a, b| (&a.0, &a.1, a.2, a.3).cmp(&(&b.0, &b.1, b.2, b.3)));
    keys.dedup_by(|a, b| (&a.0, &a.1, a.2, a.3) == (&b.0, &b.1, b.2, b.3));
    keys.into_iter()
        .map(|(_, batch, mode, round, strategy)| {
            let runs: Vec<&CurvePoint> = points
                .iter()
                .filter(|p| {
                    p.strategy == strategy && p.batch == batch && p.mode == mode && p.round == round
                })
                .collect();
            let n = runs.len() as f32;
            let labelled_percent = runs.iter().map(|p| p.percent).sum::<f32>() / n;
            let mean = runs.iter().map(|p| p.dice).sum::<f32>() / n;
            let sd = (runs.iter().map(|p| (p.dice - mean).powi(2)).sum::<f32>() / n).sqrt();
            let dice: Vec<f64> = runs.iter().map(|p| f64::from(p.dice)).collect();
            SummaryRow {
                strategy,
                batch,
                mode,
                round,
                labelled_percent,
                dice_mean: mean,
                dice_sd: sd,
                seeds: runs.len(),
                dice_ci95: Interval::of(&dice).half_width as f32,
            }
        })
        .collect()
}

/// Whether a summary row belongs to plain random active learning (top-k
/// order is a shuffle; no pseudo-labels): the curve others are measured against.
pub fn is_plain_random(strategy: Strategy, batch: &str, mode: &str) -> bool {
    strategy == Strategy::Random
        && batch == BatchRule::TOP_K.name()
        && mode == SemiSupervised::None.name()
}

/// How many labels a curve needed to reach a target Dice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelSaving {
    pub strategy: Strategy,
    pub batch: String,
    pub mode: &'static str,
    pub target_dice: f32,
    /// The first round's labelled share whose mean Dice reached the target.
    pub reached_at_percent: Option<f32>,
    /// The share the reference needed (random's final round).
    pub reference_percent: f32,
}

/// For each curve other than plain random: the labels it needed to reach the
/// final mean Dice of plain random active learning, against random's labels.
/// Empty when the summary has no plain random curve.
pub fn label_savings(summary: &[SummaryRow]) -> Vec<LabelSaving> {
    let Some(random_final) = summary
        .iter()
        .filter(|r| is_plain_random(r.strategy, &r.batch, r.mode))
        .max_by_key(|r| r.round)
    else {
        return Vec::new();
    };
    let mut curves: Vec<(Strategy, &str, &'static str)> = summary
        .iter()
        .map(|r| (r.strategy, r.batch.as_str(), r.mode))
        .collect();
    curves.dedup();
    curves.retain(|&(s, b, m)| !is_plain_random(s, b, m));
    curves
        .into_iter()
        .map(|(strategy, batch, mode)| LabelSaving {
            strategy,
            batch: batch.to_string(),
            mode,
            target_dice: random_final.dice_mean,
            reached_at_percent: summary
                .iter()
                .filter(|r| r.strategy == strategy && r.batch == batch && r.mode == mode)
                .find(|r| r.dice_mean >= random_final.dice_mean)
                .map(|r| r.labelled_percent),
            reference_percent: random_final.labelled_percent,
        })
        .collect()
}
