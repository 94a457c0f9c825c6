//! The built-in demo project: synthetic apical four-chamber clips generated on
//! the spot, imported into a project with a contour template, an admin and
//! two annotators, so the app has something to annotate on a fresh machine.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::phantom;
use crate::store::{
    AnnotationKind, ImportOptions, Project, Role, StoreError, WorkUnit, import_folder,
};

/// Clips in the demo project, and the seed that makes them.
pub const DEMO_CLIPS: u32 = 8;
pub const DEMO_SEED: u64 = 2026;
/// The demo's collection and template names.
pub const DEMO_COLLECTION: &str = "Demo: apical 4-chamber";
pub const DEMO_TEMPLATE: &str = "CAMUS contours";
/// The CAMUS structures, as the demo template names them, in display order.
pub const CAMUS_STRUCTURES: [&str; 3] = ["LV endocardium", "Myocardium", "Left atrium"];
/// The demo's admin, who sets the study up.
pub const DEMO_ADMIN: &str = "Demo study lead";
/// The demo's people besides the admin, each assigned the demo collection.
pub const DEMO_ANNOTATORS: [(&str, Role, &str); 2] = [
    ("Demo sonographer", Role::Annotator, "sonographer"),
    ("Demo cardiologist", Role::Reviewer, "cardiologist"),
];

/// Why the demo project could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the demo clips: {0}")]
    Phantom(#[from] phantom::PhantomError),
    #[error("cancelled")]
    Cancelled,
}

/// Creates the demo project in `root` (or completes one that was interrupted).
/// `progress` receives a fraction and what is being done.
pub fn create_demo_project(
    root: &Path,
    progress: impl Fn(f32, &str) + Sync,
    cancel: &AtomicBool,
) -> Result<(), DemoError> {
    let mut project = Project::open_or_create(root)?;
    let clips_dir = root.join(crate::store::DICOM_DIR).join("demo");
    progress(0.0, "generating demo clips");
    phantom::write_dataset(&clips_dir, DEMO_CLIPS, DEMO_SEED, |done, total| {
        progress(
            0.6 * done as f32 / total.max(1) as f32,
            "generating demo clips",
        )
    })?;
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(DemoError::Cancelled);
    }
    // An interrupted creation may have made the admin already.
    let admin = match project.annotators()?.iter().find(|a| a.name == DEMO_ADMIN) {
        Some(admin) => admin.id,
        None => project.bootstrap_admin(DEMO_ADMIN)?,
    };
    let summary = import_folder(
        &mut project,
        admin,
        &clips_dir,
        DEMO_COLLECTION,
        &ImportOptions::default(),
        |done, total, _| {
            progress(
                0.6 + 0.35 * done as f32 / total.max(1) as f32,
                "importing demo clips",
            )
        },
        cancel,
    )?;
    if summary.cancelled {
        return Err(DemoError::Cancelled);
    }
    progress(0.95, "adding annotators and the contour template");
    let items: Vec<String> = CAMUS_STRUCTURES.iter().map(|s| s.to_string()).collect();
    project.upsert_template(admin, DEMO_TEMPLATE, AnnotationKind::Contour, &items)?;
    for (name, role, expertise) in DEMO_ANNOTATORS {
        project.upsert_annotator(admin, name, role, &[expertise.to_string()])?;
        project.assign(
            admin,
            WorkUnit::Collection(DEMO_COLLECTION),
            DEMO_TEMPLATE,
            name,
        )?;
    }
    progress(1.0, "demo project ready");
    Ok(())
}
