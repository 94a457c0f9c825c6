//! From shapes to pixels: filling contours and painting brush dabs, row by
//! row with span writes so that redrawing on every mouse move stays cheap.
//!
//! A pixel belongs to a shape when its centre does. Span ends are turned into
//! pixel ranges in `f64`, where `c − 0.5` is exact for every `c ≥ 0.25` (and
//! smaller ends clamp to pixel 0 either way), so a pixel centre exactly on a
//! span end is classified the same way as [`contains`](super::contains)
//! classifies it.

use std::ops::Range;

use super::polygon::scanline_crossing;
use super::{Mask, Point};

/// The mask of the pixels whose centre lies inside `contour` (even-odd rule),
/// the inverse of [`mask_to_contour`](super::mask_to_contour). Scanline with
/// an active edge list: each row costs only the edges that cross it. On a row
/// the crossings are sorted and a pixel whose centre `c` satisfies
/// `x0 ≤ c < x1` for a crossing pair (x0, x1) is set.
pub fn fill(contour: &[Point], width: usize, height: usize) -> Mask {
    let mut mask = Mask::new(width, height);
    let mut edges: Vec<ActiveEdge> = contour
        .iter()
        .zip(contour.iter().cycle().skip(1))
        .filter_map(|(&a, &b)| ActiveEdge::new(a, b, height))
        .collect();
    edges.sort_unstable_by_key(|edge| edge.rows.start);
    let mut pending = edges.into_iter().peekable();
    let mut active: Vec<ActiveEdge> = Vec::new();
    let mut crossings: Vec<f64> = Vec::new();
    for y in 0..height {
        active.retain(|edge| edge.rows.end > y);
        while let Some(edge) = pending.next_if(|edge| edge.rows.start <= y) {
            active.push(edge);
        }
        let centre_y = y as f64 + 0.5;
        crossings.clear();
        crossings.extend(
            active
                .iter()
                .filter_map(|edge| scanline_crossing(edge.a, edge.b, centre_y)),
        );
        crossings.sort_unstable_by(f64::total_cmp);
        for pair in crossings.chunks_exact(2) {
            mask.set_span(y, centres_from_to(pair[0], pair[1], width), true);
        }
    }
    mask
}

/// Sets (or, with `value == false`, clears) the pixels whose centre lies
/// within `radius` of `centre`: one dab of the brush or eraser.
pub fn paint_disc(mask: &mut Mask, centre: Point, radius: f32, value: bool) {
    paint_stroke(mask, centre, centre, radius, value);
}

/// Sets (or clears) the pixels whose centre lies within `radius` of the
/// segment `from`–`to`: a capsule, so a fast mouse drag between two events
/// leaves a continuous stroke instead of separate dabs.
pub fn paint_stroke(mask: &mut Mask, from: Point, to: Point, radius: f32, value: bool) {
    let capsule = Capsule::new(from, to, radius);
    let top = f64::from(from[1].min(to[1])) - capsule.radius;
    let bottom = f64::from(from[1].max(to[1])) + capsule.radius;
    let rows =
        first_centre_at_or_after(top, mask.height())..first_centre_after(bottom, mask.height());
    for y in rows {
        if let Some((left, right)) = capsule.span(y as f64 + 0.5) {
            let xs = first_centre_at_or_after(left, mask.width())
                ..first_centre_after(right, mask.width());
            mask.set_span(y, xs, value);
        }
    }
}

/// An edge of the contour being filled, with the rows whose centre line it
/// crosses.
struct ActiveEdge {
    a: Point,
    b: Point,
    rows: Range<usize>,
}

impl ActiveEdge {
    /// The edge a→b if it crosses the centre line of any of the `height` rows.
    /// Rows follow [`scanline_crossing`]: y crosses when `min ≤ y < max`.
    fn new(a: Point, b: Point, height: usize) -> Option<Self> {
        if !(a[0].is_finite() && a[1].is_finite() && b[0].is_finite() && b[1].is_finite()) {
            return None;
        }
        let (low, high) = (f64::from(a[1].min(b[1])), f64::from(a[1].max(b[1])));
        let rows = first_centre_at_or_after(low, height)..first_centre_at_or_after(high, height);
        (!rows.is_empty()).then_some(Self { a, b, rows })
    }
}

/// The pixels `x` with `from ≤ x + 0.5 < to`, clipped to `0..limit`.
fn centres_from_to(from: f64, to: f64, limit: usize) -> Range<usize> {
    first_centre_at_or_after(from, limit)..first_centre_at_or_after(to, limit)
}

/// The first index `i` in `0..=limit` with `i + 0.5 ≥ v` (`limit` if none).
fn first_centre_at_or_after(v: f64, limit: usize) -> usize {
    clamp_index((v - 0.5).ceil(), limit)
}

/// The first index `i` in `0..=limit` with `i + 0.5 > v` (`limit` if none).
fn first_centre_after(v: f64, limit: usize) -> usize {
    clamp_index((v - 0.5).floor() + 1.0, limit)
}

/// `i` clamped to `0..=limit`; NaN gives 0.
fn clamp_index(i: f64, limit: usize) -> usize {
    if i > 0.0 {
        // Saturating float-to-int conversion, then the clamp.
        (i as usize).min(limit)
    } else {
        0
    }
}

/// The set of points within `radius` of a segment, sliced row by row.
struct Capsule {
    from: [f64; 2],
    to: [f64; 2],
    radius: f64,
}

impl Capsule {
    fn new(from: Point, to: Point, radius: f32) -> Self {
        Self {
            from: [f64::from(from[0]), f64::from(from[1])],
            to: [f64::from(to[0]), f64::from(to[1])],
            radius: f64::from(radius),
        }
    }

    /// The x interval of the capsule on the horizontal line `y`. The capsule
    /// is convex, so its slice is one interval: the hull of the slices of its
    /// end discs and of the band swept along the segment.
    fn span(&self, y: f64) -> Option<(f64, f64)> {
        [
            self.disc_span(self.from, y),
            self.disc_span(self.to, y),
            self.band_span(y),
        ]
        .into_iter()
        .flatten()
        .reduce(|(l0, r0), (l1, r1)| (l0.min(l1), r0.max(r1)))
    }

    fn disc_span(&self, centre: [f64; 2], y: f64) -> Option<(f64, f64)> {
        let dy = y - centre[1];
        let half_squared = self.radius * self.radius - dy * dy;
        (half_squared >= 0.0).then(|| {
            let half = half_squared.sqrt();
            (centre[0] - half, centre[0] + half)
        })
    }

    /// The points (x, y) whose projection falls on the segment and whose
    /// distance to its line is at most the radius. Both conditions are linear
    /// in u = x − from.x, so each bounds u to an interval.
    fn band_span(&self, y: f64) -> Option<(f64, f64)> {
        let (dx, dy) = (self.to[0] - self.from[0], self.to[1] - self.from[1]);
        let length_squared = dx * dx + dy * dy;
        if length_squared == 0.0 {
            return None;
        }
        let v = y - self.from[1];
        let reach = self.radius * length_squared.sqrt();
        // Projection: 0 ≤ u·dx + v·dy ≤ |d|².
        let along = linear_range(dx, -v * dy, length_squared - v * dy)?;
        // Distance to the line: |dx·v − dy·u| ≤ r·|d|.
        let across = linear_range(-dy, -reach - dx * v, reach - dx * v)?;
        let (left, right) = (along.0.max(across.0), along.1.min(across.1));
        (left <= right).then_some((self.from[0] + left, self.from[0] + right))
    }
}

/// The values u with `low ≤ k·u ≤ high`: an interval, unbounded when k = 0
/// and `low ≤ 0 ≤ high`, `None` when empty.
fn linear_range(k: f64, low: f64, high: f64) -> Option<(f64, f64)> {
    if k == 0.0 {
        return (low <= 0.0 && 0.0 <= high).then_some((f64::NEG_INFINITY, f64::INFINITY));
    }
    let (a, b) = (low / k, high / k);
    let (a, b) = (a.min(b), a.max(b));
    (a <= b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::contains;
    use crate::geometry::testing::{Lcg, circle};

    /// Distance from `p` to segment a–b, computed directly.
    fn distance_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
    }

    #[test]
    fn fill_of_an_integer_rectangle_is_exactly_its_pixels() {
        let rectangle = [[3.0, 2.0], [9.0, 2.0], [9.0, 7.0], [3.0, 7.0]];
        let mask = fill(&rectangle, 12, 10);
        for y in 0..10 {
            for x in 0..12 {
                let expected = (3..9).contains(&x) && (2..7).contains(&y);
                assert_eq!(mask.get(x, y), expected, "pixel ({x}, {y})");
            }
        }
        assert_eq!(mask.count(), 30);
        // Orientation does not matter.
        let reversed: Vec<Point> = rectangle.iter().rev().copied().collect();
        assert_eq!(fill(&reversed, 12, 10), mask);
    }

    #[test]
    fn fill_of_a_circle_has_its_area() {
        let mask = fill(&circle([50.0, 50.0], 40.0, 720), 100, 100);
        let expected = std::f64::consts::PI * 40.0 * 40.0;
        let error = (mask.count() as f64 / expected - 1.0).abs();
        assert!(error < 0.01, "count {} vs {expected}", mask.count());
    }

    #[test]
    fn fill_leaves_a_notch_empty_and_uses_even_odd() {
        // A U: the notch [4, 6) × [0, 6) stays empty.
        let u = [
            [2.0, 0.0],
            [4.0, 0.0],
            [4.0, 6.0],
            [6.0, 6.0],
            [6.0, 0.0],
            [8.0, 0.0],
            [8.0, 8.0],
            [2.0, 8.0],
        ];
        let mask = fill(&u, 10, 10);
        assert_eq!(mask.count(), 6 * 8 - 2 * 6);
        assert!(mask.get(3, 0) && mask.get(7, 0) && mask.get(5, 7));
        assert!(!mask.get(4, 0) && !mask.get(5, 5));
        // A square traced twice over the same region: every pixel is covered
        // twice, so nothing is inside.
        let twice = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]].repeat(2);
        assert_eq!(fill(&twice, 6, 6).count(), 0);
    }

    #[test]
    fn fill_agrees_with_contains_at_every_pixel_centre() {
        let mut rng = Lcg::new(3);
        for _ in 0..50 {
            let n = 3 + (rng.next_f32() * 12.0) as usize;
            let polygon: Vec<Point> = (0..n)
                .map(|_| {
                    // Half the vertices on the half-pixel lattice, to hit ties.
                    let p = [rng.range(-5.0, 45.0), rng.range(-5.0, 35.0)];
                    if rng.next_f32() < 0.5 {
                        p.map(|v| (v * 2.0).round() / 2.0)
                    } else {
                        p
                    }
                })
                .collect();
            let mask = fill(&polygon, 40, 30);
            for y in 0..30 {
                for x in 0..40 {
                    let centre = [x as f32 + 0.5, y as f32 + 0.5];
                    assert_eq!(
                        mask.get(x, y),
                        contains(&polygon, centre),
                        "{polygon:?} at ({x}, {y})"
                    );
                }
            }
        }
    }

    #[test]
    fn fill_clips_to_the_image_and_ignores_degenerate_input() {
        let overhanging = [[-10.0, -10.0], [5.0, -10.0], [5.0, 3.0], [-10.0, 3.0]];
        let mask = fill(&overhanging, 8, 8);
        assert_eq!(mask.count(), 5 * 3);
        assert_eq!(fill(&[[1.0, 1.0], [5.0, 5.0]], 8, 8).count(), 0);
        assert_eq!(fill(&[], 8, 8).count(), 0);
        assert_eq!(
            fill(&[[0.0, 0.0], [f32::NAN, 4.0], [4.0, 4.0]], 8, 8).count(),
            0
        );
    }

    #[test]
    fn paint_disc_covers_the_disc_area() {
        let mut mask = Mask::new(100, 100);
        paint_disc(&mut mask, [50.3, 49.8], 20.0, true);
        let expected = std::f64::consts::PI * 400.0;
        assert!(
            (mask.count() as f64 / expected - 1.0).abs() < 0.02,
            "{}",
            mask.count()
        );
        assert!(mask.get(50, 49) && mask.get(69, 49) && !mask.get(71, 49));
        // The eraser clears a smaller disc inside.
        paint_disc(&mut mask, [50.3, 49.8], 10.0, false);
        let expected = std::f64::consts::PI * 300.0;
        assert!(
            (mask.count() as f64 / expected - 1.0).abs() < 0.03,
            "{}",
            mask.count()
        );
        assert!(!mask.get(50, 49));
        // A disc overhanging the corner is clipped.
        let mut corner = Mask::new(10, 10);
        paint_disc(&mut corner, [0.0, 0.0], 3.0, true);
        assert_eq!(corner.count(), 8);
    }

    #[test]
    fn paint_stroke_is_exactly_the_capsule() {
        let (from, to, radius) = ([12.3, 20.7], [71.9, 48.2], 4.3_f32);
        let mut mask = Mask::new(90, 70);
        paint_stroke(&mut mask, from, to, radius, true);
        let (a, b) = (
            [12.3_f32 as f64, 20.7_f32 as f64],
            [71.9_f32 as f64, 48.2_f32 as f64],
        );
        for y in 0..70 {
            for x in 0..90 {
                let centre = [x as f64 + 0.5, y as f64 + 0.5];
                let inside = distance_to_segment(centre, a, b) <= f64::from(radius);
                assert_eq!(mask.get(x, y), inside, "pixel ({x}, {y})");
            }
        }
        let length = (b[0] - a[0]).hypot(b[1] - a[1]);
        let r = f64::from(radius);
        let expected = 2.0 * r * length + std::f64::consts::PI * r * r;
        assert!((mask.count() as f64 / expected - 1.0).abs() < 0.02);
    }

    #[test]
    fn paint_stroke_leaves_no_gaps() {
        for (from, to) in [
            ([5.0, 5.0], [95.0, 6.0]),
            ([5.0, 90.0], [60.0, 3.0]),
            ([50.0, 5.0], [50.5, 95.0]),
        ] {
            let mut mask = Mask::new(100, 100);
            paint_stroke(&mut mask, from, to, 1.0, true);
            assert_eq!(
                mask.largest_component(),
                mask,
                "one piece from {from:?} to {to:?}"
            );
            for k in 0..=200 {
                let t = k as f32 / 200.0;
                let p = [
                    from[0] + (to[0] - from[0]) * t,
                    from[1] + (to[1] - from[1]) * t,
                ];
                assert!(mask.get(p[0] as usize, p[1] as usize), "gap at {p:?}");
            }
        }
    }

    #[test]
    fn paint_stroke_with_a_zero_radius_or_reversed_ends() {
        let mut forward = Mask::new(30, 30);
        paint_stroke(&mut forward, [2.0, 3.0], [25.0, 20.0], 3.0, true);
        let mut backward = Mask::new(30, 30);
        paint_stroke(&mut backward, [25.0, 20.0], [2.0, 3.0], 3.0, true);
        assert_eq!(forward, backward);
        let mut dot = Mask::new(5, 5);
        paint_disc(&mut dot, [2.5, 2.5], 0.0, true);
        assert_eq!(dot.count(), 1);
        paint_disc(&mut dot, [2.5, 2.5], -1.0, false);
        assert_eq!(dot.count(), 1);
    }
}
