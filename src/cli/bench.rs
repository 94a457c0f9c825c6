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
    /// MC scoring of a pool of phantom frames with the starting model, as a round does: frames/s.
    ScorePool(super::bench_pool::PoolBenchArgs),
    /// One frame's contour proposal with the starting model, as the editor makes it: ms/frame.
    Propose(super::bench_pool::PoolBenchArgs),
    /// Ours, then the PyTorch reference with the same settings, and the ratio.
    Compare(super::bench_compare::CompareArgs),
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
        BenchCommand::ScorePool(args) => super::bench_pool::score_pool(args),
        BenchCommand::Propose(args) => super::bench_pool::propose(args),
        BenchCommand::Compare(args) => super::bench_compare::run(args),
    }
}

/// Prints the machine a figure was measured on: processor, cores, memory and
/// where the model runs.
pub fn print_machine(compute: &str) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|name| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = status_kib("/proc/meminfo", "MemTotal:")
        .map_or_else(String::new, |kib| format!(", {:.0} GiB", kib / 1_048_576.0));
    println!("machine: {cpu}, {cores} logical cores{memory}; model on {compute}");
}

/// Prints the process's peak resident memory (Linux), for the figures' tables.
pub fn print_peak_memory() {
    if let Some(kib) = status_kib("/proc/self/status", "VmHWM:") {
        println!("peak memory (whole process): {:.0} MiB", kib / 1024.0);
    }
}

/// A "Name: value kB" line of a /proc file, in KiB.
fn status_kib(file: &str, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
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
