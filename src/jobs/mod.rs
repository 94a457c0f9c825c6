//! Work that must never run on the UI thread: named background jobs with
//! progress and cancellation ([`Job`]), the one thread that talks to the
//! project database for the app ([`StoreThread`]), and the decoding of a
//! clip's frames for the viewer ([`FrameLoader`]).
//!
//! Both report through channels and a `wake` callback, so the UI (which
//! passes `egui::Context::request_repaint`) redraws when something arrives
//! while this module stays free of egui.

mod frame_loader;
mod job;
mod store_thread;

pub use frame_loader::{DecodedFrame, FRAME_BUDGET_BYTES, FrameLoader, FrameWindow, LoaderEvent};
pub use job::{Job, JobState, Progress};
pub use store_thread::{
    ExportError, FailedWrite, Pending, SaveState, Shutdown, StoreEvent, StoreThread,
};

use std::sync::Arc;

/// Called from a worker when it has news for the UI.
pub type Wake = Arc<dyn Fn() + Send + Sync>;
