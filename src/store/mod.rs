//! The project store: one SQLite database per project folder (WAL, foreign
//! keys, full sync), holding clips, collections, annotators, templates,
//! annotations with their revision history, key frames, model versions,
//! active-learning rounds and an append-only audit log.
//!
//! Every write runs in one `BEGIN IMMEDIATE` transaction together with its
//! audit entry, so a change is either wholly saved or not at all, and two
//! processes (the app and a CLI job) can share a project: the second writer
//! waits for the first instead of failing.

mod access;
mod annotations;
mod catalog;
mod consensus;
mod frame_times;
mod import;
pub mod journal;
pub mod key;
mod learning;
mod model;
mod people;
mod progress;
mod readers;
mod report;
mod review;
pub mod schema;
mod search;
mod training_labels;
mod work_review;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::dicom::PatientSalt;
use key::{KeyError, KeyRing};

pub use access::{MODEL_ANNOTATOR, Permission};
pub use annotations::{Annotation, AnnotationEdit, ContourKey, Geometry, KeyFrame, NewAnnotation};
pub use catalog::{ClipRecord, Collection};
pub use consensus::{ConsensusInput, ConsensusMethod, ConsensusRecord, NewConsensus};
pub use frame_times::FrameTimeRow;
pub use import::{ImportOptions, ImportSummary, import_folder};
pub use learning::{ModelVersion, NewRound, Round, RoundScore};
pub use model::{AnnotationKind, AnnotationStatus, KeyFrameKind, Role, SetBy, Source};
pub use people::{Annotator, Assignment, TaskTemplate, WorkUnit};
pub use progress::ClipProgress;
pub use readers::OthersWork;
pub use report::{ProgressRow, progress_report};
pub use review::PseudoLabelPolicy;
pub use search::{SearchHit, SearchQuery};
pub use training_labels::{LastResort, TrainingLabels};
pub use work_review::{ReturnedWork, ReviewDecision, ReviewRecord};

/// File name of the database inside a project folder.
pub const DATABASE_FILE: &str = "project.sqlite";
/// Folders a project keeps beside its database.
pub const CHECKPOINT_DIR: &str = "checkpoints";
pub const EXPORT_DIR: &str = "exports";
pub const DICOM_DIR: &str = "dicom";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: no EchoLabel project here (no {DATABASE_FILE})", path.display())]
    NotAProject { path: PathBuf },
    #[error(
        "this project was written by a newer EchoLabel (schema version {found}; this version reads up to {supported}); update EchoLabel to open it"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{what} {name:?} does not exist")]
    NotFound { what: &'static str, name: String },
    #[error("{0}")]
    Invalid(String),
    /// A write that would have changed nothing because newer work wins (a
    /// model's proposal over a person's contour): reported, never a silent `Ok`.
    #[error("not saved: {0}")]
    Conflict(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Why the project could not be opened, given to every read that asked
    /// meanwhile (hence shared).
    #[error(transparent)]
    NotOpen(Arc<StoreError>),
    /// An action the person's role does not allow (see [`access`]).
    #[error("{actor} ({role}) may not {action}: that is for {who}")]
    Refused {
        action: String,
        actor: String,
        role: Role,
        who: &'static str,
    },
    #[error("wrong passphrase for {name}")]
    WrongPassphrase { name: String },
    /// The thread that held the project has ended (see `jobs::StoreThread`).
    #[error("the project connection has closed")]
    Closed,
}

impl StoreError {
    /// Whether trying again later may succeed: the database is held by another
    /// process, the disk is full or the file cannot be reached right now. Other
    /// errors (a conflict, a missing clip) fail the same way every time.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            StoreError::Io { .. } => true,
            StoreError::NotOpen(error) => error.is_transient(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.code,
                ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::CannotOpen
                    | ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::ReadOnly
                    | ErrorCode::FileLockingProtocolFailed
            ),
            _ => false,
        }
    }
}

/// An open project.
pub struct Project {
    root: PathBuf,
    conn: Connection,
    /// The patient key, read from outside the database (see [`key`]).
    salt: PatientSalt,
    /// While a journal entry is applied: its journal and sequence number,
    /// recorded by every transaction the entry commits (see [`journal`]).
    journal_mark: Option<(String, u64)>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// Opens the project in `root`, creating it (folder, database, patient
    /// key) if missing; keys are found as [`KeyRing::from_env`] says.
    pub fn open_or_create(root: &Path) -> Result<Project, StoreError> {
        Self::open_or_create_with_keys(root, &KeyRing::from_env())
    }

    /// [`Project::open_or_create`] with the patient keys looked for in `keys`.
    pub fn open_or_create_with_keys(root: &Path, keys: &KeyRing) -> Result<Project, StoreError> {
        for dir in [
            root.to_path_buf(),
            root.join(CHECKPOINT_DIR),
            root.join(EXPORT_DIR),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io { path: dir, source })?;
        }
        Self::connect(root, OpenFlags::default(), keys)
    }

    /// Opens an existing project; upgrades an older schema in place.
    pub fn open(root: &Path) -> Result<Project, StoreError> {
        Self::open_with_keys(root, &KeyRing::from_env())
    }

    /// [`Project::open`] with the patient keys looked for in `keys`.
    pub fn open_with_keys(root: &Path, keys: &KeyRing) -> Result<Project, StoreError> {
        if !root.join(DATABASE_FILE).is_file() {
            return Err(StoreError::NotAProject {
                path: root.to_path_buf(),
            });
        }
        Self::connect(
            root,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            keys,
        )
    }

    fn connect(root: &Path, flags: OpenFlags, keys: &KeyRing) -> Result<Project, StoreError> {
        let mut conn = Connection::open_with_flags(root.join(DATABASE_FILE), flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Refuse a newer schema before touching anything else in the file.
        let found = schema::version(&conn)?;
        if found > schema::SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: schema::SCHEMA_VERSION,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a transaction reported committed survives a crash or power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Deleted rows (a migrated salt, paths kept in clear by older versions)
        // are overwritten with zeros instead of lingering in free pages.
        conn.pragma_update(None, "secure_delete", true)?;
        schema::migrate(&mut conn)?;
        let salt = project_key(&mut conn, keys)?;
        Ok(Project {
            root: root.to_path_buf(),
            conn,
            salt,
            journal_mark: None,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The key this project hashes patient identifiers with.
    pub fn salt(&self) -> &PatientSalt {
        &self.salt
    }

    /// `PRAGMA integrity_check`: `Ok` when the database file is sound.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!(
                "integrity check failed: {result}"
            )))
        }
    }

    /// How long a write waits for another process's transaction before it
    /// fails as transient; the desktop waits briefly and retries by itself.
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), StoreError> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    /// Runs `change` in one immediate write transaction and commits it; while
    /// a journal entry is being applied, the transaction also records it.
    fn write<T>(
        &mut self,
        change: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = change(&tx)?;
        if let Some((journal, seq)) = &self.journal_mark {
            journal::record_applied(&tx, journal, *seq)?;
        }
        tx.commit()?;
        Ok(value)
    }
}

impl Project {
    /// A project setting kept as JSON in `project_meta`, or its default when
    /// unset or unreadable (a setting written by a newer version).
    fn setting<T: serde::de::DeserializeOwned + Default>(
        &self,
        key: &str,
    ) -> Result<T, StoreError> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM project_meta WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()?;
        Ok(value
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }
}

/// Appends one audit entry inside the caller's transaction.
fn audit(
    tx: &Transaction<'_>,
    actor: Option<&str>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (actor, action, entity, entity_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![actor, action, entity, entity_id, detail.to_string()],
    )?;
    Ok(())
}

/// The project's patient key, found in `keys` by the fingerprint the database
/// records, or made (or taken from the admin's file) on first open. A salt left
/// in the database by an older version is moved out to the key folder, so old
/// patient hashes stay comparable, and paths that version kept in clear are
/// sealed.
fn project_key(conn: &mut Connection, keys: &KeyRing) -> Result<PatientSalt, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        Ok(tx
            .query_row(
                "SELECT value FROM project_meta WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()?)
    };
    let fingerprint = meta(KEY_FINGERPRINT)?;
    let legacy_salt = meta(LEGACY_SALT)?;
    let key = match (
        fingerprint,
        legacy_salt.as_deref().and_then(PatientSalt::from_hex),
    ) {
        (Some(fingerprint), _) => {
            // The usual case: nothing to write.
            return Ok(keys.find(&fingerprint)?);
        }
        (None, Some(salt)) => {
            if let Some(given) = &keys.given {
                let given_key = key::read_key(given)?;
                if given_key != salt {
                    return Err(KeyError::WrongKey {
                        path: given.clone(),
                        given: given_key.fingerprint(),
                        expected: salt.fingerprint(),
                    }
                    .into());
                }
            }
            keys.install(&salt)?;
            import::protect_legacy_paths(&tx, &salt)?;
            audit(
                &tx,
                None,
                "move_patient_key",
                "project",
                None,
                &serde_json::json!({ "fingerprint": salt.fingerprint() }),
            )?;
            salt
        }
        (None, None) => keys.new_key()?,
    };
    tx.execute(
        "INSERT OR REPLACE INTO project_meta (key, value) VALUES (?1, ?2)",
        [KEY_FINGERPRINT, &key.fingerprint()],
    )?;
    tx.execute("DELETE FROM project_meta WHERE key = ?1", [LEGACY_SALT])?;
    tx.commit()?;
    Ok(key)
}

/// `project_meta` key of the patient key's fingerprint.
const KEY_FINGERPRINT: &str = "patient_key_fingerprint";
/// `project_meta` key under which versions before 4 kept the salt itself.
const LEGACY_SALT: &str = "patient_salt";
