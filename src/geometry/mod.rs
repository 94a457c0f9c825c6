//! Geometry of annotations: the contours the editor edits, the masks brushes
//! paint, and the conversions between them.
//!
//! An annotation is stored and edited as a closed polygon (a contour), because
//! that is what an expert drags vertex by vertex and what the store keeps.
//! Brushes, erasers and model proposals work on pixel masks instead. The two
//! meet on every brush stroke and every accepted proposal, so the conversions
//! are exact enough that going back and forth does not drift: [`fill`] marks
//! the pixels whose centre lies inside a contour, and [`mask_to_contour`]
//! traces a polygon whose fill gives the same pixels back (exactly at
//! tolerance 0 for one 8-connected component without holes, within a pixel
//! along the boundary otherwise). Contour edits ([`with_vertex_moved`] and
//! its siblings, [`smooth`], [`simplify`]) never return a polygon that is not
//! simple, so a saved outline always encloses one well-defined region.
//!
//! Coordinates are continuous pixel coordinates: pixel (x, y) covers
//! [x, x+1) × [y, y+1) and its centre is (x+0.5, y+0.5); x grows to the right,
//! y downwards. A contour is a `Vec<Point>` whose last point joins the first
//! (the first point is not repeated at the end).
//!
//! [`paint_class_map`] and [`class_contours`] turn one author's contours of
//! a frame into a class map and back (exports, imports, training, proposals).
//!
//! Where a file gives a physical calibration, [`ruler_ticks`] and
//! [`region_position_mm`] turn those pixel coordinates into millimetres (the
//! depth ruler, the cursor readout).

mod calibration;
mod class_map;
mod fit;
mod mask;
mod polygon;
mod raster;
mod trace;

#[cfg(test)]
mod testing;

pub use calibration::{MAX_RULER_TICKS, region_position_mm, ruler_ticks};
pub use class_map::{LV_CAVITY, MYOCARDIUM, class_contours, paint_class_map, region_contours};
pub use mask::Mask;
pub use polygon::{
    area, can_append, can_close, centroid, clamp_to_image, close_polyline, contains, distance,
    is_simple, nearest_edge, nearest_vertex, perimeter, resample, segment_crosses, signed_area,
    simplify, smooth, with_vertex_inserted, with_vertex_moved, with_vertex_removed,
};
pub use raster::{fill, paint_disc, paint_stroke};
pub use trace::{mask_to_contour, trace_boundaries};

/// A point in continuous pixel coordinates, `[x, y]` (x right, y down); the
/// centre of pixel (x, y) is `[x + 0.5, y + 0.5]`.
pub type Point = [f32; 2];
