//! Small images of clip frames for grids (the library's clips, the review
//! grid's frames), decoded on one worker thread shared by every grid.
//!
//! [`ThumbnailWorker::spawn`] starts the thread once; each grid takes a
//! [`ThumbnailClient`] with its own keys and its own result channel. The
//! worker takes requests in the order they came, skips those of a client
//! that was dropped (or reset), and wakes the UI after each thumbnail.

use std::collections::HashSet;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Weak};

use crate::dicom::{Clip, ClipError, PatientSalt};
use crate::downsample::fit_within;

use super::Wake;
use super::job::panic_message;

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// The clip cannot be opened or the frame decoded (the message names the file).
    #[error(transparent)]
    Clip(#[from] ClipError),
    /// Decoding hit a bug; the worker went on with the next request.
    #[error("{}: making the thumbnail failed unexpectedly: {message}", path.display())]
    Panicked { path: PathBuf, message: String },
    /// The worker thread is not running (it could not be started).
    #[error("{}: the thumbnail worker is not running", path.display())]
    WorkerGone { path: PathBuf },
}

/// Frame `frame` of the clip at `path` (the middle one when `None`), scaled
/// down to fit `side` × `side` pixels with its aspect ratio. Both sides are
/// bounded: a tall narrow frame scaled to its width alone would make a
/// texture taller than the GPU allows. A frame that fits keeps its size.
pub fn frame_thumbnail(
    path: &Path,
    salt: &PatientSalt,
    frame: Option<u32>,
    side: u32,
) -> Result<image::RgbImage, ThumbnailError> {
    let clip = Clip::open(path, salt)?;
    let frame = clip.frame(frame.unwrap_or(clip.frame_count() / 2))?;
    let image = frame.to_rgb_image();
    let (width, height) = fit_within(frame.width, frame.height, side, side);
    if (width, height) == image.dimensions() {
        return Ok(image);
    }
    Ok(image::imageops::thumbnail(&image, width, height))
}

type Outcome = Result<image::RgbImage, ThumbnailError>;
type Decode = dyn Fn(&Path, &PatientSalt, Option<u32>, u32) -> Outcome + Send;

/// One thumbnail asked for, with where its result goes.
struct Request {
    path: PathBuf,
    salt: PatientSalt,
    frame: Option<u32>,
    side: u32,
    /// Gone when the client was dropped or reset: the request is skipped.
    client: Weak<()>,
    deliver: Box<dyn FnOnce(Outcome) + Send>,
}

/// The thread that decodes thumbnails for every [`ThumbnailClient`]. It
/// ends when the worker and all its clients are dropped.
pub struct ThumbnailWorker {
    queue: Sender<Request>,
}

impl ThumbnailWorker {
    /// Starts the worker thread; `wake` is called after each thumbnail.
    pub fn spawn(wake: Wake) -> ThumbnailWorker {
        ThumbnailWorker::spawn_decoding(wake, Box::new(frame_thumbnail))
    }

    fn spawn_decoding(wake: Wake, decode: Box<Decode>) -> ThumbnailWorker {
        let (queue, requests) = channel::<Request>();
        let spawned = std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || work(&requests, &*decode, &wake));
        if let Err(error) = spawned {
            // Requests then come back as `WorkerGone` (the queue has no receiver).
            eprintln!("echolabel: cannot start the thumbnail worker: {error}");
        }
        ThumbnailWorker { queue }
    }

    /// A new client with its own keys and results.
    pub fn client<K: Clone + Eq + Hash + Send + 'static>(&self) -> ThumbnailClient<K> {
        let (results_sender, results) = channel();
        ThumbnailClient {
            queue: self.queue.clone(),
            results_sender,
            results,
            asked: HashSet::new(),
            alive: Arc::new(()),
        }
    }
}

fn work(requests: &Receiver<Request>, decode: &Decode, wake: &Wake) {
    while let Ok(request) = requests.recv() {
        if request.client.upgrade().is_none() {
            continue;
        }
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            decode(&request.path, &request.salt, request.frame, request.side)
        }))
        .unwrap_or_else(|payload| {
            Err(ThumbnailError::Panicked {
                path: request.path.clone(),
                message: panic_message(payload.as_ref()),
            })
        });
        (request.deliver)(outcome);
        wake();
    }
}

/// One grid's view of the [`ThumbnailWorker`]: asks for thumbnails by key
/// and takes them as they are done.
pub struct ThumbnailClient<K> {
    queue: Sender<Request>,
    results_sender: Sender<(K, Outcome)>,
    results: Receiver<(K, Outcome)>,
    /// Keys asked for since the last reset, pending or done.
    asked: HashSet<K>,
    /// The worker holds a weak reference per request.
    alive: Arc<()>,
}

impl<K: Clone + Eq + Hash + Send + 'static> ThumbnailClient<K> {
    /// Asks for frame `frame` of the clip at `path` (the middle frame when
    /// `None`) to fit `side` × `side` pixels, under `key`. A key already
    /// asked for (pending or done) is ignored: returns whether it was queued.
    pub fn request(
        &mut self,
        key: K,
        path: impl Into<PathBuf>,
        salt: &PatientSalt,
        frame: Option<u32>,
        side: u32,
    ) -> bool {
        if !self.asked.insert(key.clone()) {
            return false;
        }
        let path = path.into();
        let results = self.results_sender.clone();
        let deliver_key = key.clone();
        let request = Request {
            path: path.clone(),
            salt: salt.clone(),
            frame,
            side,
            client: Arc::downgrade(&self.alive),
            deliver: Box::new(move |outcome| {
                // The client may be gone by now; then nobody wants it.
                let _ = results.send((deliver_key, outcome));
            }),
        };
        if self.queue.send(request).is_err() {
            let _ = self
                .results_sender
                .send((key, Err(ThumbnailError::WorkerGone { path })));
        }
        true
    }

    /// Whether `key` was asked for since the last reset.
    pub fn is_requested(&self, key: &K) -> bool {
        self.asked.contains(key)
    }

    /// The thumbnails finished since the last call, in the order they were done.
    pub fn take(&mut self) -> Vec<(K, Outcome)> {
        self.results.try_iter().collect()
    }

    /// Forgets every key (e.g. when another project opens): requests still
    /// queued are skipped and results not yet taken are dropped.
    pub fn reset(&mut self) {
        let (results_sender, results) = channel();
        self.results_sender = results_sender;
        self.results = results;
        self.asked.clear();
        self.alive = Arc::new(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn no_wake() -> Wake {
        Arc::new(|| {})
    }

    /// Takes until `count` results have come (or fails after a while).
    fn wait_for<K: Clone + Eq + Hash + Send + 'static>(
        client: &mut ThumbnailClient<K>,
        count: usize,
    ) -> Vec<(K, Outcome)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut all = Vec::new();
        while all.len() < count {
            assert!(Instant::now() < deadline, "thumbnails did not arrive");
            all.extend(client.take());
            std::thread::sleep(Duration::from_millis(2));
        }
        all
    }

    fn phantom_clip(dir: &Path) -> PathBuf {
        let clip = crate::phantom::generate(3, 0);
        crate::phantom::write_clip(dir, &clip, 3, 0).unwrap()
    }

    #[test]
    fn the_middle_frame_fits_the_side_with_its_aspect() {
        let dir = tempfile::tempdir().unwrap();
        let path = phantom_clip(dir.path());
        let salt = PatientSalt::random();
        let clip = Clip::open(&path, &salt).unwrap();
        let full = clip.frame(clip.frame_count() / 2).unwrap().to_rgb_image();
        let (width, height) = full.dimensions();

        let small = frame_thumbnail(&path, &salt, None, 64).unwrap();
        assert!(small.width() <= 64 && small.height() <= 64);
        assert_eq!(small.width().max(small.height()), 64);
        let aspect = |w: u32, h: u32| f64::from(w) / f64::from(h);
        assert!((aspect(small.width(), small.height()) - aspect(width, height)).abs() < 0.05);
        let expected = image::imageops::thumbnail(&full, small.width(), small.height());
        assert_eq!(small, expected, "the middle frame, scaled down");

        let first = frame_thumbnail(&path, &salt, Some(0), 64).unwrap();
        assert_ne!(first, small, "an explicit frame is that frame");
        let unscaled = frame_thumbnail(&path, &salt, None, width.max(height) + 10).unwrap();
        assert_eq!(unscaled, full, "a frame that fits keeps its size");
        assert!(matches!(
            frame_thumbnail(&path, &salt, Some(clip.frame_count()), 64),
            Err(ThumbnailError::Clip(_))
        ));
    }

    #[test]
    fn an_unreadable_file_is_a_typed_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not_a_clip.dcm");
        std::fs::write(&path, vec![7u8; 400]).unwrap();
        let error = frame_thumbnail(&path, &PatientSalt::random(), None, 64).unwrap_err();
        assert!(
            matches!(error, ThumbnailError::Clip(ClipError::NotDicom { .. })),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("not_a_clip.dcm"), "{message}");
        assert!(message.contains("not a DICOM file"), "{message}");
    }

    #[test]
    fn clients_of_one_worker_get_their_own_results_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = phantom_clip(dir.path());
        let missing = dir.path().join("missing.dcm");
        let salt = PatientSalt::random();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = wakes.clone();
        let worker = ThumbnailWorker::spawn(Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
        let mut library = worker.client::<i64>();
        let mut review = worker.client::<(i64, u32)>();
        assert!(library.request(1, &path, &salt, None, 48));
        assert!(
            !library.request(1, &path, &salt, None, 48),
            "pending key ignored"
        );
        assert!(library.request(2, &missing, &salt, None, 48));
        assert!(review.request((1, 3), &path, &salt, Some(3), 96));

        let mut got = wait_for(&mut library, 2);
        got.sort_by_key(|(key, _)| *key);
        assert_eq!(got[0].1.as_ref().unwrap().width(), 48);
        match &got[1].1 {
            Err(ThumbnailError::Clip(error)) => {
                assert!(error.to_string().contains("missing.dcm"), "{error}")
            }
            other => panic!("expected a clip error, got {other:?}"),
        }
        let review_got = wait_for(&mut review, 1);
        assert_eq!(review_got[0].0, (1, 3));
        assert_eq!(review_got[0].1.as_ref().unwrap().width(), 96);
        assert!(
            !library.request(1, &path, &salt, None, 48),
            "done key ignored"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert!(library.take().is_empty() && review.take().is_empty());
        assert_eq!(wakes.load(Ordering::Relaxed), 3);

        library.reset();
        assert!(!library.is_requested(&1));
        assert!(
            library.request(1, &path, &salt, None, 48),
            "asked again after a reset"
        );
        assert_eq!(wait_for(&mut library, 1)[0].0, 1);
    }

    #[test]
    fn requests_of_a_dropped_client_are_skipped() {
        let (gate, gate_wait) = channel::<()>();
        let gate_wait = Mutex::new(gate_wait);
        let decoded = Arc::new(Mutex::new(Vec::new()));
        let seen = decoded.clone();
        let worker = ThumbnailWorker::spawn_decoding(
            no_wake(),
            Box::new(move |path, _, _, _| {
                gate_wait.lock().unwrap().recv().ok();
                seen.lock().unwrap().push(path.to_path_buf());
                Ok(image::RgbImage::new(1, 1))
            }),
        );
        let salt = PatientSalt::random();
        let mut kept = worker.client::<u32>();
        let mut dropped = worker.client::<u32>();
        // The worker holds `first` at the gate while the other client goes.
        kept.request(1, "first", &salt, None, 8);
        dropped.request(2, "dropped a", &salt, None, 8);
        dropped.request(3, "dropped b", &salt, None, 8);
        kept.request(4, "last", &salt, None, 8);
        drop(dropped);
        for _ in 0..4 {
            gate.send(()).unwrap();
        }
        let keys: Vec<u32> = wait_for(&mut kept, 2).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [1, 4]);
        assert_eq!(
            *decoded.lock().unwrap(),
            [PathBuf::from("first"), PathBuf::from("last")]
        );
    }

    #[test]
    fn a_panicking_decode_is_reported_and_the_worker_goes_on() {
        let worker = ThumbnailWorker::spawn_decoding(
            no_wake(),
            Box::new(|path, _, _, _| {
                if path == Path::new("bad") {
                    panic!("decoder bug");
                }
                Ok(image::RgbImage::new(2, 2))
            }),
        );
        let salt = PatientSalt::random();
        let mut client = worker.client::<u8>();
        client.request(0, "bad", &salt, None, 8);
        client.request(1, "good", &salt, None, 8);
        let got = wait_for(&mut client, 2);
        match &got[0] {
            (0, Err(error @ ThumbnailError::Panicked { .. })) => {
                assert!(error.to_string().contains("decoder bug"), "{error}")
            }
            other => panic!("expected the panic, got {other:?}"),
        }
        assert!(matches!(&got[1], (1, Ok(_))));
    }
}
