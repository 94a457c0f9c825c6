//! The metadata of a clip that users and the store need, read from the DICOM header.

use std::ops::RangeInclusive;
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
    /// Time between frames in milliseconds (Frame Time, Frame Time Vector or
    /// Cine Rate), checked to lie in 0.1–10 000 ms.
    pub frame_time_ms: Option<f64>,
    /// Heart rate, checked to lie in 10–400 bpm.
    pub heart_rate_bpm: Option<f64>,
    /// The calibrated imaging region from the Sequence of Ultrasound Regions,
    /// checked to lie inside the image, its pixel size in 1 µm–10 cm.
    pub region: Option<UltrasoundRegion>,
    /// Every region of the Sequence of Ultrasound Regions that lies inside
    /// the image: where the scanner drew ultrasound, so that exports can
    /// blank what lies outside (names and dates burned into the margins).
    #[serde(default)]
    pub regions: Vec<UltrasoundRegion>,
    /// Burned In Annotation (0028,0301) as written (`YES`/`NO`), if present.
    #[serde(default)]
    pub burned_in_annotation: Option<String>,
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

/// Frame times believed, in milliseconds: 0.1 ms is 10 000 frames per second,
/// 10 s a still image; beyond either the cine player would spin or stall.
const FRAME_TIME_MS: RangeInclusive<f64> = 0.1..=10_000.0;
/// Frame rates believed (Cine Rate, Recommended Display Frame Rate): the same
/// bounds as [`FRAME_TIME_MS`] seen as frames per second.
const FRAME_RATE_FPS: RangeInclusive<f64> = 0.1..=10_000.0;
/// Heart rates believed, in beats per minute.
const HEART_RATE_BPM: RangeInclusive<f64> = 10.0..=400.0;
/// Pixel sizes believed, in centimetres per pixel (1 µm to 10 cm).
const PHYSICAL_DELTA_CM: RangeInclusive<f64> = 1e-4..=10.0;

pub(crate) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.element_opt(tag).ok()??.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}

pub(crate) fn integer(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.element_opt(tag).ok()??.to_int::<i64>().ok()
}

pub(super) fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    raw_float(obj, tag).filter(|v| v.is_finite())
}

/// The value as written, infinities and NaN included, so they can be reported.
fn raw_float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    obj.element_opt(tag).ok()??.to_float64().ok()
}

/// A number for a warning: plain when readable, scientific when tiny or huge.
fn shown(value: f64) -> String {
    if value == 0.0 || (1e-3..1e6).contains(&value.abs()) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// `value` when it lies in `range`; otherwise `None` and a warning naming the
/// attribute. Zero is taken as "not recorded" (machines write 0 for unknown
/// heart rate and frame time) and dropped silently.
fn plausible(
    attribute: &str,
    value: f64,
    range: &RangeInclusive<f64>,
    unit: &str,
    warnings: &mut Vec<String>,
) -> Option<f64> {
    if value == 0.0 {
        return None;
    }
    if range.contains(&value) {
        return Some(value);
    }
    warnings.push(format!(
        "{attribute} of {} {unit} is implausible (expected {}–{} {unit}); ignored",
        shown(value),
        shown(*range.start()),
        shown(*range.end()),
    ));
    None
}

impl ClipInfo {
    /// Reads the header of an opened file. Pixel geometry must already have been
    /// validated by the caller ([`super::clip::Geometry`]); timing, heart rate
    /// and calibration are validated here, each implausible value dropped with
    /// a sentence in [`ClipInfo::warnings`].
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
        let mut warnings = Vec::new();
        let frame_time_ms = frame_time_ms(obj, &mut warnings);
        let heart_rate_bpm = raw_float(obj, tags::HEART_RATE).and_then(|bpm| {
            plausible(
                "Heart Rate (0018,1088)",
                bpm,
                &HEART_RATE_BPM,
                "bpm",
                &mut warnings,
            )
        });
        let regions = ultrasound_regions(obj, geometry.cols, geometry.rows, &mut warnings);
        let region = imaging_region(&regions);
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
            frame_time_ms,
            heart_rate_bpm,
            region,
            regions,
            burned_in_annotation: text(obj, tags::BURNED_IN_ANNOTATION),
            patient,
            warnings,
        }
    }
}

/// Frame Time, else the mean of the Frame Time Vector (whose first entry is 0),
/// else Cine Rate or the Recommended Display Frame Rate: the first plausible one.
fn frame_time_ms(obj: &InMemDicomObject, warnings: &mut Vec<String>) -> Option<f64> {
    if let Some(ms) = raw_float(obj, tags::FRAME_TIME)
        .and_then(|ms| plausible("Frame Time (0018,1063)", ms, &FRAME_TIME_MS, "ms", warnings))
    {
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
            .filter(|v| *v != 0.0)
            .collect();
        if !steps.is_empty() {
            let mean = steps.iter().sum::<f64>() / steps.len() as f64;
            if let Some(ms) = plausible(
                "the mean of Frame Time Vector (0018,1065)",
                mean,
                &FRAME_TIME_MS,
                "ms",
                warnings,
            ) {
                return Some(ms);
            }
        }
    }
    [
        (tags::CINE_RATE, "Cine Rate (0018,0040)"),
        (
            tags::RECOMMENDED_DISPLAY_FRAME_RATE,
            "Recommended Display Frame Rate (0008,2144)",
        ),
    ]
    .into_iter()
    .find_map(|(tag, attribute)| {
        raw_float(obj, tag)
            .and_then(|fps| plausible(attribute, fps, &FRAME_RATE_FPS, "frames/s", warnings))
    })
    .map(|fps| 1000.0 / fps)
}

/// The regions of the Sequence of Ultrasound Regions whose bounds lie inside
/// the image, in file order.
fn ultrasound_regions(
    obj: &InMemDicomObject,
    cols: u32,
    rows: u32,
    warnings: &mut Vec<String>,
) -> Vec<UltrasoundRegion> {
    let Some(items) = obj
        .element_opt(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .ok()
        .flatten()
        .and_then(|element| element.items())
    else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| region_of(item, index + 1, cols, rows, warnings))
        .collect()
}

/// The region to calibrate against: the first 2D region calibrated in
/// centimetres, else the first 2D region, else the first region.
fn imaging_region(regions: &[UltrasoundRegion]) -> Option<UltrasoundRegion> {
    let calibrated_2d = regions
        .iter()
        .position(|r| r.spatial_format == SPATIAL_FORMAT_2D && r.mm_per_pixel_x.is_some());
    let any_2d = regions
        .iter()
        .position(|r| r.spatial_format == SPATIAL_FORMAT_2D);
    let index = calibrated_2d
        .or(any_2d)
        .or((!regions.is_empty()).then_some(0))?;
    regions.get(index).cloned()
}

/// Region `number` (1-based) of the sequence, if its bounds lie inside the
/// `cols × rows` image with min ≤ max. A maximum one past the last pixel is
/// clamped to it: exporters often write the width where the last index is meant.
fn region_of(
    item: &InMemDicomObject,
    number: usize,
    cols: u32,
    rows: u32,
    warnings: &mut Vec<String>,
) -> Option<UltrasoundRegion> {
    let coordinate = |tag| integer(item, tag);
    let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
        coordinate(tags::REGION_LOCATION_MIN_X0),
        coordinate(tags::REGION_LOCATION_MIN_Y0),
        coordinate(tags::REGION_LOCATION_MAX_X1),
        coordinate(tags::REGION_LOCATION_MAX_Y1),
    ) else {
        warnings.push(format!(
            "Ultrasound region {number} lacks part of its Region Location (0018,6018–601E); ignored"
        ));
        return None;
    };
    let last_x = i64::from(cols) - 1;
    let last_y = i64::from(rows) - 1;
    let clamp_one_past = |max: i64, last: i64| if max == last + 1 { last } else { max };
    let (max_x, max_y) = (clamp_one_past(x1, last_x), clamp_one_past(y1, last_y));
    let inside =
        0 <= x0 && x0 <= max_x && max_x <= last_x && 0 <= y0 && y0 <= max_y && max_y <= last_y;
    if !inside {
        warnings.push(format!(
            "Ultrasound region {number}: Region Location (0018,6018–601E) \
             x {x0}–{x1}, y {y0}–{y1} does not lie inside the {cols}×{rows} image; ignored"
        ));
        return None;
    }
    let axis = |units_tag, delta_tag, attribute: &str, warnings: &mut Vec<String>| {
        let units = integer(item, units_tag)?;
        if units != i64::from(UNITS_CM) {
            return None;
        }
        let delta = raw_float(item, delta_tag)?;
        let attribute = format!("Ultrasound region {number}: {attribute}");
        plausible(&attribute, delta, &PHYSICAL_DELTA_CM, "cm/pixel", warnings).map(|cm| cm * 10.0)
    };
    let mm_per_pixel_x = axis(
        tags::PHYSICAL_UNITS_X_DIRECTION,
        tags::PHYSICAL_DELTA_X,
        "Physical Delta X (0018,602C)",
        warnings,
    );
    let mm_per_pixel_y = axis(
        tags::PHYSICAL_UNITS_Y_DIRECTION,
        tags::PHYSICAL_DELTA_Y,
        "Physical Delta Y (0018,602E)",
        warnings,
    );
    let as_u32 = |v: i64| u32::try_from(v).unwrap_or(0);
    Some(UltrasoundRegion {
        bounds: (as_u32(x0), as_u32(y0), as_u32(max_x), as_u32(max_y)),
        spatial_format: integer(item, tags::REGION_SPATIAL_FORMAT)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(0),
        mm_per_pixel_x,
        mm_per_pixel_y,
    })
}
