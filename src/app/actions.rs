//! Every user action, described once: its name, its keys and its help text.
//! Key handling, the shortcuts overlay, menu items, buttons and tooltips all
//! read this one table, so a key shown in a tooltip can never differ from
//! the key that works, and the overlay never lists a key that does nothing.

use std::sync::LazyLock;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

use super::command::{Command, CommandSender};

/// Something the user can do from a key, a menu, or a button.
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
    DeleteContour,
    ToggleStructureVisibility,
    AcceptFrame,
    ClosePen,
    Cancel,
    Undo,
    Redo,
    FitView,
    ResetWindowLevel,
    ToggleLoop,
    ProposeContours,
    ProposeKeyFrames,
    Train,
    ToggleUncertainty,
    NextQueued,
    ToggleLearning,
    ToggleStudy,
    ToggleAgreement,
    NewProject,
    OpenProject,
    OpenDemo,
    ImportFolder,
    Export,
    ChangeAnnotator,
    Quit,
    Help,
}

/// What the user sees of an action: a short name for buttons and menus, the
/// keys that do it, and a sentence for tooltips and the overlay.
pub struct ActionSpec {
    pub action: Action,
    pub name: &'static str,
    pub keys: &'static [KeyboardShortcut],
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

const fn spec(
    action: Action,
    name: &'static str,
    keys: &'static [KeyboardShortcut],
    help: &'static str,
) -> ActionSpec {
    ActionSpec {
        action,
        name,
        keys,
        help,
    }
}

use Action as A;

/// The table, in the order the shortcuts overlay lists it.
pub const ACTIONS: &[ActionSpec] = &[
    spec(
        A::PlayPause,
        "Play / pause",
        &[plain(Key::Space)],
        "Play / pause",
    ),
    spec(
        A::PreviousFrame,
        "< Prev",
        &[plain(Key::ArrowLeft)],
        "Previous frame",
    ),
    spec(
        A::NextFrame,
        "Next >",
        &[plain(Key::ArrowRight)],
        "Next frame",
    ),
    spec(
        A::PreviousKeyFrame,
        "Previous key frame",
        &[shift(Key::ArrowLeft)],
        "Previous ED/ES frame",
    ),
    spec(
        A::NextKeyFrame,
        "Next key frame",
        &[shift(Key::ArrowRight)],
        "Next ED/ES frame",
    ),
    spec(
        A::PreviousClip,
        "Previous clip",
        &[plain(Key::ArrowUp)],
        "Previous clip",
    ),
    spec(
        A::NextClip,
        "Next clip",
        &[plain(Key::ArrowDown)],
        "Next clip",
    ),
    spec(
        A::MarkEndDiastole,
        "ED",
        &[plain(Key::D)],
        "Mark / unmark end-diastole (ED) on this frame",
    ),
    spec(
        A::MarkEndSystole,
        "ES",
        &[plain(Key::S)],
        "Mark / unmark end-systole (ES) on this frame",
    ),
    spec(
        A::ToggleLoop,
        "Loop",
        &[plain(Key::L)],
        "Loop playback on / off",
    ),
    spec(
        A::NextStructure,
        "Next structure",
        &[plain(Key::Tab)],
        "Next structure",
    ),
    spec(
        A::Structure(0),
        "Structure 1",
        &[plain(Key::Num1)],
        "Structure 1 (LV endocardium)",
    ),
    spec(
        A::Structure(1),
        "Structure 2",
        &[plain(Key::Num2)],
        "Structure 2 (myocardium)",
    ),
    spec(
        A::Structure(2),
        "Structure 3",
        &[plain(Key::Num3)],
        "Structure 3 (left atrium)",
    ),
    spec(
        A::ToggleStructureVisibility,
        "Show",
        &[plain(Key::H)],
        "Hide / show the structure",
    ),
    spec(
        A::EditTool,
        "Edit",
        &[plain(Key::V)],
        "Edit tool: drag points, click an edge to insert",
    ),
    spec(
        A::PenTool,
        "Pen",
        &[plain(Key::P)],
        "Pen: click points, click the first or Enter to close",
    ),
    spec(
        A::BrushTool,
        "Brush",
        &[plain(Key::B)],
        "Brush: paint the structure's mask",
    ),
    spec(
        A::EraserTool,
        "Eraser",
        &[plain(Key::E)],
        "Eraser: erase from the mask",
    ),
    spec(
        A::BrushSmaller,
        "Smaller brush",
        &[plain(Key::OpenBracket)],
        "Smaller brush",
    ),
    spec(
        A::BrushLarger,
        "Larger brush",
        &[plain(Key::CloseBracket)],
        "Larger brush",
    ),
    spec(
        A::ClosePen,
        "Close pen",
        &[plain(Key::Enter)],
        "Close the pen contour",
    ),
    spec(
        A::Cancel,
        "Cancel",
        &[plain(Key::Escape)],
        "Cancel the pen contour / close this help",
    ),
    spec(A::Smooth, "Smooth", &[plain(Key::M)], "Smooth the contour"),
    spec(
        A::CopyFromOtherKeyFrame,
        "Copy from other key frame",
        &[plain(Key::C)],
        "Copy contours from the other key frame",
    ),
    spec(
        A::DeleteSelection,
        "Delete point",
        &[plain(Key::Delete), plain(Key::Backspace)],
        "Delete the selected point (the contour if none; the last point while drawing with the pen)",
    ),
    spec(
        A::DeleteContour,
        "Delete contour",
        &[],
        "Delete this structure's contour on this frame",
    ),
    spec(
        A::AcceptFrame,
        "Accept frame",
        &[command(Key::Enter)],
        "Accept this frame's contours (submit)",
    ),
    spec(
        A::Undo,
        "Undo",
        &[command(Key::Z)],
        "Undo the last change to this clip",
    ),
    spec(
        A::Redo,
        "Redo",
        &[
            KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z),
            command(Key::Y),
        ],
        "Redo what was undone",
    ),
    spec(
        A::FitView,
        "Fit",
        &[plain(Key::F)],
        "Fit the image to the view",
    ),
    spec(
        A::ResetWindowLevel,
        "Reset window/level",
        &[],
        "Back to the full grey range",
    ),
    spec(
        A::ProposeContours,
        "Propose contours",
        &[plain(Key::R)],
        "Model: propose contours on this frame",
    ),
    spec(
        A::ProposeKeyFrames,
        "Propose ED/ES",
        &[plain(Key::K)],
        "Model: propose the ED and ES frames of this clip",
    ),
    spec(
        A::Train,
        "Train new version",
        &[],
        "Train on the finished (submitted or accepted) contours of this project",
    ),
    spec(
        A::NextQueued,
        "Next queued frame",
        &[plain(Key::N)],
        "Active learning: open the next frame of the annotation queue",
    ),
    spec(
        A::ToggleUncertainty,
        "Show uncertainty map",
        &[plain(Key::U)],
        "Active learning: show or hide the uncertainty map",
    ),
    spec(
        A::ToggleLearning,
        "Active learning",
        &[],
        "Rounds, the annotation queue, pseudo-label review and progress",
    ),
    spec(
        A::ToggleStudy,
        "Study",
        &[],
        "People and roles, assignments, blind collections, progress, time per frame, which labels train",
    ),
    spec(
        A::ToggleAgreement,
        "Agreement",
        &[],
        "How much the readers agree (Dice, distances in mm, ED/ES frames) and the consensus",
    ),
    spec(
        A::NewProject,
        "New project…",
        &[],
        "Make a project in an empty folder",
    ),
    spec(
        A::OpenProject,
        "Open project…",
        &[],
        "Open an EchoLabel project folder",
    ),
    spec(
        A::OpenDemo,
        "Open demo project",
        &[],
        "Open the built-in demo project (made on first use)",
    ),
    spec(
        A::ImportFolder,
        "Import DICOM folder…",
        &[],
        "Add every DICOM clip of a folder to this project",
    ),
    spec(
        A::Export,
        "Export annotations…",
        &[],
        "Write the annotations as DICOM SEG, NIfTI, CAMUS, nnU-Net, PNG or CSV",
    ),
    spec(
        A::ChangeAnnotator,
        "Change annotator…",
        &[],
        "Choose who is annotating",
    ),
    spec(A::Quit, "Quit", &[], "Save everything and close EchoLabel"),
    spec(
        A::Help,
        "Keyboard shortcuts",
        &[plain(Key::F1)],
        "Show / hide this help",
    ),
];

impl Action {
    /// This action's line of the table. Every action has one (a test checks
    /// it); structures past the third, which have no key, get a blank line.
    pub fn spec(self) -> &'static ActionSpec {
        const UNLISTED: ActionSpec = spec(Action::NextStructure, "", &[], "");
        ACTIONS
            .iter()
            .find(|s| s.action == self)
            .unwrap_or(&UNLISTED)
    }

    /// The first key that does this, as the overlay writes it.
    pub fn key_text(self) -> Option<String> {
        self.spec().keys.first().map(describe)
    }

    /// The name with its key, for buttons that show it: "Pen (P)".
    pub fn name_with_key(self) -> String {
        match self.key_text() {
            Some(key) => format!("{} ({key})", self.spec().name),
            None => self.spec().name.to_string(),
        }
    }

    /// The help text with its key, for tooltips: "Smooth the contour (M)".
    pub fn tooltip(self) -> String {
        let spec = self.spec();
        match self.key_text() {
            Some(key) => format!("{} ({key})", spec.help),
            None => spec.help.to_string(),
        }
    }

    /// A button named after the action, with its tooltip, that sends it.
    pub fn button(self, ui: &mut egui::Ui, enabled: bool, commands: &CommandSender) {
        self.button_labelled(ui, self.spec().name, enabled, commands);
    }

    /// The same with another label (a state the button shows, like Play or Pause).
    pub fn button_labelled(
        self,
        ui: &mut egui::Ui,
        label: impl Into<egui::WidgetText>,
        enabled: bool,
        commands: &CommandSender,
    ) {
        if ui
            .add_enabled(enabled, egui::Button::new(label))
            .on_hover_text(self.tooltip())
            .clicked()
        {
            commands.send(Command::Do(self));
        }
    }

    /// A menu item with the key on its right.
    pub fn menu_item(self, ui: &mut egui::Ui, enabled: bool, commands: &CommandSender) {
        let spec = self.spec();
        let mut button = egui::Button::new(spec.name);
        if let Some(key) = self.key_text() {
            button = button.shortcut_text(key);
        }
        if ui
            .add_enabled(enabled, button)
            .on_hover_text(spec.help)
            .clicked()
        {
            commands.send(Command::Do(self));
        }
    }
}

/// The key combination as the overlay and tooltips write it.
pub fn describe(keys: &KeyboardShortcut) -> String {
    let mut parts = Vec::new();
    if keys.modifiers.command || keys.modifiers.ctrl {
        parts.push("Ctrl".to_string());
    }
    if keys.modifiers.shift {
        parts.push("Shift".to_string());
    }
    // Punctuation reads better as itself ("[" rather than "OpenBracket").
    let symbol = keys.logical_key.symbol_or_name();
    let punctuation = symbol.len() == 1 && symbol.chars().all(|c| c.is_ascii_punctuation());
    parts.push(
        if punctuation {
            symbol
        } else {
            keys.logical_key.name()
        }
        .to_string(),
    );
    parts.join("+")
}

/// Every (key, action) pair, the most modifiers first: egui matches a plain
/// key even while Shift is held, so Shift+← must be tried before ←. Built
/// once; the keys are looked at every frame.
static BINDINGS: LazyLock<Vec<(KeyboardShortcut, Action)>> = LazyLock::new(bindings);

fn bindings() -> Vec<(KeyboardShortcut, Action)> {
    let mut bindings: Vec<(KeyboardShortcut, Action)> = ACTIONS
        .iter()
        .flat_map(|s| s.keys.iter().map(|k| (*k, s.action)))
        .collect();
    let modifier_count = |k: &KeyboardShortcut| {
        let m = k.modifiers;
        usize::from(m.command || m.ctrl) + usize::from(m.shift) + usize::from(m.alt)
    };
    bindings.sort_by_key(|(k, _)| std::cmp::Reverse(modifier_count(k)));
    bindings
}

/// The actions whose keys were pressed this frame (each key consumed once).
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    ctx.input_mut(|input| {
        BINDINGS
            .iter()
            .filter(|(keys, _)| input.consume_shortcut(keys))
            .map(|(_, action)| *action)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action; the match makes a new variant fail to compile here
    /// until it is listed (and so checked against the table).
    fn every_action() -> Vec<Action> {
        let all = vec![
            A::PlayPause,
            A::PreviousFrame,
            A::NextFrame,
            A::PreviousKeyFrame,
            A::NextKeyFrame,
            A::PreviousClip,
            A::NextClip,
            A::MarkEndDiastole,
            A::MarkEndSystole,
            A::NextStructure,
            A::Structure(0),
            A::Structure(1),
            A::Structure(2),
            A::EditTool,
            A::PenTool,
            A::BrushTool,
            A::EraserTool,
            A::BrushSmaller,
            A::BrushLarger,
            A::Smooth,
            A::CopyFromOtherKeyFrame,
            A::DeleteSelection,
            A::DeleteContour,
            A::ToggleStructureVisibility,
            A::AcceptFrame,
            A::ClosePen,
            A::Cancel,
            A::Undo,
            A::Redo,
            A::FitView,
            A::ResetWindowLevel,
            A::ToggleLoop,
            A::ProposeContours,
            A::ProposeKeyFrames,
            A::Train,
            A::ToggleUncertainty,
            A::NextQueued,
            A::ToggleLearning,
            A::ToggleStudy,
            A::ToggleAgreement,
            A::NewProject,
            A::OpenProject,
            A::OpenDemo,
            A::ImportFolder,
            A::Export,
            A::ChangeAnnotator,
            A::Quit,
            A::Help,
        ];
        for action in &all {
            match action {
                A::PlayPause
                | A::PreviousFrame
                | A::NextFrame
                | A::PreviousKeyFrame
                | A::NextKeyFrame
                | A::PreviousClip
                | A::NextClip
                | A::MarkEndDiastole
                | A::MarkEndSystole
                | A::NextStructure
                | A::Structure(_)
                | A::EditTool
                | A::PenTool
                | A::BrushTool
                | A::EraserTool
                | A::BrushSmaller
                | A::BrushLarger
                | A::Smooth
                | A::CopyFromOtherKeyFrame
                | A::DeleteSelection
                | A::DeleteContour
                | A::ToggleStructureVisibility
                | A::AcceptFrame
                | A::ClosePen
                | A::Cancel
                | A::Undo
                | A::Redo
                | A::FitView
                | A::ResetWindowLevel
                | A::ToggleLoop
                | A::ProposeContours
                | A::ProposeKeyFrames
                | A::Train
                | A::ToggleUncertainty
                | A::NextQueued
                | A::ToggleLearning
                | A::ToggleStudy
                | A::ToggleAgreement
                | A::NewProject
                | A::OpenProject
                | A::OpenDemo
                | A::ImportFolder
                | A::Export
                | A::ChangeAnnotator
                | A::Quit
                | A::Help => {}
            }
        }
        all
    }

    #[test]
    fn every_action_has_exactly_one_line() {
        for action in every_action() {
            let lines = ACTIONS.iter().filter(|s| s.action == action).count();
            assert_eq!(lines, 1, "{action:?} is described {lines} times");
        }
        assert_eq!(ACTIONS.len(), every_action().len());
    }

    #[test]
    fn no_key_does_two_things() {
        let bindings = bindings();
        for (i, (key, action)) in bindings.iter().enumerate() {
            for (other_key, other) in &bindings[i + 1..] {
                assert!(
                    key != other_key,
                    "{} is bound to {action:?} and {other:?}",
                    describe(key)
                );
            }
        }
    }

    #[test]
    fn keys_with_modifiers_are_tried_before_plain_ones() {
        let bindings = bindings();
        let shifted = bindings
            .iter()
            .position(|(_, a)| *a == Action::PreviousKeyFrame)
            .unwrap();
        let plain = bindings
            .iter()
            .position(|(_, a)| *a == Action::PreviousFrame)
            .unwrap();
        assert!(shifted < plain);
    }

    #[test]
    fn a_tooltip_names_the_key_of_the_table() {
        assert_eq!(Action::Smooth.tooltip(), "Smooth the contour (M)");
        assert_eq!(
            Action::Redo.tooltip(),
            "Redo what was undone (Ctrl+Shift+Z)"
        );
        assert_eq!(Action::Quit.key_text(), None);
        assert_eq!(Action::BrushLarger.key_text().as_deref(), Some("]"));
        assert_eq!(
            Action::PreviousKeyFrame.key_text().as_deref(),
            Some("Shift+Left")
        );
    }
}
