//! The Agreement window: how much the readers agree, computed in the
//! background (`echolabel agreement`'s figures): a sortable table of every
//! comparison (per pair and against the consensus), the ED/ES frame
//! differences, and per annotator the mean Dice against the consensus with
//! STAPLE sensitivity and specificity, as a bar plot. A reviewer builds the
//! consensus annotations from here.

use eframe::egui;
use egui_plot::{Bar, BarChart, Plot};

use crate::app::command::{Command, CommandSender};
use crate::consensus::{AgreementReport, PairRow};
use crate::store::ConsensusMethod;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum View {
    #[default]
    Annotators,
    Comparisons,
    KeyFrames,
}

/// The columns of the comparison table, in order.
const COLUMNS: [&str; 9] = [
    "clip",
    "frame",
    "structure",
    "reader",
    "against",
    "Dice",
    "HD mm",
    "MCD mm",
    "Δarea mm²",
];

#[derive(Default)]
pub struct AgreementWindow {
    pub open: bool,
    view: View,
    pub report: Option<AgreementReport>,
    /// The column the comparisons are sorted by, and whether ascending.
    sort: (usize, bool),
}

impl AgreementWindow {
    /// `reviewer`: whether the person may build consensus; `busy`: whether
    /// agreement or consensus is being computed now.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        reviewer: bool,
        busy: bool,
        commands: &CommandSender,
    ) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new("Agreement")
            .open(&mut open)
            .default_size([720.0, 480.0])
            .default_pos([300.0, 360.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!busy, egui::Button::new("Compute agreement"))
                        .clicked()
                    {
                        commands.send(Command::ComputeAgreement);
                    }
                    let build = ui
                        .add_enabled(reviewer && !busy, egui::Button::new("Build consensus (STAPLE)"))
                        .on_hover_text("Every frame and structure with two or more finished contours gets a consensus annotation; stale ones are recomputed, ones a reviewer corrected are kept")
                        .on_disabled_hover_text("For a reviewer or an admin");
                    if build.clicked() {
                        commands.send(Command::BuildConsensus(ConsensusMethod::Staple));
                    }
                    if ui
                        .add_enabled(reviewer && !busy, egui::Button::new("Majority vote"))
                        .clicked()
                    {
                        commands.send(Command::BuildConsensus(ConsensusMethod::Majority));
                    }
                    if busy {
                        ui.spinner();
                    }
                });
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.view, View::Annotators, "Per annotator");
                    ui.selectable_value(&mut self.view, View::Comparisons, "Comparisons");
                    ui.selectable_value(&mut self.view, View::KeyFrames, "ED/ES frames");
                });
                ui.separator();
                let Some(report) = &self.report else {
                    ui.weak("Compute agreement to see how the readers compare.");
                    return;
                };
                if report.pairs.is_empty() && report.key_frames.is_empty() {
                    ui.weak("No frame has finished contours or ED/ES marks by two or more people yet.");
                    return;
                }
                match self.view {
                    View::Annotators => annotators_ui(ui, report),
                    View::Comparisons => comparisons_ui(ui, report, &mut self.sort),
                    View::KeyFrames => key_frames_ui(ui, report),
                }
            });
        self.open = open;
    }
}

fn annotators_ui(ui: &mut egui::Ui, report: &AgreementReport) {
    egui::Grid::new("agreement per annotator")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for heading in [
                "annotator",
                "compared",
                "mean Dice vs consensus",
                "STAPLE sensitivity",
                "STAPLE specificity",
            ] {
                ui.strong(heading);
            }
            ui.end_row();
            for row in &report.annotators {
                ui.label(&row.annotator);
                ui.label(row.compared.to_string());
                ui.label(format!("{:.3}", row.mean_dice_vs_consensus));
                ui.label(format!("{:.3}", row.mean_staple_sensitivity));
                ui.label(format!("{:.4}", row.mean_staple_specificity));
                ui.end_row();
            }
        });
    let bars: Vec<Bar> = report
        .annotators
        .iter()
        .enumerate()
        .map(|(i, row)| Bar::new(i as f64, row.mean_dice_vs_consensus).name(&row.annotator))
        .collect();
    let names: Vec<String> = report
        .annotators
        .iter()
        .map(|r| r.annotator.clone())
        .collect();
    Plot::new("dice per annotator")
        .y_axis_label("mean Dice vs consensus")
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .height(ui.available_height().max(160.0))
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("mean Dice vs consensus", bars).width(0.6))
        });
}

/// The sort key of a comparison row in column `column`.
fn cell(row: &PairRow, column: usize) -> String {
    match column {
        0 => row.clip.clone(),
        1 => (row.frame + 1).to_string(),
        2 => row.structure.clone(),
        3 => row.annotator_a.clone(),
        4 => row.annotator_b.clone(),
        5 => format!("{:.3}", row.dice),
        6 => format!("{:.2}", row.hausdorff_mm),
        7 => format!("{:.2}", row.mean_distance_mm),
        _ => format!("{:.1}", row.area_difference_mm2),
    }
}

fn comparisons_ui(ui: &mut egui::Ui, report: &AgreementReport, sort: &mut (usize, bool)) {
    let mut rows: Vec<&PairRow> = report.pairs.iter().collect();
    let (column, ascending) = *sort;
    let number = |row: &PairRow| match column {
        1 => f64::from(row.frame),
        5 => row.dice,
        6 => row.hausdorff_mm,
        7 => row.mean_distance_mm,
        8 => row.area_difference_mm2,
        _ => 0.0,
    };
    rows.sort_by(|a, b| {
        let order = if matches!(column, 1 | 5..=8) {
            number(a).total_cmp(&number(b))
        } else {
            cell(a, column).cmp(&cell(b, column))
        };
        if ascending { order } else { order.reverse() }
    });
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("comparisons")
            .striped(true)
            .num_columns(COLUMNS.len())
            .show(ui, |ui| {
                for (i, heading) in COLUMNS.iter().enumerate() {
                    let arrow = match (i == column, ascending) {
                        (true, true) => " (up)",
                        (true, false) => " (down)",
                        _ => "",
                    };
                    if ui.button(format!("{heading}{arrow}")).clicked() {
                        *sort = (i, if i == column { !ascending } else { true });
                    }
                }
                ui.end_row();
                for row in rows {
                    for i in 0..COLUMNS.len() {
                        ui.label(cell(row, i));
                    }
                    ui.end_row();
                }
            });
        if report.pairs.iter().any(|p| !p.calibrated) {
            ui.weak("Clips without a calibration give distances in pixels.");
        }
    });
}

fn key_frames_ui(ui: &mut egui::Ui, report: &AgreementReport) {
    if report.key_frames.is_empty() {
        ui.weak("No cycle has ED or ES marked by two or more people.");
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("key frame agreement")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for heading in ["clip", "mark", "reader", "frame", "median", "difference"] {
                    ui.strong(heading);
                }
                ui.end_row();
                for row in &report.key_frames {
                    ui.label(&row.clip);
                    ui.label(format!("{} (cycle {})", row.kind, row.cycle + 1));
                    ui.label(&row.annotator);
                    ui.label((row.frame + 1).to_string());
                    ui.label((row.consensus_frame + 1).to_string());
                    ui.label(match row.difference_ms {
                        Some(ms) => format!("{:+} frames ({ms:+.0} ms)", row.difference_frames),
                        None => format!("{:+} frames", row.difference_frames),
                    });
                    ui.end_row();
                }
            });
    });
}
