//! An open project: its store thread, who is annotating, the library, the
//! clip on screen and the editor documents (kept per clip, so undo history
//! survives moving between clips).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::demo::CAMUS_STRUCTURES;
use crate::dicom::PatientSalt;
use eframe::egui;

use crate::editor::{ClipDocument, FrameTimer, Mutation, Persist};
use crate::geometry::Point;
use crate::jobs::{Pending, SaveState, Shutdown, StoreEvent, StoreThread, ThumbnailClient, Wake};
use crate::store::{
    AnnotationKind, Annotator, Assignment, ClipRecord, Role, StoreError, TaskTemplate,
};

use super::clip_view::OpenClip;
use super::library::Library;
use super::notices::Notices;
use super::readers::Readers;

/// What the project says about itself, read once when it opens.
pub struct ProjectMeta {
    pub salt: PatientSalt,
    pub annotators: Vec<Annotator>,
    pub templates: Vec<TaskTemplate>,
    pub assignments: Vec<Assignment>,
}

/// The structures being contoured and the template they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ContourTask {
    pub template_id: Option<i64>,
    pub template: String,
    pub structures: Vec<String>,
}

pub struct Session {
    pub store: StoreThread,
    pub meta: Option<ProjectMeta>,
    meta_pending: Option<Pending<ProjectMeta>>,
    pub annotator: Option<Annotator>,
    pub task: ContourTask,
    pub library: Library,
    pub clip: Option<OpenClip>,
    documents: HashMap<i64, ClipDocument>,
    /// Active time per frame of the annotator, written on submit.
    timer: FrameTimer,
    /// The other readers' work on the clip on screen.
    pub readers: Readers,
    /// A passphrase being checked.
    signing_in: Option<Pending<Annotator>>,
    document_pending: Option<(i64, Pending<ClipDocument>)>,
    wake: Wake,
}

impl Session {
    /// Opens `root` on a store thread; its contents arrive over the next frames.
    pub fn open(
        root: &Path,
        create: bool,
        wake: Wake,
        thumbnails: ThumbnailClient<i64>,
    ) -> Session {
        let store = StoreThread::open(root, create, wake.clone());
        let meta_pending = Some(store.read(|project| {
            Ok(ProjectMeta {
                salt: project.salt().clone(),
                annotators: project.annotators()?,
                templates: project.templates()?,
                assignments: project.assignments()?,
            })
        }));
        let library = Library::new(&store, thumbnails);
        Session {
            store,
            meta: None,
            meta_pending,
            annotator: None,
            task: default_task(),
            library,
            clip: None,
            documents: HashMap::new(),
            timer: FrameTimer::default(),
            readers: Readers::default(),
            signing_in: None,
            document_pending: None,
            wake,
        }
    }

    pub fn root(&self) -> &Path {
        self.store.root()
    }

    /// Takes whatever the workers have finished; returns why if the project
    /// could not be read.
    pub fn poll(&mut self, notices: &mut Notices) -> Result<(), StoreError> {
        if let Some(answer) = self.meta_pending.as_ref().and_then(Pending::try_take) {
            self.meta_pending = None;
            self.meta = Some(answer?);
        }
        self.library.poll(&self.store, notices, self.meta.as_ref());
        if let Some((clip_id, pending)) = &self.document_pending
            && let Some(answer) = pending.try_take()
        {
            match answer {
                Ok(document) => {
                    self.documents.insert(*clip_id, document);
                }
                Err(message) => notices.error(format!("reading the annotations: {message}")),
            }
            self.document_pending = None;
        }
        if let Some(clip) = &mut self.clip {
            clip.poll(notices);
        }
        self.readers.poll(notices);
        if let Some(answer) = self.signing_in.as_ref().and_then(Pending::try_take) {
            self.signing_in = None;
            match answer {
                Ok(annotator) => self.choose_annotator(annotator),
                Err(error) => notices.error(error.to_string()),
            }
        }
        for event in self.store.take_events() {
            self.store_event(event, notices);
        }
        Ok(())
    }

    /// Acts on what the store thread reports: recovered or refused changes
    /// make the screen's copy stale, so it is read again.
    fn store_event(&mut self, event: StoreEvent, notices: &mut Notices) {
        match event {
            StoreEvent::Recovered(count) => {
                notices.info(format!(
                    "Recovered {count} change(s) that an earlier session had not saved; they are now in the project"
                ));
                self.documents.clear();
                self.reload_current_document();
                self.library.refresh(&self.store, &self.task.structures);
            }
            StoreEvent::Failed { clip_id, what } => {
                notices.error(format!(
                    "Not saved: {what}. The change is listed under \"Unsaved changes\" in the status bar"
                ));
                match clip_id {
                    Some(clip_id) => {
                        self.documents.remove(&clip_id);
                    }
                    None => self.documents.clear(),
                }
                self.reload_current_document();
            }
            StoreEvent::Exported(Ok(path)) => {
                notices.info(format!("Unsaved changes written to {}", path.display()))
            }
            StoreEvent::Exported(Err(message)) => {
                notices.error(format!("cannot export the unsaved changes: {message}"))
            }
        }
    }

    /// Reads the annotations of the clip on screen again, when they are not held.
    fn reload_current_document(&mut self) {
        if let Some(record) = self.clip.as_ref().map(|c| c.record.clone())
            && !self.documents.contains_key(&record.id)
        {
            self.request_document(&record);
        }
    }

    /// Whether the project's own data has arrived.
    pub fn is_ready(&self) -> bool {
        self.meta.is_some()
    }

    /// Annotates as `annotator` from now on, with the contour template
    /// assigned to them (or the project's first contour template).
    pub fn choose_annotator(&mut self, annotator: Annotator) {
        if let Some(meta) = &self.meta {
            self.task = contour_task(meta, &annotator.name);
        }
        self.documents.clear();
        self.timer = FrameTimer::default();
        self.library.set_viewer(
            &self.store,
            Some((annotator.id, annotator.role == Role::Annotator)),
            &self.task.structures,
        );
        self.annotator = Some(annotator);
        if let Some(record) = self.clip.as_ref().map(|c| c.record.clone()) {
            self.request_document(&record);
        }
        self.request_readers();
    }

    /// Checks a passphrase on the store thread; the person works once it holds.
    pub fn sign_in(&mut self, name: String, passphrase: String) {
        self.signing_in = Some(
            self.store
                .read(move |project| project.sign_in(&name, Some(&passphrase))),
        );
    }

    pub fn is_signing_in(&self) -> bool {
        self.signing_in.is_some()
    }

    /// Shows `record` in the viewer.
    pub fn open_clip(&mut self, record: &ClipRecord) {
        if self.clip.as_ref().is_some_and(|c| c.record.id == record.id) {
            return;
        }
        let Some(meta) = &self.meta else { return };
        let path = resolve(self.store.root(), &record.path);
        self.clip = Some(OpenClip::open(
            record.clone(),
            &path,
            meta.salt.clone(),
            self.wake.clone(),
        ));
        self.library.selected = Some(record.id);
        if !self.documents.contains_key(&record.id) {
            self.request_document(record);
        }
        self.request_readers();
    }

    /// Reads what the annotator may see of the others' work on the clip.
    fn request_readers(&mut self) {
        if let (Some(annotator), Some(clip)) = (&self.annotator, &self.clip) {
            self.readers
                .request(&self.store, annotator.id, clip.record.id);
        }
    }

    /// What the Readers section needs: the viewer's role, the frame on
    /// screen, and the viewer's own outline of each structure on it.
    pub fn reading_context(&self) -> Option<(Role, u32, OwnOutlines)> {
        let annotator = self.annotator.as_ref()?;
        let frame = self.clip.as_ref()?.playback.frame;
        let own = self.document().map_or_else(Vec::new, |d| {
            d.frame_contours(frame)
                .map(|(target, c)| (target.to_string(), c.points.clone()))
                .collect()
        });
        Some((annotator.role, frame, own))
    }

    fn request_document(&mut self, record: &ClipRecord) {
        let Some(annotator) = &self.annotator else {
            return;
        };
        let (clip_id, author_id, author) = (record.id, annotator.id, annotator.name.clone());
        let template_id = self.task.template_id;
        let pending = self.store.read(move |project| {
            ClipDocument::load(project, clip_id, author_id, &author, template_id)
        });
        self.document_pending = Some((clip_id, pending));
    }

    /// The document of the clip on screen, once loaded.
    /// Where a clip's file is.
    pub fn clip_path(&self, record: &ClipRecord) -> PathBuf {
        resolve(self.store.root(), &record.path)
    }

    /// The clip on screen to change (its view, playback) beside its document
    /// to read, borrowed at once.
    pub fn clip_and_document(&mut self) -> (Option<&mut OpenClip>, Option<&ClipDocument>) {
        let document = self
            .clip
            .as_ref()
            .and_then(|c| self.documents.get(&c.record.id));
        (self.clip.as_mut(), document)
    }

    pub fn document(&self) -> Option<&ClipDocument> {
        self.documents.get(&self.clip.as_ref()?.record.id)
    }

    /// Runs an edit on the clip's document and queues its writes.
    /// Feeds the active-time clock of the frame on screen (see [`FrameTimer`]).
    pub fn observe_activity(&mut self, input: bool) {
        let on_screen = self
            .clip
            .as_ref()
            .filter(|_| self.annotator.is_some())
            .map(|c| (c.record.id, c.playback.frame));
        self.timer
            .observe(on_screen, input, std::time::Instant::now());
    }

    /// Accepts (submits) the frame's contours and records the active time
    /// spent on it, and whether it started from a model proposal.
    pub fn submit_frame(&mut self, frame: u32) {
        let Some(clip_id) = self.clip.as_ref().map(|c| c.record.id) else {
            return;
        };
        let with_proposal = self.documents.get(&clip_id).is_some_and(|d| {
            d.frame_contours(frame)
                .any(|(_, c)| c.model_version_id.is_some() || c.is_proposal())
        });
        self.edit(|d| d.accept_frame(frame));
        if let (Some(annotator), Some(active)) =
            (self.annotator.as_ref(), self.timer.take(clip_id, frame))
        {
            self.store.write(Mutation::RecordFrameTime {
                annotator_id: annotator.id,
                clip_id,
                frame,
                active_ms: active.as_millis() as u64,
                with_proposal,
            });
        }
    }

    pub fn edit(&mut self, change: impl FnOnce(&mut ClipDocument) -> Vec<Persist>) {
        let Some(clip_id) = self.clip.as_ref().map(|c| c.record.id) else {
            return;
        };
        let Some(document) = self.documents.get_mut(&clip_id) else {
            return;
        };
        let writes = change(document);
        if writes.is_empty() {
            return;
        }
        for write in writes {
            self.store.write(Mutation::Edit(write));
        }
        if let Some(clip) = &mut self.clip {
            clip.document_changed();
        }
        self.library.refresh(&self.store, &self.task.structures);
    }

    pub fn save_state(&self) -> SaveState {
        self.store.save_state()
    }

    /// Whether every change is in the project: saved, none waiting, none refused.
    pub fn is_settled(&self) -> bool {
        matches!(self.save_state(), SaveState::Saved { .. }) && self.store.failures().is_empty()
    }

    /// Ends the session: its store thread saves what it can and stops.
    pub fn close(self) -> Shutdown {
        self.store.shutdown()
    }

    /// Moves to the clip `step` places away in the library's visible list.
    pub fn step_clip(&mut self, step: isize) {
        let current = self.clip.as_ref().map(|c| c.record.id);
        if let Some(record) = self.library.neighbour(current, step).cloned() {
            self.open_clip(&record);
        }
    }

    /// Re-reads the library, annotators and templates (after an import or a study change).
    pub fn reload(&mut self) {
        self.meta_pending = Some(self.store.read(|project| {
            Ok(ProjectMeta {
                salt: project.salt().clone(),
                annotators: project.annotators()?,
                templates: project.templates()?,
                assignments: project.assignments()?,
            })
        }));
        self.library.reload(&self.store, &self.task.structures);
        self.request_readers();
    }
}

/// A stored clip path: relative paths are inside the project.
fn resolve(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

/// The CAMUS structures, when the project has no contour template yet.
fn default_task() -> ContourTask {
    ContourTask {
        template_id: None,
        template: "CAMUS structures".into(),
        structures: CAMUS_STRUCTURES.iter().map(|s| s.to_string()).collect(),
    }
}

fn contour_task(meta: &ProjectMeta, annotator: &str) -> ContourTask {
    let assigned = meta
        .assignments
        .iter()
        .filter(|a| a.annotator == annotator)
        .filter_map(|a| meta.templates.iter().find(|t| t.name == a.template))
        .find(|t| t.kind == AnnotationKind::Contour);
    let any = meta
        .templates
        .iter()
        .find(|t| t.kind == AnnotationKind::Contour);
    match assigned.or(any) {
        Some(template) => ContourTask {
            template_id: Some(template.id),
            template: template.name.clone(),
            structures: template.items.clone(),
        },
        None => default_task(),
    }
}

/// Whether the person did something this frame: a key, a click, a scroll or
/// a drag (hovering is not work).
pub fn is_activity(input: &egui::InputState) -> bool {
    input.pointer.is_decidedly_dragging()
        || input.events.iter().any(|event| {
            matches!(
                event,
                egui::Event::Key { pressed: true, .. }
                    | egui::Event::PointerButton { pressed: true, .. }
                    | egui::Event::MouseWheel { .. }
                    | egui::Event::Text(_)
            )
        })
}

/// The viewer's own outline of each structure on a frame, by structure.
pub type OwnOutlines = Vec<(String, Vec<Point>)>;
