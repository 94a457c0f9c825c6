//! A multi-expert study in the desktop: two annotators label the same frames
//! of a blind collection without seeing each other's work, then a reviewer
//! shows both, accepts one, builds the consensus and reads the agreement; an
//! annotator is shown the study but offered no admin's controls.

use std::sync::atomic::AtomicBool;

use echolabel::demo::{DEMO_ADMIN, DEMO_COLLECTION, DEMO_TEMPLATE, create_demo_project};
use echolabel::store::{
    AnnotationStatus, KeyFrameKind, Project, ReviewDecision, Role, Source, WorkUnit,
};
use eframe::egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

use crate::ui::{
    LV, app, dirs, document, draw_with_pen, harness, key, options, press_with, wait_saved,
    wait_until,
};

const FIRST: &str = "Demo sonographer";
const SECOND: &str = "Second sonographer";
const REVIEWER: &str = "Demo cardiologist";

/// Outlines the LV on the frame on screen with the pen and submits it.
fn outline_and_submit(harness: &mut crate::ui::H, corners: [[f32; 2]; 4]) {
    draw_with_pen(harness, &corners);
    press_with(harness, Modifiers::COMMAND, Key::Enter);
    wait_saved(harness);
}

#[test]
fn two_blind_annotators_then_a_reviewer_builds_consensus_and_reads_agreement() {
    let dirs = dirs();
    create_demo_project(&dirs.demo, |_, _| {}, &AtomicBool::new(false)).unwrap();
    {
        let mut project = Project::open(&dirs.demo).unwrap();
        let admin = project.annotator_id(DEMO_ADMIN).unwrap();
        project
            .upsert_annotator(admin, SECOND, Role::Annotator, &["sonographer".into()])
            .unwrap();
        project
            .assign(
                admin,
                WorkUnit::Collection(DEMO_COLLECTION),
                DEMO_TEMPLATE,
                SECOND,
            )
            .unwrap();
        let collection = project.collections().unwrap()[0].id;
        project
            .set_collection_blind(admin, collection, true)
            .unwrap();
    }

    // The first annotator: ED on frame 1, the LV outlined and submitted.
    let mut h = harness(options(&dirs, Some(&dirs.demo), Some(FIRST)));
    wait_until(&mut h, "a clip to show", |h| app(h).clip_ready());
    key(&mut h, Key::ArrowRight);
    key(&mut h, Key::D);
    outline_and_submit(
        &mut h,
        [[100.0, 90.0], [150.0, 90.0], [150.0, 140.0], [100.0, 140.0]],
    );
    assert!(
        h.query_by_label_contains("Blind: in this collection")
            .is_some()
    );
    // An annotator sees the study, not an admin's controls.
    open_people_tab(&mut h);
    assert!(
        h.query_by_label_contains("Only an admin changes this")
            .is_some()
    );
    assert!(h.query_by_label("Add person").is_none());
    drop(h);

    // The second annotator, blind: nothing of the first one's work shows.
    let mut h = harness(options(&dirs, Some(&dirs.demo), Some(SECOND)));
    wait_until(&mut h, "a clip to show", |h| app(h).clip_ready());
    key(&mut h, Key::ArrowRight);
    assert!(
        document(&h).contour(1, LV).is_none(),
        "their own document only"
    );
    assert!(
        document(&h).key_frames().next().is_none(),
        "no one else's marks"
    );
    assert!(
        h.query_by_label_contains("Blind: in this collection")
            .is_some()
    );
    assert!(h.query_by_label(FIRST).is_none());
    key(&mut h, Key::ArrowRight);
    key(&mut h, Key::D); // ED one frame later than the first annotator
    key(&mut h, Key::ArrowLeft);
    outline_and_submit(
        &mut h,
        [[104.0, 90.0], [154.0, 90.0], [154.0, 140.0], [104.0, 140.0]],
    );
    drop(h);

    // The reviewer sees both, shows one over the frame, accepts it.
    let mut h = harness(options(&dirs, Some(&dirs.demo), Some(REVIEWER)));
    wait_until(&mut h, "a clip to show", |h| app(h).clip_ready());
    key(&mut h, Key::ArrowRight);
    wait_until(&mut h, "the other readers", |h| {
        h.query_by_label(FIRST).is_some() && h.query_by_label(SECOND).is_some()
    });
    h.get_by_label(FIRST).click();
    h.step();
    let clip = app(&h).clip_and_frame().unwrap().0;
    let shown = app(&h).session().unwrap().readers.outlines(clip, 1);
    assert_eq!(shown.len(), 1, "the first annotator's outline is drawn");
    let marks = app(&h).session().unwrap().readers.marks(clip);
    assert!(
        marks
            .iter()
            .any(|m| m.author == FIRST && m.kind == KeyFrameKind::EndDiastole && m.frame == 1),
        "the timeline shows the first annotator's ED: {marks:?}"
    );
    h.get_all_by_label("Accept").next().unwrap().click();
    wait_saved(&mut h);

    // Consensus and agreement from the Agreement window.
    app_perform(&mut h, echolabel::app::Action::ToggleAgreement);
    wait_until(&mut h, "the agreement window", |h| {
        h.query_by_label("Build consensus (STAPLE)").is_some()
    });
    h.get_by_label("Build consensus (STAPLE)").click();
    wait_until(&mut h, "the agreement figures", |h| {
        app(h).agreement().is_some_and(|r| !r.pairs.is_empty())
    });
    let report = app(&h).agreement().unwrap().clone();
    let pair = report
        .pairs
        .iter()
        .find(|p| p.annotator_b != echolabel::consensus::CONSENSUS)
        .unwrap();
    // Two 50-px squares 4 px apart overlap by 46/50.
    assert!((pair.dice - 0.92).abs() < 0.03, "{pair:?}");
    let marks: Vec<i64> = report
        .key_frames
        .iter()
        .map(|k| k.difference_frames)
        .collect();
    assert_eq!(report.key_frames.len(), 2, "{:?}", report.key_frames);
    assert!(marks.contains(&0) && marks.contains(&1), "{marks:?}");
    h.step();
    h.get_by_label("Comparisons").click();
    h.step();
    h.step();
    assert!(h.query_by_label("Dice").is_some());
    drop(h);

    let project = Project::open(&dirs.demo).unwrap();
    let annotations = project.annotations(clip, Some(1)).unwrap();
    let consensus = annotations
        .iter()
        .find(|a| a.source == Source::Consensus)
        .expect("the consensus is stored");
    assert_eq!(consensus.author, REVIEWER);
    let record = project.consensus_of(clip, 1, LV).unwrap().unwrap();
    assert_eq!(record.inputs.len(), 2);
    let accepted: Vec<_> = annotations
        .iter()
        .filter(|a| a.status == AnnotationStatus::Accepted)
        .collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        project
            .latest_review(accepted[0].id)
            .unwrap()
            .unwrap()
            .decision,
        ReviewDecision::Accepted
    );
    let eds: Vec<(String, u32)> = project
        .key_frames(clip)
        .unwrap()
        .into_iter()
        .filter(|k| k.kind == KeyFrameKind::EndDiastole)
        .map(|k| (k.author, k.frame))
        .collect();
    assert_eq!(eds, [(FIRST.to_string(), 1), (SECOND.to_string(), 2)]);
}

/// Opens the Study window on its People tab.
fn open_people_tab(h: &mut crate::ui::H) {
    app_perform(h, echolabel::app::Action::ToggleStudy);
    wait_until(h, "the study window", |h| {
        h.query_by_label("People").is_some()
    });
    h.get_by_label("People").click();
    h.step();
    h.step();
}

fn app_perform(h: &mut crate::ui::H, action: echolabel::app::Action) {
    h.state_mut().as_mut().unwrap().perform(action);
    h.step();
}

/// The text box labelled `label` (not the label itself).
fn text_box<'a>(h: &'a crate::ui::H, label: &'a str) -> egui_kittest::Node<'a> {
    h.get_all_by_label(label)
        .find(|node| {
            use egui_kittest::kittest::NodeT;
            matches!(
                node.accesskit_node().role(),
                eframe::egui::accesskit::Role::TextInput
                    | eframe::egui::accesskit::Role::PasswordInput
            )
        })
        .unwrap_or_else(|| panic!("a text box labelled {label}"))
}

/// Focuses the text box labelled `label` and types `text` into it.
fn type_into(h: &mut crate::ui::H, label: &str, text: &str) {
    text_box(h, label).focus();
    h.step();
    text_box(h, label).type_text(text);
    h.step();
}

#[test]
fn an_admin_sets_a_passphrase_and_adds_a_template_in_the_study_window() {
    let dirs = dirs();
    create_demo_project(&dirs.demo, |_, _| {}, &AtomicBool::new(false)).unwrap();
    let mut h = harness(options(&dirs, Some(&dirs.demo), Some(DEMO_ADMIN)));
    wait_until(&mut h, "a clip to show", |h| app(h).clip_ready());
    open_people_tab(&mut h);
    type_into(&mut h, "New passphrase", "correct horse");
    type_into(&mut h, "Again", "correct horse battery");
    assert!(
        h.query_by_label("The two do not match").is_some(),
        "mismatched entries are caught before anything is set"
    );
    text_box(&h, "Again").focus();
    h.step();
    for _ in 0.." battery".len() {
        key(&mut h, Key::Backspace);
    }
    h.step();
    h.get_by_label("Set passphrase").click();
    wait_until(&mut h, "the passphrase to be set", |h| {
        h.query_by_label_contains("passphrase is set").is_some()
    });

    h.get_by_label("Work and settings").click();
    h.step();
    h.step();
    type_into(&mut h, "Template name", "Apical keypoints");
    type_into(
        &mut h,
        "Items",
        "apex, mitral annulus septal , mitral annulus lateral",
    );
    h.get_by_label("keypoint").click();
    h.step();
    h.get_by_label("Add template").click();
    wait_saved(&mut h);
    wait_until(&mut h, "the template listed", |h| {
        h.query_by_label("apex, mitral annulus septal, mitral annulus lateral")
            .is_some()
    });
    drop(h);

    // Nothing on disk holds the passphrase in clear: not the journal, the
    // database or the desktop's settings.
    for root in [&dirs.demo, &dirs.config] {
        for file in files_under(root) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(13).any(|w| w == b"correct horse"),
                "{} holds the passphrase",
                file.display()
            );
        }
    }
    let project = Project::open(&dirs.demo).unwrap();
    project.sign_in(DEMO_ADMIN, Some("correct horse")).unwrap();
    assert!(project.sign_in(DEMO_ADMIN, Some("correct")).is_err());
    let template = project
        .templates()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Apical keypoints")
        .unwrap();
    assert_eq!(template.kind, echolabel::store::AnnotationKind::Keypoint);
    assert_eq!(
        template.items,
        ["apex", "mitral annulus septal", "mitral annulus lateral"]
    );
}

fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders: Vec<_> = root
        .is_dir()
        .then(|| root.to_path_buf())
        .into_iter()
        .collect();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
