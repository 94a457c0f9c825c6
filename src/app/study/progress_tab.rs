//! Progress: per collection and annotator, bars of the frames annotated and
//! reviewed out of the key frames of their assigned clips (the `report`
//! figures), and the median active time per frame with and without a model
//! proposal.

use eframe::egui;

use super::StudyOverview;

pub fn progress_ui(ui: &mut egui::Ui, overview: &StudyOverview) {
    if overview.progress.is_empty() {
        ui.weak("No work is assigned or annotated yet.");
    }
    let mut collections: Vec<&str> = overview
        .progress
        .iter()
        .map(|r| r.collection.as_str())
        .collect();
    collections.dedup();
    for collection in collections {
        ui.strong(collection);
        egui::Grid::new(("progress", collection))
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for row in overview
                    .progress
                    .iter()
                    .filter(|r| r.collection == collection)
                {
                    ui.label(&row.annotator);
                    // Frames to do: the ED/ES frames they marked, or at least
                    // what they annotated.
                    let target = row.frames_assigned.max(row.frames_annotated);
                    let done = row.frames_annotated as f32 / target.max(1) as f32;
                    let frames = if target == 0 {
                        "no ED/ES marked yet".to_string()
                    } else {
                        format!("{} of {target} frames", row.frames_annotated)
                    };
                    ui.add(
                        egui::ProgressBar::new(done)
                            .desired_width(220.0)
                            .text(format!(
                                "{frames}, {} of {} clip(s)",
                                row.clips_annotated, row.clips_assigned
                            )),
                    );
                    ui.label(format!(
                        "{} reviewed, {} draft",
                        row.frames_reviewed, row.frames_draft
                    ));
                    ui.end_row();
                }
            });
        ui.add_space(6.0);
    }
    ui.separator();
    ui.strong("Active time per frame (median, first view to submit, pauses cut)");
    if overview.times.is_empty() {
        ui.weak("No frame has been submitted in the editor yet.");
        return;
    }
    egui::Grid::new("frame times")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for row in &overview.times {
                ui.label(&row.annotator);
                ui.label(if row.with_proposal {
                    "from a model proposal"
                } else {
                    "drawn by hand"
                });
                ui.label(format!(
                    "{:.1} s over {} frame(s)",
                    row.median_seconds, row.frames
                ));
                ui.end_row();
            }
        });
}
