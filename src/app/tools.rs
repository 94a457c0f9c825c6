//! The editing tools and how each structure is shown.

use eframe::egui::Color32;

use crate::geometry::{Mask, Point};

/// The tool under the mouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Drag points, click an edge to insert one, right-click a point to delete it.
    Edit,
    /// Click points one by one; close on the first point or with Enter.
    Pen,
    /// Paint into the structure's mask; the contour is rebuilt on release.
    Brush,
    /// Erase from the structure's mask.
    Eraser,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Edit, Tool::Pen, Tool::Brush, Tool::Eraser];

    pub fn label(self) -> &'static str {
        match self {
            Tool::Edit => "Edit (V)",
            Tool::Pen => "Pen (P)",
            Tool::Brush => "Brush (B)",
            Tool::Eraser => "Eraser (E)",
        }
    }
}

/// Colour and visibility of one structure.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureStyle {
    pub name: String,
    pub colour: Color32,
    pub visible: bool,
}

/// Default colours, in template order: LV red, myocardium green, LA blue, then others.
const PALETTE: [Color32; 7] = [
    Color32::from_rgb(235, 64, 52),
    Color32::from_rgb(60, 200, 90),
    Color32::from_rgb(60, 140, 245),
    Color32::from_rgb(240, 200, 40),
    Color32::from_rgb(200, 90, 230),
    Color32::from_rgb(40, 210, 210),
    Color32::from_rgb(250, 140, 40),
];

/// Something being drawn right now, not yet a saved change.
#[derive(Debug, Clone)]
pub enum Gesture {
    /// A vertex being dragged: the contour as it would be.
    Drag {
        structure: usize,
        index: usize,
        points: Vec<Point>,
    },
    /// Pen points placed so far (an open polyline).
    Pen {
        structure: usize,
        points: Vec<Point>,
    },
    /// A brush or eraser stroke on the structure's mask.
    Stroke {
        structure: usize,
        mask: Mask,
        last: Point,
        version: u64,
    },
}

/// The editor's settings and what is in progress.
pub struct EditorState {
    pub tool: Tool,
    pub structure: usize,
    pub styles: Vec<StructureStyle>,
    /// Fill opacity of the structure overlays (0 = outlines only).
    pub opacity: f32,
    /// Brush radius in image pixels.
    pub brush_radius: f32,
    /// The selected vertex of the active structure's contour.
    pub selected: Option<usize>,
    pub gesture: Option<Gesture>,
}

impl EditorState {
    pub fn new(structures: &[String]) -> EditorState {
        EditorState {
            tool: Tool::Edit,
            structure: 0,
            styles: styles_for(structures),
            opacity: 0.3,
            brush_radius: 6.0,
            selected: None,
            gesture: None,
        }
    }

    /// Follows the template's structures, keeping the styles of those that remain.
    pub fn set_structures(&mut self, structures: &[String]) {
        let names: Vec<&String> = self.styles.iter().map(|s| &s.name).collect();
        if names.iter().copied().eq(structures.iter()) {
            return;
        }
        let old = std::mem::take(&mut self.styles);
        self.styles = styles_for(structures)
            .into_iter()
            .map(|style| {
                old.iter()
                    .find(|o| o.name == style.name)
                    .cloned()
                    .unwrap_or(style)
            })
            .collect();
        self.structure = self.structure.min(self.styles.len().saturating_sub(1));
        self.gesture = None;
    }

    pub fn active_name(&self) -> Option<&str> {
        self.styles.get(self.structure).map(|s| s.name.as_str())
    }

    pub fn select_structure(&mut self, index: usize) {
        if index < self.styles.len() {
            self.structure = index;
            self.selected = None;
            self.gesture = None;
        }
    }

    pub fn set_tool(&mut self, tool: Tool) {
        self.tool = tool;
        self.gesture = None;
        self.selected = None;
    }
}

fn styles_for(structures: &[String]) -> Vec<StructureStyle> {
    structures
        .iter()
        .enumerate()
        .map(|(i, name)| StructureStyle {
            name: name.clone(),
            colour: PALETTE[i % PALETTE.len()],
            visible: true,
        })
        .collect()
}
