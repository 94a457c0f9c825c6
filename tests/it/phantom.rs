//! Synthetic echo phantoms: valid DICOM, exact ground truth, deterministic.

use std::path::Path;

use echolabel::dicom::{Clip, PatientSalt};
use echolabel::phantom::GroundTruthFile;

use crate::common::echolabel;

fn write_phantoms(out: &Path, clips: u32, seed: u64) {
    let output = echolabel(&[
        "phantom",
        "--out",
        out.to_str().unwrap(),
        "--clips",
        &clips.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn phantom_dataset_layout_and_ground_truth() {
    let out = tempfile::tempdir().unwrap();
    write_phantoms(out.path(), 3, 42);
    for index in 0..3 {
        let name = format!("phantom_{index:04}");
        let clip = Clip::open(
            &out.path().join(format!("{name}.dcm")),
            &PatientSalt::random(),
        )
        .unwrap();
        let info = clip.info();
        let truth: GroundTruthFile = serde_json::from_str(
            &std::fs::read_to_string(out.path().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(truth.frames, info.frames);
        assert_eq!(info.modality.as_deref(), Some("US"));
        assert!(info.fps().unwrap() > 20.0 && info.fps().unwrap() < 55.0);
        assert!(info.mm_per_pixel().is_some());
        assert!(info.patient.identifiers_present);
        let masks: Vec<_> = (0..info.frames)
            .map(|f| {
                image::open(out.path().join(format!("{name}_gt/frame_{f:04}.png")))
                    .unwrap()
                    .to_luma8()
            })
            .collect();
        assert_eq!(
            std::fs::read_dir(out.path().join(format!("{name}_gt")))
                .unwrap()
                .count(),
            info.frames as usize
        );
        let lv_area = |f: u32| masks[f as usize].pixels().filter(|p| p[0] == 1).count();
        for mask in &masks {
            assert!(mask.pixels().all(|p| p[0] <= 3));
            for class in 1..=3 {
                assert!(
                    mask.pixels().any(|p| p[0] == class),
                    "class {class} present"
                );
            }
        }
        assert!(lv_area(truth.ed_frame) > lv_area(truth.es_frame) * 11 / 10);
        assert!(truth.ed_frames.contains(&truth.ed_frame));
        // The image is darker in the LV cavity (blood) than in the myocardium.
        let frame = clip.frame(truth.ed_frame).unwrap().gray();
        let mask = &masks[truth.ed_frame as usize];
        let mean_of = |class: u8| {
            let values: Vec<f64> = mask
                .pixels()
                .zip(&frame)
                .filter(|(m, _)| m[0] == class)
                .map(|(_, v)| f64::from(*v))
                .collect();
            values.iter().sum::<f64>() / values.len() as f64
        };
        assert!(
            mean_of(2) > mean_of(1) + 40.0,
            "myocardium {} vs blood {}",
            mean_of(2),
            mean_of(1)
        );
    }
}

#[test]
fn phantoms_are_deterministic_for_a_seed_and_vary_between_clips() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_phantoms(a.path(), 2, 7);
    write_phantoms(b.path(), 2, 7);
    for file in [
        "phantom_0000.dcm",
        "phantom_0001.json",
        "phantom_0001_gt/frame_0003.png",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(file)).unwrap(),
            std::fs::read(b.path().join(file)).unwrap(),
            "{file}"
        );
    }
    let truth = |i: u32| -> GroundTruthFile {
        serde_json::from_str(
            &std::fs::read_to_string(a.path().join(format!("phantom_{i:04}.json"))).unwrap(),
        )
        .unwrap()
    };
    let (p0, p1) = (truth(0).parameters, truth(1).parameters);
    assert_ne!(p0.lv_length, p1.lv_length);
    assert_ne!(p0.frame_time_ms, p1.frame_time_ms);
    assert_ne!(p0.myocardium_echo, p1.myocardium_echo);
}

/// pydicom, an independent reader, opens the phantom and sees the same pixels.
#[test]
fn phantom_dicom_reads_back_in_pydicom() {
    let out = tempfile::tempdir().unwrap();
    write_phantoms(out.path(), 1, 5);
    let dcm = out.path().join("phantom_0000.dcm");
    let frames_dir = out.path().join("frames");
    let output = echolabel(&[
        "frames",
        dcm.to_str().unwrap(),
        "--out",
        frames_dir.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let script = r#"
import sys, pydicom, numpy as np, zlib
ds = pydicom.dcmread(sys.argv[1])
a = ds.pixel_array
assert ds.SOPClassUID == '1.2.840.10008.5.1.4.1.1.3.1', ds.SOPClassUID
assert ds.Modality == 'US'
print(int(ds.NumberOfFrames), ds.Rows, ds.Columns, float(ds.FrameTime), int(a[3].astype(np.int64).sum()))
"#;
    let python = std::process::Command::new("python3")
        .args(["-c", script, dcm.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "pydicom could not read the phantom (install it with `pip install pydicom numpy`): {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let answer = String::from_utf8_lossy(&python.stdout);
    let fields: Vec<&str> = answer.split_whitespace().collect();
    let clip = Clip::open(&dcm, &PatientSalt::random()).unwrap();
    assert_eq!(fields[0].parse::<u32>().unwrap(), clip.info().frames);
    assert_eq!(fields[1], "256");
    assert!((fields[3].parse::<f64>().unwrap() - clip.info().frame_time_ms.unwrap()).abs() < 0.01);
    let ours: u64 = image::open(frames_dir.join("frame_0003.png"))
        .unwrap()
        .to_luma8()
        .pixels()
        .map(|p| u64::from(p[0]))
        .sum();
    assert_eq!(fields[4].parse::<u64>().unwrap(), ours);
}
