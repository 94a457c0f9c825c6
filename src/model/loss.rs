//! Training losses on class logits `[batch, classes, h, w]` against one-hot
//! targets of the same shape.

use burn::prelude::*;
use burn::tensor::activation;
use serde::{Deserialize, Serialize};

/// Which loss a model is trained with (the multi-loss ensemble trains one of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Cross-entropy (binary cross-entropy when there are two classes).
    #[value(name = "bce")]
    CrossEntropy,
    /// Soft Dice over the foreground classes.
    Dice,
    /// The sum of both.
    #[default]
    #[value(name = "bce-dice")]
    CrossEntropyDice,
}

impl LossKind {
    pub fn name(self) -> &'static str {
        match self {
            LossKind::CrossEntropy => "bce",
            LossKind::Dice => "dice",
            LossKind::CrossEntropyDice => "bce-dice",
        }
    }
}

/// Smooths the Dice ratio for classes absent from a batch.
const DICE_SMOOTHING: f32 = 1.0;

pub fn loss(kind: LossKind, logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    match kind {
        LossKind::CrossEntropy => cross_entropy(logits, targets),
        LossKind::Dice => dice_loss(logits, targets),
        LossKind::CrossEntropyDice => {
            cross_entropy(logits.clone(), targets.clone()) + dice_loss(logits, targets)
        }
    }
}

/// Mean over pixels of −Σ_c y_c log softmax(z)_c.
pub fn cross_entropy(logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    (activation::log_softmax(logits, 1) * targets)
        .sum_dim(1)
        .mean()
        .neg()
}

/// 1 − mean over foreground classes of (2|P∩Y| + s) / (|P| + |Y| + s), with P
/// the softmax probabilities summed over the batch.
pub fn dice_loss(logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    let [_, classes, _, _] = logits.dims();
    let probabilities = activation::softmax(logits, 1).narrow(1, 1, classes - 1);
    let targets = targets.narrow(1, 1, classes - 1);
    let intersection = (probabilities.clone() * targets.clone()).sum_dims(&[0, 2, 3]);
    let total = probabilities.sum_dims(&[0, 2, 3]) + targets.sum_dims(&[0, 2, 3]);
    let dice = (intersection * 2.0 + DICE_SMOOTHING) / (total + DICE_SMOOTHING);
    dice.mean().neg() + 1.0
}

/// One-hot targets `[batch, classes, size, size]` from class-index masks.
pub fn one_hot(labels: &[&[u8]], classes: usize, size: usize, device: &Device) -> Tensor<4> {
    let pixels = size * size;
    let mut data = vec![0f32; labels.len() * classes * pixels];
    for (b, mask) in labels.iter().enumerate() {
        for (i, &class) in mask.iter().enumerate() {
            let class = usize::from(class).min(classes - 1);
            data[(b * classes + class) * pixels + i] = 1.0;
        }
    }
    Tensor::from_data(
        TensorData::new(data, [labels.len(), classes, size, size]),
        device,
    )
}
