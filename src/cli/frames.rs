//! `echolabel frames`: every frame of a clip as displayed, as PNG files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::dicom::{Clip, PatientSalt};

#[derive(Debug, clap::Args)]
pub struct FramesArgs {
    /// The DICOM clip.
    pub file: PathBuf,
    /// Folder for frame_0000.png, frame_0001.png, …
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &FramesArgs) -> anyhow::Result<ExitCode> {
    let clip = Clip::open(&args.file, &PatientSalt::random())?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create the folder", args.out.display()))?;
    for index in 0..clip.frame_count() {
        let frame = clip.frame(index)?;
        let path = args.out.join(format!("frame_{index:04}.png"));
        frame
            .to_rgb_image()
            .save(&path)
            .with_context(|| format!("{}: cannot write the frame", path.display()))?;
    }
    eprintln!(
        "wrote {} frame(s) to {}",
        clip.frame_count(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
