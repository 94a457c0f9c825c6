//! The app's connection to its project, on a thread of its own so that the UI
//! never waits for the disk. Reads come back through [`Pending`]; every change
//! ([`Mutation`]) is first appended to this session's journal and flushed to
//! disk, then applied in the order it was sent.
//!
//! A change that fails for a reason that passes (the database held by another
//! process, a full disk, an unreachable folder) is kept, with every later
//! change, untouched and in order, and tried again every few seconds or when
//! the user asks: replaying them out of order could put an older contour over
//! a newer one. A change that fails for good (the store refuses it) is set
//! aside in a list the user sees, where it can be discarded or exported, and
//! the changes after it go on. Whatever the database has not taken when the
//! session ends stays in the journal, and the next session that opens the
//! project applies it before anything else.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Wake;
use crate::editor::Mutation;
use crate::store::journal::{self, Journal};
use crate::store::{EXPORT_DIR, Project, StoreError};

type ReadOp = Box<dyn FnOnce(Result<&mut Project, &StoreError>) + Send>;

/// How long one write waits for another process's transaction before the
/// thread lets it wait in the journal instead (and answers reads meanwhile).
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);
/// How often changes that wait are tried again.
const RETRY_INTERVAL: Duration = Duration::from_secs(2);

enum Request {
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

/// A change the store refused for good, kept until the user decides.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedWrite {
    /// Its number in this session's journal.
    pub seq: u64,
    pub mutation: Mutation,
    pub error: String,
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
    Exported(Result<PathBuf, String>),
}

#[derive(Default)]
struct Shared {
    /// Sent, not yet taken from the channel.
    queued: usize,
    /// Taken and not yet committed (being written, or waiting).
    held: usize,
    committed: u64,
    /// Why the held changes wait, while they do.
    waiting: Option<String>,
    failures: Vec<FailedWrite>,
    events: Vec<StoreEvent>,
    /// Why changes cannot be journalled, if they cannot.
    journal_error: Option<String>,
}

/// How a session ended: everything saved, or changes kept for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shutdown {
    Saved,
    /// This many changes stay in the journal (waiting or failed).
    Kept(usize),
}

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
            project: Err(StoreError::Invalid("the project is being opened".into())),
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
                Ok(project) => read(project).map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            let _ = answer.send(result);
        });
        if self.sender.send(Request::Read(op)).is_err() {
            let (answer, receiver) = channel();
            let _ = answer.send(Err("the project connection has closed".into()));
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

/// Locks a mutex, taking it over if a panicking thread poisoned it (the
/// counters and the journal handle stay usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A read's answer, once it arrives.
pub struct Pending<T> {
    receiver: Receiver<Result<T, String>>,
}

impl<T> Pending<T> {
    /// The answer if it has arrived; an error message if the read failed.
    pub fn try_take(&self) -> Option<Result<T, String>> {
        match self.receiver.try_recv() {
            Ok(answer) => Some(answer),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Err("the project connection has closed".into()))
            }
        }
    }

    /// Blocks until the answer arrives (headless callers and tests only).
    pub fn wait(self) -> Result<T, String> {
        self.receiver
            .recv()
            .unwrap_or_else(|_| Err("the project connection has closed".into()))
    }
}

/// The store thread's own state.
struct Worker {
    root: PathBuf,
    create: bool,
    project: Result<Project, StoreError>,
    /// Changes taken from the channel and not yet committed, in order, with
    /// their journal numbers.
    held: VecDeque<(Option<u64>, Mutation)>,
    shared: Arc<Mutex<Shared>>,
    journal: Arc<Mutex<Option<Journal<Mutation>>>>,
    wake: Wake,
}

impl Worker {
    fn serve(mut self, requests: &Receiver<Request>) -> Shutdown {
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
        self.project = Err(StoreError::Invalid("the project is being opened".into()));
        let exists = self.root.join(crate::store::DATABASE_FILE).is_file();
        let opened = if self.create && !exists {
            Project::open_or_create(&self.root)
        } else {
            Project::open(&self.root)
        };
        self.project = opened.and_then(|mut project| {
            project.set_busy_timeout(BUSY_TIMEOUT)?;
            Ok(project)
        });
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

    /// Moves the entries of ended sessions' journals into this session's
    /// journal (flushed), then deletes those journals; the entries are then
    /// applied like this session's own changes, in their order.
    fn adopt_leftovers(&mut self) {
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

    /// Applies the held changes in order: stops at a failure that may pass,
    /// sets aside one that will not.
    fn apply_held(&mut self) {
        let journal_id = lock(&self.journal).as_ref().map(|j| j.id().to_string());
        while let Some((seq, mutation)) = self.held.front() {
            let result = match self.project.as_mut() {
                Ok(project) => match (&journal_id, seq) {
                    (Some(id), Some(seq)) => {
                        project.apply_journaled(id, *seq, |project| mutation.apply(project))
                    }
                    _ => mutation.apply(project),
                },
                Err(error) => Err(StoreError::Io {
                    path: self.root.clone(),
                    source: std::io::Error::other(error.to_string()),
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

    fn set_aside(&mut self, seq: Option<u64>, mutation: Mutation, error: &StoreError) {
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

    fn discard(&mut self, seq: u64) {
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

    fn export_failures(&self) -> Result<PathBuf, String> {
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
        let text = serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Empties the journal when the database holds all of it and nothing
    /// failed, so it does not grow over a long session. The journal's lock is
    /// taken first: a change being journalled meanwhile is then counted.
    fn clear_journal_if_done(&self) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PseudoLabelPolicy;

    fn settle(store: &StoreThread) -> SaveState {
        // A read is answered after every write sent before it.
        store.read(|_| Ok(())).wait().unwrap();
        store.save_state()
    }

    fn policy(policy: PseudoLabelPolicy) -> Mutation {
        Mutation::SetPseudoLabelPolicy(policy)
    }

    #[test]
    fn a_change_held_by_a_locked_database_waits_and_lands_once_it_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreThread::open(dir.path(), true, Arc::new(|| {}));
        store.write(policy(PseudoLabelPolicy::Never));
        assert_eq!(settle(&store), SaveState::Saved { writes: 1 });

        let mut holder = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
        let hold = holder
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        store.write(policy(PseudoLabelPolicy::WhenAccepted));
        store.write(Mutation::AddAnnotator { name: "Ana".into() });
        let state = settle(&store);
        assert!(
            matches!(&state, SaveState::Waiting { waiting: 2, message } if message.contains("another program")),
            "{state:?}"
        );
        drop(hold);
        drop(holder);
        let start = std::time::Instant::now();
        while settle(&store) != (SaveState::Saved { writes: 3 }) {
            assert!(start.elapsed() < Duration::from_secs(20), "never saved");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (policy, annotators) = store
            .read(|p| Ok((p.pseudo_label_policy()?, p.annotators()?)))
            .wait()
            .unwrap();
        assert_eq!(policy, PseudoLabelPolicy::WhenAccepted);
        assert_eq!(annotators.len(), 1);
        assert_eq!(store.shutdown(), Shutdown::Saved);
        let journals = std::fs::read_dir(dir.path().join(journal::JOURNAL_DIR))
            .unwrap()
            .count();
        assert_eq!(journals, 0, "a clean end leaves no journal");
    }

    #[test]
    fn a_refused_change_is_set_aside_and_the_later_ones_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreThread::open(dir.path(), true, Arc::new(|| {}));
        // Reviewing a pseudo-label that does not exist fails every time.
        store.write(Mutation::ReviewPseudoLabels {
            ids: vec![41],
            reviewer: 1,
            decision: crate::store::AnnotationStatus::Accepted,
        });
        store.write(policy(PseudoLabelPolicy::Never));
        assert_eq!(settle(&store), SaveState::Saved { writes: 1 });
        let failures = store.failures();
        assert_eq!(failures.len(), 1);
        assert!(matches!(
            store.take_events()[..],
            [StoreEvent::Failed { .. }]
        ));
        let never = store.read(|p| p.pseudo_label_policy()).wait().unwrap();
        assert_eq!(never, PseudoLabelPolicy::Never);

        store.export_failures();
        settle(&store);
        let exported = store.take_events();
        let [StoreEvent::Exported(Ok(path))] = &exported[..] else {
            panic!("{exported:?}")
        };
        assert!(
            std::fs::read_to_string(path)
                .unwrap()
                .contains("pseudo-label")
        );

        // Kept for the next session until discarded.
        assert_eq!(store.shutdown(), Shutdown::Kept(1));
        let store = StoreThread::open(dir.path(), false, Arc::new(|| {}));
        settle(&store);
        let failures = store.failures();
        assert_eq!(failures.len(), 1, "the failure is still listed");
        store.discard(failures[0].seq);
        settle(&store);
        assert!(store.failures().is_empty());
        assert_eq!(store.shutdown(), Shutdown::Saved);
    }

    #[test]
    fn a_journal_left_by_a_killed_session_is_applied_once_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        Project::open_or_create(dir.path()).unwrap();
        // A session that journalled three changes, of which the database
        // took the first, then died.
        let mut journal = Journal::<Mutation>::create(dir.path()).unwrap();
        let first = journal
            .append(&Mutation::AddAnnotator { name: "Ana".into() })
            .unwrap();
        journal
            .append(&Mutation::AddAnnotator { name: "Ben".into() })
            .unwrap();
        journal.append(&policy(PseudoLabelPolicy::Never)).unwrap();
        let mut project = Project::open(dir.path()).unwrap();
        project
            .apply_journaled(journal.id(), first, |p| {
                Mutation::AddAnnotator { name: "Ana".into() }.apply(p)
            })
            .unwrap();
        // Renaming Ana afterwards must survive the replay: entry 1 is not applied again.
        project
            .upsert_annotator("Ana", crate::store::Role::Reviewer, &[])
            .unwrap();
        drop(project);
        drop(journal); // the lock goes with the process

        let store = StoreThread::open(dir.path(), false, Arc::new(|| {}));
        assert_eq!(settle(&store), SaveState::Saved { writes: 2 });
        assert_eq!(store.take_events(), [StoreEvent::Recovered(2)]);
        let (annotators, policy) = store
            .read(|p| Ok((p.annotators()?, p.pseudo_label_policy()?)))
            .wait()
            .unwrap();
        let names: Vec<_> = annotators
            .iter()
            .map(|a| (a.name.as_str(), a.role))
            .collect();
        assert_eq!(
            names,
            [
                ("Ana", crate::store::Role::Reviewer),
                ("Ben", crate::store::Role::Annotator)
            ]
        );
        assert_eq!(policy, PseudoLabelPolicy::Never);
    }

    #[test]
    fn a_project_that_cannot_open_answers_reads_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreThread::open(&dir.path().join("missing"), false, Arc::new(|| {}));
        let answer = store.read(|p| p.collections()).wait();
        assert!(answer.unwrap_err().contains("no EchoLabel project"));
    }
}
