//! Seeded mutation fuzzing of the shared DICOM files, and hostile files built
//! byte by byte: no panic escapes `Clip`, every failure is a typed error, and
//! the CLI neither crashes, prints a backtrace, hangs nor balloons in memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use echolabel::dicom::{Clip, ClipError, PatientSalt};

use crate::common::dicom_dir;

/// Peak memory allowed to one CLI run on a hostile file.
const PEAK_RSS_LIMIT_KIB: u64 = 100 * 1024;
/// A CLI run longer than this on a small file is a hang.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// SplitMix64: a tiny deterministic generator, so a failing case can be replayed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------- byte builders

fn long_vr(vr: &[u8; 2]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"SV"
            | b"UV"
    )
}

/// One Explicit VR Little Endian element.
pub(crate) fn element(group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(group.to_le_bytes());
    out.extend(elem.to_le_bytes());
    out.extend(vr);
    if long_vr(vr) {
        out.extend([0, 0]);
        out.extend((value.len() as u32).to_le_bytes());
    } else {
        out.extend((value.len() as u16).to_le_bytes());
    }
    out.extend(value);
    out
}

/// A long-VR element header declaring `length` bytes, without the value.
pub(crate) fn declared(group: u16, elem: u16, vr: &[u8; 2], length: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(group.to_le_bytes());
    out.extend(elem.to_le_bytes());
    out.extend(vr);
    out.extend([0, 0]);
    out.extend(length.to_le_bytes());
    out
}

/// An item or delimiter header, `(FFFE,xxxx)` and its length.
fn item_header(elem: u16, length: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xFFFEu16.to_le_bytes());
    out.extend(elem.to_le_bytes());
    out.extend(length.to_le_bytes());
    out
}

fn uid(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    bytes
}

fn us(value: u16) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

/// A Part 10 file: preamble, "DICM", a file meta group and `data_set`.
pub(crate) fn part10(transfer_syntax: &str, data_set: &[u8]) -> Vec<u8> {
    let mut meta = Vec::new();
    meta.extend(element(2, 0x0001, b"OB", &[0, 1]));
    meta.extend(element(
        2,
        0x0002,
        b"UI",
        &uid("1.2.840.10008.5.1.4.1.1.3.1"),
    ));
    meta.extend(element(2, 0x0003, b"UI", &uid("1.2.826.0.1.3680043.9.7.1")));
    meta.extend(element(2, 0x0010, b"UI", &uid(transfer_syntax)));
    meta.extend(element(2, 0x0012, b"UI", &uid("1.2.826.0.1.3680043.9.7")));
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend(element(
        2,
        0x0000,
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    out.extend(meta);
    out.extend(data_set);
    out
}

/// The image attributes of a small 8-bit grayscale ultrasound frame.
pub(crate) fn image_header(rows: u16, cols: u16) -> Vec<u8> {
    [
        element(0x0008, 0x0016, b"UI", &uid("1.2.840.10008.5.1.4.1.1.3.1")),
        element(0x0008, 0x0018, b"UI", &uid("1.2.826.0.1.3680043.9.7.1")),
        element(0x0008, 0x0060, b"CS", b"US"),
        element(0x0028, 0x0002, b"US", &us(1)),
        element(0x0028, 0x0004, b"CS", b"MONOCHROME2 "),
        element(0x0028, 0x0010, b"US", &us(rows)),
        element(0x0028, 0x0011, b"US", &us(cols)),
        element(0x0028, 0x0100, b"US", &us(8)),
        element(0x0028, 0x0101, b"US", &us(8)),
        element(0x0028, 0x0102, b"US", &us(7)),
        element(0x0028, 0x0103, b"US", &us(0)),
    ]
    .concat()
}

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// Hostile files a few hundred bytes long, each declaring far more than it holds.
pub(crate) fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    let padding = vec![0u8; 300];
    let header = image_header(16, 16);
    let huge = 0xFFFF_FFF0;
    let private_huge = [
        header.clone(),
        declared(0x0009, 0x1001, b"OB", huge),
        padding.clone(),
    ]
    .concat();
    let pixel_huge = [
        header.clone(),
        declared(0x7FE0, 0x0010, b"OB", huge),
        padding.clone(),
    ]
    .concat();
    let nested_huge = [
        header.clone(),
        declared(0x0018, 0x6011, b"SQ", 0xFFFF_FFFF),
        item_header(0xE000, 0xFFFF_FFFF),
        declared(0x0018, 0x6012, b"UN", huge),
        padding.clone(),
    ]
    .concat();
    // Implicit VR: tag then a 4-byte length.
    let mut implicit = Vec::new();
    for (group, elem, value) in [
        (0x0028u16, 0x0010u16, us(16)),
        (0x0028, 0x0011, us(16)),
        (0x0028, 0x0100, us(8)),
    ] {
        implicit.extend(group.to_le_bytes());
        implicit.extend(elem.to_le_bytes());
        implicit.extend((value.len() as u32).to_le_bytes());
        implicit.extend(value);
    }
    implicit.extend(0x7FE0u16.to_le_bytes());
    implicit.extend(0x0010u16.to_le_bytes());
    implicit.extend(huge.to_le_bytes());
    implicit.extend(&padding);
    // Deflated: the huge declaration hides inside the compressed stream.
    let deflated = {
        use std::io::Write;
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&pixel_huge).unwrap();
        encoder.finish().unwrap()
    };
    // Sequences nested far deeper than any parser's stack allows.
    let deep = [
        header.clone(),
        (0..20_000)
            .flat_map(|_| {
                [
                    declared(0x0018, 0x6011, b"SQ", 0xFFFF_FFFF),
                    item_header(0xE000, 0xFFFF_FFFF),
                ]
                .concat()
            })
            .collect(),
    ]
    .concat();
    let mut meta_huge = part10(EXPLICIT_LE, &header);
    // The Transfer Syntax UID's 16-bit length, blown up.
    let at = find(&meta_huge, &[0x02, 0x00, 0x10, 0x00, b'U', b'I']).unwrap();
    meta_huge[at + 6..at + 8].copy_from_slice(&0xFFFFu16.to_le_bytes());
    vec![
        (
            "private_element_4gb.dcm",
            part10(EXPLICIT_LE, &private_huge),
        ),
        ("pixel_data_4gb.dcm", part10(EXPLICIT_LE, &pixel_huge)),
        ("nested_element_4gb.dcm", part10(EXPLICIT_LE, &nested_huge)),
        (
            "implicit_pixel_data_4gb.dcm",
            part10(IMPLICIT_LE, &implicit),
        ),
        ("deflated_pixel_data_4gb.dcm", part10(DEFLATED, &deflated)),
        ("nested_20000_deep.dcm", part10(EXPLICIT_LE, &deep)),
        ("meta_uid_64k.dcm", meta_huge),
    ]
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------- CLI under watch

/// What one CLI run did.
pub(crate) struct Measured {
    pub output: Output,
    /// Peak resident memory (VmHWM), sampled every few milliseconds.
    pub peak_rss_kib: u64,
}

/// Runs the built `echolabel` with its data folder in `home`, sampling its
/// peak resident memory from `/proc/<pid>/status` until it exits; a run past
/// [`CLI_TIMEOUT`] is killed and reported as a hang.
pub(crate) fn echolabel_measured(args: &[&str], home: &Path) -> Measured {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echolabel"))
        .args(args)
        .env("ECHOLABEL_HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the echolabel binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes)
                .map(|_| bytes)
                .unwrap_or_default()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status_file = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    let mut peak_rss_kib = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_rss_kib = peak_rss_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CLI_TIMEOUT {
            let _ = child.kill();
            panic!("echolabel {args:?} hangs (killed after {CLI_TIMEOUT:?})");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Measured {
        output: Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        },
        peak_rss_kib,
    }
}

/// Runs `info` and `frames` on `file` and checks that each ends with a normal
/// exit code, no backtrace and bounded memory.
pub(crate) fn assert_cli_survives(file: &Path) {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("frames");
    let file_arg = file.to_str().unwrap();
    for args in [
        vec!["info", file_arg],
        vec!["frames", file_arg, "--out", out.to_str().unwrap()],
    ] {
        let run = echolabel_measured(&args, home.path());
        let stderr = String::from_utf8_lossy(&run.output.stderr);
        let code = run.output.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{args:?}: exit {code:?} (a crash), stderr: {stderr}"
        );
        for marker in ["panicked at", "stack backtrace", "RUST_BACKTRACE"] {
            assert!(
                !stderr.contains(marker),
                "{args:?} printed a panic: {stderr}"
            );
        }
        assert!(
            run.peak_rss_kib > 0 && run.peak_rss_kib < PEAK_RSS_LIMIT_KIB,
            "{args:?}: peak memory {} KiB",
            run.peak_rss_kib
        );
    }
}

// ---------------------------------------------------------------- in-process checks

/// Opens `path` and decodes its first and last frame with every panic caught:
/// `Err` names a panic that escaped, or a panic in our own conversion code.
fn survives(path: &Path) -> Result<(), String> {
    let outcome = std::panic::catch_unwind(|| {
        let clip = Clip::open(path, &PatientSalt::random())?;
        let last = clip.frame_count().saturating_sub(1);
        for index in [0, last] {
            match clip.frame(index) {
                Err(ClipError::Decode { message, .. }) if message.starts_with("internal error") => {
                    return Ok(Some(message));
                }
                _ => {}
            }
        }
        Ok::<_, ClipError>(None)
    });
    match outcome {
        Err(_) => Err("a panic escaped Clip".into()),
        Ok(Ok(Some(message))) => Err(format!("our frame conversion panicked: {message}")),
        Ok(Ok(None)) => Ok(()),
        Ok(Err(error)) => {
            // A typed error that names the file.
            if error.path() == path && error.to_string().contains(&*path.to_string_lossy()) {
                Ok(())
            } else {
                Err(format!("error without the file name: {error}"))
            }
        }
    }
}

#[test]
fn hostile_declared_lengths_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in hostile_files() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let started = Instant::now();
        let error = Clip::open(&path, &PatientSalt::random()).expect_err(name);
        assert!(
            matches!(
                error,
                ClipError::Truncated { .. } | ClipError::Malformed { .. }
            ),
            "{name}: {error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{name} is slow");
    }
}

#[test]
fn the_cli_survives_hostile_files_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in hostile_files() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        assert_cli_survives(&path);
    }
}

/// A header field set to an extreme value.
fn header_mutations() -> Vec<(&'static str, DataElement<InMemDicomObject>)> {
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let text = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let region = |x0: u32, y0: u32, x1: u32, y1: u32, delta: f64| {
        DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            DataSetSequence::from(vec![crate::common::calibrated_region(
                (x0, y0, x1, y1),
                delta,
            )]),
        )
    };
    vec![
        ("rows_0", us(tags::ROWS, 0)),
        ("rows_1", us(tags::ROWS, 1)),
        ("rows_65535", us(tags::ROWS, 65_535)),
        ("cols_1", us(tags::COLUMNS, 1)),
        ("cols_65535", us(tags::COLUMNS, 65_535)),
        ("rows_16384", us(tags::ROWS, 16_384)),
        ("cols_16384", us(tags::COLUMNS, 16_384)),
        ("frames_0", text(tags::NUMBER_OF_FRAMES, VR::IS, "0")),
        ("frames_-1", text(tags::NUMBER_OF_FRAMES, VR::IS, "-1")),
        (
            "frames_huge",
            text(tags::NUMBER_OF_FRAMES, VR::IS, "2147483647"),
        ),
        (
            "frames_50000",
            text(tags::NUMBER_OF_FRAMES, VR::IS, "50000"),
        ),
        ("frames_text", text(tags::NUMBER_OF_FRAMES, VR::IS, "many")),
        ("bits_0", us(tags::BITS_ALLOCATED, 0)),
        ("bits_1", us(tags::BITS_ALLOCATED, 1)),
        ("bits_12", us(tags::BITS_ALLOCATED, 12)),
        ("bits_32", us(tags::BITS_ALLOCATED, 32)),
        ("bits_16", us(tags::BITS_ALLOCATED, 16)),
        ("bits_8", us(tags::BITS_ALLOCATED, 8)),
        ("stored_0", us(tags::BITS_STORED, 0)),
        ("stored_40", us(tags::BITS_STORED, 40)),
        ("samples_0", us(tags::SAMPLES_PER_PIXEL, 0)),
        ("samples_2", us(tags::SAMPLES_PER_PIXEL, 2)),
        ("samples_3", us(tags::SAMPLES_PER_PIXEL, 3)),
        ("samples_1", us(tags::SAMPLES_PER_PIXEL, 1)),
        ("samples_65535", us(tags::SAMPLES_PER_PIXEL, 65_535)),
        ("planar_1", us(tags::PLANAR_CONFIGURATION, 1)),
        ("signed", us(tags::PIXEL_REPRESENTATION, 1)),
        (
            "ybr422",
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "YBR_FULL_422"),
        ),
        (
            "palette",
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "PALETTE COLOR"),
        ),
        (
            "mono1",
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME1"),
        ),
        (
            "photometric_junk",
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "HSV"),
        ),
        ("frame_time_tiny", text(tags::FRAME_TIME, VR::DS, "1e-300")),
        ("frame_time_huge", text(tags::FRAME_TIME, VR::DS, "1e22")),
        ("frame_time_nan", text(tags::FRAME_TIME, VR::DS, "NaN")),
        ("frame_time_negative", text(tags::FRAME_TIME, VR::DS, "-33")),
        ("heart_rate_huge", text(tags::HEART_RATE, VR::IS, "99999")),
        ("window_width_0", text(tags::WINDOW_WIDTH, VR::DS, "0")),
        ("slope_huge", text(tags::RESCALE_SLOPE, VR::DS, "1e300")),
        ("region_outside", region(0, 0, u32::MAX, u32::MAX, 0.05)),
        ("region_inverted", region(100, 100, 10, 10, 0.05)),
        ("region_delta_huge", region(0, 0, 5, 5, 1e30)),
        ("region_delta_tiny", region(0, 0, 5, 5, 1e-300)),
    ]
}

/// Byte offsets of element headers worth blowing up, found by their tag bytes
/// (Explicit VR Little Endian): `(offset, long length field)`.
fn length_fields(bytes: &[u8]) -> Vec<(usize, bool)> {
    let tags: [[u8; 4]; 8] = [
        [0x02, 0x00, 0x00, 0x00],
        [0x02, 0x00, 0x10, 0x00],
        [0x28, 0x00, 0x10, 0x00],
        [0x28, 0x00, 0x08, 0x00],
        [0x18, 0x00, 0x11, 0x60],
        [0x28, 0x00, 0x01, 0x12],
        [0xE0, 0x7F, 0x10, 0x00],
        [0xFE, 0xFF, 0x00, 0xE0],
    ];
    tags.iter()
        .filter_map(|tag| {
            let at = find(bytes, tag)?;
            let vr = [*bytes.get(at + 4)?, *bytes.get(at + 5)?];
            let long = tag[0] == 0xFE || long_vr(&vr);
            Some((at, long))
        })
        .collect()
}

#[test]
fn mutated_shared_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dicom_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    sources.sort();
    assert!(sources.len() >= 10);
    let mut rng = SplitMix(0x5EED_0012);
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut check = |path: PathBuf| {
        cases += 1;
        if let Err(why) = survives(&path) {
            failures.push(format!("{}: {why}", path.display()));
        }
    };
    for source in &sources {
        let name = source.file_stem().unwrap().to_string_lossy().to_string();
        let original = std::fs::read(source).unwrap();
        // Header fields at extremes, written back through dicom-object.
        if let Ok(object) = dicom_object::open_file(source) {
            for (label, mutation) in header_mutations() {
                // A few per file, chosen by the generator, all over the list.
                if rng.below(4) != 0 {
                    continue;
                }
                let mut object = object.clone();
                object.put(mutation);
                let path = dir.path().join(format!("{name}_{label}.dcm"));
                if object.write_to_file(&path).is_ok() {
                    check(path);
                }
            }
        }
        // Length fields blown up.
        for (at, long) in length_fields(&original) {
            for value in [0xFFFF_FFF0u32, 0x7FFF_FFFF, 1, 0] {
                let mut bytes = original.clone();
                if long {
                    let field = if bytes[at] == 0xFE { at + 4 } else { at + 8 };
                    if field + 4 > bytes.len() {
                        continue;
                    }
                    bytes[field..field + 4].copy_from_slice(&value.to_le_bytes());
                } else {
                    bytes[at + 6..at + 8].copy_from_slice(&(value as u16).to_le_bytes());
                }
                let path = dir.path().join(format!("{name}_len_{at}_{value:x}.dcm"));
                std::fs::write(&path, &bytes).unwrap();
                check(path);
            }
        }
        // Byte flips, in the header and anywhere.
        for round in 0..6 {
            let mut bytes = original.clone();
            let span = if round % 2 == 0 {
                bytes.len().min(4096)
            } else {
                bytes.len()
            };
            for _ in 0..1 + rng.below(8) {
                let at = 132 + rng.below(span - 132);
                bytes[at] ^= 1 << rng.below(8);
            }
            let path = dir.path().join(format!("{name}_flip_{round}.dcm"));
            std::fs::write(&path, &bytes).unwrap();
            check(path);
        }
        // Truncations.
        for round in 0..4 {
            let cut = 132 + rng.below(original.len() - 132);
            let path = dir.path().join(format!("{name}_cut_{round}_{cut}.dcm"));
            std::fs::write(&path, &original[..cut]).unwrap();
            check(path);
        }
    }
    assert!(cases >= 200, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_cli_survives_the_worst_mutations() {
    let dir = tempfile::tempdir().unwrap();
    let mut worst = Vec::new();
    // Compressed frames declared huge, and pixel data declared beyond the file.
    for (name, mutation) in [
        ("US1_J2KR.dcm", "size"),
        ("OBXXXX1A_rle_2frame.dcm", "size"),
        ("US1_UNCR.dcm", "length"),
        ("examples_ybr_color.dcm", "length"),
    ] {
        let source = dicom_dir().join(name);
        let path = dir.path().join(format!("{mutation}_{name}"));
        if mutation == "size" {
            let mut object = dicom_object::open_file(&source).unwrap();
            for tag in [tags::ROWS, tags::COLUMNS] {
                object.put(DataElement::new(
                    tag,
                    VR::US,
                    PrimitiveValue::from(16_384u16),
                ));
            }
            object.write_to_file(&path).unwrap();
        } else {
            let mut bytes = std::fs::read(&source).unwrap();
            let at = find(&bytes, &[0xE0, 0x7F, 0x10, 0x00]).unwrap();
            bytes[at + 8..at + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
            std::fs::write(&path, &bytes).unwrap();
        }
        worst.push(path);
    }
    for path in worst {
        assert_cli_survives(&path);
    }
}
