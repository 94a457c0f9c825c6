//! Measures of a closed contour (area, centroid, perimeter) and the
//! even-odd inside test, with the scanline crossing the filler shares.

use super::*;

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
/// half-open conventions as [`fill`](crate::geometry::fill), so `contains` at a pixel
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
pub(in crate::geometry) fn scanline_crossing(a: Point, b: Point, y: f64) -> Option<f64> {
    let (ax, ay, bx, by) = (
        f64::from(a[0]),
        f64::from(a[1]),
        f64::from(b[0]),
        f64::from(b[1]),
    );
    ((ay <= y) != (by <= y)).then(|| ax + (y - ay) * (bx - ax) / (by - ay))
}
