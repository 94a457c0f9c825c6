//! The command line, run as a user would.

use crate::common::{dicom_dir, echolabel, stdout};

#[test]
fn info_lists_every_file_and_reports_bad_ones() {
    let dir = dicom_dir();
    let output = echolabel(&["info", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    for (name, frames, size) in [
        ("examples_ybr_color.dcm", "30", "240×320"),
        ("emri_small.dcm", "10", "64×64"),
        ("OBXXXX1A_rle_2frame.dcm", "2", "600×800"),
        ("JPGLosslessP14SV1_1s_1f_8b.dcm", "1", "768×1024"),
    ] {
        let row = table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{table}"));
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(columns[1], frames, "{row}");
        assert_eq!(columns[2], size, "{row}");
    }
    for bad in [
        "empty.dcm",
        "not_dicom.dcm",
        "no_pixel_data.dcm",
        "truncated_pixel_data.dcm",
        "absurd_dimensions.dcm",
    ] {
        let row = table.lines().find(|l| l.contains(bad)).unwrap();
        assert!(row.contains("ERROR"), "{row}");
    }
    assert!(table.contains("the file is empty"));
    assert!(table.contains("truncated"));
}

#[test]
fn info_json_has_one_object_per_file() {
    let output = echolabel(&["info", "--json", dicom_dir().to_str().unwrap()]);
    assert!(output.status.success());
    let records: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 15);
    let ybr = records
        .iter()
        .find(|r| {
            r["path"]
                .as_str()
                .unwrap()
                .ends_with("examples_ybr_color.dcm")
        })
        .unwrap();
    assert_eq!(ybr["frames"], 30);
    assert_eq!(ybr["rows"], 240);
    assert_eq!(ybr["cols"], 320);
    assert!((ybr["fps"].as_f64().unwrap() - 30.0).abs() < 0.01);
    // Its regions were recorded before the file was resized: they reach past
    // its 320 columns, so its calibration is dropped with a warning.
    assert!(ybr["mm_per_pixel"].is_null());
    assert!(
        ybr["warnings"][0]
            .as_str()
            .unwrap()
            .contains("Region Location")
    );
    assert_eq!(ybr["photometric"], "YBR_FULL_422");
    assert_eq!(ybr["transfer_syntax"], "1.2.840.10008.1.2.4.50");
    assert!(ybr["error"].is_null());
    let empty = records
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("empty.dcm"))
        .unwrap();
    assert!(empty["error"].as_str().unwrap().contains("empty"));
    assert!(empty["frames"].is_null());
}

#[test]
fn info_fails_only_when_nothing_is_readable() {
    let output = echolabel(&["info", dicom_dir().join("bad").to_str().unwrap()]);
    assert!(!output.status.success());
    let output = echolabel(&["info", "/nonexistent/folder"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/folder"));
}

#[test]
fn frames_writes_every_displayed_frame() {
    let out = tempfile::tempdir().unwrap();
    let clip = dicom_dir().join("examples_ybr_color.dcm");
    let output = echolabel(&[
        "frames",
        clip.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 30);
    assert_eq!(names[0], "frame_0000.png");
    assert_eq!(names[29], "frame_0029.png");
    let png = image::open(out.path().join("frame_0000.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(png.dimensions(), (320, 240));

    // Palette colour comes out as RGB with the palette applied.
    let palette_out = tempfile::tempdir().unwrap();
    let clip = dicom_dir().join("examples_palette.dcm");
    let output = echolabel(&[
        "frames",
        clip.to_str().unwrap(),
        "--out",
        palette_out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let png = image::open(palette_out.path().join("frame_0000.png"))
        .unwrap()
        .to_rgb8();
    assert!(
        png.pixels().any(|p| p[0] != p[1] || p[1] != p[2]),
        "palette colours are not gray"
    );
}

#[test]
fn frames_of_a_bad_file_fails_with_its_name() {
    let out = tempfile::tempdir().unwrap();
    let bad = dicom_dir().join("bad/not_dicom.dcm");
    let output = echolabel(&[
        "frames",
        bad.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not_dicom.dcm"));
}

#[test]
fn bench_decode_prints_throughput() {
    let clip = dicom_dir().join("examples_ybr_color.dcm");
    let output = echolabel(&[
        "bench",
        "decode",
        clip.to_str().unwrap(),
        "--seconds",
        "0.05",
    ]);
    assert!(output.status.success());
    let row = stdout(&output)
        .lines()
        .find(|l| l.starts_with("examples_ybr_color.dcm"))
        .map(String::from)
        .unwrap();
    let frames_per_second: f64 = row.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(frames_per_second > 0.0);
}

/// A headless command on a machine without a desktop session: probing the
/// GPU must not reach for a display server, nor print libwayland's complaint
/// that there is none (Mesa's device-select Vulkan layer used to, once per
/// Vulkan instance).
#[test]
fn a_headless_command_without_a_desktop_session_stays_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let clips = dir.path().join("clips");
    echolabel::phantom::write_dataset(&clips, 1, 5, |_, _| {}).unwrap();
    let out = dir.path().join("predicted");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(["predict", "--samples", "1", "--device", "auto", "--out"])
        .arg(&out)
        .arg(&clips)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("DISPLAY")
        // The binary sets it itself; the test checks that it does.
        .env_remove("NODEVICE_SELECT")
        .output()
        .expect("the echolabel binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stderr.contains("running on "),
        "the device was probed: {stderr}"
    );
    assert!(
        !stderr.contains("XDG_RUNTIME_DIR"),
        "the probe touched the display stack:\n{stderr}"
    );
    assert!(out.join("scores.csv").is_file(), "{stderr}");
}
