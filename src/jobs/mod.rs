//! Work that must never run on the UI thread: named background jobs with
//! progress and cancellation ([`Job`], all of the app's in one
//! [`JobRegistry`]), the one thread that talks to the project database for
//! the app ([`StoreThread`]), the decoding of a clip's frames for the viewer
//! ([`FrameLoader`]) and of small frames for grids ([`ThumbnailWorker`]).
//!
//! All report through channels and a `wake` callback, so the UI (which
//! passes the UI toolkit's repaint request) redraws when something arrives
//! while this module stays free of the desktop UI.

mod cancel;
mod frame_loader;
mod job;
mod registry;
mod store_thread;
mod thumbnails;

pub use cancel::CancelToken;
pub use frame_loader::{DecodedFrame, FRAME_BUDGET_BYTES, FrameLoader, FrameWindow, LoaderEvent};
/// Jobs are started through the registry, so it can refuse and list them.
pub(crate) use job::Job;
pub use job::{JobError, Progress};
pub use registry::{Finished, JobId, JobKind, JobRegistry, JobRow, Refused};
pub use store_thread::{
    ExportError, FailedWrite, Pending, SaveState, Shutdown, StoreEvent, StoreThread,
};
pub use thumbnails::{ThumbnailClient, ThumbnailError, ThumbnailWorker, frame_thumbnail};

use std::sync::Arc;

/// Called from a worker when it has news for the UI.
pub type Wake = Arc<dyn Fn() + Send + Sync>;
