//! The editing tools and how each structure is shown.

use eframe::egui::Color32;

use serde::{Deserialize, Serialize};

use super::actions::Action;
use super::preferences::{Preferences, StructurePreference};

use crate::geometry::{Mask, Point};

/// The tool under the mouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    /// The action that picks this tool (its name and key are in the table).
    pub fn action(self) -> Action {
        match self {
            Tool::Edit => Action::EditTool,
            Tool::Pen => Action::PenTool,
            Tool::Brush => Action::BrushTool,
            Tool::Eraser => Action::EraserTool,
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
    /// The tool, opacity and brush a person used last; structures come with
    /// the project's template ([`EditorState::set_structures`]).
    pub fn with_preferences(preferences: &Preferences) -> EditorState {
        EditorState {
            tool: preferences.tool,
            structure: 0,
            styles: Vec::new(),
            opacity: preferences.opacity,
            brush_radius: preferences.brush_radius,
            selected: None,
            gesture: None,
        }
    }

    /// Follows the template's structures, keeping the styles of those that
    /// remain, else the remembered ones (the styles left are remembered
    /// first), else the palette's.
    pub fn set_structures(&mut self, structures: &[String], preferences: &mut Preferences) {
        let names: Vec<&String> = self.styles.iter().map(|s| &s.name).collect();
        if names.iter().copied().eq(structures.iter()) {
            return;
        }
        self.remember(preferences);
        let old = std::mem::take(&mut self.styles);
        self.styles = styles_for(structures)
            .into_iter()
            .map(|style| {
                if let Some(kept) = old.iter().find(|o| o.name == style.name) {
                    return kept.clone();
                }
                match preferences.structures.get(&style.name) {
                    Some(remembered) => StructureStyle {
                        colour: Color32::from_rgba_unmultiplied(
                            remembered.colour[0],
                            remembered.colour[1],
                            remembered.colour[2],
                            remembered.colour[3],
                        ),
                        visible: remembered.visible,
                        ..style
                    },
                    None => style,
                }
            })
            .collect();
        self.structure = self.structure.min(self.styles.len().saturating_sub(1));
        self.gesture = None;
    }

    pub fn set_style(&mut self, index: usize, visible: bool, colour: Color32) {
        if let Some(style) = self.styles.get_mut(index) {
            style.visible = visible;
            style.colour = colour;
        }
    }

    /// Writes what a person chose into `preferences` (structures not on
    /// screen keep what was remembered of them).
    pub fn remember(&self, preferences: &mut Preferences) {
        preferences.tool = self.tool;
        preferences.opacity = self.opacity;
        preferences.brush_radius = self.brush_radius;
        for style in &self.styles {
            preferences.structures.insert(
                style.name.clone(),
                StructurePreference {
                    colour: style.colour.to_srgba_unmultiplied(),
                    visible: style.visible,
                },
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_colour_changed_in_one_template_comes_back_after_another() {
        let mut preferences = Preferences::default();
        let mut editor = EditorState::with_preferences(&preferences);
        let camus = names(&["LV", "Myocardium"]);
        editor.set_structures(&camus, &mut preferences);
        let pink = Color32::from_rgb(250, 100, 200);
        editor.set_style(1, false, pink);
        editor.set_structures(&names(&["Aorta"]), &mut preferences);
        assert_ne!(editor.styles[0].colour, pink);
        editor.set_structures(&camus, &mut preferences);
        assert_eq!(editor.styles[1].colour, pink);
        assert!(!editor.styles[1].visible);
        // And it is what the next run remembers.
        editor.remember(&mut preferences);
        let kept = preferences.structures["Myocardium"];
        assert_eq!(kept.colour, pink.to_srgba_unmultiplied());
    }
}
