//! Physical calibration of image positions: the depth ruler's ticks and where
//! a pixel lies, in millimetres, within an ultrasound imaging region. Kept
//! apart from the contour geometry because it works in millimetres from a
//! file's calibration, which can be absurd; the canvas only draws the results.

use super::Point;

/// At most this many ticks on the depth ruler: a header's calibration can be
/// absurd (1e10 cm per pixel), and the ruler must stay a handful of lines.
pub const MAX_RULER_TICKS: usize = 40;

/// The depth ruler's ticks for a sector `depth_mm` deep: `(depth in mm,
/// labelled)`, every 5 mm with a label on each whole centimetre, the spacing
/// widened in 1-2-5 steps until at most [`MAX_RULER_TICKS`] fit. Empty when
/// the depth is not a positive finite number.
pub fn ruler_ticks(depth_mm: f64) -> Vec<(f64, bool)> {
    if !(depth_mm.is_finite() && depth_mm > 0.0) {
        return Vec::new();
    }
    let mut step = 5.0;
    for factor in [2.0, 2.5, 2.0].into_iter().cycle() {
        if depth_mm / step < MAX_RULER_TICKS as f64 {
            break;
        }
        step *= factor;
    }
    let count = ((depth_mm / step).floor() as usize).min(MAX_RULER_TICKS);
    (0..=count)
        .map(|i| {
            let mm = i as f64 * step;
            (mm, (mm / 10.0).fract() == 0.0)
        })
        .collect()
}

/// Where image point `p` lies in a region with pixel `bounds` (min x, min y,
/// max x, max y, inclusive) and `mm_per_pixel` (x, y): `(depth, lateral)` in
/// mm, depth below the region's top edge and lateral from its vertical centre
/// line (where a sector's apex is), negative to the left.
pub fn region_position_mm(
    p: Point,
    bounds: (u32, u32, u32, u32),
    mm_per_pixel: (f64, f64),
) -> (f64, f64) {
    let apex_x = (f64::from(bounds.0) + f64::from(bounds.2) + 1.0) / 2.0;
    let depth = (f64::from(p[1]) - f64::from(bounds.1)) * mm_per_pixel.1;
    let lateral = (f64::from(p[0]) - apex_x) * mm_per_pixel.0;
    (depth, lateral)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_sector_gets_a_tick_every_5_mm_and_a_label_every_cm() {
        let ticks = ruler_ticks(152.0);
        assert_eq!(ticks.len(), 31);
        assert_eq!(ticks[1], (5.0, false));
        assert_eq!(ticks[2], (10.0, true));
        assert_eq!(ticks.last(), Some(&(150.0, true)));
    }

    #[test]
    fn an_absurd_calibration_gets_few_ticks_and_a_degenerate_one_none() {
        // 1e10 cm per pixel over 500 rows.
        for depth in [500.0 * 1e11, 1e300, 401.0] {
            let ticks = ruler_ticks(depth);
            assert!(
                !ticks.is_empty() && ticks.len() <= MAX_RULER_TICKS + 1,
                "{depth}: {}",
                ticks.len()
            );
            assert!(ticks.last().is_some_and(|(mm, _)| *mm <= depth));
        }
        for depth in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert!(ruler_ticks(depth).is_empty(), "{depth}");
        }
    }

    #[test]
    fn positions_are_measured_from_the_top_edge_and_the_centre_line() {
        // Columns 100..=299 (centre line at x = 200), rows from 40, 0.5 × 0.25 mm pixels.
        let bounds = (100, 40, 299, 439);
        let mm = (0.5, 0.25);
        assert_eq!(region_position_mm([200.0, 40.0], bounds, mm), (0.0, 0.0));
        assert_eq!(
            region_position_mm([180.0, 440.0], bounds, mm),
            (100.0, -10.0)
        );
        assert_eq!(region_position_mm([250.0, 20.0], bounds, mm), (-5.0, 25.0));
    }
}
