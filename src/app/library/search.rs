//! The annotation search: a form of optional fields (annotator, status,
//! source, structure, modality, manufacturer, dates, uncertainty) run as one
//! store query; its hits narrow the clips the filters let through.

use eframe::egui;

use super::Library;
use crate::jobs::StoreThread;
use crate::store::{AnnotationStatus, SearchQuery, Source};

/// The advanced search form's text fields (empty = not filtered).
#[derive(Default)]
pub(super) struct SearchForm {
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

impl Library {
    pub(super) fn search_ui(&mut self, ui: &mut egui::Ui, store: &StoreThread) {
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
