//! `echolabel train`: trains the MCD U-Net on a project's finished annotations
//! (a new model version, warm-started from the last) or on generated phantom
//! clips (how the shipped starting model is made).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::model::dataset::{phantom_clips, to_samples};
use crate::model::{DevicePreference, LossKind, TrainEvent, TrainOptions, checkpoint, train};
use crate::modelling::{ProjectTraining, train_project};
use crate::store::Project;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Train on this project's finished annotations; the model becomes a new model version.
    #[arg(
        long,
        required_unless_present = "phantom_clips",
        conflicts_with = "phantom_clips"
    )]
    pub project: Option<PathBuf>,
    /// Train on this many generated phantom clips instead (`--seed` picks them).
    #[arg(long)]
    pub phantom_clips: Option<u32>,
    /// Seed of the phantom clips, the split and the augmentation.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Use every n-th frame of each phantom clip.
    #[arg(long, default_value_t = 2)]
    pub frame_stride: usize,
    /// Where to write the model (default with --project: the project's checkpoints/ folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub loss: LossKind,
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Epochs without a better validation Dice before stopping.
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-4)]
    pub learning_rate: f64,
    #[command(flatten)]
    pub network: super::network::NetworkArgs,
    /// Segment the LV only (binary) instead of the three CAMUS structures.
    #[arg(long)]
    pub lv_only: bool,
    /// Also learn from pseudo-labels a reviewer accepted.
    #[arg(long)]
    pub include_pseudo_labels: bool,
    /// Start from random weights even when the project has a compatible model.
    #[arg(long)]
    pub cold_start: bool,
    /// Where the model runs (default: `ECHOLABEL_DEVICE`, else a GPU if there is one, else the CPU).
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
}

pub fn run(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let config = args.network.config(args.lv_only);
    config.validate().map_err(anyhow::Error::msg)?;
    let compute = super::compute_device(args.device)?;
    let options = TrainOptions {
        loss: args.loss,
        learning_rate: args.learning_rate,
        batch_size: args.batch_size,
        max_epochs: args.epochs,
        patience: args.patience,
        seed: args.seed,
        ..TrainOptions::default()
    };
    let started = Instant::now();
    let mut log = |event: TrainEvent| {
        print_event(&event, started);
        true
    };
    if let Some(root) = &args.project {
        let mut project = Project::open(root)?;
        let training = ProjectTraining {
            config,
            options,
            include_pseudo_labels: args.include_pseudo_labels,
            warm_start: !args.cold_start,
            out: args.out.clone(),
        };
        let trained = train_project(&mut project, &training, &compute, &mut log)
            .map_err(anyhow::Error::msg)?
            .context("training was cancelled")?;
        for reason in &trained.skipped {
            eprintln!("skipped: {reason}");
        }
        if let Some(parent) = trained.warm_started_from {
            eprintln!("warm-started from model version {parent}");
        }
        eprintln!(
            "{} labelled frames; stopped: {:?}; kept {}",
            trained.frames, trained.stopped, trained.metrics
        );
        println!(
            "model version {}: {}",
            trained.version_id,
            trained.path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let clips = args
        .phantom_clips
        .context("give --project or --phantom-clips")?;
    let out = args
        .out
        .as_ref()
        .context("give --out for a phantom-trained model")?;
    let frames: Vec<_> = phantom_clips(args.seed, clips, args.frame_stride)
        .into_iter()
        .flat_map(|c| c.frames)
        .collect();
    eprintln!("{} labelled frames", frames.len());
    let (samples, groups) = to_samples(&frames, config.input_size);
    let outcome = train(
        &config,
        &options,
        &samples,
        &groups,
        None,
        &compute.device,
        &mut log,
    )?;
    eprintln!(
        "stopped: {:?}; kept {}",
        outcome.stopped, outcome.header.metrics
    );
    checkpoint::save(out, &outcome.header, &outcome.model)?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn print_event(event: &TrainEvent, started: Instant) {
    match event {
        TrainEvent::Step {
            epoch,
            step,
            steps,
            loss,
        } => {
            eprint!("\r\x1b[2Kepoch {epoch}: step {step}/{steps}, loss {loss:.4}");
        }
        TrainEvent::Epoch(report) => {
            let dice: Vec<String> = report
                .validation_dice
                .iter()
                .map(|d| format!("{d:.3}"))
                .collect();
            eprintln!(
                "\r\x1b[2Kepoch {:>3}  train loss {:.4}  validation loss {:.4}  Dice {}{}  ({:.0} s)",
                report.epoch,
                report.train_loss,
                report.validation_loss,
                dice.join(" / "),
                if report.improved { "  *" } else { "" },
                started.elapsed().as_secs_f64()
            );
        }
    }
}
