//! The image canvas: the frame and the structure overlays drawn on the GPU,
//! contours and handles drawn on top, and the mouse side of every tool.
//!
//! [`canvas_ui`] runs one frame of it in order: `navigation` applies the
//! wheel and the pan and window/level drags; the active tool's mouse handling
//! (`edit_tool`, `pen_tool`, `brush_tool`) turns clicks and drags into
//! gestures and edit commands; the frame is painted with the class map
//! `overlay` builds; then `contours`, `calibration` and `readout` draw on top.
//! Every part maps points through the [`Viewport`] of this frame. Edits are
//! sent, not applied: the app applies them after drawing. The canvas's own
//! interaction state (the gesture in progress, zoom and pan) it changes
//! itself.

mod brush_tool;
mod calibration;
mod contours;
mod edit_tool;
mod navigation;
mod overlay;
mod pen_tool;
mod readout;
mod viewport;

use eframe::egui::{self, Color32, Sense, Vec2};

use super::clip_view::OpenClip;
use super::command::{Command, CommandSender};
use super::notices::Notices;
use super::session::Session;
use super::tools::{EditorState, Tool};
use super::viewer_gpu::{self, Display};
use crate::editor::ClipDocument;
use brush_tool::brush_tool;
use edit_tool::edit_tool;
use pen_tool::pen_tool;

/// The pen's polyline as a closed contour, if closing it keeps it simple.
pub use crate::geometry::close_polyline as close_pen;
pub use overlay::OverlayCache;
pub use viewport::Viewport;

/// How close (screen pixels) the mouse must be to grab a vertex.
const GRAB_DISTANCE: f32 = 8.0;

/// Draws the canvas and handles the mouse; sends the edits and returns the
/// mapping used, once a clip is shown.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    session: &mut Session,
    editor: &mut EditorState,
    cache: &mut OverlayCache,
    notices: &mut Notices,
    uncertainty: Option<egui::TextureId>,
    commands: &CommandSender,
) -> Option<Viewport> {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    let waiting_for_annotator = session.annotator.is_none();
    let others = session.clip.as_ref().map_or_else(Vec::new, |clip| {
        session
            .readers
            .outlines(clip.record.id, clip.playback.frame)
    });
    let (clip, document) = session.clip_and_document();
    let Some(clip) = clip else {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Pick a clip in the library",
            egui::FontId::proportional(18.0),
            Color32::GRAY,
        );
        return None;
    };
    if let Some(failure) = &clip.failure {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            format!("This clip cannot be shown.\n{failure}"),
            egui::FontId::proportional(16.0),
            Color32::from_rgb(255, 120, 110),
        );
        return None;
    }
    let (width, height) = (clip.record.cols, clip.record.rows);
    let viewport = Viewport::new(rect, &clip.view, width, height);
    let frame = clip.playback.frame;

    let mut edits = Vec::new();
    if let Some(document) = document {
        navigation::handle_zoom(ui, &response, clip, &viewport);
        edits = handle_tool(ui, &response, clip, editor, document, &viewport, notices);
    } else {
        navigation::handle_zoom(ui, &response, clip, &viewport);
    }
    let viewport = Viewport::new(rect, &clip.view, width, height);

    match clip.current_image().cloned() {
        Some(image) => {
            let overlay = document
                .and_then(|doc| overlay::overlay_for(cache, clip, doc, editor, width, height));
            let (uv_min, uv_max) = viewport.uv();
            let display = Display {
                window: clip.view.window,
                level: clip.view.level,
                class_colours: overlay::class_colours(editor),
                uv_min,
                uv_max,
            };
            viewer_gpu::paint(&painter, rect, image, overlay, display);
            if let Some(map) = uncertainty {
                // The map covers the whole frame (the network sees it stretched square).
                let on_screen = egui::Rect::from_min_max(
                    viewport.screen_from_image([0.0, 0.0]),
                    viewport.screen_from_image([width as f32, height as f32]),
                );
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                painter.image(map, on_screen, uv, Color32::WHITE);
            }
        }
        None => {
            let text = match clip.frame_errors.get(&frame) {
                Some(error) => format!("frame {frame} cannot be decoded: {error}"),
                None => "decoding…".to_string(),
            };
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(16.0),
                Color32::GRAY,
            );
        }
    }
    contours::draw_others(&painter, &others, &viewport);
    if let Some(document) = document {
        contours::draw_contours(&painter, document, frame, editor, &viewport);
    } else if waiting_for_annotator {
        painter.text(
            rect.center_bottom() - Vec2::new(0.0, 30.0),
            egui::Align2::CENTER_CENTER,
            "Choose who is annotating to edit",
            egui::FontId::proportional(14.0),
            Color32::LIGHT_GRAY,
        );
    }
    calibration::draw_calibration(&painter, clip, &viewport);
    readout::draw_cursor_readout(ui, &painter, &response, clip, document, editor, &viewport);
    for edit in edits {
        commands.send(edit);
    }
    Some(viewport)
}

/// The mouse side of the active tool; returns the edits it makes, to send.
fn handle_tool(
    ui: &egui::Ui,
    response: &egui::Response,
    clip: &mut OpenClip,
    editor: &mut EditorState,
    document: &ClipDocument,
    viewport: &Viewport,
    notices: &mut Notices,
) -> Vec<Command> {
    let Some(structure) = editor.active_name().map(str::to_string) else {
        return Vec::new();
    };
    let frame = clip.playback.frame;
    let contour = document
        .contour(frame, &structure)
        .map(|c| c.points.clone());
    let pointer = response.interact_pointer_pos().or(response.hover_pos());
    let Some(pointer) = pointer else {
        return Vec::new();
    };
    let at = viewport.image_from_screen(pointer);
    let mut edits = Vec::new();
    match editor.tool {
        Tool::Edit => edit_tool(
            response, clip, editor, contour, at, viewport, notices, &mut edits, frame, &structure,
        ),
        Tool::Pen => pen_tool(
            response, editor, at, viewport, notices, &mut edits, frame, &structure,
        ),
        Tool::Brush | Tool::Eraser => brush_tool(
            ui, response, clip, editor, contour, at, &mut edits, frame, &structure,
        ),
    }
    edits
}
