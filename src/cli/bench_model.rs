//! `echolabel bench infer|train`: MC inference and training speed of the MCD
//! U-Net on the chosen device, with the median of repeated runs after a
//! warm-up (the first runs compile kernels and fill caches).

use std::process::ExitCode;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;

use crate::model::loss::{loss, one_hot};
use crate::model::mc::{SamplingMode, mc_probabilities, reduce};
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
fn time(device: &Device, runs: usize, mut work: impl FnMut()) -> f64 {
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

pub fn infer(args: &ModelBenchArgs, samples: usize, frames: usize) -> anyhow::Result<ExitCode> {
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
    println!(
        "{}: MC inference, {frames} frame(s) per batch, T = {samples}, {1}×{1}, {2} base filters",
        args.network.architecture.name(),
        args.network.size,
        args.network.filters
    );
    println!(
        "{:<34} {:>12} {:>18}",
        "mode", "ms / frame", "frame·samples / s"
    );
    for (name, mode) in [
        ("naive (T full passes)", SamplingMode::Naive),
        ("shared deterministic part", SamplingMode::Shared),
    ] {
        let seconds = time(device, args.runs, || {
            let maps = reduce(mc_probabilities(&model, x.clone(), samples, mode));
            std::hint::black_box(maps.entropy.into_data());
        });
        println!(
            "{name:<34} {:>12.1} {:>18.1}",
            seconds * 1000.0 / frames as f64,
            (frames * samples) as f64 / seconds
        );
    }
    // On the CPU the app runs the folded network (batch norm folded, one
    // GEMM per tile): timed the same way, maps read back on the host.
    if let Some(folded) = crate::model::mc::folded_for(&model, device) {
        let images: Vec<f32> = x.clone().try_into_vec_as()?;
        let pixels = args.network.size * args.network.size;
        let frames_in: Vec<&[f32]> = images.chunks(pixels).collect();
        for (name, mode) in [
            ("folded CPU network, naive", SamplingMode::Naive),
            ("folded CPU network, shared", SamplingMode::Shared),
        ] {
            let seconds = time(device, args.runs, || {
                let network = &folded;
                let x = crate::model::cpu_unet::Maps {
                    data: frames_in.concat(),
                    images: frames,
                    channels: 1,
                    height: args.network.size,
                    width: args.network.size,
                };
                let logits = network.logits(&x, samples, mode, true, 1);
                std::hint::black_box(crate::model::cpu_unet::mc_maps(&logits, frames));
            });
            println!(
                "{name:<34} {:>12.1} {:>18.1}",
                seconds * 1000.0 / frames as f64,
                (frames * samples) as f64 / seconds
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn train(args: &ModelBenchArgs, batch: usize) -> anyhow::Result<ExitCode> {
    let compute = super::compute_device(args.device)?;
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
    println!("{:>12} {:>12}", "s / step", "images / s");
    println!("{seconds:>12.3} {:>12.1}", batch as f64 / seconds);
    Ok(ExitCode::SUCCESS)
}
