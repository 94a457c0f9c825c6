//! The editor's Smooth command: how a hand-drawn contour is rounded without
//! losing the handles an annotator drags.

use crate::geometry::{Point, resample, simplify, smooth};

/// Spacing (pixels) of the dense outline that is smoothed: dense enough that
/// Taubin smoothing rounds corners without moving long edges.
const SPACING: f32 = 2.0;
/// Smoothing passes over the dense outline.
const PASSES: usize = 4;
/// How far (pixels) the thinned outline may stray from the smoothed one: small
/// enough to keep the shape, large enough to leave editable handles.
const TOLERANCE: f32 = 0.35;

/// The contour smoothed and thinned back to editable handles.
pub fn smooth_for_editing(points: &[Point]) -> Vec<Point> {
    simplify(&smooth(&resample(points, SPACING), PASSES), TOLERANCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{area, is_simple};

    /// A 40-px square with one vertex pulled out into a spike.
    fn spiky() -> Vec<Point> {
        vec![
            [10.0, 10.0],
            [30.0, 10.0],
            [50.0, 0.0],
            [50.0, 50.0],
            [10.0, 50.0],
        ]
    }

    #[test]
    fn smoothing_rounds_corners_keeps_the_area_and_a_simple_outline() {
        let before = spiky();
        let after = smooth_for_editing(&before);
        assert!(is_simple(&after));
        let (a, b) = (area(&before), area(&after));
        assert!((a - b).abs() / a < 0.1, "area {a} became {b}");
        // The spike's tip moved in.
        let reach = after.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
        assert!(reach > 0.5, "the spike still reaches {reach}");
    }

    #[test]
    fn a_smoothed_contour_keeps_a_manageable_number_of_handles() {
        let after = smooth_for_editing(&spiky());
        // The dense outline has ~90 points; thinning leaves far fewer.
        assert!(
            after.len() >= 4 && after.len() < 60,
            "{} handles",
            after.len()
        );
    }
}
