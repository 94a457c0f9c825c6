//! `echolabel agreement` on a project where two annotators drew the same
//! structure as circles of known offset.

use std::sync::atomic::AtomicBool;

use echolabel::geometry::Point;
use echolabel::store::{
    AnnotationStatus, ContourKey, Geometry, ImportOptions, Project, Role, import_folder,
};

use crate::common::{echolabel, stdout};

fn circle(cx: f32, cy: f32, r: f32) -> Vec<Point> {
    (0..360)
        .map(|k| {
            let t = k as f32 / 360.0 * std::f32::consts::TAU;
            [cx + r * t.cos(), cy + r * t.sin()]
        })
        .collect()
}

#[test]
fn agreement_of_two_offset_circles_is_the_geometry_of_circles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phantoms");
    echolabel::phantom::write_dataset(&data, 1, 5, |_, _| {}).unwrap();
    let root = dir.path().join("project");
    let mut project = Project::open_or_create(&root).unwrap();
    let by = crate::common::admin(&mut project);
    import_folder(
        &mut project,
        by,
        &data,
        "c",
        &ImportOptions::default(),
        |_, _, _| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let clip = project.clips(None).unwrap().remove(0);
    let (mm, _) = clip.mm_per_pixel.expect("phantoms are calibrated");
    let (r, d) = (50.0f32, 6.0f32);
    for (name, dx) in [("Ana", 0.0), ("Ben", d)] {
        let author = project
            .upsert_annotator(by, name, Role::Annotator, &[])
            .unwrap();
        project
            .save_contours(
                &[(
                    ContourKey {
                        clip_id: clip.id,
                        frame: 3,
                        target: "LV endocardium".into(),
                        author_id: author,
                    },
                    Geometry {
                        contour: circle(120.0 + dx, 120.0, r),
                        ..Geometry::default()
                    },
                )],
                None,
                AnnotationStatus::Submitted,
            )
            .unwrap();
    }
    drop(project);
    let output = echolabel(&["agreement", "--project", root.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let pair = report["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["annotator_a"] == "Ana" && p["annotator_b"] == "Ben")
        .unwrap();
    let (r, d) = (f64::from(r), f64::from(d));
    let lens = 2.0 * r * r * (d / (2.0 * r)).acos() - d / 2.0 * (4.0 * r * r - d * d).sqrt();
    let dice = lens / (std::f64::consts::PI * r * r);
    assert!(
        (pair["dice"].as_f64().unwrap() - dice).abs() < 0.01,
        "{pair}"
    );
    assert!(
        (pair["hausdorff_mm"].as_f64().unwrap() - d * mm).abs() < 0.05 * d * mm,
        "{pair}"
    );
    assert_eq!(pair["frame"], 3);
    let annotators = report["annotators"].as_array().unwrap();
    assert_eq!(annotators.len(), 2);
    for row in annotators {
        assert!(
            row["mean_dice_vs_consensus"].as_f64().unwrap() > 0.9,
            "{row}"
        );
    }
    let table = echolabel(&["agreement", "--project", root.to_str().unwrap()]);
    assert!(
        stdout(&table).contains("Dice vs STAPLE"),
        "{}",
        stdout(&table)
    );
}

/// Raters of a known shape with different error patterns; SimpleITK's
/// STAPLE (run by python on the same masks) and ours agree within 1% Dice.
#[test]
fn staple_matches_simpleitk_on_the_same_masks() {
    use echolabel::geometry::{Mask, fill};
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (160usize, 120usize);
    let outlines: Vec<Vec<Point>> = vec![
        circle(80.0, 60.0, 40.0),
        circle(84.0, 60.0, 36.0),
        circle(78.0, 63.0, 44.0),
        vec![[45.0, 25.0], [118.0, 30.0], [112.0, 98.0], [40.0, 92.0]],
        circle(80.0, 58.0, 30.0),
    ];
    let masks: Vec<Mask> = outlines.iter().map(|o| fill(o, w, h)).collect();
    let mut paths = Vec::new();
    for (i, mask) in masks.iter().enumerate() {
        let pixels: Vec<u8> = mask.pixels().iter().map(|&on| u8::from(on)).collect();
        let path = dir.path().join(format!("rater{i}.png"));
        image::GrayImage::from_raw(w as u32, h as u32, pixels)
            .unwrap()
            .save(&path)
            .unwrap();
        paths.push(path);
    }
    let out = dir.path().join("sitk.png");
    let script = r#"
import sys
import SimpleITK as sitk
images = [sitk.ReadImage(p, sitk.sitkUInt8) for p in sys.argv[2:]]
probability = sitk.STAPLE(images, 1.0)
sitk.WriteImage(sitk.Cast(probability >= 0.5, sitk.sitkUInt8), sys.argv[1])
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .args(&paths)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs = image::open(&out).unwrap().into_luma8();
    let theirs = Mask::from_labels(theirs.as_raw(), w, h, 1);
    let refs: Vec<&Mask> = masks.iter().collect();
    let ours = echolabel::consensus::staple(&refs).unwrap();
    let dice = ours.consensus.dice(&theirs);
    assert!(
        dice > 0.99,
        "Dice {dice} between our STAPLE and SimpleITK's"
    );
}
