//! The operations of the CPU U-Net on plain buffers: 3×3 and 1×1
//! convolutions as one matrix product per tile of output rows (im2col, then
//! `ndarray`'s GEMM, which is `matrixmultiply`), the 2×2 transposed
//! convolution as one product and a pixel shuffle, 2×2 max pooling and
//! dropout masks. Bias and ReLU are applied to each tile while it is still in
//! cache, and a convolution reads its input from several sources so the
//! decoder never builds the concatenation of skip and upsampled features.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Output pixels a convolution tile aims at: the im2col block of a tile
/// (input channels × 9 × pixels) stays within a few MB, and a frame splits
/// into enough tiles to keep both cores busy on a single image.
const TILE_PIXELS: usize = 2048;

/// Feature maps `[images, channels, height, width]`, contiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct Maps {
    pub data: Vec<f32>,
    pub images: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Maps {
    pub fn zeros(images: usize, channels: usize, height: usize, width: usize) -> Maps {
        Maps {
            data: vec![0.0; images * channels * height * width],
            images,
            channels,
            height,
            width,
        }
    }

    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    fn image_len(&self) -> usize {
        self.channels * self.pixels()
    }

    /// Image `n` of a batch that repeats these maps (sample-major: image `n`
    /// of a T-fold repetition is image `n % images` here).
    pub fn image(&self, n: usize) -> &[f32] {
        let n = n % self.images;
        &self.data[n * self.image_len()..(n + 1) * self.image_len()]
    }

    /// These maps repeated to `images` images (sample-major).
    pub fn repeat(&self, images: usize) -> Maps {
        let mut data = Vec::with_capacity(images * self.image_len());
        for n in 0..images {
            data.extend_from_slice(self.image(n));
        }
        Maps {
            data,
            images,
            ..*self
        }
    }
}

/// A convolution's weights as a matrix `[out, in × kernel pixels]` (burn's
/// `[out, in, kh, kw]` flattened), with its bias.
#[derive(Debug, Clone)]
pub struct Conv {
    pub weight: Array2<f32>,
    pub bias: Vec<f32>,
    pub relu: bool,
}

/// A 3×3 convolution with padding 1 over the channels of `sources` taken in
/// order (their concatenation), for `images` output images; `sources` repeat
/// as [`Maps::image`] says.
pub fn conv3x3(sources: &[&Maps], images: usize, conv: &Conv) -> Maps {
    let (height, width) = (sources[0].height, sources[0].width);
    let channels_in: usize = sources.iter().map(|m| m.channels).sum();
    assert_eq!(
        conv.weight.ncols(),
        channels_in * 9,
        "3×3 weights fit the input"
    );
    let channels_out = conv.weight.nrows();
    let mut out = Maps::zeros(images, channels_out, height, width);
    let rows = (TILE_PIXELS / width).clamp(1, height);
    let tile = rows * width;
    tiles(&mut out, tile)
        .into_par_iter()
        .for_each_init(Vec::new, |col, (n, start, mut dst)| {
            let pixels = dst.ncols();
            col.resize(channels_in * 9 * pixels, 0.0);
            let y0 = start / width;
            let mut k = 0;
            for source in sources {
                let image = source.image(n);
                for c in 0..source.channels {
                    let plane = &image[c * height * width..(c + 1) * height * width];
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let row = &mut col[k * pixels..(k + 1) * pixels];
                            shifted_rows(row, plane, y0, width, height, ky, kx);
                            k += 1;
                        }
                    }
                }
            }
            let col = ArrayView2::from_shape((channels_in * 9, pixels), &col[..])
                .expect("the im2col block has its shape");
            product_into(conv, &col, &mut dst);
        });
    out
}

/// Rows `y0..` of `plane` shifted by `(ky − 1, kx − 1)`, zero outside: one
/// row of the im2col block.
fn shifted_rows(
    row: &mut [f32],
    plane: &[f32],
    y0: usize,
    width: usize,
    height: usize,
    ky: usize,
    kx: usize,
) {
    for (r, dst) in row.chunks_exact_mut(width).enumerate() {
        let y = (y0 + r + ky) as isize - 1;
        if y < 0 || y >= height as isize {
            dst.fill(0.0);
            continue;
        }
        let src = &plane[y as usize * width..(y as usize + 1) * width];
        match kx {
            0 => {
                dst[0] = 0.0;
                dst[1..].copy_from_slice(&src[..width - 1]);
            }
            1 => dst.copy_from_slice(src),
            _ => {
                dst[..width - 1].copy_from_slice(&src[1..]);
                dst[width - 1] = 0.0;
            }
        }
    }
}

/// A 1×1 convolution (the head) for `images` output images.
pub fn conv1x1(input: &Maps, images: usize, conv: &Conv) -> Maps {
    assert_eq!(
        conv.weight.ncols(),
        input.channels,
        "1×1 weights fit the input"
    );
    let mut out = Maps::zeros(images, conv.weight.nrows(), input.height, input.width);
    let pixels = input.pixels();
    tiles(&mut out, TILE_PIXELS)
        .into_par_iter()
        .for_each(|(n, start, mut dst)| {
            let image = ArrayView2::from_shape((input.channels, pixels), input.image(n))
                .expect("an image has its shape");
            let columns = image.slice_axis(Axis(1), Slice::from(start..start + dst.ncols()));
            product_into(conv, &columns, &mut dst);
        });
    out
}

/// `dst = relu?(weight × columns + bias)`.
fn product_into(conv: &Conv, columns: &ArrayView2<f32>, dst: &mut ArrayViewMut2<f32>) {
    for (mut row, &bias) in dst.rows_mut().into_iter().zip(&conv.bias) {
        row.fill(bias);
    }
    general_mat_mul(1.0, &conv.weight, columns, 1.0, dst);
    if conv.relu {
        dst.mapv_inplace(|v| v.max(0.0));
    }
}

/// Disjoint views `[channels, ≤ tile]` of every image's output, with the
/// image index and first pixel of each: the units the workers share.
fn tiles(out: &mut Maps, tile: usize) -> Vec<(usize, usize, ArrayViewMut2<'_, f32>)> {
    let (channels, pixels) = (out.channels, out.pixels());
    out.data
        .chunks_exact_mut(channels * pixels)
        .enumerate()
        .flat_map(|(n, image)| {
            ArrayViewMut2::from_shape((channels, pixels), image)
                .expect("an image has its shape")
                .into_axis_chunks_iter_mut(Axis(1), tile)
                .enumerate()
                .map(move |(t, view)| (n, t * tile, view))
        })
        .collect()
}

/// A 2×2 transposed convolution with stride 2: `weight` is burn's
/// `[in, out, 2, 2]` as `[in, out × 4]`.
pub fn conv_transpose2x2(input: &Maps, weight: &Array2<f32>, bias: &[f32]) -> Maps {
    let channels_out = bias.len();
    assert_eq!(weight.dim(), (input.channels, channels_out * 4));
    let (h, w) = (input.height, input.width);
    let mut out = Maps::zeros(input.images, channels_out, 2 * h, 2 * w);
    let out_len = out.image_len();
    out.data
        .par_chunks_exact_mut(out_len)
        .enumerate()
        .for_each(|(n, dst)| {
            let image = ArrayView2::from_shape((input.channels, h * w), input.image(n))
                .expect("an image has its shape");
            let mut product = Array2::zeros((channels_out * 4, h * w));
            general_mat_mul(1.0, &weight.t(), &image, 0.0, &mut product);
            for (co, plane) in dst.chunks_exact_mut(4 * h * w).enumerate() {
                for dy in 0..2 {
                    for dx in 0..2 {
                        let values = product.row(co * 4 + dy * 2 + dx);
                        for y in 0..h {
                            let out_row =
                                &mut plane[(2 * y + dy) * 2 * w..(2 * y + dy + 1) * 2 * w];
                            for x in 0..w {
                                out_row[2 * x + dx] = values[y * w + x] + bias[co];
                            }
                        }
                    }
                }
            }
        });
    out
}

/// 2×2 max pooling with stride 2 (sizes are even: the input is a multiple of 16).
pub fn max_pool2x2(input: &Maps) -> Maps {
    let (h, w) = (input.height / 2, input.width / 2);
    let mut out = Maps::zeros(input.images, input.channels, h, w);
    let width = input.width;
    out.data
        .par_chunks_exact_mut(h * w)
        .zip(input.data.par_chunks_exact(input.pixels()))
        .for_each(|(dst, plane)| {
            for y in 0..h {
                let top = &plane[2 * y * width..(2 * y + 1) * width];
                let bottom = &plane[(2 * y + 1) * width..(2 * y + 2) * width];
                for x in 0..w {
                    dst[y * w + x] = top[2 * x]
                        .max(top[2 * x + 1])
                        .max(bottom[2 * x])
                        .max(bottom[2 * x + 1]);
                }
            }
        });
    out
}

/// Dropout that stays on at inference: each value is kept with probability
/// `1 − p` and scaled by `1 / (1 − p)`. Image `n` draws from its own
/// generator seeded by `seed` and `n`, so results do not depend on how the
/// work is split between threads.
pub fn dropout(maps: &mut Maps, probability: f64, seed: u64) {
    if probability <= 0.0 {
        return;
    }
    let keep = 1.0 - probability;
    let scale = (1.0 / keep) as f32;
    // Kept when a uniform u32 falls below keep × 2³².
    let threshold = (keep * 4_294_967_296.0).min(4_294_967_295.0) as u32;
    let image_len = maps.image_len();
    maps.data
        .par_chunks_exact_mut(image_len)
        .enumerate()
        .for_each(|(n, image)| {
            let mut rng =
                SmallRng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for value in image {
                *value = if rng.next_u32() < threshold {
                    *value * scale
                } else {
                    0.0
                };
            }
        });
}
