//! Reads a DICOM Segmentation back into per-frame structure masks: which
//! clip it is drawn on (the Source Image of its frames), which source frame
//! each of its frames covers, and which structure each segment is (one of
//! the editor's by label or Segmented Property Type code, else its label).
//! BINARY and FRACTIONAL segmentations in a native transfer syntax are read.
//!
//! The file's structure is checked as a clip's is before the parser runs
//! ([`crate::dicom::check_structure`]), the header against itself and then
//! against the clip it names (size, frame count, frame numbers), and only
//! then is the pixel data unpacked.

use std::collections::BTreeMap;
use std::path::Path;

use dicom_dictionary_std::{tags, uids};
use dicom_object::{InMemDicomObject, OpenFileOptions, Tag};

use super::LabelImportError;
use crate::dicom::{header_integer, header_text as text};
use crate::export::structure_of_code;
use crate::geometry::Mask;
use crate::model::config::CAMUS_CLASSES;

/// The most mask pixels one SEG may hold (2³⁰: 1 GiB once unpacked).
const MAX_PIXELS: u64 = 1 << 30;

/// The clip a segmentation names, as the caller finds it in the project.
pub struct SourceSize {
    pub rows: u32,
    pub cols: u32,
    pub frames: u32,
}

/// A segmentation read back.
#[derive(Debug)]
pub struct ReadSegmentation {
    /// By 0-based source frame: each structure's mask.
    pub frames: BTreeMap<u32, Vec<(String, Mask)>>,
    /// Segments whose frames were left out, and why.
    pub notes: Vec<String>,
}

fn bad(path: &Path, message: impl Into<String>) -> LabelImportError {
    LabelImportError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A non-negative integer element (Rows, Segment Number…).
fn number(object: &InMemDicomObject, tag: Tag) -> Option<u64> {
    header_integer(object, tag).and_then(|v| u64::try_from(v).ok())
}

fn first_item(object: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    object.element_opt(tag).ok()??.items()?.first()
}

/// The structure a segment stands for: an editor structure its label names
/// (also as `LV endocardium (EchoLabel v3)`), else the one its code names,
/// else its label as it is.
fn structure_of(item: &InMemDicomObject) -> Option<String> {
    let label = text(item, tags::SEGMENT_LABEL).unwrap_or_default();
    let lower = label.to_lowercase();
    let by_label = CAMUS_CLASSES[1..].iter().find(|structure| {
        let structure = structure.to_lowercase();
        lower == structure || lower.starts_with(&format!("{structure} ("))
    });
    let by_code = first_item(item, tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE)
        .and_then(|code| text(code, tags::CODE_VALUE))
        .and_then(|value| structure_of_code(&value));
    let own = label
        .split_once(" (")
        .map_or(label.as_str(), |(name, _)| name)
        .trim();
    by_label
        .copied()
        .or(by_code)
        .map(str::to_string)
        .or_else(|| (!own.is_empty()).then(|| own.to_string()))
}

/// One frame of the segmentation, as its functional groups say.
struct FrameRef {
    segment: u64,
    /// 1-based, as written; `None` when the frame gives no number.
    source_frame: Option<u32>,
}

/// Reads the SEG at `path`; `clip` answers the size of the clip with the SOP
/// Instance UID its frames name (or why there is none).
pub fn read(
    path: &Path,
    clip: impl FnOnce(&str) -> Result<SourceSize, LabelImportError>,
) -> Result<ReadSegmentation, LabelImportError> {
    crate::dicom::check_structure(path).map_err(|e| bad(path, e.to_string()))?;
    let object = crate::panic_log::contain(|| OpenFileOptions::new().open_file(path))
        .map_err(|message| bad(path, format!("the DICOM parser failed ({message})")))?
        .map_err(|e| bad(path, format!("not a readable DICOM file: {e}")))?;
    if text(&object, tags::SOP_CLASS_UID).as_deref() != Some(uids::SEGMENTATION_STORAGE) {
        return Err(bad(
            path,
            "not a DICOM Segmentation (SOP Class UID 1.2.840.10008.5.1.4.1.1.66.4)",
        ));
    }
    let rows = number(&object, tags::ROWS).filter(|&r| (1..=65535).contains(&r));
    let cols = number(&object, tags::COLUMNS).filter(|&c| (1..=65535).contains(&c));
    let (Some(rows), Some(cols)) = (rows, cols) else {
        return Err(bad(path, "Rows or Columns missing or out of range"));
    };
    let frame_count = text(&object, tags::NUMBER_OF_FRAMES)
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1);
    let pixels = rows * cols;
    if frame_count == 0 || frame_count.saturating_mul(pixels) > MAX_PIXELS {
        return Err(bad(
            path,
            format!("{frame_count} frames of {cols}×{rows} is not a segmentation EchoLabel reads"),
        ));
    }
    let kind = text(&object, tags::SEGMENTATION_TYPE).unwrap_or_default();
    let bits = number(&object, tags::BITS_ALLOCATED).unwrap_or(0);
    if !matches!((kind.as_str(), bits), ("BINARY", 1) | ("FRACTIONAL", 8)) {
        return Err(bad(
            path,
            format!(
                "Segmentation Type {kind:?} with {bits} bits allocated is not read (BINARY or FRACTIONAL only)"
            ),
        ));
    }
    let transfer_syntax = object
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    if ![
        uids::EXPLICIT_VR_LITTLE_ENDIAN,
        uids::IMPLICIT_VR_LITTLE_ENDIAN,
        uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    ]
    .contains(&transfer_syntax.as_str())
    {
        return Err(bad(
            path,
            format!("compressed pixel data (transfer syntax {transfer_syntax}) is not read"),
        ));
    }
    let mut structures: BTreeMap<u64, String> = BTreeMap::new();
    let mut notes = Vec::new();
    for item in object
        .element_opt(tags::SEGMENT_SEQUENCE)
        .ok()
        .flatten()
        .and_then(|e| e.items())
        .ok_or_else(|| bad(path, "no Segment Sequence"))?
    {
        let segment = number(item, tags::SEGMENT_NUMBER)
            .ok_or_else(|| bad(path, "a segment has no Segment Number"))?;
        match structure_of(item) {
            Some(structure) => {
                structures.insert(segment, structure);
            }
            None => notes.push(format!(
                "{}: segment {segment} has no label or known code; left out",
                path.display()
            )),
        }
    }
    let shared = first_item(&object, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let per_frame = object
        .element_opt(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .ok()
        .flatten()
        .and_then(|e| e.items())
        .ok_or_else(|| bad(path, "no Per-frame Functional Groups Sequence"))?;
    if per_frame.len() as u64 != frame_count {
        return Err(bad(
            path,
            format!(
                "{} per-frame functional groups for {frame_count} frames",
                per_frame.len()
            ),
        ));
    }
    let mut source_uid: Option<String> = None;
    let mut references = Vec::with_capacity(per_frame.len());
    for (index, item) in per_frame.iter().enumerate() {
        let group = |tag| first_item(item, tag).or_else(|| shared.and_then(|s| first_item(s, tag)));
        let segment = group(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|g| number(g, tags::REFERENCED_SEGMENT_NUMBER))
            .ok_or_else(|| bad(path, format!("frame {} names no segment", index + 1)))?;
        let source = group(tags::DERIVATION_IMAGE_SEQUENCE)
            .and_then(|d| first_item(d, tags::SOURCE_IMAGE_SEQUENCE))
            .ok_or_else(|| bad(path, format!("frame {} names no source image", index + 1)))?;
        let uid = text(source, tags::REFERENCED_SOP_INSTANCE_UID).ok_or_else(|| {
            bad(
                path,
                format!("frame {} names no source instance", index + 1),
            )
        })?;
        match &source_uid {
            None => source_uid = Some(uid),
            Some(first) if *first != uid => {
                return Err(bad(
                    path,
                    "frames of more than one source clip: EchoLabel reads a SEG of one clip",
                ));
            }
            Some(_) => {}
        }
        let source_frame = match text(source, tags::REFERENCED_FRAME_NUMBER) {
            Some(number) => Some(number.parse::<u32>().ok().filter(|&n| n >= 1).ok_or_else(
                || {
                    bad(
                        path,
                        format!("frame {}: Referenced Frame Number {number:?}", index + 1),
                    )
                },
            )?),
            None => None,
        };
        references.push(FrameRef {
            segment,
            source_frame,
        });
    }
    let source_sop_instance_uid = source_uid.ok_or_else(|| bad(path, "no frames"))?;
    let size = clip(&source_sop_instance_uid)?;
    if (u64::from(size.rows), u64::from(size.cols)) != (rows, cols) {
        return Err(bad(
            path,
            format!(
                "the segmentation is {cols}×{rows} pixels, its clip {}×{}",
                size.cols, size.rows
            ),
        ));
    }
    // Every frame number checked before any pixel is unpacked.
    let mut source_frames = Vec::with_capacity(references.len());
    for (index, reference) in references.iter().enumerate() {
        let frame = match reference.source_frame {
            Some(number) if number <= size.frames => number - 1,
            Some(number) => {
                return Err(bad(
                    path,
                    format!(
                        "frame {} refers to frame {number} of a clip of {} frames",
                        index + 1,
                        size.frames
                    ),
                ));
            }
            None if size.frames == 1 => 0,
            None => {
                return Err(bad(
                    path,
                    format!(
                        "frame {} gives no Referenced Frame Number, and its clip has {} frames",
                        index + 1,
                        size.frames
                    ),
                ));
            }
        };
        source_frames.push(frame);
    }
    let data = object
        .element(tags::PIXEL_DATA)
        .map_err(|_| bad(path, "no Pixel Data"))?
        .to_bytes()
        .map_err(|e| bad(path, format!("unreadable Pixel Data: {e}")))?;
    let needed = if bits == 1 {
        (frame_count * pixels).div_ceil(8)
    } else {
        frame_count * pixels
    };
    if (data.len() as u64) < needed {
        return Err(bad(
            path,
            format!(
                "Pixel Data holds {} bytes, {frame_count} frames need {needed}",
                data.len()
            ),
        ));
    }
    let fractional_max = number(&object, tags::MAXIMUM_FRACTIONAL_VALUE)
        .unwrap_or(255)
        .max(1);
    let (width, height) = (cols as usize, rows as usize);
    let mut frames: BTreeMap<u32, Vec<(String, Mask)>> = BTreeMap::new();
    for (index, (reference, &source_frame)) in references.iter().zip(&source_frames).enumerate() {
        let Some(structure) = structures.get(&reference.segment) else {
            continue;
        };
        let start = index as u64 * pixels;
        let on = |p: u64| {
            let at = start + p;
            if bits == 1 {
                data[(at / 8) as usize] & (1 << (at % 8)) != 0
            } else {
                u64::from(data[at as usize]) * 2 > fractional_max
            }
        };
        let of_frame = frames.entry(source_frame).or_default();
        // Two segments of one structure (a person's and a model's) make one region.
        let position = match of_frame.iter().position(|(name, _)| name == structure) {
            Some(position) => position,
            None => {
                of_frame.push((structure.clone(), Mask::new(width, height)));
                of_frame.len() - 1
            }
        };
        let mask = &mut of_frame[position].1;
        for p in (0..pixels).filter(|&p| on(p)) {
            mask.set((p % cols) as usize, (p / cols) as usize, true);
        }
    }
    Ok(ReadSegmentation { frames, notes })
}
