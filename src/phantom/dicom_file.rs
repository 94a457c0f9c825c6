//! Writes a phantom clip as a standard Ultrasound Multi-frame Image (8-bit
//! MONOCHROME2, explicit VR little endian) with cine timing and a calibrated
//! Sequence of Ultrasound Regions, so any DICOM reader can open it.

use std::path::Path;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR, dicom_value};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use sha2::{Digest, Sha256};

use super::params::PhantomParams;

/// A stable UID under the `2.25` (UUID-derived) root, from the dataset seed,
/// the clip index and what the UID identifies.
fn derived_uid(seed: u64, index: u32, kind: &str) -> String {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(index.to_le_bytes())
        .chain_update(kind.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Mark it as a version-4 (random) UUID, as the 2.25 root requires.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(bytes))
}

fn text(tag: dicom_core::Tag, vr: VR, value: impl Into<String>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value.into()))
}

/// Writes `frames` (row-major 8-bit) as `path`; `name` is the clip name.
pub fn write_clip(
    path: &Path,
    params: &PhantomParams,
    frames: &[Vec<u8>],
    seed: u64,
    index: u32,
) -> Result<(), Box<dicom_object::WriteError>> {
    let sop_instance_uid = derived_uid(seed, index, "instance");
    let study_uid = derived_uid(seed, index, "study");
    let series_uid = derived_uid(seed, index, "series");
    let cm_per_pixel = params.mm_per_pixel / 10.0;
    let (left, right) = sector_columns(params);
    let region = InMemDicomObject::from_element_iter([
        DataElement::new(
            tags::REGION_SPATIAL_FORMAT,
            VR::US,
            PrimitiveValue::from(1u16),
        ),
        DataElement::new(tags::REGION_DATA_TYPE, VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(tags::REGION_FLAGS, VR::UL, PrimitiveValue::from(0u32)),
        DataElement::new(
            tags::REGION_LOCATION_MIN_X0,
            VR::UL,
            PrimitiveValue::from(left),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MIN_Y0,
            VR::UL,
            PrimitiveValue::from(0u32),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MAX_X1,
            VR::UL,
            PrimitiveValue::from(right),
        ),
        DataElement::new(
            tags::REGION_LOCATION_MAX_Y1,
            VR::UL,
            PrimitiveValue::from((params.sector_depth.ceil() as u32).min(params.rows - 1)),
        ),
        DataElement::new(
            tags::REFERENCE_PIXEL_X0,
            VR::SL,
            PrimitiveValue::from(params.sector_apex.0.round() as i32),
        ),
        DataElement::new(
            tags::REFERENCE_PIXEL_Y0,
            VR::SL,
            PrimitiveValue::from(params.sector_apex.1.round() as i32),
        ),
        DataElement::new(
            tags::PHYSICAL_UNITS_X_DIRECTION,
            VR::US,
            PrimitiveValue::from(3u16),
        ),
        DataElement::new(
            tags::PHYSICAL_UNITS_Y_DIRECTION,
            VR::US,
            PrimitiveValue::from(3u16),
        ),
        DataElement::new(
            tags::REFERENCE_PIXEL_PHYSICAL_VALUE_X,
            VR::FD,
            PrimitiveValue::from(0f64),
        ),
        DataElement::new(
            tags::REFERENCE_PIXEL_PHYSICAL_VALUE_Y,
            VR::FD,
            PrimitiveValue::from(0f64),
        ),
        DataElement::new(
            tags::PHYSICAL_DELTA_X,
            VR::FD,
            PrimitiveValue::from(cm_per_pixel),
        ),
        DataElement::new(
            tags::PHYSICAL_DELTA_Y,
            VR::FD,
            PrimitiveValue::from(cm_per_pixel),
        ),
    ]);
    let mut pixel_data: Vec<u8> = frames.concat();
    if pixel_data.len() % 2 == 1 {
        pixel_data.push(0);
    }
    let clip_number = index + 1;
    let object = InMemDicomObject::from_element_iter([
        text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"),
        DataElement::new(
            tags::IMAGE_TYPE,
            VR::CS,
            dicom_value!(Strs, ["DERIVED", "PRIMARY"]),
        ),
        text(
            tags::SOP_CLASS_UID,
            VR::UI,
            uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
        ),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop_instance_uid.clone()),
        text(tags::STUDY_DATE, VR::DA, "20260101"),
        text(tags::CONTENT_DATE, VR::DA, "20260101"),
        text(tags::STUDY_TIME, VR::TM, "120000"),
        text(tags::CONTENT_TIME, VR::TM, "120000"),
        text(tags::ACCESSION_NUMBER, VR::SH, ""),
        text(tags::MODALITY, VR::CS, "US"),
        text(tags::MANUFACTURER, VR::LO, "EchoLabel phantom"),
        text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""),
        text(
            tags::STUDY_DESCRIPTION,
            VR::LO,
            "Synthetic apical four-chamber echo",
        ),
        text(
            tags::PATIENT_NAME,
            VR::PN,
            format!("PHANTOM^{clip_number:04}"),
        ),
        text(
            tags::PATIENT_ID,
            VR::LO,
            format!("PHANTOM-{seed}-{clip_number:04}"),
        ),
        text(tags::PATIENT_BIRTH_DATE, VR::DA, ""),
        text(tags::PATIENT_SEX, VR::CS, "O"),
        text(
            tags::CINE_RATE,
            VR::IS,
            format!("{}", (1000.0 / params.frame_time_ms).round() as u32),
        ),
        text(
            tags::FRAME_TIME,
            VR::DS,
            format!("{:.3}", params.frame_time_ms),
        ),
        text(
            tags::HEART_RATE,
            VR::IS,
            format!("{}", params.heart_rate_bpm.round() as u32),
        ),
        DataElement::new(
            tags::PREFERRED_PLAYBACK_SEQUENCING,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
        DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            DataSetSequence::from(vec![region]),
        ),
        text(tags::STUDY_INSTANCE_UID, VR::UI, study_uid),
        text(tags::SERIES_INSTANCE_UID, VR::UI, series_uid),
        text(tags::STUDY_ID, VR::SH, format!("{seed}")),
        text(tags::SERIES_NUMBER, VR::IS, "1"),
        text(tags::LATERALITY, VR::CS, ""),
        text(tags::INSTANCE_NUMBER, VR::IS, format!("{clip_number}")),
        text(tags::PATIENT_ORIENTATION, VR::CS, ""),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        text(tags::NUMBER_OF_FRAMES, VR::IS, format!("{}", frames.len())),
        DataElement::new(
            tags::FRAME_INCREMENT_POINTER,
            VR::AT,
            PrimitiveValue::Tags([tags::FRAME_TIME].into_iter().collect()),
        ),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(params.rows as u16)),
        DataElement::new(
            tags::COLUMNS,
            VR::US,
            PrimitiveValue::from(params.cols as u16),
        ),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(8u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16)),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
        text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"),
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixel_data)),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(sop_instance_uid)
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid(crate::dicom::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name("ECHOLABEL")
        .build()
        .expect("every mandatory file meta attribute is set");
    object
        .with_exact_meta(meta)
        .write_to_file(path)
        .map_err(Box::new)
}

/// First and last column the sector covers.
fn sector_columns(p: &PhantomParams) -> (u32, u32) {
    let reach = p.sector_depth * p.sector_half_angle_deg.to_radians().sin();
    let left = (p.sector_apex.0 - reach).floor().max(0.0) as u32;
    let right = ((p.sector_apex.0 + reach).ceil() as u32).min(p.cols - 1);
    (left, right)
}
