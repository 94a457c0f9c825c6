//! Running a study from the command line: `study` (annotators, passphrases,
//! templates, assignments, blind collections), `consensus` (build the
//! consensus annotations) and `review` (accept or return people's work).
//! Each acts as one person (`--as`) whose role the library checks.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::acting::ActingArgs;
use crate::consensus::build_all;
use crate::store::{AnnotationKind, ConsensusMethod, Project, ReviewDecision, Role, WorkUnit};

#[derive(Debug, clap::Subcommand)]
pub enum StudyCommand {
    /// Add an annotator (or update the role and expertise of one).
    Annotator {
        name: String,
        #[arg(long, default_value = "annotator")]
        role: Role,
        /// Comma-separated expertise tags.
        #[arg(long, value_delimiter = ',')]
        expertise: Vec<String>,
    },
    /// Set the passphrase of an annotator (yourself, or anyone as an admin),
    /// read as one line from standard input; an empty line removes it.
    Passphrase { name: String },
    /// Add a task template (or replace the items of one).
    Template {
        name: String,
        /// contour, label, keypoint or measurement.
        #[arg(long)]
        kind: AnnotationKind,
        /// Comma-separated structures, labels, keypoints or measurements.
        #[arg(long, value_delimiter = ',', required = true)]
        items: Vec<String>,
    },
    /// Assign a collection, or one clip, to an annotator with a template.
    Assign(AssignArgs),
    /// Take an assignment back (the annotator's work stays).
    Unassign(AssignArgs),
    /// Make a collection blind (annotators see only their own work), or not with --off.
    Blind {
        #[arg(long)]
        collection: String,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    #[arg(long, required_unless_present = "clip", conflicts_with = "clip")]
    pub collection: Option<String>,
    /// A clip id (as `search` lists it: clip0007 is 7).
    #[arg(long)]
    pub clip: Option<i64>,
    #[arg(long)]
    pub template: String,
    #[arg(long)]
    pub annotator: String,
}

impl AssignArgs {
    fn work(&self) -> WorkUnit<'_> {
        // clap asks for exactly one of the two.
        match self.clip {
            Some(clip) if self.collection.is_none() => WorkUnit::Clip(clip),
            _ => WorkUnit::Collection(self.collection.as_deref().unwrap_or_default()),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[command(flatten)]
    pub acting: ActingArgs,
    #[command(subcommand)]
    pub command: StudyCommand,
}

pub fn study(args: &StudyArgs) -> anyhow::Result<ExitCode> {
    let mut project = Project::open(&args.project)
        .with_context(|| "create the project first with `echolabel import`")?;
    let by = args.acting.sign_in(&mut project)?;
    match &args.command {
        StudyCommand::Annotator {
            name,
            role,
            expertise,
        } => {
            project.upsert_annotator(by, name, *role, expertise)?;
        }
        StudyCommand::Passphrase { name } => {
            let person = project.annotator_id(name)?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let passphrase = line.trim_end_matches(['\r', '\n']);
            project.set_passphrase(by, person, Some(passphrase))?;
        }
        StudyCommand::Template { name, kind, items } => {
            project.upsert_template(by, name, *kind, items)?;
        }
        StudyCommand::Assign(assign) => {
            project.assign(by, assign.work(), &assign.template, &assign.annotator)?
        }
        StudyCommand::Unassign(assign) => {
            project.unassign(by, assign.work(), &assign.template, &assign.annotator)?
        }
        StudyCommand::Blind { collection, off } => {
            let id = project
                .collections()?
                .into_iter()
                .find(|c| c.name == *collection)
                .map(|c| c.id)
                .ok_or_else(|| anyhow::anyhow!("collection {collection:?} does not exist"))?;
            project.set_collection_blind(by, id, !off)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ConsensusArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Only this clip (its id); default every clip.
    #[arg(long)]
    pub clip: Option<i64>,
    /// staple (EM with per-rater sensitivity and specificity) or majority.
    #[arg(long, default_value = "staple", value_parser = parse_method)]
    pub method: ConsensusMethod,
    #[command(flatten)]
    pub acting: ActingArgs,
}

fn parse_method(text: &str) -> Result<ConsensusMethod, String> {
    match text {
        "staple" => Ok(ConsensusMethod::Staple),
        "majority" => Ok(ConsensusMethod::Majority),
        other => Err(format!("{other:?} is not staple or majority")),
    }
}

/// Builds every missing or stale consensus annotation.
pub fn consensus(args: &ConsensusArgs) -> anyhow::Result<ExitCode> {
    let mut project = Project::open(&args.project)?;
    let by = args.acting.sign_in(&mut project)?;
    let summary = build_all(
        &mut project,
        by,
        args.clip,
        args.method,
        |done, total| eprint!("\r\x1b[2K[{done}/{total}] frames and structures"),
        crate::jobs::CancelToken::new().as_flag(),
    )?;
    eprintln!();
    for reason in &summary.failed {
        eprintln!("failed: {reason}");
    }
    println!(
        "{} built, {} rebuilt (stale), {} up to date, {} corrected by a reviewer and left as they are",
        summary.built, summary.rebuilt, summary.current, summary.corrected_left
    );
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// The annotation to decide on (as --list shows); without it, list what waits.
    #[arg(long, requires = "decision")]
    pub annotation: Option<i64>,
    /// Accept the annotation.
    #[arg(long, group = "decision")]
    pub accept: bool,
    /// Return it to its author with this comment.
    #[arg(long = "return", value_name = "COMMENT", group = "decision")]
    pub return_with: Option<String>,
    #[command(flatten)]
    pub acting: ActingArgs,
}

/// Lists people's submitted work, or accepts or returns one annotation.
pub fn review(args: &ReviewArgs) -> anyhow::Result<ExitCode> {
    let mut project = Project::open(&args.project)?;
    let by = args.acting.sign_in(&mut project)?;
    let Some(annotation) = args.annotation else {
        for a in project.awaiting_review()? {
            println!(
                "{:>6}  clip{:04}  frame {:>4}  {:<16} {}",
                a.id,
                a.clip_id,
                a.frame + 1,
                a.target,
                a.author
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let (decision, comment) = match &args.return_with {
        Some(comment) => (ReviewDecision::Returned, comment.as_str()),
        None => (ReviewDecision::Accepted, ""),
    };
    project.review_annotation(by, annotation, decision, comment)?;
    Ok(ExitCode::SUCCESS)
}
