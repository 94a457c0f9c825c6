//! De-identified copies of DICOM files, after the PS3.15 Annex E Basic
//! Application Level Confidentiality Profile with the Retain Patient
//! Characteristics Option (sex, age, size and weight stay: echo measurements
//! are read against them).
//!
//! A project that copies files keeps these copies, never the originals, so a
//! copied project can be handed on without the identifiers the scanner wrote.
//! What the profile marks X is removed; Z is emptied (the patient name and ID
//! become a keyed pseudonym, so clips of one patient stay together); U
//! (instance UIDs) is replaced by `2.25.<decimal>` derived from a keyed hash,
//! so the same file always gets the same UIDs under one key, and references
//! between files stay consistent. Private and overlay/curve groups go. Dates
//! and times are removed or emptied (Longitudinal Temporal Information
//! Modified = REMOVED). The pixel data is written back byte for byte, so
//! text burned into the image by the scanner is *not* removed.

use std::path::{Path, PathBuf};

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

use super::patient::PatientSalt;

/// Why a de-identified copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DeidentifyError {
    #[error("{}: cannot read the DICOM file to de-identify it: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: cannot write the de-identified copy: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// Removed (profile action X, and D/X where we choose X).
const REMOVE: &[(u16, u16)] = &[
    (0x0008, 0x0012), // Instance Creation Date
    (0x0008, 0x0013), // Instance Creation Time
    (0x0008, 0x0021), // Series Date
    (0x0008, 0x0022), // Acquisition Date
    (0x0008, 0x0024), // Overlay Date
    (0x0008, 0x0025), // Curve Date
    (0x0008, 0x002A), // Acquisition DateTime
    (0x0008, 0x0031), // Series Time
    (0x0008, 0x0032), // Acquisition Time
    (0x0008, 0x0034), // Overlay Time
    (0x0008, 0x0035), // Curve Time
    (0x0008, 0x0080), // Institution Name
    (0x0008, 0x0081), // Institution Address
    (0x0008, 0x0082), // Institution Code Sequence
    (0x0008, 0x0092), // Referring Physician's Address
    (0x0008, 0x0094), // Referring Physician's Telephone Numbers
    (0x0008, 0x0096), // Referring Physician Identification Sequence
    (0x0008, 0x009C), // Consulting Physician's Name
    (0x0008, 0x009D), // Consulting Physician Identification Sequence
    (0x0008, 0x0201), // Timezone Offset From UTC
    (0x0008, 0x1010), // Station Name
    (0x0008, 0x1030), // Study Description
    (0x0008, 0x103E), // Series Description
    (0x0008, 0x1040), // Institutional Department Name
    (0x0008, 0x1041), // Institutional Department Type Code Sequence
    (0x0008, 0x1048), // Physician(s) of Record
    (0x0008, 0x1049), // Physician(s) of Record Identification Sequence
    (0x0008, 0x1050), // Performing Physician's Name
    (0x0008, 0x1052), // Performing Physician Identification Sequence
    (0x0008, 0x1060), // Name of Physician(s) Reading Study
    (0x0008, 0x1062), // Physician(s) Reading Study Identification Sequence
    (0x0008, 0x1070), // Operators' Name
    (0x0008, 0x1072), // Operator Identification Sequence
    (0x0008, 0x1080), // Admitting Diagnoses Description
    (0x0008, 0x1084), // Admitting Diagnoses Code Sequence
    (0x0008, 0x1110), // Referenced Study Sequence
    (0x0008, 0x1111), // Referenced Performed Procedure Step Sequence
    (0x0008, 0x1120), // Referenced Patient Sequence
    (0x0008, 0x2111), // Derivation Description
    (0x0010, 0x0021), // Issuer of Patient ID
    (0x0010, 0x0032), // Patient's Birth Time
    (0x0010, 0x0033), // Patient's Birth Date in Alternative Calendar
    (0x0010, 0x0034), // Patient's Death Date in Alternative Calendar
    (0x0010, 0x0050), // Patient's Insurance Plan Code Sequence
    (0x0010, 0x0101), // Patient's Primary Language Code Sequence
    (0x0010, 0x0102), // Patient's Primary Language Modifier Code Sequence
    (0x0010, 0x1000), // Other Patient IDs
    (0x0010, 0x1001), // Other Patient Names
    (0x0010, 0x1002), // Other Patient IDs Sequence
    (0x0010, 0x1005), // Patient's Birth Name
    (0x0010, 0x1040), // Patient's Address
    (0x0010, 0x1050), // Insurance Plan Identification
    (0x0010, 0x1060), // Patient's Mother's Birth Name
    (0x0010, 0x1080), // Military Rank
    (0x0010, 0x1081), // Branch of Service
    (0x0010, 0x1090), // Medical Record Locator
    (0x0010, 0x2000), // Medical Alerts
    (0x0010, 0x2110), // Allergies
    (0x0010, 0x2150), // Country of Residence
    (0x0010, 0x2152), // Region of Residence
    (0x0010, 0x2154), // Patient's Telephone Numbers
    (0x0010, 0x2155), // Patient's Telecom Information
    (0x0010, 0x2160), // Ethnic Group
    (0x0010, 0x2180), // Occupation
    (0x0010, 0x21A0), // Smoking Status
    (0x0010, 0x21B0), // Additional Patient History
    (0x0010, 0x21C0), // Pregnancy Status
    (0x0010, 0x21D0), // Last Menstrual Date
    (0x0010, 0x21F0), // Patient's Religious Preference
    (0x0010, 0x2203), // Patient's Sex Neutered
    (0x0010, 0x2297), // Responsible Person
    (0x0010, 0x2299), // Responsible Organization
    (0x0010, 0x4000), // Patient Comments
    (0x0018, 0x1000), // Device Serial Number
    (0x0018, 0x1004), // Plate ID
    (0x0018, 0x1005), // Generator ID
    (0x0018, 0x1007), // Cassette ID
    (0x0018, 0x1008), // Gantry ID
    (0x0018, 0x1030), // Protocol Name
    (0x0018, 0x4000), // Acquisition Comments
    (0x0018, 0x700A), // Detector ID
    (0x0020, 0x3401), // Modifying Device ID
    (0x0020, 0x3404), // Modifying Device Manufacturer
    (0x0020, 0x3406), // Modified Image Description
    (0x0020, 0x4000), // Image Comments
    (0x0020, 0x9158), // Frame Comments
    (0x0032, 0x0012), // Study ID Issuer
    (0x0032, 0x1020), // Scheduled Study Location
    (0x0032, 0x1021), // Scheduled Study Location AE Title
    (0x0032, 0x1030), // Reason for Study
    (0x0032, 0x1032), // Requesting Physician
    (0x0032, 0x1033), // Requesting Service
    (0x0032, 0x1060), // Requested Procedure Description
    (0x0032, 0x1070), // Requested Contrast Agent
    (0x0032, 0x4000), // Study Comments
    (0x0038, 0x0010), // Admission ID
    (0x0038, 0x0011), // Issuer of Admission ID
    (0x0038, 0x0060), // Service Episode ID
    (0x0038, 0x0061), // Issuer of Service Episode ID
    (0x0038, 0x0062), // Service Episode Description
    (0x0038, 0x0300), // Current Patient Location
    (0x0038, 0x0400), // Patient's Institution Residence
    (0x0038, 0x0500), // Patient State
    (0x0038, 0x4000), // Visit Comments
    (0x0040, 0x0001), // Scheduled Station AE Title
    (0x0040, 0x0006), // Scheduled Performing Physician's Name
    (0x0040, 0x0241), // Performed Station AE Title
    (0x0040, 0x0242), // Performed Station Name
    (0x0040, 0x0243), // Performed Location
    (0x0040, 0x0244), // Performed Procedure Step Start Date
    (0x0040, 0x0245), // Performed Procedure Step Start Time
    (0x0040, 0x0250), // Performed Procedure Step End Date
    (0x0040, 0x0251), // Performed Procedure Step End Time
    (0x0040, 0x0253), // Performed Procedure Step ID
    (0x0040, 0x0254), // Performed Procedure Step Description
    (0x0040, 0x0275), // Request Attributes Sequence
    (0x0040, 0x0280), // Comments on the Performed Procedure Step
    (0x0040, 0x1001), // Requested Procedure ID
    (0x0040, 0x1004), // Patient Transport Arrangements
    (0x0040, 0x1005), // Requested Procedure Location
    (0x0040, 0x1010), // Names of Intended Recipients of Results
    (0x0040, 0x1400), // Requested Procedure Comments
    (0x0040, 0x2001), // Reason for the Imaging Service Request
    (0x0040, 0x2008), // Order Entered By
    (0x0040, 0x2009), // Order Enterer's Location
    (0x0040, 0x2010), // Order Callback Phone Number
    (0x0040, 0x2016), // Placer Order Number / Imaging Service Request
    (0x0040, 0x2017), // Filler Order Number / Imaging Service Request
    (0x0040, 0x2400), // Imaging Service Request Comments
    (0x0040, 0x3001), // Confidentiality Constraint on Patient Data Description
    (0x0040, 0xA730), // Content Sequence
    (0x0070, 0x0084), // Content Creator's Name
    (0x0070, 0x0086), // Content Creator's Identification Code Sequence
    (0x0088, 0x0200), // Icon Image Sequence (may show the patient)
    (0x4000, 0x0010), // Arbitrary
    (0x4000, 0x4000), // Text Comments
    (0x4008, 0x0114), // Physician Approving Interpretation
    (0xFFFA, 0xFFFA), // Digital Signatures Sequence
];

/// Emptied (profile action Z): type 2 attributes that must stay present.
const EMPTY: &[(u16, u16)] = &[
    (0x0008, 0x0020), // Study Date
    (0x0008, 0x0023), // Content Date
    (0x0008, 0x0030), // Study Time
    (0x0008, 0x0033), // Content Time
    (0x0008, 0x0050), // Accession Number
    (0x0008, 0x0090), // Referring Physician's Name
    (0x0010, 0x0030), // Patient's Birth Date
    (0x0020, 0x0010), // Study ID
];

/// Patient Name and Patient ID: replaced by the keyed pseudonym.
const PATIENT_NAME: Tag = Tag(0x0010, 0x0010);
const PATIENT_ID: Tag = Tag(0x0010, 0x0020);

/// Instance UIDs (profile action U): replaced by keyed `2.25.` UIDs.
const UIDS: &[(u16, u16)] = &[
    (0x0004, 0x1511), // Referenced SOP Instance UID in File
    (0x0008, 0x0014), // Instance Creator UID
    (0x0008, 0x0018), // SOP Instance UID
    (0x0008, 0x0058), // Failed SOP Instance UID List
    (0x0008, 0x1155), // Referenced SOP Instance UID
    (0x0008, 0x1195), // Transaction UID
    (0x0008, 0x3010), // Irradiation Event UID
    (0x0018, 0x1002), // Device UID
    (0x0020, 0x000D), // Study Instance UID
    (0x0020, 0x000E), // Series Instance UID
    (0x0020, 0x0052), // Frame of Reference UID
    (0x0020, 0x0200), // Synchronization Frame of Reference UID
    (0x0020, 0x9161), // Concatenation UID
    (0x0020, 0x9164), // Dimension Organization UID
    (0x0028, 0x1199), // Palette Color Lookup Table UID
    (0x0028, 0x1214), // Large Palette Color Lookup Table UID
    (0x0040, 0x4023), // Referenced General Purpose Scheduled Procedure Step Transaction UID
    (0x0040, 0xA124), // UID
    (0x0040, 0xDB0C), // Template Extension Organization UID
    (0x0040, 0xDB0D), // Template Extension Creator UID
    (0x0064, 0x0003), // Source Frame of Reference UID
    (0x0088, 0x0140), // Storage Media File-set UID
    (0x3006, 0x0024), // Referenced Frame of Reference UID
    (0x3006, 0x00C2), // Related Frame of Reference UID
];

const PATIENT_IDENTITY_REMOVED: Tag = Tag(0x0012, 0x0062);
const DEIDENTIFICATION_METHOD: Tag = Tag(0x0012, 0x0063);
const DEIDENTIFICATION_METHOD_CODES: Tag = Tag(0x0012, 0x0064);
const LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED: Tag = Tag(0x0028, 0x0303);
const CODE_VALUE: Tag = Tag(0x0008, 0x0100);
const CODING_SCHEME_DESIGNATOR: Tag = Tag(0x0008, 0x0102);
const CODE_MEANING: Tag = Tag(0x0008, 0x0104);

/// What the copy says was done to it.
pub const DEIDENTIFICATION_METHOD_TEXT: &str = "PS3.15 E.1 Basic Application Level Confidentiality Profile, Retain Patient Characteristics Option (EchoLabel)";

/// Reads `source`, de-identifies it under `key` and writes it to `target`
/// (same transfer syntax; the pixel data byte for byte).
pub fn deidentify_file(
    source: &Path,
    target: &Path,
    key: &PatientSalt,
) -> Result<(), DeidentifyError> {
    let mut object =
        OpenFileOptions::new()
            .open_file(source)
            .map_err(|e| DeidentifyError::Read {
                path: source.to_path_buf(),
                message: e.to_string(),
            })?;
    deidentify(&mut object, key);
    object
        .write_to_file(target)
        .map_err(|e| DeidentifyError::Write {
            path: target.to_path_buf(),
            message: e.to_string(),
        })
}

/// De-identifies a whole file object in memory: data set, nested sequences
/// and the file meta group.
pub fn deidentify(object: &mut DefaultDicomObject, key: &PatientSalt) {
    let pseudonym = patient_pseudonym(object, key);
    clean(object, key, pseudonym.as_deref());
    object.put(text(PATIENT_IDENTITY_REMOVED, VR::CS, "YES"));
    object.put(text(
        DEIDENTIFICATION_METHOD,
        VR::LO,
        DEIDENTIFICATION_METHOD_TEXT,
    ));
    let code = |value: &str, meaning: &str| {
        InMemDicomObject::from_element_iter([
            text(CODE_VALUE, VR::SH, value),
            text(CODING_SCHEME_DESIGNATOR, VR::SH, "DCM"),
            text(CODE_MEANING, VR::LO, meaning),
        ])
    };
    object.put(DataElement::new(
        DEIDENTIFICATION_METHOD_CODES,
        VR::SQ,
        DataSetSequence::from(vec![
            code("113100", "Basic Application Confidentiality Profile"),
            code("113108", "Retain Patient Characteristics Option"),
        ]),
    ));
    object.put(text(
        LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED,
        VR::CS,
        "REMOVED",
    ));
    object.update_meta(|meta| {
        meta.media_storage_sop_instance_uid = remap_uid(key, &meta.media_storage_sop_instance_uid);
        meta.source_application_entity_title = None;
        meta.sending_application_entity_title = None;
        meta.receiving_application_entity_title = None;
        meta.private_information_creator_uid = None;
        meta.private_information = None;
    });
}

/// The UID that replaces `uid` under `key`: `2.25.` and the first 128 bits of
/// a keyed hash as a decimal number (PS3.5 B.2), at most 44 characters.
pub fn remap_uid(key: &PatientSalt, uid: &str) -> String {
    let uid = uid.trim_end_matches('\0').trim();
    let hash = key.keyed_hash("uid", uid.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    format!("2.25.{}", u128::from_be_bytes(first))
}

/// A pseudonym for the patient (same name and ID, same pseudonym), or `None`
/// when the file names no patient.
fn patient_pseudonym(object: &InMemDicomObject, key: &PatientSalt) -> Option<String> {
    let value = |tag| {
        object
            .get(tag)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_end_matches('\0').trim().to_string())
            .unwrap_or_default()
    };
    let (id, name) = (value(PATIENT_ID), value(PATIENT_NAME));
    if id.is_empty() && name.is_empty() {
        return None;
    }
    let message = format!("{}\0{id}{}\0{name}", id.len(), name.len());
    let hash = key.keyed_hash("patient pseudonym", message.as_bytes());
    Some(format!(
        "EL{}",
        hash[..8]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    ))
}

/// Applies the profile to one data set and, recursively, to its sequence items.
fn clean(object: &mut InMemDicomObject, key: &PatientSalt, pseudonym: Option<&str>) {
    object.retain(|element| {
        let Tag(group, element_number) = element.header().tag;
        let private = group % 2 == 1;
        let overlay_or_curve = (0x5000..=0x50FF).contains(&group)
            || ((0x6000..=0x60FF).contains(&group) && element_number >= 0x3000);
        !(private || overlay_or_curve || REMOVE.contains(&(group, element_number)))
    });
    for &(group, element) in EMPTY {
        let tag = Tag(group, element);
        if let Some(vr) = object.get(tag).map(|e| e.vr()) {
            object.put(DataElement::empty(tag, vr));
        }
    }
    for tag in [PATIENT_NAME, PATIENT_ID] {
        if let Some(vr) = object.get(tag).map(|e| e.vr()) {
            object.put(match pseudonym {
                Some(pseudonym) => text(tag, vr, pseudonym),
                None => DataElement::empty(tag, vr),
            });
        }
    }
    for &(group, element) in UIDS {
        let tag = Tag(group, element);
        let Some(values) = object.get(tag).and_then(|e| e.to_str().ok()).map(|v| {
            v.split('\\')
                .map(|uid| remap_uid(key, uid))
                .collect::<Vec<_>>()
                .join("\\")
        }) else {
            continue;
        };
        object.put(text(tag, VR::UI, &values));
    }
    let sequences: Vec<Tag> = object
        .iter()
        .filter(|e| e.items().is_some())
        .map(|e| e.header().tag)
        .collect();
    for tag in sequences {
        object.update_value(tag, |value| {
            if let Some(items) = value.items_mut() {
                for item in items.iter_mut() {
                    clean(item, key, pseudonym);
                }
            }
        });
    }
}

fn text(tag: Tag, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value.to_string()))
}

#[cfg(test)]
mod tests {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_dictionary_std::{tags, uids};
    use dicom_object::FileMetaTableBuilder;

    use super::*;

    const NAME: &str = "ZZTESTPATIENT^ALICE";
    const ID: &str = "MRN-98765-XQ";

    fn identified(pixels: Value<InMemDicomObject, Vec<u8>>, ts: &str) -> DefaultDicomObject {
        let nested = InMemDicomObject::from_element_iter([
            text(tags::ACCESSION_NUMBER, VR::SH, "ACC-55501-Q"),
            text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5"),
            text(
                tags::REFERENCED_SOP_CLASS_UID,
                VR::UI,
                uids::ULTRASOUND_IMAGE_STORAGE,
            ),
        ]);
        let object = InMemDicomObject::from_element_iter([
            text(
                tags::SOP_CLASS_UID,
                VR::UI,
                uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE,
            ),
            text(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.6"),
            text(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4"),
            text(tags::PATIENT_NAME, VR::PN, NAME),
            text(tags::PATIENT_ID, VR::LO, ID),
            text(tags::PATIENT_BIRTH_DATE, VR::DA, "19510417"),
            text(tags::PATIENT_SEX, VR::CS, "F"),
            text(tags::INSTITUTION_NAME, VR::LO, "ST ELSEWHERE INFIRMARY"),
            text(tags::ACCESSION_NUMBER, VR::SH, "ACC-55501-Q"),
            text(tags::STUDY_DATE, VR::DA, "20240102"),
            text(tags::MANUFACTURER, VR::LO, "Acme"),
            text(Tag(0x0009, 0x0010), VR::LO, "ACME PRIVATE"),
            text(Tag(0x0009, 0x1001), VR::LO, ID),
            DataElement::new(
                tags::SOURCE_IMAGE_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![nested]),
            ),
            DataElement::new(tags::PIXEL_DATA, VR::OB, pixels),
        ]);
        object.with_exact_meta(
            FileMetaTableBuilder::new()
                .media_storage_sop_class_uid(uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE)
                .media_storage_sop_instance_uid("1.2.3.4.6")
                .transfer_syntax(ts)
                .build()
                .unwrap(),
        )
    }

    fn string(object: &InMemDicomObject, tag: Tag) -> Option<String> {
        object.get(tag).map(|e| {
            e.to_str()
                .unwrap()
                .trim_end_matches('\0')
                .trim()
                .to_string()
        })
    }

    #[test]
    fn identifiers_go_uids_are_remapped_consistently_and_the_method_is_recorded() {
        let key = PatientSalt::random();
        let mut object = identified(
            Value::Primitive(PrimitiveValue::U8(vec![1, 2, 3, 4].into())),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        );
        deidentify(&mut object, &key);
        assert_eq!(string(&object, tags::INSTITUTION_NAME), None);
        assert_eq!(
            string(&object, tags::PATIENT_BIRTH_DATE).as_deref(),
            Some("")
        );
        assert_eq!(string(&object, tags::ACCESSION_NUMBER).as_deref(), Some(""));
        assert_eq!(string(&object, tags::STUDY_DATE).as_deref(), Some(""));
        assert_eq!(string(&object, tags::PATIENT_SEX).as_deref(), Some("F"));
        assert_eq!(string(&object, tags::MANUFACTURER).as_deref(), Some("Acme"));
        let pseudonym = string(&object, tags::PATIENT_ID).unwrap();
        assert!(pseudonym.starts_with("EL") && pseudonym.len() == 18);
        assert_eq!(string(&object, tags::PATIENT_NAME), Some(pseudonym));
        assert!(object.tags().all(|t| t.group() % 2 == 0), "private tags go");
        let sop = string(&object, tags::SOP_INSTANCE_UID).unwrap();
        assert_eq!(sop, remap_uid(&key, "1.2.3.4.6"));
        assert!(sop.starts_with("2.25.") && sop.len() <= 64);
        assert_eq!(object.meta().media_storage_sop_instance_uid(), sop);
        assert_ne!(remap_uid(&PatientSalt::random(), "1.2.3.4.6"), sop);
        let item = &object
            .get(tags::SOURCE_IMAGE_SEQUENCE)
            .unwrap()
            .items()
            .unwrap()[0];
        assert_eq!(string(item, tags::ACCESSION_NUMBER).as_deref(), Some(""));
        assert_eq!(
            string(item, tags::REFERENCED_SOP_INSTANCE_UID),
            Some(remap_uid(&key, "1.2.3.4.5"))
        );
        assert_eq!(
            string(item, tags::REFERENCED_SOP_CLASS_UID).as_deref(),
            Some(uids::ULTRASOUND_IMAGE_STORAGE),
            "class UIDs stay"
        );
        assert_eq!(
            string(&object, PATIENT_IDENTITY_REMOVED).as_deref(),
            Some("YES")
        );
        assert_eq!(
            string(&object, DEIDENTIFICATION_METHOD).as_deref(),
            Some(DEIDENTIFICATION_METHOD_TEXT)
        );
    }

    #[test]
    fn the_written_copy_keeps_encapsulated_pixel_data_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let fragments = PixelFragmentSequence::new_fragments(vec![vec![9u8, 8, 7, 6], vec![5, 4]]);
        let original = identified(Value::PixelSequence(fragments), uids::JPEG_BASELINE8_BIT);
        let source = dir.path().join("source.dcm");
        original.write_to_file(&source).unwrap();
        let target = dir.path().join("copy.dcm");
        deidentify_file(&source, &target, &PatientSalt::random()).unwrap();
        let bytes = std::fs::read(&target).unwrap();
        for identifier in [
            NAME,
            ID,
            "19510417",
            "ST ELSEWHERE",
            "ACC-55501-Q",
            "1.2.3.4.6",
        ] {
            assert!(
                !bytes
                    .windows(identifier.len())
                    .any(|w| w == identifier.as_bytes()),
                "{identifier} is still in the copy"
            );
        }
        let copy = OpenFileOptions::new().open_file(&target).unwrap();
        assert_eq!(copy.meta().transfer_syntax(), uids::JPEG_BASELINE8_BIT);
        assert_eq!(
            copy.get(tags::PIXEL_DATA).unwrap().fragments().unwrap(),
            original.get(tags::PIXEL_DATA).unwrap().fragments().unwrap()
        );
    }
}
