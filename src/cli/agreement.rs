//! `echolabel agreement`: how much a project's annotators agree, per pair
//! and against the STAPLE consensus of their contours.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::consensus::project_agreement;
use crate::store::Project;

#[derive(Debug, clap::Args)]
pub struct AgreementArgs {
    /// The project folder.
    #[arg(long)]
    pub project: PathBuf,
    /// One CSV row per comparison (clip, frame, structure, pair) instead of the summary.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// The comparisons and the per-annotator summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &AgreementArgs) -> anyhow::Result<ExitCode> {
    let project = Project::open(&args.project)?;
    let report = project_agreement(&project)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(std::io::stdout());
        for row in &report.pairs {
            writer.serialize(row)?;
        }
        writer.flush()?;
    } else if report.annotators.is_empty() {
        println!("no frame has finished contours of one structure by two or more annotators");
    } else {
        println!(
            "{:<24} {:>9} {:>14} {:>12} {:>12}",
            "annotator", "compared", "Dice vs STAPLE", "sensitivity", "specificity"
        );
        for row in &report.annotators {
            println!(
                "{:<24} {:>9} {:>14.3} {:>12.3} {:>12.4}",
                row.annotator,
                row.compared,
                row.mean_dice_vs_consensus,
                row.mean_staple_sensitivity,
                row.mean_staple_specificity
            );
        }
        println!(
            "{} comparisons (pairs and against the consensus); --csv lists them",
            report.pairs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
