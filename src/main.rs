//! The `echolabel` binary: the desktop app without arguments, headless work
//! with a subcommand.

use std::process::ExitCode;

use clap::Parser;
use echolabel::cli::{self, Cli};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before anything can panic: details go to a log file, not the terminal.
    echolabel::panic_log::install();
    let args = Cli::parse();
    if args
        .command
        .as_ref()
        .is_some_and(|command| command.is_headless())
    {
        keep_off_the_display();
    }
    match args.command {
        None => match echolabel::app::run(args.window.app_options(), None) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("echolabel: cannot open the window: {error}");
                ExitCode::FAILURE
            }
        },
        Some(command) => match cli::run(command) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("echolabel: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Sets [`echolabel::model::HEADLESS_VULKAN_ENV`] (unless the user set those
/// variables), so that probing the GPU in a headless command does not connect
/// to a display server, nor print libwayland's complaint when there is none.
fn keep_off_the_display() {
    for (name, value) in echolabel::model::HEADLESS_VULKAN_ENV {
        if std::env::var_os(name).is_none() {
            // SAFETY: main has started no thread yet (the panic hook and the
            // argument parser spawn none), so nothing reads the environment
            // while it changes.
            unsafe { std::env::set_var(name, value) };
        }
    }
}
