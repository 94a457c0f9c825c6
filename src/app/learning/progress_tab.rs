//! The progress tab: the learning curve, validation Dice of each model
//! version against the number of frames it was trained on.

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::Overview;

/// Validation Dice of each model version against its labelled frames.
pub(super) fn progress_ui(ui: &mut egui::Ui, overview: &Overview) {
    let curve = &overview.curve;
    match curve.last() {
        Some(last) => ui.label(format!(
            "Latest model version {}: mean validation Dice {:.3} with {} labelled frames",
            last.version_id, last.dice, last.frames
        )),
        None => ui.weak(
            "No trained model version yet: the curve starts with the first round that trains one.",
        ),
    };
    let points: Vec<[f64; 2]> = curve
        .iter()
        .map(|p| [p.frames as f64, f64::from(p.dice)])
        .collect();
    Plot::new("dice vs labels")
        .x_axis_label("training frames (labelled + accepted pseudo-labels)")
        .y_axis_label("validation Dice")
        .include_y(0.0)
        .include_y(1.0)
        .include_x(0.0)
        .height(ui.available_height().max(200.0))
        .show(ui, |plot| {
            plot.line(Line::new(
                "validation Dice",
                PlotPoints::from(points.clone()),
            ));
            plot.points(Points::new("model versions", PlotPoints::from(points)).radius(4.0));
        });
}
