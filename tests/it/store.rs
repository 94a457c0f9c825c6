//! The project store: schema and migrations, import, annotations with history,
//! search, report, and reliability under SIGKILL and concurrent writers.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use echolabel::store::{
    AnnotationEdit, AnnotationKind, AnnotationStatus, ContourKey, Geometry, ImportOptions,
    KeyFrameKind, NewAnnotation, NewRound, Project, Role, SearchQuery, SetBy, Source, StoreError,
    WorkUnit, import_folder, progress_report, schema,
};

use crate::common::{dicom_dir, echolabel, stdout};

fn phantom_dir(dir: &Path, clips: u32) -> PathBuf {
    let out = dir.join("phantoms");
    echolabel::phantom::write_dataset(&out, clips, 3, |_, _| {}).unwrap();
    out
}

fn import(
    project: &mut Project,
    folder: &Path,
    collection: &str,
) -> echolabel::store::ImportSummary {
    let by = crate::common::admin(project);
    import_folder(
        project,
        by,
        folder,
        collection,
        &ImportOptions::default(),
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn contour(offset: f32) -> Geometry {
    Geometry {
        contour: vec![[10.0 + offset, 10.0], [20.0, 10.0], [15.0, 20.0]],
        ..Geometry::default()
    }
}

fn annotation(
    clip_id: i64,
    frame: u32,
    author_id: i64,
    source: Source,
    status: AnnotationStatus,
) -> NewAnnotation {
    NewAnnotation {
        clip_id,
        frame,
        template_id: None,
        kind: AnnotationKind::Contour,
        target: "lv_endocardium".into(),
        author_id,
        source,
        model_version_id: None,
        status,
        geometry: contour(0.0),
        mask: None,
        uncertainty: None,
    }
}

#[test]
fn a_new_project_has_the_current_schema_and_an_append_only_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::open_or_create(dir.path()).unwrap();
    project.integrity_check().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::SCHEMA_VERSION);
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    assert!(
        conn.execute("UPDATE audit_log SET action = 'x'", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    assert!(dir.path().join("checkpoints").is_dir() && dir.path().join("exports").is_dir());
}

#[test]
fn an_older_project_is_upgraded_in_place_without_losing_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
        schema::migrate_to(&mut conn, 1).unwrap();
        conn.execute("INSERT INTO collections (name) VALUES ('legacy')", [])
            .unwrap();
        conn.execute(
            "INSERT INTO annotators (name, role) VALUES ('old hand', 'reviewer')",
            [],
        )
        .unwrap();
    }
    let project = Project::open(dir.path()).unwrap();
    assert_eq!(project.collections().unwrap()[0].name, "legacy");
    assert_eq!(project.annotators().unwrap()[0].role, Role::Reviewer);
    let conn = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::SCHEMA_VERSION);
    // The column version 2 added exists.
    assert!(conn.prepare("SELECT uncertainty FROM annotations").is_ok());
}

#[test]
fn a_project_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(Project::open_or_create(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = Project::open(dir.path()).unwrap_err();
    assert!(
        matches!(error, StoreError::NewerSchema { found: 99, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("newer EchoLabel"));
    let conn = rusqlite::Connection::open(dir.path().join("project.sqlite")).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), 99);
}

#[test]
fn import_deduplicates_reports_bad_files_and_resumes_after_interruption() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(&dir.path().join("project")).unwrap();
    // Interrupt after three files.
    let cancel = AtomicBool::new(false);
    let by = crate::common::admin(&mut project);
    let partial = import_folder(
        &mut project,
        by,
        &dicom_dir(),
        "shared",
        &ImportOptions::default(),
        |done, _, _| {
            if done >= 3 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap();
    assert!(partial.cancelled);
    assert!(partial.imported + partial.duplicates + (partial.failed.len() as u64) < 15);
    let resumed = import(&mut project, &dicom_dir(), "shared");
    assert!(!resumed.cancelled);
    // Two pairs of files share a SOP Instance UID (same image, two syntaxes):
    // the second of each pair has other bytes, so it is a conflict, not a duplicate.
    assert_eq!(
        (
            resumed.imported,
            resumed.duplicates,
            resumed.conflicts.len(),
            resumed.failed.len()
        ),
        (8, 0, 2, 5),
        "{resumed}"
    );
    let bad = dicom_dir().join("bad").canonicalize().unwrap();
    assert!(
        resumed
            .failed
            .iter()
            .all(|(path, _)| path.starts_with(&bad))
    );
    assert_eq!(project.clips(None).unwrap().len(), 8);
    let again = import(&mut project, &dicom_dir(), "shared");
    assert_eq!(
        (again.imported, again.duplicates, again.conflicts.len()),
        (0, 8, 2)
    );
}

#[test]
fn import_cli_prints_the_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let output = echolabel(&[
        "import",
        dicom_dir().to_str().unwrap(),
        "--project",
        project.to_str().unwrap(),
        "--collection",
        "shared",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout(&output).trim(),
        "imported 8, duplicates 0, conflicts 2, failed 5"
    );
}

#[test]
fn moved_files_are_found_again_and_copies_live_in_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let phantoms = phantom_dir(dir.path(), 2);
    let mut project = Project::open_or_create(&dir.path().join("project")).unwrap();
    import(&mut project, &phantoms, "echo");
    let moved_dir = dir.path().join("moved");
    std::fs::create_dir_all(&moved_dir).unwrap();
    std::fs::rename(
        phantoms.join("phantom_0000.dcm"),
        moved_dir.join("renamed.dcm"),
    )
    .unwrap();
    let summary = import(&mut project, &moved_dir, "echo");
    assert_eq!(
        (summary.imported, summary.duplicates, summary.relocated),
        (0, 1, 1)
    );
    let clips = project.clips(None).unwrap();
    assert_eq!(clips.len(), 2);
    assert!(clips.iter().any(|c| c.path.ends_with("renamed.dcm")));

    let copied_project = dir.path().join("copied");
    let mut copied = Project::open_or_create(&copied_project).unwrap();
    let by = crate::common::admin(&mut copied);
    import_folder(
        &mut copied,
        by,
        &moved_dir,
        "echo",
        &ImportOptions {
            copy_into_project: true,
        },
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let clip = &copied.clips(None).unwrap()[0];
    // Named by the original's content hash, never by a header value.
    assert_eq!(
        clip.path,
        Path::new("dicom").join(format!("{}.dcm", clip.content_hash))
    );
    let file = copied.clip_file(clip);
    assert!(file.starts_with(&copied_project) && file.is_file());
}

#[test]
fn annotations_of_one_frame_coexist_and_edits_keep_history() {
    let dir = tempfile::tempdir().unwrap();
    let phantoms = phantom_dir(dir.path(), 1);
    let mut project = Project::open_or_create(&dir.path().join("project")).unwrap();
    import(&mut project, &phantoms, "echo");
    let clip = project.clips(None).unwrap()[0].id;
    let by = crate::common::admin(&mut project);
    let alice = project
        .upsert_annotator(by, "alice", Role::Annotator, &["sonographer".into()])
        .unwrap();
    let bob = project
        .upsert_annotator(by, "bob", Role::Reviewer, &[])
        .unwrap();
    let model = project
        .upsert_annotator(by, "model", Role::Annotator, &[])
        .unwrap();
    let a = project
        .add_annotation(&annotation(
            clip,
            3,
            alice,
            Source::Human,
            AnnotationStatus::Submitted,
        ))
        .unwrap();
    let b = project
        .add_annotation(&annotation(
            clip,
            3,
            bob,
            Source::Human,
            AnnotationStatus::Submitted,
        ))
        .unwrap();
    let m = project
        .add_annotation(&annotation(
            clip,
            3,
            model,
            Source::Model,
            AnnotationStatus::Draft,
        ))
        .unwrap();
    assert_eq!(project.annotations(clip, Some(3)).unwrap().len(), 3);

    let revision = project
        .edit_annotation(
            a,
            &AnnotationEdit {
                author_id: alice,
                geometry: Some(contour(5.0)),
                mask: None,
                status: AnnotationStatus::Submitted,
            },
        )
        .unwrap();
    assert_eq!(revision, 2);
    let history = project.revisions(a).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].1, contour(0.0));
    assert_eq!(history[1].1, contour(5.0));
    // Others' annotations are untouched by the edit.
    assert_eq!(project.annotation(b).unwrap().geometry, contour(0.0));
    assert_eq!(project.annotation(m).unwrap().source, Source::Model);

    // A review decision is a revision too, keeping the geometry.
    project
        .edit_annotation(
            a,
            &AnnotationEdit {
                author_id: bob,
                geometry: None,
                mask: None,
                status: AnnotationStatus::Accepted,
            },
        )
        .unwrap();
    let reviewed = project.annotation(a).unwrap();
    assert_eq!(
        (reviewed.revision, reviewed.status),
        (3, AnnotationStatus::Accepted)
    );
    assert_eq!(reviewed.geometry, contour(5.0));

    project
        .set_key_frame(
            clip,
            KeyFrameKind::EndDiastole,
            0,
            SetBy::Human,
            alice,
            None,
        )
        .unwrap();
    project
        .set_key_frame(clip, KeyFrameKind::EndSystole, 9, SetBy::Model, alice, None)
        .unwrap();
    let keys = project.key_frames(clip).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].author, "alice");
    assert!(
        project
            .set_key_frame(
                clip,
                KeyFrameKind::EndSystole,
                10_000,
                SetBy::Human,
                alice,
                None
            )
            .is_err()
    );
    assert!(
        project
            .add_annotation(&annotation(
                clip,
                10_000,
                alice,
                Source::Human,
                AnnotationStatus::Draft
            ))
            .is_err()
    );
}

#[test]
fn the_editor_saves_removes_and_restores_a_contour_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = project_with_a_clip(dir.path());
    let mut project = Project::open(&root).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    let by = crate::common::admin(&mut project);
    let author = project
        .upsert_annotator(by, "sonographer", Role::Annotator, &[])
        .unwrap();
    let key = ContourKey {
        clip_id: clip,
        frame: 2,
        target: "LV endocardium".into(),
        author_id: author,
    };
    let first = project
        .save_contour(&key, None, &contour(0.0), AnnotationStatus::Draft)
        .unwrap();
    // Saving the same contour again writes no revision.
    assert_eq!(
        project
            .save_contour(&key, None, &contour(0.0), AnnotationStatus::Draft)
            .unwrap(),
        first
    );
    assert_eq!(project.revisions(first).unwrap().len(), 1);
    project
        .save_contour(&key, None, &contour(3.0), AnnotationStatus::Submitted)
        .unwrap();
    assert_eq!(project.revisions(first).unwrap().len(), 2);

    assert!(project.remove_contour(&key).unwrap());
    assert!(
        !project.remove_contour(&key).unwrap(),
        "nothing left to remove"
    );
    assert!(project.annotations(clip, Some(2)).unwrap().is_empty());
    assert!(project.annotation(first).unwrap().removed);
    let hits = project
        .search(&SearchQuery {
            annotator: Some("sonographer".into()),
            ..SearchQuery::default()
        })
        .unwrap();
    assert!(hits.is_empty(), "a removed contour is not found: {hits:?}");

    // Saving again (an undo of the removal) restores the same annotation.
    let restored = project
        .save_contour(&key, None, &contour(3.0), AnnotationStatus::Submitted)
        .unwrap();
    assert_eq!(restored, first);
    let live = project.annotations(clip, Some(2)).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].geometry, contour(3.0));
    assert_eq!(live[0].author, "sonographer");
    assert_eq!(project.revisions(first).unwrap().len(), 3);

    // A frame the clip does not have is refused.
    let beyond = ContourKey {
        frame: 10_000,
        ..key.clone()
    };
    assert!(matches!(
        project.save_contour(&beyond, None, &contour(0.0), AnnotationStatus::Draft),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn search_and_report_follow_the_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let phantoms = phantom_dir(dir.path(), 3);
    let mut project = Project::open_or_create(&dir.path().join("project")).unwrap();
    import(&mut project, &phantoms, "echo");
    import(&mut project, &dicom_dir(), "shared");
    let echo: Vec<i64> = project
        .search(&SearchQuery {
            collection: Some("echo".into()),
            ..Default::default()
        })
        .unwrap()
        .iter()
        .map(|h| h.clip.id)
        .collect();
    assert_eq!(echo.len(), 3);
    let by = crate::common::admin(&mut project);
    let alice = project
        .upsert_annotator(by, "alice", Role::Annotator, &[])
        .unwrap();
    let bob = project
        .upsert_annotator(by, "bob", Role::Annotator, &[])
        .unwrap();
    project
        .upsert_template(
            by,
            "camus",
            AnnotationKind::Contour,
            &["lv_endocardium".into()],
        )
        .unwrap();
    project
        .assign(by, WorkUnit::Collection("echo"), "camus", "alice")
        .unwrap();
    project
        .add_annotation(&annotation(
            echo[0],
            1,
            alice,
            Source::Human,
            AnnotationStatus::Submitted,
        ))
        .unwrap();
    let accepted = project
        .add_annotation(&annotation(
            echo[0],
            2,
            alice,
            Source::Human,
            AnnotationStatus::Submitted,
        ))
        .unwrap();
    project
        .edit_annotation(
            accepted,
            &AnnotationEdit {
                author_id: bob,
                geometry: None,
                mask: None,
                status: AnnotationStatus::Accepted,
            },
        )
        .unwrap();
    project
        .add_annotation(&annotation(
            echo[1],
            4,
            alice,
            Source::Human,
            AnnotationStatus::Draft,
        ))
        .unwrap();
    let mut proposal = annotation(echo[2], 5, bob, Source::Model, AnnotationStatus::Draft);
    proposal.uncertainty = Some(0.8);
    project.add_annotation(&proposal).unwrap();
    let mut label = annotation(echo[2], 0, bob, Source::Human, AnnotationStatus::Submitted);
    label.kind = AnnotationKind::Label;
    label.target = "ultrasound_mode".into();
    label.geometry = Geometry {
        label: Some("B-mode".into()),
        ..Geometry::default()
    };
    project.add_annotation(&label).unwrap();

    project
        .set_key_frame(
            echo[0],
            KeyFrameKind::EndDiastole,
            1,
            SetBy::Human,
            alice,
            None,
        )
        .unwrap();
    project
        .set_key_frame(
            echo[0],
            KeyFrameKind::EndSystole,
            2,
            SetBy::Human,
            alice,
            None,
        )
        .unwrap();
    let model = project
        .add_model_version(
            "v1",
            "mcd_unet",
            "checkpoints/v1.mpk",
            None,
            &[accepted],
            &serde_json::json!({ "dice_lv": 0.9 }),
        )
        .unwrap();
    let stored = project.model_version(model).unwrap();
    assert_eq!(
        (stored.training_set, stored.metrics["dice_lv"].as_f64()),
        (vec![accepted], Some(0.9))
    );
    let round = project
        .record_round(&NewRound {
            strategy: "mc_bald".into(),
            seed: Some(7),
            budget: 1,
            model_version_id: Some(model),
            parameters: serde_json::json!({ "samples": 20 }),
            scores: vec![(echo[1], 7, 0.2), (echo[0], 3, 0.65)],
            queried: vec![(echo[0], 3)],
        })
        .unwrap();
    let scores = project.round_scores(round).unwrap();
    assert_eq!(
        (
            scores[0].clip_id,
            scores[0].frame,
            scores[0].rank,
            scores[0].queried
        ),
        (echo[0], 3, 1, true)
    );
    assert_eq!((scores[1].rank, scores[1].queried), (2, false));

    let frames = |query: SearchQuery| -> Vec<(i64, Vec<u32>)> {
        project
            .search(&query)
            .unwrap()
            .into_iter()
            .map(|h| (h.clip.id, h.frames))
            .collect()
    };
    assert_eq!(
        frames(SearchQuery {
            annotator: Some("alice".into()),
            ..Default::default()
        }),
        vec![(echo[0], vec![1, 2]), (echo[1], vec![4])]
    );
    assert_eq!(
        frames(SearchQuery {
            status: Some(AnnotationStatus::Accepted),
            ..Default::default()
        }),
        vec![(echo[0], vec![2])]
    );
    assert_eq!(
        frames(SearchQuery {
            source: Some(Source::Model),
            ..Default::default()
        }),
        vec![(echo[2], vec![5])]
    );
    assert_eq!(
        frames(SearchQuery {
            label: Some("B-mode".into()),
            ..Default::default()
        }),
        vec![(echo[2], vec![0])]
    );
    assert_eq!(
        frames(SearchQuery {
            uncertainty_min: Some(0.5),
            uncertainty_max: Some(1.0),
            ..Default::default()
        }),
        vec![(echo[0], vec![3]), (echo[2], vec![5])]
    );
    assert!(
        frames(SearchQuery {
            uncertainty_min: Some(0.9),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        frames(SearchQuery {
            structure: Some("lv_endocardium".into()),
            collection: Some("shared".into()),
            ..Default::default()
        }),
        vec![]
    );
    let mr = project
        .search(&SearchQuery {
            modality: Some("MR".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(mr.len(), 1);
    assert!(mr[0].clip.path.ends_with("emri_small.dcm"));
    let dated = project
        .search(&SearchQuery {
            date_from: Some("20260101".into()),
            date_to: Some("20260101".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dated.len(), 3, "phantoms carry study date 20260101");

    let report = progress_report(&project).unwrap();
    let alice_echo = report
        .iter()
        .find(|r| r.collection == "echo" && r.annotator == "alice")
        .unwrap();
    assert_eq!(
        (
            alice_echo.clips_assigned,
            alice_echo.frames_assigned,
            alice_echo.clips_annotated,
            alice_echo.frames_annotated,
            alice_echo.frames_reviewed,
            alice_echo.frames_draft
        ),
        (3, 2, 1, 2, 1, 1)
    );
    let bob_echo = report
        .iter()
        .find(|r| r.collection == "echo" && r.annotator == "bob")
        .unwrap();
    assert_eq!((bob_echo.clips_assigned, bob_echo.frames_annotated), (0, 1));
}

#[test]
fn search_and_report_cli_print_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let p = project.to_str().unwrap();
    assert!(
        echolabel(&[
            "import",
            dicom_dir().to_str().unwrap(),
            "--project",
            p,
            "--collection",
            "shared"
        ])
        .status
        .success()
    );
    assert!(
        echolabel(&[
            "study",
            "--project",
            p,
            "annotator",
            "alice",
            "--role",
            "annotator"
        ])
        .status
        .success()
    );
    assert!(
        echolabel(&[
            "study",
            "--project",
            p,
            "template",
            "camus",
            "--kind",
            "contour",
            "--items",
            "lv_endocardium,myocardium"
        ])
        .status
        .success()
    );
    assert!(
        echolabel(&[
            "study",
            "--project",
            p,
            "assign",
            "--collection",
            "shared",
            "--template",
            "camus",
            "--annotator",
            "alice"
        ])
        .status
        .success()
    );
    let search = echolabel(&["search", "--project", p, "--modality", "US", "--json"]);
    assert!(search.status.success());
    let hits: Vec<serde_json::Value> = stdout(&search)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 6);
    assert!(hits.iter().all(|h| h["clip"]["modality"] == "US"));
    let csv = echolabel(&["report", "--project", p, "--csv"]);
    assert_eq!(
        stdout(&csv),
        "collection,annotator,clips_assigned,frames_assigned,clips_annotated,frames_annotated,frames_reviewed,frames_draft\nshared,alice,8,0,0,0,0,0\n"
    );
    let json = echolabel(&["report", "--project", p, "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["clips_assigned"], 8);
    let bad_status = echolabel(&["search", "--project", p, "--status", "finished"]);
    assert!(!bad_status.status.success());
}

/// Environment of the writer child process (see [`writer_process`]).
const WRITER_PROJECT: &str = "ECHOLABEL_TEST_WRITER_PROJECT";
const WRITER_NAME: &str = "ECHOLABEL_TEST_WRITER_NAME";
const WRITER_EDITS: &str = "ECHOLABEL_TEST_WRITER_EDITS";

/// Not a test of its own: the body of the child process that the reliability
/// tests start (this test binary, run with `--ignored --exact`). It saves
/// annotations one by one and prints `committed <id>` after each commit.
#[test]
#[ignore = "run as a child process by the reliability tests"]
fn writer_process() {
    let Some(root) = std::env::var_os(WRITER_PROJECT) else {
        return;
    };
    let name = std::env::var(WRITER_NAME).unwrap();
    let edits: u32 = std::env::var(WRITER_EDITS).unwrap().parse().unwrap();
    let mut project = Project::open(Path::new(&root)).unwrap();
    let by = crate::common::admin(&mut project);
    let author = project
        .upsert_annotator(by, &name, Role::Annotator, &[])
        .unwrap();
    let clip = project.clips(None).unwrap()[0].clone();
    let mut out = std::io::stdout().lock();
    for i in 0..edits {
        let mut new = annotation(
            clip.id,
            i % clip.frames,
            author,
            Source::Human,
            AnnotationStatus::Draft,
        );
        new.geometry = contour(i as f32);
        let id = project.add_annotation(&new).unwrap();
        writeln!(out, "committed {id}").unwrap();
        out.flush().unwrap();
    }
}

fn start_writer(project: &Path, name: &str, edits: u32) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "store::writer_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_PROJECT, project)
        .env(WRITER_NAME, name)
        .env(WRITER_EDITS, edits.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The id on a `committed <id>` line (libtest may print its own text before it).
fn committed_id(line: &str) -> Option<i64> {
    line.split("committed ").nth(1)?.trim().parse().ok()
}

fn committed_ids(reader: impl BufRead) -> Vec<i64> {
    reader
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| committed_id(&line))
        .collect()
}

fn project_with_a_clip(dir: &Path) -> PathBuf {
    let phantoms = phantom_dir(dir, 1);
    let root = dir.join("project");
    let mut project = Project::open_or_create(&root).unwrap();
    import(&mut project, &phantoms, "echo");
    root
}

#[test]
fn every_edit_reported_committed_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let root = project_with_a_clip(dir.path());
    let mut child = start_writer(&root, "writer", 1_000_000);
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reported = Vec::new();
    let mut line = String::new();
    while reported.len() < 40 {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the writer stopped early"
        );
        reported.extend(committed_id(&line));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Lines still in the pipe were reported before the kill, too.
    reported.extend(committed_ids(reader));
    let project = Project::open(&root).unwrap();
    project.integrity_check().unwrap();
    for id in &reported {
        project
            .annotation(*id)
            .unwrap_or_else(|e| panic!("reported edit {id} was lost: {e}"));
    }
}

#[test]
fn two_processes_write_one_project_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = project_with_a_clip(dir.path());
    let children: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|name| start_writer(&root, name, 60))
        .collect();
    // Meanwhile this process reads and writes too.
    let mut project = Project::open(&root).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    let by = crate::common::admin(&mut project);
    let me = project
        .upsert_annotator(by, "parent", Role::Reviewer, &[])
        .unwrap();
    for frame in 0..20 {
        project
            .set_key_frame(
                clip,
                KeyFrameKind::EndDiastole,
                frame,
                SetBy::Human,
                me,
                None,
            )
            .unwrap();
    }
    let mut all = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "a writer failed");
        let ids = committed_ids(&output.stdout[..]);
        assert_eq!(ids.len(), 60);
        all.extend(ids);
    }
    project.integrity_check().unwrap();
    assert_eq!(project.annotations(clip, None).unwrap().len(), 120);
    for id in all {
        project.annotation(id).unwrap();
    }
    assert_eq!(project.key_frames(clip).unwrap().len(), 20);
}

#[test]
fn model_proposals_never_take_over_a_persons_contours_or_key_frames() {
    let dir = tempfile::tempdir().unwrap();
    let root = project_with_a_clip(dir.path());
    let mut project = Project::open(&root).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    let by = crate::common::admin(&mut project);
    let ana = project
        .upsert_annotator(by, "Ana", Role::Annotator, &[])
        .unwrap();
    let version = project
        .add_model_version(
            "m",
            "mcd-unet",
            "checkpoints/m.elm",
            None,
            &[],
            &serde_json::json!({}),
        )
        .unwrap();
    let key = ContourKey {
        clip_id: clip,
        frame: 1,
        target: "LV endocardium".into(),
        author_id: ana,
    };
    let propose = |project: &mut Project, offset: f32| {
        project.propose_contour(&key, None, &contour(offset), Some(version))
    };

    // A contour Ana removed is not revived by a proposal: the proposal is new.
    let hers = project
        .save_contour(&key, None, &contour(0.0), AnnotationStatus::Draft)
        .unwrap();
    assert!(project.remove_contour(&key).unwrap());
    let proposal = propose(&mut project, 1.0).unwrap();
    assert_ne!(proposal, hers);
    let live = project.annotations(clip, Some(1)).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(
        (live[0].source, live[0].model_version_id),
        (Source::Model, Some(version))
    );

    // Ana changes the proposal's outline: it becomes hers, and a later
    // proposal is refused with a conflict, never a silent success.
    project
        .save_contour(&key, None, &contour(2.0), AnnotationStatus::Draft)
        .unwrap();
    assert_eq!(
        project.annotations(clip, Some(1)).unwrap()[0].source,
        Source::Human
    );
    assert!(matches!(
        propose(&mut project, 5.0),
        Err(StoreError::Conflict(_))
    ));
    let live = project.annotations(clip, Some(1)).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].geometry, contour(2.0));

    // Her undo of that edit writes the proposal back exactly, as the model's.
    project
        .save_contour_from(
            &key,
            None,
            &contour(1.0),
            AnnotationStatus::Draft,
            Source::Model,
            Some(version),
        )
        .unwrap();
    let live = project.annotations(clip, Some(1)).unwrap();
    assert_eq!(
        (live[0].source, &live[0].geometry, live[0].status),
        (Source::Model, &contour(1.0), AnnotationStatus::Draft)
    );
    // And accepting it submits exactly that.
    project
        .save_contour_from(
            &key,
            None,
            &contour(1.0),
            AnnotationStatus::Submitted,
            Source::Model,
            Some(version),
        )
        .unwrap();
    assert_eq!(
        project.annotations(clip, Some(1)).unwrap()[0].status,
        AnnotationStatus::Submitted
    );

    // A model's ED mark does not replace hers on the same frame (a conflict);
    // hers replaces a model's.
    project
        .set_key_frame(clip, KeyFrameKind::EndDiastole, 3, SetBy::Human, ana, None)
        .unwrap();
    assert!(matches!(
        project.set_key_frame(
            clip,
            KeyFrameKind::EndDiastole,
            3,
            SetBy::Model,
            ana,
            Some(version),
        ),
        Err(StoreError::Conflict(_))
    ));
    project
        .set_key_frame(
            clip,
            KeyFrameKind::EndSystole,
            4,
            SetBy::Model,
            ana,
            Some(version),
        )
        .unwrap();
    project
        .set_key_frame(clip, KeyFrameKind::EndSystole, 4, SetBy::Human, ana, None)
        .unwrap();
    let marks = project.key_frames(clip).unwrap();
    assert!(
        marks
            .iter()
            .all(|m| m.set_by == SetBy::Human && m.author == "Ana"),
        "{marks:?}"
    );

    // Undoing her confirmation of the model's ES mark brings the model's mark back.
    project
        .restore_key_frame(
            clip,
            KeyFrameKind::EndSystole,
            4,
            SetBy::Model,
            ana,
            Some(version),
        )
        .unwrap();
    let es = project
        .key_frames(clip)
        .unwrap()
        .into_iter()
        .find(|m| m.kind == KeyFrameKind::EndSystole)
        .unwrap();
    assert_eq!(
        (es.set_by, es.author.as_str(), es.model_version_id),
        (SetBy::Model, "Ana", Some(version))
    );
}
