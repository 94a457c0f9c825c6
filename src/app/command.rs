//! What the user asked for, as data. Views draw from read-only state and
//! push commands into a [`CommandSender`]; the app applies them all in one
//! place ([`super::handle`]), once per frame, after drawing, when nothing is
//! borrowed. A view therefore never changes the project, the document, the
//! playback or the editor's choices itself, and every way of doing a thing
//! (key, menu, button) runs the same code.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui::Color32;

use super::actions::Action;
use super::dialogs::AnnotatorChoice;
use super::saving::LeaveChoice;
use crate::geometry::Point;
use crate::jobs::JobId;
use crate::store::{Annotation, AnnotationStatus, ClipRecord, PseudoLabelPolicy};

/// One request, from any view.
#[derive(Debug, Clone)]
pub enum Command {
    /// An action of the table: keys, menu items and buttons all send these.
    Do(Action),

    /// Replace a structure's contour on a frame (a finished drag, pen or brush stroke).
    SetContour {
        frame: u32,
        structure: String,
        points: Vec<Point>,
    },
    RemoveContour {
        frame: u32,
        structure: String,
    },

    /// Show this frame of the clip on screen.
    GoToFrame(u32),
    SetSpeed(f64),
    SetWindowLevel {
        window: f32,
        level: f32,
    },
    /// Boxed: a record is large, and commands are moved around in a queue.
    OpenClip(Box<ClipRecord>),
    /// Open a clip at a frame (from the annotation queue or the review grid).
    OpenFrame {
        clip_id: i64,
        frame: u32,
    },
    /// Copy these pseudo-labels into the annotator's own contours to correct them.
    TakeOver {
        clip_id: i64,
        frame: u32,
        pseudo_labels: Vec<Annotation>,
    },

    SelectStructure(usize),
    SetStructureStyle {
        index: usize,
        visible: bool,
        colour: Color32,
    },
    SetOpacity(f32),
    SetBrushRadius(f32),

    /// Start an active-learning round with the settings of its form.
    StartRound,
    ReviewPseudoLabels {
        ids: Vec<i64>,
        decision: AnnotationStatus,
    },
    SetPseudoLabelPolicy(PseudoLabelPolicy),
    /// A change to the study made in the Study window or a review.
    Study(crate::editor::StudyChange),
    /// Set or remove a passphrase (kept out of the change journal).
    SetPassphrase(super::study::passphrase_form::PassphraseRequest),
    /// Compare the readers in the background (the Agreement window).
    ComputeAgreement,
    /// Build every missing or stale consensus in the background.
    BuildConsensus(crate::store::ConsensusMethod),

    ChooseAnnotator(AnnotatorChoice),
    StartImport {
        folder: PathBuf,
        collection: String,
        copy: bool,
    },
    /// Export with the settings of the export form.
    StartExport(Box<crate::export::ExportRequest>),
    /// Choose the export form's folder in a folder dialog.
    ChooseExportFolder,
    OpenProjectAt(PathBuf),
    /// The answer to "changes are not saved yet" while leaving the project.
    Leave(LeaveChoice),
    /// Stop a background job at its next check.
    CancelJob(JobId),
}

/// The views' end: cheap to pass by reference, sends from anywhere in a frame.
pub struct CommandSender(Sender<Command>);

impl CommandSender {
    pub fn send(&self, command: Command) {
        // The receiver lives as long as the app that owns both ends.
        let _ = self.0.send(command);
    }
}

/// The app's end.
pub struct CommandQueue {
    sender: CommandSender,
    receiver: Receiver<Command>,
}

impl Default for CommandQueue {
    fn default() -> Self {
        let (sender, receiver) = channel();
        CommandQueue {
            sender: CommandSender(sender),
            receiver,
        }
    }
}

impl CommandQueue {
    pub fn sender(&self) -> &CommandSender {
        &self.sender
    }

    /// Everything sent since the last call, in order.
    pub fn drain(&self) -> Vec<Command> {
        self.receiver.try_iter().collect()
    }
}
