//! Tests of the polygon functions.

use super::shape::{TAUBIN_LAMBDA, TAUBIN_MU, laplacian_step};
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
