//! No edit is lost: the desktop's writes while another process holds the
//! project database, across a kill of the app, on quitting, and for undo,
//! redo and accept of a model's proposals (which must be saved as shown).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use echolabel::app::AppOptions;
use echolabel::jobs::SaveState;
use echolabel::store::{
    AnnotationStatus, ContourKey, Geometry, KeyFrameKind, Project, SetBy, Source,
};
use eframe::egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

use crate::ui::{
    H, LV, SQUARE, app, dirs, document, drag, draw_square_with_pen, harness, key, options,
    press_with, screen, wait_saved, wait_until,
};

const SONOGRAPHER: &str = "Demo sonographer";

/// Holds the project's database the way another process's write does.
fn hold_database(root: &Path) -> rusqlite::Connection {
    let holder = rusqlite::Connection::open(root.join(echolabel::store::DATABASE_FILE)).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    holder
}

fn waiting(harness: &H) -> bool {
    app(harness)
        .session()
        .is_some_and(|s| matches!(s.save_state(), SaveState::Waiting { .. }))
}

/// The live contours of the first demo clip, as the project holds them.
fn stored_lv(root: &Path) -> Vec<echolabel::store::Annotation> {
    let project = Project::open(root).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    project
        .annotations(clip, Some(0))
        .unwrap()
        .into_iter()
        .filter(|a| a.target == LV)
        .collect()
}

/// Project ▸ Quit.
fn quit_from_the_menu(harness: &mut H) {
    harness.get_by_label("Project").click();
    wait_until(harness, "the Project menu", |h| {
        h.query_by_label("Quit").is_some()
    });
    harness.get_by_label("Quit").click();
    harness.step();
}

fn wait_for_file(path: &Path, what: &str, child: &mut std::process::Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the app process ended ({status}) before {what}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The child's half of [`a_contour_drawn_while_the_database_is_held_survives_a_kill_of_the_app`]:
/// the real editor draws a contour that cannot be saved yet, then waits to be killed.
fn run_as_the_killed_app(spec: &str) {
    let [config, demo, signals] = <[&str; 3]>::try_from(spec.split('\n').collect::<Vec<_>>())
        .expect("config, demo and signal folders");
    let signals = PathBuf::from(signals);
    let mut harness = harness(AppOptions {
        project: None,
        annotator: Some(SONOGRAPHER.into()),
        config_dir: config.into(),
        demo_dir: demo.into(),
    });
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    wait_saved(&mut harness);
    std::fs::write(signals.join("ready"), "").unwrap();
    while !signals.join("held").exists() {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    draw_square_with_pen(&mut harness);
    assert_eq!(document(&harness).contour(0, LV).unwrap().points.len(), 4);
    wait_until(&mut harness, "the save to wait for the database", waiting);
    std::fs::write(signals.join("drawn"), "").unwrap();
    loop {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_contour_drawn_while_the_database_is_held_survives_a_kill_of_the_app() {
    if let Ok(spec) = std::env::var("ECHOLABEL_KILLED_APP") {
        run_as_the_killed_app(&spec);
        return;
    }
    let dirs = dirs();
    let signals = dirs.config.parent().unwrap().join("signals");
    std::fs::create_dir_all(&signals).unwrap();
    let spec = format!(
        "{}\n{}\n{}",
        dirs.config.display(),
        dirs.demo.display(),
        signals.display()
    );
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "ui_saving::a_contour_drawn_while_the_database_is_held_survives_a_kill_of_the_app",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ECHOLABEL_KILLED_APP", spec)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_file(
        &signals.join("ready"),
        "the app to open the demo",
        &mut child,
    );
    let holder = hold_database(&dirs.demo);
    std::fs::write(signals.join("held"), "").unwrap();
    wait_for_file(
        &signals.join("drawn"),
        "the contour to be drawn",
        &mut child,
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(holder);
    assert!(
        stored_lv(&dirs.demo).is_empty(),
        "the database never took it"
    );

    // Reopen: the journal of the killed session is applied before anything else.
    let mut harness = harness(options(&dirs, None, Some(SONOGRAPHER)));
    wait_until(&mut harness, "the recovered contour", |h| {
        app(h).clip_ready() && document(h).contour(0, LV).is_some()
    });
    assert!(
        app(&harness)
            .notices()
            .any(|(_, text)| text.contains("Recovered 1 change(s)")),
        "the user is told"
    );
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, SQUARE);
    wait_saved(&mut harness);
    drop(harness);
    let stored = stored_lv(&dirs.demo);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].geometry.contour, SQUARE);
}

#[test]
fn quitting_while_the_database_is_held_asks_and_keeps_the_changes_for_next_time() {
    let dirs = dirs();
    let mut harness = harness(options(&dirs, None, Some(SONOGRAPHER)));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    wait_saved(&mut harness);
    let holder = hold_database(&dirs.demo);
    draw_square_with_pen(&mut harness);
    wait_until(&mut harness, "the save to wait", waiting);
    assert!(
        harness
            .query_by_label_contains("change(s) waiting")
            .is_some()
    );

    quit_from_the_menu(&mut harness);
    wait_until(&mut harness, "the question", |h| {
        h.query_by_label("Changes are not saved yet").is_some()
    });
    assert!(app(&harness).asks_before_leaving());
    // Keep working: nothing is dropped, the app stays.
    harness.get_by_label("Keep working").click();
    harness.step();
    assert!(!app(&harness).asks_before_leaving());
    assert!(app(&harness).session().is_some());

    quit_from_the_menu(&mut harness);
    wait_until(&mut harness, "the question", |h| {
        h.query_by_label("Changes are not saved yet").is_some()
    });
    harness
        .get_by_label("Quit, keep them for next time")
        .click();
    wait_until(&mut harness, "the project to close", |h| {
        app(h).session().is_none()
    });
    drop(harness);
    drop(holder);

    let mut harness = self::harness(options(&dirs, None, Some(SONOGRAPHER)));
    wait_until(&mut harness, "the kept contour", |h| {
        app(h).clip_ready() && document(h).contour(0, LV).is_some()
    });
    wait_saved(&mut harness);
    drop(harness);
    assert_eq!(stored_lv(&dirs.demo)[0].geometry.contour, SQUARE);
}

#[test]
fn undo_redo_and_accept_of_model_proposals_are_saved_as_the_screen_shows_them() {
    let dirs = dirs();
    // The demo project, with a model's LV proposal and ED mark for the sonographer.
    let mut harness = harness(options(&dirs, None, Some(SONOGRAPHER)));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    wait_saved(&mut harness);
    drop(harness);
    let proposal: Vec<[f32; 2]> = SQUARE.to_vec();
    {
        let mut project = Project::open(&dirs.demo).unwrap();
        let clip = project.clips(None).unwrap()[0].id;
        let author_id = project
            .annotators()
            .unwrap()
            .into_iter()
            .find(|a| a.name == SONOGRAPHER)
            .unwrap()
            .id;
        let key = ContourKey {
            clip_id: clip,
            frame: 0,
            target: LV.into(),
            author_id,
        };
        let geometry = Geometry {
            contour: proposal.clone(),
            ..Geometry::default()
        };
        project
            .propose_contour(&key, None, &geometry, None)
            .unwrap();
        project
            .set_key_frame(
                clip,
                KeyFrameKind::EndDiastole,
                0,
                SetBy::Model,
                author_id,
                None,
            )
            .unwrap();
    }
    let mut harness = self::harness(options(&dirs, None, Some(SONOGRAPHER)));
    wait_until(&mut harness, "the proposal", |h| {
        app(h).clip_ready() && document(h).contour(0, LV).is_some()
    });
    assert!(document(&harness).contour(0, LV).unwrap().is_proposal());

    // Edit the proposal: it becomes the sonographer's.
    key(&mut harness, Key::V);
    let from = screen(&harness, SQUARE[2]);
    let to = screen(&harness, [165.0, 155.0]);
    drag(&mut harness, from, to);
    wait_saved(&mut harness);
    assert_eq!(stored_lv(&dirs.demo)[0].source, Source::Human);

    // Undo: the store holds the proposal again, as the model's.
    press_with(&mut harness, Modifiers::COMMAND, Key::Z);
    wait_saved(&mut harness);
    let stored = stored_lv(&dirs.demo);
    assert_eq!(
        (stored[0].source, &stored[0].geometry.contour),
        (Source::Model, &proposal)
    );
    assert!(harness.query_by_label("All changes saved").is_some());

    // Redo, undo again, then accept (Ctrl+Enter) the untouched proposal.
    press_with(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    wait_saved(&mut harness);
    assert_eq!(stored_lv(&dirs.demo)[0].source, Source::Human);
    press_with(&mut harness, Modifiers::COMMAND, Key::Z);
    press_with(&mut harness, Modifiers::COMMAND, Key::Enter);
    wait_saved(&mut harness);
    let stored = stored_lv(&dirs.demo);
    assert_eq!(
        (&stored[0].geometry.contour, stored[0].status),
        (&proposal, AnnotationStatus::Submitted)
    );

    // Confirm the model's ED mark with D, then undo the confirmation.
    key(&mut harness, Key::D);
    wait_saved(&mut harness);
    let marks = |root: &Path| {
        let project = Project::open(root).unwrap();
        let clip = project.clips(None).unwrap()[0].id;
        project.key_frames(clip).unwrap()
    };
    assert_eq!(marks(&dirs.demo)[0].set_by, SetBy::Human);
    press_with(&mut harness, Modifiers::COMMAND, Key::Z);
    wait_saved(&mut harness);
    assert_eq!(marks(&dirs.demo)[0].set_by, SetBy::Model);
    assert!(app(&harness).session().unwrap().store.failures().is_empty());
}
