//! The metadata of a clip that users and the store need, read from the DICOM header.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, Tag};
use serde::{Deserialize, Serialize};

use super::patient::{PatientIdentity, PatientSalt};

/// What the header of a DICOM clip says: identity, geometry, timing and calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipInfo {
    pub path: PathBuf,
    pub sop_instance_uid: String,
    pub sop_class_uid: String,
    pub series_instance_uid: Option<String>,
    pub study_instance_uid: Option<String>,
    pub modality: Option<String>,
    pub manufacturer: Option<String>,
    /// Study date as written in the file (`YYYYMMDD`).
    pub study_date: Option<String>,
    pub frames: u32,
    pub rows: u32,
    pub cols: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    /// Photometric interpretation as written in the file (before any decoding).
    pub photometric: String,
    pub transfer_syntax_uid: String,
    pub transfer_syntax_name: String,
    /// Time between frames in milliseconds (Frame Time, Frame Time Vector or Cine Rate).
    pub frame_time_ms: Option<f64>,
    pub heart_rate_bpm: Option<f64>,
    /// The calibrated imaging region from the Sequence of Ultrasound Regions.
    pub region: Option<UltrasoundRegion>,
    pub patient: PatientIdentity,
    /// Header values that were implausible and therefore ignored, each a
    /// sentence for the clip panel (e.g. a frame time of 1e-300 ms).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl ClipInfo {
    /// Frames per second, from the frame time.
    pub fn fps(&self) -> Option<f64> {
        self.frame_time_ms
            .filter(|ms| *ms > 0.0)
            .map(|ms| 1000.0 / ms)
    }

    /// Frames per cardiac cycle, where the file gives heart rate and frame time.
    pub fn cycle_frames(&self) -> Option<f64> {
        match (self.heart_rate_bpm, self.frame_time_ms) {
            (Some(bpm), Some(ms)) if bpm > 0.0 && ms > 0.0 => Some(60_000.0 / bpm / ms),
            _ => None,
        }
    }

    /// Physical size of a pixel `(x, y)` in millimetres, where the file is calibrated.
    pub fn mm_per_pixel(&self) -> Option<(f64, f64)> {
        let region = self.region.as_ref()?;
        Some((region.mm_per_pixel_x?, region.mm_per_pixel_y?))
    }
}

/// One region of the Sequence of Ultrasound Regions: where the image is, and how
/// large a pixel is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UltrasoundRegion {
    /// Bounding box in pixels, inclusive: `(min_x, min_y, max_x, max_y)`.
    pub bounds: (u32, u32, u32, u32),
    /// Region Spatial Format: 1 = 2D (tissue or colour flow), 2 = M-mode, 3 = spectral, …
    pub spatial_format: u16,
    pub mm_per_pixel_x: Option<f64>,
    pub mm_per_pixel_y: Option<f64>,
}

/// Physical Units code for centimetres (PS3.3 C.8.5.5.1.15).
const UNITS_CM: u16 = 3;
/// Region Spatial Format code for a 2D image.
const SPATIAL_FORMAT_2D: u16 = 1;

pub(super) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.element_opt(tag).ok()??.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}

pub(super) fn integer(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.element_opt(tag).ok()??.to_int::<i64>().ok()
}

pub(super) fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    obj.element_opt(tag)
        .ok()??
        .to_float64()
        .ok()
        .filter(|v| v.is_finite())
}

impl ClipInfo {
    /// Reads the header of an opened file. Pixel geometry must already have been
    /// validated by the caller ([`super::clip::Geometry`]).
    pub(super) fn from_object(
        path: &Path,
        obj: &DefaultDicomObject,
        geometry: &super::clip::Geometry,
        salt: &PatientSalt,
    ) -> Self {
        let meta = obj.meta();
        let ts_uid = meta
            .transfer_syntax()
            .trim_end_matches('\0')
            .trim()
            .to_string();
        let ts_name = super::clip::transfer_syntax_name(&ts_uid);
        let patient = PatientIdentity::from_identifiers(
            salt,
            &text(obj, tags::PATIENT_ID).unwrap_or_default(),
            &text(obj, tags::PATIENT_NAME).unwrap_or_default(),
            &text(obj, tags::PATIENT_BIRTH_DATE).unwrap_or_default(),
        );
        ClipInfo {
            path: path.to_path_buf(),
            sop_instance_uid: text(obj, tags::SOP_INSTANCE_UID).unwrap_or_else(|| {
                meta.media_storage_sop_instance_uid()
                    .trim_end_matches('\0')
                    .to_string()
            }),
            sop_class_uid: text(obj, tags::SOP_CLASS_UID).unwrap_or_else(|| {
                meta.media_storage_sop_class_uid()
                    .trim_end_matches('\0')
                    .to_string()
            }),
            series_instance_uid: text(obj, tags::SERIES_INSTANCE_UID),
            study_instance_uid: text(obj, tags::STUDY_INSTANCE_UID),
            modality: text(obj, tags::MODALITY),
            manufacturer: text(obj, tags::MANUFACTURER),
            study_date: text(obj, tags::STUDY_DATE),
            frames: geometry.frames,
            rows: geometry.rows,
            cols: geometry.cols,
            samples_per_pixel: geometry.samples_per_pixel,
            bits_allocated: geometry.bits_allocated,
            bits_stored: geometry.bits_stored,
            photometric: geometry.photometric.clone(),
            transfer_syntax_uid: ts_uid,
            transfer_syntax_name: ts_name,
            frame_time_ms: frame_time_ms(obj),
            heart_rate_bpm: float(obj, tags::HEART_RATE).filter(|bpm| *bpm > 0.0),
            region: imaging_region(obj),
            patient,
            warnings: Vec::new(),
        }
    }
}

/// Frame Time, else the mean of the Frame Time Vector (whose first entry is 0),
/// else Cine Rate or the Recommended Display Frame Rate.
fn frame_time_ms(obj: &InMemDicomObject) -> Option<f64> {
    if let Some(ms) = float(obj, tags::FRAME_TIME).filter(|ms| *ms > 0.0) {
        return Some(ms);
    }
    if let Some(vector) = obj
        .element_opt(tags::FRAME_TIME_VECTOR)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_float64().ok())
    {
        let steps: Vec<f64> = vector
            .iter()
            .skip(1)
            .copied()
            .filter(|v| *v > 0.0)
            .collect();
        if !steps.is_empty() {
            return Some(steps.iter().sum::<f64>() / steps.len() as f64);
        }
    }
    [tags::CINE_RATE, tags::RECOMMENDED_DISPLAY_FRAME_RATE]
        .into_iter()
        .find_map(|tag| float(obj, tag).filter(|fps| *fps > 0.0))
        .map(|fps| 1000.0 / fps)
}

/// The region to calibrate against: the first 2D region calibrated in centimetres,
/// else the first 2D region, else the first region.
fn imaging_region(obj: &InMemDicomObject) -> Option<UltrasoundRegion> {
    let items = obj
        .element_opt(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .ok()??
        .items()?;
    let regions: Vec<UltrasoundRegion> = items.iter().filter_map(region_of).collect();
    let calibrated_2d = regions
        .iter()
        .position(|r| r.spatial_format == SPATIAL_FORMAT_2D && r.mm_per_pixel_x.is_some());
    let any_2d = regions
        .iter()
        .position(|r| r.spatial_format == SPATIAL_FORMAT_2D);
    let index = calibrated_2d
        .or(any_2d)
        .or((!regions.is_empty()).then_some(0))?;
    regions.into_iter().nth(index)
}

fn region_of(item: &InMemDicomObject) -> Option<UltrasoundRegion> {
    let coordinate = |tag| integer(item, tag).and_then(|v| u32::try_from(v).ok());
    let bounds = (
        coordinate(tags::REGION_LOCATION_MIN_X0)?,
        coordinate(tags::REGION_LOCATION_MIN_Y0)?,
        coordinate(tags::REGION_LOCATION_MAX_X1)?,
        coordinate(tags::REGION_LOCATION_MAX_Y1)?,
    );
    let millimetres = |units_tag, delta_tag| {
        let units = integer(item, units_tag)?;
        let delta = float(item, delta_tag)?;
        (units == i64::from(UNITS_CM) && delta > 0.0).then_some(delta * 10.0)
    };
    Some(UltrasoundRegion {
        bounds,
        spatial_format: integer(item, tags::REGION_SPATIAL_FORMAT)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(0),
        mm_per_pixel_x: millimetres(tags::PHYSICAL_UNITS_X_DIRECTION, tags::PHYSICAL_DELTA_X),
        mm_per_pixel_y: millimetres(tags::PHYSICAL_UNITS_Y_DIRECTION, tags::PHYSICAL_DELTA_Y),
    })
}
