//! The handle the UI keeps: it sends reads and changes to the thread and
//! reads back what the thread shares.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::state::{Shared, lock};
use super::worker::{ReadOp, Request, Worker};
use super::{FailedWrite, SaveState, Shutdown, StoreEvent};
use crate::editor::Mutation;
use crate::jobs::Wake;
use crate::store::journal::Journal;
use crate::store::{Project, StoreError};

/// The handle the UI keeps.
pub struct StoreThread {
    root: PathBuf,
    sender: Sender<Request>,
    shared: Arc<Mutex<Shared>>,
    journal: Arc<Mutex<Option<Journal<Mutation>>>>,
    worker: Option<JoinHandle<Shutdown>>,
}

impl StoreThread {
    /// Starts the thread, which opens (or creates) the project in `root` and
    /// first applies what earlier sessions left in their journals; while the
    /// project cannot be opened, reads are answered with the reason.
    pub fn open(root: &Path, create: bool, wake: Wake) -> StoreThread {
        let (sender, requests) = channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let journal = if create || root.join(crate::store::DATABASE_FILE).is_file() {
            match Journal::create(root) {
                Ok(journal) => Some(journal),
                Err(error) => {
                    lock(&shared).journal_error = Some(error.to_string());
                    None
                }
            }
        } else {
            None
        };
        let journal = Arc::new(Mutex::new(journal));
        let worker = Worker {
            root: root.to_path_buf(),
            create,
            project: Err(Arc::new(StoreError::Invalid(
                "the project is being opened".into(),
            ))),
            held: VecDeque::new(),
            shared: shared.clone(),
            journal: journal.clone(),
            wake,
        };
        let spawned = std::thread::Builder::new()
            .name("project store".into())
            .spawn(move || worker.serve(&requests));
        let worker = match spawned {
            Ok(handle) => Some(handle),
            Err(error) => {
                lock(&shared).waiting = Some(format!("cannot start the project thread: {error}"));
                None
            }
        };
        StoreThread {
            root: root.to_path_buf(),
            sender,
            shared,
            journal,
            worker,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `read` on the project and hands back its answer.
    pub fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut Project) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        let (answer, receiver) = channel();
        let op: ReadOp = Box::new(move |project| {
            let result = match project {
                Ok(project) => read(project),
                Err(error) => Err(StoreError::NotOpen(error.clone())),
            };
            let _ = answer.send(result);
        });
        if self.sender.send(Request::Read(op)).is_err() {
            let (answer, receiver) = channel();
            let _ = answer.send(Err(StoreError::Closed));
            return Pending { receiver };
        }
        Pending { receiver }
    }

    /// Journals a change (flushed to disk before this returns) and queues it;
    /// it is committed after every change sent before it.
    pub fn write(&self, mutation: Mutation) {
        // The count rises under the journal's lock, so the store thread never
        // sees a journalled change it has not been counted (see
        // `Worker::clear_journal_if_done`).
        let mut journal = lock(&self.journal);
        let seq = match journal.as_mut().map(|j| j.append(&mutation)) {
            Some(Ok(seq)) => Some(seq),
            Some(Err(error)) => {
                lock(&self.shared).journal_error = Some(error.to_string());
                None
            }
            None => None,
        };
        lock(&self.shared).queued += 1;
        drop(journal);
        if self.sender.send(Request::Write { seq, mutation }).is_err() {
            let mut shared = lock(&self.shared);
            shared.queued -= 1;
            shared.held += 1;
            shared.waiting = Some("the project connection has closed".into());
        }
    }

    /// Reopens the project and tries the waiting changes again now.
    pub fn retry(&self) {
        let _ = self.sender.send(Request::Retry);
    }

    /// Drops failed change `seq` for good.
    pub fn discard(&self, seq: u64) {
        let _ = self.sender.send(Request::Discard(seq));
    }

    /// Writes the failed changes to a JSON file in the project's exports
    /// folder; the path arrives as a [`StoreEvent::Exported`].
    pub fn export_failures(&self) {
        let _ = self.sender.send(Request::ExportFailures);
    }

    pub fn save_state(&self) -> SaveState {
        let shared = lock(&self.shared);
        let pending = shared.held + shared.queued;
        match &shared.waiting {
            Some(message) => SaveState::Waiting {
                message: message.clone(),
                waiting: pending,
            },
            None if pending > 0 => SaveState::Saving { queued: pending },
            None => SaveState::Saved {
                writes: shared.committed,
            },
        }
    }

    /// The changes the store refused, oldest first.
    pub fn failures(&self) -> Vec<FailedWrite> {
        lock(&self.shared).failures.clone()
    }

    /// Why changes are not being journalled, if they are not (they are then
    /// only in memory until the database takes them).
    pub fn journal_error(&self) -> Option<String> {
        lock(&self.shared).journal_error.clone()
    }

    /// What happened since the last call.
    pub fn take_events(&self) -> Vec<StoreEvent> {
        std::mem::take(&mut lock(&self.shared).events)
    }

    /// Tries the waiting changes a last time, stops the thread and waits for
    /// it. What the database did not take stays in the journal for the next
    /// session.
    pub fn shutdown(mut self) -> Shutdown {
        self.stop()
    }

    fn stop(&mut self) -> Shutdown {
        let _ = self.sender.send(Request::Shutdown);
        match self.worker.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) | None => {
                let shared = lock(&self.shared);
                Shutdown::Kept(shared.held + shared.queued + shared.failures.len())
            }
        }
    }
}

impl Drop for StoreThread {
    /// A session that is dropped still finishes its writes and closes its
    /// journal cleanly.
    fn drop(&mut self) {
        if self.worker.is_some() {
            self.stop();
        }
    }
}

/// A read's answer, once it arrives.
pub struct Pending<T> {
    receiver: Receiver<Result<T, StoreError>>,
}

impl<T> Pending<T> {
    /// The answer if it has arrived; why, if the read failed.
    pub fn try_take(&self) -> Option<Result<T, StoreError>> {
        match self.receiver.try_recv() {
            Ok(answer) => Some(answer),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(StoreError::Closed)),
        }
    }

    /// Blocks until the answer arrives (headless callers and tests only).
    pub fn wait(self) -> Result<T, StoreError> {
        self.receiver
            .recv()
            .unwrap_or_else(|_| Err(StoreError::Closed))
    }
}
