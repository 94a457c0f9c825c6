//! The pen tool's mouse handling: click by click a polyline that never
//! crosses itself, closed into a contour by clicking its first point.

use eframe::egui;

use super::{GRAB_DISTANCE, Viewport};
use crate::app::command::Command;
use crate::app::notices::Notices;
use crate::app::tools::{EditorState, Gesture};
use crate::geometry::{self, Point};

#[allow(clippy::too_many_arguments)]
pub(super) fn pen_tool(
    response: &egui::Response,
    editor: &mut EditorState,
    at: Point,
    viewport: &Viewport,
    notices: &mut Notices,
    edits: &mut Vec<Command>,
    frame: u32,
    structure: &str,
) {
    if !response.clicked_by(egui::PointerButton::Primary) {
        return;
    }
    let at = geometry::clamp_to_image(at, viewport.image_size);
    let structure_index = editor.structure;
    let points = match &mut editor.gesture {
        Some(Gesture::Pen { structure, points }) if *structure == structure_index => points,
        _ => {
            editor.gesture = Some(Gesture::Pen {
                structure: structure_index,
                points: vec![at],
            });
            return;
        }
    };
    let grab = GRAB_DISTANCE / viewport.scale;
    let closes = points.len() >= 3 && geometry::distance(points[0], at) <= f64::from(grab);
    if closes {
        if let Some(closed) = geometry::close_polyline(points) {
            edits.push(Command::SetContour {
                frame,
                structure: structure.to_string(),
                points: closed,
            });
            editor.gesture = None;
        } else {
            notices.info("The contour cannot close there: it would cross itself.");
        }
        return;
    }
    if !geometry::can_append(points, at) {
        notices.info("That point would make the contour cross itself.");
    } else {
        points.push(at);
    }
}
