//! Vertex edits for the editor: picking a vertex or an edge near a click,
//! and moving, removing or inserting a vertex when the result stays simple.

use super::*;

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

/// `p` moved into an image of `size` (width, height) pixels, onto its edge
/// when outside: where a vertex dragged or clicked beyond the image lands.
pub fn clamp_to_image(p: Point, size: [f32; 2]) -> Point {
    [p[0].clamp(0.0, size[0]), p[1].clamp(0.0, size[1])]
}
