//! The crate's one cancellation token: a shared flag the asking side sets
//! and the working side checks between steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request to stop, shared between whoever may ask for it and the work
/// that honours it. Clones share one flag; it never resets.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token nobody has cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the work to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether someone asked the work to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for library calls that take `&AtomicBool`
    /// (e.g. [`crate::demo::create_demo_project`], [`crate::store::import_folder`]).
    pub fn as_flag(&self) -> &AtomicBool {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_flag_and_the_flag_is_the_token() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!clone.is_cancelled());
        token.cancel();
        assert!(clone.is_cancelled());
        assert!(clone.as_flag().load(Ordering::Relaxed));
        let other = CancelToken::new();
        other.as_flag().store(true, Ordering::Relaxed);
        assert!(other.is_cancelled());
    }
}
