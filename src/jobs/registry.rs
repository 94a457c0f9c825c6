//! Every background job of the app in one place: what kind of work each is,
//! which kinds may run side by side, and what a status bar shows of them.
//!
//! The app owns one [`JobRegistry`] over its own output enum, starts jobs
//! through it (a start that would clash with a running job is refused with
//! the reason), draws [`JobRegistry::rows`], and takes each result once from
//! [`JobRegistry::poll`].

use super::{Job, JobError, Progress, Wake};

/// The kinds of background work, each with a label and rules on what may
/// run beside it ([`JobKind::excludes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// Writing the demo project.
    Demo,
    /// Importing a folder of DICOM files.
    Import,
    /// Finding the GPU (or settling for the CPU).
    DeviceProbe,
    /// Training a new model version.
    Training,
    /// An active-learning round (it trains first, then scores the pool).
    Round,
    /// The model's contours for one frame.
    ContourProposal,
    /// The model's ED/ES frames for a clip.
    KeyFrameProposal,
    /// Reading a saved uncertainty map for the overlay.
    UncertaintyMap,
    /// Writing annotations out of the project.
    Export,
    /// Comparing the readers of every frame (agreement figures).
    Agreement,
    /// Building the consensus annotations.
    Consensus,
}

impl JobKind {
    /// Every kind, in declaration order.
    pub const ALL: [JobKind; 11] = [
        JobKind::Demo,
        JobKind::Import,
        JobKind::DeviceProbe,
        JobKind::Training,
        JobKind::Round,
        JobKind::ContourProposal,
        JobKind::KeyFrameProposal,
        JobKind::UncertaintyMap,
        JobKind::Export,
        JobKind::Agreement,
        JobKind::Consensus,
    ];

    /// What the user reads for a job of this kind.
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Demo => "Creating the demo project",
            JobKind::Import => "Importing files",
            JobKind::DeviceProbe => "Finding a GPU",
            JobKind::Training => "Training the model",
            JobKind::Round => "Active-learning round",
            JobKind::ContourProposal => "Proposing contours",
            JobKind::KeyFrameProposal => "Finding ED and ES",
            JobKind::UncertaintyMap => "Reading the uncertainty map",
            JobKind::Export => "Exporting",
            JobKind::Agreement => "Comparing readers",
            JobKind::Consensus => "Building consensus",
        }
    }

    /// Whether a job of this kind must wait while one of `running` runs
    /// (the relation is symmetric): one job per kind, except uncertainty
    /// maps; training and a round (which trains first) exclude each other;
    /// so do the two proposals (one model request per clip at a time), and
    /// agreement and consensus (the figures would compare a half-built set).
    pub fn excludes(self, running: JobKind) -> bool {
        use JobKind::*;
        match (self, running) {
            (UncertaintyMap, UncertaintyMap) => false,
            (a, b) if a == b => true,
            (Training, Round) | (Round, Training) => true,
            (ContourProposal, KeyFrameProposal) | (KeyFrameProposal, ContourProposal) => true,
            (Agreement, Consensus) | (Consensus, Agreement) => true,
            _ => false,
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A job of a registry, unique for the registry's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// A start refused because a running job excludes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{blocking} is running; “{wanted}” can start when it has finished or been cancelled")]
pub struct Refused {
    /// The kind that was asked for.
    pub wanted: JobKind,
    /// The kind of the running job in the way.
    pub blocking: JobKind,
    /// The running job in the way, and its name.
    pub blocking_id: JobId,
    pub blocking_name: String,
}

/// A running job as a status bar draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: JobId,
    pub kind: JobKind,
    pub name: String,
    /// How far it is, 0..=1.
    pub fraction: f32,
    /// What it last said it was doing.
    pub message: String,
    /// Whether it was asked to stop (it is still running until it checks).
    pub cancelling: bool,
}

/// A job that ended, with its result or why it has none.
#[derive(Debug)]
pub struct Finished<T> {
    pub id: JobId,
    pub kind: JobKind,
    pub name: String,
    pub result: Result<T, JobError>,
}

struct Entry<T> {
    id: JobId,
    kind: JobKind,
    job: Job<T>,
}

/// The app's running jobs; `T` is the app's own enum of job outputs.
pub struct JobRegistry<T> {
    next_id: u64,
    running: Vec<Entry<T>>,
}

impl<T> Default for JobRegistry<T> {
    fn default() -> Self {
        JobRegistry {
            next_id: 0,
            running: Vec::new(),
        }
    }
}

impl<T: Send + 'static> JobRegistry<T> {
    /// Starts `work` on its own thread as a job of `kind` named `name`, or
    /// refuses when a running job excludes `kind` (a cancelled job excludes
    /// until it has ended and been polled).
    pub fn start(
        &mut self,
        kind: JobKind,
        name: impl Into<String>,
        wake: Wake,
        work: impl FnOnce(&Progress) -> T + Send + 'static,
    ) -> Result<JobId, Refused> {
        if let Some(refused) = self.refusal(kind) {
            return Err(refused);
        }
        let id = JobId(self.next_id);
        self.next_id += 1;
        let job = Job::spawn(name, wake, work);
        self.running.push(Entry { id, kind, job });
        Ok(id)
    }

    /// Why a job of `kind` could not start now, if it could not.
    pub fn refusal(&self, kind: JobKind) -> Option<Refused> {
        let blocking = self.running.iter().find(|e| kind.excludes(e.kind))?;
        Some(Refused {
            wanted: kind,
            blocking: blocking.kind,
            blocking_id: blocking.id,
            blocking_name: blocking.job.name().to_string(),
        })
    }

    /// Asks job `id` to stop; false when it is not running.
    pub fn cancel(&self, id: JobId) -> bool {
        self.running
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.job.cancel())
            .is_some()
    }

    /// Asks every running job of `kind` to stop; how many there were.
    pub fn cancel_kind(&self, kind: JobKind) -> usize {
        self.running
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.job.cancel())
            .count()
    }

    /// Asks every running job to stop (when the app closes).
    pub fn cancel_all(&self) {
        for entry in &self.running {
            entry.job.cancel();
        }
    }

    /// Whether a job of `kind` runs (or has ended but not been polled yet).
    pub fn is_running(&self, kind: JobKind) -> bool {
        self.running.iter().any(|e| e.kind == kind)
    }

    /// The running jobs, oldest first.
    pub fn rows(&self) -> Vec<JobRow> {
        self.running
            .iter()
            .map(|e| {
                let (fraction, message) = e.job.status();
                JobRow {
                    id: e.id,
                    kind: e.kind,
                    name: e.job.name().to_string(),
                    fraction,
                    message,
                    cancelling: e.job.is_cancelling(),
                }
            })
            .collect()
    }

    /// The jobs that ended since the last poll, each returned once, oldest
    /// first; a job that panicked or vanished comes back with its error.
    pub fn poll(&mut self) -> Vec<Finished<T>> {
        let mut finished = Vec::new();
        self.running
            .retain_mut(|entry| match entry.job.try_finish() {
                None => true,
                Some(result) => {
                    finished.push(Finished {
                        id: entry.id,
                        kind: entry.kind,
                        name: entry.job.name().to_string(),
                        result,
                    });
                    false
                }
            });
        finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc::{Sender, channel};
    use std::time::{Duration, Instant};

    fn no_wake() -> Wake {
        Arc::new(|| {})
    }

    /// Polls until `count` jobs have finished (or fails after a while).
    fn finish<T: Send + 'static>(registry: &mut JobRegistry<T>, count: usize) -> Vec<Finished<T>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut all = Vec::new();
        while all.len() < count {
            assert!(Instant::now() < deadline, "jobs did not finish");
            all.extend(registry.poll());
            std::thread::sleep(Duration::from_millis(1));
        }
        all
    }

    /// A job that runs until told to go (or cancelled), then returns `value`.
    fn held(
        registry: &mut JobRegistry<&'static str>,
        kind: JobKind,
        value: &'static str,
    ) -> (JobId, Sender<()>) {
        let (go, wait) = channel::<()>();
        let id = registry
            .start(kind, kind.label(), no_wake(), move |progress| {
                while !progress.cancelled() {
                    if wait.recv_timeout(Duration::from_millis(1)).is_ok() {
                        return value;
                    }
                }
                "cancelled"
            })
            .unwrap();
        (id, go)
    }

    #[test]
    fn the_exclusion_rules() {
        use JobKind::*;
        for kind in JobKind::ALL {
            assert_eq!(kind.excludes(kind), kind != UncertaintyMap, "{kind:?}");
            for other in JobKind::ALL {
                assert_eq!(
                    kind.excludes(other),
                    other.excludes(kind),
                    "{kind:?} {other:?}"
                );
            }
        }
        assert!(Training.excludes(Round));
        assert!(ContourProposal.excludes(KeyFrameProposal));
        assert!(Agreement.excludes(Consensus));
        let clashing = JobKind::ALL
            .iter()
            .flat_map(|a| JobKind::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a != b && a.excludes(*b))
            .count();
        assert_eq!(
            clashing, 6,
            "only the three pairs (both ways) clash across kinds"
        );
        assert!(!Training.excludes(ContourProposal));
        assert!(!Import.excludes(Demo));
        assert!(JobKind::ALL.iter().all(|k| !k.label().is_empty()));
    }

    #[test]
    fn a_clashing_start_is_refused_with_the_job_in_the_way() {
        let mut registry = JobRegistry::default();
        let (training, go) = held(&mut registry, JobKind::Training, "trained");
        let refused = registry
            .start(JobKind::Round, "round", no_wake(), |_| "round")
            .unwrap_err();
        assert_eq!(refused.blocking, JobKind::Training);
        assert_eq!(refused.blocking_id, training);
        assert!(
            refused
                .to_string()
                .starts_with("Training the model is running; "),
            "{refused}"
        );
        assert!(
            registry
                .start(JobKind::Training, "again", no_wake(), |_| "again")
                .is_err()
        );
        // Other kinds start beside it, and uncertainty maps beside each other.
        let (_, go_map) = held(&mut registry, JobKind::UncertaintyMap, "map 1");
        let (_, go_map2) = held(&mut registry, JobKind::UncertaintyMap, "map 2");
        assert_eq!(registry.refusal(JobKind::KeyFrameProposal), None);
        let (_, go_contours) = held(&mut registry, JobKind::ContourProposal, "contours");
        assert_eq!(
            registry
                .refusal(JobKind::KeyFrameProposal)
                .map(|r| r.blocking),
            Some(JobKind::ContourProposal),
            "asking does what starting would"
        );
        assert!(
            registry
                .start(JobKind::KeyFrameProposal, "ed/es", no_wake(), |_| "ed/es")
                .is_err()
        );
        for go in [go, go_map, go_map2, go_contours] {
            go.send(()).unwrap();
        }
        finish(&mut registry, 4);
        assert!(registry.rows().is_empty());
        // Once the training has ended (and been polled) a round may start.
        assert!(
            registry
                .start(JobKind::Round, "round", no_wake(), |_| "round")
                .is_ok()
        );
        finish(&mut registry, 1);
    }

    #[test]
    fn cancel_by_id_and_by_kind() {
        let mut registry = JobRegistry::default();
        let (first_map, go_first) = held(&mut registry, JobKind::UncertaintyMap, "map");
        let (_, go_second) = held(&mut registry, JobKind::UncertaintyMap, "map");
        let (training, go_training) = held(&mut registry, JobKind::Training, "trained");
        assert!(registry.cancel(training));
        assert!(
            registry.is_running(JobKind::Training),
            "runs until it checks"
        );
        let rows = registry.rows();
        assert!(rows.iter().find(|r| r.id == training).unwrap().cancelling);
        assert!(!rows.iter().find(|r| r.id == first_map).unwrap().cancelling);
        assert_eq!(registry.cancel_kind(JobKind::UncertaintyMap), 2);
        assert_eq!(registry.cancel_kind(JobKind::Export), 0);
        let finished = finish(&mut registry, 3);
        assert!(
            finished.iter().all(|f| matches!(f.result, Ok("cancelled"))),
            "{finished:?}"
        );
        assert!(!registry.cancel(training), "no longer running");
        assert!(!registry.is_running(JobKind::Training));
        drop((go_first, go_second, go_training));
    }

    #[test]
    fn each_result_is_returned_once() {
        let mut registry = JobRegistry::default();
        let id = registry
            .start(JobKind::Export, "export", no_wake(), |_| 7)
            .unwrap();
        let finished = finish(&mut registry, 1);
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].id, id);
        assert_eq!(finished[0].kind, JobKind::Export);
        assert_eq!(finished[0].name, "export");
        assert!(matches!(finished[0].result, Ok(7)));
        std::thread::sleep(Duration::from_millis(5));
        assert!(registry.poll().is_empty());
        assert!(registry.rows().is_empty());
        let next = registry
            .start(JobKind::Export, "export", no_wake(), |_| 8)
            .unwrap();
        assert_ne!(next, id, "ids are not reused");
        finish(&mut registry, 1);
    }

    #[test]
    fn a_panicking_job_is_reported_and_the_registry_goes_on() {
        let mut registry: JobRegistry<u32> = JobRegistry::default();
        registry
            .start(JobKind::Import, "import", no_wake(), |progress| {
                progress.report(0.5, "half way");
                panic!("the importer broke")
            })
            .unwrap();
        let finished = finish(&mut registry, 1);
        match &finished[0].result {
            Err(error @ JobError::Panicked { name, message }) => {
                assert_eq!(name, "import");
                assert!(message.contains("the importer broke"), "{message}");
                assert!(error.to_string().contains("import"), "{error}");
            }
            other => panic!("expected a panic, got {other:?}"),
        }
        assert!(!registry.is_running(JobKind::Import));
        registry
            .start(JobKind::Import, "import", no_wake(), |_| 1)
            .unwrap();
        assert!(matches!(finish(&mut registry, 1)[0].result, Ok(1)));
    }

    #[test]
    fn rows_reflect_progress() {
        let mut registry = JobRegistry::default();
        let (reported, wait_reported) = channel::<()>();
        let (go, wait_go) = channel::<()>();
        let id = registry
            .start(
                JobKind::Training,
                "Training the model",
                no_wake(),
                move |p| {
                    p.report(0.25, "epoch 1/4");
                    reported.send(()).unwrap();
                    wait_go.recv().ok();
                    "done"
                },
            )
            .unwrap();
        wait_reported.recv().unwrap();
        assert_eq!(
            registry.rows(),
            vec![JobRow {
                id,
                kind: JobKind::Training,
                name: "Training the model".into(),
                fraction: 0.25,
                message: "epoch 1/4".into(),
                cancelling: false,
            }]
        );
        go.send(()).unwrap();
        finish(&mut registry, 1);
    }
}
