//! One annotator's contours and the clip's key frames, with undo and redo.

use std::collections::BTreeMap;

use super::Persist;
use crate::geometry::Point;
use crate::store::{
    AnnotationKind, AnnotationStatus, ContourKey, KeyFrameKind, Project, SetBy, Source, StoreError,
};

/// A contour as the editor holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContourState {
    pub points: Vec<Point>,
    pub status: AnnotationStatus,
    /// `Model` while it is a model's proposal nobody has edited.
    pub source: Source,
    /// The model version that proposed it.
    pub model_version_id: Option<i64>,
}

impl ContourState {
    /// A contour a person drew or edited, as a draft.
    pub fn drawn(points: Vec<Point>) -> Self {
        ContourState {
            points,
            status: AnnotationStatus::Draft,
            source: Source::Human,
            model_version_id: None,
        }
    }

    pub fn is_proposal(&self) -> bool {
        self.source == Source::Model
    }
}

/// A key frame mark, with who set it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFrameMark {
    pub kind: KeyFrameKind,
    pub frame: u32,
    /// The annotator's name, or `None` for a model's proposal.
    pub author: Option<String>,
    pub set_by: SetBy,
    /// The model version that proposed it, for a model's mark.
    pub model_version_id: Option<i64>,
}

/// One undoable step.
#[derive(Debug, Clone)]
enum Change {
    Contour {
        frame: u32,
        target: String,
        before: Option<ContourState>,
        after: Option<ContourState>,
    },
    KeyFrame {
        kind: KeyFrameKind,
        frame: u32,
        before: Option<KeyFrameMark>,
        after: Option<KeyFrameMark>,
    },
    /// Several changes made by one command (accepting a frame, copying contours).
    Batch(Vec<Change>),
}

/// How the writes of a change treat what the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// Exactly what the screen shows, whatever is stored.
    Exact,
    /// A model's first proposal: only where nobody has work.
    Proposal,
}

/// What one annotator has drawn on one clip, and the clip's key frames.
#[derive(Debug, Clone)]
pub struct ClipDocument {
    clip_id: i64,
    author_id: i64,
    author: String,
    template_id: Option<i64>,
    contours: BTreeMap<(u32, String), ContourState>,
    key_frames: BTreeMap<(u32, KeyFrameKind), KeyFrameMark>,
    undo: Vec<Change>,
    redo: Vec<Change>,
}

impl ClipDocument {
    /// An empty document (a clip nobody has annotated yet).
    pub fn new(clip_id: i64, author_id: i64, author: &str, template_id: Option<i64>) -> Self {
        ClipDocument {
            clip_id,
            author_id,
            author: author.to_string(),
            template_id,
            contours: BTreeMap::new(),
            key_frames: BTreeMap::new(),
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// Reads the annotator's own contours and key frames (their set of
    /// marks, with the model's proposals made for them).
    pub fn load(
        project: &Project,
        clip_id: i64,
        author_id: i64,
        author: &str,
        template_id: Option<i64>,
    ) -> Result<Self, StoreError> {
        let mut document = ClipDocument::new(clip_id, author_id, author, template_id);
        for annotation in project.annotations(clip_id, None)? {
            // A person's own contours, and the model proposals made for them.
            if annotation.author_id == author_id
                && annotation.kind == AnnotationKind::Contour
                && matches!(annotation.source, Source::Human | Source::Model)
                && annotation.geometry.contour.len() >= 3
            {
                document.contours.insert(
                    (annotation.frame, annotation.target),
                    ContourState {
                        points: annotation.geometry.contour,
                        status: annotation.status,
                        // The store makes a proposal the person's when they change it.
                        source: annotation.source,
                        model_version_id: annotation.model_version_id,
                    },
                );
            }
        }
        for key in project.key_frames_of(clip_id, author_id)? {
            document.key_frames.insert(
                (key.frame, key.kind),
                KeyFrameMark {
                    kind: key.kind,
                    frame: key.frame,
                    author: (key.set_by == SetBy::Human).then_some(key.author),
                    set_by: key.set_by,
                    model_version_id: key.model_version_id,
                },
            );
        }
        Ok(document)
    }

    pub fn clip_id(&self) -> i64 {
        self.clip_id
    }

    pub fn contour(&self, frame: u32, target: &str) -> Option<&ContourState> {
        self.contours.get(&(frame, target.to_string()))
    }

    /// The contours of one frame, by structure.
    pub fn frame_contours(&self, frame: u32) -> impl Iterator<Item = (&str, &ContourState)> {
        self.contours
            .range((frame, String::new())..)
            .take_while(move |((f, _), _)| *f == frame)
            .map(|((_, target), state)| (target.as_str(), state))
    }

    /// Frames that carry at least one contour, ascending.
    pub fn annotated_frames(&self) -> Vec<u32> {
        let mut frames: Vec<u32> = self.contours.keys().map(|(f, _)| *f).collect();
        frames.dedup();
        frames
    }

    /// Every key frame mark, by frame.
    pub fn key_frames(&self) -> impl Iterator<Item = &KeyFrameMark> {
        self.key_frames.values()
    }

    pub fn key_frame(&self, frame: u32, kind: KeyFrameKind) -> Option<&KeyFrameMark> {
        self.key_frames.get(&(frame, kind))
    }

    /// Replaces (or draws) a contour; it becomes a draft until accepted.
    pub fn set_contour(&mut self, frame: u32, target: &str, points: Vec<Point>) -> Vec<Persist> {
        self.record(self.contour_change(frame, target, Some(ContourState::drawn(points))))
    }

    /// Adds a model's contours to `frame` for the structures that have none
    /// yet (a person's work is never replaced); one undoable step. Returns
    /// the writes and how many contours were added.
    pub fn propose(
        &mut self,
        frame: u32,
        proposals: Vec<(String, Vec<Point>)>,
        model_version_id: Option<i64>,
    ) -> (Vec<Persist>, usize) {
        let changes: Vec<Change> = proposals
            .into_iter()
            .filter(|(target, points)| points.len() >= 3 && self.contour(frame, target).is_none())
            .map(|(target, points)| {
                let proposal = ContourState {
                    points,
                    status: AnnotationStatus::Draft,
                    source: Source::Model,
                    model_version_id,
                };
                self.contour_change(frame, &target, Some(proposal))
            })
            .collect();
        let added = changes.len();
        (self.record_batch_as(changes, Writes::Proposal), added)
    }

    /// Deletes a contour.
    pub fn remove_contour(&mut self, frame: u32, target: &str) -> Vec<Persist> {
        if self.contour(frame, target).is_none() {
            return Vec::new();
        }
        self.record(self.contour_change(frame, target, None))
    }

    /// Marks every contour of `frame` as submitted: the annotator's "done".
    pub fn accept_frame(&mut self, frame: u32) -> Vec<Persist> {
        let changes: Vec<Change> = self
            .frame_contours(frame)
            .filter(|(_, state)| state.status == AnnotationStatus::Draft)
            .map(|(target, state)| Change::Contour {
                frame,
                target: target.to_string(),
                before: Some(state.clone()),
                after: Some(ContourState {
                    status: AnnotationStatus::Submitted,
                    ..state.clone()
                }),
            })
            .collect();
        self.record_batch(changes)
    }

    /// Copies the contours of `targets` from frame `from` onto frame `to`
    /// (e.g. from end-diastole to end-systole as a starting point).
    pub fn copy_contours(&mut self, from: u32, to: u32, targets: &[String]) -> Vec<Persist> {
        let changes: Vec<Change> = targets
            .iter()
            .filter_map(|target| {
                let source = self.contour(from, target)?;
                let after = ContourState::drawn(source.points.clone());
                Some(self.contour_change(to, target, Some(after)))
            })
            .collect();
        self.record_batch(changes)
    }

    /// Marks `frame` as a key frame of `kind`; on a model's proposed mark this
    /// accepts it (the mark becomes the person's); on a person's mark it removes it.
    pub fn toggle_key_frame(&mut self, kind: KeyFrameKind, frame: u32) -> Vec<Persist> {
        let before = self.key_frame(frame, kind).cloned();
        let after = match &before {
            Some(mark) if mark.set_by == SetBy::Human => None,
            _ => Some(KeyFrameMark {
                kind,
                frame,
                author: Some(self.author.clone()),
                set_by: SetBy::Human,
                model_version_id: None,
            }),
        };
        self.record(Change::KeyFrame {
            kind,
            frame,
            before,
            after,
        })
    }

    /// Adds a model's ED/ES frames where the clip has no mark of that kind
    /// within a frame; one undoable step. Returns the writes and how many
    /// marks were added.
    pub fn propose_key_frames(
        &mut self,
        proposals: &[(KeyFrameKind, u32)],
        model_version_id: Option<i64>,
    ) -> (Vec<Persist>, usize) {
        let changes: Vec<Change> = proposals
            .iter()
            .filter(|(kind, frame)| {
                !self
                    .key_frames
                    .values()
                    .any(|m| m.kind == *kind && m.frame.abs_diff(*frame) <= 1)
            })
            .map(|&(kind, frame)| Change::KeyFrame {
                kind,
                frame,
                before: None,
                after: Some(KeyFrameMark {
                    kind,
                    frame,
                    author: None,
                    set_by: SetBy::Model,
                    model_version_id,
                }),
            })
            .collect();
        let added = changes.len();
        (self.record_batch_as(changes, Writes::Proposal), added)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Reverts the last change; returns its writes, or nothing if there was none.
    pub fn undo(&mut self) -> Vec<Persist> {
        let Some(change) = self.undo.pop() else {
            return Vec::new();
        };
        let inverse = invert(&change);
        let writes = self.apply(&inverse, Writes::Exact);
        self.redo.push(change);
        writes
    }

    /// Re-applies the last undone change.
    pub fn redo(&mut self) -> Vec<Persist> {
        let Some(change) = self.redo.pop() else {
            return Vec::new();
        };
        let writes = self.apply(&change, Writes::Exact);
        self.undo.push(change);
        writes
    }

    fn contour_change(&self, frame: u32, target: &str, after: Option<ContourState>) -> Change {
        Change::Contour {
            frame,
            target: target.to_string(),
            before: self.contour(frame, target).cloned(),
            after,
        }
    }

    fn record_batch(&mut self, changes: Vec<Change>) -> Vec<Persist> {
        self.record_batch_as(changes, Writes::Exact)
    }

    fn record_batch_as(&mut self, changes: Vec<Change>, writes: Writes) -> Vec<Persist> {
        if changes.is_empty() {
            return Vec::new();
        }
        self.record_as(Change::Batch(changes), writes)
    }

    /// Applies a new change, makes it undoable and clears the redo stack.
    fn record(&mut self, change: Change) -> Vec<Persist> {
        self.record_as(change, Writes::Exact)
    }

    fn record_as(&mut self, change: Change, writes: Writes) -> Vec<Persist> {
        let writes = self.apply(&change, writes);
        self.undo.push(change);
        self.redo.clear();
        writes
    }

    /// Applies `change` to the document and says what to save; `mode` tells a
    /// model's first proposal (which must not replace anyone's work) from
    /// everything else, which saves exactly what the screen now shows.
    fn apply(&mut self, change: &Change, mode: Writes) -> Vec<Persist> {
        match change {
            Change::Contour {
                frame,
                target,
                after,
                ..
            } => {
                let key = ContourKey {
                    clip_id: self.clip_id,
                    frame: *frame,
                    target: target.clone(),
                    author_id: self.author_id,
                };
                match after {
                    Some(state) => {
                        self.contours
                            .insert((*frame, target.clone()), state.clone());
                        vec![match mode {
                            Writes::Proposal => Persist::ProposeContour {
                                key,
                                template_id: self.template_id,
                                contour: state.points.clone(),
                                model_version_id: state.model_version_id,
                            },
                            Writes::Exact => Persist::SaveContour {
                                key,
                                template_id: self.template_id,
                                contour: state.points.clone(),
                                status: state.status,
                                source: state.source,
                                model_version_id: state.model_version_id,
                            },
                        }]
                    }
                    None => {
                        self.contours.remove(&(*frame, target.clone()));
                        vec![Persist::RemoveContour { key }]
                    }
                }
            }
            Change::KeyFrame {
                kind, frame, after, ..
            } => {
                let (clip_id, author_id) = (self.clip_id, self.author_id);
                match after {
                    Some(mark) => {
                        self.key_frames.insert((*frame, *kind), mark.clone());
                        vec![match mode {
                            Writes::Proposal => Persist::ProposeKeyFrame {
                                clip_id,
                                kind: *kind,
                                frame: *frame,
                                owner_id: Some(author_id),
                                model_version_id: mark.model_version_id,
                            },
                            Writes::Exact => Persist::SetKeyFrame {
                                clip_id,
                                kind: *kind,
                                frame: *frame,
                                set_by: mark.set_by,
                                author_id: (mark.set_by == SetBy::Human).then_some(author_id),
                                owner_id: Some(author_id),
                                model_version_id: mark.model_version_id,
                            },
                        }]
                    }
                    None => {
                        self.key_frames.remove(&(*frame, *kind));
                        vec![Persist::ClearKeyFrame {
                            clip_id,
                            kind: *kind,
                            frame: *frame,
                            author_id,
                        }]
                    }
                }
            }
            Change::Batch(changes) => changes.iter().flat_map(|c| self.apply(c, mode)).collect(),
        }
    }
}

/// The change that undoes `change`.
fn invert(change: &Change) -> Change {
    match change {
        Change::Contour {
            frame,
            target,
            before,
            after,
        } => Change::Contour {
            frame: *frame,
            target: target.clone(),
            before: after.clone(),
            after: before.clone(),
        },
        Change::KeyFrame {
            kind,
            frame,
            before,
            after,
        } => Change::KeyFrame {
            kind: *kind,
            frame: *frame,
            before: after.clone(),
            after: before.clone(),
        },
        Change::Batch(changes) => Change::Batch(changes.iter().rev().map(invert).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LV: &str = "LV endocardium";

    fn triangle(offset: f32) -> Vec<Point> {
        vec![[offset, 0.0], [offset + 10.0, 0.0], [offset, 10.0]]
    }

    fn document() -> ClipDocument {
        ClipDocument::new(7, 3, "Ana", Some(1))
    }

    #[test]
    fn undo_and_redo_walk_the_history_and_say_what_to_save() {
        let mut doc = document();
        doc.set_contour(4, LV, triangle(0.0));
        doc.set_contour(4, LV, triangle(5.0));
        assert_eq!(doc.contour(4, LV).unwrap().points, triangle(5.0));

        let writes = doc.undo();
        assert_eq!(doc.contour(4, LV).unwrap().points, triangle(0.0));
        assert!(
            matches!(&writes[..], [Persist::SaveContour { contour, .. }] if *contour == triangle(0.0))
        );

        let writes = doc.undo();
        assert!(doc.contour(4, LV).is_none());
        assert!(
            matches!(&writes[..], [Persist::RemoveContour { key }] if key.frame == 4 && key.target == LV)
        );
        assert!(!doc.can_undo());
        assert!(doc.undo().is_empty());

        doc.redo();
        doc.redo();
        assert_eq!(doc.contour(4, LV).unwrap().points, triangle(5.0));
        assert!(!doc.can_redo());
    }

    #[test]
    fn proposals_fill_only_empty_structures_and_undo_as_one_step() {
        let mut doc = document();
        doc.set_contour(1, LV, triangle(0.0));
        let proposals = vec![
            (LV.to_string(), triangle(50.0)),
            ("Left atrium".to_string(), triangle(20.0)),
        ];
        let (writes, added) = doc.propose(1, proposals, Some(9));
        assert_eq!(added, 1);
        assert_eq!(
            doc.contour(1, LV).unwrap().points,
            triangle(0.0),
            "the person's contour stays"
        );
        let atrium = doc.contour(1, "Left atrium").unwrap();
        assert!(atrium.is_proposal());
        assert!(matches!(
            &writes[..],
            [Persist::ProposeContour {
                model_version_id: Some(9),
                ..
            }]
        ));
        // Editing a proposal makes it the person's.
        doc.set_contour(1, "Left atrium", triangle(21.0));
        assert!(!doc.contour(1, "Left atrium").unwrap().is_proposal());
        // Undoing the edit saves the proposal back exactly, as the model's.
        let writes = doc.undo();
        assert!(matches!(
            &writes[..],
            [Persist::SaveContour {
                source: Source::Model,
                model_version_id: Some(9),
                ..
            }]
        ));
        doc.undo();
        assert!(doc.contour(1, "Left atrium").is_none());
        assert!(doc.contour(1, LV).is_some());
    }

    #[test]
    fn a_new_edit_clears_the_redo_stack() {
        let mut doc = document();
        doc.set_contour(0, LV, triangle(0.0));
        doc.undo();
        assert!(doc.can_redo());
        doc.set_contour(0, LV, triangle(2.0));
        assert!(!doc.can_redo());
    }

    #[test]
    fn accepting_a_frame_submits_its_drafts_as_one_step() {
        let mut doc = document();
        doc.set_contour(2, LV, triangle(0.0));
        doc.set_contour(2, "Left atrium", triangle(20.0));
        doc.set_contour(3, LV, triangle(0.0));
        let writes = doc.accept_frame(2);
        assert_eq!(writes.len(), 2);
        assert!(
            doc.frame_contours(2)
                .all(|(_, s)| s.status == AnnotationStatus::Submitted)
        );
        assert_eq!(doc.contour(3, LV).unwrap().status, AnnotationStatus::Draft);
        doc.undo();
        assert!(
            doc.frame_contours(2)
                .all(|(_, s)| s.status == AnnotationStatus::Draft)
        );
        // Editing an accepted contour makes it a draft again.
        doc.redo();
        doc.set_contour(2, LV, triangle(1.0));
        assert_eq!(doc.contour(2, LV).unwrap().status, AnnotationStatus::Draft);
    }

    #[test]
    fn copying_contours_between_key_frames_is_undone_in_one_step() {
        let mut doc = document();
        doc.set_contour(1, LV, triangle(0.0));
        doc.set_contour(1, "Myocardium", triangle(30.0));
        let targets = [LV.to_string(), "Myocardium".into(), "Left atrium".into()];
        let writes = doc.copy_contours(1, 9, &targets);
        assert_eq!(
            writes.len(),
            2,
            "only structures drawn on the source frame are copied"
        );
        assert_eq!(doc.frame_contours(9).count(), 2);
        doc.undo();
        assert_eq!(doc.frame_contours(9).count(), 0);
        assert_eq!(doc.annotated_frames(), [1]);
    }

    #[test]
    fn key_frames_toggle_with_their_author_and_undo() {
        let mut doc = document();
        let writes = doc.toggle_key_frame(KeyFrameKind::EndDiastole, 5);
        assert!(matches!(
            &writes[..],
            [Persist::SetKeyFrame {
                frame: 5,
                kind: KeyFrameKind::EndDiastole,
                ..
            }]
        ));
        assert_eq!(
            doc.key_frame(5, KeyFrameKind::EndDiastole)
                .unwrap()
                .author
                .as_deref(),
            Some("Ana")
        );
        let writes = doc.toggle_key_frame(KeyFrameKind::EndDiastole, 5);
        assert!(matches!(&writes[..], [Persist::ClearKeyFrame { .. }]));
        assert!(doc.key_frame(5, KeyFrameKind::EndDiastole).is_none());
        doc.undo();
        assert!(doc.key_frame(5, KeyFrameKind::EndDiastole).is_some());
    }
}
