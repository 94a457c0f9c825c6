//! `echolabel phantom`: synthetic echo clips with ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::phantom::write_dataset;

#[derive(Debug, clap::Args)]
pub struct PhantomArgs {
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of clips.
    #[arg(long, default_value_t = 8)]
    pub clips: u32,
    /// Seed: the same seed writes the same clips.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: &PhantomArgs) -> anyhow::Result<ExitCode> {
    let written = write_dataset(&args.out, args.clips, args.seed, |done, total| {
        eprint!("\rphantom clips: {done}/{total}");
    })
    .map_err(anyhow::Error::msg)?;
    eprintln!();
    for clip in &written {
        println!("{}", clip.display());
    }
    Ok(ExitCode::SUCCESS)
}
