//! Training a segmentation network from labelled samples: Adam, mini-batches,
//! augmentation, a validation split by clip, early stopping on validation
//! Dice, optional warm start from a previous model. Runs anywhere burn runs;
//! the caller puts it on a background thread and may cancel it between steps.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, ModelHeader};
use super::config::ModelConfig;
use super::loss::{LossKind, loss, one_hot};
use super::metrics::DiceCounts;
use super::sample::{Augmenter, Sample};
use super::unet::McdUNet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub loss: LossKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Epochs without a better validation Dice before stopping.
    pub patience: usize,
    /// Share of the clips held out for validation.
    pub validation_fraction: f32,
    pub augment: bool,
    pub seed: u64,
    /// Keep the epoch with the best validation Dice; otherwise the last
    /// one (the simulation, whose early rounds validate on a frame or two:
    /// too few to choose an epoch by).
    pub keep_best: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            loss: LossKind::CrossEntropyDice,
            learning_rate: 1e-4,
            batch_size: 8,
            max_epochs: 200,
            patience: 10,
            validation_fraction: 0.2,
            augment: true,
            seed: 1,
            keep_best: true,
        }
    }
}

/// What one epoch achieved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f32,
    pub validation_loss: f32,
    /// Dice per foreground class on the validation split, in class order.
    pub validation_dice: Vec<f32>,
    /// Whether this epoch's model is the best so far (the one kept).
    pub improved: bool,
}

impl EpochReport {
    pub fn mean_dice(&self) -> f32 {
        self.validation_dice.iter().sum::<f32>() / self.validation_dice.len().max(1) as f32
    }
}

/// Progress as training goes.
#[derive(Debug, Clone)]
pub enum TrainEvent<'a> {
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        loss: f32,
    },
    Epoch(&'a EpochReport),
}

impl TrainEvent<'_> {
    /// How far a training of at most `max_epochs` epochs is, 0..1, at a step.
    pub fn fraction(&self, max_epochs: usize) -> Option<f32> {
        match self {
            TrainEvent::Step {
                epoch, step, steps, ..
            } => Some(
                ((epoch - 1) as f32 + *step as f32 / (*steps).max(1) as f32)
                    / max_epochs.max(1) as f32,
            ),
            TrainEvent::Epoch(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    EarlyStopping,
    MaxEpochs,
    Cancelled,
}

pub struct TrainOutcome {
    /// The best model (by validation Dice), ready for inference.
    pub model: McdUNet,
    pub header: ModelHeader,
    pub history: Vec<EpochReport>,
    pub stopped: StopReason,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("the model configuration is invalid: {0}")]
    Config(String),
    #[error("training needs labelled frames from at least two clips (one for validation); got {0}")]
    TooFewClips(usize),
    #[error("a sample is {found}×{found} but the model takes {expected}×{expected}")]
    SampleSize { found: usize, expected: usize },
    #[error("the warm-start model cannot be used: {0}")]
    WarmStart(String),
}

/// Trains on `samples`; `groups[i]` is the clip sample i comes from (the
/// validation split never separates a clip). `on_event` returning false cancels.
pub fn train(
    config: &ModelConfig,
    options: &TrainOptions,
    samples: &[Sample],
    groups: &[u32],
    warm_start: Option<&McdUNet>,
    device: &Device,
    mut on_event: impl FnMut(TrainEvent) -> bool,
) -> Result<TrainOutcome, TrainError> {
    config.validate().map_err(TrainError::Config)?;
    if let Some(bad) = samples
        .iter()
        .find(|s| s.size != config.input_size || s.labels.len() != s.size * s.size)
    {
        return Err(TrainError::SampleSize {
            found: bad.size,
            expected: config.input_size,
        });
    }
    let (train_set, validation_set) =
        split_by_group(groups, options.validation_fraction, options.seed)?;
    let header = |metrics| ModelHeader {
        config: config.clone(),
        loss: options.loss,
        metrics,
    };
    device.seed(options.seed);
    let autodiff = device.clone().autodiff();
    let mut model = match warm_start {
        // Through bytes, so the copy is a fresh leaf on the training device.
        Some(previous) => {
            let bytes = checkpoint::to_bytes(&header(serde_json::Value::Null), previous);
            checkpoint::from_bytes(&bytes, &autodiff, "the previous model")
                .map_err(|e| TrainError::WarmStart(e.to_string()))?
                .1
        }
        None => McdUNet::new(config, &autodiff),
    };
    let mut optimizer = AdamConfig::new().with_epsilon(1e-8).init();
    let mut augmenter = Augmenter::new(options.seed);
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut order = train_set.clone();
    let batch_size = options.batch_size.max(1);
    let steps = order.len().div_ceil(batch_size);

    let mut history: Vec<EpochReport> = Vec::new();
    let mut best: Option<(f32, McdUNet)> = None;
    let mut stale = 0;
    let mut stopped = StopReason::MaxEpochs;
    'epochs: for epoch in 1..=options.max_epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for (step, indices) in order.chunks(batch_size).enumerate() {
            let batch: Vec<Sample> = indices
                .iter()
                .map(|&i| {
                    if options.augment {
                        augmenter.augment(&samples[i])
                    } else {
                        samples[i].clone()
                    }
                })
                .collect();
            let (x, y) = tensors(&batch, config, &autodiff);
            let value = loss(options.loss, model.forward(x, true), y);
            let gradients = GradientsParams::from_grads(value.backward(), &model);
            let value: f32 = value.into_scalar();
            model = optimizer.step(options.learning_rate, model, gradients);
            loss_sum += value;
            if !on_event(TrainEvent::Step {
                epoch,
                step: step + 1,
                steps,
                loss: value,
            }) {
                stopped = StopReason::Cancelled;
                break 'epochs;
            }
        }
        let inference = model.valid();
        let (validation_loss, validation_dice) = evaluate(
            &inference,
            config,
            options,
            samples,
            &validation_set,
            device,
        );
        let mean_dice = validation_dice.iter().sum::<f32>() / validation_dice.len().max(1) as f32;
        let improved = best.as_ref().is_none_or(|(score, _)| mean_dice > *score);
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / steps.max(1) as f32,
            validation_loss,
            validation_dice,
            improved,
        };
        if improved {
            best = Some((mean_dice, inference));
            stale = 0;
        } else {
            stale += 1;
        }
        history.push(report);
        if !on_event(TrainEvent::Epoch(history.last().expect("just pushed"))) {
            stopped = StopReason::Cancelled;
            break;
        }
        if stale >= options.patience {
            stopped = StopReason::EarlyStopping;
            break;
        }
    }
    let kept = if options.keep_best {
        history.iter().rfind(|r| r.improved)
    } else {
        history.last()
    };
    let metrics = metrics(config, kept);
    let model = match best {
        Some((_, model)) if options.keep_best => model,
        _ => model.valid(),
    };
    Ok(TrainOutcome {
        model,
        header: header(metrics),
        history,
        stopped,
    })
}

/// `{"dice_<class>": …, "epoch": …}` of the kept epoch.
fn metrics(config: &ModelConfig, best: Option<&EpochReport>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if let Some(report) = best {
        for (class, dice) in config.classes.iter().skip(1).zip(&report.validation_dice) {
            let key = format!("dice_{}", class.to_lowercase().replace(' ', "_"));
            map.insert(key, serde_json::json!(dice));
        }
        map.insert("epoch".into(), serde_json::json!(report.epoch));
        map.insert(
            "validation_loss".into(),
            serde_json::json!(report.validation_loss),
        );
    }
    serde_json::Value::Object(map)
}

/// Sample indices for training and validation; whole groups go to one side.
fn split_by_group(
    groups: &[u32],
    fraction: f32,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), TrainError> {
    let mut distinct: Vec<u32> = groups.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(TrainError::TooFewClips(distinct.len()));
    }
    distinct.shuffle(&mut StdRng::seed_from_u64(seed ^ 0x5a11));
    let held_out =
        ((distinct.len() as f32 * fraction).round() as usize).clamp(1, distinct.len() - 1);
    let validation: std::collections::HashSet<u32> = distinct[..held_out].iter().copied().collect();
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, group) in groups.iter().enumerate() {
        if validation.contains(group) {
            valid.push(i)
        } else {
            train.push(i)
        }
    }
    Ok((train, valid))
}

/// Input `[b, 1, s, s]` and one-hot targets of a batch.
fn tensors(batch: &[Sample], config: &ModelConfig, device: &Device) -> (Tensor<4>, Tensor<4>) {
    let size = config.input_size;
    let data: Vec<f32> = batch.iter().flat_map(|s| s.image.iter().copied()).collect();
    let x = Tensor::from_data(TensorData::new(data, [batch.len(), 1, size, size]), device);
    let labels: Vec<&[u8]> = batch.iter().map(|s| s.labels.as_slice()).collect();
    (x, one_hot(&labels, config.classes.len(), size, device))
}

/// Validation loss and Dice per foreground class (dropout off).
fn evaluate(
    model: &McdUNet,
    config: &ModelConfig,
    options: &TrainOptions,
    samples: &[Sample],
    indices: &[usize],
    device: &Device,
) -> (f32, Vec<f32>) {
    let classes = config.classes.len();
    let mut overlap = DiceCounts::new(classes);
    let mut loss_sum = 0.0;
    let mut batches = 0;
    for chunk in indices.chunks(options.batch_size.max(1)) {
        let batch: Vec<Sample> = chunk.iter().map(|&i| samples[i].clone()).collect();
        let (x, y) = tensors(&batch, config, device);
        let logits = model.forward(x, false);
        loss_sum += loss(options.loss, logits.clone(), y).into_scalar::<f32>();
        batches += 1;
        let predicted: Vec<i64> = logits
            .argmax(1)
            .try_into_vec_as::<i64>()
            .expect("the device returns its tensors");
        let truth: Vec<u8> = batch
            .iter()
            .flat_map(|s| s.labels.iter().copied())
            .collect();
        overlap.add(
            &predicted.iter().map(|&c| c as u8).collect::<Vec<_>>(),
            &truth,
        );
    }
    (loss_sum / batches.max(1) as f32, overlap.dice())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{tiny_config, tiny_samples};
    use super::*;

    #[test]
    fn training_lowers_the_loss_keeps_the_best_epoch_and_can_be_cancelled() {
        let (samples, groups) = tiny_samples(4);
        let options = TrainOptions {
            learning_rate: 3e-3,
            max_epochs: 4,
            patience: 4,
            ..TrainOptions::default()
        };
        let mut steps = 0;
        let outcome = train(
            &tiny_config(),
            &options,
            &samples,
            &groups,
            None,
            &Device::flex(),
            |event| {
                if let TrainEvent::Step { .. } = event {
                    steps += 1;
                }
                true
            },
        )
        .unwrap();
        assert_eq!(outcome.history.len(), 4);
        assert_eq!(outcome.stopped, StopReason::MaxEpochs);
        assert!(steps >= 4);
        let (first, last) = (&outcome.history[0], outcome.history.last().unwrap());
        assert!(
            last.train_loss < first.train_loss,
            "{} → {}",
            first.train_loss,
            last.train_loss
        );
        let kept = outcome.history.iter().rfind(|r| r.improved).unwrap();
        assert!(
            outcome
                .history
                .iter()
                .all(|r| r.mean_dice() <= kept.mean_dice())
        );
        assert_eq!(outcome.header.metrics["epoch"], kept.epoch);

        let cancelled = train(
            &tiny_config(),
            &options,
            &samples,
            &groups,
            None,
            &Device::flex(),
            |_| false,
        )
        .unwrap();
        assert_eq!(cancelled.stopped, StopReason::Cancelled);
    }

    #[test]
    fn a_single_clip_cannot_be_split_for_validation() {
        let (samples, _) = tiny_samples(1);
        let groups = vec![0; samples.len()];
        let error = train(
            &tiny_config(),
            &TrainOptions::default(),
            &samples,
            &groups,
            None,
            &Device::flex(),
            |_| true,
        );
        assert!(matches!(error, Err(TrainError::TooFewClips(1))));
    }
}
