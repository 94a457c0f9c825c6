//! The changes the store refused for good: kept (in the journal too) until
//! the user discards them, and written out on request.

use std::path::PathBuf;
use std::sync::Arc;

use super::StoreEvent;
use super::state::lock;
use super::worker::Worker;
use crate::editor::Mutation;
use crate::store::{EXPORT_DIR, StoreError};

/// A change the store refused for good, kept until the user decides.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedWrite {
    /// Its number in this session's journal.
    pub seq: u64,
    pub mutation: Mutation,
    pub error: String,
}

/// Why the failed changes could not be written to a file. The I/O error is
/// shared because events are cloned.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct ExportError {
    pub path: PathBuf,
    #[source]
    pub source: Arc<std::io::Error>,
}

/// Two exports failed alike when they failed for the same file the same way.
impl PartialEq for ExportError {
    fn eq(&self, other: &ExportError) -> bool {
        self.path == other.path && self.source.kind() == other.source.kind()
    }
}

impl Worker {
    pub(super) fn set_aside(&mut self, seq: Option<u64>, mutation: Mutation, error: &StoreError) {
        let error = error.to_string();
        if let (Some(seq), Some(journal)) = (seq, lock(&self.journal).as_mut())
            && let Err(journal_error) = journal.mark_failed(seq, &error)
        {
            lock(&self.shared).journal_error = Some(journal_error.to_string());
        }
        let mut shared = lock(&self.shared);
        shared.events.push(StoreEvent::Failed {
            clip_id: mutation.clip_id(),
            what: format!("{}: {error}", mutation.describe()),
        });
        shared.failures.push(FailedWrite {
            seq: seq.unwrap_or(0),
            mutation,
            error,
        });
    }

    pub(super) fn discard(&mut self, seq: u64) {
        let mut shared = lock(&self.shared);
        let before = shared.failures.len();
        shared.failures.retain(|f| f.seq != seq);
        let removed = shared.failures.len() < before;
        drop(shared);
        if removed
            && let Some(journal) = lock(&self.journal).as_mut()
            && let Err(error) = journal.mark_resolved(seq)
        {
            lock(&self.shared).journal_error = Some(error.to_string());
        }
        self.clear_journal_if_done();
    }

    pub(super) fn export_failures(&self) -> Result<PathBuf, ExportError> {
        let failures = lock(&self.shared).failures.clone();
        let entries: Vec<serde_json::Value> = failures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "what": f.mutation.describe(),
                    "error": f.error,
                    "change": f.mutation,
                })
            })
            .collect();
        let dir = self.root.join(EXPORT_DIR);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let path = dir.join(format!("unsaved-changes-{stamp}.json"));
        // Pretty-printing JSON values cannot fail (`{:#}` is `to_string_pretty`).
        let text = format!("{:#}", serde_json::Value::Array(entries));
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
            Ok(()) => Ok(path),
            Err(source) => Err(ExportError {
                path,
                source: Arc::new(source),
            }),
        }
    }
}
