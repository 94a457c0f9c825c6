//! `echolabel simulate`: the active-learning loop on a fully labelled folder
//! (phantom, PNG or CAMUS layout) with the ground truth as oracle; learning
//! curves as CSV and a PNG figure, the full-data ceiling, the area under
//! each curve with its 95 % interval and the paired comparison with random,
//! and the labels each strategy saved over random.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::active::plot::write_learning_curves;
use crate::active::protocol::compare;
use crate::active::simulation::{
    FullData, SimulationConfig, full_data_dice, label_savings, simulate, summarise,
};
use crate::active::{BatchRule, Place, SemiSupervised, Strategy};
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
    /// Batch rules, comma-separated, each a curve of its own for the
    /// score-ranked strategies and the random baselines: top (top-k) or
    /// power[β] (drawn ∝ score^β), then -clipK (at most K frames of a clip per
    /// round) and -gapG (a clip's frames at least G apart).
    #[arg(long, value_delimiter = ',', default_value = "top,power1-clip1")]
    pub batch: Vec<BatchRule>,
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Frames labelled per round.
    #[arg(long, default_value_t = 8)]
    pub budget: usize,
    /// Frames labelled at random before the first round.
    #[arg(long, default_value_t = 8)]
    pub initial: usize,
    /// Number of seeds (runs per curve): 1, 2, … K. Curves of one seed start
    /// from the same labelled set, so they are compared in pairs.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// Network input size and first-level filters (small keeps many rounds affordable).
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    #[arg(long, default_value_t = 8)]
    pub filters: usize,
    /// Gradient steps (batches of 8) per round's training, whatever the
    /// labelled set's size (early stopping still applies).
    #[arg(long, default_value_t = 150)]
    pub steps: usize,
    /// Use every N-th frame of each clip (neighbouring frames are near
    /// copies); keep 1 for CAMUS, whose clips are an ED and an ES frame.
    #[arg(long, default_value_t = 1)]
    pub stride: usize,
    /// Skip the full-data training that gives the ceiling (one per seed).
    #[arg(long)]
    pub no_full_data: bool,
    /// MC passes when scoring the pool.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// How model pseudo-labels join each round, one curve per mode and
    /// strategy: none (active learning alone), CEAL (confident frames) or
    /// SSAL (mid-uncertainty frames with stable masks).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "none")]
    pub semi: Vec<SemiMode>,
    #[command(flatten)]
    pub semi_parameters: SemiParameters,
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
}

/// The thresholds of CEAL and SSAL (shared by `simulate` and `round`).
#[derive(Debug, clap::Args)]
pub struct SemiParameters {
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
}

impl SemiParameters {
    /// `mode` with these parameters.
    pub fn mode(&self, mode: SemiMode) -> SemiSupervised {
        match mode {
            SemiMode::None => SemiSupervised::None,
            SemiMode::Ceal => SemiSupervised::Ceal {
                threshold: self.ceal_threshold,
                decay: self.ceal_decay,
            },
            SemiMode::Ssal => SemiSupervised::Ssal {
                low: self.ssal_low,
                high: self.ssal_high,
                max_instability: self.ssal_max_instability,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SemiMode {
    None,
    Ceal,
    Ssal,
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let compute = super::compute_device(args.device)?;
    let clips = read_dataset(&args.data)?;
    let frames: Vec<_> = clips
        .into_iter()
        .flat_map(|c| c.frames)
        .filter(|f| (f.frame as usize).is_multiple_of(args.stride.max(1)))
        .collect();
    let (samples, _) = to_samples(&frames, args.size);
    let places = Place::of_frames(&frames);
    let config = SimulationConfig {
        strategies: args.strategy.clone(),
        rules: args.batch.clone(),
        rounds: args.rounds,
        budget: args.budget,
        initial: args.initial,
        seeds: (1..=args.seeds).collect(),
        model: ModelConfig::camus(args.size, args.filters),
        training: TrainOptions {
            learning_rate: 1e-3,
            ..TrainOptions::default()
        },
        steps: args.steps,
        samples: args.samples,
        test_fraction: 0.25,
        modes: args
            .semi
            .iter()
            .map(|&mode| args.semi_parameters.mode(mode))
            .collect(),
    };
    config.model.validate().map_err(anyhow::Error::msg)?;
    eprintln!(
        "{} frames from {} ({} per clip step)",
        samples.len(),
        args.data.display(),
        args.stride
    );
    let points = simulate(&samples, &places, &config, &compute.device, |message| {
        eprintln!("{message}");
        true
    });
    if points.is_empty() {
        anyhow::bail!(
            "{}: no round could be trained (too few frames or clips?)",
            args.data.display()
        );
    }
    let full: Vec<FullData> = if args.no_full_data {
        Vec::new()
    } else {
        config
            .seeds
            .iter()
            .filter_map(|&seed| {
                eprintln!("full data, seed {seed}");
                full_data_dice(&samples, &places, &config, seed, &compute.device)
            })
            .collect()
    };
    let full_mean =
        (!full.is_empty()).then(|| full.iter().map(|f| f.dice).sum::<f32>() / full.len() as f32);

    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let command: Vec<String> = std::env::args().collect();
    write_file(&args.out.join("command.txt"), &(command.join(" ") + "\n"))?;
    write_csv(&args.out.join("curve.csv"), &points)?;
    let summary = summarise(&points);
    write_csv(&args.out.join("summary.csv"), &summary)?;
    for row in &summary {
        let of_full = full_mean.map_or(String::new(), |f| {
            format!(" ({:.1}% of full data)", 100.0 * row.dice_mean / f)
        });
        println!(
            "{} round {}: {:.1}% labelled, Dice {:.3} ± {:.3} (95% interval){of_full}",
            row.curve(),
            row.round,
            row.labelled_percent,
            row.dice_mean,
            row.dice_ci95
        );
    }
    if !full.is_empty() {
        write_csv(&args.out.join("full_data.csv"), &full)?;
    }
    if let Some(f) = full_mean {
        println!("full data: Dice {f:.3}");
    }
    let comparison = compare(&points, &summary, full_mean);
    write_csv(&args.out.join("comparison.csv"), &comparison)?;
    for row in &comparison {
        let paired = match (row.vs_random_mean, row.vs_random_low, row.vs_random_high) {
            (Some(mean), Some(low), Some(high)) => format!(
                "; against random {mean:+.4} [{low:+.4}, {high:+.4}] over {} paired seeds{}",
                row.paired_seeds,
                if row.better_than_random {
                    ": better"
                } else {
                    ""
                }
            ),
            _ => String::new(),
        };
        let reach =
            |percent: Option<f32>| percent.map_or("never".to_string(), |p| format!("{p:.1}%"));
        println!(
            "{} {} {}: area under the curve {:.4} [{:.4}, {:.4}]{paired}; 95/97/99% of full data at {}/{}/{}",
            row.strategy.name(),
            row.batch,
            row.mode,
            row.auc_mean,
            row.auc_low,
            row.auc_high,
            reach(row.percent_to_95),
            reach(row.percent_to_97),
            reach(row.percent_to_99),
        );
    }
    let savings = label_savings(&summary);
    if !savings.is_empty() {
        write_csv(&args.out.join("savings.csv"), &savings)?;
        for saving in &savings {
            match saving.reached_at_percent {
                Some(percent) => println!(
                    "{} {} {}: reached random's final Dice {:.3} with {percent:.1}% labelled (random: {:.1}%)",
                    saving.strategy.name(),
                    saving.batch,
                    saving.mode,
                    saving.target_dice,
                    saving.reference_percent
                ),
                None => println!(
                    "{} {} {}: did not reach random's final Dice {:.3}",
                    saving.strategy.name(),
                    saving.batch,
                    saving.mode,
                    saving.target_dice
                ),
            }
        }
    }
    let figure = args.out.join("curves.png");
    let title = format!(
        "{} — {} seed(s), budget {} per round",
        args.data.file_name().map_or_else(
            || args.data.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        ),
        args.seeds,
        args.budget
    );
    write_learning_curves(&figure, &title, &summary, full_mean)?;
    eprintln!("curves in {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

fn write_csv<T: serde::Serialize>(path: &std::path::Path, rows: &[T]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path).with_context(|| path.display().to_string())?;
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush().with_context(|| path.display().to_string())
}

fn write_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| path.display().to_string())
}
