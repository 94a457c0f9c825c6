//! Whether a contour or a polyline being drawn is simple: the
//! self-intersection tests every edit is checked with.

use super::*;

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

/// Whether some pair of non-adjacent edges intersects or touches. Edges are
/// sorted by their left end and only pairs whose bounding boxes overlap are
/// tested exactly.
pub(super) fn non_adjacent_edges_touch(contour: &[Point]) -> bool {
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
pub(super) struct EdgeBox {
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
pub(super) fn segments_touch(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
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
pub(super) fn doubles_back(prev: Point, here: Point, next: Point) -> bool {
    let back = sub(prev, here);
    let forward = sub(next, here);
    cross(back, forward) == 0.0 && dot(back, forward) > 0.0
}

/// Whether `p` lies in the bounding box of a–b (for a collinear `p`: on the
/// segment).
pub(super) fn within_box(a: Point, b: Point, p: Point) -> bool {
    a[0].min(b[0]) <= p[0]
        && p[0] <= a[0].max(b[0])
        && a[1].min(b[1]) <= p[1]
        && p[1] <= a[1].max(b[1])
}

/// The polyline drawn point by point as a closed contour, or `None` when
/// closing it would not give a simple polygon ([`can_close`]): what the pen
/// tool saves when the user closes the outline.
pub fn close_polyline(polyline: &[Point]) -> Option<Vec<Point>> {
    can_close(polyline).then(|| polyline.to_vec())
}
