//! `echolabel bench export`: how long an export of one annotated clip takes
//! in each format. A phantom clip of the asked length is written, imported
//! into a scratch project and annotated on every frame from its truth, then
//! exported `--repeat` times per format; the median is printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;

use crate::export::{ExportFormat, ExportRequest, Filters, export};
use crate::geometry::class_contours;
use crate::model::config::CAMUS_CLASSES;
use crate::store::{
    AnnotationStatus, ContourKey, Geometry, ImportOptions, KeyFrameKind, Project, SetBy,
    import_folder,
};

#[derive(Debug, clap::Args)]
pub struct ExportBenchArgs {
    /// Frames of the clip (annotated on every frame).
    #[arg(long, default_value_t = 60)]
    pub frames: usize,
    /// Exports per format; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
}

/// Removes the scratch folder however the benchmark ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn run(args: &ExportBenchArgs) -> anyhow::Result<ExitCode> {
    let scratch = Scratch(
        std::env::temp_dir().join(format!("echolabel-bench-export-{}", std::process::id())),
    );
    let clips = scratch.0.join("clips");
    std::fs::create_dir_all(&clips).with_context(|| clips.display().to_string())?;
    let clip = long_phantom(args.frames)?;
    crate::phantom::write_clip(&clips, &clip, 7, 0)?;
    let root = scratch.0.join("project");
    let mut project = Project::open_or_create(&root)?;
    let author = project.bootstrap_admin("Bench")?;
    import_folder(
        &mut project,
        author,
        &clips,
        "bench",
        &ImportOptions::default(),
        |_, _, _| {},
        &AtomicBool::new(false),
    )?;
    annotate(&mut project, author, &clip)?;
    let (rows, cols) = (clip.params.rows, clip.params.cols);
    println!(
        "export of one {frames}-frame {cols}×{rows} clip, 3 structures on every frame, median of {repeat} ({cores} cores)",
        frames = clip.frames.len(),
        repeat = args.repeat.max(1),
        cores = std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!("{:<10} {:>6} {:>10} {:>10}", "format", "files", "MB", "ms");
    for format in ExportFormat::ALL {
        let mut times = Vec::new();
        let mut written = (0, 0);
        for run in 0..args.repeat.max(1) {
            let out = scratch.0.join(format!("{}-{run}", format.as_str()));
            let request = ExportRequest {
                format,
                out: out.clone(),
                filters: Filters::default(),
                replace: false,
                keep_outside_regions: false,
            };
            let started = Instant::now();
            let summary = export(
                &project,
                &request,
                &mut |_, _, _| {},
                &AtomicBool::new(false),
            )?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            written = (summary.manifest.counts.files, folder_bytes(&out));
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:<10} {:>6} {:>10.2} {:>10.1}",
            format.as_str(),
            written.0,
            written.1 as f64 / 1e6,
            times[times.len() / 2]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A phantom clip of exactly `frames` frames (the first generated clip that
/// is at least that long, cut to length).
fn long_phantom(frames: usize) -> anyhow::Result<crate::phantom::PhantomClip> {
    let frames = frames.max(1);
    for index in 0..200 {
        let mut clip = crate::phantom::generate(7, index);
        if clip.frames.len() >= frames {
            clip.frames.truncate(frames);
            clip.labels.truncate(frames);
            clip.params.frames = frames as u32;
            return Ok(clip);
        }
    }
    anyhow::bail!("no phantom clip is {frames} frames long (they have 20–90)")
}

/// Every frame's truth as the bench admin's submitted contours, and ED/ES.
fn annotate(
    project: &mut Project,
    author: i64,
    clip: &crate::phantom::PhantomClip,
) -> anyhow::Result<()> {
    let record = project.clips(None)?.remove(0);
    let classes: Vec<String> = CAMUS_CLASSES.iter().map(|c| c.to_string()).collect();
    let (w, h) = (clip.params.cols as usize, clip.params.rows as usize);
    let mut contours = Vec::new();
    for (frame, labels) in clip.labels.iter().enumerate() {
        for (target, contour) in class_contours(labels, w, h, &classes, 0.8) {
            contours.push((
                ContourKey {
                    clip_id: record.id,
                    frame: frame as u32,
                    target,
                    author_id: author,
                },
                Geometry {
                    contour,
                    ..Geometry::default()
                },
            ));
        }
    }
    project.save_contours(&contours, None, AnnotationStatus::Submitted)?;
    let last = clip.frames.len() as u32 - 1;
    for (kind, frames) in [
        (KeyFrameKind::EndDiastole, &clip.truth.end_diastole),
        (KeyFrameKind::EndSystole, &clip.truth.end_systole),
    ] {
        if let Some(&frame) = frames.iter().find(|&&f| f <= last) {
            project.set_key_frame(record.id, kind, frame, SetBy::Human, author, None)?;
        }
    }
    Ok(())
}

fn folder_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
