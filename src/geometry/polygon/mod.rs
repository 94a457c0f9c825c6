//! Closed polygons (contours): measures, hit tests for the editor, edits that
//! keep the outline simple, and smoothing, simplification and resampling.
//!
//! Predicates are evaluated in `f64` so that the exact half-pixel coordinates
//! traced contours use give exact answers.
//!
//! `measure` holds area, centroid and the inside test, `simple` the
//! self-intersection tests, `edit` the vertex edits, `shape` smoothing,
//! simplification and resampling, `primitives` the vector helpers.

mod edit;
mod measure;
mod primitives;
mod shape;
mod simple;
#[cfg(test)]
mod tests;

// Each part sees the others' items through these.
use super::Point;
use primitives::*;

pub use edit::{
    clamp_to_image, nearest_edge, nearest_vertex, with_vertex_inserted, with_vertex_moved,
    with_vertex_removed,
};
pub use measure::{area, centroid, contains, perimeter, signed_area};
pub use primitives::distance;
pub use shape::{resample, simplify, smooth};
pub use simple::{can_append, can_close, close_polyline, is_simple, segment_crosses};

pub(super) use measure::scanline_crossing;
pub(super) use primitives::{cross, wide};
pub(super) use shape::douglas_peucker_closed;
