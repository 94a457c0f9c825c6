//! Frames and masks as the networks see them: square, `size × size`, grey
//! values in 0..1, class indices per pixel; and the augmentation used in
//! training, chosen for apical echo views: intensity changes, small rotations,
//! scales and shifts, never a left-right flip (it would swap the chambers).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// One training or inference input.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub size: usize,
    /// `size × size` grey values in 0..1, row-major.
    pub image: Vec<f32>,
    /// `size × size` class indices (empty for inference-only inputs).
    pub labels: Vec<u8>,
}

impl Sample {
    /// Resamples an 8-bit grey frame (and its class mask, if any) to the model size.
    pub fn from_frame(
        gray: &[u8],
        labels: Option<&[u8]>,
        width: usize,
        height: usize,
        size: usize,
    ) -> Sample {
        Sample {
            size,
            image: resize_gray(gray, width, height, size),
            labels: labels
                .map(|l| resize_labels(l, width, height, size, size))
                .unwrap_or_default(),
        }
    }
}

/// Bilinear resampling of an 8-bit image to `size × size`, scaled to 0..1.
pub fn resize_gray(gray: &[u8], width: usize, height: usize, size: usize) -> Vec<f32> {
    let source = |x: usize, y: usize| f32::from(gray[y * width + x]) / 255.0;
    let mut out = Vec::with_capacity(size * size);
    for y in 0..size {
        for x in 0..size {
            let sx = ((x as f32 + 0.5) * width as f32 / size as f32 - 0.5)
                .clamp(0.0, (width - 1) as f32);
            let sy = ((y as f32 + 0.5) * height as f32 / size as f32 - 0.5)
                .clamp(0.0, (height - 1) as f32);
            out.push(bilinear(source, sx, sy, width, height));
        }
    }
    out
}

/// Nearest-neighbour resampling of a class mask from `width × height` to `out_width × out_height`.
pub fn resize_labels(
    labels: &[u8],
    width: usize,
    height: usize,
    out_width: usize,
    out_height: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_width * out_height);
    for y in 0..out_height {
        let sy = ((y as f32 + 0.5) * height as f32 / out_height as f32) as usize;
        for x in 0..out_width {
            let sx = ((x as f32 + 0.5) * width as f32 / out_width as f32) as usize;
            out.push(labels[sy.min(height - 1) * width + sx.min(width - 1)]);
        }
    }
    out
}

/// Bilinear resampling of a float map from `size × size` to `width × height`.
pub fn resize_map(map: &[f32], size: usize, width: usize, height: usize) -> Vec<f32> {
    let source = |x: usize, y: usize| map[y * size + x];
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let sx =
                ((x as f32 + 0.5) * size as f32 / width as f32 - 0.5).clamp(0.0, (size - 1) as f32);
            let sy = ((y as f32 + 0.5) * size as f32 / height as f32 - 0.5)
                .clamp(0.0, (size - 1) as f32);
            out.push(bilinear(source, sx, sy, size, size));
        }
    }
    out
}

fn bilinear(
    source: impl Fn(usize, usize) -> f32,
    x: f32,
    y: f32,
    width: usize,
    height: usize,
) -> f32 {
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let top = source(x0, y0) * (1.0 - fx) + source(x1, y0) * fx;
    let bottom = source(x0, y1) * (1.0 - fx) + source(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Random, label-preserving changes of a training sample.
pub struct Augmenter {
    rng: StdRng,
}

impl Augmenter {
    pub fn new(seed: u64) -> Augmenter {
        Augmenter {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A new sample: rotated by up to ±10°, scaled by 0.9–1.1 and shifted by up
    /// to 4% about the centre (image bilinear, labels nearest, outside = 0),
    /// then gain 0.8–1.2, gamma 0.8–1.25 and a little noise on the grey values.
    pub fn augment(&mut self, sample: &Sample) -> Sample {
        let size = sample.size;
        let angle = self.rng.random_range(-10f32..10.0).to_radians();
        let scale = self.rng.random_range(0.9f32..1.1);
        let shift = [
            self.rng.random_range(-0.04f32..0.04) * size as f32,
            self.rng.random_range(-0.04f32..0.04) * size as f32,
        ];
        let gain = self.rng.random_range(0.8f32..1.2);
        let gamma = self.rng.random_range(0.8f32..1.25);
        let noise = self.rng.random_range(0.0f32..0.03);
        let (sin, cos) = angle.sin_cos();
        let centre = size as f32 / 2.0;
        let mut image = Vec::with_capacity(size * size);
        let mut labels = Vec::with_capacity(if sample.labels.is_empty() {
            0
        } else {
            size * size
        });
        let source = |x: usize, y: usize| sample.image[y * size + x];
        for y in 0..size {
            for x in 0..size {
                // Inverse map: output pixel → source position.
                let dx = (x as f32 + 0.5 - centre - shift[0]) / scale;
                let dy = (y as f32 + 0.5 - centre - shift[1]) / scale;
                let sx = cos * dx + sin * dy + centre - 0.5;
                let sy = -sin * dx + cos * dy + centre - 0.5;
                let inside =
                    sx >= 0.0 && sy >= 0.0 && sx <= (size - 1) as f32 && sy <= (size - 1) as f32;
                let grey = if inside {
                    bilinear(source, sx, sy, size, size)
                } else {
                    0.0
                };
                let jitter = noise * (self.rng.random::<f32>() - 0.5) * 2.0;
                image.push((gain * grey.powf(gamma) + jitter).clamp(0.0, 1.0));
                if !sample.labels.is_empty() {
                    let (nx, ny) = (sx.round(), sy.round());
                    let label = if inside {
                        sample.labels[ny as usize * size + nx as usize]
                    } else {
                        0
                    };
                    labels.push(label);
                }
            }
        }
        Sample {
            size,
            image,
            labels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizing_keeps_the_labels_in_place() {
        // A 4×4 mask with class 2 in the right half, to 8×8 and back.
        let labels: Vec<u8> = (0..16).map(|i| if i % 4 >= 2 { 2 } else { 0 }).collect();
        let big = resize_labels(&labels, 4, 4, 8, 8);
        assert!((0..64).all(|i| big[i] == if i % 8 >= 4 { 2 } else { 0 }));
        assert_eq!(resize_labels(&big, 8, 8, 4, 4), labels);
    }

    #[test]
    fn grey_values_are_scaled_to_unit_range() {
        let sample = Sample::from_frame(&[0, 255, 255, 0], None, 2, 2, 2);
        assert_eq!(sample.image, [0.0, 1.0, 1.0, 0.0]);
        assert!(sample.labels.is_empty());
    }

    #[test]
    fn augmentation_keeps_labels_on_their_structures_and_never_flips() {
        // A bright square labelled 1 on the left of a 32×32 image.
        let size = 32;
        let mut image = vec![0.1; size * size];
        let mut labels = vec![0; size * size];
        for y in 10..22 {
            for x in 4..12 {
                image[y * size + x] = 0.9;
                labels[y * size + x] = 1;
            }
        }
        let sample = Sample {
            size,
            image,
            labels,
        };
        let mut augmenter = Augmenter::new(7);
        for _ in 0..20 {
            let out = augmenter.augment(&sample);
            let labelled: Vec<usize> = (0..size * size).filter(|&i| out.labels[i] == 1).collect();
            let area = labelled.len() as f32;
            assert!((60.0..140.0).contains(&area), "area {area}");
            // Labelled pixels are the bright ones, and the square stays on the left.
            let mean_x = labelled.iter().map(|i| (i % size) as f32).sum::<f32>() / area;
            assert!(mean_x < 14.0, "mean x {mean_x}");
            let bright = labelled.iter().filter(|&&i| out.image[i] > 0.4).count() as f32;
            assert!(bright / area > 0.8);
        }
    }
}
