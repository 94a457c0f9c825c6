//! Shrinking images to fit a size limit, for display: a GPU refuses textures
//! wider or taller than its limit (8192 pixels on many), and a thumbnail must
//! fit its cell however long and thin the frame is.
//!
//! Images are row-major bytes with `channels` bytes per pixel. Shrinking
//! keeps the aspect ratio as closely as whole pixels allow; the result is
//! meant to be drawn over the same rectangle as the full image, so image
//! coordinates map to the screen exactly as before.

/// The largest size within `max_width` × `max_height` with the aspect ratio
/// of `width` × `height`, each side at least 1 pixel; an image that already
/// fits keeps its size.
pub fn fit_within(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    let (width, height) = (width.max(1), height.max(1));
    let (max_width, max_height) = (max_width.max(1), max_height.max(1));
    if width <= max_width && height <= max_height {
        return (width, height);
    }
    let scale =
        (f64::from(max_width) / f64::from(width)).min(f64::from(max_height) / f64::from(height));
    let side = |length: u32, max: u32| ((f64::from(length) * scale).round() as u32).clamp(1, max);
    (side(width, max_width), side(height, max_height))
}

/// The source rows (or columns) `[start, end)` that target row `index` of
/// `target` covers: the ranges partition `0..source`, so every source pixel
/// counts exactly once.
fn span(index: u32, source: u32, target: u32) -> (usize, usize) {
    let at = |i: u32| (u64::from(i) * u64::from(source) / u64::from(target)) as usize;
    let start = at(index);
    (start, at(index + 1).max(start + 1))
}

/// Shrinks an image with a box filter: each target pixel is the mean of the
/// source pixels it covers (grey and colour frames). `None` when `pixels` is
/// not `width × height × channels` bytes or `to` is larger than the image.
pub fn box_filter(
    pixels: &[u8],
    (width, height): (u32, u32),
    channels: usize,
    (to_width, to_height): (u32, u32),
) -> Option<Vec<u8>> {
    if !fits(pixels, (width, height), channels, (to_width, to_height)) {
        return None;
    }
    let row_bytes = width as usize * channels;
    let column_spans: Vec<(usize, usize)> =
        (0..to_width).map(|x| span(x, width, to_width)).collect();
    let mut out = Vec::with_capacity(to_width as usize * to_height as usize * channels);
    let mut sums = vec![0u64; to_width as usize * channels];
    for y in 0..to_height {
        let (top, bottom) = span(y, height, to_height);
        sums.fill(0);
        for row in pixels[top * row_bytes..bottom * row_bytes].chunks_exact(row_bytes) {
            for (x, &(left, right)) in column_spans.iter().enumerate() {
                let sum = &mut sums[x * channels..(x + 1) * channels];
                for pixel in row[left * channels..right * channels].chunks_exact(channels) {
                    for (total, &value) in sum.iter_mut().zip(pixel) {
                        *total += u64::from(value);
                    }
                }
            }
        }
        for (x, &(left, right)) in column_spans.iter().enumerate() {
            let count = ((right - left) * (bottom - top)) as u64;
            out.extend(
                sums[x * channels..(x + 1) * channels]
                    .iter()
                    .map(|total| ((total + count / 2) / count) as u8),
            );
        }
    }
    Some(out)
}

/// Shrinks a class map by taking the source pixel at the centre of each
/// target pixel: labels are categories, and averaging two would invent a
/// third. Same contract as [`box_filter`].
pub fn nearest(
    pixels: &[u8],
    (width, height): (u32, u32),
    channels: usize,
    (to_width, to_height): (u32, u32),
) -> Option<Vec<u8>> {
    if !fits(pixels, (width, height), channels, (to_width, to_height)) {
        return None;
    }
    let centre = |index: u32, source: u32, target: u32| {
        ((2 * u64::from(index) + 1) * u64::from(source) / (2 * u64::from(target))) as usize
    };
    let columns: Vec<usize> = (0..to_width).map(|x| centre(x, width, to_width)).collect();
    let mut out = Vec::with_capacity(to_width as usize * to_height as usize * channels);
    for y in 0..to_height {
        let row = centre(y, height, to_height) * width as usize;
        for &column in &columns {
            let at = (row + column) * channels;
            out.extend_from_slice(&pixels[at..at + channels]);
        }
    }
    Some(out)
}

fn fits(pixels: &[u8], (width, height): (u32, u32), channels: usize, to: (u32, u32)) -> bool {
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(channels));
    channels > 0
        && expected == Some(pixels.len())
        && (1..=width).contains(&to.0)
        && (1..=height).contains(&to.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_that_fits_is_kept_and_one_too_large_keeps_its_aspect() {
        assert_eq!(fit_within(640, 480, 8192, 8192), (640, 480));
        assert_eq!(fit_within(64, 9000, 8192, 8192), (58, 8192));
        assert_eq!(fit_within(9000, 64, 8192, 8192), (8192, 58));
        assert_eq!(fit_within(800, 600, 96, 96), (96, 72));
    }

    #[test]
    fn a_long_thin_image_keeps_at_least_one_pixel_across() {
        assert_eq!(fit_within(11, 16_384, 96, 96), (1, 96));
        assert_eq!(fit_within(16_384, 1, 100, 100), (100, 1));
        assert_eq!(fit_within(0, 0, 0, 0), (1, 1));
    }

    #[test]
    fn the_box_filter_averages_each_block_of_a_grey_image() {
        // 4×2 → 2×1: the means of the two 2×2 blocks.
        let pixels = [0, 10, 100, 200, 20, 30, 50, 250];
        let small = box_filter(&pixels, (4, 2), 1, (2, 1)).unwrap();
        assert_eq!(small, [15, 150]);
    }

    #[test]
    fn the_box_filter_counts_every_source_pixel_once_on_uneven_ratios() {
        // 5 columns into 2: spans [0, 2) and [2, 5), compared with a plain loop.
        let pixels: Vec<u8> = (0..5u8).flat_map(|v| [v * 10, 255 - v * 10]).collect();
        let small = box_filter(&pixels, (5, 1), 2, (2, 1)).unwrap();
        let mean = |values: &[u8]| {
            let sum: u32 = values.iter().map(|&v| u32::from(v)).sum();
            ((sum + values.len() as u32 / 2) / values.len() as u32) as u8
        };
        let first: Vec<u8> = (0..2u8).map(|v| v * 10).collect();
        let second: Vec<u8> = (2..5u8).map(|v| v * 10).collect();
        assert_eq!(small[0], mean(&first));
        assert_eq!(small[2], mean(&second));
        assert_eq!(small[1], 255 - small[0]);
        assert_eq!(small[3], 255 - small[2]);
    }

    #[test]
    fn an_image_over_a_small_limit_comes_out_within_it_with_its_mean() {
        // 3 × 40 RGBA against a limit of 8: 1 × 8 pixels, mean brightness kept.
        let (width, height) = (3, 40);
        let pixels: Vec<u8> = (0..width * height)
            .flat_map(|i| {
                let v = (i * 7 % 256) as u8;
                [v, v, v, 255]
            })
            .collect();
        let to = fit_within(width, height, 8, 8);
        assert_eq!(to, (1, 8));
        let small = box_filter(&pixels, (width, height), 4, to).unwrap();
        assert_eq!(small.len(), 8 * 4);
        let mean = |p: &[u8]| {
            p.chunks_exact(4).map(|px| f64::from(px[0])).sum::<f64>() / (p.len() / 4) as f64
        };
        assert!((mean(&small) - mean(&pixels)).abs() < 1.0);
        assert!(small.chunks_exact(4).all(|px| px[3] == 255));
    }

    #[test]
    fn nearest_keeps_labels_that_exist_in_the_source() {
        // Classes 1 and 3 side by side; no 2 may appear from averaging.
        let labels = [1, 1, 3, 3, 1, 1, 3, 3];
        let small = nearest(&labels, (4, 2), 1, (2, 1)).unwrap();
        assert_eq!(small, [1, 3]);
    }

    #[test]
    fn a_buffer_of_the_wrong_size_or_a_larger_target_is_refused() {
        assert!(box_filter(&[0; 7], (4, 2), 1, (2, 1)).is_none());
        assert!(box_filter(&[0; 8], (4, 2), 1, (8, 1)).is_none());
        assert!(nearest(&[0; 8], (4, 2), 1, (0, 1)).is_none());
    }
}
