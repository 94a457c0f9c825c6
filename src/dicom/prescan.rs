//! A walk over the element stream before the DICOM parser reads it.
//!
//! dicom-parser allocates each value at the length its header declares
//! (`try_reserve_exact` then `resize`), so a 500-byte file declaring a 4 GB
//! element would commit 4 GiB before failing. dicom-object offers no limit, so
//! this walk reads only element headers, skips values, and refuses any declared
//! length that exceeds the bytes left in the file (or in its enclosing item or
//! sequence) and any nesting deeper than [`MAX_NESTING`]. After it, what the
//! parser allocates is bounded by the file's size.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

use super::error::ClipError;

/// Deepest nesting of sequences accepted; real files nest a handful of levels,
/// and a deeper file would overflow the parser's stack.
pub const MAX_NESTING: usize = 64;
/// Largest inflated size accepted for a Deflated Explicit VR data set, so a
/// small "deflate bomb" cannot make the parser hold gigabytes.
pub const MAX_INFLATED_BYTES: u64 = 4 << 30;

const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_DELIMITER: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_DELIMITER: Tag = Tag(0xFFFE, 0xE0DD);
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
const TRANSFER_SYNTAX_UID: Tag = Tag(0x0002, 0x0010);
const META_GROUP_LENGTH: Tag = Tag(0x0002, 0x0000);
const UNDEFINED: u32 = 0xFFFF_FFFF;
/// The preamble and the "DICM" marker.
const META_START: u64 = 132;

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";

/// What the walk learnt about the file, for checks made before pixels are read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Prescan {
    /// The transfer syntax UID of the file meta group, trimmed.
    pub transfer_syntax: String,
    /// The top-level Pixel Data element, if any.
    pub pixel_data: Option<PixelDataExtent>,
}

/// The size of the top-level Pixel Data element, as declared (and checked to fit in the file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PixelDataExtent {
    /// Native pixel data of this many bytes.
    Native { bytes: u64 },
    /// Encapsulated pixel data: the fragments after the Basic Offset Table.
    Encapsulated { fragments: u32, bytes: u64 },
}

/// Walks the element headers of the Part 10 file at `path` (whose preamble and
/// "DICM" marker the caller has checked).
pub(super) fn prescan(path: &Path) -> Result<Prescan, ClipError> {
    let io_error = |source| ClipError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut reader = BufReader::new(file);
    reader
        .seek(io::SeekFrom::Start(META_START))
        .map_err(io_error)?;
    let mut meta = Walker::new(&mut reader, META_START, file_len, Encoding::META, path);
    let transfer_syntax = meta.meta_group()?;
    let data_set_start = meta.pos;
    let encoding = match transfer_syntax.as_str() {
        IMPLICIT_VR_LITTLE_ENDIAN => Encoding {
            explicit: false,
            big_endian: false,
        },
        EXPLICIT_VR_BIG_ENDIAN => Encoding {
            explicit: true,
            big_endian: true,
        },
        _ => Encoding::META,
    };
    let pixel_data = if transfer_syntax == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN {
        let inflated_len = inflated_length(path, data_set_start)?;
        let mut file = File::open(path).map_err(io_error)?;
        file.seek(io::SeekFrom::Start(data_set_start))
            .map_err(io_error)?;
        let mut inflater = Inflated(flate2::read::DeflateDecoder::new(BufReader::new(file)));
        Walker::new(&mut inflater, 0, inflated_len, encoding, path).data_set()?
    } else {
        Walker::new(&mut reader, data_set_start, file_len, encoding, path).data_set()?
    };
    Ok(Prescan {
        transfer_syntax,
        pixel_data,
    })
}

/// The size of the inflated data set, refused above [`MAX_INFLATED_BYTES`].
fn inflated_length(path: &Path, start: u64) -> Result<u64, ClipError> {
    let malformed = |message: String| ClipError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let mut file = File::open(path).map_err(|source| ClipError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    file.seek(io::SeekFrom::Start(start))
        .map_err(|e| malformed(format!("cannot reach the deflated data set: {e}")))?;
    let inflater = flate2::read::DeflateDecoder::new(BufReader::new(file));
    let inflated = io::copy(&mut inflater.take(MAX_INFLATED_BYTES + 1), &mut io::sink())
        .map_err(|e| malformed(format!("the deflated data set cannot be inflated: {e}")))?;
    if inflated > MAX_INFLATED_BYTES {
        return Err(malformed(format!(
            "the deflated data set inflates beyond {} GiB",
            MAX_INFLATED_BYTES >> 30
        )));
    }
    Ok(inflated)
}

/// A byte source whose values can be stepped over.
trait Source: Read {
    fn skip(&mut self, bytes: u64) -> io::Result<()>;
}

impl Source for BufReader<File> {
    fn skip(&mut self, bytes: u64) -> io::Result<()> {
        let bytes = i64::try_from(bytes).map_err(io::Error::other)?;
        self.seek_relative(bytes)
    }
}

/// An inflating reader: skipping means inflating into nothing.
struct Inflated(flate2::read::DeflateDecoder<BufReader<File>>);

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Source for Inflated {
    fn skip(&mut self, bytes: u64) -> io::Result<()> {
        let skipped = io::copy(&mut self.0.by_ref().take(bytes), &mut io::sink())?;
        if skipped < bytes {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Encoding {
    explicit: bool,
    big_endian: bool,
}

impl Encoding {
    /// The file meta group is always Explicit VR Little Endian.
    const META: Encoding = Encoding {
        explicit: true,
        big_endian: false,
    };
}

/// What an open container holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Elements: the top-level data set or a sequence item.
    DataSet,
    /// Items of data sets.
    Sequence,
    /// Items of compressed bytes (encapsulated Pixel Data).
    Fragments,
}

#[derive(Debug, Clone, Copy)]
struct Container {
    kind: Kind,
    /// Where a container of defined length ends; `None` until its delimiter.
    end: Option<u64>,
    /// Whether the elements inside carry explicit VRs (an undefined-length UN
    /// sequence holds implicit-VR items, PS3.5 6.2.2).
    explicit: bool,
    /// The element that opened it, for messages.
    tag: Tag,
}

struct Walker<'a, S: Source> {
    source: &'a mut S,
    pos: u64,
    len: u64,
    encoding: Encoding,
    path: &'a Path,
}

impl<'a, S: Source> Walker<'a, S> {
    fn new(source: &'a mut S, pos: u64, len: u64, encoding: Encoding, path: &'a Path) -> Self {
        Walker {
            source,
            pos,
            len,
            encoding,
            path,
        }
    }

    fn truncated(&self, tag: Option<Tag>, message: String) -> ClipError {
        ClipError::Truncated {
            path: self.path.to_path_buf(),
            element: tag.map_or_else(|| "the data set".to_string(), |t| t.to_string()),
            message,
        }
    }

    fn malformed(&self, message: String) -> ClipError {
        ClipError::Malformed {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn bytes<const N: usize>(&mut self, tag: Option<Tag>) -> Result<[u8; N], ClipError> {
        let mut buf = [0u8; N];
        if self.len - self.pos < N as u64 {
            return Err(self.truncated(
                tag,
                format!(
                    "the file ends inside an element header at byte {}",
                    self.pos
                ),
            ));
        }
        self.source
            .read_exact(&mut buf)
            .map_err(|e| self.truncated(tag, format!("cannot read byte {}: {e}", self.pos)))?;
        self.pos += N as u64;
        Ok(buf)
    }

    fn u16(&mut self, tag: Option<Tag>) -> Result<u16, ClipError> {
        let b = self.bytes::<2>(tag)?;
        Ok(if self.encoding.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self, tag: Option<Tag>) -> Result<u32, ClipError> {
        let b = self.bytes::<4>(tag)?;
        Ok(if self.encoding.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn tag(&mut self) -> Result<Tag, ClipError> {
        let group = self.u16(None)?;
        let element = self.u16(None)?;
        Ok(Tag(group, element))
    }

    /// Checks that a value of `length` bytes fits before `limit` (the end of
    /// the file or of the enclosing container).
    fn check_fits(&self, tag: Tag, length: u32, limit: u64) -> Result<(), ClipError> {
        let available = limit.saturating_sub(self.pos);
        if u64::from(length) > available {
            return Err(self.truncated(
                Some(tag),
                format!(
                    "element {tag} declares {length} bytes but only {available} remain{}",
                    if limit < self.len {
                        " in its enclosing item"
                    } else {
                        " in the file"
                    }
                ),
            ));
        }
        Ok(())
    }

    fn skip(&mut self, tag: Tag, length: u32) -> Result<(), ClipError> {
        self.source
            .skip(u64::from(length))
            .map_err(|e| self.truncated(Some(tag), format!("cannot skip its value: {e}")))?;
        self.pos += u64::from(length);
        Ok(())
    }

    /// An element header: `(tag, VR if explicit, length)`.
    fn header(&mut self, explicit: bool) -> Result<(Tag, Option<VR>, u32), ClipError> {
        let tag = self.tag()?;
        if tag.group() == 0xFFFE || !explicit {
            let length = self.u32(Some(tag))?;
            return Ok((tag, None, length));
        }
        let code = self.bytes::<2>(Some(tag))?;
        // As dicom-encoding does: an unknown VR is read as UN.
        let vr = VR::from_binary(code).unwrap_or(VR::UN);
        let length = if has_short_length(vr) {
            u32::from(self.u16(Some(tag))?)
        } else {
            self.bytes::<2>(Some(tag))?;
            self.u32(Some(tag))?
        };
        Ok((tag, Some(vr), length))
    }

    /// Walks the file meta group, which (as dicom-object requires) starts with
    /// its group length; returns the transfer syntax UID.
    fn meta_group(&mut self) -> Result<String, ClipError> {
        let (tag, _, length) = self.header(true)?;
        if tag != META_GROUP_LENGTH || length != 4 {
            return Err(self.malformed(format!(
                "the file meta group starts with {tag} instead of its group length"
            )));
        }
        let group_length = self.u32(Some(tag))?;
        let end = self.pos + u64::from(group_length);
        if end > self.len {
            return Err(self.truncated(
                Some(tag),
                format!("the file meta group declares {group_length} bytes"),
            ));
        }
        let mut transfer_syntax = None;
        while self.pos < end {
            let (tag, _, length) = self.header(true)?;
            if tag.group() != 0x0002 || length == UNDEFINED {
                return Err(self.malformed(format!(
                    "element {tag} inside the file meta group is not a meta element of defined length"
                )));
            }
            // As dicom-object does, the last element may overshoot the declared
            // group length (writers forget to update it); it must fit in the file.
            self.check_fits(tag, length, self.len)?;
            if tag == TRANSFER_SYNTAX_UID {
                let mut value = vec![0u8; length as usize];
                self.source
                    .read_exact(&mut value)
                    .map_err(|e| self.truncated(Some(tag), e.to_string()))?;
                self.pos += u64::from(length);
                let uid = String::from_utf8_lossy(&value)
                    .trim_matches(|c: char| c.is_whitespace() || c == '\0')
                    .to_string();
                transfer_syntax = Some(uid);
            } else {
                self.skip(tag, length)?;
            }
        }
        transfer_syntax
            .ok_or_else(|| self.malformed("the file meta group has no Transfer Syntax UID".into()))
    }

    /// Walks the data set to its end; returns the top-level Pixel Data extent.
    fn data_set(&mut self) -> Result<Option<PixelDataExtent>, ClipError> {
        let mut stack = vec![Container {
            kind: Kind::DataSet,
            end: None,
            explicit: self.encoding.explicit,
            tag: Tag(0, 0),
        }];
        let mut pixel_data = None;
        loop {
            while let Some(top) = stack.last() {
                match top.end {
                    Some(end) if self.pos >= end && stack.len() > 1 => {
                        stack.pop();
                    }
                    _ => break,
                }
            }
            if self.pos >= self.len {
                // Unclosed undefined-length containers at the end of the file
                // are left to the parser, which tolerates some of them.
                return Ok(pixel_data);
            }
            if stack.len() > MAX_NESTING {
                return Err(
                    self.malformed(format!("sequences nest deeper than {MAX_NESTING} levels"))
                );
            }
            let top = *stack
                .last()
                .expect("the top-level data set is never popped");
            // The nearest defined end among the open containers bounds every value.
            let limit = stack
                .iter()
                .filter_map(|c| c.end)
                .min()
                .unwrap_or(self.len)
                .min(self.len);
            let (tag, vr, length) = self.header(top.explicit)?;
            match (top.kind, tag) {
                (Kind::Sequence | Kind::Fragments, SEQUENCE_DELIMITER)
                | (Kind::DataSet, ITEM_DELIMITER)
                    if stack.len() > 1 =>
                {
                    stack.pop();
                }
                (Kind::Sequence, ITEM) => {
                    let end = if length == UNDEFINED {
                        None
                    } else {
                        self.check_fits(tag, length, limit)?;
                        Some(self.pos + u64::from(length))
                    };
                    stack.push(Container {
                        kind: Kind::DataSet,
                        end,
                        explicit: top.explicit,
                        tag,
                    });
                }
                (Kind::Fragments, ITEM) => {
                    if length == UNDEFINED {
                        return Err(
                            self.malformed("a pixel data fragment has an undefined length".into())
                        );
                    }
                    self.check_fits(tag, length, limit)?;
                    self.skip(tag, length)?;
                    if stack.len() == 2
                        && let Some(PixelDataExtent::Encapsulated { fragments, bytes }) =
                            &mut pixel_data
                    {
                        // The first item is the Basic Offset Table.
                        if *fragments == u32::MAX {
                            *fragments = 0;
                        } else {
                            *fragments += 1;
                            *bytes += u64::from(length);
                        }
                    }
                }
                (Kind::Sequence | Kind::Fragments, _) => {
                    return Err(self.malformed(format!(
                        "element {tag} appears where only items may be (inside {})",
                        top.tag
                    )));
                }
                (Kind::DataSet, _) if tag.group() == 0xFFFE => {
                    return Err(self.malformed(format!("unexpected delimiter {tag}")));
                }
                (Kind::DataSet, _) => {
                    let top_level = stack.len() == 1;
                    let sequence = vr == Some(VR::SQ)
                        || (vr.is_none() && (length == UNDEFINED || is_sequence(tag)));
                    if length == UNDEFINED && tag == PIXEL_DATA {
                        if top_level {
                            // Marked so the first item counts as the offset table.
                            pixel_data = Some(PixelDataExtent::Encapsulated {
                                fragments: u32::MAX,
                                bytes: 0,
                            });
                        }
                        stack.push(Container {
                            kind: Kind::Fragments,
                            end: None,
                            explicit: top.explicit,
                            tag,
                        });
                    } else if sequence || (vr == Some(VR::UN) && length == UNDEFINED) {
                        let end = if length == UNDEFINED {
                            None
                        } else {
                            self.check_fits(tag, length, limit)?;
                            Some(self.pos + u64::from(length))
                        };
                        stack.push(Container {
                            kind: Kind::Sequence,
                            end,
                            explicit: top.explicit && vr != Some(VR::UN),
                            tag,
                        });
                    } else if length == UNDEFINED {
                        return Err(self.malformed(format!(
                            "element {tag} has an undefined length but is not a sequence"
                        )));
                    } else {
                        self.check_fits(tag, length, limit)?;
                        if top_level && tag == PIXEL_DATA {
                            pixel_data = Some(PixelDataExtent::Native {
                                bytes: u64::from(length),
                            });
                        }
                        self.skip(tag, length)?;
                    }
                }
            }
            if let Some(PixelDataExtent::Encapsulated { fragments, .. }) = &mut pixel_data
                && *fragments == u32::MAX
                && stack.last().is_some_and(|c| c.kind != Kind::Fragments)
            {
                // The sequence closed before any item.
                *fragments = 0;
            }
        }
    }
}

/// VRs whose explicit length field is 16 bits (PS3.5 7.1.2).
fn has_short_length(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::AT
            | VR::CS
            | VR::DA
            | VR::DS
            | VR::DT
            | VR::FL
            | VR::FD
            | VR::IS
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::SL
            | VR::SS
            | VR::ST
            | VR::TM
            | VR::UI
            | VR::UL
            | VR::US
    )
}

/// Whether the dictionary knows `tag` as a sequence (for implicit VR).
fn is_sequence(tag: Tag) -> bool {
    StandardDataDictionary
        .by_tag(tag)
        .is_some_and(|entry| entry.vr() == VirtualVr::Exact(VR::SQ))
}
