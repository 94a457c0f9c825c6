//! Opening a DICOM clip: validation before any large allocation, then frames
//! decoded one at a time on demand.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use dicom_core::PrimitiveValue;
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
use super::prescan::{PixelDataExtent, Prescan, prescan};
use crate::panic_log;

/// Largest rows or columns accepted; echo machines write at most ~1200.
pub const MAX_DIMENSION: u32 = 16_384;
/// Largest frame count accepted (several minutes of cine at a high frame rate).
pub const MAX_FRAMES: u32 = 50_000;
/// Largest decoded clip accepted, so a lying header cannot exhaust memory.
pub const MAX_DECODED_BYTES: u64 = 16 << 30;
/// Largest decoded frame believed without evidence: above it, compressed pixel
/// data must hold at least one byte per [`MAX_COMPRESSION_RATIO`] decoded
/// bytes, so that a small file cannot make a codec allocate a huge frame.
pub const MAX_FRAME_BYTES_UNCHECKED: u64 = 64 << 20;
/// Decoded bytes per compressed byte believed for a clip whose frames exceed
/// [`MAX_FRAME_BYTES_UNCHECKED`] (lossless echo compresses ~3:1, lossy JPEG
/// ~20:1, blank frames some hundreds).
pub const MAX_COMPRESSION_RATIO: u64 = 2_000;

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
    /// Native pixel data, taken out of the object once so that frames are
    /// borrowed slices of it; `None` for encapsulated syntaxes, whose decoder
    /// reports the layout of what it produces.
    native: Option<NativePixels>,
    palette: Option<Palette>,
    gray_mapping: GrayMapping,
    /// The clip-wide value range, computed on first need (see [`GrayMapping::range`]).
    value_range: OnceLock<Result<(f64, f64), ClipError>>,
}

/// Native pixel data: its layout and all frames' bytes (little endian).
struct NativePixels {
    layout: SampleLayout,
    bytes: Vec<u8>,
}

/// A validated header and the parsed object (holding the pixel data when the
/// whole file was read).
struct Header {
    info: ClipInfo,
    object: DefaultDicomObject,
    native_layout: Option<SampleLayout>,
    palette: Option<Palette>,
    gray_mapping: GrayMapping,
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
        let mut header = Header::read(path, salt, true)?;
        let native = match header.native_layout.take() {
            Some(layout) => Some(NativePixels {
                bytes: take_pixel_bytes(path, &mut header.object)?,
                layout,
            }),
            None => None,
        };
        Ok(Clip {
            info: header.info,
            object: header.object,
            native,
            palette: header.palette,
            gray_mapping: header.gray_mapping,
            value_range: OnceLock::new(),
        })
    }

    /// Reads only the header: the pixel data is validated against the
    /// geometry and the file size, but neither read nor decoded.
    pub fn read_info(path: &Path, salt: &PatientSalt) -> Result<ClipInfo, ClipError> {
        Header::read(path, salt, false).map(|header| header.info)
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
    ///
    /// The whole conversion (codec, sample layout, palette) runs under a panic
    /// guard: a bug met on a strange file becomes [`ClipError::Decode`] for this
    /// frame instead of taking the app down.
    pub fn frame(&self, index: u32) -> Result<Frame, ClipError> {
        panic_log::contain(|| {
            let (layout, data) = self.stored_samples(index)?;
            let mut mapping = self.gray_mapping;
            if layout.needs_range(&mapping) {
                mapping.range = Some(self.value_range()?);
            }
            Ok(layout.to_frame(&data, self.palette.as_ref(), &mapping))
        })
        .unwrap_or_else(|message| {
            Err(ClipError::Decode {
                path: self.info.path.clone(),
                frame: index,
                message: format!("internal error while converting the frame ({message})"),
            })
        })
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
        if let Some(native) = &self.native {
            let size = native.layout.frame_bytes() as usize;
            let range = index as usize * size..(index as usize + 1) * size;
            let data = native
                .bytes
                .get(range)
                .ok_or_else(|| decode_error("pixel data ends before this frame".into()))?;
            return Ok((native.layout.clone(), Cow::Borrowed(data)));
        }
        // A codec fed a corrupt stream may panic instead of failing (seen in
        // the RLE decoder on truncated fragments): contain it to this frame.
        let decoded = panic_log::contain(|| self.object.decode_pixel_data_frame(index))
            .map_err(|message| {
                decode_error(format!(
                    "the codec failed on corrupt compressed data ({message})"
                ))
            })?
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
            // As the header's Bits Stored is: at most what is allocated, at most 16.
            bits_stored: decoded
                .bits_stored()
                .clamp(1, decoded.bits_allocated().clamp(1, 16)),
            signed: decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed,
            planar: decoded.planar_configuration()
                == dicom_pixeldata::PlanarConfiguration::PixelFirst,
        };
        let frame_len = decoded
            .frame_data(0)
            .map_err(|e| decode_error(error_chain(&e)))?
            .len();
        if (frame_len as u64) < layout.frame_bytes() {
            return Err(decode_error(format!(
                "the codec produced {frame_len} bytes where a frame needs {}",
                layout.frame_bytes()
            )));
        }
        // The one decoded frame is moved out, not copied.
        let mut data = decoded.into_data();
        data.truncate(frame_len);
        Ok((layout, Cow::Owned(data)))
    }
}

impl Header {
    /// Walks the element stream ([`prescan`]), parses the file (whole, or up
    /// to the pixel data when `with_pixels` is false) and validates the header
    /// against the pixel data the walk found.
    fn read(path: &Path, salt: &PatientSalt, with_pixels: bool) -> Result<Header, ClipError> {
        check_part10_marker(path)?;
        let prescan = prescan(path)?;
        let options = OpenFileOptions::new();
        let options = if with_pixels {
            options
        } else {
            options.read_until(tags::PIXEL_DATA)
        };
        let mut object = panic_log::contain(|| options.open_file(path))
            .map_err(|message| ClipError::Malformed {
                path: path.to_path_buf(),
                message: format!("the DICOM parser failed ({message})"),
            })?
            .map_err(|e| parse_error(path, &e))?;
        let geometry = geometry(path, &object, &prescan)?;
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
        let native_layout = match (photometric, prescan.pixel_data) {
            (_, Some(PixelDataExtent::Encapsulated { bytes, .. })) if encapsulated => {
                check_compressed_size(path, &geometry, bytes)?;
                None
            }
            (Some(photometric), Some(PixelDataExtent::Native { bytes })) if !encapsulated => {
                let layout = SampleLayout {
                    rows: geometry.rows,
                    cols: geometry.cols,
                    photometric,
                    bits_allocated: geometry.bits_allocated,
                    bits_stored: geometry.bits_stored,
                    signed: integer(&object, tags::PIXEL_REPRESENTATION) == Some(1),
                    planar: integer(&object, tags::PLANAR_CONFIGURATION) == Some(1),
                };
                check_native_layout(path, &layout, &geometry, bytes)?;
                Some(layout)
            }
            _ => {
                return Err(ClipError::Malformed {
                    path: path.to_path_buf(),
                    message: format!(
                        "the pixel data is {} but the transfer syntax {} is {}",
                        if encapsulated {
                            "native"
                        } else {
                            "encapsulated"
                        },
                        transfer_syntax_name(&ts_uid),
                        if encapsulated {
                            "encapsulated"
                        } else {
                            "native"
                        },
                    ),
                });
            }
        };
        let palette = if photometric == Some(Photometric::PaletteColor) {
            Some(
                Palette::from_object(&object).map_err(|problem| match problem {
                    PaletteProblem::Missing(attribute) => ClipError::MissingAttribute {
                        path: path.to_path_buf(),
                        attribute,
                    },
                    PaletteProblem::BadSegments(message) => ClipError::Malformed {
                        path: path.to_path_buf(),
                        message: format!(
                            "the segmented palette colour lookup table is invalid: {message}"
                        ),
                    },
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
        Ok(Header {
            info,
            object,
            native_layout,
            palette,
            gray_mapping,
        })
    }
}

/// Moves the native pixel data out of the object as little-endian bytes
/// (without a copy when the parser stored bytes).
fn take_pixel_bytes(path: &Path, object: &mut DefaultDicomObject) -> Result<Vec<u8>, ClipError> {
    let element = object
        .take_element(tags::PIXEL_DATA)
        .map_err(|_| ClipError::NoPixelData {
            path: path.to_path_buf(),
        })?;
    match element.into_value() {
        Value::Primitive(PrimitiveValue::U8(bytes)) => Ok(bytes.into_vec()),
        Value::Primitive(other) => Ok(other.to_bytes().into_owned()),
        _ => Err(ClipError::Malformed {
            path: path.to_path_buf(),
            message: "the native pixel data is not a byte array".into(),
        }),
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
/// Checks that `path` is a Part 10 file whose element lengths, nesting and
/// inflated size are safe to parse: what [`Clip::open`] checks before it
/// lets the parser allocate, for other DICOM files (segmentations).
pub fn check_structure(path: &Path) -> Result<(), ClipError> {
    check_part10_marker(path)?;
    prescan(path).map(|_| ())
}

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

fn geometry(
    path: &Path,
    obj: &DefaultDicomObject,
    prescan: &Prescan,
) -> Result<Geometry, ClipError> {
    if prescan.pixel_data.is_none() {
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

/// Checks native pixel data against the geometry: the photometric model's
/// samples per pixel, whole 4:2:2 pairs, and enough bytes for every frame.
fn check_native_layout(
    path: &Path,
    layout: &SampleLayout,
    geometry: &Geometry,
    actual: u64,
) -> Result<(), ClipError> {
    let samples = layout.photometric.samples_per_pixel();
    if samples != geometry.samples_per_pixel {
        return Err(unsupported(
            path,
            format!(
                "photometric interpretation {} with {} sample(s) per pixel",
                geometry.photometric, geometry.samples_per_pixel
            ),
        ));
    }
    let pixels = u64::from(layout.rows) * u64::from(layout.cols);
    if layout.photometric == Photometric::YbrFull422 && pixels % 2 == 1 {
        // Each pair of pixels shares one Cb Cr: an odd count leaves the last
        // pixel without chroma.
        return Err(unsupported(
            path,
            format!(
                "native YBR_FULL_422 with an odd number of pixels per frame ({}×{})",
                layout.rows, layout.cols
            ),
        ));
    }
    let expected = layout.frame_bytes() * u64::from(geometry.frames);
    if actual < expected {
        return Err(ClipError::TruncatedPixelData {
            path: path.to_path_buf(),
            rows: layout.rows,
            cols: layout.cols,
            frames: geometry.frames,
            expected,
            actual,
        });
    }
    Ok(())
}

/// Refuses compressed pixel data without fragments, or too small to hold
/// frames above [`MAX_FRAME_BYTES_UNCHECKED`]: a codec would allocate the
/// declared frame before finding out.
fn check_compressed_size(
    path: &Path,
    geometry: &Geometry,
    compressed: u64,
) -> Result<(), ClipError> {
    if compressed == 0 {
        return Err(ClipError::Malformed {
            path: path.to_path_buf(),
            message: "the compressed pixel data holds no fragments".into(),
        });
    }
    let frame_bytes = u64::from(geometry.rows)
        * u64::from(geometry.cols)
        * u64::from(geometry.samples_per_pixel)
        * u64::from(geometry.bits_allocated.div_ceil(8));
    let decoded = frame_bytes * u64::from(geometry.frames);
    if frame_bytes > MAX_FRAME_BYTES_UNCHECKED
        && decoded > compressed.saturating_mul(MAX_COMPRESSION_RATIO)
    {
        return Err(ClipError::TooLarge {
            path: path.to_path_buf(),
            rows: geometry.rows,
            cols: geometry.cols,
            frames: geometry.frames,
            samples: geometry.samples_per_pixel,
            limit: format!(
                "{MAX_COMPRESSION_RATIO}:1 compression of {compressed} compressed bytes \
                 for frames above {} MiB",
                MAX_FRAME_BYTES_UNCHECKED >> 20
            ),
        });
    }
    Ok(())
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
