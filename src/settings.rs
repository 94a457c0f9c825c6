//! What the app remembers between runs: the last project, recent projects and
//! who annotated last in each. Kept as a small JSON file in the user's config
//! folder (or under `ECHOLABEL_HOME`, which tests and portable installs set),
//! written atomically so a crash never leaves half a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Overrides the folders below: config in `$ECHOLABEL_HOME/config`, data in `$ECHOLABEL_HOME/data`.
pub const HOME_ENV: &str = "ECHOLABEL_HOME";
const FILE: &str = "settings.json";
const RECENT_LIMIT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub last_project: Option<PathBuf>,
    /// Most recent first.
    pub recent_projects: Vec<PathBuf>,
    /// The annotator chosen last, per project folder.
    pub annotator_by_project: BTreeMap<PathBuf, String>,
}

impl Settings {
    /// Reads the settings kept in `dir`; a missing or unreadable file gives
    /// the defaults (settings are a convenience, never a reason not to start).
    pub fn load_from(dir: &Path) -> Settings {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the settings into `dir` through a temporary file and a rename.
    pub fn save_to(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!("{FILE}.tmp"));
        let json = serde_json::to_vec_pretty(self).expect("settings serialise");
        std::fs::write(&temporary, json)?;
        std::fs::rename(&temporary, dir.join(FILE))
    }

    /// Records `root` as the project in use.
    pub fn opened(&mut self, root: &Path) {
        self.last_project = Some(root.to_path_buf());
        self.recent_projects.retain(|p| p != root);
        self.recent_projects.insert(0, root.to_path_buf());
        self.recent_projects.truncate(RECENT_LIMIT);
    }
}

fn base(env_sub: &str, xdg: &str, home_sub: &str) -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV) {
        return PathBuf::from(home).join(env_sub);
    }
    if let Some(dir) = std::env::var_os(xdg).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("echolabel");
    }
    if let Some(dir) = std::env::var_os("APPDATA") {
        return PathBuf::from(dir).join("EchoLabel").join(env_sub);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(home_sub)
        .join("echolabel")
}

/// Where the settings file lives.
pub fn config_dir() -> PathBuf {
    base("config", "XDG_CONFIG_HOME", ".config")
}

/// Where the app keeps its own data (the demo project).
pub fn data_dir() -> PathBuf {
    base("data", "XDG_DATA_HOME", ".local/share")
}

/// The built-in demo project's folder.
pub fn demo_project_dir() -> PathBuf {
    data_dir().join("demo-project")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_projects_keep_the_newest_first_without_repeats() {
        let mut settings = Settings::default();
        for name in ["a", "b", "a", "c"] {
            settings.opened(Path::new(name));
        }
        assert_eq!(settings.last_project.as_deref(), Some(Path::new("c")));
        let recent: Vec<_> = settings
            .recent_projects
            .iter()
            .map(|p| p.to_str().unwrap())
            .collect();
        assert_eq!(recent, ["c", "a", "b"]);
    }

    #[test]
    fn settings_are_saved_atomically_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load_from(dir.path()), Settings::default());
        let mut settings = Settings::default();
        settings.opened(Path::new("/studies/pilot"));
        settings.save_to(dir.path()).unwrap();
        assert_eq!(Settings::load_from(dir.path()), settings);
        assert!(!dir.path().join("settings.json.tmp").exists());
        std::fs::write(dir.path().join(FILE), b"{ not json").unwrap();
        assert_eq!(Settings::load_from(dir.path()), Settings::default());
    }

    #[test]
    fn settings_round_trip_through_json_and_tolerate_missing_fields() {
        let mut settings = Settings::default();
        settings.opened(Path::new("/studies/pilot"));
        settings
            .annotator_by_project
            .insert("/studies/pilot".into(), "Ana".into());
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(serde_json::from_str::<Settings>(&json).unwrap(), settings);
        let partial: Settings = serde_json::from_str(r#"{"last_project": "/x"}"#).unwrap();
        assert_eq!(partial.last_project.as_deref(), Some(Path::new("/x")));
        assert!(partial.recent_projects.is_empty());
    }
}
