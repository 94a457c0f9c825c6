//! The headless command line: `echolabel <subcommand>`. With no subcommand the
//! binary opens the desktop app instead.

mod acting;
mod agreement;
mod bench;
mod bench_compare;
mod bench_export;
mod bench_model;
mod bench_pool;
mod export;
mod frames;
mod info;
mod network;
mod phantom;
mod predict;
mod project;
mod round;
mod simulate;
mod study;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// EchoLabel: annotation workbench for echocardiography.
#[derive(Debug, Parser)]
#[command(name = "echolabel", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// How the window opens (without a subcommand, and for `screenshot`).
#[derive(Debug, Clone, clap::Args)]
pub struct WindowArgs {
    /// Open this project (default: the last one, or the built-in demo project).
    #[arg(long)]
    pub project: Option<std::path::PathBuf>,
    /// Annotate as this person (one of the project's annotators) without being asked.
    #[arg(long)]
    pub annotator: Option<String>,
}

impl WindowArgs {
    pub fn app_options(&self) -> crate::app::AppOptions {
        crate::app::AppOptions::from_environment(self.project.clone(), self.annotator.clone())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List DICOM clips (a file, or a folder scanned recursively) with their geometry and timing.
    Info(info::InfoArgs),
    /// Write every frame of a clip as it is displayed to DIR/frame_NNNN.png.
    Frames(frames::FramesArgs),
    /// Write synthetic apical four-chamber echo clips with ground truth.
    Phantom(phantom::PhantomArgs),
    /// Open the window, save a PNG screenshot of it once the content shows, and quit.
    Screenshot {
        /// Where to write the PNG.
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        window: WindowArgs,
    },
    /// Import a folder of DICOM files into a project collection (the project is created if missing).
    Import(project::ImportArgs),
    /// Find clips and frames in a project.
    Search(project::SearchArgs),
    /// Progress per collection and annotator.
    Report(project::ReportArgs),
    /// Set up a study: annotators, passphrases, task templates, assignments, blind collections.
    Study(study::StudyArgs),
    /// Build the consensus annotation (STAPLE or majority vote) of every frame
    /// and structure with two or more people's finished contours.
    Consensus(study::ConsensusArgs),
    /// List people's submitted work waiting for review, or accept or return one annotation.
    Review(study::ReviewArgs),
    /// How much annotators agree: Dice, Hausdorff and mean contour distance (mm)
    /// per pair and against the STAPLE consensus, STAPLE sensitivity/specificity.
    Agreement(agreement::AgreementArgs),
    /// Export annotations for other tools: DICOM SEG, NIfTI, CAMUS, nnU-Net, PNG or CSV.
    Export(export::ExportArgs),
    /// Import existing labels (PNG, NIfTI, CAMUS, DICOM SEG) as an annotator's submitted contours.
    ImportAnnotations(export::ImportAnnotationsArgs),
    /// Train the segmentation model on a project's finished annotations (or on phantom clips).
    Train(train::TrainArgs),
    /// Segment clips with MC dropout: masks, uncertainty maps, per-frame scores and ED/ES.
    Predict(predict::PredictArgs),
    /// Dice and Hausdorff distance of a model on a labelled folder (phantom, PNG, CAMUS or nnU-Net layout).
    Evaluate(predict::EvaluateArgs),
    /// Active-learning simulation on a fully labelled folder: learning curves per strategy.
    Simulate(simulate::SimulateArgs),
    /// One active-learning round on a project: retrain (optional), score the
    /// pool of unlabelled frames, queue the most informative for annotators
    /// and add CEAL/SSAL pseudo-labels for review.
    Round(round::RoundArgs),
    /// Measure performance and print the figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

impl Command {
    /// Whether the command runs without a window (all but `screenshot`):
    /// then it must not touch the display stack (see
    /// [`crate::model::HEADLESS_VULKAN_ENV`]).
    pub fn is_headless(&self) -> bool {
        !matches!(self, Command::Screenshot { .. })
    }
}

/// The device a model command runs on (`--device`, else `ECHOLABEL_DEVICE`,
/// else a GPU if there is one), announced on stderr.
fn compute_device(
    flag: Option<crate::model::DevicePreference>,
) -> anyhow::Result<crate::model::ComputeDevice> {
    let preference = crate::model::DevicePreference::resolve(flag).map_err(anyhow::Error::msg)?;
    let compute = crate::model::select_device(preference).map_err(anyhow::Error::msg)?;
    eprintln!("running on {}", compute.description);
    Ok(compute)
}

/// Runs a headless subcommand; errors are printed by the caller.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Info(args) => info::run(&args),
        Command::Frames(args) => frames::run(&args),
        Command::Phantom(args) => phantom::run(&args),
        Command::Bench(command) => bench::run(&command),
        Command::Train(args) => train::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Round(args) => round::run(&args),
        Command::Predict(args) => predict::predict(&args),
        Command::Evaluate(args) => predict::evaluate(&args),
        Command::Import(args) => project::import(&args),
        Command::Search(args) => project::search(&args),
        Command::Report(args) => project::report(&args),
        Command::Study(args) => study::study(&args),
        Command::Consensus(args) => study::consensus(&args),
        Command::Review(args) => study::review(&args),
        Command::Agreement(args) => agreement::run(&args),
        Command::Export(args) => export::run_export(&args),
        Command::ImportAnnotations(args) => export::run_import(&args),
        Command::Screenshot { out, window } => {
            crate::app::run(window.app_options(), Some(out))
                .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
