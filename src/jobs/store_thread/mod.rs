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
//!
//! The handle the UI keeps is in `handle`, the thread's loop in `worker`;
//! `apply` commits held changes in order (and says why they wait), `recovery`
//! adopts what ended sessions left in their journals, and `failures` keeps
//! the changes the store refused.

mod apply;
mod failures;
mod handle;
mod recovery;
mod state;
mod worker;

#[cfg(test)]
mod tests;

pub use failures::{ExportError, FailedWrite};
pub use handle::{Pending, StoreThread};
pub use state::{SaveState, Shutdown, StoreEvent};
