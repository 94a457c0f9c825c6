//! The edit journal: every change the desktop makes is appended to a file in
//! the project's `journal/` folder and flushed to disk before it is queued
//! for the database, so that an edit survives a database held by another
//! process, a crash or a kill.
//!
//! Each session writes its own journal and holds an advisory lock on it while
//! it runs. Every transaction that applies an entry also records the entry's
//! number in the database ([`Project::apply_journaled`]), so a journal left by
//! a session that ended early is replayed exactly: the entries the database
//! lacks, in order, and never one already committed.
//!
//! A journal is a text file of JSON lines: an entry (`seq`, the change), a
//! mark that an entry failed for good (with the error), or a mark that the
//! user discarded a failed entry. A last line cut short by a kill is ignored:
//! it was never acknowledged.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use rusqlite::{Transaction, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Project, StoreError};

/// The folder of a project that holds the journals.
pub const JOURNAL_DIR: &str = "journal";
const EXTENSION: &str = "jsonl";

/// One line of a journal file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line<T> {
    Entry { seq: u64, op: T },
    Failed { seq: u64, error: String },
    Resolved { seq: u64 },
}

/// This session's journal, locked for as long as it lives.
pub struct Journal<T> {
    id: String,
    path: PathBuf,
    file: File,
    next_seq: u64,
    op: PhantomData<fn(T)>,
}

impl<T: Serialize> Journal<T> {
    /// Starts a new journal for this session in `root/journal/`.
    pub fn create(root: &Path) -> Result<Self, StoreError> {
        let dir = root.join(JOURNAL_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let id = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let path = dir.join(format!("{id}.{EXTENSION}"));
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        file.try_lock().map_err(|e| io(e.into()))?;
        sync_dir(&dir);
        Ok(Journal {
            id,
            path,
            file,
            next_seq: 1,
            op: PhantomData,
        })
    }

    /// The name under which the database records this journal's progress.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a change and flushes it to disk; returns its number.
    pub fn append(&mut self, op: &T) -> Result<u64, StoreError> {
        let seq = self.next_seq;
        self.write_line(&Line::Entry { seq, op })?;
        self.next_seq += 1;
        Ok(seq)
    }

    /// Records that entry `seq` failed for good, so a later session lists it
    /// among the failures instead of trying it again unasked.
    pub fn mark_failed(&mut self, seq: u64, error: &str) -> Result<(), StoreError> {
        self.write_line::<&T>(&Line::Failed {
            seq,
            error: error.to_string(),
        })
    }

    /// Records that the user discarded failed entry `seq`.
    pub fn mark_resolved(&mut self, seq: u64) -> Result<(), StoreError> {
        self.write_line::<&T>(&Line::Resolved { seq })
    }

    /// Empties the file once nothing in it waits or failed.
    pub fn clear(&mut self) -> Result<(), StoreError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// Deletes the journal (everything in it is in the database).
    pub fn remove(self) -> Result<(), StoreError> {
        std::fs::remove_file(&self.path).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn write_line<U: Serialize>(&mut self, line: &Line<U>) -> Result<(), StoreError> {
        let mut text = serde_json::to_string(line)
            .map_err(|e| StoreError::Invalid(format!("cannot write a journal entry: {e}")))?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// A journal left by a session that is no longer running.
pub struct Leftover<T> {
    pub id: String,
    path: PathBuf,
    /// Held until the leftover is removed, so two sessions never adopt it both.
    _lock: File,
    /// What the database does not hold yet, in order.
    pub entries: Vec<LeftoverEntry<T>>,
}

/// An entry of a [`Leftover`] journal.
pub struct LeftoverEntry<T> {
    pub op: T,
    /// Why it failed for good in the earlier session, if it did.
    pub failed: Option<String>,
}

impl<T> Leftover<T> {
    /// Deletes the journal once its entries are safe elsewhere (in the
    /// database or in this session's journal).
    pub fn remove(self, project: &mut Project) -> Result<(), StoreError> {
        std::fs::remove_file(&self.path).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir);
        }
        project.forget_journal(&self.id)
    }
}

/// The journals in `project` whose session has ended (their lock is free),
/// with what the database lacks of each; the oldest first.
pub fn leftovers<T: DeserializeOwned>(project: &Project) -> Result<Vec<Leftover<T>>, StoreError> {
    let dir = project.root().join(JOURNAL_DIR);
    let listing = match std::fs::read_dir(&dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Io { path: dir, source }),
    };
    let mut paths: Vec<(std::time::SystemTime, PathBuf)> = listing
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == EXTENSION))
        .map(|path| {
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, path)
        })
        .collect();
    paths.sort();
    let mut found = Vec::new();
    for (_, path) in paths {
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            // A running session's journal: that session applies it.
            Err(std::fs::TryLockError::WouldBlock) => continue,
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        let Some(id) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let applied = project.journal_applied(&id)?;
        let entries = read_entries(&file, &applied).map_err(io)?;
        found.push(Leftover {
            id,
            path,
            _lock: file,
            entries,
        });
    }
    Ok(found)
}

/// The entries not `applied` and the unresolved failures, in order.
fn read_entries<T: DeserializeOwned>(
    file: &File,
    applied: &HashSet<u64>,
) -> std::io::Result<Vec<LeftoverEntry<T>>> {
    let mut entries: Vec<(u64, LeftoverEntry<T>)> = Vec::new();
    for line in BufReader::new(file).lines() {
        // A line that does not parse was cut short by a kill while being
        // written, before the change was acknowledged: nothing follows it.
        let Ok(line) = serde_json::from_str::<Line<T>>(&line?) else {
            break;
        };
        match line {
            Line::Entry { seq, op } => entries.push((seq, LeftoverEntry { op, failed: None })),
            Line::Failed { seq, error } => {
                if let Some((_, entry)) = entries.iter_mut().find(|(s, _)| *s == seq) {
                    entry.failed = Some(error);
                }
            }
            Line::Resolved { seq } => entries.retain(|(s, _)| *s != seq),
        }
    }
    Ok(entries
        .into_iter()
        .filter(|(seq, entry)| !applied.contains(seq) || entry.failed.is_some())
        .map(|(_, entry)| entry)
        .collect())
}

/// Makes a new or removed file's directory entry durable (best effort: not
/// every file system can sync a directory).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Each applied entry is recorded on its own (not as a high-water mark):
/// entries of an adopted journal may be applied before this session's
/// earlier-numbered ones, and a kill in between must lose neither.
fn entry_key(journal: &str, seq: u64) -> String {
    format!("journal:{journal}:{seq}")
}

/// The pattern matching every entry record of `journal` (ids are digits,
/// hex and dashes, so they hold no `LIKE` wildcard).
fn entries_pattern(journal: &str) -> String {
    format!("journal:{journal}:%")
}

/// Records inside the caller's transaction that `journal`'s entry `seq` is applied.
pub(super) fn record_applied(
    tx: &Transaction<'_>,
    journal: &str,
    seq: u64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO project_meta (key, value) VALUES (?1, '')",
        params![entry_key(journal, seq)],
    )?;
    Ok(())
}

impl Project {
    /// Runs `apply` so that every transaction it commits also records entry
    /// `seq` of `journal` as applied.
    pub fn apply_journaled<R>(
        &mut self,
        journal: &str,
        seq: u64,
        apply: impl FnOnce(&mut Project) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.journal_mark = Some((journal.to_string(), seq));
        let result = apply(self);
        self.journal_mark = None;
        result
    }

    /// The numbers of the entries of `journal` the database holds.
    pub fn journal_applied(&self, journal: &str) -> Result<HashSet<u64>, StoreError> {
        let prefix = entry_key(journal, 0);
        let prefix = &prefix[..prefix.len() - 1];
        let mut statement = self
            .conn
            .prepare("SELECT key FROM project_meta WHERE key LIKE ?1")?;
        let keys =
            statement.query_map([entries_pattern(journal)], |row| row.get::<_, String>(0))?;
        let mut applied = HashSet::new();
        for key in keys {
            if let Some(seq) = key?.strip_prefix(prefix).and_then(|n| n.parse().ok()) {
                applied.insert(seq);
            }
        }
        Ok(applied)
    }

    /// Drops the record of a journal that no longer exists.
    pub fn forget_journal(&mut self, journal: &str) -> Result<(), StoreError> {
        let pattern = entries_pattern(journal);
        self.write(|tx| {
            tx.execute("DELETE FROM project_meta WHERE key LIKE ?1", [pattern])?;
            Ok(())
        })
    }
}
