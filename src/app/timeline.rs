//! The transport bar and frame scrubber: play/pause, step, loop, speed, and a
//! strip with one cell per frame showing ED/ES marks (the viewer's own, and
//! those of the other readers shown in the Readers section, in their colours)
//! and annotated frames.

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2};

use super::actions::Action;
use super::clip_view::{OpenClip, SPEEDS};
use super::command::{Command, CommandSender};
use super::readers::ReaderMark;
use crate::editor::ClipDocument;
use crate::store::{KeyFrameKind, SetBy};

pub const ED_COLOUR: Color32 = Color32::from_rgb(240, 90, 80);
pub const ES_COLOUR: Color32 = Color32::from_rgb(90, 160, 255);

pub fn timeline_ui(
    ui: &mut egui::Ui,
    clip: &OpenClip,
    document: Option<&ClipDocument>,
    others: &[ReaderMark],
    commands: &CommandSender,
) {
    let count = clip.frame_count();
    // Wraps on narrow windows rather than cutting the key-frame buttons off.
    ui.horizontal_wrapped(|ui| {
        Action::PreviousFrame.button(ui, true, commands);
        let label = if clip.playback.playing {
            "Pause"
        } else {
            "Play"
        };
        Action::PlayPause.button_labelled(ui, label, true, commands);
        Action::NextFrame.button(ui, true, commands);
        let frame = clip.playback.frame;
        ui.separator();
        for (kind, action, colour) in [
            (
                KeyFrameKind::EndDiastole,
                Action::MarkEndDiastole,
                ED_COLOUR,
            ),
            (KeyFrameKind::EndSystole, Action::MarkEndSystole, ES_COLOUR),
        ] {
            let marked = document.is_some_and(|d| d.key_frame(frame, kind).is_some());
            let key = action.key_text().unwrap_or_default();
            let text = egui::RichText::new(format!("{} ({key})", kind.as_str())).color(colour);
            let button =
                ui.add_enabled(document.is_some(), egui::Button::new(text).selected(marked));
            let hover = match document.and_then(|d| d.key_frame(frame, kind)) {
                Some(mark) => format!(
                    "Marked {} by {}. Click to unmark.",
                    kind.as_str(),
                    mark.author.as_deref().unwrap_or("the model")
                ),
                None => format!("Mark this frame as {}", kind.as_str()),
            };
            if button.on_hover_text(hover).clicked() {
                commands.send(Command::Do(action));
            }
        }
        ui.separator();
        if ui
            .selectable_label(clip.playback.looping, Action::ToggleLoop.spec().name)
            .on_hover_text(Action::ToggleLoop.tooltip())
            .clicked()
        {
            commands.send(Command::Do(Action::ToggleLoop));
        }
        let mut speed = clip.playback.speed;
        egui::ComboBox::from_label("speed")
            .width(60.0)
            .selected_text(format!("{speed}×"))
            .show_ui(ui, |ui| {
                for choice in SPEEDS {
                    ui.selectable_value(&mut speed, choice, format!("{choice}×"));
                }
            });
        if speed != clip.playback.speed {
            commands.send(Command::SetSpeed(speed));
        }
        let time_ms = f64::from(frame) * 1000.0 / clip.fps();
        let position = format!(
            "frame {:>3} / {}  ·  {:>6.0} ms  ·  {:.0} fps",
            frame + 1,
            count,
            time_ms,
            clip.fps()
        );
        // Kept on one line: it wraps as a whole to the next row when narrow.
        ui.add(
            egui::Label::new(egui::RichText::new(position).monospace())
                .wrap_mode(egui::TextWrapMode::Extend),
        );
    });
    scrubber_ui(ui, clip, document, others, commands);
}

/// One cell per frame: click or drag to move; ED/ES and annotated frames marked.
fn scrubber_ui(
    ui: &mut egui::Ui,
    clip: &OpenClip,
    document: Option<&ClipDocument>,
    others: &[ReaderMark],
    commands: &CommandSender,
) {
    let count = clip.frame_count().max(1);
    let (rect, response) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), 34.0),
        Sense::click_and_drag(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
    let cell = rect.width() / count as f32;
    let x_of = |frame: u32| rect.left() + (frame as f32 + 0.5) * cell;
    // Other readers' marks first, so that the viewer's own stay on top:
    // short lines in the lower half, in the reader's colour.
    for mark in others {
        let x = x_of(mark.frame);
        painter.line_segment(
            [
                Pos2::new(x, rect.center().y - 2.0),
                Pos2::new(x, rect.bottom() - 8.0),
            ],
            Stroke::new(2.0, mark.colour),
        );
        painter.text(
            Pos2::new(x + 2.0, rect.center().y - 2.0),
            egui::Align2::LEFT_CENTER,
            if mark.proposed {
                format!("{}?", mark.kind.as_str())
            } else {
                mark.kind.as_str().to_string()
            },
            egui::FontId::proportional(9.0),
            mark.colour,
        );
    }
    if let Some(document) = document {
        for frame in document.annotated_frames() {
            painter.circle_filled(
                Pos2::new(x_of(frame), rect.bottom() - 5.0),
                2.5,
                Color32::from_gray(220),
            );
        }
        for mark in document.key_frames() {
            let colour = match mark.kind {
                KeyFrameKind::EndDiastole => ED_COLOUR,
                KeyFrameKind::EndSystole => ES_COLOUR,
            };
            let x = x_of(mark.frame);
            painter.line_segment(
                [
                    Pos2::new(x, rect.top() + 2.0),
                    Pos2::new(x, rect.bottom() - 10.0),
                ],
                Stroke::new(2.0, colour),
            );
            // A model's proposal reads "ED?" until someone confirms it.
            let label = match mark.set_by {
                SetBy::Model => format!("{}?", mark.kind.as_str()),
                SetBy::Human => mark.kind.as_str().to_string(),
            };
            painter.text(
                Pos2::new(x, rect.top() + 1.0),
                egui::Align2::CENTER_TOP,
                label,
                egui::FontId::proportional(10.0),
                colour,
            );
        }
    }
    if count <= 400 {
        for frame in 0..count {
            let x = rect.left() + frame as f32 * cell;
            painter.line_segment(
                [
                    Pos2::new(x, rect.bottom() - 3.0),
                    Pos2::new(x, rect.bottom()),
                ],
                Stroke::new(1.0, Color32::from_gray(90)),
            );
        }
    }
    let current = Rect::from_center_size(
        Pos2::new(x_of(clip.playback.frame), rect.center().y),
        Vec2::new(cell.max(3.0), rect.height()),
    );
    painter.rect_stroke(
        current,
        2.0,
        Stroke::new(2.0, ui.visuals().selection.stroke.color),
        egui::StrokeKind::Inside,
    );
    if (response.clicked() || response.dragged())
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let frame = ((pointer.x - rect.left()) / cell)
            .floor()
            .clamp(0.0, (count - 1) as f32) as u32;
        commands.send(Command::GoToFrame(frame));
    }
    let mut help = String::from(
        "Frames: click or drag to move. Lines mark your ED (red) and ES (blue), \"?\" while a model's proposal is unconfirmed; dots mark frames with contours.",
    );
    for mark in others {
        help.push_str(&format!(
            "\n{} by {}: frame {}",
            mark.kind.as_str(),
            mark.author,
            mark.frame + 1
        ));
    }
    response.on_hover_text(help);
}
