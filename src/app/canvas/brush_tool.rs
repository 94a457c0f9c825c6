//! The brush and eraser's mouse handling: a stroke paints (or erases) a mask
//! seeded with the current contour, traced back into a contour on release.

use eframe::egui;

use crate::app::clip_view::{OpenClip, next_image_id};
use crate::app::command::Command;
use crate::app::tools::{EditorState, Gesture, Tool};
use crate::geometry::{self, Mask, Point};

/// Simplification of brushed masks into editable contours (image pixels).
const BRUSH_TOLERANCE: f32 = 0.7;

#[allow(clippy::too_many_arguments)]
pub(super) fn brush_tool(
    ui: &egui::Ui,
    response: &egui::Response,
    clip: &OpenClip,
    editor: &mut EditorState,
    contour: Option<Vec<Point>>,
    at: Point,
    edits: &mut Vec<Command>,
    frame: u32,
    structure: &str,
) {
    let paint = editor.tool == Tool::Brush;
    let radius = editor.brush_radius;
    if response.drag_started_by(egui::PointerButton::Primary)
        || response.clicked_by(egui::PointerButton::Primary)
    {
        let (w, h) = (clip.record.cols as usize, clip.record.rows as usize);
        let mut mask = match &contour {
            Some(points) => geometry::fill(points, w, h),
            None => Mask::new(w, h),
        };
        geometry::paint_disc(&mut mask, at, radius, paint);
        editor.gesture = Some(Gesture::Stroke {
            structure: editor.structure,
            mask,
            last: at,
            version: next_image_id(),
        });
    } else if response.dragged_by(egui::PointerButton::Primary)
        && let Some(Gesture::Stroke {
            mask,
            last,
            version,
            ..
        }) = &mut editor.gesture
    {
        geometry::paint_stroke(mask, *last, at, radius, paint);
        *last = at;
        *version = next_image_id();
    }
    let released = response.drag_stopped() || response.clicked_by(egui::PointerButton::Primary);
    if released && let Some(Gesture::Stroke { mask, .. }) = editor.gesture.take() {
        let region = mask.largest_component().fill_holes();
        match geometry::mask_to_contour(&region, BRUSH_TOLERANCE) {
            Some(points) => edits.push(Command::SetContour {
                frame,
                structure: structure.to_string(),
                points,
            }),
            None if contour.is_some() => edits.push(Command::RemoveContour {
                frame,
                structure: structure.to_string(),
            }),
            None => {}
        }
    }
    ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
}
