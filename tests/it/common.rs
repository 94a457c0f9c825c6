//! Paths and fixtures shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `../shared/data` beside the repository, or `ECHOLABEL_SHARED_DATA`.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("ECHOLABEL_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        dir.join("dicom/manifest.json").is_file(),
        "the shared test data is missing at {} (set ECHOLABEL_SHARED_DATA)",
        dir.display()
    );
    dir
}

pub fn dicom_dir() -> PathBuf {
    shared_data().join("dicom")
}

/// Who the tests' projects are set up by, in the library ([`admin`]) and on
/// the command line alike.
pub const STUDY_ADMIN: &str = "Study admin";

/// Runs the built `echolabel` binary, acting as [`STUDY_ADMIN`] unless the
/// arguments say `--as` (whatever the machine's login name is).
pub fn echolabel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(args)
        .env("ECHOLABEL_AS", STUDY_ADMIN)
        .output()
        .expect("the echolabel binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One 2D item of the Sequence of Ultrasound Regions, calibrated in
/// centimetres per pixel: the tests give it plausible and absurd values.
pub fn calibrated_region(
    (x0, y0, x1, y1): (u32, u32, u32, u32),
    cm_per_pixel: f64,
) -> dicom_object::InMemDicomObject {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    let ul = |tag, value: u32| DataElement::new(tag, VR::UL, PrimitiveValue::from(value));
    let us = |tag, value: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(value));
    let fd = |tag, value: f64| DataElement::new(tag, VR::FD, PrimitiveValue::from(value));
    dicom_object::InMemDicomObject::from_element_iter([
        us(tags::REGION_SPATIAL_FORMAT, 1),
        us(tags::REGION_DATA_TYPE, 1),
        ul(tags::REGION_LOCATION_MIN_X0, x0),
        ul(tags::REGION_LOCATION_MIN_Y0, y0),
        ul(tags::REGION_LOCATION_MAX_X1, x1),
        ul(tags::REGION_LOCATION_MAX_Y1, y1),
        us(tags::PHYSICAL_UNITS_X_DIRECTION, 3),
        us(tags::PHYSICAL_UNITS_Y_DIRECTION, 3),
        fd(tags::PHYSICAL_DELTA_X, cm_per_pixel),
        fd(tags::PHYSICAL_DELTA_Y, cm_per_pixel),
    ])
}

/// The project's admin: its first one, or "Study admin" made the first admin
/// of a project that has none (every study action needs one).
pub fn admin(project: &mut echolabel::store::Project) -> i64 {
    let admins = project.admins().unwrap();
    match admins.first() {
        Some(name) => project.annotator_id(name).unwrap(),
        None => project.bootstrap_admin(STUDY_ADMIN).unwrap(),
    }
}

/// The id of the project's first admin (it must have one).
pub fn admin_of(project: &echolabel::store::Project) -> i64 {
    let admins = project.admins().unwrap();
    project.annotator_id(&admins[0]).unwrap()
}
