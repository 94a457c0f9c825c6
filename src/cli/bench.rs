//! `echolabel bench …`: performance figures printed for BENCHMARKS.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::dicom::{Clip, PatientSalt, dicom_candidates};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Frames decoded per second (decode + conversion to displayed RGB and model gray) per clip.
    Decode {
        /// DICOM files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Minimum time spent on each clip.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
    },
    /// MC-dropout inference: ms per frame and frame·samples/s, naive vs shared deterministic part.
    Infer {
        #[command(flatten)]
        model: super::bench_model::ModelBenchArgs,
        /// MC samples T.
        #[arg(long, default_value_t = 20)]
        samples: usize,
        /// Frames per batch.
        #[arg(long, default_value_t = 1)]
        frames: usize,
    },
    /// Export of one annotated clip in every format: milliseconds per format.
    Export(super::bench_export::ExportBenchArgs),
    /// Training: seconds per Adam step and images/s.
    Train {
        #[command(flatten)]
        model: super::bench_model::ModelBenchArgs,
        #[arg(long, default_value_t = 8)]
        batch: usize,
    },
}

pub fn run(command: &BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Decode { paths, seconds } => decode(paths, Duration::from_secs_f64(*seconds)),
        BenchCommand::Infer {
            model,
            samples,
            frames,
        } => super::bench_model::infer(model, *samples, *frames),
        BenchCommand::Train { model, batch } => super::bench_model::train(model, *batch),
        BenchCommand::Export(args) => super::bench_export::run(args),
    }
}

fn decode(paths: &[PathBuf], budget: Duration) -> anyhow::Result<ExitCode> {
    let salt = PatientSalt::random();
    println!(
        "{:<40}  {:>6}  {:>9}  {:>10}  {:>9}  transfer syntax",
        "file", "frames", "rows×cols", "frames/s", "ms/frame"
    );
    for path in paths.iter().flat_map(|p| dicom_candidates(p)).flatten() {
        let clip = match Clip::open(&path, &salt) {
            Ok(clip) => clip,
            Err(error) => {
                eprintln!("skipped: {error}");
                continue;
            }
        };
        let info = clip.info();
        let started = Instant::now();
        let mut decoded = 0u64;
        let mut failed = None;
        while started.elapsed() < budget && failed.is_none() {
            for index in 0..clip.frame_count() {
                match clip.frame(index) {
                    Ok(frame) => {
                        std::hint::black_box(frame.gray());
                        decoded += 1;
                    }
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
        }
        if let Some(error) = failed {
            eprintln!("skipped: {error}");
            continue;
        }
        let seconds = started.elapsed().as_secs_f64();
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        println!(
            "{name:<40}  {:>6}  {:>9}  {:>10.1}  {:>9.3}  {}",
            info.frames,
            format!("{}×{}", info.rows, info.cols),
            decoded as f64 / seconds,
            seconds * 1000.0 / decoded as f64,
            info.transfer_syntax_name
        );
    }
    Ok(ExitCode::SUCCESS)
}
