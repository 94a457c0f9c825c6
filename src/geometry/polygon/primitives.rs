//! Small vector helpers shared by the polygon code (and the fitting in
//! `geometry::fit`), evaluated in `f64`.

use super::*;

/// The closed contour's edges, the closing one last.
pub(super) fn edges(contour: &[Point]) -> impl Iterator<Item = (Point, Point)> + '_ {
    let next = contour.iter().cycle().skip(1);
    contour.iter().copied().zip(next.copied())
}

/// The point of segment a–b nearest to `p`.
pub(super) fn project_on_segment(p: Point, a: Point, b: Point) -> Point {
    let ab = sub(b, a);
    let length_squared = dot(ab, ab);
    if length_squared == 0.0 {
        return a;
    }
    let t = (dot(sub(p, a), ab) / length_squared).clamp(0.0, 1.0);
    lerp(a, b, t)
}

/// The distance from `p` to the nearest point of segment a–b.
pub(super) fn distance_to_segment(p: Point, a: Point, b: Point) -> f64 {
    distance(p, project_on_segment(p, a, b))
}

/// Twice the signed area of triangle a, b, c: positive when c is clockwise
/// from a→b on screen.
pub(super) fn orientation(a: Point, b: Point, c: Point) -> f64 {
    cross(sub(b, a), sub(c, a))
}

/// The point a fraction `t` of the way from a to b.
pub(super) fn lerp(a: Point, b: Point, t: f64) -> Point {
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
pub(super) fn is_finite(p: Point) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

/// The point in `f64`, where the predicates are evaluated.
pub(in crate::geometry) fn wide(p: Point) -> [f64; 2] {
    [f64::from(p[0]), f64::from(p[1])]
}

/// a − b, exact in `f64` for `f32` inputs of similar magnitude.
pub(super) fn sub(a: Point, b: Point) -> [f64; 2] {
    [
        f64::from(a[0]) - f64::from(b[0]),
        f64::from(a[1]) - f64::from(b[1]),
    ]
}

/// The z component of the cross product: positive when b turns clockwise
/// from a on screen.
pub(in crate::geometry) fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

/// The dot product.
pub(super) fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
