//! The store thread's loop: it answers reads, takes changes in order, and
//! tries waiting changes again every few seconds or when asked.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::state::{Shared, lock};
use super::{Shutdown, StoreEvent};
use crate::editor::Mutation;
use crate::jobs::Wake;
use crate::store::journal::Journal;
use crate::store::{Project, StoreError};

pub(super) type ReadOp = Box<dyn FnOnce(Result<&mut Project, &Arc<StoreError>>) + Send>;

/// How long one write waits for another process's transaction before the
/// thread lets it wait in the journal instead (and answers reads meanwhile).
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);
/// How often changes that wait are tried again.
const RETRY_INTERVAL: Duration = Duration::from_secs(2);

pub(super) enum Request {
    Read(ReadOp),
    Write {
        seq: Option<u64>,
        mutation: Mutation,
    },
    /// Reopen the project and try the waiting changes now.
    Retry,
    /// Drop a failed change for good.
    Discard(u64),
    /// Write the failed changes to a file in the project's exports.
    ExportFailures,
    Shutdown,
}

/// The store thread's own state.
pub(super) struct Worker {
    pub(super) root: PathBuf,
    pub(super) create: bool,
    /// The open project, or why it is not open (shared with each read that
    /// asks meanwhile).
    pub(super) project: Result<Project, Arc<StoreError>>,
    /// Changes taken from the channel and not yet committed, in order, with
    /// their journal numbers.
    pub(super) held: VecDeque<(Option<u64>, Mutation)>,
    pub(super) shared: Arc<Mutex<Shared>>,
    pub(super) journal: Arc<Mutex<Option<Journal<Mutation>>>>,
    pub(super) wake: Wake,
}

impl Worker {
    pub(super) fn serve(mut self, requests: &Receiver<Request>) -> Shutdown {
        self.reopen();
        self.apply_held();
        (self.wake)();
        // When waiting changes are tried next; reads keep arriving meanwhile,
        // so the time is kept here rather than left to the channel's timeout.
        let mut next_retry: Option<Instant> = None;
        loop {
            if lock(&self.shared).waiting.is_none() {
                next_retry = None;
            } else if next_retry.is_none() {
                next_retry = Some(Instant::now() + RETRY_INTERVAL);
            }
            let request = match next_retry {
                Some(at) if at <= Instant::now() => None,
                Some(at) => match requests.recv_timeout(at - Instant::now()) {
                    Ok(request) => Some(request),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                None => match requests.recv() {
                    Ok(request) => Some(request),
                    Err(_) => break,
                },
            };
            match request {
                None => {
                    next_retry = None;
                    if self.project.is_err() {
                        self.reopen();
                    }
                    self.apply_held();
                }
                Some(Request::Read(read)) => read(self.project.as_mut().map_err(|e| &*e)),
                Some(Request::Write { seq, mutation }) => {
                    self.held.push_back((seq, mutation));
                    let waiting = {
                        let mut shared = lock(&self.shared);
                        shared.queued = shared.queued.saturating_sub(1);
                        shared.held = self.held.len();
                        shared.waiting.is_some()
                    };
                    if !waiting {
                        self.apply_held();
                    }
                }
                Some(Request::Retry) => {
                    self.reopen();
                    self.apply_held();
                }
                Some(Request::Discard(seq)) => self.discard(seq),
                Some(Request::ExportFailures) => {
                    let result = self.export_failures();
                    lock(&self.shared).events.push(StoreEvent::Exported(result));
                }
                Some(Request::Shutdown) => break,
            }
            (self.wake)();
        }
        self.finish()
    }

    /// Opens the project (again) and queues, before anything else, what the
    /// journals of ended sessions hold that the database lacks.
    fn reopen(&mut self) {
        // Close the old connection first, so a broken one is not kept.
        self.project = Err(Arc::new(StoreError::Invalid(
            "the project is being opened".into(),
        )));
        let exists = self.root.join(crate::store::DATABASE_FILE).is_file();
        let opened = if self.create && !exists {
            Project::open_or_create(&self.root)
        } else {
            Project::open(&self.root)
        };
        self.project = opened
            .and_then(|mut project| {
                project.set_busy_timeout(BUSY_TIMEOUT)?;
                Ok(project)
            })
            .map_err(Arc::new);
        match &self.project {
            Ok(_) => {
                lock(&self.shared).waiting = None;
                self.adopt_leftovers();
            }
            Err(error) => {
                let message = format!("the project cannot be opened: {error}");
                lock(&self.shared).waiting = Some(message);
            }
        }
    }

    /// The last try before the thread ends; the journal is deleted only if
    /// nothing is left in it.
    fn finish(mut self) -> Shutdown {
        if lock(&self.shared).waiting.is_some() && self.project.is_ok() {
            self.apply_held();
        }
        let shared = lock(&self.shared);
        let left = self.held.len() + shared.queued + shared.failures.len();
        drop(shared);
        if left > 0 {
            return Shutdown::Kept(left);
        }
        if let Some(journal) = lock(&self.journal).take() {
            let id = journal.id().to_string();
            if journal.remove().is_ok()
                && let Ok(project) = self.project.as_mut()
            {
                // Best effort: a stale record of a deleted journal is harmless.
                let _ = project.forget_journal(&id);
            }
        }
        Shutdown::Saved
    }
}
