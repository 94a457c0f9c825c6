//! The library panel: collections and clips as a list or a thumbnail grid,
//! coloured by annotation status, with counts, quick filters and the store's
//! full search.
//!
//! [`Library`] holds what the store thread read (collections, clips, each
//! clip's progress) and reads it again when asked. [`Library::ui`] draws the
//! panel from its parts: `filters` (collection, name, status, and which clips
//! they let through), `search` (the annotation search form), `counts`,
//! `views` (a clip as a list row or a grid card) and `thumbnails` (loaded on
//! a thread of their own, since decoding a clip is slow).

mod counts;
mod filters;
mod search;
mod thumbnails;
mod views;

use std::collections::{HashMap, HashSet};

use eframe::egui;

use super::notices::Notices;
use super::session::ProjectMeta;
use crate::jobs::{Pending, StoreThread, ThumbnailClient};
use crate::store::{ClipProgress, ClipRecord, Collection};
use filters::StatusFilter;
use search::SearchForm;

pub use thumbnails::color_image;

/// Where a clip's annotation stands, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipStatus {
    NotStarted,
    InProgress,
    Done,
    /// The file could not be read.
    Unreadable,
}

impl ClipStatus {
    pub fn colour(self) -> egui::Color32 {
        match self {
            ClipStatus::NotStarted => egui::Color32::from_gray(150),
            ClipStatus::InProgress => egui::Color32::from_rgb(230, 170, 40),
            ClipStatus::Done => egui::Color32::from_rgb(80, 190, 90),
            ClipStatus::Unreadable => egui::Color32::from_rgb(230, 80, 70),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClipStatus::NotStarted => "not started",
            ClipStatus::InProgress => "in progress",
            ClipStatus::Done => "done",
            ClipStatus::Unreadable => "unreadable",
        }
    }
}

struct LibraryData {
    collections: Vec<Collection>,
    members: HashMap<i64, HashSet<i64>>,
    clips: Vec<ClipRecord>,
    progress: HashMap<i64, ClipProgress>,
    my_work: Option<MyWork>,
}

/// The viewer's worklist: the clips assigned to them, and those with work
/// a reviewer returned (shown first).
#[derive(Debug, Clone, Default)]
struct MyWork {
    assigned: HashSet<i64>,
    returned: HashSet<i64>,
}

fn my_work(
    project: &crate::store::Project,
    viewer: i64,
) -> Result<MyWork, crate::store::StoreError> {
    let mut assigned = HashSet::new();
    for clip in project.clips(None)? {
        if project.is_assigned(viewer, clip.id)? {
            assigned.insert(clip.id);
        }
    }
    let returned = project
        .returned_to(viewer)?
        .iter()
        .map(|r| r.annotation.clip_id)
        .collect();
    Ok(MyWork { assigned, returned })
}

pub struct Library {
    collections: Vec<Collection>,
    /// The clips of each collection.
    members: HashMap<i64, HashSet<i64>>,
    clips: Vec<ClipRecord>,
    progress: HashMap<i64, ClipProgress>,
    pending: Option<Pending<LibraryData>>,
    progress_pending: Option<Pending<HashMap<i64, ClipProgress>>>,
    /// A progress refresh was asked for while one was running.
    refresh_again: Option<Vec<String>>,
    pub selected: Option<i64>,
    /// The annotator whose own progress colours the clips, and whose worklist "My work" is.
    viewer: Option<i64>,
    my_work: Option<MyWork>,
    /// Which clips are listed: all, a collection's, or the viewer's worklist.
    collection: Option<i64>,
    /// Show only the viewer's worklist (the annotator's library opens on it).
    pub only_my_work: bool,
    status_filter: StatusFilter,
    text: String,
    grid: bool,
    form: SearchForm,
    search_hits: Option<HashSet<i64>>,
    search_pending: Option<Pending<HashSet<i64>>>,
    thumbnails: HashMap<i64, egui::TextureHandle>,
    unreadable: HashMap<i64, String>,
    thumbnail_client: ThumbnailClient<i64>,
    thumbnails_started: bool,
}

impl Library {
    pub fn new(store: &StoreThread, thumbnail_client: ThumbnailClient<i64>) -> Library {
        let mut library = Library {
            collections: Vec::new(),
            members: HashMap::new(),
            clips: Vec::new(),
            progress: HashMap::new(),
            pending: None,
            progress_pending: None,
            refresh_again: None,
            selected: None,
            viewer: None,
            my_work: None,
            collection: None,
            only_my_work: false,
            status_filter: StatusFilter::All,
            text: String::new(),
            grid: false,
            form: SearchForm::default(),
            search_hits: None,
            search_pending: None,
            thumbnails: HashMap::new(),
            unreadable: HashMap::new(),
            thumbnail_client,
            thumbnails_started: false,
        };
        library.reload(store, &[]);
        library
    }

    /// Whose library it is: their own progress colours the clips, and an
    /// annotator's opens on "My work". Reads it again.
    pub fn set_viewer(
        &mut self,
        store: &StoreThread,
        viewer: Option<(i64, bool)>,
        structures: &[String],
    ) {
        self.viewer = viewer.map(|(id, _)| id);
        self.only_my_work = viewer.is_some_and(|(_, annotator)| annotator);
        self.reload(store, structures);
    }

    /// Whether `clip` has work a reviewer returned to the viewer.
    pub fn is_returned(&self, clip: i64) -> bool {
        self.my_work
            .as_ref()
            .is_some_and(|w| w.returned.contains(&clip))
    }

    /// Reads collections, clips and progress again.
    pub fn reload(&mut self, store: &StoreThread, structures: &[String]) {
        let structures = structures.to_vec();
        let viewer = self.viewer;
        self.pending = Some(store.read(move |project| {
            let collections = project.collections()?;
            let mut members = HashMap::new();
            for collection in &collections {
                let clips = project.clips(Some(collection.id))?;
                members.insert(collection.id, clips.iter().map(|c| c.id).collect());
            }
            Ok(LibraryData {
                collections,
                members,
                clips: project.clips(None)?,
                progress: project.clip_progress(&structures, viewer)?,
                my_work: match viewer {
                    Some(viewer) => Some(my_work(project, viewer)?),
                    None => None,
                },
            })
        }));
        self.thumbnails_started = false;
    }

    /// Reads the per-clip progress again (after an edit).
    pub fn refresh(&mut self, store: &StoreThread, structures: &[String]) {
        if self.progress_pending.is_some() {
            self.refresh_again = Some(structures.to_vec());
            return;
        }
        let structures = structures.to_vec();
        let viewer = self.viewer;
        self.progress_pending =
            Some(store.read(move |project| project.clip_progress(&structures, viewer)));
    }

    pub fn poll(&mut self, store: &StoreThread, notices: &mut Notices, meta: Option<&ProjectMeta>) {
        if let Some(answer) = self.pending.as_ref().and_then(Pending::try_take) {
            self.pending = None;
            match answer {
                Ok(data) => {
                    self.collections = data.collections;
                    self.members = data.members;
                    self.clips = data.clips;
                    self.progress = data.progress;
                    self.my_work = data.my_work;
                }
                Err(message) => notices.error(format!("reading the library: {message}")),
            }
        }
        if let Some(answer) = self.progress_pending.as_ref().and_then(Pending::try_take) {
            self.progress_pending = None;
            match answer {
                Ok(progress) => self.progress = progress,
                Err(message) => notices.error(format!("reading progress: {message}")),
            }
            if let Some(structures) = self.refresh_again.take() {
                self.refresh(store, &structures);
            }
        }
        if let Some(answer) = self.search_pending.as_ref().and_then(Pending::try_take) {
            self.search_pending = None;
            match answer {
                Ok(hits) => self.search_hits = Some(hits),
                Err(message) => notices.error(format!("search: {message}")),
            }
        }
        if !self.thumbnails_started
            && self.pending.is_none()
            && !self.clips.is_empty()
            && let Some(meta) = meta
        {
            self.start_thumbnails(store, &meta.salt);
        }
    }

    /// Whether the first read has arrived.
    pub fn is_loaded(&self) -> bool {
        self.pending.is_none()
    }

    pub fn collections(&self) -> &[Collection] {
        &self.collections
    }

    pub fn clips(&self) -> &[ClipRecord] {
        &self.clips
    }

    pub fn status(&self, clip: i64) -> ClipStatus {
        if self.unreadable.contains_key(&clip) {
            return ClipStatus::Unreadable;
        }
        match self.progress.get(&clip) {
            Some(p) if p.is_done() => ClipStatus::Done,
            Some(p) if p.is_started() => ClipStatus::InProgress,
            _ => ClipStatus::NotStarted,
        }
    }

    /// Records a clip that failed to open in the viewer.
    pub fn mark_unreadable(&mut self, clip: i64, message: String) {
        self.unreadable.insert(clip, message);
    }

    /// Draws the panel; returns the clip the user picked.
    pub fn ui(&mut self, ui: &mut egui::Ui, store: &StoreThread) -> Option<ClipRecord> {
        self.receive_thumbnails(ui.ctx());
        ui.heading("Library");
        self.filters_ui(ui, store);
        self.counts_ui(ui);
        ui.separator();
        let visible: Vec<ClipRecord> = self.visible().into_iter().cloned().collect();
        let mut picked = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if visible.is_empty() {
                    ui.weak(if self.clips.is_empty() {
                        "No clips yet. Project > Import DICOM folder…"
                    } else {
                        "No clip matches the filters."
                    });
                }
                if self.grid {
                    ui.horizontal_wrapped(|ui| {
                        for clip in &visible {
                            if self.grid_item_ui(ui, clip) {
                                picked = Some(clip.clone());
                            }
                        }
                    });
                } else {
                    for clip in &visible {
                        if self.list_item_ui(ui, clip) {
                            picked = Some(clip.clone());
                        }
                    }
                }
            });
        picked
    }
}

/// A clip's name in the library: its file name.
pub fn display_name(clip: &ClipRecord) -> String {
    clip.path.file_name().map_or_else(
        || clip.sop_instance_uid.clone(),
        |n| n.to_string_lossy().into_owned(),
    )
}
