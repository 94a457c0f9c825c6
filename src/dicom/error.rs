//! Errors raised while reading a DICOM clip. Every variant names the file, so a
//! message can be shown to a user or logged by a batch job as it is.

use std::path::PathBuf;

/// Why a DICOM file could not be read or one of its frames decoded.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a DICOM file (no \"DICM\" marker after the 128-byte preamble)", path.display())]
    NotDicom { path: PathBuf },
    #[error("{}: the file is truncated: it ends inside element {element} ({message})", path.display())]
    Truncated {
        path: PathBuf,
        element: String,
        message: String,
    },
    #[error("{}: the DICOM data cannot be parsed ({message}); the file may be truncated or corrupt", path.display())]
    Malformed { path: PathBuf, message: String },
    #[error("{}: the file holds no image (no Pixel Data element)", path.display())]
    NoPixelData { path: PathBuf },
    #[error("{}: the file declares zero frames", path.display())]
    ZeroFrames { path: PathBuf },
    #[error("{}: attribute {attribute} is missing or invalid", path.display())]
    MissingAttribute {
        path: PathBuf,
        attribute: &'static str,
    },
    #[error(
        "{}: implausible image size {rows}×{cols}, {frames} frame(s), {samples} sample(s) per pixel; refusing to decode more than {limit}",
        path.display()
    )]
    TooLarge {
        path: PathBuf,
        rows: u32,
        cols: u32,
        frames: u32,
        samples: u16,
        limit: String,
    },
    #[error(
        "{}: pixel data is truncated: {actual} bytes where {frames} frame(s) of {rows}×{cols} need {expected}",
        path.display()
    )]
    TruncatedPixelData {
        path: PathBuf,
        rows: u32,
        cols: u32,
        frames: u32,
        expected: u64,
        actual: u64,
    },
    #[error("{}: transfer syntax {name} ({uid}) cannot be decoded by this build", path.display())]
    UnsupportedTransferSyntax {
        path: PathBuf,
        uid: String,
        name: String,
    },
    #[error("{}: {what} is not supported", path.display())]
    Unsupported { path: PathBuf, what: String },
    #[error("{}: frame {frame} cannot be decoded: {message}", path.display())]
    Decode {
        path: PathBuf,
        frame: u32,
        message: String,
    },
    #[error("{}: frame {frame} does not exist (the clip has {frames} frame(s))", path.display())]
    FrameOutOfRange {
        path: PathBuf,
        frame: u32,
        frames: u32,
    },
}

impl ClipError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            ClipError::Io { path, .. }
            | ClipError::Empty { path }
            | ClipError::NotDicom { path }
            | ClipError::Truncated { path, .. }
            | ClipError::Malformed { path, .. }
            | ClipError::NoPixelData { path }
            | ClipError::ZeroFrames { path }
            | ClipError::MissingAttribute { path, .. }
            | ClipError::TooLarge { path, .. }
            | ClipError::TruncatedPixelData { path, .. }
            | ClipError::UnsupportedTransferSyntax { path, .. }
            | ClipError::Unsupported { path, .. }
            | ClipError::Decode { path, .. }
            | ClipError::FrameOutOfRange { path, .. } => path,
        }
    }
}
