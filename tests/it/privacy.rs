//! Security and privacy of a project folder: no patient identifier or original
//! path reaches any file of the project (database, WAL, copies), copies are
//! de-identified and cannot be steered by header values, a reused SOP Instance
//! UID is a conflict, and the patient key lives outside the database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use echolabel::dicom::{Clip, PatientIdentity, PatientSalt};
use echolabel::store::key::KeyRing;
use echolabel::store::{ImportOptions, ImportSummary, Project, import_folder, schema};

const NAME: &str = "ZZTESTPATIENT^ALICE";
const ID: &str = "MRN-98765-XQ";
const BIRTH_DATE: &str = "19510417";
const INSTITUTION: &str = "ST ELSEWHERE INFIRMARY";
const ACCESSION: &str = "ACC-55501-Q";

/// Every identifier, and forms a careless store might write instead.
fn forbidden() -> Vec<Vec<u8>> {
    let mut strings: Vec<String> = [NAME, ID, BIRTH_DATE, INSTITUTION, ACCESSION]
        .iter()
        .map(|s| s.to_string())
        .collect();
    strings.extend([
        "ZZTESTPATIENT".into(),
        "1951-04-17".into(),
        "1951/04/17".into(),
        "17.04.1951".into(),
        "ELSEWHERE".into(),
    ]);
    let mut forms: Vec<Vec<u8>> = Vec::new();
    for s in &strings {
        forms.push(s.as_bytes().to_vec());
        forms.push(s.to_lowercase().into_bytes());
        // Hex (how a careless store might write bytes) and UTF-16.
        forms.push(
            s.bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into_bytes(),
        );
        forms.push(s.encode_utf16().flat_map(u16::to_le_bytes).collect());
    }
    forms
}

/// Asserts that no file under `dir` holds an identifier; returns how many files were read.
fn assert_no_identifier_under(dir: &Path) -> usize {
    let forms = forbidden();
    let mut files = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        let name = entry.path().to_string_lossy().into_owned();
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for form in &forms {
            assert!(
                !relative
                    .as_bytes()
                    .windows(form.len())
                    .any(|w| w == form.as_slice()),
                "{name}: an identifier in the file name"
            );
        }
        if !entry.file_type().is_file() {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(entry.path()).unwrap();
        for form in &forms {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                "{name} holds {:?}",
                String::from_utf8_lossy(form)
            );
        }
    }
    files
}

/// A phantom clip carrying patient identifiers, written to `target`, with
/// SOP Instance UID `uid` when given; `tweak` changes one pixel byte.
fn identified_clip(target: &Path, uid: Option<&str>, tweak: bool) -> PathBuf {
    let scratch = tempfile::tempdir().unwrap();
    let written = echolabel::phantom::write_dataset(scratch.path(), 1, 11, |_, _| {}).unwrap();
    let mut object = dicom_object::OpenFileOptions::new()
        .open_file(&written[0])
        .unwrap();
    let put = |object: &mut dicom_object::DefaultDicomObject, tag, vr, value: &str| {
        object.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
    };
    put(&mut object, tags::PATIENT_NAME, VR::PN, NAME);
    put(&mut object, tags::PATIENT_ID, VR::LO, ID);
    put(&mut object, tags::PATIENT_BIRTH_DATE, VR::DA, BIRTH_DATE);
    put(&mut object, tags::INSTITUTION_NAME, VR::LO, INSTITUTION);
    put(&mut object, tags::ACCESSION_NUMBER, VR::SH, ACCESSION);
    // Other Patient IDs (retired, still written by old scanners).
    put(&mut object, dicom_core::Tag(0x0010, 0x1000), VR::LO, ID);
    put(&mut object, tags::OPERATORS_NAME, VR::PN, NAME);
    // The data set's UID only: dicom-rs already refuses an invalid UID in the meta group.
    if let Some(uid) = uid {
        put(&mut object, tags::SOP_INSTANCE_UID, VR::UI, uid);
    }
    if tweak {
        let mut pixels = object
            .get(tags::PIXEL_DATA)
            .unwrap()
            .to_bytes()
            .unwrap()
            .into_owned();
        pixels[0] = pixels[0].wrapping_add(1);
        object.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::from(pixels),
        ));
    }
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    object.write_to_file(target).unwrap();
    target.to_path_buf()
}

fn keys(dir: &Path) -> KeyRing {
    KeyRing {
        dir: dir.join("keys"),
        given: None,
    }
}

fn import(project: &mut Project, folder: &Path, copy: bool) -> ImportSummary {
    let by = crate::common::admin(project);
    import_folder(
        project,
        by,
        folder,
        "echo",
        &ImportOptions {
            copy_into_project: copy,
        },
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

/// Runs `echolabel import` with its config folder (and so its keys) under `home`.
fn cli_import(home: &Path, folder: &Path, project: &Path, copy: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_echolabel"));
    command
        .env("ECHOLABEL_HOME", home)
        .env_remove("ECHOLABEL_PATIENT_KEY")
        .args(["import", folder.to_str().unwrap(), "--project"])
        .arg(project)
        .args(["--collection", "echo"]);
    if copy {
        command.arg("--copy");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// pydicom reads the copy, finds no identifier and the original's pixels.
fn check_copy_with_pydicom(copy: &Path, original: &Path) {
    let script = r#"
import sys, pydicom
copy, original = pydicom.dcmread(sys.argv[1]), pydicom.dcmread(sys.argv[2])
assert copy.PixelData == original.PixelData, "pixel data differs"
assert (copy.pixel_array == original.pixel_array).all()
assert copy.PatientIdentityRemoved == 'YES'
assert 'Basic Application' in copy.DeidentificationMethod
assert 'InstitutionName' not in copy and 'OtherPatientIDs' not in copy
assert str(copy.PatientName) not in (str(original.PatientName), '')
assert copy.SOPInstanceUID != original.SOPInstanceUID and copy.SOPInstanceUID.startswith('2.25.')
assert copy.file_meta.MediaStorageSOPInstanceUID == copy.SOPInstanceUID
assert copy.StudyInstanceUID != original.StudyInstanceUID
assert copy.NumberOfFrames == original.NumberOfFrames and copy.FrameTime == original.FrameTime
print(copy.SOPInstanceUID)
"#;
    let python = Command::new("python3")
        .args(["-c", script])
        .arg(copy)
        .arg(original)
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "pydicom check of the de-identified copy failed (install it with `pip install pydicom numpy`): {}",
        String::from_utf8_lossy(&python.stderr)
    );
}

#[test]
fn no_identifier_reaches_any_file_of_the_project_with_or_without_copy() {
    let dir = tempfile::tempdir().unwrap();
    // The identifiers are in the folder names too, as record exports often have them.
    let source_root = dir.path().join("export");
    let original = identified_clip(
        &source_root.join(format!("{INSTITUTION}/{ID} {NAME}/{ACCESSION}.dcm")),
        None,
        false,
    );
    let keys = keys(dir.path());
    let mut projects = Vec::new();
    for copy in [false, true] {
        let root = dir.path().join(format!("library-copy-{copy}"));
        let mut project = Project::open_or_create_with_keys(&root, &keys).unwrap();
        let summary = import(&mut project, &source_root, copy);
        assert_eq!(
            summary.to_string(),
            "imported 1, duplicates 0, conflicts 0, failed 0"
        );
        let clip = &project.clips(None).unwrap()[0];
        // Readers still find the file (in place, or the copy inside the project).
        let file = project.clip_file(clip);
        assert_eq!(file.starts_with(&root), copy, "{}", file.display());
        let opened = Clip::open(&file, project.salt()).unwrap();
        assert_eq!(opened.info().frames, clip.frames);
        assert!(clip.patient_hash.is_some());
        if copy {
            assert!(file.parent().unwrap().ends_with("dicom"));
            let name = file.file_stem().unwrap().to_str().unwrap();
            assert!(name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()));
            check_copy_with_pydicom(&file, &original);
        }
        // Read while the project is open (WAL and shared memory present) …
        assert!(assert_no_identifier_under(&root) >= 2);
        projects.push((root, project));
    }
    // … and once closed.
    for (root, project) in projects {
        drop(project);
        assert_no_identifier_under(&root);
    }
    let home = dir.path().join("home");
    for copy in [false, true] {
        let root = dir.path().join(format!("cli-copy-{copy}"));
        let line = cli_import(&home, &source_root, &root, copy);
        assert_eq!(line, "imported 1, duplicates 0, conflicts 0, failed 0");
        assert_no_identifier_under(&root);
    }
    // The keys are outside the projects, one per project.
    let installed = std::fs::read_dir(home.join("config/keys")).unwrap().count();
    assert_eq!(installed, 2);
}

#[test]
fn a_header_cannot_place_the_copy_and_a_reused_uid_is_a_conflict_not_a_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "../../../x";
    let first_folder = dir.path().join("first");
    identified_clip(&first_folder.join("a.dcm"), Some(hostile), false);
    let root = dir.path().join("deep/er/project");
    let keys = keys(dir.path());
    let mut project = Project::open_or_create_with_keys(&root, &keys).unwrap();
    let summary = import(&mut project, &first_folder, true);
    assert_eq!(
        (summary.imported, summary.failed.len()),
        (1, 0),
        "{summary:?}"
    );
    // Only the sources, the project and the key folder hold files.
    for entry in walkdir::WalkDir::new(dir.path()) {
        let path = entry.unwrap().into_path();
        if path.is_file() {
            assert!(
                path.starts_with(&first_folder)
                    || path.starts_with(&root)
                    || path.starts_with(dir.path().join("keys")),
                "{} written outside the project",
                path.display()
            );
        }
    }
    let clip = project.clip_by_uid(hostile).unwrap().unwrap();
    let copy = project.clip_file(&clip);
    assert_eq!(copy.parent().unwrap(), root.join("dicom"));
    let before = std::fs::read(&copy).unwrap();

    // Another file with the same UID but other pixels: a conflict, with or without --copy.
    let second_folder = dir.path().join("second");
    identified_clip(&second_folder.join("b.dcm"), Some(hostile), true);
    for copy_into_project in [true, false] {
        let summary = import(&mut project, &second_folder, copy_into_project);
        assert_eq!(
            summary.to_string(),
            "imported 0, duplicates 0, conflicts 1, failed 0"
        );
        let (path, reason) = &summary.conflicts[0];
        assert!(path.ends_with("b.dcm"), "{}", path.display());
        assert!(reason.contains(&format!("clip {}", clip.id)), "{reason}");
    }
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the clip's file is untouched"
    );
    assert_eq!(project.clips(None).unwrap(), vec![clip.clone()]);
    assert_eq!(std::fs::read_dir(root.join("dicom")).unwrap().count(), 1);

    // The same file again: a duplicate, and no second copy.
    let again = import(&mut project, &first_folder, true);
    assert_eq!(
        again.to_string(),
        "imported 0, duplicates 1, conflicts 0, failed 0"
    );
    assert_eq!(std::fs::read_dir(root.join("dicom")).unwrap().count(), 1);
    drop(project);

    let output = Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .env_remove("ECHOLABEL_PATIENT_KEY")
        .env("ECHOLABEL_HOME", dir.path().join("home"))
        .args(["import", second_folder.to_str().unwrap(), "--project"])
        .arg(dir.path().join("cli"))
        .args(["--collection", "echo"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let output = Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .env_remove("ECHOLABEL_PATIENT_KEY")
        .env("ECHOLABEL_HOME", dir.path().join("home"))
        .args(["import", first_folder.to_str().unwrap(), "--project"])
        .arg(dir.path().join("cli"))
        .args(["--collection", "echo", "--copy"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 0, duplicates 0, conflicts 1, failed 0"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("conflict: "));
}

#[test]
fn the_patient_key_is_outside_the_database_and_an_admin_key_links_projects() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("clips");
    identified_clip(&folder.join("a.dcm"), None, false);
    let keys = keys(dir.path());
    let root = dir.path().join("own");
    let mut project = Project::open_or_create_with_keys(&root, &keys).unwrap();
    import(&mut project, &folder, false);
    let own_hash = project.clips(None).unwrap()[0].patient_hash.clone();
    let key_hex = project.salt().to_hex();
    drop(project);
    let key_file = keys.dir.join(format!(
        "{}.key",
        PatientSalt::from_hex(&key_hex).unwrap().fingerprint()
    ));
    assert!(key_file.is_file());
    let database = std::fs::read(root.join("project.sqlite")).unwrap();
    assert!(!database.windows(64).any(|w| w == key_hex.as_bytes()));
    // Without its key the project does not open, and says where the key belongs.
    let elsewhere = KeyRing {
        dir: dir.path().join("other-keys"),
        given: None,
    };
    let error = Project::open_with_keys(&root, &elsewhere)
        .unwrap_err()
        .to_string();
    assert!(error.contains("other-keys"), "{error}");

    // Two projects created with the admin's key hash the patient alike.
    let admin = dir.path().join("study.key");
    std::fs::write(&admin, format!("{}\n", PatientSalt::random().to_hex())).unwrap();
    let with_admin = KeyRing {
        given: Some(admin.clone()),
        ..keys.clone()
    };
    let mut hashes = Vec::new();
    for name in ["site-a", "site-b"] {
        let mut project =
            Project::open_or_create_with_keys(&dir.path().join(name), &with_admin).unwrap();
        import(&mut project, &folder, false);
        hashes.push(project.clips(None).unwrap()[0].patient_hash.clone());
    }
    assert_eq!(hashes[0], hashes[1]);
    assert_ne!(hashes[0], own_hash);
    // Installed: later opens need no --patient-key.
    assert!(Project::open_with_keys(&dir.path().join("site-a"), &keys).is_ok());
    // The wrong key for a project is refused.
    assert!(Project::open_with_keys(&root, &with_admin).is_err());
}

#[test]
fn an_older_project_has_its_salt_moved_out_and_its_paths_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let clip_path = identified_clip(&dir.path().join(format!("data/{ID}/a.dcm")), None, false);
    let salt = PatientSalt::random();
    let root = dir.path().join("legacy");
    std::fs::create_dir_all(&root).unwrap();
    let identity = PatientIdentity::from_identifiers(&salt, ID, NAME, BIRTH_DATE);
    {
        let mut conn = rusqlite::Connection::open(root.join("project.sqlite")).unwrap();
        schema::migrate_to(&mut conn, 3).unwrap();
        let path = clip_path.to_str().unwrap();
        conn.execute(
            "INSERT INTO project_meta (key, value) VALUES ('patient_salt', ?1)",
            [salt.to_hex()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO clips (sop_instance_uid, sop_class_uid, path, file_size, content_hash, patient_hash,
                patient_identifiers_present, frames, rows, cols, photometric, transfer_syntax)
             VALUES ('1.2.3', '1.2.840.10008.5.1.4.1.1.3.1', ?1, 1, 'abc', ?2, 1, 1, 1, 1, 'MONOCHROME2', '1.2.840.10008.1.2.1')",
            rusqlite::params![path, identity.hash],
        )
        .unwrap();
        conn.execute("INSERT INTO collections (name) VALUES ('old')", [])
            .unwrap();
        conn.execute(
            "INSERT INTO imports (root, collection_id) VALUES (?1, 1)",
            [path],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO import_files (import_id, path, outcome, message) VALUES (1, ?1, 'failed', ?2)",
            [path, &format!("{path}: not a DICOM file")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO audit_log (action, entity, entity_id, detail) VALUES ('import', 'clip', 1, ?1)",
            [serde_json::json!({ "sop_instance_uid": "1.2.3", "path": path }).to_string()],
        )
        .unwrap();
    }
    let keys = keys(dir.path());
    let project = Project::open_with_keys(&root, &keys).unwrap();
    assert_eq!(
        project.salt(),
        &salt,
        "the old salt is the key: old hashes stay comparable"
    );
    assert!(
        keys.dir
            .join(format!("{}.key", salt.fingerprint()))
            .is_file()
    );
    let clip = &project.clips(None).unwrap()[0];
    assert_eq!(project.clip_file(clip), clip_path);
    assert_eq!(clip.patient_hash, identity.hash);
    drop(project);
    let database = std::fs::read(root.join("project.sqlite")).unwrap();
    assert!(!database.windows(64).any(|w| w == salt.to_hex().as_bytes()));
    assert_no_identifier_under(&root);
    // And it opens again, now by the key's fingerprint.
    let project = Project::open_with_keys(&root, &keys).unwrap();
    assert_eq!(
        project.clip_file(&project.clips(None).unwrap()[0]),
        clip_path
    );
}
