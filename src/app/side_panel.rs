//! The right-hand panel: tools, structures (visibility, colour, opacity),
//! frame actions, the model section (drawn by the caller), window/level and
//! the clip's metadata.

use eframe::egui;

use super::actions::Action;
use super::clip_view::{DEFAULT_FPS, OpenClip};
use super::command::{Command, CommandSender};
use super::tools::{EditorState, Tool};
use crate::editor::ClipDocument;
use crate::store::AnnotationStatus;

pub fn side_panel_ui(
    ui: &mut egui::Ui,
    editor: &EditorState,
    clip: Option<&OpenClip>,
    document: Option<&ClipDocument>,
    template: &str,
    commands: &CommandSender,
    model_section: impl FnOnce(&mut egui::Ui),
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        tools_ui(ui, editor, commands);
        ui.separator();
        structures_ui(ui, editor, clip, document, template, commands);
        ui.separator();
        ui.heading("Contour");
        let has_document = document.is_some();
        ui.horizontal_wrapped(|ui| {
            Action::Undo.button(ui, document.is_some_and(ClipDocument::can_undo), commands);
            Action::Redo.button(ui, document.is_some_and(ClipDocument::can_redo), commands);
            for action in [
                Action::Smooth,
                Action::CopyFromOtherKeyFrame,
                Action::DeleteContour,
                Action::AcceptFrame,
            ] {
                action.button(ui, has_document, commands);
            }
        });
        model_section(ui);
        if let Some(clip) = clip {
            ui.separator();
            display_ui(ui, clip, commands);
            ui.separator();
            metadata_ui(ui, clip);
        }
    });
}

fn tools_ui(ui: &mut egui::Ui, editor: &EditorState, commands: &CommandSender) {
    ui.heading("Tools");
    ui.horizontal_wrapped(|ui| {
        for tool in Tool::ALL {
            let action = tool.action();
            let label = action.name_with_key();
            if ui
                .selectable_label(editor.tool == tool, label)
                .on_hover_text(action.spec().help)
                .clicked()
            {
                commands.send(Command::Do(action));
            }
        }
    });
    if matches!(editor.tool, Tool::Brush | Tool::Eraser) {
        let mut radius = editor.brush_radius;
        let keys = [Action::BrushSmaller, Action::BrushLarger]
            .map(|a| a.key_text().unwrap_or_default())
            .join(" ");
        ui.add(egui::Slider::new(&mut radius, 1.0..=40.0).text(format!("brush radius px  {keys}")));
        if radius != editor.brush_radius {
            commands.send(Command::SetBrushRadius(radius));
        }
    }
}

fn structures_ui(
    ui: &mut egui::Ui,
    editor: &EditorState,
    clip: Option<&OpenClip>,
    document: Option<&ClipDocument>,
    template: &str,
    commands: &CommandSender,
) {
    ui.heading("Structures");
    ui.weak(format!("template: {template}"));
    let frame = clip.map(|c| c.playback.frame);
    let show_key = Action::ToggleStructureVisibility
        .key_text()
        .unwrap_or_default();
    for (index, style) in editor.styles.iter().enumerate() {
        ui.horizontal(|ui| {
            let (mut visible, mut colour) = (style.visible, style.colour);
            ui.checkbox(&mut visible, "")
                .on_hover_text(format!("Show ({show_key})"));
            ui.color_edit_button_srgba(&mut colour);
            if (visible, colour) != (style.visible, style.colour) {
                commands.send(Command::SetStructureStyle {
                    index,
                    visible,
                    colour,
                });
            }
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
                commands.send(Command::SelectStructure(index));
            }
            if let Some(state) = state {
                ui.weak(state);
            }
        });
    }
    let mut opacity = editor.opacity;
    ui.add(egui::Slider::new(&mut opacity, 0.0..=1.0).text("fill opacity"));
    if opacity != editor.opacity {
        commands.send(Command::SetOpacity(opacity));
    }
}

fn display_ui(ui: &mut egui::Ui, clip: &OpenClip, commands: &CommandSender) {
    ui.heading("Display");
    let (mut window, mut level) = (clip.view.window, clip.view.level);
    ui.add(egui::Slider::new(&mut window, 1.0..=512.0).text("window"));
    ui.add(egui::Slider::new(&mut level, -128.0..=383.0).text("level"));
    if (window, level) != (clip.view.window, clip.view.level) {
        commands.send(Command::SetWindowLevel { window, level });
    }
    ui.horizontal(|ui| {
        Action::ResetWindowLevel.button(ui, true, commands);
        Action::FitView.button_labelled(ui, Action::FitView.name_with_key(), true, commands);
    });
    ui.weak("Wheel: zoom · middle-drag: pan · right-drag: window/level");
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
