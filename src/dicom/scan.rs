//! Recursive folder scans: every DICOM candidate is read, and a bad file is
//! reported beside the good ones instead of stopping the scan.

use std::path::{Path, PathBuf};

use super::{Clip, ClipError, ClipInfo, PatientSalt};

/// The outcome for one file of a scan.
#[derive(Debug)]
pub struct ScanEntry {
    pub path: PathBuf,
    pub result: Result<ClipInfo, ClipError>,
}

/// Extensions that mark a DICOM file; files without an extension are DICOM
/// candidates too (PACS exports often have none).
const DICOM_EXTENSIONS: [&str; 3] = ["dcm", "dicom", "dic"];

/// The files under `root` (or `root` itself) that may be DICOM, sorted by path.
///
/// A file counts when it has a DICOM extension, no extension, or the "DICM"
/// marker, so a README or a PNG beside the clips is not reported as broken.
/// A folder that cannot be listed yields an error entry.
pub fn dicom_candidates(root: &Path) -> Vec<Result<PathBuf, ClipError>> {
    if root.is_file() {
        return vec![Ok(root.to_path_buf())];
    }
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                if is_candidate(entry.path()) {
                    found.push(Ok(entry.into_path()));
                }
            }
            Ok(_) => {}
            Err(error) => {
                let path = error.path().unwrap_or(root).to_path_buf();
                found.push(Err(ClipError::Io {
                    path,
                    source: error
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("file system loop")),
                }));
            }
        }
    }
    found
}

fn is_candidate(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) if DICOM_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(ext)) => true,
        Some(_) => has_dicm_marker(path),
    }
}

fn has_dicm_marker(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 132];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head[128..] == b"DICM")
}

/// Reads the metadata of every DICOM candidate under `root`, in parallel.
pub fn scan(root: &Path, salt: &PatientSalt) -> Vec<ScanEntry> {
    use rayon::prelude::*;
    dicom_candidates(root)
        .into_par_iter()
        .map(|candidate| match candidate {
            Ok(path) => ScanEntry {
                result: Clip::read_info(&path, salt),
                path,
            },
            Err(error) => ScanEntry {
                path: error.path().to_path_buf(),
                result: Err(error),
            },
        })
        .collect()
}
