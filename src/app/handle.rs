//! Where commands are carried out: every key, menu item, button and canvas
//! edit ends here, once per frame, after the views have drawn.

use super::EchoLabelApp;
use super::actions::Action;
use super::assistant::ModelRequest;
use super::clip_view;
use super::command::Command;
use super::lifecycle::FolderPurpose;
use super::saving::AfterLeave;
use super::tools::{Gesture, Tool};
use crate::editor::{Mutation, other_key_frame, plan_takeover, smooth_for_editing, step_key_frame};
use crate::store::{Annotation, AnnotationStatus, KeyFrameKind};

/// A reviewer taking over a frame's pseudo-labels to edit them; carried out
/// once the frame's document has been read.
pub struct Takeover {
    clip_id: i64,
    frame: u32,
    pseudo_labels: Vec<Annotation>,
}

impl EchoLabelApp {
    /// Carries out one command.
    pub(super) fn apply(&mut self, command: Command) {
        match command {
            Command::Do(action) => self.act(action),
            Command::SetContour {
                frame,
                structure,
                points,
            } => self.edit(|d| d.set_contour(frame, &structure, points)),
            Command::RemoveContour { frame, structure } => {
                self.edit(|d| d.remove_contour(frame, &structure))
            }
            Command::GoToFrame(frame) => {
                if let Some(clip) = self.session.as_mut().and_then(|s| s.clip.as_mut()) {
                    clip.go_to(frame);
                }
            }
            Command::SetSpeed(speed) => {
                if let Some(clip) = self.session.as_mut().and_then(|s| s.clip.as_mut()) {
                    clip.playback.speed = speed;
                }
            }
            Command::SetWindowLevel { window, level } => {
                if let Some(clip) = self.session.as_mut().and_then(|s| s.clip.as_mut()) {
                    clip.view.window = window;
                    clip.view.level = level;
                }
            }
            Command::OpenClip(record) => {
                self.editor.gesture = None;
                self.editor.selected = None;
                if let Some(session) = &mut self.session {
                    session.open_clip(&record);
                }
            }
            Command::OpenFrame { clip_id, frame } => self.open_frame(clip_id, frame),
            Command::TakeOver {
                clip_id,
                frame,
                pseudo_labels,
            } => {
                self.open_frame(clip_id, frame);
                self.takeover = Some(Takeover {
                    clip_id,
                    frame,
                    pseudo_labels,
                });
            }
            Command::SelectStructure(index) => self.editor.select_structure(index),
            Command::SetStructureStyle {
                index,
                visible,
                colour,
            } => self.editor.set_style(index, visible, colour),
            Command::SetOpacity(opacity) => self.editor.opacity = opacity.clamp(0.0, 1.0),
            Command::SetBrushRadius(radius) => self.editor.brush_radius = radius.clamp(1.0, 40.0),
            Command::StartRound => self.start_round(),
            Command::ReviewPseudoLabels { ids, decision } => self.review(ids, decision),
            Command::SetPseudoLabelPolicy(policy) => {
                if let Some(session) = &self.session {
                    self.learning.set_policy(session, policy, &mut self.notices);
                }
            }
            Command::Study(change) => self.study_changed(change),
            Command::SetPassphrase(request) => self.passphrase_requested(request),
            Command::ComputeAgreement => self.start_agreement(),
            Command::BuildConsensus(method) => self.start_consensus(method),
            Command::ChooseAnnotator(choice) => self.annotator_chosen(choice),
            Command::StartImport {
                folder,
                collection,
                copy,
            } => self.start_import(folder, collection, copy),
            Command::StartExport(request) => self.start_export(*request),
            Command::ChooseExportFolder => self.choose_export_folder(),
            Command::OpenProjectAt(root) => self.open_project(&root, false),
            Command::Leave(choice) => self.leave_choice(choice),
            Command::CancelJob(id) => {
                self.jobs.cancel(id);
            }
        }
    }

    /// Carries out an action of the table.
    fn act(&mut self, action: Action) {
        match action {
            Action::Help => self.dialogs.show_help = !self.dialogs.show_help,
            Action::Cancel if self.dialogs.show_help => self.dialogs.show_help = false,
            Action::Cancel => self.editor.gesture = None,
            Action::ProposeContours => self.model_request(ModelRequest::ProposeContours),
            Action::ProposeKeyFrames => self.model_request(ModelRequest::ProposeKeyFrames),
            Action::Train => self.model_request(ModelRequest::Train),
            Action::EditTool => self.editor.set_tool(Tool::Edit),
            Action::PenTool => self.editor.set_tool(Tool::Pen),
            Action::BrushTool => self.editor.set_tool(Tool::Brush),
            Action::EraserTool => self.editor.set_tool(Tool::Eraser),
            Action::BrushSmaller => {
                self.editor.brush_radius = (self.editor.brush_radius / 1.25).max(1.0)
            }
            Action::BrushLarger => {
                self.editor.brush_radius = (self.editor.brush_radius * 1.25).min(40.0)
            }
            Action::Structure(index) => self.editor.select_structure(index),
            Action::NextStructure => {
                let count = self.editor.styles.len().max(1);
                self.editor
                    .select_structure((self.editor.structure + 1) % count);
            }
            Action::ToggleStructureVisibility => {
                let index = self.editor.structure;
                if let Some(style) = self.editor.styles.get_mut(index) {
                    style.visible = !style.visible;
                }
            }
            Action::MarkEndDiastole => self.toggle_key_frame(KeyFrameKind::EndDiastole),
            Action::MarkEndSystole => self.toggle_key_frame(KeyFrameKind::EndSystole),
            Action::PreviousClip => self.step_clip(-1),
            Action::NextClip => self.step_clip(1),
            Action::ToggleUncertainty => {
                self.learning.show_uncertainty = !self.learning.show_uncertainty
            }
            Action::ToggleLearning => self.learning.open = !self.learning.open,
            Action::ToggleStudy => {
                self.study.open = !self.study.open;
                if let Some(session) = &self.session {
                    self.study.reload(session);
                }
            }
            Action::ToggleAgreement => self.study.agreement.open = !self.study.agreement.open,
            Action::NextQueued => match self.learning.next_queued(self.clip_and_frame()) {
                Some((clip_id, frame)) => self.open_frame(clip_id, frame),
                None => self.notices.info(
                    "No frame waiting in the annotation queue: start an active-learning round",
                ),
            },
            Action::NewProject => self.pick_folder(FolderPurpose::NewProject),
            Action::OpenProject => self.pick_folder(FolderPurpose::OpenProject),
            Action::OpenDemo => self.leave_then(AfterLeave::OpenDemo),
            Action::ImportFolder => self.pick_folder(FolderPurpose::Import),
            Action::Export => self.open_export_form(),
            Action::ChangeAnnotator => self.change_annotator(),
            Action::Quit => self.leave_then(AfterLeave::Quit),
            _ => self.clip_action(action),
        }
    }

    /// Applies `change` to the document on screen (and so to the project).
    fn edit(
        &mut self,
        change: impl FnOnce(&mut crate::editor::ClipDocument) -> Vec<crate::editor::Persist>,
    ) {
        if let Some(session) = &mut self.session {
            session.edit(change);
        }
    }

    fn model_request(&mut self, request: ModelRequest) {
        let wake = self.wake();
        match &self.session {
            Some(session) => {
                self.assistant
                    .start(request, session, &mut self.jobs, wake, &mut self.notices)
            }
            None => self.notices.info("Open a project first"),
        }
    }

    fn start_round(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        match self.assistant.device() {
            Some(device) => {
                let config = self.assistant.model_config();
                let wake = self.wake();
                self.learning.start_round(
                    session,
                    device,
                    config,
                    &mut self.jobs,
                    wake,
                    &mut self.notices,
                );
            }
            None => self
                .notices
                .info("The model is still starting; try again in a moment"),
        }
    }

    /// Accepts or rejects pseudo-labels as the annotator, through the one
    /// ordered write queue (a later decision always wins).
    fn review(&mut self, ids: Vec<i64>, decision: AnnotationStatus) {
        let Some(session) = &self.session else {
            return;
        };
        let Some(reviewer) = session.annotator.as_ref().map(|a| a.id) else {
            return;
        };
        let verb = if decision == AnnotationStatus::Accepted {
            "accepted"
        } else {
            "rejected"
        };
        self.notices
            .info(format!("{} pseudo-label(s) {verb}", ids.len()));
        session.store.write(Mutation::ReviewPseudoLabels {
            ids,
            reviewer,
            decision,
        });
        self.learning.reload(session);
    }

    fn toggle_key_frame(&mut self, kind: KeyFrameKind) {
        if let Some(frame) = self.current_frame() {
            self.edit(|d| d.toggle_key_frame(kind, frame));
        }
    }

    fn step_clip(&mut self, step: isize) {
        self.editor.gesture = None;
        self.editor.selected = None;
        if let Some(session) = &mut self.session {
            session.step_clip(step);
        }
    }

    /// Shows `frame` of the clip `clip_id` in the viewer.
    fn open_frame(&mut self, clip_id: i64, frame: u32) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(record) = session
            .library
            .clips()
            .iter()
            .find(|c| c.id == clip_id)
            .cloned()
        else {
            return self
                .notices
                .error(format!("clip {clip_id} is no longer in the project"));
        };
        self.editor.gesture = None;
        self.editor.selected = None;
        session.open_clip(&record);
        if let Some(clip) = &mut session.clip {
            clip.go_to(frame);
        }
    }

    /// Copies taken-over pseudo-labels into the annotator's document (as
    /// model proposals they then correct) and closes those it copied, in the
    /// same queue of writes (so a copy that fails to save closes nothing).
    pub(super) fn apply_takeover(&mut self) {
        let (Some(session), Some(takeover)) = (&mut self.session, &self.takeover) else {
            return;
        };
        let on_screen = session.clip.as_ref().map(|c| c.record.id);
        if on_screen != Some(takeover.clip_id) {
            // The annotator went elsewhere before the clip was ready.
            self.takeover = None;
            return;
        }
        let (Some(annotator), Some(document)) = (session.annotator.clone(), session.document())
        else {
            return;
        };
        let Some(takeover) = self.takeover.take() else {
            return;
        };
        let plan = plan_takeover(document, takeover.frame, &takeover.pseudo_labels);
        let mut added = 0;
        session.edit(|document| {
            let (writes, count) =
                document.propose(takeover.frame, plan.contours, plan.model_version_id);
            added = count;
            writes
        });
        if !plan.closed.is_empty() {
            session.store.write(Mutation::ReviewPseudoLabels {
                ids: plan.closed,
                reviewer: annotator.id,
                decision: AnnotationStatus::Rejected,
            });
        }
        self.learning.reload(session);
        self.notices.info(match added {
            0 => format!(
                "Frame {}: you already have every structure the model drew; the pseudo-labels stay open",
                takeover.frame + 1
            ),
            n => format!(
                "Frame {}: {n} pseudo-label contour(s) copied into your annotations to correct; they are closed as pseudo-labels",
                takeover.frame + 1
            ),
        });
    }

    /// Actions on the clip on screen and its document.
    fn clip_action(&mut self, action: Action) {
        let Some(session) = &mut self.session else {
            return;
        };
        let Some(clip) = &mut session.clip else {
            return;
        };
        let frame = clip.playback.frame;
        let structure = self.editor.active_name().unwrap_or_default().to_string();
        match action {
            Action::PlayPause => clip.playback.playing = !clip.playback.playing,
            Action::PreviousFrame => clip.step(-1),
            Action::NextFrame => clip.step(1),
            Action::ToggleLoop => clip.playback.looping = !clip.playback.looping,
            Action::FitView => {
                let fitted = clip_view::View::fitted(clip.record.cols, clip.record.rows);
                clip.view.zoom = fitted.zoom;
                clip.view.centre = fitted.centre;
            }
            Action::ResetWindowLevel => {
                let fitted = clip_view::View::fitted(clip.record.cols, clip.record.rows);
                clip.view.window = fitted.window;
                clip.view.level = fitted.level;
            }
            Action::PreviousKeyFrame | Action::NextKeyFrame => {
                let forward = action == Action::NextKeyFrame;
                let target = session
                    .document()
                    .and_then(|d| step_key_frame(d, frame, forward));
                if let (Some(target), Some(clip)) = (target, session.clip.as_mut()) {
                    clip.go_to(target);
                }
            }
            Action::Undo => {
                self.editor.gesture = None;
                session.edit(|d| d.undo());
            }
            Action::Redo => {
                self.editor.gesture = None;
                session.edit(|d| d.redo());
            }
            Action::AcceptFrame => {
                session.submit_frame(frame);
                self.notices.info(format!("Frame {} accepted", frame + 1));
            }
            Action::ClosePen => {
                if let Some(Gesture::Pen {
                    points,
                    structure: index,
                }) = &self.editor.gesture
                {
                    match super::canvas::close_pen(points) {
                        Some(points) => {
                            let name = self
                                .editor
                                .styles
                                .get(*index)
                                .map(|s| s.name.clone())
                                .unwrap_or(structure);
                            session.edit(|d| d.set_contour(frame, &name, points));
                            self.editor.gesture = None;
                        }
                        None => self
                            .notices
                            .info("The contour needs 3 points and must not cross itself to close."),
                    }
                }
            }
            Action::Smooth => {
                let Some(points) = session
                    .document()
                    .and_then(|d| d.contour(frame, &structure))
                    .map(|c| c.points.clone())
                else {
                    self.notices
                        .info(format!("No {structure} contour on this frame to smooth."));
                    return;
                };
                let smoothed = smooth_for_editing(&points);
                session.edit(|d| d.set_contour(frame, &structure, smoothed));
            }
            Action::CopyFromOtherKeyFrame => {
                let structures = session.task.structures.clone();
                let Some(document) = session.document() else {
                    return;
                };
                match other_key_frame(document, frame) {
                    Some(source) => {
                        session.edit(|d| d.copy_contours(source, frame, &structures));
                        self.notices
                            .info(format!("Copied the contours of frame {}", source + 1));
                    }
                    None => self
                        .notices
                        .info("No other key frame with contours to copy from."),
                }
            }
            Action::DeleteContour => {
                self.editor.selected = None;
                session.edit(|d| d.remove_contour(frame, &structure));
            }
            Action::DeleteSelection => {
                if let Some(Gesture::Pen { points, .. }) = &mut self.editor.gesture {
                    points.pop();
                    return;
                }
                let Some(points) = session
                    .document()
                    .and_then(|d| d.contour(frame, &structure))
                    .map(|c| c.points.clone())
                else {
                    return;
                };
                match self.editor.selected.take() {
                    Some(index) => match crate::geometry::with_vertex_removed(&points, index) {
                        Some(points) => session.edit(|d| d.set_contour(frame, &structure, points)),
                        None => self.notices.info("That point cannot go: the contour would cross itself or have fewer than 3 points."),
                    },
                    None => session.edit(|d| d.remove_contour(frame, &structure)),
                }
            }
            _ => {}
        }
    }
}
