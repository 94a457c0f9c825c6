//! The panel's filters: the collection, the name filter, the list/grid
//! switch and the quick status filter, and the clips they (with the search's
//! hits) let through, which is also the order the viewer steps through.

use std::collections::HashSet;

use eframe::egui;

use super::{ClipStatus, Library, display_name};
use crate::jobs::StoreThread;
use crate::store::ClipRecord;

/// The quick status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusFilter {
    All,
    Only(ClipStatus),
}

impl Library {
    /// The clips the filters let through, in library order.
    pub fn visible(&self) -> Vec<&ClipRecord> {
        let text = self.text.trim().to_lowercase();
        let empty = HashSet::new();
        let in_collection = self
            .collection
            .map(|id| self.members.get(&id).unwrap_or(&empty));
        let mine = self.my_work.as_ref().filter(|_| self.only_my_work);
        let mut visible: Vec<&ClipRecord> = self
            .clips
            .iter()
            .filter(|c| {
                mine.is_none_or(|w| w.assigned.contains(&c.id) || w.returned.contains(&c.id))
            })
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
            .collect();
        if mine.is_some() {
            // Work returned by a reviewer comes first (a stable sort keeps the rest in order).
            visible.sort_by_key(|c| !self.is_returned(c.id));
        }
        visible
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

    pub(super) fn filters_ui(&mut self, ui: &mut egui::Ui, store: &StoreThread) {
        if self.viewer.is_some() {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.only_my_work, true, "My work")
                    .on_hover_text("The clips assigned to you, work returned to you first");
                ui.selectable_value(&mut self.only_my_work, false, "Everything");
            });
        }
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
}
