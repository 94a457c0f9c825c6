//! The real DICOM files in `../shared/data/dicom` against the reference decoded
//! independently with pydicom (`manifest.json`).

use echolabel::dicom::{Clip, PatientSalt};
use serde_json::Value;

use crate::common::dicom_dir;

fn manifest() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(dicom_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn mean(values: &[u8]) -> f64 {
    values.iter().map(|v| f64::from(*v)).sum::<f64>() / values.len() as f64
}

#[test]
fn every_shared_file_matches_the_reference() {
    let manifest = manifest();
    assert!(manifest.len() >= 10);
    for (name, reference) in &manifest {
        let clip = Clip::open(&dicom_dir().join(name), &PatientSalt::random())
            .unwrap_or_else(|e| panic!("{e}"));
        let info = clip.info();
        let int = |key: &str| reference[key].as_u64().unwrap() as u32;
        assert_eq!(info.frames, int("frames"), "{name} frames");
        assert_eq!(info.rows, int("rows"), "{name} rows");
        assert_eq!(info.cols, int("cols"), "{name} cols");
        assert_eq!(
            info.photometric,
            reference["photometric"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            info.transfer_syntax_uid,
            reference["transfer_syntax"].as_str().unwrap(),
            "{name}"
        );
        // A region is kept only when it lies inside the image; one dropped
        // leaves a warning naming it.
        if reference["has_ultrasound_regions"].as_bool().unwrap() {
            assert!(
                info.region.is_some()
                    || info.warnings.iter().any(|w| w.contains("Region Location")),
                "{name} regions: {:?}",
                info.warnings
            );
        } else {
            assert_eq!(info.region, None, "{name} regions");
        }
        match reference["frame_time_ms"].as_f64() {
            Some(ms) => assert!(
                (info.frame_time_ms.unwrap() - ms).abs() < 0.01,
                "{name} frame time"
            ),
            None => assert_eq!(info.frame_time_ms, None, "{name} frame time"),
        }

        let tolerance_mean = reference["tolerance_mean"].as_f64().unwrap();
        let tolerance_sample = reference["tolerance_sample"].as_f64().unwrap();
        let first = clip.frame(0).unwrap();
        let last = clip.frame(info.frames - 1).unwrap();
        assert_eq!((first.width, first.height), (info.cols, info.rows));
        for (frame, key) in [(&first, "gray_mean_first"), (&last, "gray_mean_last")] {
            let expected = reference[key].as_f64().unwrap();
            let got = mean(&frame.gray());
            assert!(
                (got - expected).abs() <= tolerance_mean,
                "{name} {key}: {got} vs {expected}"
            );
        }
        let gray = first.gray();
        for sample in reference["gray_samples_first"].as_array().unwrap() {
            let (row, col, expected) = (
                sample[0].as_u64().unwrap() as usize,
                sample[1].as_u64().unwrap() as usize,
                sample[2].as_f64().unwrap(),
            );
            let got = f64::from(gray[row * info.cols as usize + col]);
            assert!(
                (got - expected).abs() <= tolerance_sample,
                "{name} [{row},{col}]: {got} vs {expected}"
            );
        }
    }
}

#[test]
fn ultrasound_calibration_and_cine_rate() {
    let open = |name: &str| {
        Clip::open(&dicom_dir().join(name), &PatientSalt::random())
            .unwrap()
            .info()
            .clone()
    };
    let info = open("JPGLosslessP14SV1_1s_1f_8b.dcm");
    // As pydicom reads it: one 2D region in centimetres, inside 1024×768.
    let region = info.region.as_ref().unwrap();
    assert_eq!(region.bounds, (14, 38, 1010, 758));
    assert_eq!(region.spatial_format, 1);
    let (x, y) = info.mm_per_pixel().unwrap();
    assert!(
        (x - 0.25476696592378157).abs() < 1e-9 && (x - y).abs() < 1e-9,
        "{x} {y}"
    );
    // Heart Rate 0 means "not recorded": dropped without a warning.
    assert_eq!(info.heart_rate_bpm, None);
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);

    // Max X1 = 800 on an 800-column image: the width written where the last
    // index is meant, clamped to it.
    let info = open("OBXXXX1A.dcm");
    assert_eq!(info.region.as_ref().unwrap().bounds, (120, 60, 799, 518));
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);

    let info = open("examples_ybr_color.dcm");
    assert!((info.fps().unwrap() - 30.0).abs() < 0.01);
    assert_eq!(info.modality.as_deref(), Some("US"));
    // This file was resized after its region was recorded (x 84–595 on 320
    // columns): the region, and the calibration with it, are dropped.
    assert_eq!(info.region, None);
    assert_eq!(info.mm_per_pixel(), None);
    assert_eq!(info.warnings.len(), 1, "{:?}", info.warnings);
    assert!(
        info.warnings[0].contains("x 84–595, y 31–414") && info.warnings[0].contains("320×240"),
        "{}",
        info.warnings[0]
    );
}

#[test]
fn every_frame_of_a_compressed_cine_decodes() {
    let clip = Clip::open(
        &dicom_dir().join("examples_ybr_color.dcm"),
        &PatientSalt::random(),
    )
    .unwrap();
    let frames: Vec<_> = (0..clip.frame_count())
        .map(|i| clip.frame(i).unwrap())
        .collect();
    assert_eq!(frames.len(), 30);
    // A cine moves: consecutive frames differ.
    assert_ne!(frames[0].rgb, frames[15].rgb);
}

#[test]
fn same_image_in_different_syntaxes_decodes_alike() {
    let open = |name: &str| {
        Clip::open(&dicom_dir().join(name), &PatientSalt::random())
            .unwrap()
            .frame(0)
            .unwrap()
    };
    // Uncompressed RGB vs JPEG 2000 (YBR_RCT), both lossless.
    assert_eq!(open("US1_UNCR.dcm").rgb, open("US1_J2KR.dcm").rgb);
    // Palette colour, native vs RLE.
    assert_eq!(
        open("OBXXXX1A.dcm").rgb,
        open("OBXXXX1A_rle_2frame.dcm").rgb
    );
}

#[test]
fn patient_identifiers_are_hashed_not_kept() {
    let salt = PatientSalt::random();
    let clip = Clip::open(&dicom_dir().join("examples_ybr_color.dcm"), &salt).unwrap();
    let patient = &clip.info().patient;
    if patient.identifiers_present {
        let hash = patient.hash.as_ref().unwrap();
        assert_eq!(hash.len(), 64);
    }
    let serialized = serde_json::to_string(clip.info()).unwrap();
    assert!(!serialized.to_lowercase().contains("patient_name"));
    // The same file with the same salt hashes the same way.
    let again = Clip::open(&dicom_dir().join("examples_ybr_color.dcm"), &salt).unwrap();
    assert_eq!(&again.info().patient, patient);
}
