//! The image canvas: the frame and the structure overlays drawn on the GPU,
//! contours and handles drawn on top, and the mouse side of every tool.

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2};

use super::clip_view::{OpenClip, View, next_image_id};
use super::notices::Notices;
use super::session::Session;
use super::tools::{EditorState, Gesture, Tool};
use super::viewer_gpu::{self, Display, LabelOverlay};
use crate::editor::ClipDocument;
use crate::geometry::{self, Mask, Point};

/// How close (screen pixels) the mouse must be to grab a vertex or an edge.
const GRAB_DISTANCE: f32 = 8.0;
const EDGE_DISTANCE: f32 = 6.0;
/// Simplification of brushed masks into editable contours (image pixels).
const BRUSH_TOLERANCE: f32 = 0.7;
const ZOOM_RANGE: (f32, f32) = (0.25, 32.0);

/// Maps between image pixels and screen points for one canvas rect.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub rect: Rect,
    /// Screen points per image pixel.
    pub scale: f32,
    pub centre: Point,
    pub image_size: [f32; 2],
}

impl Viewport {
    pub fn new(rect: Rect, view: &View, width: u32, height: u32) -> Viewport {
        let fit = (rect.width() / width.max(1) as f32).min(rect.height() / height.max(1) as f32);
        Viewport {
            rect,
            // A canvas squeezed to nothing still maps points both ways.
            scale: (fit * view.zoom).max(1e-3),
            centre: view.centre,
            image_size: [width as f32, height as f32],
        }
    }

    pub fn screen_from_image(&self, p: Point) -> Pos2 {
        self.rect.center() + Vec2::new(p[0] - self.centre[0], p[1] - self.centre[1]) * self.scale
    }

    pub fn image_from_screen(&self, s: Pos2) -> Point {
        let d = (s - self.rect.center()) / self.scale;
        [self.centre[0] + d.x, self.centre[1] + d.y]
    }

    /// The texture coordinates of the rect's corners.
    fn uv(&self) -> ([f32; 2], [f32; 2]) {
        let min = self.image_from_screen(self.rect.min);
        let max = self.image_from_screen(self.rect.max);
        let [w, h] = self.image_size;
        ([min[0] / w, min[1] / h], [max[0] / w, max[1] / h])
    }
}

/// A change the canvas asks for; applied after drawing, when nothing is borrowed.
pub enum CanvasEdit {
    Set {
        frame: u32,
        structure: String,
        points: Vec<Point>,
    },
    Remove {
        frame: u32,
        structure: String,
    },
}

/// The overlay built for one state of the document, reused while it holds.
#[derive(Default)]
pub struct OverlayCache {
    key: Option<(i64, u32, u64, u64, Vec<bool>)>,
    overlay: Option<LabelOverlay>,
}

/// Draws the canvas and handles the mouse; returns the edits to apply and
/// the mapping used, once a clip is shown.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    session: &mut Session,
    editor: &mut EditorState,
    cache: &mut OverlayCache,
    notices: &mut Notices,
    uncertainty: Option<egui::TextureId>,
) -> (Vec<CanvasEdit>, Option<Viewport>) {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    let document = session.document().cloned();
    let waiting_for_annotator = session.annotator.is_none();
    let Some(clip) = session.clip.as_mut() else {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Pick a clip in the library",
            egui::FontId::proportional(18.0),
            Color32::GRAY,
        );
        return (Vec::new(), None);
    };
    if let Some(failure) = &clip.failure {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            format!("This clip cannot be shown.\n{failure}"),
            egui::FontId::proportional(16.0),
            Color32::from_rgb(255, 120, 110),
        );
        return (Vec::new(), None);
    }
    let (width, height) = (clip.record.cols, clip.record.rows);
    let viewport = Viewport::new(rect, &clip.view, width, height);
    let frame = clip.playback.frame;

    let mut edits = Vec::new();
    if let Some(document) = &document {
        handle_zoom(ui, &response, clip, &viewport);
        edits = handle_tool(ui, &response, clip, editor, document, &viewport, notices);
    } else {
        handle_zoom(ui, &response, clip, &viewport);
    }
    let viewport = Viewport::new(rect, &clip.view, width, height);

    match clip.current_image().cloned() {
        Some(image) => {
            let overlay = document
                .as_ref()
                .and_then(|doc| overlay_for(cache, clip, doc, editor, width, height));
            let (uv_min, uv_max) = viewport.uv();
            let display = Display {
                window: clip.view.window,
                level: clip.view.level,
                class_colours: class_colours(editor),
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
    if let Some(document) = &document {
        draw_contours(&painter, document, frame, editor, &viewport);
    } else if waiting_for_annotator {
        painter.text(
            rect.center_bottom() - Vec2::new(0.0, 30.0),
            egui::Align2::CENTER_CENTER,
            "Choose who is annotating to edit",
            egui::FontId::proportional(14.0),
            Color32::LIGHT_GRAY,
        );
    }
    draw_calibration(&painter, clip, &viewport);
    draw_cursor_readout(
        ui,
        &painter,
        &response,
        clip,
        document.as_ref(),
        editor,
        &viewport,
    );
    (edits, Some(viewport))
}

/// Wheel zoom around the cursor, middle- or empty-drag pan, right-drag window/level.
fn handle_zoom(ui: &egui::Ui, response: &egui::Response, clip: &mut OpenClip, viewport: &Viewport) {
    if let Some(pointer) = response.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let anchor = viewport.image_from_screen(pointer);
            let zoom = (clip.view.zoom * (scroll * 0.002).exp()).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
            let scale = viewport.scale / clip.view.zoom * zoom;
            let d = (pointer - viewport.rect.center()) / scale;
            clip.view.zoom = zoom;
            clip.view.centre = [anchor[0] - d.x, anchor[1] - d.y];
        }
    }
    if response.dragged_by(egui::PointerButton::Middle) {
        pan(clip, response.drag_delta(), viewport.scale);
    }
    if response.dragged_by(egui::PointerButton::Secondary) {
        let delta = response.drag_delta();
        clip.view.window = (clip.view.window + delta.x).clamp(1.0, 512.0);
        clip.view.level = (clip.view.level - delta.y).clamp(-128.0, 383.0);
    }
}

fn pan(clip: &mut OpenClip, delta: Vec2, scale: f32) {
    clip.view.centre[0] -= delta.x / scale;
    clip.view.centre[1] -= delta.y / scale;
}

/// The mouse side of the active tool.
fn handle_tool(
    ui: &egui::Ui,
    response: &egui::Response,
    clip: &mut OpenClip,
    editor: &mut EditorState,
    document: &ClipDocument,
    viewport: &Viewport,
    notices: &mut Notices,
) -> Vec<CanvasEdit> {
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

#[allow(clippy::too_many_arguments)]
fn edit_tool(
    response: &egui::Response,
    clip: &mut OpenClip,
    editor: &mut EditorState,
    contour: Option<Vec<Point>>,
    at: Point,
    viewport: &Viewport,
    notices: &mut Notices,
    edits: &mut Vec<CanvasEdit>,
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
                if let Some(moved) =
                    geometry::with_vertex_moved(points, *index, clamp_to(at, viewport))
                {
                    *points = moved;
                }
            }
            _ => pan(clip, response.drag_delta(), viewport.scale),
        }
    }
    if response.drag_stopped()
        && let Some(Gesture::Drag { points, .. }) = editor.gesture.take()
        && Some(&points) != contour.as_ref()
    {
        edits.push(CanvasEdit::Set {
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
            Some(points) => edits.push(CanvasEdit::Set {
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

#[allow(clippy::too_many_arguments)]
fn pen_tool(
    response: &egui::Response,
    editor: &mut EditorState,
    at: Point,
    viewport: &Viewport,
    notices: &mut Notices,
    edits: &mut Vec<CanvasEdit>,
    frame: u32,
    structure: &str,
) {
    if !response.clicked_by(egui::PointerButton::Primary) {
        return;
    }
    let at = clamp_to(at, viewport);
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
    let closes = points.len() >= 3 && distance(points[0], at) <= grab;
    if closes {
        if let Some(closed) = close_pen(points) {
            edits.push(CanvasEdit::Set {
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

/// The pen's polyline as a closed contour, if closing it keeps it simple.
pub fn close_pen(points: &[Point]) -> Option<Vec<Point>> {
    geometry::can_close(points).then(|| points.to_vec())
}

#[allow(clippy::too_many_arguments)]
fn brush_tool(
    ui: &egui::Ui,
    response: &egui::Response,
    clip: &OpenClip,
    editor: &mut EditorState,
    contour: Option<Vec<Point>>,
    at: Point,
    edits: &mut Vec<CanvasEdit>,
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
            Some(points) => edits.push(CanvasEdit::Set {
                frame,
                structure: structure.to_string(),
                points,
            }),
            None if contour.is_some() => edits.push(CanvasEdit::Remove {
                frame,
                structure: structure.to_string(),
            }),
            None => {}
        }
    }
    ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
}

fn clamp_to(p: Point, viewport: &Viewport) -> Point {
    [
        p[0].clamp(0.0, viewport.image_size[0]),
        p[1].clamp(0.0, viewport.image_size[1]),
    ]
}

fn distance(a: Point, b: Point) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Straight-alpha colours per class index (structure i is class i + 1).
fn class_colours(editor: &EditorState) -> [[f32; 4]; 8] {
    let mut colours = [[0.0; 4]; 8];
    for (i, style) in editor.styles.iter().enumerate().take(7) {
        let [r, g, b, _] = style.colour.to_array();
        let alpha = if style.visible { editor.opacity } else { 0.0 };
        colours[i + 1] = [
            f32::from(r) / 255.0,
            f32::from(g) / 255.0,
            f32::from(b) / 255.0,
            alpha,
        ];
    }
    colours
}

/// The class map of the current frame: structures filled in reverse template
/// order, so the first (the LV cavity) lies on top of the myocardium.
fn overlay_for(
    cache: &mut OverlayCache,
    clip: &OpenClip,
    document: &ClipDocument,
    editor: &EditorState,
    width: u32,
    height: u32,
) -> Option<LabelOverlay> {
    let gesture_version = match &editor.gesture {
        Some(Gesture::Stroke { version, .. }) => *version,
        Some(Gesture::Drag { points, .. }) => points
            .iter()
            .map(|p| p[0].to_bits() as u64 ^ p[1].to_bits() as u64)
            .fold(0u64, |a, b| a.rotate_left(5) ^ b),
        _ => 0,
    };
    let visible: Vec<bool> = editor.styles.iter().map(|s| s.visible).collect();
    let key = (
        clip.record.id,
        clip.playback.frame,
        clip.document_version,
        gesture_version,
        visible,
    );
    if cache.key.as_ref() == Some(&key) {
        return cache.overlay.clone();
    }
    let (w, h) = (width as usize, height as usize);
    let mut labels = vec![0u8; w * h];
    let frame = clip.playback.frame;
    for (index, style) in editor.styles.iter().enumerate().take(7).rev() {
        let mask = match &editor.gesture {
            Some(Gesture::Stroke {
                structure, mask, ..
            }) if *structure == index => Some(mask.clone()),
            Some(Gesture::Drag {
                structure, points, ..
            }) if *structure == index => Some(geometry::fill(points, w, h)),
            _ => document
                .contour(frame, &style.name)
                .map(|c| geometry::fill(&c.points, w, h)),
        };
        if let Some(mask) = mask {
            for (label, inside) in labels.iter_mut().zip(mask.pixels()) {
                if *inside {
                    *label = index as u8 + 1;
                }
            }
        }
    }
    let overlay = LabelOverlay {
        width,
        height,
        labels: Arc::from(labels),
        id: next_image_id(),
    };
    cache.key = Some(key);
    cache.overlay = Some(overlay.clone());
    Some(overlay)
}

/// Contour outlines of every visible structure; handles on the active one.
fn draw_contours(
    painter: &egui::Painter,
    document: &ClipDocument,
    frame: u32,
    editor: &EditorState,
    viewport: &Viewport,
) {
    for (index, style) in editor.styles.iter().enumerate() {
        if !style.visible {
            continue;
        }
        let active = index == editor.structure;
        let stored = document.contour(frame, &style.name);
        let points: Option<Vec<Point>> = match &editor.gesture {
            Some(Gesture::Drag {
                structure, points, ..
            }) if *structure == index => Some(points.clone()),
            Some(Gesture::Stroke { structure, .. }) if *structure == index => None,
            _ => stored.map(|c| c.points.clone()),
        };
        let Some(points) = points else { continue };
        let screen: Vec<Pos2> = points
            .iter()
            .map(|p| viewport.screen_from_image(*p))
            .collect();
        let width = if active { 2.0 } else { 1.5 };
        let stroke = Stroke::new(width, style.colour);
        if stored
            .is_some_and(|c| c.is_proposal() && c.status == crate::store::AnnotationStatus::Draft)
        {
            // A model's proposal nobody has checked yet: dashed until edited or accepted.
            let mut closed = screen.clone();
            closed.extend(screen.first().copied());
            painter.extend(egui::Shape::dashed_line(&closed, stroke, 6.0, 4.0));
        } else {
            painter.add(egui::Shape::closed_line(screen.clone(), stroke));
        }
        if active && editor.tool == Tool::Edit {
            for (i, p) in screen.iter().enumerate() {
                let selected = editor.selected == Some(i);
                let radius = if selected { 5.0 } else { 3.5 };
                painter.circle(
                    *p,
                    radius,
                    if selected {
                        style.colour
                    } else {
                        Color32::WHITE
                    },
                    Stroke::new(1.5, style.colour),
                );
            }
        }
    }
    if let Some(Gesture::Pen { structure, points }) = &editor.gesture
        && let Some(style) = editor.styles.get(*structure)
    {
        let screen: Vec<Pos2> = points
            .iter()
            .map(|p| viewport.screen_from_image(*p))
            .collect();
        painter.add(egui::Shape::line(
            screen.clone(),
            Stroke::new(2.0, style.colour),
        ));
        for p in &screen {
            painter.circle(*p, 3.5, Color32::WHITE, Stroke::new(1.5, style.colour));
        }
        if let Some(first) = screen.first() {
            painter.circle_stroke(*first, GRAB_DISTANCE, Stroke::new(1.0, style.colour));
        }
    }
}

/// At most this many ticks on the depth ruler: a header's calibration can be
/// absurd (1e10 cm per pixel), and the ruler must stay a handful of lines.
const MAX_RULER_TICKS: usize = 40;

/// The depth ruler's ticks for a sector `depth_mm` deep: `(depth in mm,
/// labelled)`, every 5 mm with a label on each whole centimetre, the spacing
/// widened in 1-2-5 steps until at most [`MAX_RULER_TICKS`] fit. Empty when
/// the depth is not a positive finite number.
fn ruler_ticks(depth_mm: f64) -> Vec<(f64, bool)> {
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

/// Depth ruler (1 cm ticks) beside the imaging sector and a scale bar, where
/// the file gives a physical calibration. A region with inverted bounds or a
/// calibration that is not a positive finite number draws nothing.
fn draw_calibration(painter: &egui::Painter, clip: &OpenClip, viewport: &Viewport) {
    let Some(info) = &clip.info else { return };
    let Some(region) = &info.region else { return };
    let (Some(mm_x), Some(mm_y)) = (region.mm_per_pixel_x, region.mm_per_pixel_y) else {
        return;
    };
    if !(mm_x.is_finite() && mm_y.is_finite() && mm_x > 0.0 && mm_y > 0.0) {
        return;
    }
    let (min_x, min_y, max_x, max_y) = region.bounds;
    if max_x < min_x || max_y < min_y {
        return;
    }
    let colour = Color32::from_rgba_unmultiplied(250, 230, 120, 200);
    let stroke = Stroke::new(1.0, colour);
    let top = viewport.screen_from_image([min_x as f32, min_y as f32]);
    let bottom = viewport.screen_from_image([min_x as f32, max_y as f32 + 1.0]);
    let x = top.x - 6.0;
    painter.line_segment([Pos2::new(x, top.y), Pos2::new(x, bottom.y)], stroke);
    let depth_mm = (f64::from(max_y) + 1.0 - f64::from(min_y)) * mm_y;
    for (mm, major) in ruler_ticks(depth_mm) {
        let y = viewport
            .screen_from_image([0.0, min_y as f32 + (mm / mm_y) as f32])
            .y;
        let length = if major { 8.0 } else { 4.0 };
        painter.line_segment([Pos2::new(x - length, y), Pos2::new(x, y)], stroke);
        if major && mm > 0.0 {
            painter.text(
                Pos2::new(x - 10.0, y),
                egui::Align2::RIGHT_CENTER,
                format!("{}", mm / 10.0),
                egui::FontId::monospace(10.0),
                colour,
            );
        }
    }
    painter.text(
        Pos2::new(x - 10.0, top.y - 8.0),
        egui::Align2::RIGHT_CENTER,
        "cm",
        egui::FontId::monospace(10.0),
        colour,
    );
    // A 1 cm scale bar under the sector's right corner, when 1 cm is on screen.
    let right = viewport.screen_from_image([max_x as f32 + 1.0, max_y as f32 + 1.0]);
    let bar = (10.0 / mm_x) as f32 * viewport.scale;
    if !(bar.is_finite() && bar <= viewport.rect.width()) {
        return;
    }
    let y = right.y + 10.0;
    painter.line_segment(
        [Pos2::new(right.x - bar, y), Pos2::new(right.x, y)],
        Stroke::new(2.0, colour),
    );
    painter.text(
        Pos2::new(right.x - bar / 2.0, y + 8.0),
        egui::Align2::CENTER_CENTER,
        "1 cm",
        egui::FontId::monospace(10.0),
        colour,
    );
}

/// The pointer position in pixels and millimetres, the active contour's area, the brush.
fn draw_cursor_readout(
    ui: &egui::Ui,
    painter: &egui::Painter,
    response: &egui::Response,
    clip: &OpenClip,
    document: Option<&ClipDocument>,
    editor: &EditorState,
    viewport: &Viewport,
) {
    let mut lines = Vec::new();
    let mm = clip.info.as_ref().and_then(|i| i.mm_per_pixel());
    if let Some(pointer) = response.hover_pos() {
        let p = viewport.image_from_screen(pointer);
        let mut text = format!("x {:.0}  y {:.0} px", p[0], p[1]);
        if let (Some((mx, my)), Some(region)) =
            (mm, clip.info.as_ref().and_then(|i| i.region.as_ref()))
        {
            let apex_x = (f64::from(region.bounds.0) + f64::from(region.bounds.2) + 1.0) / 2.0;
            let depth = (f64::from(p[1]) - f64::from(region.bounds.1)) * my;
            let lateral = (f64::from(p[0]) - apex_x) * mx;
            text.push_str(&format!(
                "  ·  depth {depth:.1} mm, lateral {lateral:+.1} mm"
            ));
        }
        lines.push(text);
        if matches!(editor.tool, Tool::Brush | Tool::Eraser) {
            painter.circle_stroke(
                pointer,
                editor.brush_radius * viewport.scale,
                Stroke::new(1.0, Color32::WHITE),
            );
        }
        if editor.tool == Tool::Pen
            && let Some(Gesture::Pen { points, .. }) = &editor.gesture
            && let Some(last) = points.last()
        {
            painter.line_segment(
                [viewport.screen_from_image(*last), pointer],
                Stroke::new(1.0, Color32::from_white_alpha(160)),
            );
        }
    }
    if let (Some(document), Some(name)) = (document, editor.active_name())
        && let Some(contour) = document.contour(clip.playback.frame, name)
    {
        let pixels = geometry::area(&contour.points);
        let area = match mm {
            Some((mx, my)) => format!("{:.2} cm²", f64::from(pixels) * mx * my / 100.0),
            None => format!("{pixels:.0} px²"),
        };
        lines.push(format!(
            "{name}: {area}, {} points, {}",
            contour.points.len(),
            contour.status
        ));
    }
    let origin = viewport.rect.left_bottom() + Vec2::new(8.0, -8.0);
    for (i, line) in lines.iter().rev().enumerate() {
        painter.text(
            origin - Vec2::new(0.0, 16.0 * i as f32),
            egui::Align2::LEFT_BOTTOM,
            line,
            egui::FontId::monospace(12.0),
            ui.visuals().strong_text_color(),
        );
    }
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
}
