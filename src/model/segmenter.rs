//! A loaded model applied to whole frames: resampling to the network's size
//! and back, MC inference in batches, masks at the clip's resolution, and
//! contours proposed from them.

use std::path::Path;

use burn::prelude::*;

use super::checkpoint::{self, CheckpointError, ModelHeader};
use super::cpu_unet::CpuUNet;
use super::mc::{self, FramePrediction};
use super::sample::{resize_gray, resize_map};
use super::unet::McdUNet;
use crate::geometry::{self, Point};

/// How far a proposed contour may stray from the mask boundary (pixels):
/// smooth enough to edit, close enough not to move the Dice.
pub const PROPOSAL_TOLERANCE: f32 = 0.8;

pub struct Segmenter {
    pub header: ModelHeader,
    model: McdUNet,
    /// The folded CPU form MC inference runs on when `device` is the CPU.
    folded: Option<CpuUNet>,
    device: Device,
}

/// The result for one frame.
#[derive(Debug, Clone)]
pub struct SegmentedFrame {
    /// MC maps and scores at the network's resolution.
    pub prediction: FramePrediction,
    /// Most probable class per pixel at the frame's resolution.
    pub mask: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

impl SegmentedFrame {
    /// Pixels of a class at the frame's resolution.
    pub fn area(&self, class: usize) -> usize {
        self.mask
            .iter()
            .filter(|&&c| usize::from(c) == class)
            .count()
    }
}

impl Segmenter {
    pub fn new(header: ModelHeader, model: McdUNet, device: Device) -> Segmenter {
        Segmenter {
            header,
            folded: mc::folded_for(&model, &device),
            model,
            device,
        }
    }

    pub fn load(path: &Path, device: &Device) -> Result<Segmenter, CheckpointError> {
        let (header, model) = checkpoint::load(path, device)?;
        Ok(Segmenter::new(header, model, device.clone()))
    }

    pub fn from_bytes(
        bytes: &[u8],
        device: &Device,
        origin: &str,
    ) -> Result<Segmenter, CheckpointError> {
        let (header, model) = checkpoint::from_bytes(bytes, device, origin)?;
        Ok(Segmenter::new(header, model, device.clone()))
    }

    /// The same model on burn's pass only, even on the CPU: how benchmarks
    /// time the path the folded network replaces.
    pub fn without_folding(self) -> Segmenter {
        Segmenter {
            folded: None,
            ..self
        }
    }

    /// Whether MC inference runs on the folded CPU network.
    pub fn is_folded(&self) -> bool {
        self.folded.is_some()
    }

    pub fn model(&self) -> &McdUNet {
        &self.model
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// MC inference (`samples` passes; 0 = one pass with dropout off) on 8-bit
    /// grey frames of `width × height`, `batch` frames at a time.
    pub fn segment(
        &self,
        frames: &[&[u8]],
        width: usize,
        height: usize,
        samples: usize,
        batch: usize,
    ) -> Vec<SegmentedFrame> {
        let size = self.header.config.input_size;
        let inputs: Vec<Vec<f32>> = frames
            .iter()
            .map(|gray| resize_gray(gray, width, height, size))
            .collect();
        let mut out = Vec::with_capacity(frames.len());
        for chunk in inputs.chunks(batch.max(1)) {
            let images: Vec<&[f32]> = chunk.iter().map(Vec::as_slice).collect();
            let inference = mc::Inference {
                model: &self.model,
                folded: self.folded.as_ref(),
                device: &self.device,
            };
            let predictions = inference.predict(&images, size, samples);
            out.extend(predictions.into_iter().map(|prediction| {
                let mask = upsample_mask(
                    &prediction.maps.mean,
                    prediction.maps.classes,
                    size,
                    width,
                    height,
                );
                SegmentedFrame {
                    prediction,
                    mask,
                    width,
                    height,
                }
            }));
        }
        out
    }

    /// Encoder embeddings of 8-bit grey frames of `width × height` (the
    /// space the diversity strategies work in).
    pub fn embeddings(&self, frames: &[&[u8]], width: usize, height: usize) -> Vec<Vec<f32>> {
        let size = self.header.config.input_size;
        let inputs: Vec<Vec<f32>> = frames
            .iter()
            .map(|gray| resize_gray(gray, width, height, size))
            .collect();
        let images: Vec<&[f32]> = inputs.iter().map(Vec::as_slice).collect();
        if images.is_empty() {
            return Vec::new();
        }
        let features = self.model.embedding(mc::input(&images, size, &self.device));
        let [rows, columns] = features.dims();
        let flat: Vec<f32> = features
            .try_into_vec_as()
            .expect("the device returns its tensors");
        (0..rows)
            .map(|r| flat[r * columns..(r + 1) * columns].to_vec())
            .collect()
    }

    /// One closed contour per structure of the model found on the frame, by
    /// structure name. The myocardium contour is the epicardium: it encloses
    /// the cavity, as the editor draws it.
    pub fn proposals(&self, frame: &SegmentedFrame) -> Vec<(String, Vec<Point>)> {
        geometry::class_contours(
            &frame.mask,
            frame.width,
            frame.height,
            &self.header.config.classes,
            PROPOSAL_TOLERANCE,
        )
    }
}

/// Argmax of the mean probabilities, resampled bilinearly to the frame size.
fn upsample_mask(
    mean: &[f32],
    classes: usize,
    size: usize,
    width: usize,
    height: usize,
) -> Vec<u8> {
    let pixels = size * size;
    let planes: Vec<Vec<f32>> = (0..classes)
        .map(|c| resize_map(&mean[c * pixels..(c + 1) * pixels], size, width, height))
        .collect();
    (0..width * height)
        .map(|i| {
            (0..classes)
                .max_by(|&a, &b| planes[a][i].total_cmp(&planes[b][i]))
                .unwrap_or(0) as u8
        })
        .collect()
}
