//! Panics are bugs, not messages for users: their details go to a log file in
//! the data folder, and the terminal gets at most one short line.
//!
//! Code that contains a panic (a codec fed a corrupt stream) runs it through
//! [`contain`]; the panic is then logged and reported by the caller as a typed
//! error, with nothing printed. Any other panic prints
//! `echolabel: internal error: …; details in <log>` once.

use std::any::Any;
use std::cell::Cell;
use std::io::Write;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::path::PathBuf;

thread_local! {
    /// How many [`contain`] calls are running on this thread.
    static CONTAINED: Cell<u32> = const { Cell::new(0) };
}

/// The log file panics are appended to.
pub fn log_path() -> PathBuf {
    crate::settings::data_dir().join("panic.log")
}

/// Replaces Rust's default hook (which prints a backtrace note on the
/// terminal) with one that logs to [`log_path`].
pub fn install() {
    std::panic::set_hook(Box::new(hook));
}

fn hook(info: &PanicHookInfo<'_>) {
    let message = payload_message(info.payload());
    let location = info
        .location()
        .map_or_else(|| "unknown location".to_string(), |l| l.to_string());
    let thread = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string();
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let contained = CONTAINED.with(Cell::get) > 0;
    let entry = format!(
        "--- {seconds} (Unix time), thread {thread}, {}\npanic: {message}\nat {location}\n{}\n",
        if contained {
            "contained and reported as an error"
        } else {
            "not contained"
        },
        std::backtrace::Backtrace::force_capture()
    );
    let path = log_path();
    let logged = std::fs::create_dir_all(crate::settings::data_dir())
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .and_then(|mut file| file.write_all(entry.as_bytes()));
    if !contained {
        match logged {
            Ok(()) => eprintln!(
                "echolabel: internal error: {message}; details in {}",
                path.display()
            ),
            Err(_) => eprintln!("echolabel: internal error: {message} (at {location})"),
        }
    }
}

/// Runs `f`; a panic inside becomes `Err(message)`, logged but not printed.
pub fn contain<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    /// Decrements the count even when `f` unwinds.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CONTAINED.with(|c| c.set(c.get().saturating_sub(1)));
        }
    }
    CONTAINED.with(|c| c.set(c.get() + 1));
    let _leave = Leave;
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| payload_message(&*payload))
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_becomes_its_message() {
        assert_eq!(contain(|| 7), Ok(7));
        let error = contain(|| -> u32 { panic!("index 9 out of range") }).unwrap_err();
        assert_eq!(error, "index 9 out of range");
        // The count is back to zero after the unwind.
        assert_eq!(CONTAINED.with(Cell::get), 0);
    }
}
