//! Project commands: import, search and report (the study set-up is in
//! `study`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::store::key::KeyRing;
use crate::store::{
    AnnotationStatus, ImportOptions, Project, SearchQuery, Source, import_folder, progress_report,
};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Folder (scanned recursively) or file to import.
    pub folder: PathBuf,
    /// The project folder (created if missing).
    #[arg(long)]
    pub project: PathBuf,
    /// Collection to add the clips to (created if missing).
    #[arg(long)]
    pub collection: String,
    /// Copy the files, de-identified, into the project instead of referring
    /// to them where they are.
    #[arg(long)]
    pub copy: bool,
    /// The study's patient key file (64 hex digits, e.g. from `openssl rand -hex 32`),
    /// to link patients across projects; installed into the config folder's keys/.
    /// Default: ECHOLABEL_PATIENT_KEY, else the project's own key there.
    #[arg(long, value_name = "FILE")]
    pub patient_key: Option<PathBuf>,
    #[command(flatten)]
    pub acting: super::acting::ActingArgs,
}

pub fn import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let mut keys = KeyRing::from_env();
    if let Some(file) = &args.patient_key {
        keys.given = Some(file.clone());
    }
    let mut project = Project::open_or_create_with_keys(&args.project, &keys)?;
    let options = ImportOptions {
        copy_into_project: args.copy,
    };
    let by = args.acting.sign_in(&mut project)?;
    let summary = import_folder(
        &mut project,
        by,
        &args.folder,
        &args.collection,
        &options,
        |done, total, path| eprint!("\r\x1b[2K[{}/{total}] {}", done + 1, path.display()),
        // The command line has no cancel button: a token nobody cancels.
        crate::jobs::CancelToken::new().as_flag(),
    )?;
    eprintln!();
    for (_, reason) in &summary.conflicts {
        eprintln!("conflict: {reason}");
    }
    for (_, reason) in &summary.failed {
        eprintln!("failed: {reason}");
    }
    if summary.relocated > 0 {
        eprintln!(
            "{} moved file(s) found again at their new place",
            summary.relocated
        );
    }
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long)]
    pub collection: Option<String>,
    #[arg(long)]
    pub annotator: Option<String>,
    /// draft, submitted, accepted or rejected.
    #[arg(long)]
    pub status: Option<AnnotationStatus>,
    /// human, model, pseudo_label or consensus.
    #[arg(long)]
    pub source: Option<Source>,
    /// Image-level label value, e.g. B-mode.
    #[arg(long)]
    pub label: Option<String>,
    /// Contour structure, e.g. lv_endocardium.
    #[arg(long)]
    pub structure: Option<String>,
    #[arg(long)]
    pub uncertainty_min: Option<f64>,
    #[arg(long)]
    pub uncertainty_max: Option<f64>,
    #[arg(long)]
    pub modality: Option<String>,
    #[arg(long)]
    pub manufacturer: Option<String>,
    /// Study date from, YYYYMMDD.
    #[arg(long)]
    pub date_from: Option<String>,
    /// Study date to, YYYYMMDD.
    #[arg(long)]
    pub date_to: Option<String>,
    /// One JSON object per matching clip.
    #[arg(long)]
    pub json: bool,
}

pub fn search(args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let project = Project::open(&args.project)?;
    let query = SearchQuery {
        collection: args.collection.clone(),
        annotator: args.annotator.clone(),
        status: args.status,
        source: args.source,
        label: args.label.clone(),
        structure: args.structure.clone(),
        uncertainty_min: args.uncertainty_min,
        uncertainty_max: args.uncertainty_max,
        modality: args.modality.clone(),
        manufacturer: args.manufacturer.clone(),
        date_from: args.date_from.clone(),
        date_to: args.date_to.clone(),
    };
    let hits = project.search(&query)?;
    for hit in &hits {
        if args.json {
            println!("{}", serde_json::to_string(hit)?);
        } else {
            let frames = if hit.frames.is_empty() {
                String::new()
            } else {
                format!(
                    "  frames {}",
                    hit.frames
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            println!(
                "{:>5}  {}  {} frames  {}{frames}",
                hit.clip.id,
                hit.clip.modality.as_deref().unwrap_or("-"),
                hit.clip.frames,
                project.clip_file(&hit.clip).display()
            );
        }
    }
    if !args.json {
        eprintln!("{} clip(s)", hits.len());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Print CSV instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Report the median active time per frame of each annotator, with and
    /// without a model proposal, instead of progress.
    #[arg(long)]
    pub times: bool,
}

const REPORT_HEADER: [&str; 8] = [
    "collection",
    "annotator",
    "clips_assigned",
    "frames_assigned",
    "clips_annotated",
    "frames_annotated",
    "frames_reviewed",
    "frames_draft",
];

pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let project = Project::open(&args.project)?;
    if args.times {
        return report_times(&project, args);
    }
    let rows = progress_report(&project)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.collection.clone(),
                r.annotator.clone(),
                r.clips_assigned.to_string(),
                r.frames_assigned.to_string(),
                r.clips_annotated.to_string(),
                r.frames_annotated.to_string(),
                r.frames_reviewed.to_string(),
                r.frames_draft.to_string(),
            ]
        })
        .collect();
    if args.csv {
        let mut writer = csv::Writer::from_writer(std::io::stdout());
        writer.write_record(REPORT_HEADER)?;
        for row in &cells {
            writer.write_record(row)?;
        }
        writer.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let widths: Vec<usize> = (0..REPORT_HEADER.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([REPORT_HEADER[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[&str]| {
        values
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (v, w))| {
                if i < 2 {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(&REPORT_HEADER));
    for row in &cells {
        println!("{}", line(&row.each_ref().map(String::as_str)));
    }
    Ok(ExitCode::SUCCESS)
}

/// `report --times`: the median active time per frame.
fn report_times(project: &Project, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let rows = project.frame_time_report()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(std::io::stdout());
        for row in &rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
    } else {
        println!(
            "{:<24} {:<16} {:>7} {:>16}",
            "annotator", "start", "frames", "median s/frame"
        );
        for row in &rows {
            let start = if row.with_proposal {
                "model proposal"
            } else {
                "manual"
            };
            println!(
                "{:<24} {:<16} {:>7} {:>16.1}",
                row.annotator, start, row.frames, row.median_seconds
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
