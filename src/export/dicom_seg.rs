//! DICOM Segmentation (PS3.3 A.51) of an ultrasound cine: BINARY segments,
//! one frame per segment and source frame, each frame referencing the clip
//! and the frame it was drawn on.
//!
//! Ultrasound cine has no Frame of Reference, so there is no plane position
//! to sort frames by. The frames are instead organised by Referenced Segment
//! Number and by Temporal Position Index (the 1-based source frame), both in
//! functional groups one level deep, where readers look; every frame also
//! carries a Derivation Image with the Source Image and its Referenced Frame
//! Number, and says that spatial locations are preserved, so readers can map
//! it back onto the clip frame by frame (highdicom's
//! `get_pixels_by_source_frame`). The patient and study modules carry only
//! the project's pseudonymous patient reference and the study UID.

use std::path::Path;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR, dicom_value};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

use super::ExportError;
use crate::geometry::Mask;

/// Series Number of EchoLabel segmentations.
const SERIES_NUMBER: &str = "901";

/// How a segment was made (Segment Algorithm Type).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Drawn by a person.
    Manual,
    /// A model proposal a person submitted (edited or not): the algorithm named.
    SemiAutomatic(String),
    /// A model's pseudo-label a reviewer accepted as it was.
    Automatic(String),
}

impl Origin {
    fn algorithm_type(&self) -> &'static str {
        match self {
            Origin::Manual => "MANUAL",
            Origin::SemiAutomatic(_) => "SEMIAUTOMATIC",
            Origin::Automatic(_) => "AUTOMATIC",
        }
    }

    fn algorithm_name(&self) -> Option<&str> {
        match self {
            Origin::Manual => None,
            Origin::SemiAutomatic(name) | Origin::Automatic(name) => Some(name),
        }
    }
}

/// A coded concept (code value, scheme, meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub value: &'static str,
    pub scheme: &'static str,
    pub meaning: &'static str,
}

/// Segmented Property Category "Anatomical structure" (CID 7150).
const ANATOMICAL_STRUCTURE: Code = Code {
    value: "91723000",
    scheme: "SCT",
    meaning: "Anatomical Structure",
};

/// The Segmented Property Type (SNOMED CT, CID 7151/12305) of a structure and
/// its recommended display colour, by the editor's structure name; other
/// structures are anatomical structures without a finer type.
pub fn structure_code(structure: &str) -> (Code, [u8; 3]) {
    let known = [
        (
            "LV endocardium",
            Code {
                value: "87878005",
                scheme: "SCT",
                meaning: "Left ventricle",
            },
            [230, 60, 60],
        ),
        (
            "Myocardium",
            Code {
                value: "49848007",
                scheme: "SCT",
                meaning: "Myocardium of left ventricle",
            },
            [60, 190, 100],
        ),
        (
            "Left atrium",
            Code {
                value: "82471001",
                scheme: "SCT",
                meaning: "Left atrium",
            },
            [70, 120, 240],
        ),
    ];
    known
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(structure))
        .map(|(_, code, colour)| (*code, *colour))
        .unwrap_or((ANATOMICAL_STRUCTURE, [230, 200, 60]))
}

/// The structure a Segmented Property Type code stands for, if it is one of
/// the editor's (the inverse of [`structure_code`], for imports).
pub fn structure_of_code(value: &str) -> Option<&'static str> {
    ["LV endocardium", "Myocardium", "Left atrium"]
        .into_iter()
        .find(|structure| structure_code(structure).0.value == value)
}

/// The clip a segmentation is drawn on.
#[derive(Debug, Clone)]
pub struct SourceClip<'a> {
    pub sop_class_uid: &'a str,
    pub sop_instance_uid: &'a str,
    pub series_instance_uid: Option<&'a str>,
    pub study_instance_uid: Option<&'a str>,
    /// Whether the clip is a multi-frame image (frames are then referenced by number).
    pub multi_frame: bool,
    pub rows: u32,
    pub cols: u32,
}

/// One segment: a structure made one way.
#[derive(Debug, Clone)]
pub struct Segment {
    pub structure: String,
    pub origin: Origin,
}

/// One frame of the segmentation: a segment on one source frame.
#[derive(Debug, Clone)]
pub struct SegFrame {
    /// Index into [`Segmentation::segments`].
    pub segment: usize,
    /// 0-based frame of the clip.
    pub source_frame: u32,
    pub mask: Mask,
}

/// Everything a segmentation instance holds.
#[derive(Debug, Clone)]
pub struct Segmentation<'a> {
    pub source: SourceClip<'a>,
    /// The project's pseudonymous patient reference (Patient Name and ID).
    pub patient_reference: &'a str,
    /// Who made it (Content Creator's Name).
    pub author: &'a str,
    pub software_version: &'a str,
    pub segments: Vec<Segment>,
    /// Sorted by segment, then source frame (the dimension order).
    pub frames: Vec<SegFrame>,
}

fn text(tag: Tag, vr: VR, value: impl Into<String>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value.into()))
}

fn uint16(tag: Tag, value: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, PrimitiveValue::from(value))
}

fn sequence(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
}

fn code_item(code: Code) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        text(tags::CODE_VALUE, VR::SH, code.value),
        text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, code.scheme),
        text(tags::CODE_MEANING, VR::LO, code.meaning),
    ])
}

/// A fresh UID under the `2.25` (UUID) root.
fn new_uid() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(bytes))
}

/// A person's name as DICOM writes it: `Demo sonographer` stays as it is
/// (one component), `^` and `=` taken out so it cannot split into parts.
fn person_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '^' | '=' | '\\'))
        .take(64)
        .collect()
}

/// The CIELab value (PS3.3 C.10.7.1.1, scaled to 0..65535) of an sRGB colour.
fn cielab(rgb: [u8; 3]) -> [u16; 3] {
    let linear = rgb.map(|c| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let [r, g, b] = linear;
    // sRGB (D65) to XYZ, relative to the D65 white.
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    let l = 116.0 * fy - 16.0;
    let a = 500.0 * (fx - fy);
    let b = 200.0 * (fy - fz);
    let scale = |v: f64, low: f64, high: f64| {
        ((v - low) / (high - low) * 65535.0)
            .round()
            .clamp(0.0, 65535.0) as u16
    };
    [
        scale(l, 0.0, 100.0),
        scale(a, -128.0, 127.0),
        scale(b, -128.0, 127.0),
    ]
}

/// Frames packed one bit per pixel, first pixel in the lowest bit, frames
/// back to back (PS3.5 8.1.1), padded to an even length.
fn pack_bits(frames: &[SegFrame]) -> Vec<u8> {
    let total: usize = frames.iter().map(|f| f.mask.pixels().len()).sum();
    let mut bytes = vec![0u8; total.div_ceil(8)];
    let mut bit = 0usize;
    for frame in frames {
        for &on in frame.mask.pixels() {
            if on {
                bytes[bit / 8] |= 1 << (bit % 8);
            }
            bit += 1;
        }
    }
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    bytes
}

/// Writes `segmentation` to `path` (Explicit VR Little Endian).
pub fn write(path: &Path, segmentation: &Segmentation<'_>) -> Result<(), ExportError> {
    let source = &segmentation.source;
    for frame in &segmentation.frames {
        if (frame.mask.width(), frame.mask.height()) != (source.cols as usize, source.rows as usize)
            || frame.segment >= segmentation.segments.len()
        {
            return Err(ExportError::Invalid(format!(
                "{}: a segmentation frame does not match the clip's {}×{} pixels or segments",
                path.display(),
                source.cols,
                source.rows
            )));
        }
    }
    let sop_instance_uid = new_uid();
    let dimension_uid = new_uid();
    let now = now_da_tm();
    let segments: Vec<InMemDicomObject> = segmentation
        .segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            let (code, colour) = structure_code(&segment.structure);
            let mut item = InMemDicomObject::from_element_iter([
                uint16(tags::SEGMENT_NUMBER, index as u16 + 1),
                text(
                    tags::SEGMENT_LABEL,
                    VR::LO,
                    segment_label(segment).chars().take(64).collect::<String>(),
                ),
                text(
                    tags::SEGMENT_ALGORITHM_TYPE,
                    VR::CS,
                    segment.origin.algorithm_type(),
                ),
                sequence(
                    tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
                    vec![code_item(ANATOMICAL_STRUCTURE)],
                ),
                sequence(
                    tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
                    vec![code_item(code)],
                ),
                DataElement::new(
                    tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE,
                    VR::US,
                    PrimitiveValue::U16(cielab(colour).into_iter().collect()),
                ),
            ]);
            if let Some(name) = segment.origin.algorithm_name() {
                item.put(text(
                    tags::SEGMENT_ALGORITHM_NAME,
                    VR::LO,
                    name.chars().take(64).collect::<String>(),
                ));
            }
            item
        })
        .collect();
    let per_frame: Vec<InMemDicomObject> = segmentation
        .frames
        .iter()
        .map(|frame| {
            let number = frame.source_frame + 1;
            let mut source_item = InMemDicomObject::from_element_iter([
                text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, source.sop_class_uid),
                text(
                    tags::REFERENCED_SOP_INSTANCE_UID,
                    VR::UI,
                    source.sop_instance_uid,
                ),
                text(tags::SPATIAL_LOCATIONS_PRESERVED, VR::CS, "YES"),
                sequence(
                    tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
                    vec![code_item(Code {
                        value: "121322",
                        scheme: "DCM",
                        meaning: "Source image for image processing operation",
                    })],
                ),
            ]);
            if source.multi_frame {
                source_item.put(text(
                    tags::REFERENCED_FRAME_NUMBER,
                    VR::IS,
                    number.to_string(),
                ));
            }
            let derivation = InMemDicomObject::from_element_iter([
                sequence(
                    tags::DERIVATION_CODE_SEQUENCE,
                    vec![code_item(Code {
                        value: "113076",
                        scheme: "DCM",
                        meaning: "Segmentation",
                    })],
                ),
                sequence(tags::SOURCE_IMAGE_SEQUENCE, vec![source_item]),
            ]);
            let segment_number = frame.segment as u32 + 1;
            InMemDicomObject::from_element_iter([
                sequence(tags::DERIVATION_IMAGE_SEQUENCE, vec![derivation]),
                sequence(
                    tags::FRAME_CONTENT_SEQUENCE,
                    vec![InMemDicomObject::from_element_iter([
                        DataElement::new(
                            tags::DIMENSION_INDEX_VALUES,
                            VR::UL,
                            PrimitiveValue::U32([segment_number, number].into_iter().collect()),
                        ),
                        DataElement::new(
                            tags::TEMPORAL_POSITION_INDEX,
                            VR::UL,
                            PrimitiveValue::from(number),
                        ),
                    ])],
                ),
                sequence(
                    tags::SEGMENT_IDENTIFICATION_SEQUENCE,
                    vec![InMemDicomObject::from_element_iter([uint16(
                        tags::REFERENCED_SEGMENT_NUMBER,
                        segment_number as u16,
                    )])],
                ),
            ])
        })
        .collect();
    let dimension = |pointer: Tag, group: Tag, label: &str| {
        InMemDicomObject::from_element_iter([
            text(
                tags::DIMENSION_ORGANIZATION_UID,
                VR::UI,
                dimension_uid.clone(),
            ),
            DataElement::new(
                tags::DIMENSION_INDEX_POINTER,
                VR::AT,
                PrimitiveValue::Tags([pointer].into_iter().collect()),
            ),
            DataElement::new(
                tags::FUNCTIONAL_GROUP_POINTER,
                VR::AT,
                PrimitiveValue::Tags([group].into_iter().collect()),
            ),
            text(tags::DIMENSION_DESCRIPTION_LABEL, VR::LO, label),
        ])
    };
    let mut referenced_series = InMemDicomObject::from_element_iter([sequence(
        tags::REFERENCED_INSTANCE_SEQUENCE,
        vec![InMemDicomObject::from_element_iter([
            text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, source.sop_class_uid),
            text(
                tags::REFERENCED_SOP_INSTANCE_UID,
                VR::UI,
                source.sop_instance_uid,
            ),
        ])],
    )]);
    referenced_series.put(text(
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        source.series_instance_uid.unwrap_or_default(),
    ));
    let patient = person_name(segmentation.patient_reference);
    let object = InMemDicomObject::from_element_iter([
        text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        DataElement::new(
            tags::IMAGE_TYPE,
            VR::CS,
            dicom_value!(Strs, ["DERIVED", "PRIMARY"]),
        ),
        text(tags::INSTANCE_CREATION_DATE, VR::DA, now.0.clone()),
        text(tags::INSTANCE_CREATION_TIME, VR::TM, now.1.clone()),
        text(tags::SOP_CLASS_UID, VR::UI, uids::SEGMENTATION_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop_instance_uid.clone()),
        // Dates of the study are not kept (as in the project's de-identified copies).
        text(tags::STUDY_DATE, VR::DA, ""),
        text(tags::SERIES_DATE, VR::DA, now.0.clone()),
        text(tags::CONTENT_DATE, VR::DA, now.0.clone()),
        text(tags::STUDY_TIME, VR::TM, ""),
        text(tags::SERIES_TIME, VR::TM, now.1.clone()),
        text(tags::CONTENT_TIME, VR::TM, now.1.clone()),
        text(tags::ACCESSION_NUMBER, VR::SH, ""),
        text(tags::MODALITY, VR::CS, "SEG"),
        text(tags::MANUFACTURER, VR::LO, "EchoLabel"),
        text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""),
        text(tags::SERIES_DESCRIPTION, VR::LO, "EchoLabel contours"),
        text(tags::MANUFACTURER_MODEL_NAME, VR::LO, "EchoLabel"),
        sequence(tags::REFERENCED_SERIES_SEQUENCE, vec![referenced_series]),
        text(tags::PATIENT_NAME, VR::PN, patient.clone()),
        text(tags::PATIENT_ID, VR::LO, patient),
        text(tags::PATIENT_BIRTH_DATE, VR::DA, ""),
        text(tags::PATIENT_SEX, VR::CS, ""),
        text(tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES"),
        text(
            tags::DEIDENTIFICATION_METHOD,
            VR::LO,
            "EchoLabel export: pseudonymous patient reference only",
        ),
        text(tags::DEVICE_SERIAL_NUMBER, VR::LO, "0"),
        text(
            tags::SOFTWARE_VERSIONS,
            VR::LO,
            segmentation.software_version,
        ),
        text(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            source.study_instance_uid.unwrap_or_default(),
        ),
        text(tags::SERIES_INSTANCE_UID, VR::UI, new_uid()),
        text(tags::STUDY_ID, VR::SH, ""),
        text(tags::SERIES_NUMBER, VR::IS, SERIES_NUMBER),
        text(tags::INSTANCE_NUMBER, VR::IS, "1"),
        text(tags::PATIENT_ORIENTATION, VR::CS, ""),
        uint16(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        text(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            segmentation.frames.len().to_string(),
        ),
        uint16(tags::ROWS, source.rows as u16),
        uint16(tags::COLUMNS, source.cols as u16),
        uint16(tags::BITS_ALLOCATED, 1),
        uint16(tags::BITS_STORED, 1),
        uint16(tags::HIGH_BIT, 0),
        uint16(tags::PIXEL_REPRESENTATION, 0),
        text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"),
        text(tags::SEGMENTATION_TYPE, VR::CS, "BINARY"),
        sequence(tags::SEGMENT_SEQUENCE, segments),
        text(tags::CONTENT_LABEL, VR::CS, "ECHOLABEL"),
        text(
            tags::CONTENT_DESCRIPTION,
            VR::LO,
            "Contours drawn in EchoLabel",
        ),
        text(
            tags::CONTENT_CREATOR_NAME,
            VR::PN,
            person_name(segmentation.author),
        ),
        sequence(
            tags::DIMENSION_ORGANIZATION_SEQUENCE,
            vec![InMemDicomObject::from_element_iter([text(
                tags::DIMENSION_ORGANIZATION_UID,
                VR::UI,
                dimension_uid.clone(),
            )])],
        ),
        sequence(
            tags::DIMENSION_INDEX_SEQUENCE,
            vec![
                dimension(
                    tags::REFERENCED_SEGMENT_NUMBER,
                    tags::SEGMENT_IDENTIFICATION_SEQUENCE,
                    "Segment Number",
                ),
                dimension(
                    tags::TEMPORAL_POSITION_INDEX,
                    tags::FRAME_CONTENT_SEQUENCE,
                    "Source Frame",
                ),
            ],
        ),
        sequence(
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            vec![InMemDicomObject::new_empty()],
        ),
        sequence(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PrimitiveValue::from(pack_bits(&segmentation.frames)),
        ),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(uids::SEGMENTATION_STORAGE)
        .media_storage_sop_instance_uid(sop_instance_uid)
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid(crate::dicom::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name("ECHOLABEL")
        .build()
        .map_err(|e| ExportError::Dicom {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    object
        .with_exact_meta(meta)
        .write_to_file(path)
        .map_err(|e| ExportError::Dicom {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// `LV endocardium`, or `LV endocardium (model v3, accepted)` for a model's.
fn segment_label(segment: &Segment) -> String {
    match &segment.origin {
        Origin::Manual => segment.structure.clone(),
        Origin::SemiAutomatic(name) => format!("{} ({name}, edited)", segment.structure),
        Origin::Automatic(name) => format!("{} ({name})", segment.structure),
    }
}

/// Today's date and the time now (UTC) as DICOM DA and TM. (The `time`
/// crate would do this, but adding it changes the features of crates burn
/// shares and rebuilds them; two small functions are cheaper.)
fn now_da_tm() -> (String, String) {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let rest = seconds % 86_400;
    (
        format!("{year:04}{month:02}{day:02}"),
        format!("{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60),
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_packed_low_bit_first_across_frames() {
        let mut a = Mask::new(3, 3);
        a.set(0, 0, true);
        a.set(2, 2, true);
        let mut b = Mask::new(3, 3);
        b.set(0, 0, true);
        let frames = [
            SegFrame {
                segment: 0,
                source_frame: 0,
                mask: a,
            },
            SegFrame {
                segment: 0,
                source_frame: 1,
                mask: b,
            },
        ];
        // Pixels 0 and 8 of the first frame, pixel 9 (0 of the second); 18
        // bits take 3 bytes, padded to an even 4.
        assert_eq!(pack_bits(&frames), vec![0b0000_0001, 0b0000_0011, 0, 0]);
    }

    #[test]
    fn colours_and_dates_are_encoded_as_dicom_says() {
        assert_eq!(cielab([255, 255, 255]), [65535, 32896, 32896]);
        assert_eq!(cielab([0, 0, 0])[0], 0);
        let (date, time) = now_da_tm();
        assert!(
            date.len() == 8 && date.starts_with("20") && time.len() == 6,
            "{date} {time}"
        );
        assert_eq!(person_name("Dr^Evil=x"), "DrEvilx");
    }

    #[test]
    fn codes_round_trip_to_structures() {
        for structure in ["LV endocardium", "Myocardium", "Left atrium"] {
            assert_eq!(
                structure_of_code(structure_code(structure).0.value),
                Some(structure)
            );
        }
        assert_eq!(structure_code("Right ventricle").0, ANATOMICAL_STRUCTURE);
    }
}
