//! The pool-based active-learning loop on a fully labelled dataset, with the
//! ground truth as the oracle: start from a random labelled set, then each
//! round train, measure Dice on a fixed test split, score the pool with MC
//! inference, and "label" the frames the strategy picks. Comparing strategies
//! this way shows how many labels each needs to reach a given Dice.

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::semi::{ceal_pseudo_labels, ceal_threshold, ssal_pseudo_labels, threshold_variance};
use super::strategies::{Candidate, Strategy, select};
use crate::model::mc::{self, SamplingMode};
use crate::model::metrics::DiceCounts;
use crate::model::{McdUNet, ModelConfig, Sample, TrainOptions, train};

#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub strategies: Vec<Strategy>,
    pub rounds: usize,
    /// Frames labelled per round.
    pub budget: usize,
    /// Frames labelled at random before the first round.
    pub initial: usize,
    pub seeds: Vec<u64>,
    pub model: ModelConfig,
    pub training: TrainOptions,
    /// MC passes when scoring the pool.
    pub samples: usize,
    /// Share of the clips held out as the fixed test split.
    pub test_fraction: f32,
    /// Pseudo-labels from the model join each round's training, or none.
    pub semi: SemiSupervised,
}

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
    pub fn name(self) -> &'static str {
        match self {
            SemiSupervised::None => "al",
            SemiSupervised::Ceal { .. } => "ceal",
            SemiSupervised::Ssal { .. } => "ssal",
        }
    }
}

/// Probability thresholds the SSAL stability check moves through.
const STABILITY_THRESHOLDS: [f32; 4] = [0.3, 0.4, 0.6, 0.7];

/// One point of a learning curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub strategy: Strategy,
    /// "al", "ceal" or "ssal".
    pub mode: &'static str,
    pub seed: u64,
    pub round: usize,
    pub labelled: usize,
    /// Labelled frames as a share of the pool, in percent.
    pub percent: f32,
    /// Model-labelled frames in this round's training set.
    pub pseudo_labelled: usize,
    /// Mean foreground Dice on the test split.
    pub dice: f32,
}

/// Runs every strategy with every seed. `samples[i]` comes from clip
/// `clips[i]`; the test split holds whole clips (the same for all runs).
/// `progress(message)` returns false to stop early (the points so far are returned).
pub fn simulate(
    samples: &[Sample],
    clips: &[u32],
    config: &SimulationConfig,
    device: &Device,
    mut progress: impl FnMut(&str) -> bool,
) -> Vec<CurvePoint> {
    let (pool, test) = split_test(clips, config.test_fraction);
    let mut points = Vec::new();
    for &strategy in &config.strategies {
        for &seed in &config.seeds {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut unlabelled = pool.clone();
            unlabelled.shuffle(&mut rng);
            let mut labelled: Vec<usize> = unlabelled
                .drain(..config.initial.min(unlabelled.len()))
                .collect();
            let mut previous: Option<McdUNet> = None;
            let mut pseudo: Vec<Sample> = Vec::new();
            for round in 0..=config.rounds {
                let message = format!(
                    "{strategy:?}, seed {seed}, round {round}: {} labelled",
                    labelled.len()
                );
                if !progress(&message) {
                    return points;
                }
                let training = TrainOptions {
                    seed: seed ^ round as u64,
                    ..config.training.clone()
                };
                let mut set: Vec<Sample> = labelled.iter().map(|&i| samples[i].clone()).collect();
                set.extend(pseudo.iter().cloned());
                // Each frame is its own group: early rounds may hold one clip only.
                let groups: Vec<u32> = (0..set.len() as u32).collect();
                let Ok(outcome) = train(
                    &config.model,
                    &training,
                    &set,
                    &groups,
                    previous.as_ref(),
                    device,
                    |_| true,
                ) else {
                    break;
                };
                let model = outcome.model;
                points.push(CurvePoint {
                    strategy,
                    mode: config.semi.name(),
                    seed,
                    round,
                    labelled: labelled.len(),
                    percent: 100.0 * labelled.len() as f32 / pool.len().max(1) as f32,
                    pseudo_labelled: pseudo.len(),
                    dice: test_dice(&model, &config.model, samples, &test, device),
                });
                if round == config.rounds || unlabelled.is_empty() {
                    break;
                }
                let (candidates, predictions) = score_pool(
                    &model,
                    &config.model,
                    samples,
                    &unlabelled,
                    config.samples,
                    device,
                );
                let labelled_embeddings: Vec<Vec<f32>> =
                    embeddings(&model, &config.model, samples, &labelled, device);
                let mut picked = select(
                    strategy,
                    &candidates,
                    &labelled_embeddings,
                    config.budget,
                    seed ^ ((round as u64) << 8),
                );
                pseudo = pseudo_labels(config.semi, round, &candidates, &predictions, &picked)
                    .into_iter()
                    .map(|position| Sample {
                        size: config.model.input_size,
                        image: samples[unlabelled[position]].image.clone(),
                        labels: predictions[position].mask.clone(),
                    })
                    .collect();
                picked.sort_unstable_by(|a, b| b.cmp(a));
                for position in picked {
                    labelled.push(unlabelled.remove(position));
                }
                previous = Some(model);
            }
        }
    }
    points
}

/// Pool and test sample indices; the last clips (in id order) are the test split.
fn split_test(clips: &[u32], fraction: f32) -> (Vec<usize>, Vec<usize>) {
    let mut ids: Vec<u32> = clips.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let held = ((ids.len() as f32 * fraction).round() as usize)
        .clamp(1, ids.len().saturating_sub(1).max(1));
    let test_clips = &ids[ids.len() - held..];
    (0..clips.len()).partition(|&i| !test_clips.contains(&clips[i]))
}

fn batch_input(samples: &[Sample], indices: &[usize], size: usize, device: &Device) -> Tensor<4> {
    let images: Vec<&[f32]> = indices
        .iter()
        .map(|&i| samples[i].image.as_slice())
        .collect();
    mc::input(&images, size, device)
}

fn test_dice(
    model: &McdUNet,
    config: &ModelConfig,
    samples: &[Sample],
    test: &[usize],
    device: &Device,
) -> f32 {
    let mut counts = DiceCounts::new(config.classes.len());
    for chunk in test.chunks(8) {
        let logits = model.forward(
            batch_input(samples, chunk, config.input_size, device),
            false,
        );
        let predicted: Vec<i64> = logits
            .argmax(1)
            .try_into_vec_as()
            .expect("the device returns its tensors");
        let predicted: Vec<u8> = predicted.iter().map(|&c| c as u8).collect();
        let truth: Vec<u8> = chunk
            .iter()
            .flat_map(|&i| samples[i].labels.iter().copied())
            .collect();
        counts.add(&predicted, &truth);
    }
    let dice = counts.dice();
    dice.iter().sum::<f32>() / dice.len().max(1) as f32
}

fn embeddings(
    model: &McdUNet,
    config: &ModelConfig,
    samples: &[Sample],
    indices: &[usize],
    device: &Device,
) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(8) {
        let features = model.embedding(batch_input(samples, chunk, config.input_size, device));
        let [rows, width] = features.dims();
        let flat: Vec<f32> = features
            .try_into_vec_as()
            .expect("the device returns its tensors");
        out.extend((0..rows).map(|r| flat[r * width..(r + 1) * width].to_vec()));
    }
    out
}

/// What the model predicted for a pool frame: its mask and how much the
/// mask moves with the probability threshold.
struct PoolPrediction {
    mask: Vec<u8>,
    instability: f32,
}

/// Positions (in the pool) of the frames that become pseudo-labels this
/// round; frames going to the oracle are never among them.
fn pseudo_labels(
    semi: SemiSupervised,
    round: usize,
    candidates: &[Candidate],
    predictions: &[PoolPrediction],
    to_oracle: &[usize],
) -> Vec<usize> {
    let entropies: Vec<f32> = candidates.iter().map(|c| c.scores.entropy.mean).collect();
    let chosen = match semi {
        SemiSupervised::None => Vec::new(),
        SemiSupervised::Ceal { threshold, decay } => {
            ceal_pseudo_labels(&entropies, ceal_threshold(threshold, decay, round as u32))
        }
        SemiSupervised::Ssal {
            low,
            high,
            max_instability,
        } => {
            let instability: Vec<f32> = predictions.iter().map(|p| p.instability).collect();
            ssal_pseudo_labels(&entropies, &instability, low, high, max_instability)
        }
    };
    chosen
        .into_iter()
        .filter(|p| !to_oracle.contains(p))
        .collect()
}

/// MC scores, embeddings and predictions of the unlabelled frames.
fn score_pool(
    model: &McdUNet,
    config: &ModelConfig,
    samples: &[Sample],
    pool: &[usize],
    passes: usize,
    device: &Device,
) -> (Vec<Candidate>, Vec<PoolPrediction>) {
    let embeddings = embeddings(model, config, samples, pool, device);
    let mut candidates = Vec::with_capacity(pool.len());
    let mut masks = Vec::with_capacity(pool.len());
    for (chunk, embedding_chunk) in pool.chunks(8).zip(embeddings.chunks(8)) {
        let images: Vec<&[f32]> = chunk.iter().map(|&i| samples[i].image.as_slice()).collect();
        let predictions = mc::predict(
            model,
            &images,
            config.input_size,
            passes,
            SamplingMode::Shared,
            device,
        );
        for (prediction, embedding) in predictions.into_iter().zip(embedding_chunk) {
            let pixels = prediction.maps.width * prediction.maps.height;
            // Foreground probability: 1 − P(background).
            let foreground: Vec<f32> = prediction.maps.mean[..pixels]
                .iter()
                .map(|p| 1.0 - p)
                .collect();
            masks.push(PoolPrediction {
                instability: threshold_variance(&foreground, &STABILITY_THRESHOLDS),
                mask: prediction.maps.mask,
            });
            candidates.push(Candidate {
                scores: prediction.scores,
                embedding: embedding.clone(),
                ensemble: None,
            });
        }
    }
    (candidates, masks)
}

/// Mean and standard deviation of Dice per strategy and round, over seeds:
/// (strategy, round, mean labelled %, mean Dice, sd Dice).
pub fn summarise(points: &[CurvePoint]) -> Vec<(Strategy, usize, f32, f32, f32)> {
    let mut keys: Vec<(Strategy, usize)> = points.iter().map(|p| (p.strategy, p.round)).collect();
    keys.dedup();
    keys.sort_by_key(|(s, r)| (format!("{s:?}"), *r));
    keys.dedup();
    keys.into_iter()
        .map(|(strategy, round)| {
            let runs: Vec<&CurvePoint> = points
                .iter()
                .filter(|p| p.strategy == strategy && p.round == round)
                .collect();
            let n = runs.len() as f32;
            let percent = runs.iter().map(|p| p.percent).sum::<f32>() / n;
            let mean = runs.iter().map(|p| p.dice).sum::<f32>() / n;
            let sd = (runs.iter().map(|p| (p.dice - mean).powi(2)).sum::<f32>() / n).sqrt();
            (strategy, round, percent, mean, sd)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dataset::{phantom_clips, to_samples};

    #[test]
    fn a_miniature_loop_labels_the_budget_each_round_and_measures_the_test_split() {
        let frames: Vec<_> = phantom_clips(5, 4, 6)
            .into_iter()
            .flat_map(|c| c.frames)
            .collect();
        let (samples, clips) = to_samples(&frames, 32);
        let config = SimulationConfig {
            strategies: vec![Strategy::Bald, Strategy::KCenter],
            rounds: 2,
            budget: 3,
            initial: 4,
            seeds: vec![1],
            model: ModelConfig::camus(32, 4),
            training: TrainOptions {
                max_epochs: 2,
                patience: 2,
                learning_rate: 5e-3,
                ..TrainOptions::default()
            },
            samples: 3,
            test_fraction: 0.25,
            semi: SemiSupervised::None,
        };
        let mut messages = Vec::new();
        let points = simulate(&samples, &clips, &config, &Device::flex(), |m| {
            messages.push(m.to_string());
            true
        });
        assert_eq!(points.len(), 6, "{points:?}");
        for strategy in [Strategy::Bald, Strategy::KCenter] {
            let labelled: Vec<usize> = points
                .iter()
                .filter(|p| p.strategy == strategy)
                .map(|p| p.labelled)
                .collect();
            assert_eq!(labelled, [4, 7, 10]);
        }
        assert!(points.iter().all(|p| (0.0..=1.0).contains(&p.dice)));
        let summary = summarise(&points);
        assert_eq!(summary.len(), 6);
        assert!(
            summary.iter().all(|(_, _, _, _, sd)| *sd == 0.0),
            "one seed: no spread"
        );
        assert!(messages[0].contains("round 0: 4 labelled"));
        assert!(points.iter().all(|p| p.pseudo_labelled == 0));
    }

    #[test]
    fn semi_supervised_modes_add_model_labels_but_never_the_oracles_frames() {
        let frames: Vec<_> = phantom_clips(5, 4, 6)
            .into_iter()
            .flat_map(|c| c.frames)
            .collect();
        let (samples, clips) = to_samples(&frames, 32);
        for semi in [
            SemiSupervised::Ceal {
                threshold: 10.0,
                decay: 0.0,
            },
            SemiSupervised::Ssal {
                low: 0.0,
                high: 1.0,
                max_instability: 1.0,
            },
        ] {
            let config = SimulationConfig {
                strategies: vec![Strategy::McEntropy],
                rounds: 1,
                budget: 3,
                initial: 4,
                seeds: vec![2],
                model: ModelConfig::camus(32, 4),
                training: TrainOptions {
                    max_epochs: 1,
                    patience: 1,
                    ..TrainOptions::default()
                },
                samples: 2,
                test_fraction: 0.25,
                semi,
            };
            let points = simulate(&samples, &clips, &config, &Device::flex(), |_| true);
            assert_eq!(points.len(), 2);
            assert_eq!(points[0].pseudo_labelled, 0);
            // Thresholds that admit everything: every pool frame not sent to the oracle.
            let pool = samples.len() - points[0].labelled - test_size(&clips);
            assert_eq!(points[1].labelled, 7);
            assert_eq!(points[1].pseudo_labelled, pool - 3, "{semi:?}");
        }
    }

    fn test_size(clips: &[u32]) -> usize {
        split_test(clips, 0.25).1.len()
    }
}
