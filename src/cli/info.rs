//! `echolabel info`: one row (or JSON object) per clip, errors included.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::dicom::{ClipError, ClipInfo, PatientSalt, ScanEntry, scan};

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// A DICOM file or a folder to scan recursively.
    pub path: PathBuf,
    /// Print one JSON object per file instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` record of one file.
#[derive(serde::Serialize)]
struct InfoRecord<'a> {
    path: &'a Path,
    frames: Option<u32>,
    rows: Option<u32>,
    cols: Option<u32>,
    fps: Option<f64>,
    /// `[x, y]` in millimetres per pixel.
    mm_per_pixel: Option<[f64; 2]>,
    photometric: Option<&'a str>,
    transfer_syntax: Option<&'a str>,
    transfer_syntax_name: Option<&'a str>,
    /// Header values ignored as implausible.
    warnings: &'a [String],
    error: Option<String>,
}

impl<'a> InfoRecord<'a> {
    fn new(path: &'a Path, result: &'a Result<ClipInfo, ClipError>) -> Self {
        match result {
            Ok(info) => Self {
                path,
                frames: Some(info.frames),
                rows: Some(info.rows),
                cols: Some(info.cols),
                fps: info.fps(),
                mm_per_pixel: info.mm_per_pixel().map(|(x, y)| [x, y]),
                photometric: Some(&info.photometric),
                transfer_syntax: Some(&info.transfer_syntax_uid),
                transfer_syntax_name: Some(&info.transfer_syntax_name),
                warnings: &info.warnings,
                error: None,
            },
            Err(error) => Self {
                path,
                frames: None,
                rows: None,
                cols: None,
                fps: None,
                mm_per_pixel: None,
                photometric: None,
                transfer_syntax: None,
                transfer_syntax_name: None,
                warnings: &[],
                error: Some(error.to_string()),
            },
        }
    }
}

pub fn run(args: &InfoArgs) -> anyhow::Result<ExitCode> {
    if !args.path.exists() {
        anyhow::bail!("{}: no such file or folder", args.path.display());
    }
    // Nothing here is persisted, so a one-off salt keeps the hashes meaningless.
    let entries = scan(&args.path, &PatientSalt::random());
    let mut out = std::io::stdout().lock();
    if args.json {
        for entry in &entries {
            serde_json::to_writer(&mut out, &InfoRecord::new(&entry.path, &entry.result))?;
            writeln!(out)?;
        }
    } else {
        write_table(&mut out, &args.path, &entries)?;
        for entry in &entries {
            for warning in entry.result.iter().flat_map(|info| &info.warnings) {
                eprintln!("{}: warning: {warning}", entry.path.display());
            }
        }
    }
    let read = entries.iter().filter(|e| e.result.is_ok()).count();
    let failed = entries.len() - read;
    eprintln!("{} file(s): {read} read, {failed} failed", entries.len());
    Ok(if read > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn write_table(out: &mut impl Write, root: &Path, entries: &[ScanEntry]) -> std::io::Result<()> {
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let width = entries
        .iter()
        .map(|e| shown(&e.path).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:<width$}  {:>6}  {:>9}  {:>6}  {:>11}  {:<13}  transfer syntax",
        "file", "frames", "rows×cols", "fps", "mm/pixel", "photometric"
    )?;
    for entry in entries {
        let name = shown(&entry.path);
        match &entry.result {
            Ok(info) => {
                let fps = info.fps().map_or("-".into(), |f| format!("{f:.1}"));
                let spacing = info
                    .mm_per_pixel()
                    .map_or("-".into(), |(x, y)| format!("{x:.3}×{y:.3}"));
                writeln!(
                    out,
                    "{name:<width$}  {:>6}  {:>9}  {fps:>6}  {spacing:>11}  {:<13}  {}",
                    info.frames,
                    format!("{}×{}", info.rows, info.cols),
                    info.photometric,
                    info.transfer_syntax_name
                )?;
            }
            Err(error) => writeln!(out, "{name:<width$}  ERROR {error}")?,
        }
    }
    Ok(())
}
