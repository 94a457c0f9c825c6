//! Importing a folder of DICOM files into a collection: recursive, deduplicated
//! by SOP Instance UID and content, bad files recorded and skipped, one
//! transaction per file, and resumable: an interrupted import of the same
//! folder into the same collection picks up where it stopped.
//!
//! Nothing here writes a path in clear into the database: the import root and
//! each file are recognised by keyed tags, and a failed file's path is sealed
//! (see [`super::key`]). A copy into the project is de-identified and named by
//! the original's content hash, and is made only once the catalogue has
//! decided the file is new, so no header value can choose where it is written
//! and no import can replace the file of a clip already annotated.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::access::Permission;
use super::catalog::{Catalogued, add_to_collection, catalogue_clip, collection_id, known};
use super::key::{is_protected, seal, tag, unseal};
use super::{DICOM_DIR, Project, StoreError, audit};
use crate::dicom::{
    Clip, ClipError, ClipInfo, DeidentifyError, PatientSalt, deidentify_file, dicom_candidates,
};

/// The `import_files.message` of a duplicate whose path was updated.
const RELOCATED: &str = "relocated";

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Copy each new file, de-identified, into the project's `dicom/` folder
    /// instead of referring to it where it is.
    pub copy_into_project: bool,
}

/// The outcome of an import (cumulative over resumed runs).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub duplicates: u64,
    /// Duplicates whose stored file had gone: the clip now points at the new copy.
    pub relocated: u64,
    /// `(file, reason)` for each file whose SOP Instance UID is already a clip
    /// with other content: it was not imported, and the clip kept its file.
    pub conflicts: Vec<(PathBuf, String)>,
    /// `(file, reason)` for each file that could not be imported.
    pub failed: Vec<(PathBuf, String)>,
    /// Whether the run stopped early because it was cancelled.
    pub cancelled: bool,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, duplicates {}, conflicts {}, failed {}",
            self.imported,
            self.duplicates,
            self.conflicts.len(),
            self.failed.len()
        )
    }
}

/// Imports every DICOM candidate under `folder` into collection `collection`.
/// `progress(done, total, file)` is called before each file; setting `cancel`
/// stops after the file in hand (what is done stays committed). Importing is
/// for an admin (`by`).
pub fn import_folder(
    project: &mut Project,
    by: i64,
    folder: &Path,
    collection: &str,
    options: &ImportOptions,
    mut progress: impl FnMut(usize, usize, &Path),
    cancel: &AtomicBool,
) -> Result<ImportSummary, StoreError> {
    project.require(by, Permission::Administer, "import clips")?;
    let folder = folder.canonicalize().map_err(|source| StoreError::Io {
        path: folder.to_path_buf(),
        source,
    })?;
    let key = project.salt.clone();
    let root_tag = tag(&key, &folder.to_string_lossy());
    let (collection_id, import_id) = project.write(|tx| {
        let collection_id = collection_id(tx, collection)?;
        let unfinished: Option<i64> = tx
            .query_row(
                "SELECT id FROM imports WHERE root = ?1 AND collection_id = ?2 AND finished_at IS NULL
                 ORDER BY id DESC LIMIT 1",
                params![root_tag, collection_id],
                |row| row.get(0),
            )
            .optional()?;
        let import_id = match unfinished {
            Some(id) => id,
            None => {
                tx.execute(
                    "INSERT INTO imports (root, collection_id) VALUES (?1, ?2)",
                    params![root_tag, collection_id],
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
        let file_tag = tag(&key, &path_text);
        if already_done.contains(&file_tag) {
            continue;
        }
        progress(done, total, &path);
        let prepared = candidate
            .map_err(FileError::from)
            .and_then(|path| prepare_file(project, &path, options));
        let root = project.root().to_path_buf();
        project.write(|tx| {
            let (outcome, message) = match &prepared {
                Err(error) => ("failed", Some(error.to_string())),
                Ok(file) => record_file(tx, &key, &root, collection_id, file)?,
            };
            let (file, message) = match outcome {
                "failed" | "conflict" => (
                    Some(seal(&key, &path_text)),
                    message.map(|m| seal(&key, &m)),
                ),
                _ => (None, message),
            };
            tx.execute(
                "INSERT OR REPLACE INTO import_files (import_id, path, outcome, message, file)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![import_id, file_tag, outcome, message, file],
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
            &serde_json::json!({ "collection_id": collection_id }),
        )
    })?;
    let mut summary = summary_of(project, import_id)?;
    summary.cancelled = cancelled;
    Ok(summary)
}

/// Catalogues a read file: its `import_files` outcome and message.
fn record_file(
    tx: &Transaction<'_>,
    key: &PatientSalt,
    root: &Path,
    collection_id: i64,
    file: &PreparedFile,
) -> Result<(&'static str, Option<String>), StoreError> {
    let catalogued = catalogue_clip(
        tx,
        key,
        root,
        &file.info,
        &file.stored_path,
        file.size,
        &file.hash,
    )?;
    let (id, outcome, message) = match catalogued {
        Catalogued::New(id) => (id, "imported", None),
        Catalogued::Known { id, moved } => (id, "duplicate", moved.then(|| RELOCATED.to_string())),
        Catalogued::Conflict { id } => {
            return Ok((
                "conflict",
                Some(format!(
                    "{}: SOP Instance UID {} is already clip {id}, whose file has other content; not imported, clip {id} keeps its file",
                    file.info.path.display(),
                    file.info.sop_instance_uid
                )),
            ));
        }
    };
    add_to_collection(tx, collection_id, id)?;
    Ok((outcome, message))
}

/// Why one file was not imported; its text is what the import report keeps.
#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error(transparent)]
    Clip(#[from] ClipError),
    #[error("{}: {source}", path.display())]
    Hash {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot write a de-identified copy into the project: {source}", path.display())]
    Copy {
        path: PathBuf,
        #[source]
        source: CopyError,
    },
}

/// Why a de-identified copy could not be written.
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Deidentify(#[from] DeidentifyError),
}

struct PreparedFile {
    info: ClipInfo,
    /// Absolute (the file where it is) or relative to the project (its copy).
    stored_path: PathBuf,
    size: u64,
    hash: String,
}

/// Reads, validates and hashes one file, outside any transaction; copies it
/// (de-identified) into the project only if the catalogue would point at it.
fn prepare_file(
    project: &Project,
    path: &Path,
    options: &ImportOptions,
) -> Result<PreparedFile, FileError> {
    let info = Clip::read_info(path, project.salt())?;
    let (size, hash) = hash_file(path).map_err(|source| FileError::Hash {
        path: path.to_path_buf(),
        source,
    })?;
    let stored_path = if options.copy_into_project
        && known(
            &project.conn,
            project.salt(),
            project.root(),
            &info.sop_instance_uid,
            &hash,
        )?
        .needs_file()
    {
        let relative = Path::new(DICOM_DIR).join(format!("{hash}.dcm"));
        let target = project.root().join(&relative);
        // Named by content: an existing copy is this file's, written whole.
        if !target.is_file() {
            copy_deidentified(path, &target, project.salt()).map_err(|source| FileError::Copy {
                path: path.to_path_buf(),
                source,
            })?;
        }
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

/// Writes the de-identified copy through a temporary file, so a crash never
/// leaves half a file under the final name.
fn copy_deidentified(from: &Path, to: &Path, key: &PatientSalt) -> Result<(), CopyError> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Per process: two imports of the same new file must not share a temporary.
    let temporary = to.with_extension(format!("partial{}", std::process::id()));
    let written = deidentify_file(from, &temporary, key)
        .map_err(CopyError::from)
        .and_then(|()| {
            std::fs::File::open(&temporary)
                .and_then(|file| file.sync_all())
                .and_then(|()| std::fs::rename(&temporary, to))
                .map_err(CopyError::from)
        });
    if written.is_err() {
        // Best effort: a leftover temporary is never read, only untidy.
        let _ = std::fs::remove_file(&temporary);
    }
    written
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

fn summary_of(project: &Project, import_id: i64) -> Result<ImportSummary, StoreError> {
    let key = project.salt();
    let mut summary = ImportSummary::default();
    let mut statement = project
        .conn
        .prepare("SELECT outcome, message, file FROM import_files WHERE import_id = ?1")?;
    let mut rows = statement.query([import_id])?;
    while let Some(row) = rows.next()? {
        let outcome: String = row.get(0)?;
        let message: Option<String> = row.get(1)?;
        let opened = |stored: Option<String>| {
            stored
                .map(|s| unseal(key, &s).unwrap_or_else(|| "(sealed with another key)".into()))
                .unwrap_or_default()
        };
        match outcome.as_str() {
            "imported" => summary.imported += 1,
            "duplicate" => {
                summary.duplicates += 1;
                summary.relocated += u64::from(message.as_deref() == Some(RELOCATED));
            }
            "conflict" => summary
                .conflicts
                .push((PathBuf::from(opened(row.get(2)?)), opened(message))),
            _ => summary
                .failed
                .push((PathBuf::from(opened(row.get(2)?)), opened(message))),
        }
    }
    summary.conflicts.sort();
    summary.failed.sort();
    Ok(summary)
}

/// Seals or tags the paths that versions before 4 kept in clear: clip paths
/// outside the project, import roots, and the files of past imports. Runs
/// once, in the transaction that moves the salt out of the database.
pub(super) fn protect_legacy_paths(
    tx: &Transaction<'_>,
    key: &PatientSalt,
) -> Result<(), StoreError> {
    let clear = |sql: &str| -> Result<Vec<(i64, String)>, StoreError> {
        let mut statement = tx.prepare(sql)?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows
            .collect::<Result<Vec<(i64, String)>, _>>()?
            .into_iter()
            .filter(|(_, text)| !is_protected(text))
            .collect())
    };
    for (id, path) in clear("SELECT id, path FROM clips")? {
        if Path::new(&path).is_absolute() {
            tx.execute(
                "UPDATE clips SET path = ?1 WHERE id = ?2",
                params![seal(key, &path), id],
            )?;
        }
    }
    for (id, root) in clear("SELECT id, root FROM imports")? {
        tx.execute(
            "UPDATE imports SET root = ?1 WHERE id = ?2",
            params![tag(key, &root), id],
        )?;
    }
    for (rowid, path) in clear("SELECT rowid, path FROM import_files")? {
        tx.execute(
            "UPDATE import_files SET path = ?1, file = ?2,
                message = CASE WHEN outcome = 'failed' AND message IS NOT NULL THEN ?3 ELSE message END
             WHERE rowid = ?4",
            params![
                tag(key, &path),
                seal(key, &path),
                // Sealed whole: a reader's message names the file.
                tx.query_row(
                    "SELECT message FROM import_files WHERE rowid = ?1",
                    [rowid],
                    |row| row.get::<_, Option<String>>(0),
                )?
                .map(|m| seal(key, &m)),
                rowid
            ],
        )?;
    }
    Ok(())
}
