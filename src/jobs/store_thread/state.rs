//! What the handle and the thread share, and what the UI reads of it.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use super::{ExportError, FailedWrite};

/// What the "saved" indicator shows.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Every change sent so far is committed (or none was made).
    Saved { writes: u64 },
    /// Changes are on their way to the disk.
    Saving { queued: usize },
    /// The database cannot take changes now; they are safe in the journal
    /// and tried again every few seconds.
    Waiting { message: String, waiting: usize },
}

/// What happened on the store thread that the UI should act on.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreEvent {
    /// Changes an earlier session had not saved were found in its journal
    /// and queued before anything else (how many).
    Recovered(usize),
    /// A change failed for good; the screen's copy of the clip is stale.
    Failed { clip_id: Option<i64>, what: String },
    /// The failed changes were written to this file, or could not be.
    Exported(Result<PathBuf, ExportError>),
}

/// How a session ended: everything saved, or changes kept for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shutdown {
    Saved,
    /// This many changes stay in the journal (waiting or failed).
    Kept(usize),
}

#[derive(Default)]
pub(super) struct Shared {
    /// Sent, not yet taken from the channel.
    pub(super) queued: usize,
    /// Taken and not yet committed (being written, or waiting).
    pub(super) held: usize,
    pub(super) committed: u64,
    /// Why the held changes wait, while they do.
    pub(super) waiting: Option<String>,
    pub(super) failures: Vec<FailedWrite>,
    pub(super) events: Vec<StoreEvent>,
    /// Why changes cannot be journalled, if they cannot.
    pub(super) journal_error: Option<String>,
}

/// Locks a mutex, taking it over if a panicking thread poisoned it (the
/// counters and the journal handle stay usable).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
