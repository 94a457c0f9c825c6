//! `echolabel simulate`: the active-learning loop on a fully labelled folder
//! (phantom, PNG or CAMUS layout) with the ground truth as oracle; learning
//! curves as CSV.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::active::Strategy;
use crate::active::simulation::{SemiSupervised, SimulationConfig, simulate, summarise};
use crate::model::dataset::{read_dataset, to_samples};
use crate::model::{DevicePreference, ModelConfig, TrainOptions};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// A fully labelled folder, its layout detected: the phantom layout
    /// (`echolabel phantom` output: <clip>.json, <clip>.dcm, <clip>_gt/),
    /// PNG folders (images/NAME.png with class masks masks/NAME.png, clips
    /// grouped by the name before the last `_`), or CAMUS
    /// (patientXXXX/patientXXXX_{2CH,4CH}_{ED,ES}[_gt].nii.gz).
    #[arg(long)]
    pub data: PathBuf,
    /// Strategies to compare.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "random,mc-entropy"
    )]
    pub strategy: Vec<Strategy>,
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Frames labelled per round.
    #[arg(long, default_value_t = 8)]
    pub budget: usize,
    /// Frames labelled at random before the first round.
    #[arg(long, default_value_t = 8)]
    pub initial: usize,
    /// Number of seeds (runs per strategy): 1, 2, … K.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// Network input size and first-level filters (small keeps many rounds affordable).
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    #[arg(long, default_value_t = 8)]
    pub filters: usize,
    /// Training epochs per round (early stopping still applies).
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// MC passes when scoring the pool.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Add model pseudo-labels each round: CEAL (confident frames) or SSAL
    /// (mid-uncertainty frames with stable masks).
    #[arg(long, value_enum)]
    pub semi: Option<SemiMode>,
    /// CEAL: starting mean-entropy threshold and its decay per round.
    #[arg(long, default_value_t = 0.03)]
    pub ceal_threshold: f32,
    #[arg(long, default_value_t = 0.002)]
    pub ceal_decay: f32,
    /// SSAL: entropy quantile range and the largest threshold instability accepted.
    #[arg(long, default_value_t = 0.3)]
    pub ssal_low: f32,
    #[arg(long, default_value_t = 0.7)]
    pub ssal_high: f32,
    #[arg(long, default_value_t = 0.05)]
    pub ssal_max_instability: f32,
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SemiMode {
    Ceal,
    Ssal,
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    if let Some(strategy) = args.strategy.iter().find(|s| {
        matches!(
            s,
            Strategy::EnsembleEntropy | Strategy::EnsembleDisagreement
        )
    }) {
        anyhow::bail!(
            "{strategy:?} needs an ensemble of models per round, which simulate does not train yet"
        );
    }
    let compute = super::compute_device(args.device)?;
    let clips = read_dataset(&args.data)?;
    let frames: Vec<_> = clips.into_iter().flat_map(|c| c.frames).collect();
    let (samples, groups) = to_samples(&frames, args.size);
    let config = SimulationConfig {
        strategies: args.strategy.clone(),
        rounds: args.rounds,
        budget: args.budget,
        initial: args.initial,
        seeds: (1..=args.seeds).collect(),
        model: ModelConfig::camus(args.size, args.filters),
        training: TrainOptions {
            max_epochs: args.epochs,
            learning_rate: 1e-3,
            ..TrainOptions::default()
        },
        samples: args.samples,
        test_fraction: 0.25,
        semi: match args.semi {
            None => SemiSupervised::None,
            Some(SemiMode::Ceal) => SemiSupervised::Ceal {
                threshold: args.ceal_threshold,
                decay: args.ceal_decay,
            },
            Some(SemiMode::Ssal) => SemiSupervised::Ssal {
                low: args.ssal_low,
                high: args.ssal_high,
                max_instability: args.ssal_max_instability,
            },
        },
    };
    config.model.validate().map_err(anyhow::Error::msg)?;
    let points = simulate(&samples, &groups, &config, &compute.device, |message| {
        eprintln!("{message}");
        true
    });
    if points.is_empty() {
        anyhow::bail!(
            "{}: no round could be trained (too few frames or clips?)",
            args.data.display()
        );
    }
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let curve = args.out.join("curve.csv");
    let mut writer = csv::Writer::from_path(&curve).with_context(|| curve.display().to_string())?;
    for point in &points {
        writer.serialize(point)?;
    }
    writer.flush()?;
    let summary = args.out.join("summary.csv");
    let mut writer =
        csv::Writer::from_path(&summary).with_context(|| summary.display().to_string())?;
    writer.write_record([
        "strategy",
        "mode",
        "round",
        "labelled_percent",
        "dice_mean",
        "dice_sd",
    ])?;
    for (strategy, round, percent, mean, sd) in summarise(&points) {
        let name = serde_json::to_value(strategy)?
            .as_str()
            .unwrap_or_default()
            .to_string();
        writer.write_record([
            name,
            config.semi.name().to_string(),
            round.to_string(),
            format!("{percent:.2}"),
            format!("{mean:.4}"),
            format!("{sd:.4}"),
        ])?;
        println!("{strategy:?} round {round}: {percent:.1}% labelled, Dice {mean:.3} ± {sd:.3}");
    }
    writer.flush()?;
    eprintln!("curves in {} and {}", curve.display(), summary.display());
    Ok(ExitCode::SUCCESS)
}
