//! The right-hand panel: tools, structures (visibility, colour, opacity),
//! frame actions, the model section (drawn by the caller), window/level and
//! the clip's metadata.

use eframe::egui;

use super::clip_view::{DEFAULT_FPS, OpenClip};
use super::tools::{EditorState, Tool};
use crate::editor::ClipDocument;
use crate::store::AnnotationStatus;

/// Buttons in the panel that act on the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelAction {
    Undo,
    Redo,
    Smooth,
    CopyFromOtherKeyFrame,
    AcceptFrame,
    DeleteContour,
}

pub fn side_panel_ui(
    ui: &mut egui::Ui,
    editor: &mut EditorState,
    clip: Option<&mut OpenClip>,
    document: Option<&ClipDocument>,
    template: &str,
    model_section: impl FnOnce(&mut egui::Ui),
) -> Option<PanelAction> {
    let mut action = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Tools");
        ui.horizontal_wrapped(|ui| {
            for tool in Tool::ALL {
                if ui
                    .selectable_label(editor.tool == tool, tool.label())
                    .clicked()
                {
                    editor.set_tool(tool);
                }
            }
        });
        if matches!(editor.tool, Tool::Brush | Tool::Eraser) {
            ui.add(
                egui::Slider::new(&mut editor.brush_radius, 1.0..=40.0)
                    .text("brush radius px  [ ]"),
            );
        }
        ui.separator();
        ui.heading("Structures");
        ui.weak(format!("template: {template}"));
        let frame = clip.as_ref().map(|c| c.playback.frame);
        let mut chosen = None;
        for (index, style) in editor.styles.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                ui.checkbox(&mut style.visible, "")
                    .on_hover_text("Show (H)");
                ui.color_edit_button_srgba(&mut style.colour);
                let state = frame
                    .and_then(|f| document?.contour(f, &style.name))
                    .map(|c| match (c.status, c.is_proposal()) {
                        (AnnotationStatus::Draft, true) => "model proposal",
                        (AnnotationStatus::Draft, false) => "draft",
                        (AnnotationStatus::Submitted, _) => "submitted",
                        (AnnotationStatus::Accepted, _) => "accepted",
                        (AnnotationStatus::Rejected, _) => "rejected",
                    });
                let label = format!("{} {}", index + 1, style.name);
                if ui
                    .selectable_label(index == editor.structure, label)
                    .clicked()
                {
                    chosen = Some(index);
                }
                if let Some(state) = state {
                    ui.weak(state);
                }
            });
        }
        if let Some(index) = chosen {
            editor.select_structure(index);
        }
        ui.add(egui::Slider::new(&mut editor.opacity, 0.0..=1.0).text("fill opacity"));
        ui.separator();
        ui.heading("Contour");
        let has_document = document.is_some();
        ui.horizontal_wrapped(|ui| {
            let undo = document.is_some_and(ClipDocument::can_undo);
            let redo = document.is_some_and(ClipDocument::can_redo);
            if ui
                .add_enabled(undo, egui::Button::new("Undo"))
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                action = Some(PanelAction::Undo);
            }
            if ui
                .add_enabled(redo, egui::Button::new("Redo"))
                .on_hover_text("Ctrl+Shift+Z")
                .clicked()
            {
                action = Some(PanelAction::Redo);
            }
            for (label, hover, panel_action) in [
                ("Smooth", "M", PanelAction::Smooth),
                (
                    "Copy from other key frame",
                    "C",
                    PanelAction::CopyFromOtherKeyFrame,
                ),
                (
                    "Delete contour",
                    "Delete with no point selected",
                    PanelAction::DeleteContour,
                ),
                (
                    "Accept frame",
                    "Ctrl+Enter: submit this frame's contours",
                    PanelAction::AcceptFrame,
                ),
            ] {
                if ui
                    .add_enabled(has_document, egui::Button::new(label))
                    .on_hover_text(hover)
                    .clicked()
                {
                    action = Some(panel_action);
                }
            }
        });
        model_section(ui);
        if let Some(clip) = clip {
            ui.separator();
            ui.heading("Display");
            ui.add(egui::Slider::new(&mut clip.view.window, 1.0..=512.0).text("window"));
            ui.add(egui::Slider::new(&mut clip.view.level, -128.0..=383.0).text("level"));
            ui.horizontal(|ui| {
                if ui.button("Reset window/level").clicked() {
                    clip.view.window = 255.0;
                    clip.view.level = 127.5;
                }
                if ui.button("Fit (F)").clicked() {
                    let fitted = super::clip_view::View::fitted(clip.record.cols, clip.record.rows);
                    clip.view.zoom = fitted.zoom;
                    clip.view.centre = fitted.centre;
                }
            });
            ui.weak("Wheel: zoom · middle-drag: pan · right-drag: window/level");
            ui.separator();
            metadata_ui(ui, clip);
        }
    });
    action
}

fn metadata_ui(ui: &mut egui::Ui, clip: &OpenClip) {
    ui.heading("Clip");
    // What the reader found implausible in the header and ignored: shown
    // above the metadata, where the panel is still in view, so a clip that
    // plays at the default rate or has no ruler says why.
    for warning in clip.info.iter().flat_map(|info| &info.warnings) {
        ui.add(
            egui::Label::new(
                egui::RichText::new(format!("Warning: {warning}")).color(WARNING_COLOUR),
            )
            .wrap(),
        );
    }
    let record = &clip.record;
    egui::Grid::new("metadata")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            row(
                "file",
                record
                    .path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            );
            row(
                "size",
                format!(
                    "{} × {} px, {} frames",
                    record.cols,
                    record.rows,
                    clip.frame_count()
                ),
            );
            row("decoded", format!("{} frames", clip.decoded()));
            if let Some(info) = &clip.info {
                row("modality", info.modality.clone().unwrap_or_default());
                row(
                    "manufacturer",
                    info.manufacturer.clone().unwrap_or_default(),
                );
                row("study date", info.study_date.clone().unwrap_or_default());
                row("photometric", info.photometric.clone());
                row("transfer syntax", info.transfer_syntax_name.clone());
                let rate = match (info.frame_time_ms, clip.file_fps()) {
                    (_, Some(fps)) => format!("{fps:.1} fps"),
                    (None, None) => format!("not stated ({DEFAULT_FPS} fps assumed)"),
                    (Some(ms), None) => {
                        format!("frame time {ms:e} ms ignored ({DEFAULT_FPS} fps assumed)")
                    }
                };
                row("frame rate", rate);
                row(
                    "heart rate",
                    info.heart_rate_bpm
                        .map_or(String::new(), |h| format!("{h:.0} bpm")),
                );
                let inverted = info
                    .region
                    .as_ref()
                    .is_some_and(|r| r.bounds.2 < r.bounds.0 || r.bounds.3 < r.bounds.1);
                let calibration = match info.mm_per_pixel() {
                    Some(_) if inverted => "ignored: the region's bounds are inverted".into(),
                    Some((x, y)) => format!("{x:.3} × {y:.3} mm/px"),
                    None => "none".into(),
                };
                row("calibration", calibration);
            }
            if let Some(error) = clip.frame_errors.get(&clip.playback.frame) {
                row("this frame", error.clone());
            }
        });
}

/// Amber, for header values the clip panel warns about.
const WARNING_COLOUR: egui::Color32 = egui::Color32::from_rgb(240, 180, 60);
