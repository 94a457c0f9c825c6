//! `echolabel bench score-pool|propose`: the model work a clinician waits
//! for, with the shipped starting model on phantom frames at their own
//! resolution: MC scoring of an unlabelled pool (as a round does) and one
//! frame's contour proposal (as the editor does), on the folded CPU network
//! and on burn's pass side by side.

use std::process::ExitCode;
use std::time::Instant;

use crate::model::shipped::starting_model;
use crate::model::{DevicePreference, Segmenter};

#[derive(Debug, clap::Args)]
pub struct PoolBenchArgs {
    /// Frames scored (taken from phantom clips, every frame of each).
    #[arg(long, default_value_t = 500)]
    pub frames: usize,
    /// MC samples T.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Frames per batch.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Where the model runs (default: `ECHOLABEL_DEVICE`, else a GPU if there is one, else the CPU).
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
}

/// Phantom clips (8-bit grey frames, each clip with its own size) holding
/// `count` frames in all.
fn phantom_clips(count: usize) -> Vec<(Vec<Vec<u8>>, usize, usize)> {
    let mut clips = Vec::new();
    let mut total = 0;
    for index in 0.. {
        if total >= count {
            break;
        }
        let clip = crate::phantom::generate(17, index);
        let frames: Vec<Vec<u8>> = clip.frames.into_iter().take(count - total).collect();
        total += frames.len();
        clips.push((frames, clip.params.cols as usize, clip.params.rows as usize));
    }
    clips
}

/// The starting model on the chosen device, and on burn's pass alone when
/// the device folds it (the "before" of the folded network).
fn models(device: Option<DevicePreference>) -> anyhow::Result<Vec<(&'static str, Segmenter)>> {
    let compute = super::compute_device(device)?;
    super::bench::print_machine(&compute.description);
    let model = starting_model(&compute.device);
    let config = &model.header.config;
    println!(
        "model: the starting model, {}×{}, {} base filters",
        config.input_size, config.input_size, config.base_filters
    );
    Ok(if model.is_folded() {
        let burn = starting_model(&compute.device).without_folding();
        vec![("burn flex pass", burn), ("folded CPU network", model)]
    } else {
        vec![("burn pass", model)]
    })
}

pub fn score_pool(args: &PoolBenchArgs) -> anyhow::Result<ExitCode> {
    let clips = phantom_clips(args.frames.max(1));
    let count: usize = clips.iter().map(|(frames, _, _)| frames.len()).sum();
    let models = models(args.device)?;
    println!(
        "scoring a pool of {count} frames from {} phantom clips (their own sizes), T = {}, batches of {}",
        clips.len(),
        args.samples,
        args.batch
    );
    println!(
        "{:<24} {:>10} {:>10} {:>12}",
        "path", "seconds", "frames/s", "ms / frame"
    );
    for (name, model) in &models {
        let score = |clips: &[(Vec<Vec<u8>>, usize, usize)]| {
            for (frames, width, height) in clips {
                let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                let results = model.segment(&refs, *width, *height, args.samples, args.batch);
                std::hint::black_box(results);
            }
        };
        // Warm-up: the first clip (first-use allocations, kernels on a GPU).
        score(&clips[..1]);
        let started = Instant::now();
        score(&clips);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name:<24} {seconds:>10.2} {:>10.1} {:>12.1}",
            count as f64 / seconds,
            seconds * 1000.0 / count as f64
        );
    }
    super::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

pub fn propose(args: &PoolBenchArgs) -> anyhow::Result<ExitCode> {
    let frames: Vec<(Vec<u8>, usize, usize)> = phantom_clips(args.frames.clamp(1, 50))
        .into_iter()
        .flat_map(|(frames, width, height)| frames.into_iter().map(move |f| (f, width, height)))
        .collect();
    let models = models(args.device)?;
    println!(
        "one frame's proposal (MC segmentation, T = {}, and contours), {} phantom frames",
        args.samples,
        frames.len()
    );
    println!("{:<24} {:>12} {:>10}", "path", "ms / frame", "frames/s");
    for (name, model) in &models {
        let propose = |(frame, width, height): &(Vec<u8>, usize, usize)| {
            let result = model.segment(&[frame], *width, *height, args.samples, 1);
            std::hint::black_box(model.proposals(&result[0]));
        };
        propose(&frames[0]);
        let started = Instant::now();
        frames.iter().for_each(propose);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name:<24} {:>12.1} {:>10.2}",
            seconds * 1000.0 / frames.len() as f64,
            frames.len() as f64 / seconds
        );
    }
    super::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}
