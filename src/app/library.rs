//! The library panel: collections and clips as a list or a thumbnail grid,
//! coloured by annotation status, with counts, quick filters and the store's
//! full search.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use eframe::egui;

use super::notices::Notices;
use super::session::ProjectMeta;
use crate::dicom::{Clip, PatientSalt};
use crate::downsample::fit_within;
use crate::jobs::{Pending, StoreThread, Wake};
use crate::store::{AnnotationStatus, ClipProgress, ClipRecord, Collection, SearchQuery, Source};

/// Thumbnail width in pixels (and the most a thumbnail may be tall).
const THUMBNAIL_WIDTH: u32 = 96;

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

/// The quick status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    All,
    Only(ClipStatus),
}

struct LibraryData {
    collections: Vec<Collection>,
    members: HashMap<i64, HashSet<i64>>,
    clips: Vec<ClipRecord>,
    progress: HashMap<i64, ClipProgress>,
}

/// The advanced search form's text fields (empty = not filtered).
#[derive(Default)]
struct SearchForm {
    annotator: String,
    status: Option<AnnotationStatus>,
    source: Option<Source>,
    structure: String,
    modality: String,
    manufacturer: String,
    date_from: String,
    date_to: String,
    uncertainty_min: String,
    uncertainty_max: String,
}

struct Thumbnail {
    clip_id: i64,
    image: Result<egui::ColorImage, String>,
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
    collection: Option<i64>,
    status_filter: StatusFilter,
    text: String,
    grid: bool,
    form: SearchForm,
    search_hits: Option<HashSet<i64>>,
    search_pending: Option<Pending<HashSet<i64>>>,
    thumbnails: HashMap<i64, egui::TextureHandle>,
    unreadable: HashMap<i64, String>,
    thumbnail_receiver: Option<Receiver<Thumbnail>>,
    thumbnails_started: bool,
}

impl Library {
    pub fn new(store: &StoreThread) -> Library {
        let mut library = Library {
            collections: Vec::new(),
            members: HashMap::new(),
            clips: Vec::new(),
            progress: HashMap::new(),
            pending: None,
            progress_pending: None,
            refresh_again: None,
            selected: None,
            collection: None,
            status_filter: StatusFilter::All,
            text: String::new(),
            grid: false,
            form: SearchForm::default(),
            search_hits: None,
            search_pending: None,
            thumbnails: HashMap::new(),
            unreadable: HashMap::new(),
            thumbnail_receiver: None,
            thumbnails_started: false,
        };
        library.reload(store, &[]);
        library
    }

    /// Reads collections, clips and progress again.
    pub fn reload(&mut self, store: &StoreThread, structures: &[String]) {
        let structures = structures.to_vec();
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
                progress: project.clip_progress(&structures)?,
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
        self.progress_pending = Some(store.read(move |project| project.clip_progress(&structures)));
    }

    pub fn poll(
        &mut self,
        store: &StoreThread,
        notices: &mut Notices,
        wake: Wake,
        meta: Option<&ProjectMeta>,
    ) {
        if let Some(answer) = self.pending.as_ref().and_then(Pending::try_take) {
            self.pending = None;
            match answer {
                Ok(data) => {
                    self.collections = data.collections;
                    self.members = data.members;
                    self.clips = data.clips;
                    self.progress = data.progress;
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
            self.start_thumbnails(store, meta.salt.clone(), wake);
        }
    }

    /// Whether the first read has arrived.
    pub fn is_loaded(&self) -> bool {
        self.pending.is_none()
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

    /// The clips the filters let through, in library order.
    pub fn visible(&self) -> Vec<&ClipRecord> {
        let text = self.text.trim().to_lowercase();
        let empty = HashSet::new();
        let in_collection = self
            .collection
            .map(|id| self.members.get(&id).unwrap_or(&empty));
        self.clips
            .iter()
            .filter(|c| in_collection.is_none_or(|set| set.contains(&c.id)))
            .filter(|c| {
                self.search_hits
                    .as_ref()
                    .is_none_or(|hits| hits.contains(&c.id))
            })
            .filter(|c| match self.status_filter {
                StatusFilter::All => true,
                StatusFilter::Only(status) => self.status(c.id) == status,
            })
            .filter(|c| text.is_empty() || display_name(c).to_lowercase().contains(&text))
            .collect()
    }

    /// The clip `step` places from `current` in the visible list.
    pub fn neighbour(&self, current: Option<i64>, step: isize) -> Option<&ClipRecord> {
        let visible = self.visible();
        if visible.is_empty() {
            return None;
        }
        let position = current
            .and_then(|id| visible.iter().position(|c| c.id == id))
            .map_or(0, |p| {
                (p as isize + step).clamp(0, visible.len() as isize - 1) as usize
            });
        visible.get(position).copied()
    }

    /// The size of a clip's thumbnail in pixels, once it has arrived.
    pub fn thumbnail_size(&self, clip: i64) -> Option<[usize; 2]> {
        self.thumbnails.get(&clip).map(egui::TextureHandle::size)
    }

    /// Records a clip that failed to open in the viewer.
    pub fn mark_unreadable(&mut self, clip: i64, message: String) {
        self.unreadable.insert(clip, message);
    }

    fn start_thumbnails(&mut self, store: &StoreThread, salt: PatientSalt, wake: Wake) {
        self.thumbnails_started = true;
        let root = store.root().to_path_buf();
        let jobs: Vec<(i64, PathBuf)> = self
            .clips
            .iter()
            .filter(|c| !self.thumbnails.contains_key(&c.id))
            .map(|c| {
                let path = if c.path.is_absolute() {
                    c.path.clone()
                } else {
                    root.join(&c.path)
                };
                (c.id, path)
            })
            .collect();
        let (sender, receiver) = channel();
        let spawned = std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || {
                for (clip_id, path) in jobs {
                    let image = thumbnail(&path, &salt);
                    if sender.send(Thumbnail { clip_id, image }).is_err() {
                        return;
                    }
                    wake();
                }
            });
        if spawned.is_ok() {
            self.thumbnail_receiver = Some(receiver);
        }
    }

    fn receive_thumbnails(&mut self, ctx: &egui::Context) {
        let Some(receiver) = &self.thumbnail_receiver else {
            return;
        };
        while let Ok(thumbnail) = receiver.try_recv() {
            match thumbnail.image {
                Ok(image) => {
                    let texture = ctx.load_texture(
                        format!("thumbnail-{}", thumbnail.clip_id),
                        image,
                        egui::TextureOptions::LINEAR,
                    );
                    self.thumbnails.insert(thumbnail.clip_id, texture);
                }
                Err(message) => {
                    self.unreadable.insert(thumbnail.clip_id, message);
                }
            }
        }
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

    fn filters_ui(&mut self, ui: &mut egui::Ui, store: &StoreThread) {
        let selected_name = self
            .collection
            .and_then(|id| self.collections.iter().find(|c| c.id == id))
            .map_or("All collections".to_string(), |c| c.name.clone());
        egui::ComboBox::from_label("Collection")
            .selected_text(selected_name)
            .width(170.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.collection, None, "All collections");
                for collection in &self.collections {
                    ui.selectable_value(
                        &mut self.collection,
                        Some(collection.id),
                        format!("{} ({})", collection.name, collection.clips),
                    );
                }
            });
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .hint_text("Filter by name")
                    .desired_width(150.0),
            );
            ui.selectable_value(&mut self.grid, false, "List");
            ui.selectable_value(&mut self.grid, true, "Grid");
        });
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.status_filter, StatusFilter::All, "All");
            for status in [
                ClipStatus::NotStarted,
                ClipStatus::InProgress,
                ClipStatus::Done,
            ] {
                ui.selectable_value(
                    &mut self.status_filter,
                    StatusFilter::Only(status),
                    egui::RichText::new(status.label()).color(status.colour()),
                );
            }
        });
        egui::CollapsingHeader::new("Search annotations")
            .id_salt("advanced search")
            .show(ui, |ui| self.search_ui(ui, store));
    }

    fn search_ui(&mut self, ui: &mut egui::Ui, store: &StoreThread) {
        let form = &mut self.form;
        egui::Grid::new("search form")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, value) in [
                    ("Annotator", &mut form.annotator),
                    ("Structure", &mut form.structure),
                    ("Modality", &mut form.modality),
                    ("Manufacturer", &mut form.manufacturer),
                    ("Date from", &mut form.date_from),
                    ("Date to", &mut form.date_to),
                    ("Uncertainty min", &mut form.uncertainty_min),
                    ("Uncertainty max", &mut form.uncertainty_max),
                ] {
                    ui.label(label);
                    ui.add(egui::TextEdit::singleline(value).desired_width(120.0));
                    ui.end_row();
                }
                let label = ui.label("Status").id;
                egui::ComboBox::from_id_salt("search status")
                    .selected_text(form.status.map_or("any", |s| s.as_str()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.status, None, "any");
                        for status in [
                            AnnotationStatus::Draft,
                            AnnotationStatus::Submitted,
                            AnnotationStatus::Accepted,
                            AnnotationStatus::Rejected,
                        ] {
                            ui.selectable_value(&mut form.status, Some(status), status.as_str());
                        }
                    })
                    .response
                    .labelled_by(label);
                ui.end_row();
                let label = ui.label("Source").id;
                egui::ComboBox::from_id_salt("search source")
                    .selected_text(form.source.map_or("any", |s| s.as_str()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.source, None, "any");
                        for source in [
                            Source::Human,
                            Source::Model,
                            Source::PseudoLabel,
                            Source::Consensus,
                        ] {
                            ui.selectable_value(&mut form.source, Some(source), source.as_str());
                        }
                    })
                    .response
                    .labelled_by(label);
                ui.end_row();
            });
        ui.horizontal(|ui| {
            if ui.button("Search").clicked() {
                // A form that does not parse shows why below the buttons.
                if let Ok(query) = self.form.query() {
                    self.search_pending = Some(store.read(move |project| {
                        Ok(project
                            .search(&query)?
                            .into_iter()
                            .map(|hit| hit.clip.id)
                            .collect())
                    }));
                }
            }
            if self.search_hits.is_some() && ui.button("Clear search").clicked() {
                self.search_hits = None;
                self.form = SearchForm::default();
            }
        });
        if let Err(message) = self.form.query() {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
    }

    fn counts_ui(&self, ui: &mut egui::Ui) {
        let visible = self.visible();
        let count = |status| {
            visible
                .iter()
                .filter(|c| self.status(c.id) == status)
                .count()
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} clips", visible.len()));
            for status in [
                ClipStatus::Done,
                ClipStatus::InProgress,
                ClipStatus::NotStarted,
            ] {
                ui.colored_label(
                    status.colour(),
                    format!("{} {}", count(status), status.label()),
                );
            }
            let unreadable = count(ClipStatus::Unreadable);
            if unreadable > 0 {
                ui.colored_label(
                    ClipStatus::Unreadable.colour(),
                    format!("{unreadable} unreadable"),
                );
            }
        });
    }

    fn tooltip(&self, clip: &ClipRecord) -> String {
        let status = self.status(clip.id);
        let mut text = format!(
            "{}\n{} frames, {}×{}\nstatus: {}",
            clip.path.display(),
            clip.frames,
            clip.cols,
            clip.rows,
            status.label()
        );
        if let Some(p) = self.progress.get(&clip.id) {
            text.push_str(&format!(
                "\n{} key frames, {} complete; {} contours",
                p.key_frames, p.complete_key_frames, p.contours
            ));
        }
        if let Some(message) = self.unreadable.get(&clip.id) {
            text.push_str(&format!("\n{message}"));
        }
        text
    }

    fn list_item_ui(&self, ui: &mut egui::Ui, clip: &ClipRecord) -> bool {
        let status = self.status(clip.id);
        let selected = self.selected == Some(clip.id);
        let response = ui
            .horizontal(|ui| {
                let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter()
                    .circle_filled(dot.center(), 5.0, status.colour());
                ui.selectable_label(
                    selected,
                    format!("{}  ·  {} fr", display_name(clip), clip.frames),
                )
            })
            .inner;
        let response = response.on_hover_text(self.tooltip(clip));
        if selected && response.ctx.memory(|m| m.focused().is_none()) {
            response.scroll_to_me(None);
        }
        response.clicked()
    }

    fn grid_item_ui(&self, ui: &mut egui::Ui, clip: &ClipRecord) -> bool {
        let status = self.status(clip.id);
        let selected = self.selected == Some(clip.id);
        let size = egui::vec2(
            THUMBNAIL_WIDTH as f32 + 8.0,
            THUMBNAIL_WIDTH as f32 * 0.75 + 26.0,
        );
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
        let painter = ui.painter_at(rect);
        let stroke = if selected {
            egui::Stroke::new(3.0, ui.visuals().selection.bg_fill)
        } else {
            egui::Stroke::new(2.0, status.colour())
        };
        painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
        let image_rect = egui::Rect::from_min_size(
            rect.min + egui::vec2(4.0, 4.0),
            egui::vec2(THUMBNAIL_WIDTH as f32, THUMBNAIL_WIDTH as f32 * 0.75),
        );
        if let Some(texture) = self.thumbnails.get(&clip.id) {
            let fitted = fit(texture.size_vec2(), image_rect);
            painter.image(
                texture.id(),
                fitted,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                egui::Color32::WHITE,
            );
        }
        painter.text(
            egui::pos2(rect.center().x, rect.bottom() - 11.0),
            egui::Align2::CENTER_CENTER,
            truncate(&display_name(clip), 14),
            egui::FontId::proportional(11.0),
            ui.visuals().text_color(),
        );
        painter.rect_stroke(rect, 4.0, stroke, egui::StrokeKind::Inside);
        let response = response.on_hover_text(self.tooltip(clip));
        response.clicked()
    }
}

impl SearchForm {
    /// The store query; an error names the field that does not parse.
    fn query(&self) -> Result<SearchQuery, String> {
        let text = |value: &String| (!value.trim().is_empty()).then(|| value.trim().to_string());
        let number = |name: &str, value: &String| -> Result<Option<f64>, String> {
            text(value)
                .map(|v| {
                    v.parse::<f64>()
                        .map_err(|_| format!("{name}: {v:?} is not a number"))
                })
                .transpose()
        };
        Ok(SearchQuery {
            annotator: text(&self.annotator),
            status: self.status,
            source: self.source,
            structure: text(&self.structure),
            modality: text(&self.modality),
            manufacturer: text(&self.manufacturer),
            date_from: text(&self.date_from),
            date_to: text(&self.date_to),
            uncertainty_min: number("Uncertainty min", &self.uncertainty_min)?,
            uncertainty_max: number("Uncertainty max", &self.uncertainty_max)?,
            ..SearchQuery::default()
        })
    }
}

/// A clip's name in the library: its file name.
pub fn display_name(clip: &ClipRecord) -> String {
    clip.path.file_name().map_or_else(
        || clip.sop_instance_uid.clone(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    }
}

fn fit(size: egui::Vec2, rect: egui::Rect) -> egui::Rect {
    let scale = (rect.width() / size.x).min(rect.height() / size.y);
    egui::Rect::from_center_size(rect.center(), size * scale)
}

/// The middle frame of a clip, scaled down.
fn thumbnail(path: &std::path::Path, salt: &PatientSalt) -> Result<egui::ColorImage, String> {
    frame_thumbnail(path, salt, None, THUMBNAIL_WIDTH)
}

/// A frame of a clip (the middle one when `frame` is `None`) scaled to fit
/// `side` × `side` pixels with its aspect ratio, for grids of clips or frames.
/// Both sides are bounded: a tall narrow frame scaled to the width alone
/// would make a texture taller than the GPU allows.
pub fn frame_thumbnail(
    path: &std::path::Path,
    salt: &PatientSalt,
    frame: Option<u32>,
    side: u32,
) -> Result<egui::ColorImage, String> {
    let clip = Clip::open(path, salt).map_err(|e| e.to_string())?;
    let frame = clip
        .frame(frame.unwrap_or(clip.frame_count() / 2))
        .map_err(|e| e.to_string())?;
    let image = frame.to_rgb_image();
    let (width, height) = fit_within(frame.width, frame.height, side, side);
    let small = image::imageops::thumbnail(&image, width, height);
    Ok(egui::ColorImage::from_rgb(
        [small.width() as usize, small.height() as usize],
        small.as_raw(),
    ))
}
