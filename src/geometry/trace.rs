//! From pixels to contours: marching squares on the grid of pixel centres.
//!
//! Each cell of that grid has four pixel centres as corners; pixels outside
//! the image count as background. Where a cell side joins a foreground and a
//! background centre, the outline passes through the side's midpoint (the
//! iso-line at 0.5). Inside a cell, crossings are joined so that the
//! foreground lies on the right of the walking direction, which makes outer
//! outlines run clockwise on screen and hole outlines anticlockwise. In a
//! saddle cell (foreground on one diagonal only) the two foreground corners
//! are joined, matching the 8-connectivity of
//! [`Mask::largest_component`]; the two segments of such a cell are parallel,
//! so an outline never touches itself and is always a simple polygon.
//!
//! Exactness: every vertex is a midpoint such as (x + 1, y + 0.5) or
//! (x + 0.5, y + 1) and every edge is horizontal, vertical or at 45°, so an
//! outline crosses each row's centre line at integer x, never at a pixel
//! centre. [`fill`](super::fill) of a traced outline therefore gives back
//! exactly the pixels it encloses: `fill(&mask_to_contour(&m, 0.0)?, w, h) ==
//! m` for every mask `m` that is one 8-connected component without holes,
//! whatever its shape (one-pixel necks and diagonal joints included). A mask
//! with several components comes back as its largest one, with holes filled.

use std::collections::HashMap;

use super::fit::fit_corners;
use super::polygon::{douglas_peucker_closed, is_simple, signed_area, simplify};
use super::{Mask, Point};

/// The outer outline of every 8-connected foreground component (holes are
/// ignored), clockwise on screen, without collinear intermediate vertices,
/// each a simple polygon; in the order their top-left pixels appear in the
/// mask, row by row.
pub fn trace_boundaries(mask: &Mask) -> Vec<Vec<Point>> {
    let grid = CentreGrid::new(mask);
    let (starts, mut links) = grid.links();
    let mut outlines = Vec::new();
    for start in starts {
        let mut ring = Vec::new();
        let mut current = start;
        while let Some(next) = links.remove(&current) {
            ring.push(grid.position(current));
            current = next;
        }
        // Outer outlines are clockwise (positive area), holes anticlockwise;
        // an already traced start leaves `ring` empty.
        if signed_area(&ring) > 0.0 {
            outlines.push(without_collinear(&ring));
        }
    }
    outlines
}

/// The outline of the mask's largest 8-connected component, holes filled,
/// simplified to about `tolerance` pixels: the contour to store for a
/// brush-painted or model-proposed mask. Always a simple polygon; `None` for
/// an empty mask.
///
/// Tolerance 0 gives the exact traced outline, whose fill is the component.
/// Above 0, the vertices [`simplify`] would keep are moved onto the
/// intersections of straight lines fitted to the outline between them, which
/// averages out the pixel staircase and restores cut corners, so that repeated
/// mask → contour → mask round trips settle instead of drifting; if that
/// result is not simple, plain [`simplify`] is used.
pub fn mask_to_contour(mask: &Mask, tolerance: f32) -> Option<Vec<Point>> {
    // One component has exactly one outer outline.
    let outline = trace_boundaries(&mask.largest_component()).pop()?;
    if tolerance > 0.0 {
        let kept = douglas_peucker_closed(&outline, tolerance);
        let fitted = fit_corners(&outline, &kept, tolerance);
        if is_simple(&fitted) {
            return Some(fitted);
        }
    }
    let contour = simplify(&outline, tolerance);
    (contour.len() >= 3).then_some(contour)
}

/// The grid of pixel centres, padded by a ring of background pixels so that
/// components touching the image edge get closed outlines. Padded pixel
/// (px, py) is image pixel (px − 1, py − 1).
struct CentreGrid<'a> {
    mask: &'a Mask,
    stride: usize,
}

impl<'a> CentreGrid<'a> {
    fn new(mask: &'a Mask) -> Self {
        Self {
            mask,
            stride: mask.width() + 2,
        }
    }

    /// For every directed outline segment, a link from its start vertex to
    /// its end vertex, and the start vertices in row-major cell order (so
    /// tracing is deterministic).
    fn links(&self) -> (Vec<usize>, HashMap<usize, usize>) {
        let mut starts = Vec::new();
        let mut links = HashMap::new();
        for cy in 0..=self.mask.height() {
            for cx in 0..=self.mask.width() {
                // Corners and sides clockwise: side k joins corners k and k+1.
                let corners = [
                    self.filled(cx, cy),
                    self.filled(cx + 1, cy),
                    self.filled(cx + 1, cy + 1),
                    self.filled(cx, cy + 1),
                ];
                if corners.iter().all(|&c| c == corners[0]) {
                    continue;
                }
                let sides = [
                    self.horizontal_vertex(cx, cy),
                    self.vertical_vertex(cx + 1, cy),
                    self.horizontal_vertex(cx, cy + 1),
                    self.vertical_vertex(cx, cy),
                ];
                for (from, to) in cell_segments(corners) {
                    starts.push(sides[from]);
                    links.insert(sides[from], sides[to]);
                }
            }
        }
        (starts, links)
    }

    /// Whether padded pixel (px, py) is foreground.
    fn filled(&self, px: usize, py: usize) -> bool {
        px > 0 && py > 0 && self.mask.get(px - 1, py - 1)
    }

    /// The vertex between padded pixels (px, py) and (px + 1, py).
    fn horizontal_vertex(&self, px: usize, py: usize) -> usize {
        2 * (py * self.stride + px)
    }

    /// The vertex between padded pixels (px, py) and (px, py + 1).
    fn vertical_vertex(&self, px: usize, py: usize) -> usize {
        2 * (py * self.stride + px) + 1
    }

    /// A vertex's position in image coordinates: the midpoint of the two
    /// pixel centres it lies between.
    fn position(&self, vertex: usize) -> Point {
        let pixel = vertex / 2;
        let (px, py) = ((pixel % self.stride) as f32, (pixel / self.stride) as f32);
        if vertex.is_multiple_of(2) {
            [px, py - 0.5]
        } else {
            [px - 0.5, py]
        }
    }
}

/// The outline segments of one cell, as (from side, to side) with sides
/// numbered clockwise from the top (side k joins corners k and k + 1, corners
/// clockwise from the top-left). Walking the cell's border clockwise, the
/// outline leaves the cell where it steps from foreground to background; it
/// joins each such side to the next side clockwise that steps from background
/// to foreground. That keeps the foreground on the walker's right and, in a
/// saddle cell, cuts off the background corners, joining the foreground ones.
fn cell_segments(corners: [bool; 4]) -> impl Iterator<Item = (usize, usize)> {
    let leaves = move |k: usize| corners[k] && !corners[(k + 1) % 4];
    let enters = move |k: usize| !corners[k] && corners[(k + 1) % 4];
    (0..4).filter(move |&k| leaves(k)).filter_map(move |k| {
        // A side that leaves the foreground is always followed, within the
        // next three sides, by one that enters it again.
        (1..4)
            .map(|d| (k + d) % 4)
            .find(|&s| enters(s))
            .map(|s| (k, s))
    })
}

/// The ring without vertices that lie on a straight run between their
/// neighbours (marching squares never doubles back, so a zero cross product
/// means "straight on").
fn without_collinear(ring: &[Point]) -> Vec<Point> {
    let n = ring.len();
    (0..n)
        .filter(|&i| {
            let (prev, here, next) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            let (ux, uy) = (here[0] - prev[0], here[1] - prev[1]);
            let (vx, vy) = (next[0] - here[0], next[1] - here[1]);
            ux * vy - uy * vx != 0.0
        })
        .map(|i| ring[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::testing::{Lcg, blob, circle, parse_mask};
    use crate::geometry::{area, fill, paint_disc, paint_stroke};

    /// The number of 8-connected components.
    fn component_count(mask: &Mask) -> usize {
        let mut rest = mask.clone();
        let mut count = 0;
        while rest.count() > 0 {
            let largest = rest.largest_component();
            for y in 0..rest.height() {
                for x in 0..rest.width() {
                    if largest.get(x, y) {
                        rest.set(x, y, false);
                    }
                }
            }
            count += 1;
        }
        count
    }

    fn disc(width: usize, height: usize, centre: Point, radius: f32) -> Mask {
        let mut mask = Mask::new(width, height);
        paint_disc(&mut mask, centre, radius, true);
        mask
    }

    fn ellipse(width: usize, height: usize) -> Mask {
        let outline: Vec<Point> = circle([0.0, 0.0], 1.0, 360)
            .into_iter()
            .map(|[x, y]| {
                let (x, y) = (38.0 * x, 17.0 * y);
                let (s, c) = 0.5_f32.sin_cos();
                [60.2 + c * x - s * y, 40.7 + s * x + c * y]
            })
            .collect();
        fill(&outline, width, height)
    }

    fn rotated_rectangle(width: usize, height: usize) -> Mask {
        let (s, c) = 0.3_f32.sin_cos();
        let corners = [[-30.0, -12.0], [30.0, -12.0], [30.0, 12.0], [-30.0, 12.0]];
        let outline: Vec<Point> = corners
            .iter()
            .map(|[x, y]| [50.3 + c * x - s * y, 40.1 + s * x + c * y])
            .collect();
        fill(&outline, width, height)
    }

    fn l_shape() -> Mask {
        let outline = [
            [10.0, 5.0],
            [20.0, 5.0],
            [20.0, 40.0],
            [45.0, 40.0],
            [45.0, 52.0],
            [10.0, 52.0],
        ];
        fill(&outline, 60, 60)
    }

    /// Masks that are one 8-connected component without holes.
    fn single_component_masks() -> Vec<Mask> {
        let mut masks = vec![
            disc(100, 90, [45.3, 44.8], 30.0),
            ellipse(120, 90),
            rotated_rectangle(100, 90),
            l_shape(),
            parse_mask(&["....", ".#..", "...."]),
            // One-pixel-wide lines and diagonal joints.
            parse_mask(&["#.....", ".#....", "..####", "..#...", "..#..."]),
            // Touching the image border.
            parse_mask(&["####", "####", "##.."]),
        ];
        // Two discs joined by a single diagonal step.
        let mut necked = disc(60, 40, [15.0, 15.0], 8.0);
        paint_disc(&mut necked, [40.0, 25.0], 8.0, true);
        paint_stroke(&mut necked, [20.5, 20.5], [35.5, 20.5], 0.5, true);
        necked.set(36, 20, false);
        necked.set(36, 21, true);
        masks.push(necked.largest_component().fill_holes());
        let mut rng = Lcg::new(11);
        for _ in 0..40 {
            masks.push(blob(&mut rng, 96, 96).largest_component().fill_holes());
        }
        masks
    }

    #[test]
    fn a_single_pixel_is_a_diamond_of_midpoints() {
        let mask = parse_mask(&["...", ".#.", "..."]);
        let outlines = trace_boundaries(&mask);
        assert_eq!(
            outlines,
            vec![vec![[1.0, 1.5], [1.5, 1.0], [2.0, 1.5], [1.5, 2.0]]]
        );
        assert_eq!(signed_area(&outlines[0]), 0.5);
    }

    #[test]
    fn a_block_is_an_octagon_through_edge_midpoints() {
        let mask = parse_mask(&["........", "..###...", "..###...", "........"]);
        let expected = vec![
            [2.0, 1.5],
            [2.5, 1.0],
            [4.5, 1.0],
            [5.0, 1.5],
            [5.0, 2.5],
            [4.5, 3.0],
            [2.5, 3.0],
            [2.0, 2.5],
        ];
        assert_eq!(trace_boundaries(&mask), vec![expected]);
        let full = parse_mask(&["####", "####", "####"]);
        assert_eq!(
            trace_boundaries(&full),
            vec![vec![
                [0.0, 0.5],
                [0.5, 0.0],
                [3.5, 0.0],
                [4.0, 0.5],
                [4.0, 2.5],
                [3.5, 3.0],
                [0.5, 3.0],
                [0.0, 2.5]
            ]]
        );
    }

    #[test]
    fn diagonal_neighbours_share_one_outline() {
        let mask = parse_mask(&["....", ".#..", "..#.", "...."]);
        let outlines = trace_boundaries(&mask);
        assert_eq!(outlines.len(), 1);
        assert!(is_simple(&outlines[0]));
        assert_eq!(fill(&outlines[0], 4, 4), mask);
        // The anti-diagonal too.
        let mask = parse_mask(&["....", "..#.", ".#..", "...."]);
        assert_eq!(trace_boundaries(&mask).len(), 1);
    }

    #[test]
    fn holes_are_ignored_and_components_traced_separately() {
        let annulus = parse_mask(&[
            ".......", //
            ".#####.", //
            ".#...#.", //
            ".#.#.#.", //
            ".#...#.", //
            ".#####.", //
            "......#", //
        ]);
        let outlines = trace_boundaries(&annulus);
        // The ring (with the diagonal pixel joined) and the island in its hole.
        assert_eq!(outlines.len(), 2);
        assert_eq!(fill(&outlines[0], 7, 7), annulus.fill_holes());
        assert_eq!(
            outlines[1],
            vec![[3.0, 3.5], [3.5, 3.0], [4.0, 3.5], [3.5, 4.0]]
        );
        assert!(trace_boundaries(&Mask::new(5, 5)).is_empty());
        assert!(trace_boundaries(&Mask::new(0, 0)).is_empty());
    }

    #[test]
    fn traced_outlines_of_random_masks_are_simple_one_per_component() {
        let mut rng = Lcg::new(5);
        for _ in 0..60 {
            let mut mask = blob(&mut rng, 80, 70);
            // Speckle, so that there are tiny components and holes too.
            for _ in 0..40 {
                let (x, y) = (rng.range(0.0, 80.0) as usize, rng.range(0.0, 70.0) as usize);
                mask.set(x, y, !mask.get(x, y));
            }
            let outlines = trace_boundaries(&mask);
            assert_eq!(outlines.len(), component_count(&mask));
            for outline in &outlines {
                assert!(is_simple(outline), "{outline:?}");
                assert!(signed_area(outline) > 0.0);
            }
        }
    }

    #[test]
    fn round_trip_at_tolerance_zero_is_exact() {
        for (i, mask) in single_component_masks().iter().enumerate() {
            let contour = mask_to_contour(mask, 0.0).unwrap();
            assert!(is_simple(&contour), "mask {i}");
            assert_eq!(
                &fill(&contour, mask.width(), mask.height()),
                mask,
                "mask {i}"
            );
        }
    }

    #[test]
    fn round_trip_keeps_the_largest_component_with_holes_filled() {
        let mut mask = disc(80, 80, [40.0, 40.0], 25.0);
        paint_disc(&mut mask, [40.0, 40.0], 8.0, false);
        paint_disc(&mut mask, [72.0, 8.0], 4.0, true);
        let contour = mask_to_contour(&mask, 0.0).unwrap();
        assert_eq!(fill(&contour, 80, 80), disc(80, 80, [40.0, 40.0], 25.0));
        assert_eq!(mask_to_contour(&Mask::new(10, 10), 0.0), None);
        let dot = parse_mask(&["...", ".#.", "..."]);
        assert_eq!(mask_to_contour(&dot, 5.0).map(|c| c.len()), Some(4));
    }

    #[test]
    fn repeated_round_trips_with_simplification_do_not_drift() {
        let mut rng = Lcg::new(23);
        let mut masks = vec![
            disc(100, 100, [50.3, 49.6], 40.0),
            ellipse(120, 90),
            rotated_rectangle(100, 90),
        ];
        for _ in 0..10 {
            masks.push(blob(&mut rng, 96, 96).largest_component().fill_holes());
        }
        for (i, mask) in masks.iter().enumerate() {
            let (width, height) = (mask.width(), mask.height());
            let round_trip = |m: &Mask| fill(&mask_to_contour(m, 0.7).unwrap(), width, height);
            let first = round_trip(mask);
            assert!(
                first.iou(mask) > 0.97,
                "mask {i}: first iou {}",
                first.iou(mask)
            );
            let mut current = first.clone();
            for _ in 1..10 {
                current = round_trip(&current);
            }
            let iou = current.iou(&first);
            let change = (current.count() as f64 / first.count() as f64 - 1.0).abs();
            assert!(iou >= 0.99, "mask {i}: iou {iou}");
            assert!(change < 0.01, "mask {i}: count changed by {change}");
        }
    }

    #[test]
    fn simplified_contours_are_simple_and_close_to_the_mask() {
        let mut rng = Lcg::new(29);
        for _ in 0..30 {
            let mask = blob(&mut rng, 96, 96).largest_component().fill_holes();
            let exact = mask_to_contour(&mask, 0.0).unwrap();
            let contour = mask_to_contour(&mask, 0.7).unwrap();
            assert!(
                contour.len() * 2 < exact.len(),
                "{} of {} points",
                contour.len(),
                exact.len()
            );
            let relative = (area(&contour) / area(&exact) - 1.0).abs();
            assert!(relative < 0.01, "area off by {relative}");
            let iou = fill(&contour, 96, 96).iou(&mask);
            assert!(iou > 0.98, "iou {iou}");
            for tolerance in [1.5, 3.0, 10.0, f32::INFINITY] {
                assert!(is_simple(&mask_to_contour(&mask, tolerance).unwrap()));
            }
        }
    }
}
