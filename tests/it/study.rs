//! Multi-expert studies in the library: roles refused with who may, per-author
//! key frames and their migration, assignments enforced on edits, blind
//! collections, passphrases, review of people's work, stored consensus with
//! staleness, and ED/ES agreement.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use echolabel::consensus::{build_all, build_consensus, project_agreement};
use echolabel::editor::Persist;
use echolabel::store::{
    AnnotationKind, AnnotationStatus, ClipRecord, ConsensusMethod, ContourKey, Geometry,
    ImportOptions, KeyFrameKind, MODEL_ANNOTATOR, Project, ReviewDecision, Role, SetBy, StoreError,
    WorkUnit, import_folder, schema,
};

use crate::common::{echolabel, stdout};

const LV: &str = "LV endocardium";

/// A project of one phantom clip in collection "study" with an admin, a
/// reviewer and two annotators, each annotator assigned the collection.
struct Study {
    root: PathBuf,
    project: Project,
    clip: ClipRecord,
    admin: i64,
    reviewer: i64,
    ana: i64,
    ben: i64,
}

fn study(dir: &Path) -> Study {
    let data = dir.join("phantoms");
    echolabel::phantom::write_dataset(&data, 1, 11, |_, _| {}).unwrap();
    let root = dir.join("project");
    let mut project = Project::open_or_create(&root).unwrap();
    let admin = project.bootstrap_admin("Lead").unwrap();
    import_folder(
        &mut project,
        admin,
        &data,
        "study",
        &ImportOptions::default(),
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    project
        .upsert_template(admin, "CAMUS", AnnotationKind::Contour, &[LV.to_string()])
        .unwrap();
    let mut person = |name: &str, role| project.upsert_annotator(admin, name, role, &[]).unwrap();
    let reviewer = person("Rita", Role::Reviewer);
    let ana = person("Ana", Role::Annotator);
    let ben = person("Ben", Role::Annotator);
    for name in ["Ana", "Ben"] {
        project
            .assign(admin, WorkUnit::Collection("study"), "CAMUS", name)
            .unwrap();
    }
    let clip = project.clips(None).unwrap().remove(0);
    Study {
        root,
        project,
        clip,
        admin,
        reviewer,
        ana,
        ben,
    }
}

fn circle(cx: f32, cy: f32, r: f32) -> Vec<[f32; 2]> {
    (0..64)
        .map(|i| {
            let t = i as f32 / 64.0 * std::f32::consts::TAU;
            [cx + r * t.cos(), cy + r * t.sin()]
        })
        .collect()
}

fn save(project: &mut Project, clip: i64, author: i64, frame: u32, outline: Vec<[f32; 2]>) {
    Persist::SaveContour {
        key: ContourKey {
            clip_id: clip,
            frame,
            target: LV.into(),
            author_id: author,
        },
        template_id: None,
        contour: outline,
        status: AnnotationStatus::Submitted,
        source: echolabel::store::Source::Human,
        model_version_id: None,
    }
    .apply(project)
    .unwrap();
}

fn mark(project: &mut Project, clip: i64, author: i64, kind: KeyFrameKind, frame: u32) {
    Persist::SetKeyFrame {
        clip_id: clip,
        kind,
        frame,
        set_by: SetBy::Human,
        author_id: Some(author),
        owner_id: Some(author),
        model_version_id: None,
    }
    .apply(project)
    .unwrap();
}

/// The refusal's text, which must say who may.
fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>, who: &str) -> String {
    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::Refused { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(who), "{text}");
    text
}

#[test]
fn each_role_is_refused_what_it_may_not_do_and_told_who_may() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let (clip, ana, reviewer) = (s.clip.id, s.ana, s.reviewer);
    let p = &mut s.project;

    // Setting the study up is for an admin, whoever else tries.
    for person in [ana, reviewer] {
        refused(
            p.upsert_annotator(person, "Eve", Role::Annotator, &[]),
            "an admin",
        );
        refused(
            p.upsert_template(person, "T", AnnotationKind::Label, &["B-mode".into()]),
            "an admin",
        );
        refused(
            p.assign(person, WorkUnit::Clip(clip), "CAMUS", "Ana"),
            "an admin",
        );
        refused(
            p.unassign(person, WorkUnit::Collection("study"), "CAMUS", "Ana"),
            "an admin",
        );
        refused(p.ensure_collection(person, "mine"), "an admin");
        refused(p.set_collection_blind(person, 1, true), "an admin");
        refused(
            p.set_pseudo_label_policy(person, echolabel::store::PseudoLabelPolicy::Never),
            "an admin",
        );
        refused(p.set_passphrase(person, s.admin, Some("x")), "an admin");
        refused(
            import_folder(
                p,
                person,
                dir.path(),
                "more",
                &ImportOptions::default(),
                |_, _, _| {},
                &AtomicBool::new(false),
            ),
            "an admin",
        );
    }
    let text = refused(
        p.upsert_annotator(ana, "Eve", Role::Annotator, &[]),
        "an admin",
    );
    assert!(
        text.starts_with("Ana (annotator) may not add or change annotators"),
        "{text}"
    );

    // Reviewing is for a reviewer or an admin.
    refused(
        p.review_pseudo_labels(&[], ana, AnnotationStatus::Accepted),
        "a reviewer or an admin",
    );
    save(p, clip, s.ben, 2, circle(100.0, 100.0, 30.0));
    let bens = p.annotations(clip, Some(2)).unwrap()[0].id;
    refused(
        p.review_annotation(ana, bens, ReviewDecision::Accepted, ""),
        "a reviewer or an admin",
    );
    refused(
        build_consensus(p, ana, clip, 2, LV, ConsensusMethod::Staple, false),
        "a reviewer or an admin",
    );

    // The model's pseudo-annotator is nobody to add, sign in as or make admin.
    assert!(
        p.upsert_annotator(s.admin, MODEL_ANNOTATOR, Role::Reviewer, &[])
            .is_err()
    );
    p.model_annotator_id().unwrap();
    assert!(p.sign_in(MODEL_ANNOTATOR, None).is_err());
    assert!(
        p.annotators()
            .unwrap()
            .iter()
            .all(|a| a.name != MODEL_ANNOTATOR)
    );
    // A project has one first admin; the only admin keeps the role.
    assert!(p.bootstrap_admin("Mallory").is_err());
    assert!(
        p.upsert_annotator(s.admin, "Lead", Role::Reviewer, &[])
            .is_err()
    );
}

#[test]
fn an_annotator_works_only_on_assigned_clips() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    let eve = s
        .project
        .upsert_annotator(s.admin, "Eve", Role::Annotator, &[])
        .unwrap();
    let edit = Persist::SaveContour {
        key: ContourKey {
            clip_id: clip,
            frame: 1,
            target: LV.into(),
            author_id: eve,
        },
        template_id: None,
        contour: circle(90.0, 90.0, 20.0),
        status: AnnotationStatus::Draft,
        source: echolabel::store::Source::Human,
        model_version_id: None,
    };
    refused(edit.apply(&mut s.project), "an annotator it is assigned to");
    s.project
        .assign(s.admin, WorkUnit::Clip(clip), "CAMUS", "Eve")
        .unwrap();
    edit.apply(&mut s.project).unwrap();
    s.project
        .unassign(s.admin, WorkUnit::Clip(clip), "CAMUS", "Eve")
        .unwrap();
    refused(edit.apply(&mut s.project), "an annotator it is assigned to");
    // Her work stays; reviewers and admins may annotate anywhere.
    assert_eq!(s.project.annotations(clip, Some(1)).unwrap().len(), 1);
    save(
        &mut s.project,
        clip,
        s.reviewer,
        1,
        circle(91.0, 90.0, 20.0),
    );
    let assignments = s.project.assignments().unwrap();
    assert_eq!(assignments.len(), 2, "{assignments:?}");
    assert!(
        assignments
            .iter()
            .all(|a| a.collection.as_deref() == Some("study"))
    );
}

#[test]
fn each_person_keeps_their_own_key_frames() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    mark(&mut s.project, clip, s.ana, KeyFrameKind::EndDiastole, 4);
    mark(&mut s.project, clip, s.ben, KeyFrameKind::EndDiastole, 4);
    mark(&mut s.project, clip, s.ben, KeyFrameKind::EndSystole, 9);
    // Ana's D on frame 4 again removes her mark, never Ben's.
    Persist::ClearKeyFrame {
        clip_id: clip,
        kind: KeyFrameKind::EndDiastole,
        frame: 4,
        author_id: s.ana,
    }
    .apply(&mut s.project)
    .unwrap();
    assert!(s.project.key_frames_of(clip, s.ana).unwrap().is_empty());
    let bens: Vec<(KeyFrameKind, u32)> = s
        .project
        .key_frames_of(clip, s.ben)
        .unwrap()
        .iter()
        .map(|k| (k.kind, k.frame))
        .collect();
    assert_eq!(
        bens,
        [
            (KeyFrameKind::EndDiastole, 4),
            (KeyFrameKind::EndSystole, 9)
        ]
    );
    // Each document holds only its author's marks.
    let doc = echolabel::editor::ClipDocument::load(&s.project, clip, s.ana, "Ana", None).unwrap();
    assert_eq!(doc.key_frames().count(), 0);
    let doc = echolabel::editor::ClipDocument::load(&s.project, clip, s.ben, "Ben", None).unwrap();
    assert_eq!(doc.key_frames().count(), 2);
}

#[test]
fn an_old_project_migrates_keeping_every_key_frame_with_its_author() {
    let dir = tempfile::tempdir().unwrap();
    let s = study(dir.path());
    let clip = s.clip.id;
    drop(s.project);
    // Rebuild the database as version 4 had it: one shared set per clip.
    let old = dir.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    {
        let mut conn = rusqlite::Connection::open(old.join("project.sqlite")).unwrap();
        schema::migrate_to(&mut conn, 4).unwrap();
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS new;
             INSERT INTO clips SELECT * FROM new.clips;
             INSERT INTO annotators (id, name, role) VALUES (1, 'Ana', 'annotator'), (2, 'Ben', 'reviewer');
             INSERT INTO key_frames (clip_id, kind, frame, set_by, author_id, model_version_id)
                VALUES ({clip}, 'ED', 3, 'human', 1, NULL), ({clip}, 'ES', 8, 'human', 2, NULL),
                       ({clip}, 'ED', 21, 'model', NULL, NULL);
             DETACH DATABASE new;",
            s.root.join("project.sqlite").display()
        ))
        .unwrap();
    }
    // Copy the patient key along: the project's key travels with its fingerprint.
    let fingerprint: String = rusqlite::Connection::open(s.root.join("project.sqlite"))
        .unwrap()
        .query_row(
            "SELECT value FROM project_meta WHERE key = 'patient_key_fingerprint'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    rusqlite::Connection::open(old.join("project.sqlite"))
        .unwrap()
        .execute(
            "INSERT INTO project_meta (key, value) VALUES ('patient_key_fingerprint', ?1)",
            [fingerprint],
        )
        .unwrap();
    let project = Project::open(&old).unwrap();
    let marks: Vec<(KeyFrameKind, u32, SetBy, String)> = project
        .key_frames(clip)
        .unwrap()
        .into_iter()
        .map(|k| (k.kind, k.frame, k.set_by, k.author))
        .collect();
    assert_eq!(
        marks,
        [
            (
                KeyFrameKind::EndDiastole,
                3,
                SetBy::Human,
                "Ana".to_string()
            ),
            (KeyFrameKind::EndSystole, 8, SetBy::Human, "Ben".to_string()),
            (
                KeyFrameKind::EndDiastole,
                21,
                SetBy::Model,
                MODEL_ANNOTATOR.to_string()
            ),
        ]
    );
    // The model's row is a system row: nobody to pick.
    let people: Vec<String> = project
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(people, ["Ana", "Ben"]);
    // Without an admin the old project takes its first one.
    assert!(project.admins().unwrap().is_empty());
}

#[test]
fn a_passphrase_is_an_argon2_hash_and_keeps_people_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    assert!(!s.project.has_passphrase("Ana").unwrap());
    s.project
        .set_passphrase(s.ana, s.ana, Some("correct horse"))
        .unwrap();
    assert!(s.project.has_passphrase("Ana").unwrap());
    let stored: String = rusqlite::Connection::open(s.root.join("project.sqlite"))
        .unwrap()
        .query_row(
            "SELECT passphrase_hash FROM annotators WHERE name = 'Ana'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains("correct horse"));
    assert!(matches!(
        s.project.sign_in("Ana", Some("wrong")),
        Err(StoreError::WrongPassphrase { .. })
    ));
    assert!(s.project.sign_in("Ana", None).is_err());
    assert_eq!(
        s.project.sign_in("Ana", Some("correct horse")).unwrap().id,
        s.ana
    );
    // Someone else may not change it; an admin may reset it.
    refused(s.project.set_passphrase(s.ben, s.ana, None), "an admin");
    s.project.set_passphrase(s.admin, s.ana, None).unwrap();
    assert_eq!(s.project.sign_in("Ana", None).unwrap().id, s.ana);
}

#[test]
fn a_blind_collection_hides_others_work_from_annotators_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    assert!(s.project.may_see_others(s.ana, clip).unwrap());
    let collection = s.project.collections().unwrap()[0].id;
    s.project
        .set_collection_blind(s.admin, collection, true)
        .unwrap();
    assert!(s.project.collections().unwrap()[0].blind);
    assert!(!s.project.may_see_others(s.ana, clip).unwrap());
    assert!(s.project.may_see_others(s.reviewer, clip).unwrap());
    assert!(s.project.may_see_others(s.admin, clip).unwrap());
}

#[test]
fn a_reviewer_accepts_or_returns_work_with_a_comment_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    save(&mut s.project, clip, s.ana, 2, circle(100.0, 100.0, 30.0));
    save(&mut s.project, clip, s.ben, 2, circle(102.0, 100.0, 30.0));
    let waiting = s.project.awaiting_review().unwrap();
    assert_eq!(waiting.len(), 2);
    let anas = waiting.iter().find(|a| a.author == "Ana").unwrap().id;
    let bens = waiting.iter().find(|a| a.author == "Ben").unwrap().id;

    // A return needs a comment, and nobody reviews their own work.
    assert!(
        s.project
            .review_annotation(s.reviewer, anas, ReviewDecision::Returned, " ")
            .is_err()
    );
    save(
        &mut s.project,
        clip,
        s.reviewer,
        2,
        circle(101.0, 100.0, 30.0),
    );
    let own = s.project.annotations(clip, Some(2)).unwrap();
    let ritas = own.iter().find(|a| a.author == "Rita").unwrap().id;
    assert!(
        s.project
            .review_annotation(s.reviewer, ritas, ReviewDecision::Accepted, "")
            .is_err()
    );

    s.project
        .review_annotation(s.reviewer, bens, ReviewDecision::Accepted, "")
        .unwrap();
    s.project
        .review_annotation(
            s.reviewer,
            anas,
            ReviewDecision::Returned,
            "the apex is cut off",
        )
        .unwrap();
    assert_eq!(
        s.project.annotation(bens).unwrap().status,
        AnnotationStatus::Accepted
    );
    assert_eq!(
        s.project.annotation(anas).unwrap().status,
        AnnotationStatus::Draft
    );
    let returned = s.project.returned_to(s.ana).unwrap();
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].review.comment, "the apex is cut off");
    assert_eq!(returned[0].review.reviewer, "Rita");
    assert!(s.project.returned_to(s.ben).unwrap().is_empty());
    // A draft is not reviewed; once Ana changes it, it is no longer "returned".
    assert!(
        s.project
            .review_annotation(s.reviewer, anas, ReviewDecision::Accepted, "")
            .is_err()
    );
    save(&mut s.project, clip, s.ana, 2, circle(100.0, 98.0, 31.0));
    assert!(s.project.returned_to(s.ana).unwrap().is_empty());
    assert_eq!(s.project.reviews_of(anas).unwrap().len(), 1);
    // Every decision is in the audit log.
    let audited: i64 = rusqlite::Connection::open(s.root.join("project.sqlite"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('accepted', 'returned')
             AND json_extract(detail, '$.reviewer') = 'Rita'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
}

#[test]
fn a_stored_consensus_records_its_inputs_and_goes_stale_when_one_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    save(&mut s.project, clip, s.ana, 2, circle(100.0, 100.0, 30.0));
    save(&mut s.project, clip, s.ben, 2, circle(104.0, 100.0, 30.0));
    // One person's outline is no consensus.
    save(&mut s.project, clip, s.ana, 5, circle(100.0, 100.0, 30.0));
    assert!(
        build_consensus(
            &mut s.project,
            s.reviewer,
            clip,
            5,
            LV,
            ConsensusMethod::Staple,
            false
        )
        .is_err()
    );

    let id = build_consensus(
        &mut s.project,
        s.reviewer,
        clip,
        2,
        LV,
        ConsensusMethod::Staple,
        false,
    )
    .unwrap();
    let record = s.project.consensus_of(clip, 2, LV).unwrap().unwrap();
    assert_eq!(record.annotation.id, id);
    assert_eq!(record.method, ConsensusMethod::Staple);
    assert_eq!(record.inputs.len(), 2);
    assert!(!record.stale && !record.corrected);
    assert_eq!(
        record.annotation.source,
        echolabel::store::Source::Consensus
    );
    assert_eq!(record.annotation.author, "Rita");
    // The consensus of two equal circles 4 px apart lies between them.
    let outline = &record.annotation.geometry.contour;
    let mean_x = outline.iter().map(|p| p[0]).sum::<f32>() / outline.len() as f32;
    assert!((mean_x - 102.0).abs() < 1.5, "{mean_x}");
    assert!(outline.len() < 64, "traced back to an editable outline");

    // Accepting an input is a revision but not a new outline: still current.
    let bens = record
        .inputs
        .iter()
        .find(|i| s.project.annotation(i.annotation_id).unwrap().author == "Ben")
        .unwrap()
        .annotation_id;
    s.project
        .review_annotation(s.reviewer, bens, ReviewDecision::Accepted, "")
        .unwrap();
    assert!(!s.project.consensus_of(clip, 2, LV).unwrap().unwrap().stale);
    // Ben moves his outline: stale.
    save(&mut s.project, clip, s.ben, 2, circle(110.0, 100.0, 30.0));
    assert!(s.project.consensus_of(clip, 2, LV).unwrap().unwrap().stale);
    let summary = build_all(
        &mut s.project,
        s.reviewer,
        None,
        ConsensusMethod::Staple,
        |_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!((summary.built, summary.rebuilt), (0, 1), "{summary:?}");
    assert!(!s.project.consensus_of(clip, 2, LV).unwrap().unwrap().stale);

    // The admin corrects it: it becomes theirs, and is not recomputed over.
    let corrected = Geometry {
        contour: circle(106.0, 100.0, 29.0),
        ..Geometry::default()
    };
    s.project
        .correct_consensus(s.admin, id, &corrected)
        .unwrap();
    let record = s.project.consensus_of(clip, 2, LV).unwrap().unwrap();
    assert!(record.corrected);
    assert_eq!(record.annotation.author, "Lead");
    save(&mut s.project, clip, s.ana, 2, circle(99.0, 100.0, 30.0));
    let summary = build_all(
        &mut s.project,
        s.reviewer,
        None,
        ConsensusMethod::Majority,
        |_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(summary.corrected_left, 1, "{summary:?}");
    assert!(matches!(
        build_consensus(
            &mut s.project,
            s.reviewer,
            clip,
            2,
            LV,
            ConsensusMethod::Majority,
            false
        ),
        Err(StoreError::Conflict(_))
    ));
    build_consensus(
        &mut s.project,
        s.reviewer,
        clip,
        2,
        LV,
        ConsensusMethod::Majority,
        true,
    )
    .unwrap();
    let record = s.project.consensus_of(clip, 2, LV).unwrap().unwrap();
    assert_eq!(record.method, ConsensusMethod::Majority);
    assert!(!record.corrected && !record.stale);
    assert_eq!(
        s.project.annotation(id).unwrap().revision,
        4,
        "every version kept"
    );
}

#[test]
fn agreement_reports_each_readers_ed_es_offset_from_the_median_in_frames_and_ms() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    let frame_ms = s
        .clip
        .frame_time_ms
        .expect("phantoms give their frame time");
    let carl = s
        .project
        .upsert_annotator(s.admin, "Carl", Role::Reviewer, &[])
        .unwrap();
    for (person, frame) in [(s.ana, 3), (s.ben, 5), (carl, 4)] {
        mark(
            &mut s.project,
            clip,
            person,
            KeyFrameKind::EndSystole,
            frame,
        );
    }
    let report = project_agreement(&s.project).unwrap();
    let rows = &report.key_frames;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.consensus_frame == 4));
    let ben = rows.iter().find(|r| r.annotator == "Ben").unwrap();
    assert_eq!(ben.difference_frames, 1);
    assert!((ben.difference_ms.unwrap() - frame_ms).abs() < 1e-9);
    let ana = rows.iter().find(|r| r.annotator == "Ana").unwrap();
    assert_eq!(ana.difference_frames, -1);
}

#[test]
fn the_command_line_acts_as_a_named_person_whose_role_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let clip = s.clip.id;
    save(&mut s.project, clip, s.ana, 2, circle(100.0, 100.0, 30.0));
    save(&mut s.project, clip, s.ben, 2, circle(104.0, 100.0, 30.0));
    drop(s.project);
    let root = s.root.to_str().unwrap();
    let output = echolabel(&[
        "study",
        "--project",
        root,
        "--as",
        "Ana",
        "annotator",
        "Eve",
    ]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("Ana (annotator) may not add or change annotators: that is for an admin"),
        "{error}"
    );
    let output = echolabel(&["consensus", "--project", root, "--as", "Ana"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("a reviewer or an admin"));
    let output = echolabel(&["consensus", "--project", root, "--as", "Rita"]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout(&output).starts_with("1 built"),
        "{}",
        stdout(&output)
    );
    let output = echolabel(&[
        "study",
        "--project",
        root,
        "--as",
        "Nobody",
        "annotator",
        "Eve",
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("its admins: Lead"));
    let output = echolabel(&["review", "--project", root, "--as", "Rita"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output).lines().count(), 2, "{}", stdout(&output));
    let project = Project::open(&s.root).unwrap();
    assert!(project.consensus_of(clip, 2, LV).unwrap().is_some());
}

/// Saves `author`'s outline of every CAMUS structure on `frame`, `dx` px to the right.
fn save_camus_set(s: &mut Study, author: i64, frame: u32, dx: f32) {
    for (index, target) in ["LV endocardium", "Myocardium", "Left atrium"]
        .into_iter()
        .enumerate()
    {
        Persist::SaveContour {
            key: ContourKey {
                clip_id: s.clip.id,
                frame,
                target: target.into(),
                author_id: author,
            },
            template_id: None,
            contour: circle(80.0 + dx + 30.0 * index as f32, 100.0, 12.0),
            status: AnnotationStatus::Submitted,
            source: echolabel::store::Source::Human,
            model_version_id: None,
        }
        .apply(&mut s.project)
        .unwrap();
    }
}

/// `(frame, author, source)` of each row of an export's `annotations.csv`.
fn exported_rows(out: &Path) -> Vec<(u32, String, String)> {
    let mut table = csv::Reader::from_path(out.join("annotations.csv")).unwrap();
    let columns = table.headers().unwrap().clone();
    let column = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let (frame, author, source) = (column("frame"), column("author"), column("source"));
    table
        .records()
        .map(Result::unwrap)
        .map(|row| {
            (
                row[frame].parse().unwrap(),
                row[author].to_string(),
                row[source].to_string(),
            )
        })
        .collect()
}

#[test]
fn exports_take_the_labels_training_would_learn_from_under_the_projects_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(dir.path());
    let (ana, ben) = (s.ana, s.ben);
    // Frame 2: both read it and a reviewer builds the consensus. Frame 4:
    // both read it and Ben's set is accepted. Frame 6: only Ana, unreviewed.
    // Frame 8: Ana drew one structure only, which cannot train.
    for frame in [2, 4] {
        save_camus_set(&mut s, ana, frame, 0.0);
        save_camus_set(&mut s, ben, frame, 3.0);
    }
    save_camus_set(&mut s, ana, 6, 0.0);
    save(&mut s.project, s.clip.id, ana, 8, circle(90.0, 90.0, 20.0));
    // Ana's ED lies on a frame that trains, her ES on one that does not.
    mark(&mut s.project, s.clip.id, ana, KeyFrameKind::EndDiastole, 2);
    mark(&mut s.project, s.clip.id, ana, KeyFrameKind::EndSystole, 9);
    for structure in ["LV endocardium", "Myocardium", "Left atrium"] {
        build_consensus(
            &mut s.project,
            s.reviewer,
            s.clip.id,
            2,
            structure,
            ConsensusMethod::Staple,
            false,
        )
        .unwrap();
    }
    for annotation in s.project.annotations(s.clip.id, Some(4)).unwrap() {
        if annotation.author_id == ben {
            s.project
                .review_annotation(s.reviewer, annotation.id, ReviewDecision::Accepted, "")
                .unwrap();
        }
    }

    let root = s.root.to_str().unwrap().to_string();
    let export = |out: &Path, whose: &[&str]| {
        let mut args = vec![
            "export",
            "--project",
            &root,
            "--format",
            "csv",
            "--replace",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(whose);
        let output = echolabel(&args);
        assert!(output.status.success(), "{output:?}");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        (exported_rows(out), manifest)
    };
    let out = dir.path().join("training");
    let (rows, manifest) = export(&out, &["--training-labels"]);
    let by_frame = |rows: &[(u32, String, String)]| {
        let mut frames = std::collections::BTreeMap::<u32, BTreeSet<String>>::new();
        for (frame, author, source) in rows {
            frames
                .entry(*frame)
                .or_default()
                .insert(format!("{author}/{source}"));
        }
        frames
    };
    let frames = by_frame(&rows);
    assert_eq!(
        frames.keys().copied().collect::<Vec<_>>(),
        vec![2, 4, 6],
        "frame 8 lacks structures: {rows:?}"
    );
    assert_eq!(frames[&2], BTreeSet::from(["Rita/consensus".to_string()]));
    assert_eq!(frames[&4], BTreeSet::from(["Ben/human".to_string()]));
    assert_eq!(frames[&6], BTreeSet::from(["Ana/human".to_string()]));
    assert_eq!(rows.len(), 9, "three structures per frame");
    assert_eq!(manifest["filters"]["labels"]["kind"], "training");
    let set = &manifest["clips"][0]["label_sets"][0];
    assert_eq!(set["authors_by_frame"]["2"], serde_json::json!(["Rita"]));
    assert_eq!(set["authors_by_frame"]["4"], serde_json::json!(["Ben"]));
    // Only the marks on frames the set holds.
    let marks = std::fs::read_to_string(out.join("key_frames.csv")).unwrap();
    assert_eq!(marks.lines().count(), 2, "{marks}");
    assert!(marks.lines().nth(1).unwrap().contains(",ED,2,"), "{marks}");
    assert!(
        manifest["training_labels"]
            .as_str()
            .unwrap()
            .starts_with("consensus, else reviewer-accepted, else anyone's"),
        "{manifest}"
    );
    // Training learns from the very same annotations.
    let trained = echolabel::modelling::project_frames(
        &s.project,
        &echolabel::model::ModelConfig::camus(32, 4),
        false,
    )
    .unwrap();
    let mut trained_frames: Vec<u32> = trained.frames.iter().map(|f| f.frame).collect();
    trained_frames.sort();
    assert_eq!(trained_frames, vec![2, 4, 6]);
    assert_eq!(trained.annotation_ids.len(), 9);

    // Unreviewed work no longer trains: frame 6 leaves the export too.
    let policy = echolabel::store::TrainingLabels {
        otherwise: echolabel::store::LastResort::Nobody,
        ..Default::default()
    };
    s.project.set_training_labels(s.admin, &policy).unwrap();
    let (rows, _) = export(&out, &["--training-labels"]);
    assert_eq!(
        by_frame(&rows).keys().copied().collect::<Vec<_>>(),
        vec![2, 4]
    );

    // The consensus alone: frame 2's three, one set for the clip.
    let (rows, manifest) = export(&dir.path().join("consensus"), &["--consensus"]);
    assert_eq!(by_frame(&rows).keys().copied().collect::<Vec<_>>(), vec![2]);
    assert_eq!(manifest["counts"]["label_sets"], 1);
    // Everyone's: one set per author (Ana and Ben).
    let (_, manifest) = export(&dir.path().join("everyone"), &[]);
    assert_eq!(manifest["counts"]["label_sets"], 2);

    // The setting decides what trains, so statuses cannot be asked for too.
    let output = echolabel(&[
        "export",
        "--project",
        &root,
        "--format",
        "csv",
        "--out",
        dir.path().join("refused").to_str().unwrap(),
        "--training-labels",
        "--status",
        "draft",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--status"));
}
