//! Closed polygons (contours): measures, hit tests for the editor, edits that
//! keep the outline simple, and smoothing, simplification and resampling.
//!
//! Predicates are evaluated in `f64` so that the exact half-pixel coordinates
//! traced contours use give exact answers.

use super::Point;

/// Taubin's shrinking factor: each iteration first moves every vertex half-way
/// towards the midpoint of its neighbours…
const TAUBIN_LAMBDA: f64 = 0.5;
/// …then pushes it back slightly further, so that low frequencies (the shape)
/// keep their size while high frequencies (pixel staircases) are damped.
const TAUBIN_MU: f64 = -0.53;
/// Below this tolerance `simplify` stops halving and returns its input.
const MIN_SIMPLIFY_TOLERANCE: f32 = 1e-3;
/// How many times `resample` halves the spacing looking for a simple result.
const RESAMPLE_ATTEMPTS: usize = 8;
/// Cap on `resample`'s output, against a tiny spacing on a long contour.
const MAX_RESAMPLED_POINTS: usize = 1 << 16;

/// The signed area by the shoelace formula: positive when the contour runs
/// clockwise on screen (y down), as traced outlines do.
pub fn signed_area(contour: &[Point]) -> f32 {
    (edges(contour)
        .map(|(a, b)| cross(wide(a), wide(b)))
        .sum::<f64>()
        / 2.0) as f32
}

/// The enclosed area in square pixels, whatever the orientation.
pub fn area(contour: &[Point]) -> f32 {
    signed_area(contour).abs()
}

/// The centre of mass of the enclosed region, where the editor anchors a
/// structure's label; the vertex mean for a zero-area contour and the origin
/// for an empty one.
pub fn centroid(contour: &[Point]) -> Point {
    let (mut twice_area, mut sum_x, mut sum_y) = (0.0, 0.0, 0.0);
    for (a, b) in edges(contour) {
        let (a, b) = (wide(a), wide(b));
        let weight = cross(a, b);
        twice_area += weight;
        sum_x += (a[0] + b[0]) * weight;
        sum_y += (a[1] + b[1]) * weight;
    }
    if twice_area != 0.0 {
        let scale = 1.0 / (3.0 * twice_area);
        [(sum_x * scale) as f32, (sum_y * scale) as f32]
    } else if contour.is_empty() {
        [0.0, 0.0]
    } else {
        let n = contour.len() as f64;
        let (x, y) = contour.iter().fold((0.0, 0.0), |(x, y), p| {
            (x + f64::from(p[0]), y + f64::from(p[1]))
        });
        [(x / n) as f32, (y / n) as f32]
    }
}

/// The length of the closed outline, closing edge included.
pub fn perimeter(contour: &[Point]) -> f32 {
    edges(contour).map(|(a, b)| distance(a, b)).sum::<f64>() as f32
}

/// Whether `p` is inside the contour by the even-odd rule. Uses the same
/// half-open conventions as [`fill`](super::fill), so `contains` at a pixel
/// centre agrees with the filled mask exactly.
pub fn contains(contour: &[Point], p: Point) -> bool {
    let crossings = edges(contour)
        .filter_map(|(a, b)| scanline_crossing(a, b, f64::from(p[1])))
        .filter(|&x| x <= f64::from(p[0]))
        .count();
    crossings % 2 == 1
}

/// Where the edge a→b crosses the horizontal line `y`, counting an endpoint
/// only when it is the edge's lower end in y (so a vertex on the line counts
/// once where the outline passes through it and zero or two times where it
/// only touches); `None` when it does not cross. Shared by [`contains`] and
/// the scanline filler so that both round identically.
pub(super) fn scanline_crossing(a: Point, b: Point, y: f64) -> Option<f64> {
    let (ax, ay, bx, by) = (
        f64::from(a[0]),
        f64::from(a[1]),
        f64::from(b[0]),
        f64::from(b[1]),
    );
    ((ay <= y) != (by <= y)).then(|| ax + (y - ay) * (bx - ax) / (by - ay))
}

/// Whether the contour is a simple polygon: at least 3 finite points, non-zero
/// area, no repeated vertex, no edge doubling back along its neighbour, and no
/// two non-adjacent edges intersecting or touching. Only simple contours
/// enclose one well-defined region, so every edit is checked with this.
/// Edges are swept in x order, so typical outlines cost O(n log n).
pub fn is_simple(contour: &[Point]) -> bool {
    contour.len() >= 3
        && contour.iter().all(|&p| is_finite(p))
        && signed_area(contour) != 0.0
        && edges(contour).all(|(a, b)| a != b)
        && !(0..contour.len()).any(|i| {
            let n = contour.len();
            doubles_back(contour[(i + n - 1) % n], contour[i], contour[(i + 1) % n])
        })
        && !non_adjacent_edges_touch(contour)
}

/// Whether the closed segment a–b intersects or touches an edge of the *open*
/// polyline (edge `i` runs from `polyline[i]` to `polyline[i + 1]`), ignoring
/// the edges whose start indices are in `skip` (typically those that share an
/// endpoint with a–b). The building block of [`can_append`].
pub fn segment_crosses(polyline: &[Point], a: Point, b: Point, skip: &[usize]) -> bool {
    polyline
        .windows(2)
        .enumerate()
        .any(|(i, edge)| !skip.contains(&i) && segments_touch(a, b, edge[0], edge[1]))
}

/// Whether `p` may be appended to a contour being drawn point by point (an
/// open polyline): it must be finite and differ from the last point, and the
/// new edge from the last point must neither double back along the previous
/// edge nor touch any earlier edge. Keeping this true at every click keeps the
/// polyline simple; [`can_close`] checks the closing edge.
pub fn can_append(polyline: &[Point], p: Point) -> bool {
    if !is_finite(p) {
        return false;
    }
    match polyline {
        [] => true,
        [.., last] if *last == p => false,
        [_] => true,
        [.., before, last] => {
            !doubles_back(*before, *last, p)
                && !segment_crosses(polyline, *last, p, &[polyline.len() - 2])
        }
    }
}

/// Whether a polyline drawn with [`can_append`] may be closed into a contour:
/// the closing edge must not cross or touch the others and the result must be
/// a simple polygon (this is [`is_simple`], named for the editor's use).
pub fn can_close(polyline: &[Point]) -> bool {
    is_simple(polyline)
}

/// The polyline drawn point by point as a closed contour, or `None` when
/// closing it would not give a simple polygon ([`can_close`]): what the pen
/// tool saves when the user closes the outline.
pub fn close_polyline(polyline: &[Point]) -> Option<Vec<Point>> {
    can_close(polyline).then(|| polyline.to_vec())
}

/// The index of the vertex nearest to `p` within `max_distance` (the first on
/// a tie): what a click picks up to drag.
pub fn nearest_vertex(contour: &[Point], p: Point, max_distance: f32) -> Option<usize> {
    contour
        .iter()
        .enumerate()
        .map(|(i, &v)| (i, distance(v, p)))
        .filter(|&(_, d)| d <= f64::from(max_distance))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The edge nearest to `p` within `max_distance`, for inserting a vertex where
/// the user clicked on the outline: returns the index at which the new vertex
/// goes (`i` for the edge from `i - 1` to `i`, `len` for the closing edge from
/// the last point to the first) and the projection of `p` on that edge.
pub fn nearest_edge(contour: &[Point], p: Point, max_distance: f32) -> Option<(usize, Point)> {
    if contour.len() < 2 {
        return None;
    }
    edges(contour)
        .enumerate()
        .map(|(i, (a, b))| {
            let q = project_on_segment(p, a, b);
            (i + 1, q, distance(p, q))
        })
        .filter(|&(_, _, d)| d <= f64::from(max_distance))
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(index, q, _)| (index, q))
}

/// `p` moved into an image of `size` (width, height) pixels, onto its edge
/// when outside: where a vertex dragged or clicked beyond the image lands.
pub fn clamp_to_image(p: Point, size: [f32; 2]) -> Point {
    [p[0].clamp(0.0, size[0]), p[1].clamp(0.0, size[1])]
}

/// The contour with vertex `index` moved to `to`, or `None` when `index` is out
/// of range or the result would not be simple (a drag the editor refuses).
pub fn with_vertex_moved(contour: &[Point], index: usize, to: Point) -> Option<Vec<Point>> {
    let mut moved = contour.to_vec();
    *moved.get_mut(index)? = to;
    is_simple(&moved).then_some(moved)
}

/// The contour without vertex `index`, or `None` when `index` is out of range,
/// fewer than 3 points would remain, or the result would not be simple.
pub fn with_vertex_removed(contour: &[Point], index: usize) -> Option<Vec<Point>> {
    if index >= contour.len() || contour.len() <= 3 {
        return None;
    }
    let mut removed = contour.to_vec();
    removed.remove(index);
    is_simple(&removed).then_some(removed)
}

/// The contour with `p` inserted before vertex `index` (`index == len`
/// appends it on the closing edge), as [`nearest_edge`] suggests; `None` when
/// `index` is out of range or the result would not be simple.
pub fn with_vertex_inserted(contour: &[Point], index: usize, p: Point) -> Option<Vec<Point>> {
    if index > contour.len() {
        return None;
    }
    let mut inserted = contour.to_vec();
    inserted.insert(index, p);
    is_simple(&inserted).then_some(inserted)
}

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
fn evenly_spaced(contour: &[Point], step: f64, count: usize) -> Vec<Point> {
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
fn laplacian_step(contour: &[Point], factor: f64) -> Vec<Point> {
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
pub(super) fn douglas_peucker_closed(contour: &[Point], tolerance: f32) -> Vec<usize> {
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

/// Whether some pair of non-adjacent edges intersects or touches. Edges are
/// sorted by their left end and only pairs whose bounding boxes overlap are
/// tested exactly.
fn non_adjacent_edges_touch(contour: &[Point]) -> bool {
    let n = contour.len();
    let mut boxes: Vec<EdgeBox> = edges(contour)
        .enumerate()
        .map(|(index, (a, b))| EdgeBox::new(index, a, b))
        .collect();
    boxes.sort_unstable_by(|e, f| e.min[0].total_cmp(&f.min[0]));
    boxes.iter().enumerate().any(|(k, e)| {
        boxes[k + 1..]
            .iter()
            .take_while(|f| f.min[0] <= e.max[0])
            .any(|f| {
                f.min[1] <= e.max[1]
                    && e.min[1] <= f.max[1]
                    && (e.index + 1) % n != f.index
                    && (f.index + 1) % n != e.index
                    && segments_touch(e.a, e.b, f.a, f.b)
            })
    })
}

/// An edge with its bounding box, for the sweep in [`non_adjacent_edges_touch`].
struct EdgeBox {
    index: usize,
    a: Point,
    b: Point,
    min: Point,
    max: Point,
}

impl EdgeBox {
    fn new(index: usize, a: Point, b: Point) -> Self {
        Self {
            index,
            a,
            b,
            min: [a[0].min(b[0]), a[1].min(b[1])],
            max: [a[0].max(b[0]), a[1].max(b[1])],
        }
    }
}

/// Whether the closed segments p1–p2 and q1–q2 share at least one point.
fn segments_touch(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    let d1 = orientation(q1, q2, p1);
    let d2 = orientation(q1, q2, p2);
    let d3 = orientation(p1, p2, q1);
    let d4 = orientation(p1, p2, q2);
    let opposite = |u: f64, v: f64| (u > 0.0 && v < 0.0) || (u < 0.0 && v > 0.0);
    (opposite(d1, d2) && opposite(d3, d4))
        || (d1 == 0.0 && within_box(q1, q2, p1))
        || (d2 == 0.0 && within_box(q1, q2, p2))
        || (d3 == 0.0 && within_box(p1, p2, q1))
        || (d4 == 0.0 && within_box(p1, p2, q2))
}

/// Whether the path prev → here → next turns back on itself (the two edges
/// are collinear and overlap).
fn doubles_back(prev: Point, here: Point, next: Point) -> bool {
    let back = sub(prev, here);
    let forward = sub(next, here);
    cross(back, forward) == 0.0 && dot(back, forward) > 0.0
}

/// Whether `p` lies in the bounding box of a–b (for a collinear `p`: on the
/// segment).
fn within_box(a: Point, b: Point, p: Point) -> bool {
    a[0].min(b[0]) <= p[0]
        && p[0] <= a[0].max(b[0])
        && a[1].min(b[1]) <= p[1]
        && p[1] <= a[1].max(b[1])
}

/// The closed contour's edges, the closing one last.
fn edges(contour: &[Point]) -> impl Iterator<Item = (Point, Point)> + '_ {
    let next = contour.iter().cycle().skip(1);
    contour.iter().copied().zip(next.copied())
}

/// The point of segment a–b nearest to `p`.
fn project_on_segment(p: Point, a: Point, b: Point) -> Point {
    let ab = sub(b, a);
    let length_squared = dot(ab, ab);
    if length_squared == 0.0 {
        return a;
    }
    let t = (dot(sub(p, a), ab) / length_squared).clamp(0.0, 1.0);
    lerp(a, b, t)
}

/// The distance from `p` to the nearest point of segment a–b.
fn distance_to_segment(p: Point, a: Point, b: Point) -> f64 {
    distance(p, project_on_segment(p, a, b))
}

/// Twice the signed area of triangle a, b, c: positive when c is clockwise
/// from a→b on screen.
fn orientation(a: Point, b: Point, c: Point) -> f64 {
    cross(sub(b, a), sub(c, a))
}

/// The point a fraction `t` of the way from a to b.
fn lerp(a: Point, b: Point, t: f64) -> Point {
    let (a, b) = (wide(a), wide(b));
    [
        (a[0] + (b[0] - a[0]) * t) as f32,
        (a[1] + (b[1] - a[1]) * t) as f32,
    ]
}

/// The Euclidean distance between two points, in `f64`.
pub fn distance(a: Point, b: Point) -> f64 {
    let d = sub(a, b);
    d[0].hypot(d[1])
}

/// Whether both coordinates are finite (no NaN, no infinity).
fn is_finite(p: Point) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

/// The point in `f64`, where the predicates are evaluated.
pub(super) fn wide(p: Point) -> [f64; 2] {
    [f64::from(p[0]), f64::from(p[1])]
}

/// a − b, exact in `f64` for `f32` inputs of similar magnitude.
fn sub(a: Point, b: Point) -> [f64; 2] {
    [
        f64::from(a[0]) - f64::from(b[0]),
        f64::from(a[1]) - f64::from(b[1]),
    ]
}

/// The z component of the cross product: positive when b turns clockwise
/// from a on screen.
pub(super) fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

/// The dot product.
fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::testing::{Lcg, blob, circle};
    use crate::geometry::{fill, trace_boundaries};

    const SQUARE: [Point; 4] = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];

    /// The sum of absolute turning angles, a measure of how jagged an outline is.
    fn total_turning(contour: &[Point]) -> f64 {
        let n = contour.len();
        (0..n)
            .map(|i| {
                let incoming = sub(contour[i], contour[(i + n - 1) % n]);
                let outgoing = sub(contour[(i + 1) % n], contour[i]);
                cross(incoming, outgoing)
                    .atan2(dot(incoming, outgoing))
                    .abs()
            })
            .sum()
    }

    fn close(a: Point, b: Point) -> bool {
        distance(a, b) < 1e-4
    }

    #[test]
    fn measures_of_a_square() {
        assert_eq!(signed_area(&SQUARE), 100.0);
        let reversed: Vec<Point> = SQUARE.iter().rev().copied().collect();
        assert_eq!(signed_area(&reversed), -100.0);
        assert_eq!(area(&reversed), 100.0);
        assert_eq!(perimeter(&SQUARE), 40.0);
        assert_eq!(centroid(&SQUARE), [5.0, 5.0]);
        assert_eq!(centroid(&reversed), [5.0, 5.0]);
    }

    #[test]
    fn centroid_of_an_l_shape_and_degenerate_contours() {
        // Two unit-height rectangles: [0,4]×[0,1] (area 4) and [0,1]×[1,4] (area 3).
        let l_shape = [
            [0.0, 0.0],
            [4.0, 0.0],
            [4.0, 1.0],
            [1.0, 1.0],
            [1.0, 4.0],
            [0.0, 4.0],
        ];
        let c = centroid(&l_shape);
        let expected = [(4.0 * 2.0 + 3.0 * 0.5) / 7.0, (4.0 * 0.5 + 3.0 * 2.5) / 7.0];
        assert!(close(c, expected), "{c:?}");
        assert_eq!(centroid(&[[1.0, 1.0], [3.0, 3.0]]), [2.0, 2.0]);
        assert_eq!(centroid(&[]), [0.0, 0.0]);
    }

    #[test]
    fn contains_uses_even_odd() {
        assert!(contains(&SQUARE, [5.0, 5.0]));
        assert!(!contains(&SQUARE, [15.0, 5.0]));
        assert!(!contains(&SQUARE, [5.0, -1.0]));
        // A pentagram's centre is covered twice, so it is outside.
        let star: Vec<Point> = (0..5)
            .map(|k| {
                let angle = std::f32::consts::TAU * (2 * k) as f32 / 5.0;
                [50.0 + 40.0 * angle.sin(), 50.0 - 40.0 * angle.cos()]
            })
            .collect();
        assert!(!contains(&star, [50.0, 50.0]));
        assert!(contains(&star, [50.0, 15.0]));
    }

    #[test]
    fn is_simple_accepts_a_square_and_rejects_degenerate_shapes() {
        assert!(is_simple(&SQUARE));
        let bow_tie = [[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 10.0]];
        assert!(!is_simple(&bow_tie));
        let repeated = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ];
        assert!(!is_simple(&repeated));
        // The same vertex visited twice, not consecutively: a figure 8.
        let figure_eight = [
            [0.0, 0.0],
            [5.0, 5.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [5.0, 5.0],
            [0.0, 10.0],
        ];
        assert!(!is_simple(&figure_eight));
        // Vertex (5, 0) lies on the non-adjacent edge (0,0)–(10,0).
        let touching = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [5.0, 0.0],
            [0.0, 10.0],
        ];
        assert!(!is_simple(&touching));
        let nearly_touching = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [5.0, 0.01],
            [0.0, 10.0],
        ];
        assert!(is_simple(&nearly_touching));
        let backtrack = [[0.0, 0.0], [10.0, 0.0], [5.0, 0.0], [5.0, 5.0]];
        assert!(!is_simple(&backtrack));
        assert!(!is_simple(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]));
        assert!(!is_simple(&[[0.0, 0.0], [1.0, 0.0]]));
        assert!(!is_simple(&[[0.0, 0.0], [1.0, f32::NAN], [0.0, 1.0]]));
    }

    #[test]
    fn is_simple_on_a_large_circle_and_a_large_crossing_polygon() {
        let round = circle([500.0, 500.0], 400.0, 2000);
        assert!(is_simple(&round));
        let mut crossed = round.clone();
        crossed.swap(10, 1500);
        assert!(!is_simple(&crossed));
    }

    #[test]
    fn closing_a_polyline_keeps_its_points_only_when_the_result_is_simple() {
        let open = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert_eq!(close_polyline(&open), Some(open.to_vec()));
        // The closing edge from (10, 10) back to (0, 0) crosses (10, 0)–(0, 10).
        let bow_tie = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
        assert_eq!(close_polyline(&bow_tie), None);
        assert_eq!(
            close_polyline(&open[..2]),
            None,
            "two points enclose nothing"
        );
        assert_eq!(close_polyline(&[]), None);
    }

    #[test]
    fn points_outside_the_image_are_clamped_onto_its_edge() {
        let size = [64.0, 48.0];
        assert_eq!(clamp_to_image([10.5, 20.25], size), [10.5, 20.25]);
        assert_eq!(clamp_to_image([-3.0, 50.0], size), [0.0, 48.0]);
        assert_eq!(clamp_to_image([70.0, -0.5], size), [64.0, 0.0]);
    }

    #[test]
    fn distance_is_euclidean_and_symmetric() {
        assert_eq!(distance([0.0, 0.0], [3.0, 4.0]), 5.0);
        assert_eq!(distance([3.0, 4.0], [0.0, 0.0]), 5.0);
        assert_eq!(distance([-1.5, 2.0], [-1.5, 2.0]), 0.0);
    }

    #[test]
    fn drawing_point_by_point_refuses_crossing_segments() {
        let mut polyline: Vec<Point> = Vec::new();
        for p in [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]] {
            assert!(can_append(&polyline, p));
            polyline.push(p);
        }
        assert!(
            !can_append(&polyline, [10.0, 10.0]),
            "same as the last point"
        );
        assert!(!can_append(&polyline, [10.0, 5.0]), "doubles back");
        assert!(
            !can_append(&polyline, [5.0, -5.0]),
            "crosses the first edge"
        );
        assert!(
            !can_append(&polyline, [0.0, 0.0]),
            "touches the first point"
        );
        assert!(!can_append(&polyline, [f32::NAN, 0.0]));
        assert!(can_append(&polyline, [0.0, 10.0]));
        polyline.push([0.0, 10.0]);
        assert!(can_close(&polyline));
        // A spiral out from (5, 5): every point may be appended, but the
        // closing edge would cross the second edge.
        let spiral = [
            [5.0, 5.0],
            [6.0, 5.0],
            [6.0, 2.0],
            [2.0, 2.0],
            [2.0, 8.0],
            [9.0, 8.0],
            [9.0, 0.0],
        ];
        for n in 1..spiral.len() {
            assert!(can_append(&spiral[..n], spiral[n]), "point {n}");
        }
        assert!(!can_close(&spiral));
        assert!(segment_crosses(&spiral, [9.0, 0.0], [5.0, 5.0], &[0, 5]));
        assert!(!segment_crosses(
            &spiral,
            [9.0, 0.0],
            [5.0, 5.0],
            &[0, 1, 5]
        ));
        assert!(!segment_crosses(&spiral, [20.0, 0.0], [20.0, 10.0], &[]));
    }

    #[test]
    fn nearest_vertex_and_edge() {
        assert_eq!(nearest_vertex(&SQUARE, [9.0, 1.0], 2.0), Some(1));
        assert_eq!(nearest_vertex(&SQUARE, [5.0, 5.0], 2.0), None);
        assert_eq!(
            nearest_edge(&SQUARE, [5.0, 1.0], 2.0),
            Some((1, [5.0, 0.0]))
        );
        assert_eq!(
            nearest_edge(&SQUARE, [9.5, 5.0], 2.0),
            Some((2, [10.0, 5.0]))
        );
        assert_eq!(
            nearest_edge(&SQUARE, [5.0, 10.5], 2.0),
            Some((3, [5.0, 10.0]))
        );
        // The closing edge, from the last vertex back to the first.
        assert_eq!(
            nearest_edge(&SQUARE, [-0.5, 5.0], 2.0),
            Some((4, [0.0, 5.0]))
        );
        assert_eq!(nearest_edge(&SQUARE, [5.0, 5.0], 2.0), None);
        let (index, q) = nearest_edge(&SQUARE, [-0.5, 5.0], 2.0).unwrap();
        let inserted = with_vertex_inserted(&SQUARE, index, q).unwrap();
        assert_eq!(inserted[4], [0.0, 5.0]);
        assert_eq!(area(&inserted), 100.0);
    }

    #[test]
    fn vertex_edits_refuse_non_simple_results() {
        // Moving (10, 10) to (-5, 5) would fold the square into a bow-tie.
        assert_eq!(with_vertex_moved(&SQUARE, 2, [-5.0, 5.0]), None);
        assert_eq!(with_vertex_moved(&SQUARE, 4, [1.0, 1.0]), None);
        let moved = with_vertex_moved(&SQUARE, 2, [12.0, 12.0]).unwrap();
        assert_eq!(moved[2], [12.0, 12.0]);
        let removed = with_vertex_removed(&SQUARE, 1).unwrap();
        assert_eq!(removed, vec![[0.0, 0.0], [10.0, 10.0], [0.0, 10.0]]);
        assert_eq!(
            with_vertex_removed(&removed, 0),
            None,
            "would leave 2 points"
        );
        // Removing a corner next to a deep notch cuts through the notch.
        let notched = [
            [0.0, 0.0],
            [3.0, 0.0],
            [3.0, 8.0],
            [7.0, 8.0],
            [7.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ];
        assert!(is_simple(&notched));
        assert_eq!(with_vertex_removed(&notched, 6), None);
        assert_eq!(with_vertex_removed(&notched, 3).map(|c| c.len()), Some(7));
        assert_eq!(with_vertex_inserted(&SQUARE, 1, [5.0, 20.0]), None);
        assert_eq!(with_vertex_inserted(&SQUARE, 5, [5.0, -1.0]), None);
        assert!(with_vertex_inserted(&SQUARE, 1, [5.0, -1.0]).is_some());
    }

    #[test]
    fn smooth_keeps_a_circle_and_removes_the_staircase() {
        let round = circle([50.0, 50.0], 40.0, 64);
        let smoothed = smooth(&round, 5);
        let change = (area(&smoothed) / area(&round) - 1.0).abs();
        assert!(change < 0.02, "area changed by {change}");
        assert!(is_simple(&smoothed));

        let disc = fill(&circle([50.0, 50.0], 40.0, 256), 100, 100);
        let traced = trace_boundaries(&disc).remove(0);
        let smoothed = smooth(&traced, 5);
        assert!(is_simple(&smoothed));
        let (before, after) = (total_turning(&traced), total_turning(&smoothed));
        assert!(after < 0.6 * before, "turning {before} -> {after}");
        let change = (area(&smoothed) / area(&traced) - 1.0).abs();
        assert!(change < 0.02, "area changed by {change}");
    }

    #[test]
    fn smooth_stops_before_a_non_simple_result() {
        // A C-shaped ring: coarse outer arc, dense inner arc 2 px inside it.
        // Smoothing pulls the coarse arc inwards faster, until it would cross.
        let (start, end) = (0.3_f32, std::f32::consts::TAU - 0.3);
        let arc = |radius: f32, n: usize| {
            (0..=n).map(move |i| {
                let angle = start + (end - start) * i as f32 / n as f32;
                [50.0 + radius * angle.cos(), 50.0 + radius * angle.sin()]
            })
        };
        let ring: Vec<Point> = arc(20.0, 10).chain(arc(18.0, 120).rev()).collect();
        assert!(is_simple(&ring));
        let smoothed = smooth(&ring, 50);
        assert!(is_simple(&smoothed));
        assert_ne!(smoothed, ring, "some iterations were kept");
        let one_more = laplacian_step(&laplacian_step(&smoothed, TAUBIN_LAMBDA), TAUBIN_MU);
        assert!(!is_simple(&one_more), "stopped early");
    }

    #[test]
    fn simplify_drops_collinear_and_near_collinear_vertices() {
        let dense = [
            [0.0, 0.0],
            [5.0, 0.0],
            [10.0, 0.0],
            [10.0, 5.0],
            [10.0, 10.0],
            [5.0, 10.2],
            [0.0, 10.0],
            [0.0, 5.0],
        ];
        assert_eq!(
            simplify(&dense, 0.0).len(),
            5,
            "only exact collinear points go"
        );
        assert_eq!(
            simplify(&dense, 0.5),
            vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]
        );
        let round = circle([50.0, 50.0], 40.0, 400);
        let coarse = simplify(&round, 0.5);
        assert!(coarse.len() < 60, "{} points", coarse.len());
        assert!((area(&coarse) / area(&round) - 1.0).abs() < 0.02);
    }

    #[test]
    fn simplify_retries_where_douglas_peucker_is_not_simple() {
        // Dropping the dent of the bottom side (2 px deep) moves it onto the
        // chord y = 0, which the top side's spike down to y = -1 crosses.
        let spiked = [
            [0.0, 0.0],
            [7.0, -2.0],
            [13.0, -2.0],
            [16.5, -1.1],
            [20.0, 0.0],
            [13.0, 6.0],
            [10.0, -1.0],
            [7.0, 6.0],
        ];
        assert!(is_simple(&spiked));
        let plain: Vec<Point> = douglas_peucker_closed(&spiked, 2.5)
            .into_iter()
            .map(|i| spiked[i])
            .collect();
        assert_eq!(
            plain,
            [
                [0.0, 0.0],
                [20.0, 0.0],
                [13.0, 6.0],
                [10.0, -1.0],
                [7.0, 6.0]
            ]
        );
        assert!(!is_simple(&plain));
        let simplified = simplify(&spiked, 2.5);
        assert!(is_simple(&simplified));
        assert_eq!(
            simplified,
            [
                [0.0, 0.0],
                [13.0, -2.0],
                [20.0, 0.0],
                [13.0, 6.0],
                [10.0, -1.0],
                [7.0, 6.0]
            ]
        );
        // A sliver collapses to a segment until the tolerance is below its width.
        let sliver = [[0.0, 0.0], [10.0, 0.5], [20.0, 0.0], [10.0, -0.5]];
        assert_eq!(simplify(&sliver, 1.0), sliver.to_vec());
        assert!(is_simple(&simplify(&spiked, f32::INFINITY)));
    }

    #[test]
    fn smooth_and_simplify_outputs_of_random_blobs_are_simple() {
        let mut rng = Lcg::new(7);
        for _ in 0..25 {
            let mask = blob(&mut rng, 96, 96);
            for outline in trace_boundaries(&mask) {
                for tolerance in [0.0, 0.5, 1.0, 3.0] {
                    let simplified = simplify(&outline, tolerance);
                    assert!(is_simple(&simplified), "simplify({tolerance})");
                    assert!(is_simple(&smooth(&simplified, 5)), "smooth after simplify");
                }
                assert!(is_simple(&smooth(&outline, 10)));
                assert!(is_simple(&resample(&outline, 4.0)));
            }
        }
    }

    #[test]
    fn resample_spaces_points_evenly_on_the_outline() {
        let samples = resample(&SQUARE, 3.0);
        assert_eq!(samples.len(), 13);
        let step = 40.0 / 13.0;
        for i in 0..samples.len() {
            let p = samples[i];
            let on_edge = p[0] == 0.0 || p[0] == 10.0 || p[1] == 0.0 || p[1] == 10.0;
            assert!(on_edge, "{p:?} off the square");
            // Between samples on the same side the spacing is exact.
            let q = samples[(i + 1) % samples.len()];
            if p[0] == q[0] || p[1] == q[1] {
                assert!((distance(p, q) - step).abs() < 1e-4);
            }
        }
        assert_eq!(samples[0], [0.0, 0.0]);
        assert_eq!(resample(&SQUARE, 100.0).len(), 3);
        assert_eq!(resample(&SQUARE, 0.0), SQUARE.to_vec());
        let round = circle([50.0, 50.0], 40.0, 17);
        assert_eq!(
            resample(&round, 2.0).len(),
            (perimeter(&round) / 2.0).round() as usize
        );
    }
}
