//! The dependency rules ARCHITECTURE.md states, checked on the sources: a
//! rule only written down is soon broken.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("a source file reads");
            (e.path().to_path_buf(), text)
        })
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The files under `src/` (outside `except`) whose text contains `needle`.
fn offenders(needle: &str, within: &str, except: Option<&str>) -> Vec<String> {
    let root = src();
    sources(&root.join(within))
        .into_iter()
        .filter(|(path, _)| except.is_none_or(|e| !path.starts_with(root.join(e))))
        .filter(|(_, text)| text.contains(needle))
        .map(|(path, _)| path.strip_prefix(&root).unwrap().display().to_string())
        .collect()
}

#[test]
fn only_the_desktop_uses_the_ui_toolkit() {
    let found = offenders("egui", "", Some("app"));
    assert!(found.is_empty(), "egui outside src/app: {found:?}");
    let found = offenders("eframe", "", Some("app"));
    assert!(found.is_empty(), "eframe outside src/app: {found:?}");
}

#[test]
fn the_model_library_does_not_know_the_project_store() {
    let found = offenders("crate::store", "model", None);
    assert!(found.is_empty(), "src/model uses the store: {found:?}");
}

#[test]
fn errors_keep_their_type_until_a_person_reads_them() {
    let found = offenders("map_err(|e| e.to_string())", "", None);
    assert!(found.is_empty(), "errors flattened to text in: {found:?}");
}

#[test]
fn files_stay_small_enough_to_read() {
    for (path, text) in sources(&src()) {
        let lines = text.lines().count();
        let limit = if path.ends_with("app/mod.rs") {
            500
        } else {
            700
        };
        assert!(
            lines <= limit,
            "{} has {lines} lines (at most {limit})",
            path.display()
        );
    }
}
