//! How far two outlines of one structure agree: Dice of their filled
//! regions, and the Hausdorff and mean distances between the outlines and
//! the difference of their areas in millimetres (pixels scaled by the
//! calibration, which may differ between x and y).

use crate::geometry::{Point, area, fill};

/// Outline points per pixel of perimeter when distances are measured.
const SAMPLES_PER_PIXEL: f64 = 4.0;

/// Agreement of two outlines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    pub dice: f64,
    /// The largest distance from a point of either outline to the other, mm.
    pub hausdorff_mm: f64,
    /// The mean distance from the points of each outline to the other
    /// (both directions together), mm.
    pub mean_distance_mm: f64,
    /// Area of `a` minus area of `b`, mm².
    pub area_difference_mm2: f64,
}

/// The agreement of outlines `a` and `b` on a `width × height` frame whose
/// pixels are `mm_per_pixel` (x, y) in size.
pub fn agreement(
    a: &[Point],
    b: &[Point],
    width: usize,
    height: usize,
    mm_per_pixel: (f64, f64),
) -> Agreement {
    let dice = fill(a, width, height).dice(&fill(b, width, height));
    let scale = |p: &Point| {
        [
            f64::from(p[0]) * mm_per_pixel.0,
            f64::from(p[1]) * mm_per_pixel.1,
        ]
    };
    let a_mm: Vec<[f64; 2]> = a.iter().map(scale).collect();
    let b_mm: Vec<[f64; 2]> = b.iter().map(scale).collect();
    let step = mm_per_pixel.0.min(mm_per_pixel.1) / SAMPLES_PER_PIXEL;
    let from_a: Vec<f64> = dense(&a_mm, step)
        .iter()
        .map(|p| distance_to(p, &b_mm))
        .collect();
    let from_b: Vec<f64> = dense(&b_mm, step)
        .iter()
        .map(|p| distance_to(p, &a_mm))
        .collect();
    let all = || from_a.iter().chain(&from_b);
    let count = (from_a.len() + from_b.len()).max(1) as f64;
    Agreement {
        dice,
        hausdorff_mm: all().copied().fold(0.0, f64::max),
        mean_distance_mm: all().sum::<f64>() / count,
        area_difference_mm2: (f64::from(area(a)) - f64::from(area(b)))
            * mm_per_pixel.0
            * mm_per_pixel.1,
    }
}

/// Points along a closed outline, `step` apart (the vertices included).
fn dense(outline: &[[f64; 2]], step: f64) -> Vec<[f64; 2]> {
    let mut points = Vec::new();
    for (i, &p) in outline.iter().enumerate() {
        let q = outline[(i + 1) % outline.len()];
        let length = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
        let steps = (length / step).ceil().max(1.0) as usize;
        points.extend((0..steps).map(|k| {
            let t = k as f64 / steps as f64;
            [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
        }));
    }
    points
}

/// The distance from `p` to the nearest edge of the closed outline.
fn distance_to(p: &[f64; 2], outline: &[[f64; 2]]) -> f64 {
    (0..outline.len())
        .map(|i| segment_distance(p, outline[i], outline[(i + 1) % outline.len()]))
        .fold(f64::INFINITY, f64::min)
}

fn segment_distance(p: &[f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    let t = if length2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(cx: f32, cy: f32, r: f32, n: usize) -> Vec<Point> {
        (0..n)
            .map(|k| {
                let t = k as f32 / n as f32 * std::f32::consts::TAU;
                [cx + r * t.cos(), cy + r * t.sin()]
            })
            .collect()
    }

    /// Two circles of radius r whose centres are d apart: the Hausdorff
    /// distance is d, the mean distance the mean over the circle of
    /// |√(r² + d² + 2rd·cos θ) − r|, and Dice the lens area over πr².
    #[test]
    fn two_offset_circles_agree_as_geometry_says() {
        let (r, d) = (60.0f64, 9.0f64);
        let mm = (0.3, 0.3);
        let a = circle(100.0, 100.0, r as f32, 720);
        let b = circle(100.0 + d as f32, 100.0, r as f32, 720);
        let got = agreement(&a, &b, 220, 200, mm);
        assert!((got.hausdorff_mm - d * 0.3).abs() < 0.02, "{got:?}");
        let n = 100_000;
        let mean: f64 = (0..n)
            .map(|k| {
                let t = k as f64 / n as f64 * std::f64::consts::TAU;
                ((r * r + d * d + 2.0 * r * d * t.cos()).sqrt() - r).abs()
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            (got.mean_distance_mm - mean * 0.3).abs() < 0.01,
            "{got:?} vs {}",
            mean * 0.3
        );
        let lens = 2.0 * r * r * (d / (2.0 * r)).acos() - d / 2.0 * (4.0 * r * r - d * d).sqrt();
        let dice = lens / (std::f64::consts::PI * r * r);
        assert!((got.dice - dice).abs() < 0.005, "{} vs {dice}", got.dice);
        assert!(got.area_difference_mm2.abs() < 1e-6);
        let same = agreement(&a, &a, 220, 200, mm);
        assert_eq!(same.dice, 1.0);
        assert!(same.hausdorff_mm < 1e-9 && same.mean_distance_mm < 1e-9);
    }
}
