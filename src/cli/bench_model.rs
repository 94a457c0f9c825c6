//! `echolabel bench infer|train`: MC inference and training speed of the MCD
//! U-Net on the chosen device, with the median of repeated runs after a
//! warm-up (the first runs compile kernels and fill caches).

use std::process::ExitCode;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;

use crate::model::cpu_unet::{Maps, mc_maps};
use crate::model::loss::{loss, one_hot};
use crate::model::mc::{self, SamplingMode};
use crate::model::{DevicePreference, LossKind, McdUNet};

#[derive(Debug, clap::Args)]
pub struct ModelBenchArgs {
    #[command(flatten)]
    pub network: super::network::NetworkArgs,
    /// Where the model runs (default: `ECHOLABEL_DEVICE`, else a GPU if there is one, else the CPU).
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
    /// Timed repetitions (after two warm-up runs); the median is printed.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

/// Median seconds of `runs` calls of `work` after two warm-ups, synchronising the device.
pub(super) fn time(device: &Device, runs: usize, mut work: impl FnMut()) -> f64 {
    let mut once = || {
        let started = Instant::now();
        work();
        device.sync().expect("the device finishes its work");
        started.elapsed().as_secs_f64()
    };
    once();
    once();
    let mut times: Vec<f64> = (0..runs.max(1)).map(|_| once()).collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// One timed inference path: its name, ms per frame and frame·samples per second.
pub struct InferRow {
    pub name: &'static str,
    pub mode: SamplingMode,
    /// Whether this is the path the app takes on this device.
    pub used_by_the_app: bool,
    pub ms_per_frame: f64,
    pub samples_per_second: f64,
}

pub fn infer(args: &ModelBenchArgs, samples: usize, frames: usize) -> anyhow::Result<ExitCode> {
    let rows = measure_infer(args, samples, frames)?;
    println!(
        "{:<34} {:>12} {:>18}",
        "mode", "ms / frame", "frame·samples / s"
    );
    for row in &rows {
        let app = if row.used_by_the_app {
            "  (the app's path)"
        } else {
            ""
        };
        println!(
            "{:<34} {:>12.1} {:>18.1}{app}",
            row.name, row.ms_per_frame, row.samples_per_second
        );
    }
    super::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// Times MC inference (T passes and the reductions, maps read back) on burn's
/// network in both modes and, on the CPU, on the folded network the app uses.
pub fn measure_infer(
    args: &ModelBenchArgs,
    samples: usize,
    frames: usize,
) -> anyhow::Result<Vec<InferRow>> {
    let compute = super::compute_device(args.device)?;
    let device = &compute.device;
    let config = args.network.config(false);
    config.validate().map_err(anyhow::Error::msg)?;
    let model = McdUNet::new(&config, device);
    let x = Tensor::<4>::random(
        [frames, 1, args.network.size, args.network.size],
        burn::tensor::Distribution::Default,
        device,
    );
    super::bench::print_machine(&compute.description);
    println!(
        "{}: MC inference, {frames} frame(s) per batch, T = {samples}, {1}×{1}, {2} base filters",
        args.network.architecture.name(),
        args.network.size,
        args.network.filters
    );
    let folded = mc::folded_for(&model, device);
    let row = |name, mode, used_by_the_app, seconds: f64| InferRow {
        name,
        mode,
        used_by_the_app,
        ms_per_frame: seconds * 1000.0 / frames as f64,
        samples_per_second: (frames * samples) as f64 / seconds,
    };
    let mut rows = Vec::new();
    for (name, mode) in [
        ("naive (T full passes)", SamplingMode::Naive),
        ("shared deterministic part", SamplingMode::Shared),
    ] {
        let seconds = time(device, args.runs, || {
            let maps = mc::reduce(mc::mc_probabilities(&model, x.clone(), samples, mode));
            std::hint::black_box(maps.entropy.into_data());
        });
        let app = folded.is_none() && mode == SamplingMode::Shared;
        rows.push(row(name, mode, app, seconds));
    }
    if let Some(folded) = &folded {
        let images: Vec<f32> = x.clone().try_into_vec_as()?;
        for (name, mode) in [
            ("folded CPU network, naive", SamplingMode::Naive),
            ("folded CPU network, shared", SamplingMode::Shared),
        ] {
            let seconds = time(device, args.runs, || {
                let x = Maps {
                    data: images.clone(),
                    images: frames,
                    channels: 1,
                    height: args.network.size,
                    width: args.network.size,
                };
                let logits = folded.logits(&x, samples, mode, true, 1);
                std::hint::black_box(mc_maps(&logits, frames));
            });
            rows.push(row(name, mode, mode == SamplingMode::Shared, seconds));
        }
    }
    Ok(rows)
}

pub fn train(args: &ModelBenchArgs, batch: usize) -> anyhow::Result<ExitCode> {
    let seconds = measure_train(args, batch)?;
    println!("{:>12} {:>12}", "s / step", "images / s");
    println!("{seconds:>12.3} {:>12.1}", batch as f64 / seconds);
    super::bench::print_peak_memory();
    Ok(ExitCode::SUCCESS)
}

/// Median seconds of one Adam step (forward, BCE + Dice, backward, update).
pub fn measure_train(args: &ModelBenchArgs, batch: usize) -> anyhow::Result<f64> {
    let compute = super::compute_device(args.device)?;
    super::bench::print_machine(&compute.description);
    let device = compute.device.clone().autodiff();
    let config = args.network.config(false);
    config.validate().map_err(anyhow::Error::msg)?;
    let mut model = Some(McdUNet::new(&config, &device));
    let mut optimizer = AdamConfig::new().with_epsilon(1e-8).init();
    let x = Tensor::<4>::random(
        [batch, 1, args.network.size, args.network.size],
        burn::tensor::Distribution::Default,
        &device,
    );
    let labels: Vec<Vec<u8>> = (0..batch)
        .map(|b| {
            (0..args.network.size * args.network.size)
                .map(|i| ((i + b) % 4) as u8)
                .collect()
        })
        .collect();
    let refs: Vec<&[u8]> = labels.iter().map(Vec::as_slice).collect();
    let y = one_hot(&refs, 4, args.network.size, &device);
    let seconds = time(&compute.device, args.runs, || {
        let current = model.take().expect("the model is put back after each step");
        let value = loss(
            LossKind::CrossEntropyDice,
            current.forward(x.clone(), true),
            y.clone(),
        );
        let gradients = GradientsParams::from_grads(value.backward(), &current);
        model = Some(optimizer.step(1e-4, current, gradients));
    });
    println!(
        "Adam step, batch {batch}, BCE + Dice, {0}×{0}, {1} base filters",
        args.network.size, args.network.filters
    );
    Ok(seconds)
}
