//! What the desktop remembers between runs (tool, brush, opacity, the round
//! form) goes through eframe's storage and comes back in the next run; the
//! shortcuts overlay fits a small window.

use std::collections::HashMap;

use echolabel::app::{EchoLabelApp, Tool};
use eframe::egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::ui::{App, H, app, dirs, key, options};

/// eframe's storage, in memory.
#[derive(Default)]
struct Memory(HashMap<String, String>);

impl eframe::Storage for Memory {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

fn restored(options: echolabel::app::AppOptions, storage: Memory, size: [f32; 2]) -> H {
    Harness::builder()
        .with_size(size)
        .with_max_steps(16)
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| {
                    EchoLabelApp::restore(options.clone(), ui.ctx().clone(), Some(&storage))
                })
                .ui(ui)
            },
            None,
        )
}

#[test]
fn the_tool_and_brush_chosen_come_back_in_the_next_run() {
    let dirs = dirs();
    let options = options(&dirs, None, None);
    let mut harness = restored(options.clone(), Memory::default(), [1280.0, 860.0]);
    harness.run_steps(2);
    let before = app(&harness).preferences();
    assert_eq!(
        before.tool,
        Tool::Edit,
        "a first run starts with the edit tool"
    );
    key(&mut harness, Key::B);
    key(&mut harness, Key::CloseBracket);
    key(&mut harness, Key::CloseBracket);
    let chosen = app(&harness).preferences();
    assert_eq!(chosen.tool, Tool::Brush);
    assert!(chosen.brush_radius > before.brush_radius);

    let mut storage = Memory::default();
    let first = harness.state_mut().as_mut().unwrap();
    eframe::App::save(first, &mut storage);
    drop(harness);

    let mut again = restored(options, storage, [1280.0, 860.0]);
    again.run_steps(2);
    let remembered = app(&again).preferences();
    assert_eq!(remembered.tool, Tool::Brush);
    assert_eq!(remembered.brush_radius, chosen.brush_radius);
    assert_eq!(remembered.round, chosen.round);
}

#[test]
fn the_shortcuts_overlay_fits_a_small_window() {
    let dirs = dirs();
    let size = [800.0, 560.0];
    let mut harness = restored(options(&dirs, None, None), Memory::default(), size);
    harness.run_steps(2);
    key(&mut harness, Key::F1);
    harness.run_steps(4);
    // The window (and its title) lie on screen; the list scrolls inside.
    let rects: Vec<_> = harness
        .get_all_by_label("Keyboard shortcuts")
        .map(|node| node.rect())
        .collect();
    assert!(!rects.is_empty());
    for rect in rects {
        assert!(
            rect.top() >= 0.0 && rect.bottom() <= size[1],
            "the overlay spans {rect:?} in an {size:?} window"
        );
    }
}
