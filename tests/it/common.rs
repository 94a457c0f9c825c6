//! Paths and fixtures shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `../shared/data` beside the repository, or `ECHOLABEL_SHARED_DATA`.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("ECHOLABEL_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        dir.join("dicom/manifest.json").is_file(),
        "the shared test data is missing at {} (set ECHOLABEL_SHARED_DATA)",
        dir.display()
    );
    dir
}

pub fn dicom_dir() -> PathBuf {
    shared_data().join("dicom")
}

/// Runs the built `echolabel` binary.
pub fn echolabel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(args)
        .output()
        .expect("the echolabel binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
