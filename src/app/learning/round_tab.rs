//! The round tab: the form of a round's settings (strategy, how its batch is
//! drawn, budget, pool, MC passes, pseudo-labels, retraining, seed) and the
//! history of rounds.
//! The form is the tab's own state; [`RoundForm::settings`] is all a round
//! needs of it.

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::Overview;
use crate::active::round::{RoundBudget, RoundSettings};
use crate::active::{BatchRule, Draw, SemiSupervised, Strategy};
use crate::model::{ModelConfig, TrainOptions};
use crate::modelling::ProjectTraining;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum SemiChoice {
    None,
    Ceal,
    Ssal,
}

/// The round settings as the form edits them; remembered between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoundForm {
    strategy: Strategy,
    batch: BatchRule,
    by_percent: bool,
    frames: usize,
    percent: f32,
    samples: usize,
    semi: SemiChoice,
    /// CEAL: mean-entropy threshold and its decay per round.
    ceal_threshold: f32,
    ceal_decay: f32,
    /// SSAL: entropy quantile range and the largest threshold instability.
    ssal_range: (f32, f32),
    ssal_max_instability: f32,
    stride: u32,
    retrain: bool,
    seed: u64,
}

impl Default for RoundForm {
    fn default() -> Self {
        RoundForm {
            strategy: Strategy::McEntropy,
            batch: BatchRule::TOP_K,
            by_percent: false,
            frames: 8,
            percent: 10.0,
            samples: 8,
            semi: SemiChoice::None,
            ceal_threshold: 0.03,
            ceal_decay: 0.002,
            ssal_range: (0.3, 0.7),
            ssal_max_instability: 0.05,
            stride: 8,
            retrain: true,
            seed: 1,
        }
    }
}

/// Strategies the desktop runs (ensembles need several models trained per
/// round; `echolabel simulate` compares them).
const DESKTOP_STRATEGIES: [Strategy; 12] = [
    Strategy::McEntropy,
    Strategy::Bald,
    Strategy::McVariance,
    Strategy::MaxEntropy,
    Strategy::PixelWise,
    Strategy::KCenter,
    Strategy::FuzzyCMeans,
    Strategy::UncertaintyThenDiversity,
    Strategy::DiversityThenUncertainty,
    Strategy::Random,
    Strategy::ForegroundRandom,
    Strategy::KeyFramesFirst,
];

/// The batch rules the form offers, with what each does.
const BATCH_RULES: [(BatchRule, &str); 4] = [
    (BatchRule::TOP_K, "the highest scores (top-k)"),
    (
        BatchRule {
            draw: Draw::Top,
            per_clip: 1,
            ..BatchRule::TOP_K
        },
        "the highest scores, one frame per clip",
    ),
    (
        BatchRule {
            draw: Draw::Power { beta: 1.0 },
            ..BatchRule::TOP_K
        },
        "drawn in proportion to the score (power sampling)",
    ),
    (
        BatchRule::DEFAULT,
        "drawn in proportion to the score, one frame per clip",
    ),
];

impl RoundForm {
    /// Whether every value is one the form's own fields allow (a
    /// remembered form may come from a hand-edited file).
    pub fn is_valid(&self) -> bool {
        let unit = 0.0..=1.0;
        (1..=500).contains(&self.frames)
            && (0.5..=100.0).contains(&self.percent)
            && (1..=64).contains(&self.stride)
            && (2..=64).contains(&self.samples)
            && (0.0..=2.0).contains(&self.ceal_threshold)
            && (0.0..=0.5).contains(&self.ceal_decay)
            && unit.contains(&self.ssal_range.0)
            && unit.contains(&self.ssal_range.1)
            && unit.contains(&self.ssal_max_instability)
    }

    /// The settings of a round as the form stands, training (when asked) a
    /// model shaped like `config`.
    pub(super) fn settings(&self, config: ModelConfig) -> RoundSettings {
        let form = self;
        RoundSettings {
            strategy: form.strategy,
            batch: form.batch,
            budget: if form.by_percent {
                RoundBudget::Percent(form.percent)
            } else {
                RoundBudget::Frames(form.frames)
            },
            samples: form.samples,
            semi: match form.semi {
                SemiChoice::None => SemiSupervised::None,
                SemiChoice::Ceal => SemiSupervised::Ceal {
                    threshold: form.ceal_threshold,
                    decay: form.ceal_decay,
                },
                SemiChoice::Ssal => SemiSupervised::Ssal {
                    low: form.ssal_range.0,
                    high: form.ssal_range.1,
                    max_instability: form.ssal_max_instability,
                },
            },
            stride: form.stride,
            seed: form.seed,
            retrain: form.retrain.then(|| ProjectTraining {
                config,
                options: TrainOptions::default(),
                // Read from the project when the round trains.
                include_pseudo_labels: true,
                warm_start: true,
                out: None,
            }),
        }
    }

    /// The seed moves on after each round so the next random round differs;
    /// it is stored with each round.
    pub(super) fn advance_seed(&mut self) {
        self.seed += 1;
    }
}

/// The settings form and the round history; true when Start was pressed.
pub(super) fn round_ui(
    ui: &mut egui::Ui,
    form: &mut RoundForm,
    overview: &Overview,
    model_ready: bool,
    running: bool,
) -> bool {
    let mut start = false;
    egui::Grid::new("round form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        ui.label("Strategy");
        egui::ComboBox::from_id_salt("strategy")
            .selected_text(form.strategy.name())
            .show_ui(ui, |ui| {
                for strategy in DESKTOP_STRATEGIES {
                    ui.selectable_value(&mut form.strategy, strategy, strategy.name());
                }
            });
        ui.end_row();
        ui.label("Batch");
        let uses_rule = form.strategy.uses_batch_rule();
        ui.add_enabled_ui(uses_rule, |ui| {
            let same_draw = |rule: &BatchRule| BatchRule {
                structures: form.batch.structures,
                ..*rule
            } == form.batch;
            let current = BATCH_RULES
                .iter()
                .find(|(rule, _)| same_draw(rule))
                .map_or_else(|| form.batch.name(), |(_, text)| text.to_string());
            egui::ComboBox::from_id_salt("batch rule")
                .selected_text(if uses_rule {
                    current
                } else {
                    "spread by the strategy itself".to_string()
                })
                .show_ui(ui, |ui| {
                    for (rule, text) in BATCH_RULES {
                        let rule = BatchRule {
                            structures: form.batch.structures,
                            ..rule
                        };
                        ui.selectable_value(&mut form.batch, rule, text);
                    }
                });
            ui.checkbox(&mut form.batch.structures, "score the outlines")
                .on_hover_text(
                    "Read each frame's uncertainty over the band around each predicted \
                     structure's outline, not the whole image (mostly sure background)",
                );
        });
        ui.end_row();
        ui.label("Budget");
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.by_percent, false, "frames");
            ui.add_enabled(!form.by_percent, egui::DragValue::new(&mut form.frames).range(1..=500));
            ui.radio_value(&mut form.by_percent, true, "% of pool");
            ui.add_enabled(
                form.by_percent,
                egui::DragValue::new(&mut form.percent).range(0.5..=100.0).speed(0.5).suffix(" %"),
            );
        });
        ui.end_row();
        ui.label("Pool");
        ui.horizontal(|ui| {
            ui.label("key frames, and one frame in every");
            ui.add(egui::DragValue::new(&mut form.stride).range(1..=64));
            ui.label("of each clip");
        });
        ui.end_row();
        ui.label("MC passes");
        ui.add(egui::DragValue::new(&mut form.samples).range(2..=64));
        ui.end_row();
        ui.label("Pseudo-labels");
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.semi, SemiChoice::None, "none");
            ui.radio_value(&mut form.semi, SemiChoice::Ceal, "CEAL (confident frames)")
                .on_hover_text("Frames the model is sure of (low MC entropy) become pseudo-labels for review");
            ui.radio_value(&mut form.semi, SemiChoice::Ssal, "SSAL (stable mid-uncertainty)")
                .on_hover_text("Frames of middling uncertainty whose mask hardly moves with the probability threshold");
        });
        ui.end_row();
        match form.semi {
            SemiChoice::None => {}
            SemiChoice::Ceal => {
                ui.label("");
                ui.horizontal(|ui| {
                    ui.label("mean entropy ≤");
                    ui.add(egui::DragValue::new(&mut form.ceal_threshold).range(0.0..=2.0).speed(0.001).max_decimals(3));
                    ui.label("less per round");
                    ui.add(egui::DragValue::new(&mut form.ceal_decay).range(0.0..=0.5).speed(0.001).max_decimals(3));
                });
                ui.end_row();
            }
            SemiChoice::Ssal => {
                ui.label("");
                ui.horizontal(|ui| {
                    ui.label("entropy quantiles");
                    ui.add(egui::DragValue::new(&mut form.ssal_range.0).range(0.0..=1.0).speed(0.01));
                    ui.label("to");
                    ui.add(egui::DragValue::new(&mut form.ssal_range.1).range(0.0..=1.0).speed(0.01));
                    ui.label("instability ≤");
                    ui.add(egui::DragValue::new(&mut form.ssal_max_instability).range(0.0..=1.0).speed(0.005).max_decimals(3));
                });
                ui.end_row();
            }
        }
        ui.label("Retrain first");
        ui.checkbox(&mut form.retrain, "train a new model version from the finished annotations");
        ui.end_row();
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut form.seed));
        ui.end_row();
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let button = ui.add_enabled(model_ready && !running, egui::Button::new("Start round"));
        if button.clicked() {
            start = true;
        }
        if running {
            ui.spinner();
            ui.label("a round is running (progress and Cancel in the status bar)");
        } else if !model_ready {
            ui.weak("waiting for the model and device…");
        }
    });
    ui.separator();
    ui.label(egui::RichText::new("Rounds").strong());
    if overview.rounds.is_empty() {
        ui.weak("No rounds yet.");
        return start;
    }
    egui::ScrollArea::vertical()
        .id_salt("rounds")
        .max_height(200.0)
        .show(ui, |ui| {
            egui::Grid::new("rounds")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for heading in ["round", "strategy", "budget", "seed", "model"] {
                        ui.label(egui::RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for round in overview.rounds.iter().rev() {
                        ui.label(round.id.to_string());
                        ui.label(&round.strategy);
                        ui.label(round.budget.to_string());
                        ui.label(round.seed.map_or("–".to_string(), |s| s.to_string()));
                        ui.label(
                            round
                                .model_version_id
                                .map_or("starting model".to_string(), |v| format!("version {v}")),
                        );
                        ui.end_row();
                    }
                });
        });
    start
}
