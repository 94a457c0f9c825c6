//! Bad input: every broken file gives a typed error naming the file, never a
//! panic or a huge allocation, and a scan carries on past it.

use std::path::Path;

use echolabel::dicom::{Clip, ClipError, PatientSalt, scan};

use crate::common::dicom_dir;

fn open(path: &Path) -> Result<Clip, ClipError> {
    Clip::open(path, &PatientSalt::random())
}

#[test]
fn each_bad_file_has_its_own_error() {
    let bad = dicom_dir().join("bad");
    type Expectation = fn(&ClipError) -> bool;
    let cases: [(&str, Expectation); 5] = [
        ("empty.dcm", |e| matches!(e, ClipError::Empty { .. })),
        ("not_dicom.dcm", |e| matches!(e, ClipError::NotDicom { .. })),
        ("no_pixel_data.dcm", |e| {
            matches!(e, ClipError::NoPixelData { .. })
        }),
        ("truncated_pixel_data.dcm", |e| {
            matches!(e, ClipError::Truncated { .. })
        }),
        ("absurd_dimensions.dcm", |e| {
            matches!(e, ClipError::TooLarge { .. })
        }),
    ];
    for (name, expected) in cases {
        let path = bad.join(name);
        let error = open(&path).expect_err(name);
        assert!(expected(&error), "{name}: unexpected {error:?}");
        assert_eq!(error.path(), path);
        assert!(
            error.to_string().contains(name),
            "message names the file: {error}"
        );
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let error = open(Path::new("/nonexistent/clip.dcm")).unwrap_err();
    assert!(matches!(error, ClipError::Io { .. }), "{error:?}");
}

#[test]
fn a_folder_scan_reports_bad_files_and_reads_the_rest() {
    let entries = scan(&dicom_dir(), &PatientSalt::random());
    let good = entries.iter().filter(|e| e.result.is_ok()).count();
    let bad: Vec<_> = entries.iter().filter(|e| e.result.is_err()).collect();
    assert_eq!(good, 10);
    assert_eq!(bad.len(), 5);
    assert!(
        bad.iter()
            .all(|e| e.path.starts_with(dicom_dir().join("bad")))
    );
    // README.md and manifest.json are not DICOM candidates.
    assert!(entries.iter().all(|e| e.path.extension().unwrap() == "dcm"));
}

#[test]
fn zero_frames_and_frame_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read(dicom_dir().join("US1_UNCR.dcm")).unwrap();
    // Rewrite the file with Number of Frames = 0 through dicom-object.
    let mut object = dicom_object::open_file(dicom_dir().join("US1_UNCR.dcm")).unwrap();
    object.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::NUMBER_OF_FRAMES,
        dicom_core::VR::IS,
        dicom_core::PrimitiveValue::from("0"),
    ));
    let zero = dir.path().join("zero_frames.dcm");
    object.write_to_file(&zero).unwrap();
    assert!(matches!(
        open(&zero).unwrap_err(),
        ClipError::ZeroFrames { .. }
    ));

    let good = dir.path().join("good.dcm");
    std::fs::write(&good, &source).unwrap();
    let clip = open(&good).unwrap();
    assert!(matches!(
        clip.frame(1).unwrap_err(),
        ClipError::FrameOutOfRange {
            frame: 1,
            frames: 1,
            ..
        }
    ));
}

#[test]
fn undecodable_transfer_syntax_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut object = dicom_object::open_file(dicom_dir().join("US1_UNCR.dcm")).unwrap();
    // MPEG-4 video: a syntax this build cannot decode.
    object.meta_mut().transfer_syntax = "1.2.840.10008.1.2.4.102\0".to_string();
    let path = dir.path().join("video.dcm");
    object.write_to_file(&path).unwrap();
    let error = open(&path).unwrap_err();
    assert!(
        matches!(error, ClipError::UnsupportedTransferSyntax { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("video.dcm"));
}

#[test]
fn truncating_real_files_anywhere_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "examples_ybr_color.dcm",
        "OBXXXX1A_rle_2frame.dcm",
        "US1_J2KR.dcm",
        "emri_small.dcm",
    ] {
        let bytes = std::fs::read(dicom_dir().join(name)).unwrap();
        for fraction in [0.01, 0.1, 0.3, 0.5, 0.9, 0.999] {
            let cut = ((bytes.len() as f64) * fraction) as usize;
            let path = dir.path().join(format!("cut_{cut}_{name}"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            // Either a clean error, or a clip whose every frame decodes or errors cleanly.
            if let Ok(clip) = open(&path) {
                for i in 0..clip.frame_count() {
                    let _ = clip.frame(i);
                }
            }
        }
    }
}
