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

/// `US1_UNCR.dcm` (640×480 RGB) with `elements` put in, written to `dir/name`.
fn with_elements(
    dir: &Path,
    name: &str,
    elements: Vec<dicom_core::DataElement<dicom_object::InMemDicomObject>>,
) -> std::path::PathBuf {
    let mut object = dicom_object::open_file(dicom_dir().join("US1_UNCR.dcm")).unwrap();
    for element in elements {
        object.put(element);
    }
    let path = dir.join(name);
    object.write_to_file(&path).unwrap();
    path
}

fn ds(
    tag: dicom_core::Tag,
    value: &str,
) -> dicom_core::DataElement<dicom_object::InMemDicomObject> {
    dicom_core::DataElement::new(
        tag,
        dicom_core::VR::DS,
        dicom_core::PrimitiveValue::from(value),
    )
}

fn regions(
    items: &[(u32, u32, u32, u32, f64)],
) -> dicom_core::DataElement<dicom_object::InMemDicomObject> {
    let items = items
        .iter()
        .map(|&(x0, y0, x1, y1, delta_cm)| {
            crate::common::calibrated_region((x0, y0, x1, y1), delta_cm)
        })
        .collect::<Vec<_>>();
    dicom_core::DataElement::new(
        dicom_dictionary_std::tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
        dicom_core::VR::SQ,
        dicom_core::value::DataSetSequence::from(items),
    )
}

#[test]
fn implausible_header_values_are_dropped_with_a_warning() {
    use dicom_dictionary_std::tags;
    let dir = tempfile::tempdir().unwrap();
    let warned = |info: &echolabel::dicom::ClipInfo, words: &[&str]| {
        info.warnings
            .iter()
            .any(|w| words.iter().all(|word| w.contains(word)))
    };

    let path = with_elements(dir.path(), "tiny.dcm", vec![ds(tags::FRAME_TIME, "1e-300")]);
    let info = open(&path).unwrap().info().clone();
    assert_eq!(info.frame_time_ms, None);
    assert_eq!(info.fps(), None);
    assert!(
        warned(&info, &["Frame Time (0018,1063)", "1e-300"]),
        "{:?}",
        info.warnings
    );

    // A huge Frame Time is ignored; the Cine Rate behind it is used.
    let path = with_elements(
        dir.path(),
        "huge.dcm",
        vec![ds(tags::FRAME_TIME, "1e22"), ds(tags::CINE_RATE, "25")],
    );
    let info = open(&path).unwrap().info().clone();
    assert_eq!(info.frame_time_ms, Some(40.0));
    assert!(
        warned(&info, &["Frame Time (0018,1063)", "1e22"]),
        "{:?}",
        info.warnings
    );

    let path = with_elements(
        dir.path(),
        "heart.dcm",
        vec![ds(tags::HEART_RATE, "1000"), ds(tags::FRAME_TIME, "20")],
    );
    let info = open(&path).unwrap().info().clone();
    assert_eq!(info.heart_rate_bpm, None);
    assert_eq!(info.cycle_frames(), None);
    assert!(
        warned(&info, &["Heart Rate", "1000"]),
        "{:?}",
        info.warnings
    );

    // Region 1 reaches past the 640 columns, region 2 has a 50 cm pixel,
    // region 3 has min > max: only region 2 is kept, without calibration.
    let path = with_elements(
        dir.path(),
        "regions.dcm",
        vec![regions(&[
            (0, 0, 700, 100, 0.03),
            (10, 10, 600, 400, 50.0),
            (300, 300, 200, 400, 0.03),
        ])],
    );
    let info = open(&path).unwrap().info().clone();
    let region = info.region.as_ref().unwrap();
    assert_eq!(region.bounds, (10, 10, 600, 400));
    assert_eq!(info.mm_per_pixel(), None);
    assert!(
        warned(&info, &["region 1", "x 0–700", "640×480"]),
        "{:?}",
        info.warnings
    );
    assert!(
        warned(&info, &["region 2", "Physical Delta X", "50"]),
        "{:?}",
        info.warnings
    );
    assert!(
        warned(&info, &["region 3", "x 300–200"]),
        "{:?}",
        info.warnings
    );

    // Plausible values pass untouched and warn of nothing.
    let path = with_elements(
        dir.path(),
        "fine.dcm",
        vec![
            ds(tags::FRAME_TIME, "33.3"),
            ds(tags::HEART_RATE, "72"),
            regions(&[(0, 0, 639, 479, 0.03)]),
        ],
    );
    let info = open(&path).unwrap().info().clone();
    assert_eq!(info.frame_time_ms, Some(33.3));
    assert_eq!(info.heart_rate_bpm, Some(72.0));
    assert!((info.mm_per_pixel().unwrap().0 - 0.3).abs() < 1e-12);
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);
}

/// A native YBR_FULL_422 clip of `rows × cols` pixels, 2 frames.
fn native_ybr_422(dir: &Path, rows: u16, cols: u16) -> std::path::PathBuf {
    use crate::dicom_fuzz::{element, part10};
    let us = |v: u16| v.to_le_bytes().to_vec();
    let pixels = usize::from(rows) * usize::from(cols);
    let frame: Vec<u8> = (0..pixels.div_ceil(2))
        .flat_map(|pair| [(pair * 7) as u8, (pair * 7 + 3) as u8, 128, 128])
        .collect();
    let data_set = [
        element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.3.1\0"),
        element(0x0008, 0x0060, b"CS", b"US"),
        element(0x0028, 0x0002, b"US", &us(3)),
        element(0x0028, 0x0004, b"CS", b"YBR_FULL_422"),
        element(0x0028, 0x0008, b"IS", b"2 "),
        element(0x0028, 0x0010, b"US", &us(rows)),
        element(0x0028, 0x0011, b"US", &us(cols)),
        element(0x0028, 0x0100, b"US", &us(8)),
        element(0x0028, 0x0101, b"US", &us(8)),
        element(0x0028, 0x0102, b"US", &us(7)),
        element(0x0028, 0x0103, b"US", &us(0)),
        element(0x7FE0, 0x0010, b"OB", &[frame.clone(), frame].concat()),
    ]
    .concat();
    let path = dir.join(format!("ybr422_{rows}x{cols}.dcm"));
    std::fs::write(&path, part10("1.2.840.10008.1.2.1", &data_set)).unwrap();
    path
}

#[test]
fn native_ybr_422_with_an_odd_pixel_count_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    // 3 × 5 = 15 pixels: the last one has no Cb Cr of its own.
    let odd = native_ybr_422(dir.path(), 3, 5);
    let error = open(&odd).unwrap_err();
    assert!(matches!(error, ClipError::Unsupported { .. }), "{error:?}");
    assert!(
        error.to_string().contains("odd number of pixels"),
        "{error}"
    );
    // The same layout with an even count decodes, pair by pair.
    let even = native_ybr_422(dir.path(), 3, 4);
    let clip = open(&even).unwrap();
    let frame = clip.frame(1).unwrap();
    assert_eq!(frame.rgb.len(), 3 * 4 * 3);
    assert_eq!(&frame.rgb[..6], &[0, 0, 0, 3, 3, 3]);
}

#[test]
fn a_corrupt_compressed_clip_is_an_error_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    // RLE frames cut to a third: segment offsets point past their fragment.
    let rle = dir.path().join("rle_fragments_cut.dcm");
    let script = r#"
import sys, pydicom
from pydicom.encaps import generate_frames, encapsulate
ds = pydicom.dcmread(sys.argv[1])
frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
ds.PixelData = encapsulate([f[: len(f) // 3] for f in frames])
ds.save_as(sys.argv[2])
"#;
    let python = std::process::Command::new("python3")
        .args([
            "-c",
            script,
            dicom_dir()
                .join("OBXXXX1A_rle_2frame.dcm")
                .to_str()
                .unwrap(),
            rle.to_str().unwrap(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let odd = native_ybr_422(dir.path(), 5, 3);
    for path in [rle.clone(), odd] {
        let home = tempfile::tempdir().unwrap();
        let out = home.path().join("frames");
        let run = crate::dicom_fuzz::echolabel_measured(
            &[
                "frames",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            home.path(),
        );
        let stderr = String::from_utf8_lossy(&run.output.stderr);
        assert_eq!(run.output.status.code(), Some(1), "{stderr}");
        for marker in [
            "panicked at",
            "stack backtrace",
            "RUST_BACKTRACE",
            "internal error",
        ] {
            assert!(!stderr.contains(marker), "{}: {stderr}", path.display());
        }
        assert!(stderr.contains(&*path.to_string_lossy()), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        if path == rle {
            // The RLE codec panics on these fragments: the panic was contained,
            // its details logged in the data folder.
            let log = std::fs::read_to_string(home.path().join("data/panic.log")).unwrap();
            assert!(log.contains("contained and reported as an error"), "{log}");
            assert!(log.contains("rle_lossless.rs"), "{log}");
        }
    }
}
