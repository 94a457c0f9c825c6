//! The other readers of the clip on screen: their contours over the frame
//! (each author in their own colour, dashed; a toggle per author), their
//! ED/ES marks, the consensus, the reviewer's Accept and Return on people's
//! submitted work, and work returned to the viewer with its comment.
//!
//! What may be seen comes from the library ([`Project::others_work`]): an
//! annotator of a blind collection gets nothing of anyone else's.

use std::collections::BTreeSet;

use eframe::egui::{self, Color32};

use super::command::{Command, CommandSender};
use super::notices::Notices;
use crate::editor::StudyChange;
use crate::geometry::Point;
use crate::jobs::{Pending, StoreThread};
use crate::store::{
    Annotation, AnnotationStatus, KeyFrameKind, OthersWork, Project, ReturnedWork, Role, SetBy,
    StoreError,
};

/// Colours of other readers' outlines, by the author's place in name order;
/// none of them is a structure's default colour.
const READER_COLOURS: [Color32; 6] = [
    Color32::from_rgb(255, 160, 40),
    Color32::from_rgb(80, 200, 255),
    Color32::from_rgb(230, 90, 230),
    Color32::from_rgb(250, 240, 90),
    Color32::from_rgb(150, 255, 150),
    Color32::from_rgb(255, 120, 120),
];
/// The consensus is drawn white.
pub const CONSENSUS_COLOUR: Color32 = Color32::WHITE;

/// What the viewer may see of a clip, and what of it is drawn.
#[derive(Default)]
pub struct Readers {
    clip_id: Option<i64>,
    pending: Option<Pending<(OthersWork, Vec<ReturnedWork>)>>,
    work: OthersWork,
    /// The other authors of the clip, by name (their colours follow this order).
    authors: Vec<String>,
    returned: Vec<ReturnedWork>,
    /// Authors whose contours are drawn over the frame.
    pub shown: BTreeSet<String>,
    pub show_consensus: bool,
    /// The comment of a Return being typed.
    comment: String,
}

/// An outline to draw over the frame: colour, points, whether it is the consensus.
pub type Outline = (Color32, Vec<Point>, bool);

/// Another reader's ED or ES mark, as the timeline draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderMark {
    pub colour: Color32,
    pub author: String,
    pub kind: KeyFrameKind,
    pub frame: u32,
    /// A model's proposal in their document they have not confirmed.
    pub proposed: bool,
}

impl Readers {
    /// Reads what `viewer` may see of `clip_id` (again, after a change).
    pub fn request(&mut self, store: &StoreThread, viewer: i64, clip_id: i64) {
        if self.clip_id != Some(clip_id) {
            self.shown.clear();
            self.work = OthersWork::default();
            self.authors.clear();
            self.returned.clear();
        }
        self.clip_id = Some(clip_id);
        self.pending = Some(store.read(move |project: &mut Project| {
            let returned = project
                .returned_to(viewer)?
                .into_iter()
                .filter(|r| r.annotation.clip_id == clip_id)
                .collect();
            Ok::<_, StoreError>((project.others_work(viewer, clip_id)?, returned))
        }));
    }

    pub fn poll(&mut self, notices: &mut Notices) {
        if let Some(pending) = &self.pending
            && let Some(answer) = pending.try_take()
        {
            self.pending = None;
            match answer {
                Ok((work, returned)) => {
                    let names: BTreeSet<&str> = work
                        .contours
                        .iter()
                        .map(|a| a.author.as_str())
                        .chain(work.key_frames.iter().map(|k| k.author.as_str()))
                        .collect();
                    self.authors = names.into_iter().map(str::to_string).collect();
                    self.work = work;
                    self.returned = returned;
                }
                Err(error) => notices.error(format!("reading the other readers' work: {error}")),
            }
        }
    }

    fn colour(&self, author: &str) -> Color32 {
        let place = self.authors.iter().position(|a| a == author).unwrap_or(0);
        READER_COLOURS[place % READER_COLOURS.len()]
    }

    /// The ED/ES marks of the authors shown, on `clip_id`, in their colours:
    /// what the timeline draws beside the viewer's own marks.
    pub fn marks(&self, clip_id: i64) -> Vec<ReaderMark> {
        if self.clip_id != Some(clip_id) {
            return Vec::new();
        }
        self.work
            .key_frames
            .iter()
            .filter(|k| self.shown.contains(&k.author))
            .map(|k| ReaderMark {
                colour: self.colour(&k.author),
                author: k.author.clone(),
                kind: k.kind,
                frame: k.frame,
                proposed: k.set_by == SetBy::Model,
            })
            .collect()
    }

    /// The outlines to draw on `frame` of `clip_id`.
    pub fn outlines(&self, clip_id: i64, frame: u32) -> Vec<Outline> {
        if self.clip_id != Some(clip_id) {
            return Vec::new();
        }
        let mut out: Vec<Outline> = self
            .work
            .contours
            .iter()
            .filter(|a| a.frame == frame && self.shown.contains(&a.author))
            .map(|a| (self.colour(&a.author), a.geometry.contour.clone(), false))
            .collect();
        if self.show_consensus {
            out.extend(
                self.work
                    .consensus
                    .iter()
                    .filter(|c| c.annotation.frame == frame)
                    .map(|c| {
                        (
                            CONSENSUS_COLOUR,
                            c.annotation.geometry.contour.clone(),
                            true,
                        )
                    }),
            );
        }
        out
    }

    /// The side panel section. `own` is the viewer's own outline of each
    /// structure on this frame (what "Use my outline" makes the consensus).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        role: Role,
        frame: u32,
        own: &[(String, Vec<Point>)],
        commands: &CommandSender,
    ) {
        ui.heading("Readers");
        for returned in &self.returned {
            ui.colored_label(
                Color32::from_rgb(255, 170, 60),
                format!(
                    "Returned by {}: {} on frame {}: “{}”",
                    returned.review.reviewer,
                    returned.annotation.target,
                    returned.annotation.frame + 1,
                    returned.review.comment
                ),
            );
        }
        if !self.work.visible {
            ui.weak("Blind: in this collection you see only your own work.");
            return;
        }
        let authors = self.authors.clone();
        if authors.is_empty() && self.work.consensus.is_empty() {
            ui.weak("Nobody else has worked on this clip.");
            return;
        }
        let reviewer = role != Role::Annotator;
        for author in &authors {
            let mut shown = self.shown.contains(author);
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, self.colour(author));
                if ui.checkbox(&mut shown, author).changed() {
                    if shown {
                        self.shown.insert(author.clone());
                    } else {
                        self.shown.remove(author);
                    }
                }
                let marks: Vec<String> = self
                    .work
                    .key_frames
                    .iter()
                    .filter(|k| &k.author == author)
                    .map(|k| format!("{} {}", k.kind, k.frame + 1))
                    .collect();
                if !marks.is_empty() {
                    ui.weak(marks.join(", "));
                }
            });
            let on_frame: Vec<&Annotation> = self
                .work
                .contours
                .iter()
                .filter(|a| &a.author == author && a.frame == frame)
                .collect();
            for annotation in on_frame {
                review_row(ui, annotation, reviewer, &mut self.comment, commands);
            }
        }
        consensus_ui(ui, self, frame, reviewer, own, commands);
    }
}

/// One of another person's annotations on the frame, with a reviewer's decisions.
fn review_row(
    ui: &mut egui::Ui,
    annotation: &Annotation,
    reviewer: bool,
    comment: &mut String,
    commands: &CommandSender,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("   {}: {}", annotation.target, annotation.status));
        if !(reviewer && annotation.status == AnnotationStatus::Submitted) {
            return;
        }
        if ui.small_button("Accept").clicked() {
            commands.send(Command::Study(StudyChange::Review {
                annotation_id: annotation.id,
                accepted: true,
                comment: String::new(),
            }));
        }
        ui.add(
            egui::TextEdit::singleline(comment)
                .hint_text("what to change")
                .desired_width(110.0),
        );
        let can_return = !comment.trim().is_empty();
        if ui
            .add_enabled(can_return, egui::Button::new("Return").small())
            .on_disabled_hover_text("Say what to change first")
            .clicked()
        {
            commands.send(Command::Study(StudyChange::Review {
                annotation_id: annotation.id,
                accepted: false,
                comment: std::mem::take(comment),
            }));
        }
    });
}

fn consensus_ui(
    ui: &mut egui::Ui,
    readers: &mut Readers,
    frame: u32,
    reviewer: bool,
    own: &[(String, Vec<Point>)],
    commands: &CommandSender,
) {
    let on_frame: Vec<_> = readers
        .work
        .consensus
        .iter()
        .filter(|c| c.annotation.frame == frame)
        .collect();
    if on_frame.is_empty() {
        return;
    }
    ui.checkbox(&mut readers.show_consensus, "Show the consensus (white)");
    for record in on_frame {
        let mut state = Vec::new();
        if record.stale {
            state.push("stale: an input changed");
        }
        if record.corrected {
            state.push("corrected");
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "   {}: consensus ({}, {} readers) by {}{}",
                record.annotation.target,
                record.method.as_str(),
                record.inputs.len(),
                record.annotation.author,
                if state.is_empty() {
                    String::new()
                } else {
                    format!(", {}", state.join(", "))
                }
            ));
            let mine = own.iter().find(|(target, _)| *target == record.annotation.target);
            if reviewer
                && let Some((_, contour)) = mine
                && ui
                    .small_button("Use my outline")
                    .on_hover_text("Your outline of this structure becomes the consensus (and the consensus yours)")
                    .clicked()
            {
                commands.send(Command::Study(StudyChange::CorrectConsensus {
                    consensus_id: record.annotation.id,
                    contour: contour.clone(),
                }));
            }
        });
    }
}
