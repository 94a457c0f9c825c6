//! Opening a DICOM clip: validation before any large allocation, then frames
//! decoded one at a time on demand.

use std::borrow::Cow;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::OnceLock;

use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::error::ClipError;
use super::info::{ClipInfo, float, integer, text};
use super::palette::{Palette, PaletteProblem};
use super::patient::PatientSalt;
use super::pixels::{Frame, GrayMapping, Photometric, SampleLayout};

/// Largest rows or columns accepted; echo machines write at most ~1200.
pub const MAX_DIMENSION: u32 = 16_384;
/// Largest frame count accepted (several minutes of cine at a high frame rate).
pub const MAX_FRAMES: u32 = 50_000;
/// Largest decoded clip accepted, so a lying header cannot exhaust memory.
pub const MAX_DECODED_BYTES: u64 = 16 << 30;

/// Elements that identify the patient; removed from memory once hashed.
const PATIENT_IDENTIFIERS: [dicom_object::Tag; 7] = [
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::OTHER_PATIENT_I_DS_SEQUENCE,
    // Other Patient IDs: retired, yet still written by older machines.
    dicom_object::Tag(0x0010, 0x1000),
    tags::OTHER_PATIENT_NAMES,
    tags::PATIENT_ADDRESS,
];

/// The validated image geometry of a clip.
#[derive(Debug, Clone)]
pub(super) struct Geometry {
    pub rows: u32,
    pub cols: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub photometric: String,
}

/// An opened DICOM clip: its metadata and its (still encoded) pixel data.
pub struct Clip {
    info: ClipInfo,
    object: DefaultDicomObject,
    /// Layout of native pixel data; `None` for encapsulated syntaxes, whose
    /// decoder reports the layout of what it produces.
    native_layout: Option<SampleLayout>,
    palette: Option<Palette>,
    gray_mapping: GrayMapping,
    /// The clip-wide value range, computed on first need (see [`GrayMapping::range`]).
    value_range: OnceLock<Result<(f64, f64), ClipError>>,
}

impl std::fmt::Debug for Clip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clip")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Clip {
    /// Opens and validates a DICOM file. Patient identifiers are hashed with
    /// `salt` and dropped from memory.
    pub fn open(path: &Path, salt: &PatientSalt) -> Result<Clip, ClipError> {
        check_part10_marker(path)?;
        let mut object = OpenFileOptions::new()
            .open_file(path)
            .map_err(|e| parse_error(path, &e))?;
        let geometry = geometry(path, &object)?;
        let ts_uid = object
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .trim()
            .to_string();
        let encapsulated = check_transfer_syntax(path, &ts_uid)?;
        let photometric = Photometric::parse(&geometry.photometric);
        if !encapsulated && photometric.is_none() {
            return Err(unsupported(
                path,
                format!("photometric interpretation {}", geometry.photometric),
            ));
        }
        let native_layout = if encapsulated {
            check_fragments(path, &object)?;
            None
        } else {
            let layout = SampleLayout {
                rows: geometry.rows,
                cols: geometry.cols,
                photometric: photometric.expect("checked above"),
                bits_allocated: geometry.bits_allocated,
                bits_stored: geometry.bits_stored,
                signed: integer(&object, tags::PIXEL_REPRESENTATION) == Some(1),
                planar: integer(&object, tags::PLANAR_CONFIGURATION) == Some(1),
            };
            check_native_length(path, &object, &layout, geometry.frames)?;
            Some(layout)
        };
        let palette = if photometric == Some(Photometric::PaletteColor) {
            Some(
                Palette::from_object(&object).map_err(|problem| match problem {
                    PaletteProblem::Missing(attribute) => ClipError::MissingAttribute {
                        path: path.to_path_buf(),
                        attribute,
                    },
                    PaletteProblem::Segmented => {
                        unsupported(path, "segmented palette colour lookup tables".into())
                    }
                })?,
            )
        } else {
            None
        };
        let gray_mapping = GrayMapping {
            rescale_slope: float(&object, tags::RESCALE_SLOPE).unwrap_or(1.0),
            rescale_intercept: float(&object, tags::RESCALE_INTERCEPT).unwrap_or(0.0),
            window: float(&object, tags::WINDOW_CENTER).zip(float(&object, tags::WINDOW_WIDTH)),
            range: None,
        };
        let info = ClipInfo::from_object(path, &object, &geometry, salt);
        for tag in PATIENT_IDENTIFIERS {
            object.remove_element(tag);
        }
        Ok(Clip {
            info,
            object,
            native_layout,
            palette,
            gray_mapping,
            value_range: OnceLock::new(),
        })
    }

    /// Opens only to read the metadata (the pixel data is validated, not decoded).
    pub fn read_info(path: &Path, salt: &PatientSalt) -> Result<ClipInfo, ClipError> {
        Clip::open(path, salt).map(|clip| clip.info)
    }

    pub fn info(&self) -> &ClipInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.info.path
    }

    pub fn frame_count(&self) -> u32 {
        self.info.frames
    }

    /// Decodes frame `index` (0-based) for display.
    pub fn frame(&self, index: u32) -> Result<Frame, ClipError> {
        let (layout, data) = self.stored_samples(index)?;
        let mut mapping = self.gray_mapping;
        if layout.needs_range(&mapping) {
            mapping.range = Some(self.value_range()?);
        }
        Ok(layout.to_frame(&data, self.palette.as_ref(), &mapping))
    }

    /// The range of stored grayscale values over all frames, so that a cine
    /// is shown on one scale rather than each frame stretched on its own.
    fn value_range(&self) -> Result<(f64, f64), ClipError> {
        self.value_range
            .get_or_init(|| {
                (0..self.info.frames).try_fold(
                    (f64::INFINITY, f64::NEG_INFINITY),
                    |(lo, hi), index| {
                        let (layout, data) = self.stored_samples(index)?;
                        let (frame_lo, frame_hi) = layout.value_range(&data, &self.gray_mapping);
                        Ok((lo.min(frame_lo), hi.max(frame_hi)))
                    },
                )
            })
            .as_ref()
            .map(|range| *range)
            .map_err(|e| ClipError::Decode {
                path: self.info.path.clone(),
                frame: 0,
                message: format!("cannot scan the clip's value range: {e}"),
            })
    }

    /// The stored samples of one frame, uncompressed, and their layout.
    fn stored_samples(&self, index: u32) -> Result<(SampleLayout, Cow<'_, [u8]>), ClipError> {
        if index >= self.info.frames {
            return Err(ClipError::FrameOutOfRange {
                path: self.info.path.clone(),
                frame: index,
                frames: self.info.frames,
            });
        }
        let decode_error = |message: String| ClipError::Decode {
            path: self.info.path.clone(),
            frame: index,
            message,
        };
        if let Some(layout) = &self.native_layout {
            let bytes = pixel_bytes(&self.object)
                .ok_or_else(|| decode_error("pixel data is not a byte array".into()))?;
            let size = layout.frame_bytes() as usize;
            let range = index as usize * size..(index as usize + 1) * size;
            if bytes.len() < range.end {
                return Err(decode_error("pixel data ends before this frame".into()));
            }
            let data = match bytes {
                Cow::Borrowed(all) => Cow::Borrowed(&all[range]),
                Cow::Owned(all) => Cow::Owned(all[range].to_vec()),
            };
            return Ok((layout.clone(), data));
        }
        // A codec fed a corrupt stream may panic instead of failing (seen in
        // the RLE decoder on truncated fragments): contain it to this frame.
        let decoded = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.object.decode_pixel_data_frame(index)
        }))
        .map_err(|_| decode_error("the codec failed on corrupt compressed data".into()))?
        .map_err(|e| decode_error(error_chain(&e)))?;
        let photometric_code = decoded.photometric_interpretation().as_str().to_string();
        let photometric = Photometric::parse(&photometric_code).ok_or_else(|| {
            decode_error(format!("the codec produced {photometric_code} samples"))
        })?;
        let layout = SampleLayout {
            rows: decoded.rows(),
            cols: decoded.columns(),
            photometric,
            bits_allocated: decoded.bits_allocated(),
            bits_stored: decoded.bits_stored(),
            signed: decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed,
            planar: decoded.planar_configuration()
                == dicom_pixeldata::PlanarConfiguration::PixelFirst,
        };
        let data = decoded
            .frame_data(0)
            .map_err(|e| decode_error(error_chain(&e)))?;
        if (data.len() as u64) < layout.frame_bytes() {
            return Err(decode_error(format!(
                "the codec produced {} bytes where a frame needs {}",
                data.len(),
                layout.frame_bytes()
            )));
        }
        Ok((layout, Cow::Owned(data.to_vec())))
    }
}

/// The registry's name for a transfer syntax, or the UID when it is unknown.
pub(super) fn transfer_syntax_name(uid: &str) -> String {
    TransferSyntaxRegistry
        .get(uid)
        .map_or_else(|| format!("unknown ({uid})"), |ts| ts.name().to_string())
}

fn unsupported(path: &Path, what: String) -> ClipError {
    ClipError::Unsupported {
        path: path.to_path_buf(),
        what,
    }
}

/// Rejects empty and non-Part-10 files before the parser sees them.
fn check_part10_marker(path: &Path) -> Result<(), ClipError> {
    let io = |source| ClipError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::with_capacity(132);
    file.by_ref().take(132).read_to_end(&mut head).map_err(io)?;
    if head.is_empty() {
        return Err(ClipError::Empty {
            path: path.to_path_buf(),
        });
    }
    if head.len() < 132 || &head[128..132] != b"DICM" {
        return Err(ClipError::NotDicom {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn geometry(path: &Path, obj: &DefaultDicomObject) -> Result<Geometry, ClipError> {
    if obj.element_opt(tags::PIXEL_DATA).ok().flatten().is_none() {
        return Err(ClipError::NoPixelData {
            path: path.to_path_buf(),
        });
    }
    let missing = |attribute| ClipError::MissingAttribute {
        path: path.to_path_buf(),
        attribute,
    };
    let positive = |tag, name| {
        integer(obj, tag)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| missing(name))
    };
    let rows = positive(tags::ROWS, "Rows")?;
    let cols = positive(tags::COLUMNS, "Columns")?;
    let frames = match integer(obj, tags::NUMBER_OF_FRAMES) {
        None => 1,
        Some(n) if n <= 0 => {
            return Err(ClipError::ZeroFrames {
                path: path.to_path_buf(),
            });
        }
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
    };
    let samples_per_pixel = integer(obj, tags::SAMPLES_PER_PIXEL)
        .and_then(|v| u16::try_from(v).ok())
        .unwrap_or(1);
    let bits_allocated = integer(obj, tags::BITS_ALLOCATED)
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| missing("Bits Allocated"))?;
    let bits_stored = integer(obj, tags::BITS_STORED)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|b| (1..=bits_allocated).contains(b))
        .unwrap_or(bits_allocated);
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION)
        .ok_or_else(|| missing("Photometric Interpretation"))?;
    let decoded_bytes = u64::from(rows)
        * u64::from(cols)
        * u64::from(frames)
        * u64::from(samples_per_pixel)
        * u64::from(bits_allocated.div_ceil(8));
    if rows > MAX_DIMENSION
        || cols > MAX_DIMENSION
        || frames > MAX_FRAMES
        || decoded_bytes > MAX_DECODED_BYTES
    {
        return Err(ClipError::TooLarge {
            path: path.to_path_buf(),
            rows,
            cols,
            frames,
            samples: samples_per_pixel,
            limit: format!(
                "{MAX_DIMENSION}×{MAX_DIMENSION} pixels, {MAX_FRAMES} frames and {} GiB decoded",
                MAX_DECODED_BYTES >> 30
            ),
        });
    }
    if !matches!(bits_allocated, 8 | 16) || !matches!(samples_per_pixel, 1 | 3) {
        return Err(unsupported(
            path,
            format!("{bits_allocated}-bit samples with {samples_per_pixel} sample(s) per pixel"),
        ));
    }
    Ok(Geometry {
        rows,
        cols,
        frames,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        photometric,
    })
}

/// Returns whether the syntax encapsulates (compresses) the pixel data.
fn check_transfer_syntax(path: &Path, uid: &str) -> Result<bool, ClipError> {
    let ts = TransferSyntaxRegistry.get(uid);
    match ts {
        Some(ts) if ts.can_decode_all() => Ok(ts.is_encapsulated_pixel_data()),
        _ => Err(ClipError::UnsupportedTransferSyntax {
            path: path.to_path_buf(),
            uid: uid.to_string(),
            name: transfer_syntax_name(uid),
        }),
    }
}

fn pixel_bytes(obj: &DefaultDicomObject) -> Option<std::borrow::Cow<'_, [u8]>> {
    obj.element_opt(tags::PIXEL_DATA).ok()??.to_bytes().ok()
}

fn check_native_length(
    path: &Path,
    obj: &DefaultDicomObject,
    layout: &SampleLayout,
    frames: u32,
) -> Result<(), ClipError> {
    let actual = pixel_bytes(obj).map_or(0, |b| b.len() as u64);
    let expected = layout.frame_bytes() * u64::from(frames);
    if actual < expected {
        return Err(ClipError::TruncatedPixelData {
            path: path.to_path_buf(),
            rows: layout.rows,
            cols: layout.cols,
            frames,
            expected,
            actual,
        });
    }
    Ok(())
}

fn check_fragments(path: &Path, obj: &DefaultDicomObject) -> Result<(), ClipError> {
    let element = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| ClipError::NoPixelData {
            path: path.to_path_buf(),
        })?;
    match element.value() {
        Value::PixelSequence(sequence) if sequence.fragments().iter().any(|f| !f.is_empty()) => {
            Ok(())
        }
        _ => Err(ClipError::Malformed {
            path: path.to_path_buf(),
            message: "the compressed pixel data holds no fragments".into(),
        }),
    }
}

/// Tells a file that ends early from other parse failures: the reader's
/// innermost cause is then an unexpected end of file.
fn parse_error(path: &Path, error: &dicom_object::ReadError) -> ClipError {
    let message = error_chain(error);
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    let mut truncated = false;
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            truncated |= io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
        cause = current.source();
    }
    if truncated || message.contains("failed to fill whole buffer") {
        let element = message
            .find("element tagged (")
            .map(|at| {
                message[at + "element tagged ".len()..]
                    .chars()
                    .take(11)
                    .collect()
            })
            .unwrap_or_else(|| "the data set".to_string());
        ClipError::Truncated {
            path: path.to_path_buf(),
            element,
            message,
        }
    } else {
        ClipError::Malformed {
            path: path.to_path_buf(),
            message,
        }
    }
}

/// An error and its causes on one line, for messages shown to users.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
