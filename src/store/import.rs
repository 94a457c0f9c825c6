//! Importing a folder of DICOM files into a collection: recursive, deduplicated
//! by SOP Instance UID, bad files recorded and skipped, one transaction per
//! file, and resumable: an interrupted import of the same folder into the same
//! collection picks up where it stopped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::catalog::{Catalogued, add_to_collection, catalogue_clip, collection_id};
use super::{DICOM_DIR, Project, StoreError, audit};
use crate::dicom::{Clip, dicom_candidates};

/// The `import_files.message` of a duplicate whose path was updated.
const RELOCATED: &str = "relocated";

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Copy each file into the project's `dicom/` folder instead of referring to it.
    pub copy_into_project: bool,
}

/// The outcome of an import (cumulative over resumed runs).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub duplicates: u64,
    /// Duplicates whose stored file had gone: the clip now points at the new copy.
    pub relocated: u64,
    /// `(file, reason)` for each file that could not be imported.
    pub failed: Vec<(PathBuf, String)>,
    /// Whether the run stopped early because it was cancelled.
    pub cancelled: bool,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, duplicates {}, failed {}",
            self.imported,
            self.duplicates,
            self.failed.len()
        )
    }
}

/// Imports every DICOM candidate under `folder` into collection `collection`.
/// `progress(done, total, file)` is called before each file; setting `cancel`
/// stops after the file in hand (what is done stays committed).
pub fn import_folder(
    project: &mut Project,
    folder: &Path,
    collection: &str,
    options: &ImportOptions,
    mut progress: impl FnMut(usize, usize, &Path),
    cancel: &AtomicBool,
) -> Result<ImportSummary, StoreError> {
    let folder = folder.canonicalize().map_err(|source| StoreError::Io {
        path: folder.to_path_buf(),
        source,
    })?;
    let root_text = folder.to_string_lossy().into_owned();
    let (collection_id, import_id) = project.write(|tx| {
        let collection_id = collection_id(tx, collection)?;
        let unfinished: Option<i64> = tx
            .query_row(
                "SELECT id FROM imports WHERE root = ?1 AND collection_id = ?2 AND finished_at IS NULL
                 ORDER BY id DESC LIMIT 1",
                params![root_text, collection_id],
                |row| row.get(0),
            )
            .optional()?;
        let import_id = match unfinished {
            Some(id) => id,
            None => {
                tx.execute(
                    "INSERT INTO imports (root, collection_id) VALUES (?1, ?2)",
                    params![root_text, collection_id],
                )?;
                tx.last_insert_rowid()
            }
        };
        Ok((collection_id, import_id))
    })?;
    let already_done: std::collections::HashSet<String> = {
        let mut statement = project
            .conn
            .prepare("SELECT path FROM import_files WHERE import_id = ?1")?;
        let rows = statement.query_map([import_id], |row| row.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let project_root = project.root().to_path_buf();
    let candidates = dicom_candidates(&folder);
    let total = candidates.len();
    let mut cancelled = false;
    for (done, candidate) in candidates.into_iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break;
        }
        let path = match &candidate {
            Ok(path) => path.clone(),
            Err(error) => error.path().to_path_buf(),
        };
        let path_text = path.to_string_lossy().into_owned();
        if already_done.contains(&path_text) {
            continue;
        }
        progress(done, total, &path);
        let prepared = candidate
            .map_err(|e| e.to_string())
            .and_then(|path| prepare_file(project, &path, options));
        project.write(|tx| {
            let (outcome, message) = match &prepared {
                Err(message) => ("failed", Some(message.clone())),
                Ok(file) => {
                    let catalogued = catalogue_clip(
                        tx,
                        &project_root,
                        &file.info,
                        &file.stored_path,
                        file.size,
                        &file.hash,
                    )?;
                    let (id, outcome, message) = match catalogued {
                        Catalogued::New(id) => (id, "imported", None),
                        Catalogued::Known { id, moved } => (id, "duplicate", moved.then(|| RELOCATED.to_string())),
                    };
                    add_to_collection(tx, collection_id, id)?;
                    (outcome, message)
                }
            };
            tx.execute(
                "INSERT OR REPLACE INTO import_files (import_id, path, outcome, message) VALUES (?1, ?2, ?3, ?4)",
                params![import_id, path_text, outcome, message],
            )?;
            Ok(())
        })?;
    }
    project.write(|tx| {
        if !cancelled {
            tx.execute(
                "UPDATE imports SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                [import_id],
            )?;
        }
        audit(
            tx,
            None,
            if cancelled { "import_paused" } else { "import_finished" },
            "import",
            Some(import_id),
            &serde_json::json!({ "root": root_text, "collection_id": collection_id }),
        )
    })?;
    let mut summary = summary_of(project, import_id)?;
    summary.cancelled = cancelled;
    Ok(summary)
}

struct PreparedFile {
    info: crate::dicom::ClipInfo,
    stored_path: PathBuf,
    size: u64,
    hash: String,
}

/// Reads, validates, hashes (and copies) one file, outside any transaction.
fn prepare_file(
    project: &Project,
    path: &Path,
    options: &ImportOptions,
) -> Result<PreparedFile, String> {
    let info = Clip::read_info(path, project.salt()).map_err(|e| e.to_string())?;
    let (size, hash) = hash_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stored_path = if options.copy_into_project {
        let relative = Path::new(DICOM_DIR).join(format!("{}.dcm", info.sop_instance_uid));
        let target = project.root().join(&relative);
        copy_atomically(path, &target)
            .map_err(|e| format!("{}: cannot copy into the project: {e}", path.display()))?;
        relative
    } else {
        path.to_path_buf()
    };
    Ok(PreparedFile {
        info,
        stored_path,
        size,
        hash,
    })
}

/// Size and SHA-256 (hex) of a file's content.
pub(super) fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        size += read as u64;
        hasher.update(&buffer[..read]);
    }
    Ok((
        size,
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    ))
}

/// Copies through a temporary file so a crash never leaves half a file under the final name.
fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = to.with_extension("partial");
    std::fs::copy(from, &temporary)?;
    std::fs::File::open(&temporary)?.sync_all()?;
    std::fs::rename(&temporary, to)
}

fn summary_of(project: &Project, import_id: i64) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let mut statement = project.conn.prepare(
        "SELECT path, outcome, message FROM import_files WHERE import_id = ?1 ORDER BY path",
    )?;
    let mut rows = statement.query([import_id])?;
    while let Some(row) = rows.next()? {
        let outcome: String = row.get(1)?;
        match outcome.as_str() {
            "imported" => summary.imported += 1,
            "duplicate" => {
                summary.duplicates += 1;
                summary.relocated +=
                    u64::from(row.get::<_, Option<String>>(2)?.as_deref() == Some(RELOCATED));
            }
            _ => summary.failed.push((
                PathBuf::from(row.get::<_, String>(0)?),
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            )),
        }
    }
    Ok(summary)
}
