//! `echolabel export` and `echolabel import-annotations`: annotations out to
//! other tools' formats, and other tools' labels in as a person's contours.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::export::{
    ExportFormat, ExportRequest, Filters, FrameFilter, StatusFilter, WhoseLabels, export,
};
use crate::label_import::{DEFAULT_TOLERANCE, LabelFormat, LabelImportRequest, import_labels};
use crate::store::Project;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The project folder.
    #[arg(long)]
    pub project: PathBuf,
    /// dicom-seg, nifti, camus, nnunet, png or csv.
    #[arg(long, value_parser = parse_format)]
    pub format: ExportFormat,
    /// The folder to write (created; never a non-empty folder unless --replace).
    #[arg(long)]
    pub out: PathBuf,
    /// Only clips of this collection.
    #[arg(long)]
    pub collection: Option<String>,
    /// Only this annotator's work.
    #[arg(long, group = "whose")]
    pub annotator: Option<String>,
    /// Only consensus annotations, one set per clip.
    #[arg(long, group = "whose")]
    pub consensus: bool,
    /// Per frame, the labels training would learn from (the project's
    /// training-label setting and pseudo-label policy), one set per clip;
    /// --status does not apply.
    #[arg(long, group = "whose", conflicts_with = "status")]
    pub training_labels: bool,
    /// Review statuses to take, comma-separated: draft, submitted, accepted,
    /// pseudo-accepted (model pseudo-labels a reviewer accepted).
    #[arg(long, value_delimiter = ',', value_parser = parse_status, default_value = "submitted,accepted")]
    pub status: Vec<StatusFilter>,
    /// Only the ED and ES frames, not every annotated frame.
    #[arg(long)]
    pub key_frames_only: bool,
    /// Replace OUT when it holds an earlier EchoLabel export.
    #[arg(long)]
    pub replace: bool,
    /// Keep the pixels outside the ultrasound regions (where scanners burn in
    /// names and dates); by default they are blanked.
    #[arg(long)]
    pub keep_outside_regions: bool,
}

fn parse_format(text: &str) -> Result<ExportFormat, String> {
    text.parse()
}

fn parse_status(text: &str) -> Result<StatusFilter, String> {
    text.parse()
}

fn parse_label_format(text: &str) -> Result<LabelFormat, String> {
    text.parse()
}

pub fn run_export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let project = Project::open(&args.project)?;
    let request = ExportRequest {
        format: args.format,
        out: args.out.clone(),
        filters: Filters {
            collection: args.collection.clone(),
            labels: if let Some(name) = &args.annotator {
                WhoseLabels::Annotator(name.clone())
            } else if args.consensus {
                WhoseLabels::Consensus
            } else if args.training_labels {
                WhoseLabels::Training
            } else {
                WhoseLabels::Everyone
            },
            statuses: args.status.iter().copied().collect(),
            frames: if args.key_frames_only {
                FrameFilter::KeyFrames
            } else {
                FrameFilter::Annotated
            },
        },
        replace: args.replace,
        keep_outside_regions: args.keep_outside_regions,
    };
    let summary = export(
        &project,
        &request,
        &mut |done, total, what| eprint!("\r\x1b[2K[{done}/{total}] {what}"),
        // The command line has no cancel button: a token nobody cancels.
        crate::jobs::CancelToken::new().as_flag(),
    )?;
    eprintln!();
    for reason in &summary.manifest.skipped {
        eprintln!("skipped: {reason}");
    }
    let counts = &summary.manifest.counts;
    println!(
        "exported {} clip(s), {} label set(s), {} frame(s), {} annotation(s) in {} file(s) to {}",
        counts.clips,
        counts.label_sets,
        counts.frames,
        counts.annotations,
        counts.files,
        summary.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ImportAnnotationsArgs {
    /// A folder of label files (or one file).
    pub path: PathBuf,
    /// The project folder.
    #[arg(long)]
    pub project: PathBuf,
    /// png, nifti, camus or dicom-seg.
    #[arg(long, value_parser = parse_label_format)]
    pub format: LabelFormat,
    /// Whose submitted contours the labels become (added if new).
    #[arg(long)]
    pub annotator: String,
    /// CSV with columns name,sop_instance_uid[,ed_frame,es_frame] matching
    /// label file names to clips (not needed for an EchoLabel export or SEG).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Tracing tolerance in pixels (0: the contour's fill is exactly the mask).
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    pub tolerance: f32,
    #[command(flatten)]
    pub acting: super::acting::ActingArgs,
}

pub fn run_import(args: &ImportAnnotationsArgs) -> anyhow::Result<ExitCode> {
    let mut project = Project::open(&args.project)?;
    let request = LabelImportRequest {
        by: args.acting.sign_in(&mut project)?,
        path: args.path.clone(),
        format: args.format,
        annotator: args.annotator.clone(),
        mapping: args.mapping.clone(),
        tolerance: args.tolerance.max(0.0),
    };
    let summary = import_labels(
        &mut project,
        &request,
        |done, total, file| eprint!("\r\x1b[2K[{}/{total}] {}", done + 1, file.display()),
        crate::jobs::CancelToken::new().as_flag(),
    )?;
    eprintln!();
    if summary.annotator_added {
        eprintln!("added annotator {:?}", args.annotator);
    }
    for note in &summary.notes {
        eprintln!("note: {note}");
    }
    for (_, reason) in &summary.failed {
        eprintln!("failed: {reason}");
    }
    println!("{summary}");
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
