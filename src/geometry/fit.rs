//! Corner fitting for simplified traced outlines, so that mask → contour →
//! mask round trips settle instead of drifting.
//!
//! Douglas–Peucker keeps vertices of the traced outline. Those vertices sit on
//! a staircase that zigzags half a pixel either side of the true edge and cuts
//! every corner by half a pixel, and the farthest-point rule prefers the
//! extreme ones. The simplified polygon is thus biased (arcs bulge, corners
//! erode) and the bias accumulates with each round trip. A least-squares line
//! fitted to all of the outline between two kept vertices averages the zigzag
//! out, and the intersections of consecutive lines restore the corners: the
//! fitted polygon's fill reproduces the mask it came from.

use super::Point;
use super::polygon::{cross, distance, wide};

/// How far, in tolerances, a fitted corner may lie from the vertex it
/// replaces. Farther intersections come from nearly parallel lines or very
/// sharp spikes, where the traced vertex is the safer choice.
const CORNER_REACH: f64 = 3.0;

/// The polygon through the `kept` vertices of the closed traced `outline`
/// (indices in increasing order, as Douglas–Peucker returns them), each moved
/// to the intersection of the least-squares lines fitted to the outline on
/// either side of it, unless that intersection is more than
/// `CORNER_REACH × tolerance` away. The result may need an
/// [`is_simple`](super::is_simple) check.
pub(super) fn fit_corners(outline: &[Point], kept: &[usize], tolerance: f32) -> Vec<Point> {
    let n = outline.len();
    // Line k fits the outline from kept[k] to kept[k + 1], wrapping round.
    let lines: Vec<Option<Line>> = kept
        .iter()
        .enumerate()
        .map(|(k, &first)| {
            let last = kept.get(k + 1).copied().unwrap_or(kept[0] + n);
            let chain: Vec<(Point, Point)> = (first..last)
                .map(|i| (outline[i % n], outline[(i + 1) % n]))
                .collect();
            Line::fit(&chain)
        })
        .collect();
    let reach = CORNER_REACH * f64::from(tolerance);
    kept.iter()
        .enumerate()
        .map(|(k, &index)| {
            let vertex = outline[index];
            let incoming = lines[(k + lines.len() - 1) % lines.len()];
            let outgoing = lines[k];
            incoming
                .zip(outgoing)
                .and_then(|(a, b)| a.intersection(&b))
                .map(|[x, y]| [x as f32, y as f32])
                .filter(|&corner| distance(corner, vertex) <= reach)
                .unwrap_or(vertex)
        })
        .collect()
}

/// A straight line through `point` along the unit vector `direction`.
#[derive(Clone, Copy)]
struct Line {
    point: [f64; 2],
    direction: [f64; 2],
}

impl Line {
    /// The total-least-squares line of a polyline given as segments: the line
    /// minimising the integral of squared distance along the segments (so a
    /// long straight run weighs by its length, not by its two vertices).
    /// `None` for a polyline of zero length.
    fn fit(segments: &[(Point, Point)]) -> Option<Self> {
        let length: f64 = segments.iter().map(|&(a, b)| distance(a, b)).sum();
        if length == 0.0 {
            return None;
        }
        let mut centre = [0.0, 0.0];
        for &(a, b) in segments {
            let (weight, middle) = (distance(a, b), midpoint(a, b));
            centre[0] += weight * middle[0] / length;
            centre[1] += weight * middle[1] / length;
        }
        // Second moments about the centre: a segment of length L with middle m
        // and extent d contributes L·((m − c)(m − c)ᵀ + d dᵀ / 12).
        let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
        for &(a, b) in segments {
            let (weight, middle) = (distance(a, b), midpoint(a, b));
            let (mx, my) = (middle[0] - centre[0], middle[1] - centre[1]);
            let (dx, dy) = (wide(b)[0] - wide(a)[0], wide(b)[1] - wide(a)[1]);
            xx += weight * (mx * mx + dx * dx / 12.0);
            xy += weight * (mx * my + dx * dy / 12.0);
            yy += weight * (my * my + dy * dy / 12.0);
        }
        // The principal axis of the 2 × 2 moment matrix.
        let angle = 0.5 * (2.0 * xy).atan2(xx - yy);
        Some(Self {
            point: centre,
            direction: [angle.cos(), angle.sin()],
        })
    }

    /// Where the two lines meet; `None` when they are (nearly) parallel.
    fn intersection(&self, other: &Line) -> Option<[f64; 2]> {
        let denominator = cross(self.direction, other.direction);
        if denominator.abs() < 1e-9 {
            return None;
        }
        let offset = [
            other.point[0] - self.point[0],
            other.point[1] - self.point[1],
        ];
        let t = cross(offset, other.direction) / denominator;
        Some([
            self.point[0] + t * self.direction[0],
            self.point[1] + t * self.direction[1],
        ])
    }
}

fn midpoint(a: Point, b: Point) -> [f64; 2] {
    let (a, b) = (wide(a), wide(b));
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_lines_average_a_zigzag_and_restore_a_cut_corner() {
        // A zigzag along y = 0 (±0.5) turning into one along x = 10.
        let mut outline: Vec<Point> = (0..=10)
            .map(|x| [x as f32, if x % 2 == 0 { 0.5 } else { -0.5 }])
            .collect();
        outline.extend((1..=10).map(|y| [if y % 2 == 0 { 10.5 } else { 9.5 }, y as f32]));
        outline.push([0.0, 10.0]);
        let kept = [0, 10, 20, 21];
        let fitted = fit_corners(&outline, &kept, 1.0);
        // The zigzags average to y = 0 and x = 10, which meet at (10, 0).
        assert!(distance(fitted[1], [10.0, 0.0]) < 0.1, "{:?}", fitted[1]);
        // A reach too small to get there keeps the traced vertex.
        assert_eq!(fit_corners(&outline, &kept, 0.01)[1], outline[10]);
    }

    #[test]
    fn parallel_lines_keep_the_traced_vertex() {
        let a = Line {
            point: [0.0, 0.0],
            direction: [1.0, 0.0],
        };
        let b = Line {
            point: [0.0, 1.0],
            direction: [-1.0, 0.0],
        };
        assert!(a.intersection(&b).is_none());
        let c = Line {
            point: [3.0, 5.0],
            direction: [0.0, 1.0],
        };
        assert_eq!(a.intersection(&c), Some([3.0, 0.0]));
    }
}
