//! The review grid for pseudo-labels: one card per frame and structure with
//! the model's contour over a thumbnail, grouped by structure and sorted by
//! confidence (lowest uncertainty first). A reviewer accepts, rejects or
//! takes over (edits) each, or selects many and decides at once: the
//! learning window's review tab, with its own selection and thumbnails.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use eframe::egui;

use crate::app::command::Command;
use crate::app::library::color_image;
use crate::app::session::Session;
use crate::app::tools::StructureStyle;
use crate::jobs::{ThumbnailClient, ThumbnailWorker};
use crate::store::{Annotation, AnnotationStatus, PseudoLabelPolicy};

/// Thumbnail width in pixels.
const CARD_WIDTH: u32 = 150;

type FrameKey = (i64, u32);

/// What the grid shows: every pseudo-label, the clips' names, the
/// project's training policy and the structures' colours.
#[derive(Clone, Copy)]
pub struct ReviewView<'a> {
    pub pseudo_labels: &'a [Annotation],
    pub clip_names: &'a HashMap<i64, String>,
    pub policy: PseudoLabelPolicy,
    pub styles: &'a [StructureStyle],
}

/// What every card needs besides its annotation.
struct CardLook<'a> {
    clip_names: &'a HashMap<i64, String>,
    /// Frame size of each clip (contours are in frame pixels; the card
    /// keeps the frame's aspect ratio before its thumbnail arrives).
    sizes: &'a HashMap<i64, (u32, u32)>,
    styles: &'a [StructureStyle],
    showing: AnnotationStatus,
}

#[derive(Default)]
pub struct ReviewGrid {
    /// Which decisions are listed.
    showing: Option<AnnotationStatus>,
    selected: BTreeSet<i64>,
    thumbnails: HashMap<FrameKey, egui::TextureHandle>,
    failed: HashSet<FrameKey>,
    /// The grid's end of the app's thumbnail worker, made on first use.
    client: Option<ThumbnailClient<FrameKey>>,
}

impl ReviewGrid {
    /// Drops selections of pseudo-labels that are gone.
    pub fn retain_known(&mut self, pseudo_labels: &[Annotation]) {
        let known: HashSet<i64> = pseudo_labels.iter().map(|a| a.id).collect();
        self.selected.retain(|id| known.contains(id));
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        view: &ReviewView,
        worker: &ThumbnailWorker,
    ) -> Option<Command> {
        let ReviewView {
            pseudo_labels,
            clip_names,
            policy,
            styles,
        } = *view;
        let mut action = None;
        let sizes: HashMap<i64, (u32, u32)> = session
            .library
            .clips()
            .iter()
            .map(|c| (c.id, (c.cols, c.rows)))
            .collect();
        let look = CardLook {
            clip_names,
            sizes: &sizes,
            styles,
            showing: self.showing.unwrap_or(AnnotationStatus::Draft),
        };
        let showing = self.showing.unwrap_or(AnnotationStatus::Draft);
        let listed: Vec<&Annotation> = pseudo_labels
            .iter()
            .filter(|a| a.status == showing)
            .collect();
        self.receive(ui.ctx());
        self.request(session, &listed, worker);

        ui.horizontal_wrapped(|ui| {
            for (status, label) in [
                (AnnotationStatus::Draft, "To review"),
                (AnnotationStatus::Accepted, "Accepted"),
                (AnnotationStatus::Rejected, "Rejected"),
            ] {
                let count = pseudo_labels.iter().filter(|a| a.status == status).count();
                if ui
                    .selectable_label(showing == status, format!("{label} ({count})"))
                    .clicked()
                {
                    self.showing = Some(status);
                    self.selected.clear();
                }
            }
            let mut joins = policy == PseudoLabelPolicy::WhenAccepted;
            if ui
                .checkbox(&mut joins, "Accepted pseudo-labels join training")
                .on_hover_text("The project's setting: whether accepted pseudo-labels teach the next model version")
                .changed()
            {
                action = Some(Command::SetPseudoLabelPolicy(if joins {
                    PseudoLabelPolicy::WhenAccepted
                } else {
                    PseudoLabelPolicy::Never
                }));
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Select all").clicked() {
                self.selected.extend(listed.iter().map(|a| a.id));
            }
            if ui
                .add_enabled(!self.selected.is_empty(), egui::Button::new("Select none"))
                .clicked()
            {
                self.selected.clear();
            }
            let count = self.selected.len();
            for (decision, label) in [
                (AnnotationStatus::Accepted, "Accept"),
                (AnnotationStatus::Rejected, "Reject"),
            ] {
                if decision != showing
                    && ui
                        .add_enabled(
                            count > 0,
                            egui::Button::new(format!("{label} selected ({count})")),
                        )
                        .clicked()
                {
                    action = Some(Command::ReviewPseudoLabels {
                        ids: std::mem::take(&mut self.selected).into_iter().collect(),
                        decision,
                    });
                }
            }
        });
        if listed.is_empty() {
            ui.weak(match showing {
                AnnotationStatus::Draft => {
                    "Nothing to review: a round with CEAL or SSAL pseudo-labels adds some."
                }
                _ => "None.",
            });
            return action;
        }
        let mut groups: BTreeMap<&str, Vec<&Annotation>> = BTreeMap::new();
        for annotation in &listed {
            groups
                .entry(annotation.target.as_str())
                .or_default()
                .push(annotation);
        }
        egui::ScrollArea::vertical()
            .id_salt("review")
            .show(ui, |ui| {
                for (structure, members) in groups {
                    egui::CollapsingHeader::new(format!("{structure} ({})", members.len()))
                        .default_open(true)
                        .show(ui, |ui| {
                            // Rows of as many cards as fit the window's width.
                            let spacing = ui.spacing().item_spacing.x + 16.0;
                            let columns = ((ui.available_width() + spacing)
                                / (CARD_WIDTH as f32 + spacing))
                                .floor()
                                .max(1.0) as usize;
                            for row in members.chunks(columns) {
                                ui.horizontal(|ui| {
                                    for annotation in row {
                                        if let Some(card) =
                                            self.card(ui, annotation, pseudo_labels, &look)
                                        {
                                            action = Some(card);
                                        }
                                    }
                                });
                            }
                        });
                }
            });
        action
    }

    fn card(
        &mut self,
        ui: &mut egui::Ui,
        annotation: &Annotation,
        all: &[Annotation],
        look: &CardLook,
    ) -> Option<Command> {
        let mut action = None;
        let showing = look.showing;
        let key = (annotation.clip_id, annotation.frame);
        ui.group(|ui| {
            ui.set_width(CARD_WIDTH as f32);
            ui.vertical(|ui| {
                let thumbnail = self.thumbnails.get(&key);
                let (frame_width, frame_height) =
                    look.sizes.get(&annotation.clip_id).copied().unwrap_or((4, 3));
                let height = CARD_WIDTH as f32 * frame_height as f32 / frame_width.max(1) as f32;
                let (rect, response) = ui.allocate_exact_size(
                    egui::vec2(CARD_WIDTH as f32, height),
                    egui::Sense::click(),
                );
                let painter = ui.painter_at(rect);
                match thumbnail {
                    Some(texture) => {
                        painter.image(
                            texture.id(),
                            rect,
                            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                            egui::Color32::WHITE,
                        );
                        let colour = look
                            .styles
                            .iter()
                            .find(|s| s.name == annotation.target)
                            .map_or(egui::Color32::YELLOW, |s| s.colour);
                        draw_contour(&painter, rect, frame_width, annotation, colour);
                    }
                    None if self.failed.contains(&key) => {
                        painter.text(rect.center(), egui::Align2::CENTER_CENTER, "unreadable", egui::FontId::proportional(12.0), ui.visuals().error_fg_color);
                    }
                    None => {
                        painter.rect_filled(rect, 2.0, egui::Color32::from_gray(30));
                    }
                }
                if response.on_hover_text("Open this frame in the viewer").clicked() {
                    action = Some(Command::OpenFrame { clip_id: key.0, frame: key.1 });
                }
                let mut selected = self.selected.contains(&annotation.id);
                let name = look.clip_names.get(&annotation.clip_id).map_or("clip", String::as_str);
                ui.add(egui::Label::new(format!("{name} · frame {}", annotation.frame + 1)).truncate());
                if ui
                    .checkbox(&mut selected, format!("uncertainty {:.4}", annotation.uncertainty.unwrap_or(f64::NAN)))
                    .on_hover_text("Select for Accept / Reject selected")
                    .changed()
                {
                    if selected {
                        self.selected.insert(annotation.id);
                    } else {
                        self.selected.remove(&annotation.id);
                    }
                }
                ui.horizontal(|ui| {
                    if showing != AnnotationStatus::Accepted && ui.small_button("Accept").clicked() {
                        action = Some(Command::ReviewPseudoLabels { ids: vec![annotation.id], decision: AnnotationStatus::Accepted });
                    }
                    if showing != AnnotationStatus::Rejected && ui.small_button("Reject").clicked() {
                        action = Some(Command::ReviewPseudoLabels { ids: vec![annotation.id], decision: AnnotationStatus::Rejected });
                    }
                    if showing == AnnotationStatus::Draft
                        && ui
                            .small_button("Correct")
                            .on_hover_text("Copy the model's contours of this frame into your own annotations to correct them")
                            .clicked()
                    {
                        let pseudo_labels = all
                            .iter()
                            .filter(|a| {
                                a.clip_id == key.0 && a.frame == key.1 && a.status == AnnotationStatus::Draft
                            })
                            .cloned()
                            .collect();
                        action = Some(Command::TakeOver { clip_id: key.0, frame: key.1, pseudo_labels });
                    }
                });
            });
        });
        action
    }

    /// Asks the app's thumbnail worker for the cards' frames not yet asked for.
    fn request(&mut self, session: &Session, listed: &[&Annotation], worker: &ThumbnailWorker) {
        let Some(meta) = &session.meta else { return };
        let client = self.client.get_or_insert_with(|| worker.client());
        // Drawn every frame: only cards not yet asked for look their clip up.
        for annotation in listed {
            let key = (annotation.clip_id, annotation.frame);
            if client.is_requested(&key) || self.failed.contains(&key) {
                continue;
            }
            let clips = session.library.clips();
            match clips.iter().find(|c| c.id == key.0) {
                Some(clip) => {
                    let path = session.clip_path(clip);
                    client.request(key, path, &meta.salt, Some(key.1), CARD_WIDTH * 2);
                }
                // The clip is no longer in the project.
                None => {
                    self.failed.insert(key);
                }
            }
        }
    }

    fn receive(&mut self, ctx: &egui::Context) {
        let Some(client) = &mut self.client else {
            return;
        };
        for (key, image) in client.take() {
            match image {
                Ok(image) => {
                    let name = format!("review-{}-{}", key.0, key.1);
                    self.thumbnails.insert(
                        key,
                        ctx.load_texture(name, color_image(&image), egui::TextureOptions::LINEAR),
                    );
                }
                Err(_) => {
                    self.failed.insert(key);
                }
            }
        }
    }
}

/// The pseudo-label's contour over its thumbnail, in the structure's colour.
/// The contour is in frame pixels and the thumbnail keeps the frame's
/// aspect ratio, so one scale (card width / frame width) maps both axes.
fn draw_contour(
    painter: &egui::Painter,
    rect: egui::Rect,
    frame_width: u32,
    annotation: &Annotation,
    colour: egui::Color32,
) {
    let contour = &annotation.geometry.contour;
    if contour.len() < 2 || frame_width == 0 {
        return;
    }
    let scale = rect.width() / frame_width as f32;
    let points: Vec<egui::Pos2> = contour
        .iter()
        .map(|p| rect.min + egui::vec2(p[0], p[1]) * scale)
        .collect();
    painter.add(egui::Shape::closed_line(
        points,
        egui::Stroke::new(1.5, colour),
    ));
}
