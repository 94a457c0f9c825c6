//! Reads a DICOM Segmentation back into per-frame structure masks: which
//! clip it is drawn on (the Source Image of its frames, or its Referenced
//! Series), which source frame each of its frames covers, and which of the
//! editor's structures each segment is (by label, else by its Segmented
//! Property Type code). BINARY and FRACTIONAL segmentations in a native
//! transfer syntax are read; everything is checked against the header before
//! use, and the pixel data against the frame count before it is unpacked.

use std::collections::BTreeMap;
use std::path::Path;

use dicom_dictionary_std::{tags, uids};
use dicom_object::{InMemDicomObject, OpenFileOptions, Tag};

use super::LabelImportError;
use crate::export::structure_of_code;
use crate::geometry::Mask;
use crate::model::config::CAMUS_CLASSES;

/// The most mask pixels one SEG may hold (2³³ bits: 1 GiB of binary data).
const MAX_PIXELS: u64 = 1 << 33;

/// A segmentation read back.
#[derive(Debug)]
pub struct ReadSegmentation {
    pub source_sop_instance_uid: String,
    pub rows: u32,
    pub cols: u32,
    /// By 0-based source frame: each structure's mask.
    pub frames: BTreeMap<u32, Vec<(String, Mask)>>,
    /// Segments that are none of the editor's structures (label, and why).
    pub unknown_segments: Vec<String>,
}

fn bad(path: &Path, message: impl Into<String>) -> LabelImportError {
    LabelImportError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn text(object: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = object.element_opt(tag).ok()??.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}

fn number(object: &InMemDicomObject, tag: Tag) -> Option<u64> {
    object.element_opt(tag).ok()??.to_int::<u64>().ok()
}

fn first_item(object: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    object.element_opt(tag).ok()??.items()?.first()
}

/// Reads the SEG at `path`.
pub fn read(path: &Path) -> Result<ReadSegmentation, LabelImportError> {
    let object = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| bad(path, format!("not a readable DICOM file: {e}")))?;
    if text(&object, tags::SOP_CLASS_UID).as_deref() != Some(uids::SEGMENTATION_STORAGE) {
        return Err(bad(
            path,
            "not a DICOM Segmentation (SOP Class UID 1.2.840.10008.5.1.4.1.1.66.4)",
        ));
    }
    let rows = number(&object, tags::ROWS).filter(|&r| (1..=65535).contains(&r));
    let cols = number(&object, tags::COLUMNS).filter(|&c| (1..=65535).contains(&c));
    let frame_count = text(&object, tags::NUMBER_OF_FRAMES)
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1);
    let (Some(rows), Some(cols)) = (rows, cols) else {
        return Err(bad(path, "Rows or Columns missing or out of range"));
    };
    let pixels = rows * cols;
    if frame_count == 0 || frame_count.saturating_mul(pixels) > MAX_PIXELS {
        return Err(bad(
            path,
            format!("{frame_count} frames of {cols}×{rows} is not a segmentation EchoLabel reads"),
        ));
    }
    let kind = text(&object, tags::SEGMENTATION_TYPE).unwrap_or_default();
    let bits = number(&object, tags::BITS_ALLOCATED).unwrap_or(0);
    match (kind.as_str(), bits) {
        ("BINARY", 1) | ("FRACTIONAL", 8) => {}
        _ => {
            return Err(bad(
                path,
                format!(
                    "Segmentation Type {kind:?} with {bits} bits allocated is not read (BINARY or FRACTIONAL only)"
                ),
            ));
        }
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
    // Segment number → structure.
    let mut structures: BTreeMap<u64, String> = BTreeMap::new();
    let mut unknown_segments = Vec::new();
    for item in object
        .element_opt(tags::SEGMENT_SEQUENCE)
        .ok()
        .flatten()
        .and_then(|e| e.items())
        .ok_or_else(|| bad(path, "no Segment Sequence"))?
    {
        let Some(number) = number(item, tags::SEGMENT_NUMBER) else {
            return Err(bad(path, "a segment has no Segment Number"));
        };
        let label = text(item, tags::SEGMENT_LABEL).unwrap_or_default();
        let by_label = CAMUS_CLASSES[1..].iter().find(|structure| {
            let label = label.to_lowercase();
            let structure = structure.to_lowercase();
            label == structure || label.starts_with(&format!("{structure} ("))
        });
        let by_code = first_item(item, tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE)
            .and_then(|code| text(code, tags::CODE_VALUE))
            .and_then(|value| structure_of_code(&value));
        match by_label.copied().or(by_code) {
            Some(structure) => {
                structures.insert(number, structure.to_string());
            }
            None => unknown_segments.push(format!("segment {number} {label:?}")),
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
    let mut source_uid: Option<String> = None;
    let mut frames: BTreeMap<u32, Vec<(String, Mask)>> = BTreeMap::new();
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
            Some(number) => {
                number
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| {
                        bad(
                            path,
                            format!("frame {}: Referenced Frame Number {number:?}", index + 1),
                        )
                    })?
                    - 1
            }
            None => 0,
        };
        let Some(structure) = structures.get(&segment) else {
            continue;
        };
        let mut mask = Mask::new(cols as usize, rows as usize);
        let start = index as u64 * pixels;
        for p in 0..pixels {
            let at = start + p;
            let on = if bits == 1 {
                data[(at / 8) as usize] & (1 << (at % 8)) != 0
            } else {
                u64::from(data[at as usize]) * 2 > fractional_max
            };
            if on {
                mask.set((p % cols) as usize, (p / cols) as usize, true);
            }
        }
        let structures_of_frame = frames.entry(source_frame).or_default();
        match structures_of_frame
            .iter_mut()
            .find(|(name, _)| name == structure)
        {
            // Two segments of one structure (a person's and a model's): one region.
            Some((_, existing)) => {
                for (i, on) in mask.pixels().iter().enumerate() {
                    if *on {
                        existing.set(i % cols as usize, i / cols as usize, true);
                    }
                }
            }
            None => structures_of_frame.push((structure.clone(), mask)),
        }
    }
    let source_sop_instance_uid = source_uid.ok_or_else(|| bad(path, "no frames"))?;
    Ok(ReadSegmentation {
        source_sop_instance_uid,
        rows: rows as u32,
        cols: cols as u32,
        frames,
        unknown_segments,
    })
}
