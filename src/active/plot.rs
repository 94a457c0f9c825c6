//! The learning-curve figure of a simulation: test Dice against the share of
//! labelled frames, one line per curve (mean over seeds, its 95 % interval
//! as whiskers), with the full-data Dice and 97 % of it as
//! references. Drawn with plotters into memory and written as a PNG.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::simulation::{OWN_BATCH, SummaryRow};

/// Figure size in pixels.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 800;
const FONT: &str = "sans-serif";

/// Distinguishable line colours (Tableau 10 and two more: one per strategy
/// of the full comparison), reused in order.
const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
    RGBColor(128, 128, 0),
];

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("nothing to plot: the summary is empty")]
    Empty,
    #[error("drawing the figure: {0}")]
    Draw(String),
    #[error("{}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: image::ImageError,
    },
}

/// Draws `summary` (every curve in it) and writes the PNG to `path`.
/// `full_data_dice` adds the ceiling and the 97 % line when known.
pub fn write_learning_curves(
    path: &Path,
    title: &str,
    summary: &[SummaryRow],
    full_data_dice: Option<f32>,
) -> Result<(), PlotError> {
    if summary.is_empty() {
        return Err(PlotError::Empty);
    }
    register_font();
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(&mut pixels, title, summary, full_data_dice).map_err(PlotError::Draw)?;
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, pixels).expect("buffer sized for it");
    image.save(path).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// plotters draws text only with a registered font: the one the desktop UI
/// bundles (Ubuntu Light, from `epaint_default_fonts`).
fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // Should the font not parse, drawing the first label fails with an
        // error naming the missing font, which the caller reports.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

fn draw(
    pixels: &mut [u8],
    title: &str,
    summary: &[SummaryRow],
    full_data_dice: Option<f32>,
) -> Result<(), String> {
    let error = |e: &dyn std::fmt::Display| e.to_string();
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| error(&e))?;
    let max_x = summary
        .iter()
        .map(|r| r.labelled_percent)
        .fold(0.0f32, f32::max)
        .max(1.0)
        * 1.05;
    let lowest = summary
        .iter()
        .map(|r| r.dice_mean - r.dice_ci95)
        .fold(1.0f32, f32::min);
    let min_y = (lowest - 0.05).clamp(0.0, 0.9);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f32..max_x, min_y..1.0f32)
        .map_err(|e| error(&e))?;
    chart
        .configure_mesh()
        .x_desc("labelled frames (% of the pool)")
        .y_desc("test Dice (mean over seeds, 95 % interval)")
        .label_style((FONT, 18))
        .draw()
        .map_err(|e| error(&e))?;

    if let Some(full) = full_data_dice {
        for (value, label, colour) in [
            (full, format!("full data ({full:.3})"), BLACK),
            (
                0.97 * full,
                format!("97% of full data ({:.3})", 0.97 * full),
                RGBColor(120, 120, 120),
            ),
        ] {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, value), (max_x, value)],
                    8,
                    5,
                    colour.stroke_width(2),
                ))
                .map_err(|e| error(&e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
        }
    }

    let mut curves: Vec<(String, &str, &'static str)> = summary
        .iter()
        .map(|r| (r.strategy.name(), r.batch.as_str(), r.mode))
        .collect();
    curves.dedup();
    for (index, (strategy, batch, mode)) in curves.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let rows: Vec<&SummaryRow> = summary
            .iter()
            .filter(|r| r.strategy.name() == *strategy && r.batch == *batch && r.mode == *mode)
            .collect();
        let name = if *batch == OWN_BATCH {
            strategy.clone()
        } else {
            format!("{strategy} ({batch})")
        };
        let label = if *mode == "al" {
            name
        } else {
            format!("{name} + {}", mode.to_uppercase())
        };
        chart
            .draw_series(LineSeries::new(
                rows.iter().map(|r| (r.labelled_percent, r.dice_mean)),
                colour.stroke_width(3),
            ))
            .map_err(|e| error(&e))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3)));
        chart
            .draw_series(rows.iter().map(|r| {
                ErrorBar::new_vertical(
                    r.labelled_percent,
                    r.dice_mean - r.dice_ci95,
                    r.dice_mean,
                    (r.dice_mean + r.dice_ci95).min(1.0),
                    colour.filled(),
                    8,
                )
            }))
            .map_err(|e| error(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| error(&e))?;
    root.present().map_err(|e| error(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::active::Strategy;

    #[test]
    fn the_figure_has_one_coloured_line_per_curve_and_the_reference_lines() {
        let row = |strategy, round, labelled_percent, dice_mean| SummaryRow {
            strategy,
            batch: "top".to_string(),
            mode: "al",
            round,
            labelled_percent,
            dice_mean,
            dice_sd: 0.02,
            seeds: 5,
            dice_ci95: 0.025,
        };
        let summary = [
            row(Strategy::Random, 0, 5.0, 0.6),
            row(Strategy::Random, 1, 15.0, 0.75),
            row(Strategy::Bald, 0, 5.0, 0.6),
            row(Strategy::Bald, 1, 15.0, 0.85),
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("curves.png");
        write_learning_curves(&path, "test", &summary, Some(0.9)).expect("written");
        let image = image::open(&path).expect("a PNG").into_rgb8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let has = |colour: RGBColor| {
            image
                .pixels()
                .any(|p| p.0 == [colour.0, colour.1, colour.2])
        };
        assert!(has(PALETTE[0]) && has(PALETTE[1]), "both curves drawn");
        assert!(!has(PALETTE[2]), "no third curve");
        assert!(matches!(
            write_learning_curves(&path, "empty", &[], None),
            Err(PlotError::Empty)
        ));
    }
}
