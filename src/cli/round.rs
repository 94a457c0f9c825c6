//! `echolabel round`: one active-learning round on a project, headless (the
//! same work as the desktop's "Start round"): optionally retrain, score the
//! pool, queue frames for annotators, add CEAL/SSAL pseudo-labels for review.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::active::round::{RoundBudget, RoundProgress, RoundSettings, run_round};
use crate::active::{BatchRule, Strategy};
use crate::model::{DevicePreference, TrainEvent, TrainOptions};
use crate::modelling::{ModelChoice, ProjectTraining};
use crate::store::Project;

#[derive(Debug, clap::Args)]
pub struct RoundArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// How to rank the pool (the ensemble strategies need `simulate`).
    #[arg(long, value_enum, default_value = "mc-entropy")]
    pub strategy: Strategy,
    /// How the strategy's scores become a batch: top (top-k) or power[β]
    /// (drawn ∝ score^β), then -clipK (at most K frames per clip) and -gapG
    /// (a clip's frames at least G apart), e.g. power1-clip1.
    #[arg(long, default_value = "top")]
    pub batch: BatchRule,
    /// Frames to queue for annotators.
    #[arg(long, default_value_t = 8, conflicts_with = "budget_percent")]
    pub budget: usize,
    /// Queue this share of the pool (percent) instead.
    #[arg(long)]
    pub budget_percent: Option<f32>,
    /// Every N-th frame of each clip joins the pool (key frames always do).
    #[arg(long, default_value_t = 8)]
    pub stride: u32,
    /// MC passes per frame.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Pseudo-labels for review: CEAL (confident frames) or SSAL
    /// (mid-uncertainty frames whose mask is stable under threshold variance).
    #[arg(long, value_enum, default_value = "none")]
    pub semi: super::simulate::SemiMode,
    #[command(flatten)]
    pub semi_parameters: super::simulate::SemiParameters,
    /// Train a new model version from the finished annotations first.
    #[arg(long)]
    pub retrain: bool,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
}

pub fn run(args: &RoundArgs) -> anyhow::Result<ExitCode> {
    let compute = super::compute_device(args.device)?;
    let mut project = Project::open(&args.project)?;
    let retrain = if args.retrain {
        let config = ModelChoice::for_project(&project)
            .and_then(|choice| Ok(choice.header()?))
            .map_err(anyhow::Error::msg)?
            .config;
        Some(ProjectTraining {
            config,
            options: TrainOptions::default(),
            // As the project's policy says.
            include_pseudo_labels: true,
            warm_start: true,
            out: None,
        })
    } else {
        None
    };
    let settings = RoundSettings {
        strategy: args.strategy,
        batch: args.batch,
        budget: match args.budget_percent {
            Some(percent) => RoundBudget::Percent(percent),
            None => RoundBudget::Frames(args.budget),
        },
        samples: args.samples,
        semi: args.semi_parameters.mode(args.semi),
        stride: args.stride,
        seed: args.seed,
        retrain,
    };
    let outcome = run_round(&mut project, &settings, &compute, |event| {
        match event {
            RoundProgress::Training(TrainEvent::Epoch(report)) => eprintln!(
                "epoch {}: validation Dice {:.3}",
                report.epoch,
                report.mean_dice()
            ),
            RoundProgress::Training(TrainEvent::Step { .. }) => {}
            RoundProgress::Scoring { done, total } => eprintln!("scoring {done}/{total}"),
        }
        true
    })
    .map_err(anyhow::Error::msg)?
    .ok_or_else(|| anyhow::anyhow!("the round was cancelled"))?;
    if let Some(note) = &outcome.training_note {
        eprintln!("{note}");
    }
    for problem in &outcome.skipped {
        eprintln!("left out: {problem}");
    }
    println!(
        "round {}: {} scored {} frames; queued {}, {} pseudo-label contour(s) to review",
        outcome.round_id,
        outcome.model_name,
        outcome.pool,
        outcome.queued.len(),
        outcome.pseudo_labels
    );
    for (rank, frame) in outcome.queued.iter().enumerate() {
        println!(
            "{:>3}. clip {} frame {} score {:.4}",
            rank + 1,
            frame.clip_id,
            frame.frame + 1,
            frame.score
        );
    }
    Ok(ExitCode::SUCCESS)
}
