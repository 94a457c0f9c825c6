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

use super::batch::{BatchRule, Place};
use super::semi::{STABILITY_THRESHOLDS, SemiSupervised, threshold_variance};
use super::strategies::{Candidate, EnsembleScores, FrameSummary, Labelled, Strategy, select};
use crate::model::cpu_unet::CpuUNet;
use crate::model::mc::{self, FramePrediction};
use crate::model::metrics::DiceCounts;
use crate::model::{LossKind, McdUNet, ModelConfig, Sample, TrainOptions, train};

#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub strategies: Vec<Strategy>,
    /// How score-ranked strategies and the random baselines draw a batch:
    /// each rule is a curve of its own (the strategies that spread their
    /// batch themselves run once).
    pub rules: Vec<BatchRule>,
    pub rounds: usize,
    /// Frames labelled per round.
    pub budget: usize,
    /// Frames labelled at random before the first round.
    pub initial: usize,
    pub seeds: Vec<u64>,
    pub model: ModelConfig,
    /// `max_epochs` is replaced each round by what `steps` needs.
    pub training: TrainOptions,
    /// Gradient steps per round's training: a small labelled set gets as
    /// many updates as a large one, so early rounds are not undertrained.
    pub steps: usize,
    /// MC passes when scoring the pool.
    pub samples: usize,
    /// Share of the clips held out as the fixed test split.
    pub test_fraction: f32,
    /// How pseudo-labels join each round's training: each mode is a curve
    /// of its own for every strategy ([`SemiSupervised::None`]: AL alone).
    pub modes: Vec<SemiSupervised>,
}

impl SimulationConfig {
    /// Training options for a round on `frames` frames: enough epochs for
    /// `steps` batches, all of them run, the last model kept.
    fn round_training(&self, frames: usize, seed: u64, loss: LossKind) -> TrainOptions {
        let batch = self.training.batch_size.max(1);
        let epochs = (self.steps * batch).div_ceil(frames.max(1)).max(1);
        TrainOptions {
            seed,
            loss,
            max_epochs: epochs,
            // Every step runs: a validation set of a frame or two cannot
            // choose an epoch or stop the training.
            patience: epochs,
            keep_best: false,
            ..self.training.clone()
        }
    }
}

/// One point of a learning curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub strategy: Strategy,
    /// The batch rule's name ([`BatchRule::name`]), or `own` for a strategy
    /// that spreads its batch itself.
    pub batch: String,
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
    /// Per structure (the CAMUS three, where the model has them).
    pub dice_lv_endocardium: Option<f32>,
    pub dice_myocardium: Option<f32>,
    pub dice_left_atrium: Option<f32>,
}

/// The batch name of a strategy that spreads its batch itself.
pub const OWN_BATCH: &str = "own";

/// The batch rules `strategy` runs with: all of them, or none (`None` once)
/// for a strategy that spreads its batch itself.
fn rules_for(strategy: Strategy, rules: &[BatchRule]) -> Vec<Option<BatchRule>> {
    if strategy.uses_batch_rule() && !rules.is_empty() {
        rules.iter().copied().map(Some).collect()
    } else {
        vec![None]
    }
}

/// What one run (a strategy and a seed) works on.
struct Run<'a> {
    samples: &'a [Sample],
    places: &'a [Place],
    config: &'a SimulationConfig,
    device: &'a Device,
    pool: &'a [usize],
    test: &'a [usize],
}

/// Runs every strategy with every seed. `samples[i]` comes from clip
/// `clips[i]`; the test split holds whole clips (the same for all runs).
/// `progress(message)` returns false to stop early (the points so far are returned).
pub fn simulate(
    samples: &[Sample],
    places: &[Place],
    config: &SimulationConfig,
    device: &Device,
    mut progress: impl FnMut(&str) -> bool,
) -> Vec<CurvePoint> {
    let clips: Vec<u32> = places.iter().map(|p| p.clip).collect();
    let (pool, test) = split_test(&clips, config.test_fraction);
    let run = Run {
        samples,
        places,
        config,
        device,
        pool: &pool,
        test: &test,
    };
    let mut points = Vec::new();
    for &mode in &config.modes {
        for &strategy in &config.strategies {
            for rule in rules_for(strategy, &config.rules) {
                for &seed in &config.seeds {
                    let curve = Curve {
                        strategy,
                        rule,
                        mode,
                        seed,
                    };
                    if !run.curve(curve, &mut points, &mut progress) {
                        return points;
                    }
                }
            }
        }
    }
    points
}

/// The Dice on the test split of the model trained on the whole pool with
/// `seed` (for as many steps as all rounds of a curve together): the
/// ceiling the learning curves are compared with.
pub fn full_data_dice(
    samples: &[Sample],
    places: &[Place],
    config: &SimulationConfig,
    seed: u64,
    device: &Device,
) -> Option<FullData> {
    let clips: Vec<u32> = places.iter().map(|p| p.clip).collect();
    let (pool, test) = split_test(&clips, config.test_fraction);
    let set: Vec<Sample> = pool.iter().map(|&i| samples[i].clone()).collect();
    let groups: Vec<u32> = (0..set.len() as u32).collect();
    // As many steps as a whole curve takes (its rounds warm-start each other).
    let whole_curve = SimulationConfig {
        steps: config.steps * (config.rounds + 1),
        ..config.clone()
    };
    let options = whole_curve.round_training(set.len(), seed, config.training.loss);
    let outcome = train(&config.model, &options, &set, &groups, None, device, |_| {
        true
    })
    .ok()?;
    let run = Run {
        samples,
        places,
        config,
        device,
        pool: &pool,
        test: &test,
    };
    Some(FullData {
        seed,
        labelled: pool.len(),
        dice: run.test_dice(&outcome.model).0,
    })
}

/// The ceiling of one seed: the model trained on every pool frame.
#[derive(Debug, Clone, Serialize)]
pub struct FullData {
    pub seed: u64,
    /// Pool frames (the test split excluded).
    pub labelled: usize,
    pub dice: f32,
}

/// Which learning curve: a strategy, its batch rule, a semi-supervised mode
/// and a seed (which also fixes the initial labelled set, so curves of one
/// seed are paired).
#[derive(Debug, Clone, Copy)]
struct Curve {
    strategy: Strategy,
    rule: Option<BatchRule>,
    mode: SemiSupervised,
    seed: u64,
}

impl Run<'_> {
    /// One learning curve; false when `progress` asked to stop.
    fn curve(
        &self,
        curve: Curve,
        points: &mut Vec<CurvePoint>,
        progress: &mut impl FnMut(&str) -> bool,
    ) -> bool {
        let Curve {
            strategy,
            rule,
            mode,
            seed,
        } = curve;
        let batch = rule.map_or(OWN_BATCH.to_string(), |r| r.name());
        let config = self.config;
        let members = match strategy.ensemble() {
            Some(kind) => kind.members(&config.model, config.training.loss),
            None => vec![(config.model.clone(), config.training.loss)],
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut unlabelled = self.pool.to_vec();
        unlabelled.shuffle(&mut rng);
        let mut labelled: Vec<usize> = unlabelled
            .drain(..config.initial.min(unlabelled.len()))
            .collect();
        let mut previous: Vec<Option<McdUNet>> = vec![None; members.len()];
        let mut pseudo: Vec<Sample> = Vec::new();
        for round in 0..=config.rounds {
            let message = format!(
                "{} {batch} ({}), seed {seed}, round {round}: {} labelled",
                strategy.name(),
                mode.name(),
                labelled.len()
            );
            if !progress(&message) {
                return false;
            }
            let mut set: Vec<Sample> = labelled.iter().map(|&i| self.samples[i].clone()).collect();
            set.extend(pseudo.iter().cloned());
            // Each frame is its own group: early rounds may hold one clip only.
            let groups: Vec<u32> = (0..set.len() as u32).collect();
            let mut models = Vec::with_capacity(members.len());
            for ((model_config, loss), warm) in members.iter().zip(&previous) {
                let options = config.round_training(set.len(), seed ^ round as u64, *loss);
                let trained = train(
                    model_config,
                    &options,
                    &set,
                    &groups,
                    warm.as_ref(),
                    self.device,
                    |_| true,
                );
                match trained {
                    Ok(outcome) => models.push(outcome.model),
                    Err(error) => {
                        // The curve ends here; say why rather than cut it silently.
                        return progress(&format!(
                            "{}, seed {seed}, round {round}: training failed ({error}); this curve stops",
                            strategy.name()
                        ));
                    }
                }
            }
            // The base model: an ensemble only chooses the frames.
            let (dice, per_class) = self.test_dice(&models[0]);
            let structure = |name: &str| {
                config
                    .model
                    .class_of(name)
                    .and_then(|class| per_class.get(class - 1).copied())
            };
            points.push(CurvePoint {
                strategy,
                batch: batch.clone(),
                mode: mode.name(),
                seed,
                round,
                labelled: labelled.len(),
                percent: 100.0 * labelled.len() as f32 / self.pool.len().max(1) as f32,
                pseudo_labelled: pseudo.len(),
                dice,
                dice_lv_endocardium: structure("LV endocardium"),
                dice_myocardium: structure("Myocardium"),
                dice_left_atrium: structure("Left atrium"),
            });
            if round == config.rounds || unlabelled.is_empty() {
                return true;
            }
            let (candidates, predictions) = self.score_pool(&models, &unlabelled);
            let labelled_embeddings = self.embeddings(&models[0], &labelled);
            let labelled_places: Vec<Place> = labelled.iter().map(|&i| self.places[i]).collect();
            let mut picked = select(
                strategy,
                &candidates,
                Labelled {
                    embeddings: &labelled_embeddings,
                    places: &labelled_places,
                },
                config.budget,
                seed ^ ((round as u64) << 8),
                &rule.unwrap_or(BatchRule::TOP_K),
            );
            let entropies: Vec<f32> = candidates.iter().map(|c| c.scores.entropy.mean).collect();
            // The pool's entropy range: what CEAL's threshold is measured against.
            let mut sorted = entropies.clone();
            sorted.sort_by(f32::total_cmp);
            if !progress(&format!(
                "  pool mean MC entropy: min {:.4}, median {:.4}, max {:.4}",
                sorted[0],
                sorted[sorted.len() / 2],
                sorted[sorted.len() - 1]
            )) {
                return false;
            }
            let instability: Vec<f32> = predictions.iter().map(|p| p.instability).collect();
            pseudo = mode
                .choose(round as u32, &entropies, &instability, &picked)
                .into_iter()
                .map(|position| Sample {
                    size: config.model.input_size,
                    image: self.samples[unlabelled[position]].image.clone(),
                    labels: predictions[position].mask.clone(),
                })
                .collect();
            picked.sort_unstable_by(|a, b| b.cmp(a));
            for position in picked {
                labelled.push(unlabelled.remove(position));
            }
            previous = models.into_iter().map(Some).collect();
        }
        true
    }

    fn batch_input(&self, indices: &[usize]) -> Tensor<4> {
        let images: Vec<&[f32]> = indices
            .iter()
            .map(|&i| self.samples[i].image.as_slice())
            .collect();
        mc::input(&images, self.config.model.input_size, self.device)
    }

    /// The mean foreground Dice on the test split, and each foreground class's.
    fn test_dice(&self, model: &McdUNet) -> (f32, Vec<f32>) {
        let mut counts = DiceCounts::new(self.config.model.classes.len());
        for chunk in self.test.chunks(8) {
            let logits = model.forward(self.batch_input(chunk), false);
            let predicted: Vec<i64> = logits
                .argmax(1)
                .try_into_vec_as()
                .expect("the device returns its tensors");
            let predicted: Vec<u8> = predicted.iter().map(|&c| c as u8).collect();
            let truth: Vec<u8> = chunk
                .iter()
                .flat_map(|&i| self.samples[i].labels.iter().copied())
                .collect();
            counts.add(&predicted, &truth);
        }
        let dice = counts.dice();
        (dice.iter().sum::<f32>() / dice.len().max(1) as f32, dice)
    }

    fn embeddings(&self, model: &McdUNet, indices: &[usize]) -> Vec<Vec<f32>> {
        let mut out = Vec::with_capacity(indices.len());
        for chunk in indices.chunks(8) {
            let features = model.embedding(self.batch_input(chunk));
            let [rows, width] = features.dims();
            let flat: Vec<f32> = features
                .try_into_vec_as()
                .expect("the device returns its tensors");
            out.extend((0..rows).map(|r| flat[r * width..(r + 1) * width].to_vec()));
        }
        out
    }

    /// MC scores (and, with several models, ensemble scores), embeddings
    /// and predictions of the unlabelled frames; `models[0]` is the base model.
    fn score_pool(
        &self,
        models: &[McdUNet],
        pool: &[usize],
    ) -> (Vec<Candidate>, Vec<PoolPrediction>) {
        let size = self.config.model.input_size;
        let classes = self.config.model.classes.len();
        let embeddings = self.embeddings(&models[0], pool);
        let folded: Vec<Option<CpuUNet>> = models
            .iter()
            .map(|m| mc::folded_for(m, self.device))
            .collect();
        let inference: Vec<mc::Inference> = models
            .iter()
            .zip(&folded)
            .map(|(model, folded)| mc::Inference {
                model,
                folded: folded.as_ref(),
                device: self.device,
            })
            .collect();
        let mut candidates = Vec::with_capacity(pool.len());
        let mut masks = Vec::with_capacity(pool.len());
        for (chunk, embedding_chunk) in pool.chunks(8).zip(embeddings.chunks(8)) {
            let images: Vec<&[f32]> = chunk
                .iter()
                .map(|&i| self.samples[i].image.as_slice())
                .collect();
            let predictions = inference[0].predict(&images, size, self.config.samples);
            let others: Vec<Vec<FramePrediction>> = inference[1..]
                .iter()
                .map(|member| member.predict(&images, size, 0))
                .collect();
            for (index, (prediction, embedding)) in
                predictions.into_iter().zip(embedding_chunk).enumerate()
            {
                let ensemble = (!others.is_empty()).then(|| {
                    let mut members = vec![prediction.maps.mean.as_slice()];
                    members.extend(others.iter().map(|o| o[index].maps.mean.as_slice()));
                    EnsembleScores::of(&members, classes)
                });
                let pixels = prediction.maps.width * prediction.maps.height;
                // Foreground probability: 1 − P(background).
                let foreground: Vec<f32> = prediction.maps.mean[..pixels]
                    .iter()
                    .map(|p| 1.0 - p)
                    .collect();
                let summary = FrameSummary::of(&prediction.maps);
                masks.push(PoolPrediction {
                    instability: threshold_variance(&foreground, &STABILITY_THRESHOLDS),
                    mask: prediction.maps.mask,
                });
                candidates.push(Candidate {
                    place: self.places[chunk[index]],
                    foreground: summary.foreground,
                    lv_fraction: summary.lv_fraction,
                    scores: prediction.scores,
                    embedding: embedding.clone(),
                    ensemble,
                });
            }
        }
        (candidates, masks)
    }
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

/// What the model predicted for a pool frame: its mask and how much the
/// mask moves with the probability threshold.
struct PoolPrediction {
    mask: Vec<u8>,
    instability: f32,
}

pub use super::summary::{LabelSaving, SummaryRow, is_plain_random, label_savings, summarise};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::active::EnsembleKind;
    use crate::model::dataset::{phantom_clips, to_samples};

    #[test]
    fn a_miniature_loop_labels_the_budget_each_round_and_measures_the_test_split() {
        let frames: Vec<_> = phantom_clips(5, 4, 6)
            .into_iter()
            .flat_map(|c| c.frames)
            .collect();
        let (samples, _) = to_samples(&frames, 32);
        let places = Place::of_frames(&frames);
        let config = SimulationConfig {
            rules: vec![BatchRule::TOP_K],
            strategies: vec![Strategy::Bald, Strategy::KCenter],
            rounds: 2,
            budget: 3,
            initial: 4,
            seeds: vec![1],
            model: ModelConfig::camus(32, 4),
            training: TrainOptions {
                patience: 2,
                learning_rate: 5e-3,
                ..TrainOptions::default()
            },
            steps: 2,
            samples: 3,
            test_fraction: 0.25,
            modes: vec![SemiSupervised::None],
        };
        let mut messages = Vec::new();
        let points = simulate(&samples, &places, &config, &Device::flex(), |m| {
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
            summary.iter().all(|row| row.dice_sd == 0.0),
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
        let places = Place::of_frames(&frames);
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
                rules: vec![BatchRule::TOP_K],
                strategies: vec![Strategy::McEntropy],
                rounds: 1,
                budget: 3,
                initial: 4,
                seeds: vec![2],
                model: ModelConfig::camus(32, 4),
                training: TrainOptions {
                    patience: 1,
                    ..TrainOptions::default()
                },
                steps: 1,
                samples: 2,
                test_fraction: 0.25,
                modes: vec![semi],
            };
            let points = simulate(&samples, &places, &config, &Device::flex(), |_| true);
            assert_eq!(points.len(), 2);
            assert_eq!(points[0].pseudo_labelled, 0);
            // Thresholds that admit everything: every pool frame not sent to the oracle.
            let pool = samples.len() - points[0].labelled - test_size(&clips);
            assert_eq!(points[1].labelled, 7);
            assert_eq!(points[1].pseudo_labelled, pool - 3, "{semi:?}");
        }
    }

    #[test]
    fn an_ensemble_strategy_trains_its_members_and_ranks_by_their_disagreement() {
        let frames: Vec<_> = phantom_clips(6, 4, 8)
            .into_iter()
            .flat_map(|c| c.frames)
            .collect();
        let (samples, clips) = to_samples(&frames, 32);
        let places = Place::of_frames(&frames);
        let config = SimulationConfig {
            rules: vec![BatchRule::TOP_K],
            strategies: vec![Strategy::MultiLossDisagreement],
            rounds: 1,
            budget: 2,
            initial: 3,
            seeds: vec![3],
            model: ModelConfig::camus(32, 4),
            training: TrainOptions::default(),
            steps: 1,
            samples: 2,
            test_fraction: 0.25,
            modes: vec![SemiSupervised::None],
        };
        let (pool, test) = split_test(&clips, 0.25);
        let device = Device::flex();
        let run = Run {
            samples: &samples,
            places: &places,
            config: &config,
            device: &device,
            pool: &pool,
            test: &test,
        };
        let set: Vec<Sample> = pool[..3].iter().map(|&i| samples[i].clone()).collect();
        let groups = [0, 1, 2];
        let models: Vec<McdUNet> = EnsembleKind::MultiLoss
            .members(&config.model, LossKind::CrossEntropyDice)
            .iter()
            .map(|(c, loss)| {
                let options = config.round_training(3, 3, *loss);
                train(c, &options, &set, &groups, None, &device, |_| true)
                    .expect("trains")
                    .model
            })
            .collect();
        let (candidates, _) = run.score_pool(&models, &pool[3..]);
        assert!(candidates.iter().all(|c| {
            c.ensemble
                .is_some_and(|e| e.disagreement >= -1e-5 && e.entropy >= e.disagreement)
        }));
        let (alone, _) = run.score_pool(&models[..1], &pool[3..]);
        assert!(alone.iter().all(|c| c.ensemble.is_none()));
        let points = simulate(&samples, &places, &config, &device, |_| true);
        assert_eq!(
            points.iter().map(|p| p.labelled).collect::<Vec<_>>(),
            [3, 5]
        );
    }

    #[test]
    fn savings_count_the_labels_each_curve_needed_to_reach_random_s_final_dice() {
        let row = |strategy, round, labelled_percent, dice_mean| SummaryRow {
            strategy,
            batch: "top".to_string(),
            mode: "al",
            round,
            labelled_percent,
            dice_mean,
            dice_sd: 0.0,
            seeds: 1,
            dice_ci95: 0.0,
        };
        let summary = [
            row(Strategy::Bald, 0, 5.0, 0.5),
            row(Strategy::Bald, 1, 10.0, 0.82),
            row(Strategy::Bald, 2, 15.0, 0.9),
            row(Strategy::KCenter, 0, 5.0, 0.5),
            row(Strategy::KCenter, 1, 10.0, 0.7),
            row(Strategy::Random, 0, 5.0, 0.5),
            row(Strategy::Random, 1, 10.0, 0.7),
            row(Strategy::Random, 2, 15.0, 0.8),
        ];
        let savings = label_savings(&summary);
        assert_eq!(savings.len(), 2);
        assert_eq!(savings[0].strategy, Strategy::Bald);
        assert_eq!(savings[0].reached_at_percent, Some(10.0));
        assert_eq!(savings[0].reference_percent, 15.0);
        assert_eq!(savings[1].reached_at_percent, None, "never reached 0.8");
        assert!(label_savings(&summary[..5]).is_empty(), "no random curve");
    }

    fn test_size(clips: &[u32]) -> usize {
        split_test(clips, 0.25).1.len()
    }
}
