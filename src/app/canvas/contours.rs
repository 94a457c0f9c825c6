//! Contour outlines drawn over the frame: every visible structure, dashed
//! while it is an unchecked model proposal, with vertex handles on the active
//! one and the pen's polyline in progress; beneath them the other readers'
//! outlines the viewer chose to show (dashed, in each reader's colour) and
//! the consensus (dotted white).

use eframe::egui::{self, Color32, Pos2, Stroke};

use super::{GRAB_DISTANCE, Viewport};
use crate::app::tools::{EditorState, Gesture, Tool};
use crate::editor::ClipDocument;
use crate::geometry::Point;

/// Other readers' outlines and the consensus, under the viewer's own.
pub(super) fn draw_others(
    painter: &egui::Painter,
    outlines: &[crate::app::readers::Outline],
    viewport: &Viewport,
) {
    for (colour, points, consensus) in outlines {
        let mut screen: Vec<Pos2> = points
            .iter()
            .map(|p| viewport.screen_from_image(*p))
            .collect();
        screen.extend(screen.first().copied());
        let (dash, gap) = if *consensus { (2.0, 3.0) } else { (8.0, 5.0) };
        painter.extend(egui::Shape::dashed_line(
            &screen,
            Stroke::new(if *consensus { 2.5 } else { 1.5 }, *colour),
            dash,
            gap,
        ));
    }
}

/// Contour outlines of every visible structure; handles on the active one.
pub(super) fn draw_contours(
    painter: &egui::Painter,
    document: &ClipDocument,
    frame: u32,
    editor: &EditorState,
    viewport: &Viewport,
) {
    for (index, style) in editor.styles.iter().enumerate() {
        if !style.visible {
            continue;
        }
        let active = index == editor.structure;
        let stored = document.contour(frame, &style.name);
        let points: Option<Vec<Point>> = match &editor.gesture {
            Some(Gesture::Drag {
                structure, points, ..
            }) if *structure == index => Some(points.clone()),
            Some(Gesture::Stroke { structure, .. }) if *structure == index => None,
            _ => stored.map(|c| c.points.clone()),
        };
        let Some(points) = points else { continue };
        let screen: Vec<Pos2> = points
            .iter()
            .map(|p| viewport.screen_from_image(*p))
            .collect();
        let width = if active { 2.0 } else { 1.5 };
        let stroke = Stroke::new(width, style.colour);
        if stored
            .is_some_and(|c| c.is_proposal() && c.status == crate::store::AnnotationStatus::Draft)
        {
            // A model's proposal nobody has checked yet: dashed until edited or accepted.
            let mut closed = screen.clone();
            closed.extend(screen.first().copied());
            painter.extend(egui::Shape::dashed_line(&closed, stroke, 6.0, 4.0));
        } else {
            painter.add(egui::Shape::closed_line(screen.clone(), stroke));
        }
        if active && editor.tool == Tool::Edit {
            for (i, p) in screen.iter().enumerate() {
                let selected = editor.selected == Some(i);
                let radius = if selected { 5.0 } else { 3.5 };
                painter.circle(
                    *p,
                    radius,
                    if selected {
                        style.colour
                    } else {
                        Color32::WHITE
                    },
                    Stroke::new(1.5, style.colour),
                );
            }
        }
    }
    if let Some(Gesture::Pen { structure, points }) = &editor.gesture
        && let Some(style) = editor.styles.get(*structure)
    {
        let screen: Vec<Pos2> = points
            .iter()
            .map(|p| viewport.screen_from_image(*p))
            .collect();
        painter.add(egui::Shape::line(
            screen.clone(),
            Stroke::new(2.0, style.colour),
        ));
        for p in &screen {
            painter.circle(*p, 3.5, Color32::WHITE, Stroke::new(1.5, style.colour));
        }
        if let Some(first) = screen.first() {
            painter.circle_stroke(*first, GRAB_DISTANCE, Stroke::new(1.0, style.colour));
        }
    }
}
