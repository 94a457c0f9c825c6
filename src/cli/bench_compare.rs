//! `echolabel bench compare infer|train`: our measurement and then the
//! PyTorch reference (`benches/torch_reference.py`) with the same network
//! and settings, one after the other in one run, and the ratio of times.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::Context;

use super::bench_model::{ModelBenchArgs, measure_infer, measure_train};
use crate::model::SamplingMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Measurement {
    /// MC inference, naive and shared (ms per frame).
    Infer,
    /// One Adam step (seconds).
    Train,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    #[arg(value_enum)]
    pub what: Measurement,
    #[command(flatten)]
    pub model: ModelBenchArgs,
    /// MC samples T (infer).
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Frames per batch (infer).
    #[arg(long, default_value_t = 1)]
    pub frames: usize,
    /// Images per step (train).
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// The PyTorch reference script.
    #[arg(long, default_value = "benches/torch_reference.py")]
    pub reference: PathBuf,
    /// The Python that has torch.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Threads PyTorch may use (default: every core this process may use).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where PyTorch runs: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub torch_device: String,
}

pub fn run(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let network = &args.model.network;
    let mut command = Command::new(&args.python);
    command
        .arg(&args.reference)
        .arg(match args.what {
            Measurement::Infer => "infer",
            Measurement::Train => "train",
        })
        .args(["--size", &network.size.to_string()])
        .args(["--filters", &network.filters.to_string()])
        .args(["--runs", &args.model.runs.to_string()])
        .args(["--device", &args.torch_device]);
    if let Some(threads) = args.threads {
        command.args(["--threads", &threads.to_string()]);
    }
    // (name, ours, the reference's line it is read from, unit)
    let mut rows: Vec<(&str, f64, &str)> = Vec::new();
    match args.what {
        Measurement::Infer => {
            command
                .args(["--samples", &args.samples.to_string()])
                .args(["--frames", &args.frames.to_string()]);
            let ours = measure_infer(&args.model, args.samples, args.frames)?;
            for (name, mode, line) in [
                (
                    "MC inference naive, ms / frame",
                    SamplingMode::Naive,
                    "naive (T full passes)",
                ),
                (
                    "MC inference shared, ms / frame",
                    SamplingMode::Shared,
                    "shared deterministic part",
                ),
            ] {
                // The path the app takes for this mode: folded on the CPU, burn's elsewhere.
                let row = ours
                    .iter()
                    .rfind(|r| r.mode == mode)
                    .context("the inference bench times both modes")?;
                rows.push((name, row.ms_per_frame, line));
            }
        }
        Measurement::Train => {
            command.args(["--batch", &args.batch.to_string()]);
            let seconds = measure_train(&args.model, args.batch)?;
            rows.push(("Adam step, s", seconds, "s / step"));
        }
    }
    println!("running the PyTorch reference: {command:?}");
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", args.python))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!(
            "the PyTorch reference failed ({}):\n{text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for line in text
        .lines()
        .filter(|l| l.starts_with("torch:") || l.starts_with("threads:"))
    {
        println!("{line}");
    }
    println!(
        "{:<34} {:>12} {:>12} {:>9}",
        "measurement", "EchoLabel", "PyTorch", "ratio"
    );
    for (name, ours, line) in rows {
        let theirs = reference_figure(&text, line)
            .with_context(|| format!("no \"{line}\" figure in the reference's output:\n{text}"))?;
        println!(
            "{name:<34} {ours:>12.1} {theirs:>12.1} {:>8.2}×",
            ours / theirs
        );
    }
    println!("ratio: EchoLabel's time over PyTorch's (below 1 is faster)");
    Ok(ExitCode::SUCCESS)
}

/// The reference's figure for `line`: ms per frame from an inference row
/// (the first number after the name), or seconds from the row under the
/// training table's "s / step" header.
fn reference_figure(text: &str, line: &str) -> Option<f64> {
    let mut lines = text.lines();
    if line == "s / step" {
        lines.find(|l| l.contains(line))?;
        return lines.next()?.split_whitespace().next()?.parse().ok();
    }
    let row = lines.find(|l| l.starts_with(line))?;
    row[line.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::reference_figure;

    #[test]
    fn figures_are_read_from_the_references_tables() {
        let infer = "device: cpu\nmode  ms / frame  frame·samples / s\n\
                     naive (T full passes)   3852.3   5.2\n\
                     shared deterministic part   2352.5   8.5\n";
        assert_eq!(
            reference_figure(infer, "naive (T full passes)"),
            Some(3852.3)
        );
        assert_eq!(
            reference_figure(infer, "shared deterministic part"),
            Some(2352.5)
        );
        let train = "Adam step, batch 8\n    s / step   images / s\n       2.439          3.3\n";
        assert_eq!(reference_figure(train, "s / step"), Some(2.439));
        assert_eq!(reference_figure("nothing", "s / step"), None);
    }
}
