//! The `echolabel` binary: the desktop app without arguments, headless work
//! with a subcommand.

use std::process::ExitCode;

use clap::Parser;
use echolabel::cli::{self, Cli};

fn main() -> ExitCode {
    // Before anything can panic: details go to a log file, not the terminal.
    echolabel::panic_log::install();
    let args = Cli::parse();
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
