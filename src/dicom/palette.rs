//! PALETTE COLOR lookup tables (PS3.3 C.7.6.3.1.5), which dicom-pixeldata leaves
//! to the caller: a stored index is mapped through three 8- or 16-bit tables,
//! stored whole or segmented (C.7.9.2).

use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, Tag};

/// A palette reduced to 8 bits per channel, ready for display.
#[derive(Debug, Clone)]
pub struct Palette {
    /// Stored value that maps to the first entry; values below clamp to it.
    first_mapped: i64,
    /// `[r, g, b]` per entry.
    entries: Vec<[u8; 3]>,
}

/// Why a palette could not be read; the caller adds the file name.
pub(super) enum PaletteProblem {
    Missing(&'static str),
    /// Segmented table data that cannot be expanded (corrupt or hostile).
    BadSegments(String),
}

/// One colour channel's tags and name.
struct ChannelTags {
    descriptor: Tag,
    data: Tag,
    segmented: Tag,
    name: &'static str,
}

const CHANNELS: [ChannelTags; 3] = [
    ChannelTags {
        descriptor: tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        data: tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        segmented: tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        name: "Red Palette Color Lookup Table",
    },
    ChannelTags {
        descriptor: tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        data: tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        segmented: tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        name: "Green Palette Color Lookup Table",
    },
    ChannelTags {
        descriptor: tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
        data: tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        segmented: tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        name: "Blue Palette Color Lookup Table",
    },
];

/// Most entries a table can have (the count is stored in 16 bits).
const MAX_ENTRIES: usize = 65_536;
/// Most segments (indirect ones counted for each segment they repeat) that
/// one segmented table may take to expand.
const SEGMENT_BUDGET: usize = 4 * MAX_ENTRIES;

impl Palette {
    pub(super) fn from_object(obj: &InMemDicomObject) -> Result<Self, PaletteProblem> {
        let [red, green, blue] = CHANNELS.map(|tags| channel(obj, &tags));
        let (red, green, blue) = (red?, green?, blue?);
        let len = red.1.len().min(green.1.len()).min(blue.1.len());
        if len == 0 {
            return Err(PaletteProblem::Missing("Palette Color Lookup Table Data"));
        }
        let entries = (0..len)
            .map(|i| [red.1[i], green.1[i], blue.1[i]])
            .collect();
        Ok(Self {
            first_mapped: red.0,
            entries,
        })
    }

    /// The display colour of a stored pixel value.
    pub fn color(&self, stored: i64) -> [u8; 3] {
        let last = self.entries.len() as i64 - 1;
        let index = (stored - self.first_mapped).clamp(0, last);
        self.entries[index as usize]
    }
}

/// One channel: `(first mapped value, entries scaled to 8 bits)`, from plain
/// or segmented table data.
fn channel(obj: &InMemDicomObject, tags: &ChannelTags) -> Result<(i64, Vec<u8>), PaletteProblem> {
    let descriptor = obj
        .element_opt(tags.descriptor)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_int::<i64>().ok())
        .filter(|d| d.len() == 3)
        .ok_or(PaletteProblem::Missing(tags.name))?;
    // An entry count of 0 means 65536 entries (the count is stored in 16 bits).
    let count = match descriptor[0] {
        0 => MAX_ENTRIES,
        n => (n.unsigned_abs() as usize).min(MAX_ENTRIES),
    };
    let bits = descriptor[2];
    let bytes = |tag| {
        obj.element_opt(tag)
            .ok()
            .flatten()
            .and_then(|e| e.to_bytes().ok())
    };
    let to_8_bit = |value: u16| {
        if bits <= 8 {
            value.min(255) as u8
        } else {
            (value >> 8) as u8
        }
    };
    if let Some(segmented) = bytes(tags.segmented) {
        // 8-bit tables are expanded from a byte stream and 16-bit ones from
        // words, as pydicom and GDCM read them.
        let values: Vec<u16> = if bits <= 8 {
            segmented.iter().map(|b| u16::from(*b)).collect()
        } else {
            segmented
                .chunks_exact(2)
                .map(|w| u16::from_le_bytes([w[0], w[1]]))
                .collect()
        };
        let expanded = expand_segments(&values, bits <= 8)
            .map_err(|message| PaletteProblem::BadSegments(format!("{}: {message}", tags.name)))?;
        let entries = expanded.into_iter().take(count).map(to_8_bit).collect();
        return Ok((descriptor[1], entries));
    }
    let bytes = bytes(tags.data).ok_or(PaletteProblem::Missing(tags.name))?;
    // 8-bit tables are sometimes packed one entry per byte, sometimes one per word.
    let entries: Vec<u8> = if bits <= 8 && bytes.len() < 2 * count {
        bytes.iter().take(count).copied().collect()
    } else {
        bytes
            .chunks_exact(2)
            .take(count)
            .map(|w| to_8_bit(u16::from_le_bytes([w[0], w[1]])))
            .collect()
    };
    Ok((descriptor[1], entries))
}

/// Expands Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2): discrete
/// (opcode 0), linear (1) and indirect (2) segments, to at most [`MAX_ENTRIES`].
fn expand_segments(data: &[u16], eight_bit: bool) -> Result<Vec<u16>, String> {
    let mut lut = Vec::new();
    let mut at = 0;
    let mut budget = SEGMENT_BUDGET;
    // A lone trailing value is padding to an even length.
    while at + 1 < data.len() {
        segment(data, &mut at, &mut lut, eight_bit, false, &mut budget)?;
    }
    Ok(lut)
}

/// Expands the segment at `data[*at..]` onto `lut` and moves `at` past it.
/// `copied` is true inside an indirect segment, which may not nest.
fn segment(
    data: &[u16],
    at: &mut usize,
    lut: &mut Vec<u16>,
    eight_bit: bool,
    copied: bool,
    budget: &mut usize,
) -> Result<(), String> {
    // Segments that add nothing (length 0, or indirect ones repeating such
    // runs) would otherwise let a small table cost billions of steps.
    *budget = budget
        .checked_sub(1)
        .ok_or_else(|| format!("the table takes more than {} segments", SEGMENT_BUDGET))?;
    let word = |i: usize| {
        data.get(i)
            .copied()
            .ok_or_else(|| format!("a segment at entry {i} runs past the data"))
    };
    let (opcode, length) = (word(*at)?, usize::from(word(*at + 1)?));
    *at += 2;
    if opcode < 2 && lut.len() + length > MAX_ENTRIES {
        return Err(format!("the table expands beyond {MAX_ENTRIES} entries"));
    }
    match opcode {
        0 => {
            let values = data.get(*at..*at + length).ok_or_else(|| {
                format!("a discrete segment of {length} entries runs past the data")
            })?;
            lut.extend_from_slice(values);
            *at += length;
        }
        1 => {
            let y0 = *lut
                .last()
                .ok_or_else(|| "the first segment is linear".to_string())?;
            let y1 = word(*at)?;
            *at += 1;
            extend_linear(lut, y0, y1, length);
        }
        2 if copied => return Err("an indirect segment points to another indirect one".into()),
        2 => {
            if lut.is_empty() {
                return Err("the first segment is indirect".into());
            }
            // The 32-bit offset, low half first. The standard calls it a byte
            // offset; pydicom and GDCM, which wrote and read the files met in
            // practice, take it as an index into the segment data: so do we.
            let target = if eight_bit {
                let b = [word(*at)?, word(*at + 1)?, word(*at + 2)?, word(*at + 3)?];
                *at += 4;
                b.iter()
                    .rev()
                    .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte))
            } else {
                let (low, high) = (word(*at)?, word(*at + 1)?);
                *at += 2;
                (usize::from(high) << 16) | usize::from(low)
            };
            let mut source = target;
            for _ in 0..length {
                segment(data, &mut source, lut, eight_bit, true, budget)?;
            }
        }
        other => return Err(format!("unknown segment opcode {other}")),
    }
    Ok(())
}

/// Appends a linear segment from `y0` (the previous entry, excluded) to `y1`
/// over `n` entries, computed as numpy's `around(linspace(y0 + step, y1, n))`
/// (pydicom's expansion), so both give identical tables.
fn extend_linear(lut: &mut Vec<u16>, y0: u16, y1: u16, n: usize) {
    if y0 == y1 || n == 0 {
        lut.extend(std::iter::repeat_n(y1, n));
        return;
    }
    let step = (f64::from(y1) - f64::from(y0)) / n as f64;
    let start = f64::from(y0) + step;
    let stop = f64::from(y1);
    let spacing = if n > 1 {
        (stop - start) / (n - 1) as f64
    } else {
        0.0
    };
    lut.extend((0..n).map(|i| {
        let value = if i + 1 == n && n > 1 {
            stop
        } else {
            i as f64 * spacing + start
        };
        value.round_ties_even().clamp(0.0, 65_535.0) as u16
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indirect_segments_repeating_empty_runs_stop_at_the_budget() {
        // One entry, 65 536 empty discrete segments, then indirect segments
        // that each repeat 65 535 of them: billions of steps for a 1 MB table.
        let mut data: Vec<u16> = vec![0, 1, 7];
        data.extend(std::iter::repeat_n([0u16, 0], 65_536).flatten());
        for _ in 0..60_000 {
            data.extend([2, 65_535, 3, 0]);
        }
        let error = expand_segments(&data, false).unwrap_err();
        assert!(error.contains("segments"), "{error}");
    }

    #[test]
    fn discrete_linear_and_indirect_segments_expand() {
        // Discrete [0, 10], linear to 40 over 3 entries, then a copy of the
        // first (discrete) segment.
        let data = [0, 2, 0, 10, 1, 3, 40, 2, 1, 0, 0];
        assert_eq!(
            expand_segments(&data, false).unwrap(),
            vec![0, 10, 20, 30, 40, 0, 10]
        );
    }

    #[test]
    fn hostile_segments_are_refused() {
        // Linear first, an indirect copying itself, a discrete past the end.
        assert!(expand_segments(&[1, 4, 9], false).is_err());
        assert!(expand_segments(&[0, 1, 5, 2, 1, 3, 0], false).is_err());
        assert!(expand_segments(&[0, 9, 1, 2], false).is_err());
        // 65535 copies of a 65535-entry segment stop at the entry limit.
        let mut data = vec![1u16; 65_537];
        data[0] = 0;
        data[1] = 65_535;
        data.extend([2, 65_535, 0, 0]);
        assert!(expand_segments(&data, false).is_err());
    }
}
