//! `echolabel predict` and `echolabel evaluate`: the model applied headless.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::dicom::{Clip, PatientSalt, dicom_candidates};
use crate::geometry::Mask;
use crate::model::dataset::read_dataset;
use crate::model::metrics::{DiceCounts, hausdorff};
use crate::model::{DevicePreference, Segmenter, detect_key_frames};

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// A model file (default: the shipped starting model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Where the model runs (default: `ECHOLABEL_DEVICE`, else a GPU if there is one, else the CPU).
    #[arg(long, value_enum)]
    pub device: Option<DevicePreference>,
    /// Frames per batch.
    #[arg(long, default_value_t = 4)]
    pub batch: usize,
}

impl ModelArgs {
    fn load(&self) -> anyhow::Result<Segmenter> {
        let compute = super::compute_device(self.device)?;
        Ok(match &self.model {
            Some(path) => Segmenter::load(path, &compute.device)?,
            None => crate::model::shipped::starting_model(&compute.device),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A DICOM file or a folder (searched recursively).
    pub path: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// Monte-Carlo dropout passes per frame.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Writes masks, entropy and BALD maps per frame and `scores.csv`.
pub fn predict(args: &PredictArgs) -> anyhow::Result<ExitCode> {
    let segmenter = args.model.load()?;
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let csv_path = args.out.join("scores.csv");
    let mut csv =
        csv::Writer::from_path(&csv_path).with_context(|| csv_path.display().to_string())?;
    csv.write_record([
        "clip",
        "frame",
        "lv_area_px",
        "key_frame",
        "entropy_mean",
        "entropy_sum",
        "entropy_max",
        "variance_mean",
        "variance_sum",
        "variance_max",
        "bald_mean",
        "bald_sum",
        "bald_max",
        "single_pass_entropy_mean",
        "single_pass_entropy_sum",
        "single_pass_entropy_max",
    ])?;
    let salt = PatientSalt::random();
    let mut failures = 0;
    let mut done = 0;
    for candidate in dicom_candidates(&args.path) {
        let result = candidate
            .map_err(anyhow::Error::from)
            .and_then(|path| predict_clip(&segmenter, &path, &salt, args, &mut csv));
        match result {
            Ok(()) => done += 1,
            Err(error) => {
                failures += 1;
                eprintln!("\r\x1b[2Kfailed: {error:#}");
            }
        }
    }
    csv.flush()?;
    eprintln!(
        "\r\x1b[2K{done} clip(s) predicted, {failures} failed; scores in {}",
        csv_path.display()
    );
    Ok(if done == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn predict_clip(
    segmenter: &Segmenter,
    path: &Path,
    salt: &PatientSalt,
    args: &PredictArgs,
    csv: &mut csv::Writer<std::fs::File>,
) -> anyhow::Result<()> {
    let clip = Clip::open(path, salt)?;
    let info = clip.info().clone();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (width, height) = (info.cols as usize, info.rows as usize);
    let mut results = Vec::new();
    for first in (0..clip.frame_count()).step_by(args.model.batch.max(1)) {
        let last = (first + args.model.batch.max(1) as u32).min(clip.frame_count());
        let grays = (first..last)
            .map(|f| clip.frame(f).map(|frame| frame.gray()))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = grays.iter().map(Vec::as_slice).collect();
        results.extend(segmenter.segment(&refs, width, height, args.samples, refs.len()));
        eprint!("\r\x1b[2K{name}: frame {last}/{}", clip.frame_count());
    }
    let lv = segmenter
        .header
        .config
        .class_of("LV endocardium")
        .unwrap_or(1);
    let areas: Vec<f32> = results.iter().map(|r| r.area(lv) as f32).collect();
    let period = info.cycle_frames().map(|f| f as f32);
    let key_frames = detect_key_frames(&areas, period);
    // Uncertainty maps are scaled by the largest possible entropy, ln(classes).
    let scale = 255.0 / (segmenter.header.config.classes.len() as f32).ln();
    for (frame, result) in results.iter().enumerate() {
        let stem = args.out.join(format!("{name}_frame_{frame:04}"));
        let size = result.prediction.maps.width as u32;
        save_gray(
            &format!("{}_mask.png", stem.display()),
            info.cols,
            info.rows,
            result.mask.clone(),
        )?;
        for (suffix, map) in [
            ("entropy", &result.prediction.maps.entropy),
            ("bald", &result.prediction.maps.bald),
        ] {
            let bytes = map
                .iter()
                .map(|v| (v * scale).round().clamp(0.0, 255.0) as u8)
                .collect();
            save_gray(
                &format!("{}_{suffix}.png", stem.display()),
                size,
                size,
                bytes,
            )?;
        }
        let key = if key_frames.end_diastole.contains(&(frame as u32)) {
            "ED"
        } else if key_frames.end_systole.contains(&(frame as u32)) {
            "ES"
        } else {
            ""
        };
        let s = result.prediction.scores;
        let mut row = vec![
            name.clone(),
            frame.to_string(),
            (areas[frame] as u64).to_string(),
            key.to_string(),
        ];
        for score in [s.entropy, s.variance, s.bald, s.single_pass_entropy] {
            row.extend([score.mean, score.sum, score.max].map(|v| format!("{v:.6}")));
        }
        csv.write_record(&row)?;
    }
    Ok(())
}

fn save_gray(path: &str, width: u32, height: u32, bytes: Vec<u8>) -> anyhow::Result<()> {
    image::GrayImage::from_raw(width, height, bytes)
        .context("map size")?
        .save(path)
        .with_context(|| path.to_string())
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// A labelled folder: the phantom layout (`echolabel phantom` output),
    /// PNG images and masks, CAMUS or an nnU-Net v2 raw dataset.
    #[arg(long)]
    pub data: PathBuf,
    /// Monte-Carlo passes per frame (0: one pass with dropout off).
    #[arg(long, default_value_t = 0)]
    pub samples: usize,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Dice and Hausdorff distance per structure against the ground-truth masks.
pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let segmenter = args.model.load()?;
    let clips = read_dataset(&args.data)?;
    let classes = segmenter.header.config.classes.clone();
    let mut dice = DiceCounts::new(classes.len());
    let mut distances: Vec<Vec<f64>> = vec![Vec::new(); classes.len()];
    for clip in &clips {
        let Some(first) = clip.frames.first() else {
            continue;
        };
        let (width, height) = (first.width, first.height);
        for chunk in clip.frames.chunks(args.model.batch.max(1)) {
            let grays: Vec<&[u8]> = chunk.iter().map(|f| f.gray.as_slice()).collect();
            for (frame, result) in chunk.iter().zip(segmenter.segment(
                &grays,
                width,
                height,
                args.samples,
                grays.len(),
            )) {
                // A binary model's class 1 is the LV: compare it with the LV of the truth.
                let truth: Vec<u8> = frame
                    .labels
                    .iter()
                    .map(|&c| if usize::from(c) < classes.len() { c } else { 0 })
                    .collect();
                dice.add(&result.mask, &truth);
                for (class, list) in distances.iter_mut().enumerate().skip(1) {
                    let predicted = Mask::from_labels(&result.mask, width, height, class as u8);
                    let expected = Mask::from_labels(&truth, width, height, class as u8);
                    if let Some(d) = hausdorff(&predicted, &expected) {
                        list.push(d);
                    }
                }
            }
        }
        eprint!("\r\x1b[2K{}", clip.name);
    }
    eprintln!(
        "\r\x1b[2K{} clip(s), {} frame(s)",
        clips.len(),
        clips.iter().map(|c| c.frames.len()).sum::<usize>()
    );
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<16} {:>7} {:>14} {:>14}",
        "structure", "Dice", "mean HD px", "p95 HD px"
    )?;
    for (class, d) in dice.dice().iter().enumerate() {
        let list = &mut distances[class + 1];
        list.sort_by(f64::total_cmp);
        let mean = list.iter().sum::<f64>() / list.len().max(1) as f64;
        let p95 = list
            .get(((list.len() as f64 * 0.95) as usize).min(list.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN);
        writeln!(
            out,
            "{:<16} {:>7.4} {:>14.2} {:>14.2}",
            classes[class + 1],
            d,
            mean,
            p95
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
