//! Acquisition strategies: rank a pool of unlabelled frames and take a
//! budget of them for the annotator.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::batch::{BatchRule, Draw, Place, choose_batch, draw_order, keep_apart};
use super::diversity::{fuzzy_c_means, greedy_k_center, pca};
use crate::model::uncertainty::entropy;
use crate::model::{Architecture, LossKind, ModelConfig, UncertaintyMaps, UncertaintyScores};

/// What is known about one unlabelled frame.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// Its clip and frame (batches keep frames of a clip apart).
    pub place: Place,
    /// Mean predicted foreground probability (1 − P(background)).
    pub foreground: f32,
    /// Share of the frame predicted LV cavity: large near ED, small near ES.
    pub lv_fraction: f32,
    pub scores: UncertaintyScores,
    /// Encoder features (the diversity strategies' space).
    pub embedding: Vec<f32>,
    /// From an ensemble's members' mean probabilities, when one was run.
    pub ensemble: Option<EnsembleScores>,
}

/// Mean over pixels of the ensemble's predictive entropy and of the members'
/// disagreement (entropy of the mean minus mean entropy: the ensemble's BALD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EnsembleScores {
    pub entropy: f32,
    pub disagreement: f32,
}

impl EnsembleScores {
    /// From each member's class-major mean probabilities (`classes × pixels`).
    pub fn of(members: &[&[f32]], classes: usize) -> EnsembleScores {
        let pixels = members.first().map_or(0, |m| m.len() / classes.max(1));
        if pixels == 0 {
            return EnsembleScores::default();
        }
        let count = members.len() as f32;
        let (mut total, mut expected) = (0.0, 0.0);
        for i in 0..pixels {
            let mean = (0..classes)
                .map(|c| members.iter().map(|m| m[c * pixels + i]).sum::<f32>() / count);
            total += entropy(mean);
            expected += members
                .iter()
                .map(|m| entropy((0..classes).map(|c| m[c * pixels + i])))
                .sum::<f32>()
                / count;
        }
        EnsembleScores {
            entropy: total / pixels as f32,
            disagreement: (total - expected) / pixels as f32,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Frames drawn at random (the baseline).
    Random,
    /// Mean per-pixel least confidence (1 − top class probability) of the
    /// MC mean prediction.
    PixelWise,
    /// Mean entropy of one deterministic pass.
    MaxEntropy,
    /// Mean per-pixel entropy of the MC mean prediction.
    McEntropy,
    /// Mean per-pixel variance of the MC passes.
    McVariance,
    /// Mean per-pixel BALD: where the MC passes disagree, not merely where all are unsure.
    Bald,
    /// Entropy of the mean prediction of the multi-loss ensemble (the
    /// network trained with BCE, with Dice and with BCE+Dice).
    MultiLossEntropy,
    /// Disagreement between the multi-loss ensemble's members.
    MultiLossDisagreement,
    /// Entropy of the mean prediction of the multi-architecture ensemble
    /// (U-Net, ResUNet, ResUNet++).
    MultiArchitectureEntropy,
    /// Disagreement between the multi-architecture ensemble's members.
    MultiArchitectureDisagreement,
    /// Frames drawn at random with probability ∝ their predicted
    /// foreground: a random baseline that does not waste labels on frames
    /// with little heart in them.
    ForegroundRandom,
    /// What a sensible person does: one frame per clip per round, clips with
    /// the fewest labels first, the ED-like frame (largest predicted LV)
    /// first, then the ES-like one (smallest), then any.
    KeyFramesFirst,
    /// Greedy K-Center on encoder embeddings (core-set).
    KCenter,
    /// The most typical frame of each fuzzy C-means cluster of the PCA-reduced embeddings.
    FuzzyCMeans,
    /// The most uncertain (MC entropy) frames, then K-Center among them.
    UncertaintyThenDiversity,
    /// K-Center over the pool, then the most uncertain among those.
    DiversityThenUncertainty,
}

/// How many more candidates a hybrid's first stage keeps than the budget.
const HYBRID_FACTOR: usize = 3;
/// PCA components before fuzzy C-means.
const PCA_COMPONENTS: usize = 8;

impl Strategy {
    /// The per-frame score of the score-ranked strategies (higher = ask first).
    pub fn score(self, candidate: &Candidate) -> Option<f32> {
        self.score_over(candidate, false)
    }

    /// The score over the whole image, or (`structures`) over the predicted
    /// structures' outline bands ([`crate::model::StructureBands`]); the
    /// ensembles' scores are over the image either way.
    pub fn score_over(self, candidate: &Candidate, structures: bool) -> Option<f32> {
        let s = &candidate.scores;
        let read = |score: &crate::model::MapScore| {
            if structures {
                score.structures
            } else {
                score.mean
            }
        };
        match self {
            Strategy::PixelWise => Some(read(&s.least_confidence)),
            Strategy::MaxEntropy => Some(read(&s.single_pass_entropy)),
            Strategy::McEntropy => Some(read(&s.entropy)),
            Strategy::McVariance => Some(read(&s.variance)),
            Strategy::Bald => Some(read(&s.bald)),
            Strategy::MultiLossEntropy | Strategy::MultiArchitectureEntropy => {
                candidate.ensemble.map(|e| e.entropy)
            }
            Strategy::MultiLossDisagreement | Strategy::MultiArchitectureDisagreement => {
                candidate.ensemble.map(|e| e.disagreement)
            }
            _ => None,
        }
    }

    /// Whether a [`BatchRule`] decides how the batch is drawn (the score
    /// strategies and the random baselines), rather than the strategy
    /// spreading it itself (diversity, hybrids, key frames first).
    pub fn uses_batch_rule(self) -> bool {
        !matches!(
            self,
            Strategy::KeyFramesFirst
                | Strategy::KCenter
                | Strategy::FuzzyCMeans
                | Strategy::UncertaintyThenDiversity
                | Strategy::DiversityThenUncertainty
        )
    }

    /// The ensemble whose members this strategy needs, if any.
    pub fn ensemble(self) -> Option<EnsembleKind> {
        match self {
            Strategy::MultiLossEntropy | Strategy::MultiLossDisagreement => {
                Some(EnsembleKind::MultiLoss)
            }
            Strategy::MultiArchitectureEntropy | Strategy::MultiArchitectureDisagreement => {
                Some(EnsembleKind::MultiArchitecture)
            }
            _ => None,
        }
    }

    /// Whether the strategy ranks by the model's uncertainty (rather than
    /// at random or by diversity alone).
    pub fn is_uncertainty_based(self) -> bool {
        !matches!(
            self,
            Strategy::Random
                | Strategy::ForegroundRandom
                | Strategy::KeyFramesFirst
                | Strategy::KCenter
                | Strategy::FuzzyCMeans
        )
    }

    /// The name used on the command line and in CSV files.
    pub fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// Models trained side by side whose disagreement ranks the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsembleKind {
    /// One architecture trained with each loss.
    MultiLoss,
    /// Each architecture trained with one loss.
    MultiArchitecture,
}

impl EnsembleKind {
    /// Each member's network and loss. The first member is the base model
    /// itself, so the ensemble costs two extra trainings, not three.
    pub fn members(self, base: &ModelConfig, loss: LossKind) -> Vec<(ModelConfig, LossKind)> {
        match self {
            EnsembleKind::MultiLoss => {
                let others = [
                    LossKind::CrossEntropyDice,
                    LossKind::CrossEntropy,
                    LossKind::Dice,
                ]
                .into_iter()
                .filter(|&other| other != loss);
                std::iter::once(loss)
                    .chain(others)
                    .map(|l| (base.clone(), l))
                    .collect()
            }
            EnsembleKind::MultiArchitecture => {
                let others = [
                    Architecture::UNet,
                    Architecture::ResUNet,
                    Architecture::ResUNetPlusPlus,
                ]
                .into_iter()
                .filter(|&a| a != base.architecture);
                std::iter::once(base.architecture)
                    .chain(others)
                    .map(|a| (base.clone().with_architecture(a), loss))
                    .collect()
            }
        }
    }
}

/// What the baselines read off a frame's prediction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameSummary {
    /// Mean predicted foreground probability.
    pub foreground: f32,
    /// Share of pixels predicted LV cavity (class 1).
    pub lv_fraction: f32,
}

impl FrameSummary {
    pub fn of(maps: &UncertaintyMaps) -> FrameSummary {
        let pixels = maps.width * maps.height;
        if pixels == 0 || maps.mean.len() < pixels {
            return FrameSummary::default();
        }
        let background: f32 = maps.mean[..pixels].iter().sum();
        let lv = maps.mask.iter().filter(|&&c| c == 1).count();
        FrameSummary {
            foreground: 1.0 - background / pixels as f32,
            lv_fraction: lv as f32 / pixels as f32,
        }
    }
}

/// What has been labelled so far: embeddings (for K-Center) and places
/// (for the key-frames baseline).
#[derive(Debug, Clone, Copy, Default)]
pub struct Labelled<'a> {
    pub embeddings: &'a [Vec<f32>],
    pub places: &'a [Place],
}

/// Indices of the `budget` candidates to label next, in asking order.
/// Score-ranked strategies and the random baselines draw their batch by
/// `rule` ([`super::batch`]); the diversity strategies and the key-frames
/// baseline spread their batch themselves.
pub fn select(
    strategy: Strategy,
    candidates: &[Candidate],
    labelled: Labelled<'_>,
    budget: usize,
    seed: u64,
    rule: &BatchRule,
) -> Vec<usize> {
    let budget = budget.min(candidates.len());
    let places: Vec<Place> = candidates.iter().map(|c| c.place).collect();
    match strategy {
        Strategy::Random => {
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.shuffle(&mut StdRng::seed_from_u64(seed));
            keep_apart(&order, &places, budget, rule)
        }
        Strategy::ForegroundRandom => {
            let weights: Vec<f32> = candidates.iter().map(|c| c.foreground).collect();
            let order = draw_order(&weights, Draw::Power { beta: 1.0 }, seed);
            keep_apart(&order, &places, budget, rule)
        }
        Strategy::KeyFramesFirst => key_frames_first(candidates, labelled.places, budget, seed),
        Strategy::KCenter => k_center(
            candidates,
            &(0..candidates.len()).collect::<Vec<_>>(),
            labelled.embeddings,
            budget,
        ),
        Strategy::FuzzyCMeans => typical_per_cluster(candidates, budget, seed),
        Strategy::UncertaintyThenDiversity => {
            let shortlist = top_by(
                Strategy::McEntropy,
                candidates,
                (0..candidates.len()).collect(),
                budget * HYBRID_FACTOR,
            );
            k_center(candidates, &shortlist, labelled.embeddings, budget)
        }
        Strategy::DiversityThenUncertainty => {
            let all: Vec<usize> = (0..candidates.len()).collect();
            let shortlist = k_center(
                candidates,
                &all,
                labelled.embeddings,
                budget * HYBRID_FACTOR,
            );
            top_by(Strategy::McEntropy, candidates, shortlist, budget)
        }
        scored => {
            let scores: Vec<f32> = candidates
                .iter()
                .map(|c| scored.score_over(c, rule.structures).unwrap_or(0.0))
                .collect();
            choose_batch(&scores, &places, budget, rule, seed)
        }
    }
}

/// One frame per clip, round-robin over clips from the least labelled; in
/// each clip the largest predicted LV first, then the smallest, then the
/// rest at random.
fn key_frames_first(
    candidates: &[Candidate],
    labelled: &[Place],
    budget: usize,
    seed: u64,
) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut clips: Vec<u32> = candidates.iter().map(|c| c.place.clip).collect();
    clips.sort_unstable();
    clips.dedup();
    clips.shuffle(&mut rng);
    let labels_of = |clip: u32| labelled.iter().filter(|p| p.clip == clip).count();
    clips.sort_by_key(|&clip| labels_of(clip));
    let mut queues: Vec<Vec<usize>> = clips
        .iter()
        .map(|&clip| {
            let mut frames: Vec<usize> = (0..candidates.len())
                .filter(|&i| candidates[i].place.clip == clip)
                .collect();
            frames.shuffle(&mut rng);
            let lv = |i: &usize| candidates[*i].lv_fraction;
            let largest = frames
                .iter()
                .copied()
                .max_by(|a, b| lv(a).total_cmp(&lv(b)));
            let smallest = frames
                .iter()
                .copied()
                .min_by(|a, b| lv(a).total_cmp(&lv(b)));
            let mut queue: Vec<usize> = largest.into_iter().chain(smallest).collect();
            queue.dedup();
            let rest: Vec<usize> = frames.into_iter().filter(|i| !queue.contains(i)).collect();
            queue.extend(rest);
            // Taken from the back.
            queue.reverse();
            queue
        })
        .collect();
    let mut picked = Vec::with_capacity(budget);
    while picked.len() < budget && queues.iter().any(|q| !q.is_empty()) {
        for queue in &mut queues {
            if picked.len() == budget {
                break;
            }
            picked.extend(queue.pop());
        }
    }
    picked
}

/// The `take` of `among` with the highest `strategy` score (missing scores last).
fn top_by(
    strategy: Strategy,
    candidates: &[Candidate],
    mut among: Vec<usize>,
    take: usize,
) -> Vec<usize> {
    let score = |i: usize| strategy.score(&candidates[i]).unwrap_or(f32::NEG_INFINITY);
    among.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    among.truncate(take);
    among
}

/// Greedy K-Center restricted to `among`, away from the labelled embeddings.
fn k_center(
    candidates: &[Candidate],
    among: &[usize],
    labelled: &[Vec<f32>],
    take: usize,
) -> Vec<usize> {
    let mut points: Vec<Vec<f32>> = among
        .iter()
        .map(|&i| candidates[i].embedding.clone())
        .collect();
    let labelled_indices: Vec<usize> = (points.len()..points.len() + labelled.len()).collect();
    points.extend(labelled.iter().cloned());
    greedy_k_center(&points, &labelled_indices, take)
        .into_iter()
        .map(|p| among[p])
        .collect()
}

/// PCA, fuzzy C-means with `budget` clusters, then each cluster's member with
/// the highest membership.
fn typical_per_cluster(candidates: &[Candidate], budget: usize, seed: u64) -> Vec<usize> {
    if budget == 0 {
        return Vec::new();
    }
    let embeddings: Vec<Vec<f32>> = candidates.iter().map(|c| c.embedding.clone()).collect();
    let reduced = pca(&embeddings, PCA_COMPONENTS);
    let clusters = fuzzy_c_means(&reduced, budget, 2.0, 1e-4, seed);
    let mut picked: Vec<usize> = Vec::new();
    for k in 0..clusters.centres.len() {
        let best = (0..candidates.len())
            .filter(|i| !picked.contains(i))
            .max_by(|&a, &b| clusters.memberships[a][k].total_cmp(&clusters.memberships[b][k]));
        picked.extend(best);
    }
    picked
}

#[cfg(test)]
#[path = "strategies_tests.rs"]
mod tests;
