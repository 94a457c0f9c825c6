//! The desktop on hostile clips (issue #12): frames wider or taller than the
//! GPU's texture limit, thumbnails of long thin frames, inverted or absurdly
//! calibrated ultrasound regions and frame times of 1e-300 and 1e22 ms. Each
//! is opened and played; the app must neither panic nor hang, and a later
//! key press must still move the frame.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use echolabel::app::NoticeLevel;
use echolabel::store::Project;
use eframe::egui::{Key, Pos2};
use egui_kittest::kittest::Queryable;

use crate::ui::{
    H, app, dirs, frame, harness, key, options, rendering_harness_and_device, screen, wait_until,
};

/// One clip to write: its size, its Frame Time (DS text) and its region.
struct Hostile {
    name: &'static str,
    cols: u16,
    rows: u16,
    frames: u16,
    frame_time: Option<&'static str>,
    /// `(min_x, min_y, max_x, max_y)` and Physical Delta X/Y in cm per pixel.
    region: Option<((u32, u32, u32, u32), f64)>,
}

impl Hostile {
    /// The grey value written at pixel `(x, y)`: a ramp along the longer side,
    /// dark at one end and bright at the other, so a sample tells where on
    /// the frame it was taken.
    fn grey_at(&self, x: usize, y: usize) -> u8 {
        let (at, length) = if self.rows >= self.cols {
            (y, usize::from(self.rows))
        } else {
            (x, usize::from(self.cols))
        };
        (30 + 200 * at / length.max(1)) as u8
    }
}

/// Rewrites a phantom clip (8-bit MONOCHROME2 US multi-frame) as `clip`.
fn write_hostile(template: &Path, folder: &Path, index: usize, clip: &Hostile) {
    let mut object = dicom_object::open_file(template).unwrap();
    let (cols, rows) = (usize::from(clip.cols), usize::from(clip.rows));
    let frame: Vec<u8> = (0..rows)
        .flat_map(|y| (0..cols).map(move |x| clip.grey_at(x, y)))
        .collect();
    let pixels = frame.repeat(usize::from(clip.frames));
    let uid = format!("2.25.{}", 4_242_000 + index);
    object.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        PrimitiveValue::from(uid.clone()),
    ));
    object.update_meta(|meta| meta.media_storage_sop_instance_uid = uid);
    object.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(clip.rows),
    ));
    object.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(clip.cols),
    ));
    object.put(DataElement::new(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        PrimitiveValue::from(clip.frames.to_string()),
    ));
    object.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::from(pixels),
    ));
    if let Some(frame_time) = clip.frame_time {
        object.put(DataElement::new(
            tags::FRAME_TIME,
            VR::DS,
            PrimitiveValue::from(frame_time),
        ));
        object.remove_element(tags::CINE_RATE);
    }
    object.remove_element(tags::SEQUENCE_OF_ULTRASOUND_REGIONS);
    if let Some((bounds, cm_per_pixel)) = clip.region {
        object.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            DataSetSequence::from(vec![crate::common::calibrated_region(bounds, cm_per_pixel)]),
        ));
    }
    object
        .write_to_file(folder.join(format!("{}.dcm", clip.name)))
        .unwrap();
}

/// A project with annotator Ana and `clips` imported, in that order.
fn hostile_project(dirs: &crate::ui::Dirs, clips: &[Hostile]) -> PathBuf {
    let base = dirs.config.parent().unwrap();
    let template = echolabel::phantom::write_dataset(&base.join("template"), 1, 3, |_, _| {})
        .unwrap()
        .remove(0);
    let folder = base.join("hostile");
    std::fs::create_dir_all(&folder).unwrap();
    for (index, clip) in clips.iter().enumerate() {
        write_hostile(&template, &folder, index, clip);
    }
    let root = base.join("project");
    let mut project = Project::open_or_create(&root).unwrap();
    project.bootstrap_admin("Ana").unwrap();
    let by = crate::common::admin(&mut project);
    let summary = echolabel::store::import_folder(
        &mut project,
        by,
        &folder,
        "hostile",
        &Default::default(),
        |_, _, _| {},
        &Default::default(),
    )
    .unwrap();
    assert!(summary.failed.is_empty(), "{summary}");
    root
}

/// The file name of the clip on screen.
fn clip_name(harness: &H) -> String {
    let clip = app(harness).session().unwrap().clip.as_ref().unwrap();
    clip.record
        .path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn gpu_errors(harness: &H) -> Vec<String> {
    app(harness)
        .notices()
        .filter(|(level, text)| *level == NoticeLevel::Error && text.contains("graphics device"))
        .map(|(_, text)| text.to_string())
        .collect()
}

/// Plays the clip for `steps` frames of the UI and returns the frames shown.
fn play(harness: &mut H, steps: usize) -> HashSet<u32> {
    key(harness, Key::Space);
    let mut shown = HashSet::new();
    for _ in 0..steps {
        harness.step();
        shown.insert(frame(harness));
    }
    key(harness, Key::Space);
    shown
}

/// After playing, the app still answers: → moves exactly one frame.
fn assert_answers(harness: &mut H, frames: u32) {
    let before = frame(harness);
    key(harness, Key::ArrowRight);
    assert_eq!(
        frame(harness),
        (before + 1) % frames,
        "{}",
        clip_name(harness)
    );
}

const TALL: Hostile = Hostile {
    name: "tall_64x9000",
    cols: 64,
    rows: 9000,
    frames: 3,
    frame_time: None,
    region: None,
};

#[test]
fn frames_and_thumbnails_beyond_the_texture_limit_are_shown_shrunk_over_the_whole_image() {
    let dirs = dirs();
    let clips = [
        TALL,
        Hostile {
            name: "wide_9000x64",
            cols: 9000,
            rows: 64,
            ..TALL
        },
        // Its thumbnail scaled to the width alone would be 96 × 8727 pixels.
        Hostile {
            name: "narrow_11x1000",
            cols: 11,
            rows: 1000,
            ..TALL
        },
    ];
    let root = hostile_project(&dirs, &clips);
    let (mut harness, render_state) =
        rendering_harness_and_device(options(&dirs, Some(&root), Some("Ana")));
    let limit = render_state.device.limits().max_texture_dimension_2d;
    assert!(
        limit < 9000,
        "the test device must refuse a 9000-pixel texture (its limit is {limit})"
    );
    wait_until(&mut harness, "every thumbnail", |h| {
        let library = &app(h).session().unwrap().library;
        library.clips().len() == clips.len()
            && library
                .clips()
                .iter()
                .all(|c| library.thumbnail_size(c.id).is_some())
    });
    let library = &app(&harness).session().unwrap().library;
    for clip in library.clips() {
        let [width, height] = library.thumbnail_size(clip.id).unwrap();
        assert!(
            (1..=96).contains(&width) && (1..=96).contains(&height),
            "{}: thumbnail {width}×{height}",
            clip.path.display()
        );
    }
    let mut seen = Vec::new();
    for _ in 0..clips.len() {
        let clip = next_clip(&mut harness, &clips, &mut seen);
        let shown = play(&mut harness, 12);
        assert!(shown.len() >= 2, "{}: played {shown:?}", clip.name);
        assert_answers(&mut harness, u32::from(clip.frames));
        harness.hover_at(Pos2::new(5.0, 5.0));
        wait_until(&mut harness, "the frame decoded", |h| app(h).clip_ready());
        let image = harness.render().expect("wgpu renders the window");
        assert!(
            gpu_errors(&harness).is_empty(),
            "{:?}",
            gpu_errors(&harness)
        );
        // The shrunk texture covers the whole image: the grey value sampled at
        // an image point is the one written there, at either end as in the middle.
        let scale = image.width() as f32 / 1280.0;
        let (cols, rows) = (f32::from(clip.cols), f32::from(clip.rows));
        for fraction in [0.1, 0.5, 0.9] {
            let point = if clip.rows >= clip.cols {
                [cols / 2.0, rows * fraction]
            } else {
                [cols * fraction, rows / 2.0]
            };
            let pos = screen(&harness, point);
            let pixel = image
                .get_pixel((pos.x * scale) as u32, (pos.y * scale) as u32)
                .0;
            let expected = clip.grey_at(point[0] as usize, point[1] as usize);
            assert!(
                pixel[0].abs_diff(expected) <= 10,
                "{} at {point:?}: drew {pixel:?}, wrote {expected}",
                clip.name
            );
        }
    }
}

/// Shows the next clip of the library (the first on the first call) and
/// returns which of `clips` it is; `seen` keeps the names shown so far.
fn next_clip<'a>(harness: &mut H, clips: &'a [Hostile], seen: &mut Vec<String>) -> &'a Hostile {
    if !seen.is_empty() {
        key(harness, Key::ArrowDown);
    }
    wait_until(harness, "the next clip", |h| {
        app(h).clip_ready() && !seen.contains(&clip_name(h))
    });
    let name = clip_name(harness);
    seen.push(name.clone());
    clips.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn an_uncaptured_gpu_error_becomes_a_notice_and_the_app_goes_on() {
    let dirs = dirs();
    let root = hostile_project(
        &dirs,
        &[Hostile {
            name: "small",
            cols: 64,
            rows: 48,
            ..TALL
        }],
    );
    let (mut harness, render_state) =
        rendering_harness_and_device(options(&dirs, Some(&root), Some("Ana")));
    wait_until(&mut harness, "the clip", |h| app(h).clip_ready());
    let limit = render_state.device.limits().max_texture_dimension_2d;
    // A texture the device refuses, outside any error scope: wgpu's default would panic.
    let _refused = render_state
        .device
        .create_texture(&eframe::wgpu::TextureDescriptor {
            label: Some("too wide on purpose"),
            size: eframe::wgpu::Extent3d {
                width: limit + 1,
                height: 1,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: eframe::wgpu::TextureDimension::D2,
            format: eframe::wgpu::TextureFormat::Rgba8Unorm,
            usage: eframe::wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
    wait_until(&mut harness, "the notice", |h| !gpu_errors(h).is_empty());
    assert_eq!(gpu_errors(&harness).len(), 1, "{:?}", gpu_errors(&harness));
    harness.render().expect("wgpu still renders the window");
    assert_answers(&mut harness, 3);
}

#[test]
fn absurd_regions_and_frame_times_neither_hang_nor_panic_and_the_panel_says_why() {
    let dirs = dirs();
    let small = |name, frame_time, region| Hostile {
        name,
        cols: 64,
        rows: 48,
        frames: 6,
        frame_time: Some(frame_time),
        region: Some(region),
    };
    let clips = [
        small("inverted_region", "1e-300", ((0, 40, 63, 5), 0.03)),
        small("absurd_delta", "1e22", ((0, 0, 63, 47), 1e10)),
        small("tiny_delta", "1e-4", ((0, 0, 63, 47), 1e-12)),
    ];
    let root = hostile_project(&dirs, &clips);
    let mut harness = harness(options(&dirs, Some(&root), Some("Ana")));
    let mut seen = Vec::new();
    for _ in 0..clips.len() {
        let clip = next_clip(&mut harness, &clips, &mut seen);
        // Played at the default 30 fps: 7 or 8 frames per UI step of 1/4 s.
        let shown = play(&mut harness, 24);
        assert!(shown.len() >= 3, "{}: played {shown:?}", clip.name);
        assert_answers(&mut harness, u32::from(clip.frames));
        let frame_time = clip.frame_time.unwrap();
        assert!(
            harness
                .query_all_by_label_contains(frame_time)
                .next()
                .is_some(),
            "{}: the clip panel names the frame time it ignores",
            clip.name
        );
    }
    // The reader's warnings about a header are listed in the clip panel.
    let warning = "Physical Delta Y of 1e10 cm per pixel is implausible and was ignored";
    let session = harness.state_mut().as_mut().unwrap().session_mut().unwrap();
    let info = session.clip.as_mut().unwrap().info.as_mut().unwrap();
    info.warnings.push(warning.to_string());
    harness.step();
    assert!(
        harness
            .query_by_label(&format!("Warning: {warning}"))
            .is_some()
    );
}
