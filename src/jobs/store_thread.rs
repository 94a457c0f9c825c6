//! The app's connection to its project, on a thread of its own so that the UI
//! never waits for the disk. Reads come back through [`Pending`]; writes are
//! applied in the order they were sent and counted, so the UI can say whether
//! everything is saved.
//!
//! A write that fails (disk full, file locked too long) is kept, and so is
//! every later write, untouched and in order, until [`StoreThread::retry`]:
//! replaying them out of order could put an older contour over a newer one.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};

use super::Wake;
use crate::store::{Project, StoreError};

/// A change to the project that can be applied again after a failure.
pub type WriteOp = Arc<dyn Fn(&mut Project) -> Result<(), StoreError> + Send + Sync>;
type ReadOp = Box<dyn FnOnce(Result<&mut Project, &StoreError>) + Send>;

enum Request {
    Read(ReadOp),
    Write(WriteOp),
    Retry,
}

/// What the "saved" indicator shows.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Every change sent so far is committed (or none was made).
    Saved { writes: u64 },
    /// Changes are on their way to the disk.
    Saving { queued: usize },
    /// A change could not be written; it and the later ones wait for a retry.
    Failed { message: String, waiting: usize },
}

#[derive(Default)]
struct Counters {
    /// Sent, not yet taken from the channel.
    queued: usize,
    /// Taken and not yet committed (being written, or held after a failure).
    held: usize,
    committed: u64,
    failure: Option<String>,
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

/// The handle the UI keeps.
pub struct StoreThread {
    root: PathBuf,
    sender: Sender<Request>,
    counters: Arc<Mutex<Counters>>,
}

impl StoreThread {
    /// Starts the thread, which opens (or creates) the project in `root`;
    /// an error opening it is the answer to every later read.
    pub fn open(root: &Path, create: bool, wake: Wake) -> StoreThread {
        let (sender, requests) = channel();
        let counters = Arc::new(Mutex::new(Counters::default()));
        let worker_counters = counters.clone();
        let worker_root = root.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("project store".into())
            .spawn(move || {
                let project = if create {
                    Project::open_or_create(&worker_root)
                } else {
                    Project::open(&worker_root)
                };
                serve(project, &requests, &worker_counters, &wake);
            });
        if let Err(error) = spawned {
            eprintln!("echolabel: cannot start the project thread: {error}");
        }
        StoreThread {
            root: root.to_path_buf(),
            sender,
            counters,
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

    /// Queues a change; it is committed after every change sent before it.
    pub fn write(&self, op: WriteOp) {
        if let Ok(mut counters) = self.counters.lock() {
            counters.queued += 1;
        }
        if self.sender.send(Request::Write(op)).is_err()
            && let Ok(mut counters) = self.counters.lock()
        {
            counters.failure = Some("the project connection has closed".into());
        }
    }

    /// Tries the failed change and those held behind it again.
    pub fn retry(&self) {
        let _ = self.sender.send(Request::Retry);
    }

    pub fn save_state(&self) -> SaveState {
        let Ok(counters) = self.counters.lock() else {
            return SaveState::Failed {
                message: "the project connection broke".into(),
                waiting: 0,
            };
        };
        match &counters.failure {
            Some(message) => SaveState::Failed {
                message: message.clone(),
                waiting: counters.held + counters.queued,
            },
            None if counters.queued + counters.held > 0 => SaveState::Saving {
                queued: counters.queued + counters.held,
            },
            None => SaveState::Saved {
                writes: counters.committed,
            },
        }
    }
}

fn serve(
    mut project: Result<Project, StoreError>,
    requests: &Receiver<Request>,
    counters: &Mutex<Counters>,
    wake: &Wake,
) {
    let mut held: Vec<WriteOp> = Vec::new();
    for request in requests {
        match request {
            Request::Read(read) => read(project.as_mut().map_err(|e| &*e)),
            Request::Write(op) => {
                held.push(op);
                let failed = counters.lock().map_or(true, |mut c| {
                    c.queued = c.queued.saturating_sub(1);
                    c.held = held.len();
                    c.failure.is_some()
                });
                if !failed {
                    apply_held(&mut project, &mut held, counters);
                }
            }
            Request::Retry => {
                if let Ok(mut c) = counters.lock() {
                    c.failure = None;
                }
                apply_held(&mut project, &mut held, counters);
            }
        }
        wake();
    }
}

/// Applies the held writes in order, stopping at the first failure.
fn apply_held(
    project: &mut Result<Project, StoreError>,
    held: &mut Vec<WriteOp>,
    counters: &Mutex<Counters>,
) {
    let mut applied = 0;
    let mut failure = None;
    for op in held.iter() {
        let result = match project.as_mut() {
            Ok(project) => op(project),
            Err(error) => Err(StoreError::Invalid(format!(
                "the project is not open: {error}"
            ))),
        };
        match result {
            Ok(()) => applied += 1,
            Err(error) => {
                failure = Some(error.to_string());
                break;
            }
        }
    }
    held.drain(..applied);
    if let Ok(mut c) = counters.lock() {
        c.committed += applied as u64;
        c.held = held.len();
        if failure.is_some() {
            c.failure = failure;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn settle(store: &StoreThread) -> SaveState {
        // A read is answered after every write sent before it.
        store.read(|_| Ok(())).wait().unwrap();
        store.save_state()
    }

    #[test]
    fn writes_commit_in_order_and_a_failure_holds_the_rest_until_retry() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreThread::open(dir.path(), true, Arc::new(|| {}));
        store.write(Arc::new(|p| p.ensure_collection("first").map(|_| ())));
        assert_eq!(settle(&store), SaveState::Saved { writes: 1 });

        let broken = Arc::new(AtomicBool::new(true));
        let flag = broken.clone();
        store.write(Arc::new(move |p| {
            if flag.load(Ordering::SeqCst) {
                Err(StoreError::Invalid("disk full".into()))
            } else {
                p.ensure_collection("second").map(|_| ())
            }
        }));
        store.write(Arc::new(|p| p.ensure_collection("third").map(|_| ())));
        let state = settle(&store);
        assert_eq!(
            state,
            SaveState::Failed {
                message: "disk full".into(),
                waiting: 2
            }
        );
        let names = |store: &StoreThread| {
            store
                .read(|p| {
                    Ok(p.collections()?
                        .into_iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>())
                })
                .wait()
                .unwrap()
        };
        assert_eq!(
            names(&store),
            ["first"],
            "nothing after the failure is written"
        );

        broken.store(false, Ordering::SeqCst);
        store.retry();
        assert_eq!(settle(&store), SaveState::Saved { writes: 3 });
        assert_eq!(names(&store), ["first", "second", "third"]);
    }

    #[test]
    fn a_project_that_cannot_open_answers_reads_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreThread::open(&dir.path().join("missing"), false, Arc::new(|| {}));
        let answer = store.read(|p| p.collections()).wait();
        assert!(answer.unwrap_err().contains("no EchoLabel project"));
    }
}
