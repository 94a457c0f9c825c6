//! The desktop driven through egui_kittest: the demo project on first start,
//! choosing who annotates, drawing and editing contours with mouse and keys,
//! undo/redo, ED/ES marks, autosave, reopening, and a clip that will not open.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use echolabel::app::{AppOptions, EchoLabelApp, NoticeLevel};
use echolabel::editor::ClipDocument;
use echolabel::geometry::{self, Point};
use echolabel::store::{AnnotationStatus, KeyFrameKind, Project};
use eframe::egui::{self, Key, Modifiers, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

pub(crate) const LV: &str = "LV endocardium";

pub(crate) struct Dirs {
    _temp: tempfile::TempDir,
    pub(crate) config: PathBuf,
    pub(crate) demo: PathBuf,
}

pub(crate) fn dirs() -> Dirs {
    let temp = tempfile::tempdir().unwrap();
    Dirs {
        config: temp.path().join("config"),
        demo: temp.path().join("demo"),
        _temp: temp,
    }
}

pub(crate) fn options(dirs: &Dirs, project: Option<&Path>, annotator: Option<&str>) -> AppOptions {
    AppOptions {
        project: project.map(Path::to_path_buf),
        annotator: annotator.map(str::to_string),
        config_dir: dirs.config.clone(),
        demo_dir: dirs.demo.clone(),
    }
}

pub(crate) type App = Option<EchoLabelApp>;
pub(crate) type H = Harness<'static, App>;

pub(crate) fn harness(options: AppOptions) -> H {
    Harness::builder()
        .with_size([1280.0, 860.0])
        .with_max_steps(16)
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| EchoLabelApp::new(options.clone(), ui.ctx().clone()))
                    .ui(ui)
            },
            None,
        )
}

pub(crate) fn app(harness: &H) -> &EchoLabelApp {
    harness
        .state()
        .as_ref()
        .expect("the app starts on the first frame")
}

/// Steps the UI until `done` holds (workers run on their own threads).
pub(crate) fn wait_until(harness: &mut H, what: &str, done: impl Fn(&H) -> bool) {
    let start = Instant::now();
    loop {
        harness.step();
        if harness.state().is_some() && done(harness) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub(crate) fn document(harness: &H) -> &ClipDocument {
    app(harness)
        .document()
        .expect("a clip's annotations are loaded")
}

pub(crate) fn frame(harness: &H) -> u32 {
    app(harness).current_frame().expect("a clip is open")
}

pub(crate) fn screen(harness: &H, p: Point) -> Pos2 {
    app(harness)
        .screen_from_image(p)
        .expect("the canvas has been drawn")
}

pub(crate) fn click_at(harness: &mut H, pos: Pos2) {
    harness.hover_at(pos);
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.step();
}

pub(crate) fn drag(harness: &mut H, from: Pos2, to: Pos2) {
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for i in 1..=8 {
        harness.hover_at(from + (to - from) * (i as f32 / 8.0));
        harness.step();
    }
    harness.drop_at(to);
    harness.step();
}

pub(crate) fn key(harness: &mut H, key: Key) {
    harness.key_press(key);
    harness.step();
}

pub(crate) fn press_with(harness: &mut H, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    harness.step();
}

pub(crate) fn wait_saved(harness: &mut H) {
    wait_until(harness, "every change to be saved", |h| app(h).all_saved());
    // The store may have finished after the last frame was drawn: draw one more.
    harness.step();
}

/// Answers "who is annotating?" with the demo sonographer.
pub(crate) fn choose_sonographer(harness: &mut H) {
    wait_until(harness, "the annotator question", |h| {
        h.query_by_label("Who is annotating?").is_some()
    });
    harness.get_by_label_contains("Demo sonographer").click();
    harness.step();
    harness.get_by_label("Start annotating").click();
    wait_until(harness, "a clip to show", |h| app(h).clip_ready());
}

pub(crate) const SQUARE: [Point; 4] =
    [[100.0, 90.0], [150.0, 90.0], [150.0, 140.0], [100.0, 140.0]];

/// The pen (key P): a click on each corner, then one on the first closes the contour.
pub(crate) fn draw_with_pen(harness: &mut H, corners: &[Point]) {
    key(harness, Key::P);
    for p in corners {
        let pos = screen(harness, *p);
        click_at(harness, pos);
    }
    let first = screen(harness, corners[0]);
    click_at(harness, first);
}

pub(crate) fn draw_square_with_pen(harness: &mut H) {
    draw_with_pen(harness, &SQUARE);
}

#[test]
fn annotate_ed_and_es_with_mouse_and_keys_then_reopen_and_find_the_work() {
    let dirs = dirs();
    let mut harness = harness(options(&dirs, None, None));
    choose_sonographer(&mut harness);
    assert_eq!(frame(&harness), 0);

    // ED on the first frame, by key.
    key(&mut harness, Key::D);
    assert!(
        document(&harness)
            .key_frame(0, KeyFrameKind::EndDiastole)
            .is_some()
    );

    // Draw the LV with the pen: four clicks, then a click on the first point closes it.
    draw_square_with_pen(&mut harness);
    let drawn = document(&harness)
        .contour(0, LV)
        .expect("the pen closed a contour")
        .points
        .clone();
    assert_eq!(drawn.len(), 4);
    assert!(geometry::is_simple(&drawn));

    // Drag one corner outwards with the edit tool.
    key(&mut harness, Key::V);
    let from = screen(&harness, SQUARE[2]);
    let to = screen(&harness, [165.0, 155.0]);
    drag(&mut harness, from, to);
    let moved = document(&harness).contour(0, LV).unwrap().points.clone();
    assert_eq!(moved.len(), 4);
    assert!(
        (moved[2][0] - 165.0).abs() < 1.5 && (moved[2][1] - 155.0).abs() < 1.5,
        "moved to {:?}",
        moved[2]
    );

    // Undo puts the corner back; redo moves it again.
    press_with(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, drawn);
    press_with(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, moved);

    // ES a few frames on, with the contour copied from ED and then accepted.
    for _ in 0..5 {
        key(&mut harness, Key::ArrowRight);
    }
    assert_eq!(frame(&harness), 5);
    key(&mut harness, Key::S);
    key(&mut harness, Key::C);
    assert_eq!(document(&harness).contour(5, LV).unwrap().points, moved);
    press_with(&mut harness, Modifiers::COMMAND, Key::Enter);
    assert_eq!(
        document(&harness).contour(5, LV).unwrap().status,
        AnnotationStatus::Submitted
    );
    wait_saved(&mut harness);
    assert!(harness.query_by_label("All changes saved").is_some());
    drop(harness);

    // The work is in the project, under the annotator's name.
    let project = Project::open(&dirs.demo).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    let annotations = project.annotations(clip, None).unwrap();
    assert_eq!(annotations.len(), 2, "{annotations:?}");
    assert!(
        annotations
            .iter()
            .all(|a| a.author == "Demo sonographer" && a.target == LV)
    );
    let keys = project.key_frames(clip).unwrap();
    assert_eq!(
        keys.iter().map(|k| (k.kind, k.frame)).collect::<Vec<_>>(),
        [
            (KeyFrameKind::EndDiastole, 0),
            (KeyFrameKind::EndSystole, 5)
        ]
    );
    drop(project);

    // Reopen: the last project opens, the same annotator is offered, the work is there.
    let mut harness = self::harness(options(&dirs, None, None));
    wait_until(&mut harness, "the annotator question", |h| {
        h.query_by_label("Who is annotating?").is_some()
    });
    harness.get_by_label("Start annotating").click();
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, moved);
    assert_eq!(
        document(&harness).contour(5, LV).unwrap().status,
        AnnotationStatus::Submitted
    );
    assert_eq!(
        document(&harness)
            .key_frame(5, KeyFrameKind::EndSystole)
            .unwrap()
            .author
            .as_deref(),
        Some("Demo sonographer")
    );
    // Shift+→ jumps between the key frames.
    press_with(&mut harness, Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!(frame(&harness), 5);
}

#[test]
fn brush_eraser_smoothing_and_point_deletion_keep_contours_simple() {
    let dirs = dirs();
    let mut harness = harness(options(&dirs, None, Some("Demo sonographer")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());

    // Brush a stroke: a closed contour around it appears.
    key(&mut harness, Key::B);
    let (a, b) = (
        screen(&harness, [110.0, 120.0]),
        screen(&harness, [150.0, 120.0]),
    );
    drag(&mut harness, a, b);
    let brushed = document(&harness)
        .contour(0, LV)
        .expect("the brush made a contour")
        .points
        .clone();
    assert!(geometry::is_simple(&brushed));
    let brushed_area = geometry::area(&brushed);
    assert!(brushed_area > 300.0, "area {brushed_area}");

    // Erase its right half.
    key(&mut harness, Key::E);
    let (a, b) = (
        screen(&harness, [135.0, 100.0]),
        screen(&harness, [135.0, 140.0]),
    );
    for _ in 0..3 {
        key(&mut harness, Key::CloseBracket);
    }
    drag(&mut harness, a, b);
    let erased = document(&harness).contour(0, LV).unwrap().points.clone();
    assert!(geometry::is_simple(&erased));
    assert!(
        geometry::area(&erased) < brushed_area * 0.8,
        "{} vs {brushed_area}",
        geometry::area(&erased)
    );

    // Smoothing keeps it simple and roughly the same size.
    key(&mut harness, Key::M);
    let smooth = document(&harness).contour(0, LV).unwrap().points.clone();
    assert!(geometry::is_simple(&smooth));
    let change = geometry::area(&smooth) / geometry::area(&erased) - 1.0;
    assert!(change.abs() < 0.1, "smoothing changed the area by {change}");
    assert_ne!(smooth, erased);

    // Delete with nothing selected removes the contour; undo brings it back.
    key(&mut harness, Key::V);
    key(&mut harness, Key::Delete);
    assert!(document(&harness).contour(0, LV).is_none());
    press_with(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, smooth);

    // The second structure is drawn separately (key 2).
    key(&mut harness, Key::Num2);
    key(&mut harness, Key::B);
    let (a, b) = (
        screen(&harness, [60.0, 60.0]),
        screen(&harness, [70.0, 70.0]),
    );
    drag(&mut harness, a, b);
    assert!(document(&harness).contour(0, "Myocardium").is_some());
    assert_eq!(document(&harness).contour(0, LV).unwrap().points, smooth);
    wait_saved(&mut harness);
}

#[test]
fn a_clip_that_cannot_be_read_shows_an_error_and_the_rest_keeps_working() {
    let dirs = dirs();
    let data = dirs.config.parent().unwrap().join("clips");
    echolabel::phantom::write_dataset(&data, 2, 11, |_, _| {}).unwrap();
    let root = dirs.config.parent().unwrap().join("project");
    let mut project = Project::open_or_create(&root).unwrap();
    project.bootstrap_admin("Ana").unwrap();
    let by = crate::common::admin(&mut project);
    echolabel::store::import_folder(
        &mut project,
        by,
        &data,
        "pilot",
        &Default::default(),
        |_, _, _| {},
        &Default::default(),
    )
    .unwrap();
    drop(project);
    // The first clip is damaged after import.
    let broken = data.join("phantom_0000.dcm");
    let bytes = std::fs::read(&broken).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap();

    let mut harness = harness(options(&dirs, Some(&root), Some("Ana")));
    wait_until(&mut harness, "the error", |h| {
        app(h)
            .notices()
            .any(|(level, text)| level == NoticeLevel::Error && text.contains("phantom_0000.dcm"))
    });
    wait_until(&mut harness, "the clip marked unreadable", |h| {
        h.query_by_label("1 unreadable").is_some()
    });
    // The next clip opens and can be annotated.
    key(&mut harness, Key::ArrowDown);
    wait_until(&mut harness, "the second clip", |h| app(h).clip_ready());
    key(&mut harness, Key::D);
    assert!(
        document(&harness)
            .key_frame(0, KeyFrameKind::EndDiastole)
            .is_some()
    );
    wait_saved(&mut harness);
}

#[test]
fn an_import_runs_in_the_background_and_reports_bad_files() {
    let dirs = dirs();
    let root = dirs.config.parent().unwrap().join("project");
    Project::open_or_create(&root)
        .unwrap()
        .bootstrap_admin("Ana")
        .unwrap();
    let mut harness = harness(options(&dirs, Some(&root), Some("Ana")));
    wait_until(&mut harness, "Ana to be working", |h| {
        app(h).session().is_some_and(|s| s.annotator.is_some())
    });
    let folder = crate::common::dicom_dir();
    harness
        .state_mut()
        .as_mut()
        .unwrap()
        .start_import(folder, "shared".into(), false);
    wait_until(&mut harness, "the import to finish", |h| {
        app(h)
            .notices()
            .any(|(_, text)| text.starts_with("Import finished"))
    });
    let (level, text) = app(&harness)
        .notices()
        .find(|(_, t)| t.starts_with("Import finished"))
        .unwrap();
    assert_eq!(
        level,
        NoticeLevel::Error,
        "the shared data has bad files: {text}"
    );
    // Two of the shared files are lossless re-encodings of others (same SOP
    // Instance UID, other bytes: conflicts), and five are deliberately broken.
    assert!(
        text.contains("imported 8, duplicates 0, conflicts 2, failed 5"),
        "{text}"
    );
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    // The library reloads its list from the store thread after the import's
    // last clip, so the count may arrive a few frames after the first clip opens.
    wait_until(&mut harness, "the library to list 8 clips", |h| {
        h.query_by_label("8 clips").is_some()
    });
}

/// A harness that paints through wgpu (lavapipe in CI) with the GPU viewer installed.
fn rendering_harness(options: AppOptions) -> H {
    rendering_harness_and_device(options).0
}

/// [`rendering_harness`] and the render state it paints with; the device's
/// uncaptured errors become notices, as in the app.
pub(crate) fn rendering_harness_and_device(
    options: AppOptions,
) -> (H, eframe::egui_wgpu::RenderState) {
    let render_state = egui_kittest::wgpu::create_render_state(
        egui_kittest::wgpu::default_wgpu_setup(),
        eframe::egui_wgpu::RendererOptions::PREDICTABLE,
    );
    echolabel::app::install_viewer(&render_state);
    let harness = Harness::builder()
        .with_size([1280.0, 860.0])
        .with_max_steps(16)
        .renderer(egui_kittest::wgpu::WgpuTestRenderer::from_render_state(
            render_state.clone(),
        ))
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| EchoLabelApp::new(options.clone(), ui.ctx().clone()))
                    .ui(ui)
            },
            None,
        );
    echolabel::app::report_gpu_errors(&render_state, &harness.ctx);
    (harness, render_state)
}

#[test]
fn the_gpu_viewer_draws_the_frame_and_tints_the_structure_inside_its_contour() {
    let dirs = dirs();
    let mut harness = rendering_harness(options(&dirs, None, Some("Demo sonographer")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    draw_square_with_pen(&mut harness);
    assert!(document(&harness).contour(0, LV).is_some());
    // Move the pointer off the canvas so no hover readout covers the pixels.
    harness.hover_at(Pos2::new(5.0, 5.0));
    harness.step();

    let image = harness.render().expect("wgpu renders the window");
    let scale = image.width() as f32 / 1280.0;
    let pixel = |p: Point| {
        let pos = screen(&harness, p);
        image
            .get_pixel((pos.x * scale) as u32, (pos.y * scale) as u32)
            .0
    };
    let mean = |points: &[Point]| {
        let sum = points.iter().map(|&p| pixel(p)).fold([0f32; 3], |acc, px| {
            [
                acc[0] + f32::from(px[0]),
                acc[1] + f32::from(px[1]),
                acc[2] + f32::from(px[2]),
            ]
        });
        sum.map(|v| v / points.len() as f32)
    };
    let grid = |x0: f32, y0: f32| -> Vec<Point> {
        (0..5)
            .flat_map(|i| (0..5).map(move |j| [x0 + 4.0 * i as f32, y0 + 4.0 * j as f32]))
            .collect()
    };
    // Inside the square the LV colour (red) is blended over the grey frame.
    let inside = mean(&grid(115.0, 105.0));
    assert!(
        inside[0] > inside[1] + 25.0 && inside[0] > inside[2] + 25.0,
        "inside {inside:?}"
    );
    // Elsewhere the frame is grey and not blank: the phantom's tissue is visible.
    let outside: Vec<Point> = (0..20)
        .flat_map(|i| (0..20).map(move |j| [20.0 + 11.0 * i as f32, 170.0 + 3.0 * j as f32]))
        .collect();
    let samples: Vec<[u8; 4]> = outside.iter().map(|&p| pixel(p)).collect();
    assert!(
        samples
            .iter()
            .all(|px| px[0].abs_diff(px[1]) <= 2 && px[1].abs_diff(px[2]) <= 2),
        "frame pixels are grey"
    );
    let brightest = samples.iter().map(|px| px[0]).max().unwrap();
    assert!(
        brightest > 60,
        "the frame was drawn (brightest sample {brightest})"
    );
}

#[test]
fn the_model_proposes_contours_and_key_frames_that_the_annotator_confirms() {
    let dirs = dirs();
    let mut harness = harness(options(&dirs, None, Some("Demo sonographer")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    wait_until(&mut harness, "the model", |h| app(h).model_ready());

    // R: the starting model proposes the three structures on this frame.
    key(&mut harness, Key::R);
    wait_until(&mut harness, "the proposal", |h| {
        app(h)
            .notices()
            .any(|(_, text)| text.contains("contour(s) proposed"))
    });
    let proposal = document(&harness)
        .contour(0, LV)
        .expect("an LV proposal")
        .clone();
    assert!(proposal.is_proposal() && proposal.status == AnnotationStatus::Draft);
    assert!(geometry::is_simple(&proposal.points) && geometry::area(&proposal.points) > 200.0);
    assert!(document(&harness).contour(0, "Left atrium").is_some());
    // Accepting makes them the annotator's submitted work.
    press_with(&mut harness, Modifiers::COMMAND, Key::Enter);
    assert_eq!(
        document(&harness).contour(0, LV).unwrap().status,
        AnnotationStatus::Submitted
    );

    // K: ED and ES proposals over the whole clip; D on a proposed ED confirms it.
    wait_until(&mut harness, "the model", |h| app(h).model_ready());
    key(&mut harness, Key::K);
    wait_until(&mut harness, "the ED/ES proposal", |h| {
        app(h)
            .notices()
            .any(|(_, text)| text.contains("ED/ES frame(s) proposed"))
    });
    let proposed: Vec<(KeyFrameKind, u32)> = document(&harness)
        .key_frames()
        .filter(|m| m.set_by == echolabel::store::SetBy::Model)
        .map(|m| (m.kind, m.frame))
        .collect();
    assert!(
        proposed
            .iter()
            .any(|(k, _)| *k == KeyFrameKind::EndDiastole),
        "{proposed:?}"
    );
    assert!(
        proposed.iter().any(|(k, _)| *k == KeyFrameKind::EndSystole),
        "{proposed:?}"
    );
    let ed = proposed
        .iter()
        .find(|(k, _)| *k == KeyFrameKind::EndDiastole)
        .unwrap()
        .1;
    while frame(&harness) < ed {
        key(&mut harness, Key::ArrowRight);
    }
    key(&mut harness, Key::D);
    let mark = document(&harness)
        .key_frame(ed, KeyFrameKind::EndDiastole)
        .unwrap();
    assert_eq!(mark.set_by, echolabel::store::SetBy::Human);
    assert_eq!(mark.author.as_deref(), Some("Demo sonographer"));
    wait_saved(&mut harness);
    drop(harness);

    let project = Project::open(&dirs.demo).unwrap();
    let clip = project.clips(None).unwrap()[0].id;
    let annotations = project.annotations(clip, Some(0)).unwrap();
    assert_eq!(
        annotations.len(),
        3,
        "one annotation per proposed structure: {annotations:?}"
    );
    let lv = annotations.iter().find(|a| a.target == LV).unwrap();
    assert_eq!(lv.source, echolabel::store::Source::Model);
    assert_eq!(lv.status, AnnotationStatus::Submitted);
    assert_eq!(lv.author, "Demo sonographer");
    let keys = project.key_frames(clip).unwrap();
    assert!(
        keys.iter()
            .any(|k| k.frame == ed && k.set_by == echolabel::store::SetBy::Human)
    );
    assert!(
        keys.iter()
            .any(|k| k.set_by == echolabel::store::SetBy::Model)
    );
}

#[test]
fn training_from_the_desktop_stores_a_version_that_then_makes_the_proposals() {
    let dirs = dirs();
    let mut harness = harness(options(&dirs, None, Some("Demo sonographer")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    // Finished contours on two clips: model proposals, accepted.
    for clip in 0..2 {
        if clip > 0 {
            key(&mut harness, Key::ArrowDown);
            wait_until(&mut harness, "the next clip", |h| {
                app(h).clip_ready() && document(h).annotated_frames().is_empty()
            });
        }
        wait_until(&mut harness, "the model", |h| app(h).model_ready());
        key(&mut harness, Key::R);
        wait_until(&mut harness, "the proposal", |h| {
            document(h).contour(0, LV).is_some()
        });
        press_with(&mut harness, Modifiers::COMMAND, Key::Enter);
    }
    wait_saved(&mut harness);
    harness.get_by_label("Train new version").click();
    wait_until(&mut harness, "the live plot", |h| {
        h.query_by_label_contains("Model training").is_some()
    });
    wait_until(&mut harness, "training to finish", |h| {
        app(h)
            .notices()
            .any(|(_, text)| text.starts_with("Model version 1 trained"))
    });
    wait_until(&mut harness, "the new model", |h| {
        h.query_by_label_contains("model version 1").is_some()
    });
    drop(harness);

    let project = Project::open(&dirs.demo).unwrap();
    let versions = project.model_versions().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].training_set.len(),
        6,
        "3 structures on 2 frames"
    );
    assert!(dirs.demo.join(&versions[0].checkpoint_path).is_file());
}

#[test]
fn an_active_learning_round_fills_the_queue_and_the_review_grid_from_the_desktop() {
    let dirs = dirs();
    // Deciding on pseudo-labels is a reviewer's.
    let mut harness = rendering_harness(options(&dirs, None, Some("Demo cardiologist")));
    wait_until(&mut harness, "a clip to show", |h| app(h).clip_ready());
    wait_until(&mut harness, "the model", |h| app(h).model_ready());
    harness.get_by_label("Active learning").click();
    wait_until(&mut harness, "the window", |h| {
        h.query_by_label("Start round").is_some()
    });
    harness
        .get_by_label("SSAL (stable mid-uncertainty)")
        .click();
    harness.step();
    harness.get_by_label("Start round").click();
    wait_until(&mut harness, "the round to finish", |h| {
        app(h)
            .notices()
            .any(|(_, text)| text.starts_with("Round 1:"))
    });
    let (queue, pending) = {
        let project = Project::open(&dirs.demo).unwrap();
        let queue = echolabel::active::queue::annotation_queue(&project, None).unwrap();
        let pending = project.pseudo_labels(&[AnnotationStatus::Draft]).unwrap();
        (queue, pending)
    };
    assert_eq!(queue.len(), 8, "the default budget");
    assert!(
        !pending.is_empty(),
        "SSAL found stable mid-uncertainty frames"
    );
    assert!(
        app(&harness)
            .notices()
            .any(|(_, text)| text.contains("no new model: training needs labelled frames")),
        "nothing labelled yet: the starting model scored the pool"
    );

    // The queue opens on its own; Open shows the first frame with its uncertainty map.
    wait_until(&mut harness, "the queue", |h| {
        h.query_all_by_label("Open").next().is_some()
    });
    harness.get_all_by_label("Open").next().unwrap().click();
    let first = (queue[0].clip_id, queue[0].frame);
    wait_until(&mut harness, "the queued frame", |h| {
        app(h).clip_and_frame() == Some(first) && app(h).clip_ready()
    });
    wait_until(&mut harness, "its uncertainty map", |h| {
        app(h).uncertainty_map_shown()
    });
    key(&mut harness, Key::U);
    assert!(!app(&harness).uncertainty_map_shown(), "U hides the map");
    key(&mut harness, Key::U);
    key(&mut harness, Key::N);
    let second = (queue[1].clip_id, queue[1].frame);
    wait_until(&mut harness, "the next queued frame (N)", |h| {
        app(h).clip_and_frame() == Some(second)
    });

    // Review: take one frame over for editing, accept the rest in one go.
    harness
        .get_by_label_contains(&format!("Review ({})", pending.len()))
        .click();
    wait_until(&mut harness, "the review grid", |h| {
        h.query_by_label("Select all").is_some()
    });
    // The first card of the first group (LV) is the most confident LV pseudo-label.
    let first_lv = pending.iter().find(|a| a.target == LV).unwrap();
    let edited = (first_lv.clip_id, first_lv.frame);
    let structures = pending
        .iter()
        .filter(|a| (a.clip_id, a.frame) == edited)
        .count();
    harness.get_all_by_label("Correct").next().unwrap().click();
    wait_until(
        &mut harness,
        "the pseudo-labels in the annotator's contours",
        |h| {
            app(h).clip_and_frame() == Some(edited)
                && app(h)
                    .document()
                    .is_some_and(|d| d.contour(edited.1, LV).is_some())
        },
    );
    wait_saved(&mut harness);
    wait_until(&mut harness, "the taken-over pseudo-labels to close", |h| {
        h.query_by_label_contains(&format!("Review ({})", pending.len() - structures))
            .is_some()
    });
    harness.get_by_label("Select all").click();
    harness.step();
    harness
        .get_by_label_contains(&format!("Accept selected ({})", pending.len() - structures))
        .click();
    wait_until(&mut harness, "the bulk decision", |h| {
        h.query_by_label("Review (0)").is_some()
    });
    drop(harness);

    let project = Project::open(&dirs.demo).unwrap();
    assert!(
        project
            .pseudo_labels(&[AnnotationStatus::Draft])
            .unwrap()
            .is_empty()
    );
    let accepted = project
        .pseudo_labels(&[AnnotationStatus::Accepted])
        .unwrap();
    assert_eq!(accepted.len(), pending.len() - structures);
    let rejected = project
        .pseudo_labels(&[AnnotationStatus::Rejected])
        .unwrap();
    assert!(rejected.iter().all(|a| (a.clip_id, a.frame) == edited));
    let reviewer = project.annotator_id("Demo cardiologist").unwrap();
    let mine = project.annotations(edited.0, Some(edited.1)).unwrap();
    assert!(
        mine.iter().any(|a| a.author_id == reviewer
            && a.target == LV
            && a.status == AnnotationStatus::Draft),
        "the copy is the reviewer's draft to correct"
    );
    assert_eq!(project.rounds().unwrap().len(), 1);
}
