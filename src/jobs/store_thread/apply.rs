//! Committing held changes in order, and why they wait when they cannot be.

use super::state::lock;
use super::worker::Worker;
use crate::store::StoreError;

impl Worker {
    /// Applies the held changes in order: stops at a failure that may pass,
    /// sets aside one that will not.
    pub(super) fn apply_held(&mut self) {
        let journal_id = lock(&self.journal).as_ref().map(|j| j.id().to_string());
        while let Some((seq, mutation)) = self.held.front() {
            let result = match self.project.as_mut() {
                Ok(project) => match (&journal_id, seq) {
                    (Some(id), Some(seq)) => {
                        project.apply_journaled(id, *seq, |project| mutation.apply(project))
                    }
                    _ => mutation.apply(project),
                },
                // Waits like a database that cannot be reached.
                Err(error) => Err(StoreError::Io {
                    path: self.root.clone(),
                    source: std::io::Error::other(error.clone()),
                }),
            };
            match result {
                Ok(()) => {
                    self.held.pop_front();
                    let mut shared = lock(&self.shared);
                    shared.committed += 1;
                    shared.waiting = None;
                }
                Err(error) if error.is_transient() => {
                    lock(&self.shared).waiting = Some(waiting_reason(&error));
                    break;
                }
                Err(error) => {
                    let (seq, mutation) = self.held.pop_front().expect("front exists");
                    self.set_aside(seq, mutation, &error);
                }
            }
        }
        lock(&self.shared).held = self.held.len();
        self.clear_journal_if_done();
    }

    /// Empties the journal when the database holds all of it and nothing
    /// failed, so it does not grow over a long session. The journal's lock is
    /// taken first: a change being journalled meanwhile is then counted.
    pub(super) fn clear_journal_if_done(&self) {
        let mut journal = lock(&self.journal);
        let shared = lock(&self.shared);
        let settled = self.held.is_empty() && shared.queued == 0 && shared.failures.is_empty();
        drop(shared);
        if settled
            && let Some(journal) = journal.as_mut()
            && let Err(error) = journal.clear()
        {
            lock(&self.shared).journal_error = Some(error.to_string());
        }
    }
}

/// Why changes wait, in a user's words.
fn waiting_reason(error: &StoreError) -> String {
    use rusqlite::ErrorCode;
    match error {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            "the project database is in use by another program; changes are kept and saved when it is free".into()
        }
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::DiskFull => {
            "the disk is full; changes are kept and saved once there is room".into()
        }
        other => format!("{other}; changes are kept and tried again"),
    }
}
