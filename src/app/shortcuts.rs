//! Every keyboard shortcut, in one table: the key handling and the help
//! overlay both read it, so the overlay can never list a key that does nothing.

use eframe::egui::{Key, KeyboardShortcut, Modifiers};

/// Something the user can do from the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PlayPause,
    PreviousFrame,
    NextFrame,
    PreviousKeyFrame,
    NextKeyFrame,
    PreviousClip,
    NextClip,
    MarkEndDiastole,
    MarkEndSystole,
    NextStructure,
    Structure(usize),
    EditTool,
    PenTool,
    BrushTool,
    EraserTool,
    BrushSmaller,
    BrushLarger,
    Smooth,
    CopyFromOtherKeyFrame,
    DeleteSelection,
    ToggleStructureVisibility,
    AcceptFrame,
    ClosePen,
    Cancel,
    Undo,
    Redo,
    FitView,
    ToggleLoop,
    ProposeContours,
    ProposeKeyFrames,
    ToggleUncertainty,
    NextQueued,
    Help,
}

/// A shortcut with what the help overlay says about it.
pub struct Shortcut {
    pub action: Action,
    pub keys: KeyboardShortcut,
    pub help: &'static str,
}

const fn plain(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, key)
}

const fn shift(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::SHIFT, key)
}

const fn command(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}

/// The table. More specific entries (with modifiers) come first, because egui
/// matches a plain shortcut even when Shift is held.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        action: Action::Redo,
        keys: KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z),
        help: "Redo",
    },
    Shortcut {
        action: Action::Undo,
        keys: command(Key::Z),
        help: "Undo",
    },
    Shortcut {
        action: Action::Redo,
        keys: command(Key::Y),
        help: "Redo",
    },
    Shortcut {
        action: Action::PreviousKeyFrame,
        keys: shift(Key::ArrowLeft),
        help: "Previous ED/ES frame",
    },
    Shortcut {
        action: Action::NextKeyFrame,
        keys: shift(Key::ArrowRight),
        help: "Next ED/ES frame",
    },
    Shortcut {
        action: Action::PlayPause,
        keys: plain(Key::Space),
        help: "Play / pause",
    },
    Shortcut {
        action: Action::PreviousFrame,
        keys: plain(Key::ArrowLeft),
        help: "Previous frame",
    },
    Shortcut {
        action: Action::NextFrame,
        keys: plain(Key::ArrowRight),
        help: "Next frame",
    },
    Shortcut {
        action: Action::PreviousClip,
        keys: plain(Key::ArrowUp),
        help: "Previous clip",
    },
    Shortcut {
        action: Action::NextClip,
        keys: plain(Key::ArrowDown),
        help: "Next clip",
    },
    Shortcut {
        action: Action::MarkEndDiastole,
        keys: plain(Key::D),
        help: "Mark / unmark end-diastole (ED) on this frame",
    },
    Shortcut {
        action: Action::MarkEndSystole,
        keys: plain(Key::S),
        help: "Mark / unmark end-systole (ES) on this frame",
    },
    Shortcut {
        action: Action::NextStructure,
        keys: plain(Key::Tab),
        help: "Next structure",
    },
    Shortcut {
        action: Action::Structure(0),
        keys: plain(Key::Num1),
        help: "Structure 1 (LV endocardium)",
    },
    Shortcut {
        action: Action::Structure(1),
        keys: plain(Key::Num2),
        help: "Structure 2 (myocardium)",
    },
    Shortcut {
        action: Action::Structure(2),
        keys: plain(Key::Num3),
        help: "Structure 3 (left atrium)",
    },
    Shortcut {
        action: Action::EditTool,
        keys: plain(Key::V),
        help: "Edit tool: drag points, click an edge to insert",
    },
    Shortcut {
        action: Action::PenTool,
        keys: plain(Key::P),
        help: "Pen: click points, click the first or Enter to close",
    },
    Shortcut {
        action: Action::BrushTool,
        keys: plain(Key::B),
        help: "Brush: paint the structure's mask",
    },
    Shortcut {
        action: Action::EraserTool,
        keys: plain(Key::E),
        help: "Eraser: erase from the mask",
    },
    Shortcut {
        action: Action::BrushSmaller,
        keys: plain(Key::OpenBracket),
        help: "Smaller brush",
    },
    Shortcut {
        action: Action::BrushLarger,
        keys: plain(Key::CloseBracket),
        help: "Larger brush",
    },
    Shortcut {
        action: Action::Smooth,
        keys: plain(Key::M),
        help: "Smooth the contour",
    },
    Shortcut {
        action: Action::CopyFromOtherKeyFrame,
        keys: plain(Key::C),
        help: "Copy contours from the other key frame",
    },
    Shortcut {
        action: Action::DeleteSelection,
        keys: plain(Key::Delete),
        help: "Delete the selected point (or the contour if none)",
    },
    Shortcut {
        action: Action::DeleteSelection,
        keys: plain(Key::Backspace),
        help: "Delete the selected point / last pen point",
    },
    Shortcut {
        action: Action::ToggleStructureVisibility,
        keys: plain(Key::H),
        help: "Hide / show the structure",
    },
    Shortcut {
        action: Action::AcceptFrame,
        keys: command(Key::Enter),
        help: "Accept this frame's contours (submit)",
    },
    Shortcut {
        action: Action::ClosePen,
        keys: plain(Key::Enter),
        help: "Close the pen contour",
    },
    Shortcut {
        action: Action::Cancel,
        keys: plain(Key::Escape),
        help: "Cancel the pen contour / close this help",
    },
    Shortcut {
        action: Action::FitView,
        keys: plain(Key::F),
        help: "Fit the image to the view",
    },
    Shortcut {
        action: Action::ToggleLoop,
        keys: plain(Key::L),
        help: "Loop playback on / off",
    },
    Shortcut {
        action: Action::ProposeContours,
        keys: plain(Key::R),
        help: "Model: propose contours on this frame",
    },
    Shortcut {
        action: Action::ProposeKeyFrames,
        keys: plain(Key::K),
        help: "Model: propose the ED and ES frames of this clip",
    },
    Shortcut {
        action: Action::NextQueued,
        keys: plain(Key::N),
        help: "Active learning: open the next frame of the annotation queue",
    },
    Shortcut {
        action: Action::ToggleUncertainty,
        keys: plain(Key::U),
        help: "Active learning: show or hide the uncertainty map",
    },
    Shortcut {
        action: Action::Help,
        keys: plain(Key::F1),
        help: "Show / hide this help",
    },
];

/// The key combination as the help overlay writes it.
pub fn describe(keys: &KeyboardShortcut) -> String {
    let mut parts = Vec::new();
    if keys.modifiers.command || keys.modifiers.ctrl {
        parts.push("Ctrl".to_string());
    }
    if keys.modifiers.shift {
        parts.push("Shift".to_string());
    }
    parts.push(keys.logical_key.name().to_string());
    parts.join("+")
}

/// The actions whose shortcuts were pressed this frame (each key consumed once).
pub fn pressed(ctx: &eframe::egui::Context) -> Vec<Action> {
    ctx.input_mut(|input| {
        SHORTCUTS
            .iter()
            .filter(|s| input.consume_shortcut(&s.keys))
            .map(|s| s.action)
            .collect()
    })
}
