//! What the desktop remembers between runs about how a person likes to work:
//! the tool, each structure's colour and visibility, the fill opacity, the
//! brush size and the last values of the forms. Kept in eframe's storage
//! (which also keeps the panels' sizes and the window's place); every field
//! has a default, so a file from an older or newer version still loads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::learning::RoundForm;
use super::tools::Tool;

/// eframe's storage file, in the config folder beside the settings.
pub const STORAGE_FILE: &str = "desktop.ron";

/// The key of [`Preferences`] in eframe's storage.
const KEY: &str = "echolabel.preferences";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub tool: Tool,
    /// Brush radius in image pixels.
    pub brush_radius: f32,
    /// Fill opacity of the structure overlays.
    pub opacity: f32,
    /// Colour and visibility per structure name (templates share names).
    pub structures: BTreeMap<String, StructurePreference>,
    /// The import form's "copy the files into the project".
    pub import_copy: bool,
    /// The active-learning round form.
    pub round: RoundForm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructurePreference {
    /// sRGB with alpha.
    pub colour: [u8; 4],
    pub visible: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            tool: Tool::Edit,
            brush_radius: 6.0,
            opacity: 0.3,
            structures: BTreeMap::new(),
            import_copy: false,
            round: RoundForm::default(),
        }
    }
}

impl Preferences {
    /// The preferences in `storage`; the defaults when there are none or
    /// they cannot be read (preferences never stop the app from starting).
    pub fn load(storage: &dyn eframe::Storage) -> Preferences {
        eframe::get_value::<Preferences>(storage, KEY)
            .unwrap_or_default()
            .sanitised()
    }

    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, KEY, self);
    }

    /// Values a hand-edited file could make unusable, brought back in range.
    fn sanitised(mut self) -> Preferences {
        let defaults = Preferences::default();
        if !(1.0..=40.0).contains(&self.brush_radius) {
            self.brush_radius = defaults.brush_radius;
        }
        if !(0.0..=1.0).contains(&self.opacity) {
            self.opacity = defaults.opacity;
        }
        if !self.round.is_valid() {
            self.round = defaults.round;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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

    #[test]
    fn preferences_round_trip_through_storage() {
        let mut preferences = Preferences {
            tool: Tool::Brush,
            brush_radius: 12.5,
            opacity: 0.6,
            import_copy: true,
            ..Preferences::default()
        };
        preferences.structures.insert(
            "LV".into(),
            StructurePreference {
                colour: [1, 2, 3, 255],
                visible: false,
            },
        );
        let mut storage = Memory::default();
        preferences.store(&mut storage);
        assert_eq!(Preferences::load(&storage), preferences);
    }

    #[test]
    fn missing_unknown_and_absurd_values_fall_back_to_defaults() {
        let mut storage = Memory::default();
        assert_eq!(Preferences::load(&storage), Preferences::default());
        storage.0.insert(
            KEY.into(),
            "(tool: Pen, opacity: 7.0, brush_radius: -1.0, from_the_future: 3)".into(),
        );
        let loaded = Preferences::load(&storage);
        assert_eq!(loaded.tool, Tool::Pen);
        assert_eq!(loaded.opacity, Preferences::default().opacity);
        assert_eq!(loaded.brush_radius, Preferences::default().brush_radius);
        storage
            .0
            .insert(KEY.into(), "(round: (frames: 0, samples: 3))".into());
        assert_eq!(Preferences::load(&storage).round, RoundForm::default());
        storage.0.insert(KEY.into(), "not ron at all".into());
        assert_eq!(Preferences::load(&storage), Preferences::default());
    }
}
