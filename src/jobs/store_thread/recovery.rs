//! What sessions that ended left in their journals, moved into this
//! session's journal and applied first.

use super::FailedWrite;
use super::StoreEvent;
use super::state::lock;
use super::worker::Worker;
use crate::editor::Mutation;
use crate::store::StoreError;
use crate::store::journal;

impl Worker {
    /// Moves the entries of ended sessions' journals into this session's
    /// journal (flushed), then deletes those journals; the entries are then
    /// applied like this session's own changes, in their order.
    pub(super) fn adopt_leftovers(&mut self) {
        let Ok(project) = self.project.as_mut() else {
            return;
        };
        let mut journal = lock(&self.journal);
        let Some(journal) = journal.as_mut() else {
            return;
        };
        let leftovers = match journal::leftovers::<Mutation>(project) {
            Ok(leftovers) => leftovers,
            Err(error) => {
                lock(&self.shared).journal_error =
                    Some(format!("cannot read earlier sessions' journals: {error}"));
                return;
            }
        };
        let mut recovered = 0;
        for leftover in leftovers {
            let mut moved = Vec::new();
            let copied = leftover.entries.iter().try_for_each(|entry| {
                let seq = journal.append(&entry.op)?;
                if let Some(error) = &entry.failed {
                    journal.mark_failed(seq, error)?;
                }
                moved.push((seq, entry.op.clone(), entry.failed.clone()));
                Ok::<(), StoreError>(())
            });
            if let Err(error) = copied {
                // Left where it is: the next session tries again.
                lock(&self.shared).journal_error = Some(error.to_string());
                return;
            }
            for (seq, mutation, failed) in moved {
                match failed {
                    Some(error) => lock(&self.shared).failures.push(FailedWrite {
                        seq,
                        mutation,
                        error,
                    }),
                    None => {
                        self.held.push_back((Some(seq), mutation));
                        recovered += 1;
                    }
                }
            }
            // Should removing fail, the entries are applied twice, which
            // changes nothing: every change writes a state, not a difference.
            let _ = leftover.remove(project);
        }
        let mut shared = lock(&self.shared);
        shared.held = self.held.len();
        if recovered > 0 {
            shared.events.push(StoreEvent::Recovered(recovered));
        }
    }
}
