//! The edit tool's mouse handling: drag a vertex (or a new one inserted on
//! an edge), click to select, right-click to delete a vertex; a drag that
//! grabs nothing pans. Every change keeps the contour simple.

use eframe::egui;

use super::{GRAB_DISTANCE, Viewport, navigation};
use crate::app::clip_view::OpenClip;
use crate::app::command::Command;
use crate::app::notices::Notices;
use crate::app::tools::{EditorState, Gesture};
use crate::geometry::{self, Point};

/// How close (screen pixels) the mouse must be to an edge to insert a vertex.
const EDGE_DISTANCE: f32 = 6.0;

#[allow(clippy::too_many_arguments)]
pub(super) fn edit_tool(
    response: &egui::Response,
    clip: &mut OpenClip,
    editor: &mut EditorState,
    contour: Option<Vec<Point>>,
    at: Point,
    viewport: &Viewport,
    notices: &mut Notices,
    edits: &mut Vec<Command>,
    frame: u32,
    structure: &str,
) {
    let grab = GRAB_DISTANCE / viewport.scale;
    if response.drag_started_by(egui::PointerButton::Primary) {
        let start = response
            .interact_pointer_pos()
            .map(|p| viewport.image_from_screen(p))
            .unwrap_or(at);
        let target = contour.as_ref().and_then(|points| {
            if let Some(index) = geometry::nearest_vertex(points, start, grab) {
                return Some((index, points.clone()));
            }
            let (index, on_edge) =
                geometry::nearest_edge(points, start, EDGE_DISTANCE / viewport.scale)?;
            geometry::with_vertex_inserted(points, index, on_edge).map(|p| (index, p))
        });
        if let Some((index, points)) = target {
            editor.selected = Some(index);
            editor.gesture = Some(Gesture::Drag {
                structure: editor.structure,
                index,
                points,
            });
        }
    }
    if response.dragged_by(egui::PointerButton::Primary) {
        match &mut editor.gesture {
            Some(Gesture::Drag { index, points, .. }) => {
                if let Some(moved) = geometry::with_vertex_moved(
                    points,
                    *index,
                    geometry::clamp_to_image(at, viewport.image_size),
                ) {
                    *points = moved;
                }
            }
            _ => navigation::pan(clip, response.drag_delta(), viewport.scale),
        }
    }
    if response.drag_stopped()
        && let Some(Gesture::Drag { points, .. }) = editor.gesture.take()
        && Some(&points) != contour.as_ref()
    {
        edits.push(Command::SetContour {
            frame,
            structure: structure.to_string(),
            points,
        });
    }
    if response.clicked_by(egui::PointerButton::Primary) {
        editor.selected = contour
            .as_ref()
            .and_then(|p| geometry::nearest_vertex(p, at, grab));
        if contour.is_none() {
            notices.info("No contour here yet: draw one with the pen (P) or the brush (B).");
        }
    }
    if response.secondary_clicked()
        && let Some(points) = &contour
        && let Some(index) = geometry::nearest_vertex(points, at, grab)
    {
        match geometry::with_vertex_removed(points, index) {
            Some(points) => edits.push(Command::SetContour {
                frame,
                structure: structure.to_string(),
                points,
            }),
            None => notices.info(
                "That point cannot go: the contour would cross itself or have fewer than 3 points.",
            ),
        }
        editor.selected = None;
    }
}
