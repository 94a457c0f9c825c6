//! Whole-outline reshaping: Taubin smoothing, Douglas–Peucker
//! simplification and even resampling, each keeping a simple input simple.

use super::*;

/// Taubin's shrinking factor: each iteration first moves every vertex half-way
/// towards the midpoint of its neighbours…
pub(super) const TAUBIN_LAMBDA: f64 = 0.5;
/// …then pushes it back slightly further, so that low frequencies (the shape)
/// keep their size while high frequencies (pixel staircases) are damped.
pub(super) const TAUBIN_MU: f64 = -0.53;
/// Below this tolerance `simplify` stops halving and returns its input.
pub(super) const MIN_SIMPLIFY_TOLERANCE: f32 = 1e-3;
/// How many times `resample` halves the spacing looking for a simple result.
pub(super) const RESAMPLE_ATTEMPTS: usize = 8;
/// Cap on `resample`'s output, against a tiny spacing on a long contour.
pub(super) const MAX_RESAMPLED_POINTS: usize = 1 << 16;

/// Taubin λ/μ smoothing, `iterations` times: removes the pixel staircase of a
/// traced or hand-drawn outline without the shrinkage plain Laplacian
/// smoothing causes. Keeps the number of vertices. Stops before the first
/// iteration whose result would not be simple, so a simple input gives a
/// simple output.
pub fn smooth(contour: &[Point], iterations: usize) -> Vec<Point> {
    let mut current = contour.to_vec();
    if contour.len() < 3 {
        return current;
    }
    for _ in 0..iterations {
        let next = laplacian_step(&laplacian_step(&current, TAUBIN_LAMBDA), TAUBIN_MU);
        if !is_simple(&next) {
            break;
        }
        current = next;
    }
    current
}

/// Douglas–Peucker simplification of a closed contour: drops vertices within
/// `tolerance` pixels of the simplified outline (0 drops only collinear ones),
/// so traced outlines get a manageable number of handles. The contour is
/// split at vertex 0 and the vertex farthest from it. If the result is not
/// simple the tolerance is halved and the simplification retried, down to
/// returning the input unchanged, so a simple input gives a simple output.
pub fn simplify(contour: &[Point], tolerance: f32) -> Vec<Point> {
    if contour.len() <= 3 || tolerance.is_nan() || tolerance < 0.0 {
        return contour.to_vec();
    }
    // No vertex is farther than the perimeter from any chord, so a larger
    // tolerance changes nothing; the cap keeps an infinite one halvable.
    let mut tolerance = tolerance.min(perimeter(contour));
    loop {
        let kept = douglas_peucker_closed(contour, tolerance);
        let candidate: Vec<Point> = kept.into_iter().map(|i| contour[i]).collect();
        if is_simple(&candidate) {
            return candidate;
        }
        if tolerance < MIN_SIMPLIFY_TOLERANCE {
            return contour.to_vec();
        }
        tolerance /= 2.0;
    }
}

/// Points evenly spaced along the perimeter, starting at vertex 0, about
/// `spacing` pixels apart (the exact spacing divides the perimeter evenly;
/// at least 3 points): regular handles for a freehand or traced contour.
/// Corners between samples are cut, so when that would make a simple input
/// non-simple the spacing is halved (a few times, then the input is returned).
/// Degenerate inputs (under 2 points, zero perimeter, spacing not positive)
/// come back unchanged.
pub fn resample(contour: &[Point], spacing: f32) -> Vec<Point> {
    let perimeter: f64 = edges(contour).map(|(a, b)| distance(a, b)).sum();
    let degenerate = contour.len() < 2 || !perimeter.is_finite() || perimeter <= 0.0;
    if degenerate || spacing.is_nan() || spacing <= 0.0 {
        return contour.to_vec();
    }
    let must_stay_simple = is_simple(contour);
    let mut spacing = f64::from(spacing);
    for _ in 0..RESAMPLE_ATTEMPTS {
        let count = ((perimeter / spacing).round() as usize).clamp(3, MAX_RESAMPLED_POINTS);
        let samples = evenly_spaced(contour, perimeter / count as f64, count);
        if !must_stay_simple || is_simple(&samples) {
            return samples;
        }
        spacing /= 2.0;
    }
    contour.to_vec()
}

/// `count` points `step` apart along the closed outline, from vertex 0.
pub(super) fn evenly_spaced(contour: &[Point], step: f64, count: usize) -> Vec<Point> {
    let mut samples = Vec::with_capacity(count);
    let mut edge_start = 0.0;
    for (a, b) in edges(contour) {
        let length = distance(a, b);
        // Zero-length edges never enter the loop: every target before
        // `edge_start` was emitted on an earlier edge.
        while samples.len() < count && samples.len() as f64 * step < edge_start + length {
            let t = (samples.len() as f64 * step - edge_start) / length;
            samples.push(lerp(a, b, t));
        }
        edge_start += length;
    }
    samples
}

/// One Laplacian step: every vertex moves `factor` of the way to the midpoint
/// of its two neighbours.
pub(super) fn laplacian_step(contour: &[Point], factor: f64) -> Vec<Point> {
    let n = contour.len();
    (0..n)
        .map(|i| {
            let (prev, here, next) = (
                wide(contour[(i + n - 1) % n]),
                wide(contour[i]),
                wide(contour[(i + 1) % n]),
            );
            let offset = |k: usize| ((prev[k] + next[k]) / 2.0 - here[k]) * factor;
            [(here[0] + offset(0)) as f32, (here[1] + offset(1)) as f32]
        })
        .collect()
}

/// Douglas–Peucker on a closed contour split at vertex 0 and the vertex
/// farthest from it: the indices of the vertices that stay, in order. A vertex
/// stays when it is more than `tolerance` from the chord that would replace it.
pub(in crate::geometry) fn douglas_peucker_closed(contour: &[Point], tolerance: f32) -> Vec<usize> {
    let tolerance = f64::from(tolerance);
    let n = contour.len();
    let farthest = (1..n)
        .max_by(|&i, &j| {
            distance(contour[0], contour[i]).total_cmp(&distance(contour[0], contour[j]))
        })
        .unwrap_or(0);
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[farthest] = true;
    // Index `n` stands for vertex 0 again, closing the second chain.
    let mut chains = vec![(0, farthest), (farthest, n)];
    while let Some((first, last)) = chains.pop() {
        let (a, b) = (contour[first], contour[last % n]);
        let worst = (first + 1..last)
            .map(|i| (i, distance_to_segment(contour[i], a, b)))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, d)) = worst
            && d > tolerance
        {
            keep[i] = true;
            chains.push((first, i));
            chains.push((i, last));
        }
    }
    (0..n).filter(|&i| keep[i]).collect()
}
