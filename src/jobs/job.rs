//! A named background job: runs a closure on its own thread, reports a
//! fraction and a message, can be cancelled, and hands back its result once.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Mutex};

use super::{CancelToken, Wake};

/// The worker's side: report progress and check for cancellation.
#[derive(Clone)]
pub struct Progress {
    shared: Arc<Shared>,
    wake: Wake,
}

struct Shared {
    cancel: CancelToken,
    status: Mutex<(f32, String)>,
}

impl Shared {
    fn status(&self) -> (f32, String) {
        // A worker that panicked mid-report leaves the last status readable.
        match self.status.lock() {
            Ok(status) => status.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Progress {
    /// Reports how far the job is (0..=1) and what it is doing.
    pub fn report(&self, fraction: f32, message: impl Into<String>) {
        let message = message.into();
        let mut status = match self.shared.status.lock() {
            Ok(status) => status,
            Err(poisoned) => poisoned.into_inner(),
        };
        *status = (fraction.clamp(0.0, 1.0), message);
        drop(status);
        (self.wake)();
    }

    /// Whether the user asked the job to stop; check it between batches.
    pub fn cancelled(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    /// The flag itself, for library calls that take `&AtomicBool`.
    pub fn cancel_flag(&self) -> &AtomicBool {
        self.shared.cancel.as_flag()
    }
}

/// Why a job has no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The work panicked; `message` is the panic's.
    #[error("{name} failed unexpectedly: {message}")]
    Panicked { name: String, message: String },
    /// The work's thread ended (or never started) without a result.
    #[error("{name} stopped unexpectedly")]
    Stopped { name: String },
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The UI's side of a running job.
pub struct Job<T> {
    name: String,
    shared: Arc<Shared>,
    /// `Err` carries the message of a panic.
    result: Receiver<Result<T, String>>,
    done: bool,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a new thread named after the job.
    pub fn spawn(
        name: impl Into<String>,
        wake: Wake,
        work: impl FnOnce(&Progress) -> T + Send + 'static,
    ) -> Job<T> {
        let name = name.into();
        let shared = Arc::new(Shared {
            cancel: CancelToken::new(),
            status: Mutex::new((0.0, String::new())),
        });
        let (sender, result) = channel();
        let progress = Progress {
            shared: shared.clone(),
            wake: wake.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                // The panic hook has logged the panic by the time it is caught here.
                let value = std::panic::catch_unwind(AssertUnwindSafe(|| work(&progress)))
                    .map_err(|payload| panic_message(payload.as_ref()));
                // The receiver is gone only when the UI dropped the job.
                let _ = sender.send(value);
                wake();
            });
        if let Err(error) = spawned {
            // No thread: the job reports as failed when polled (its sender is gone).
            eprintln!("echolabel: cannot start job {name}: {error}");
        }
        Job {
            name,
            shared,
            result,
            done: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Asks the job to stop at its next check.
    pub fn cancel(&self) {
        self.shared.cancel.cancel();
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelling(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    /// The last reported fraction and message, without taking the result.
    pub fn status(&self) -> (f32, String) {
        self.shared.status()
    }

    /// The result once there is one (given once), `None` while it runs or
    /// after it was given.
    pub(crate) fn try_finish(&mut self) -> Option<Result<T, JobError>> {
        if self.done {
            return None;
        }
        let outcome = match self.result.try_recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(JobError::Panicked {
                name: self.name.clone(),
                message,
            }),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(JobError::Stopped {
                name: self.name.clone(),
            }),
        };
        self.done = true;
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_wake() -> Wake {
        Arc::new(|| {})
    }

    fn wait<T: Send + 'static>(job: &mut Job<T>) -> Result<T, JobError> {
        loop {
            match job.try_finish() {
                None => std::thread::sleep(std::time::Duration::from_millis(2)),
                Some(outcome) => return outcome,
            }
        }
    }

    #[test]
    fn a_job_reports_progress_and_returns_its_value_once() {
        let (go, wait_for_go) = channel::<()>();
        let mut job = Job::spawn("count", no_wake(), move |progress| {
            progress.report(0.5, "half way");
            wait_for_go.recv().ok();
            42
        });
        // The worker has reported once `go` is needed, so look until it shows.
        while job.status().1 != "half way" {
            std::thread::yield_now();
        }
        assert_eq!(job.status().0, 0.5);
        assert!(job.try_finish().is_none(), "still running");
        go.send(()).unwrap();
        assert_eq!(wait(&mut job), Ok(42));
        assert!(job.try_finish().is_none(), "the result is given once");
    }

    #[test]
    fn a_cancelled_job_sees_the_flag() {
        let mut job = Job::spawn("spin", no_wake(), |progress| {
            while !progress.cancelled() {
                std::thread::yield_now();
            }
            "stopped"
        });
        job.cancel();
        assert!(job.is_cancelling());
        assert_eq!(wait(&mut job), Ok("stopped"));
    }

    #[test]
    fn a_panicking_job_fails_instead_of_hanging() {
        let mut job: Job<()> = Job::spawn("boom", no_wake(), |_| panic!("worker broke"));
        match wait(&mut job) {
            Err(JobError::Panicked { message, .. }) => {
                assert!(message.contains("worker broke"), "{message}")
            }
            other => panic!("the job did not fail: {other:?}"),
        }
    }
}
