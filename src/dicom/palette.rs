//! PALETTE COLOR lookup tables (PS3.3 C.7.6.3.1.5), which dicom-pixeldata leaves
//! to the caller: a stored index is mapped through three 8- or 16-bit tables.

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
    Segmented,
}

impl Palette {
    pub(super) fn from_object(obj: &InMemDicomObject) -> Result<Self, PaletteProblem> {
        if obj
            .element_opt(tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)
            .ok()
            .flatten()
            .is_some()
        {
            return Err(PaletteProblem::Segmented);
        }
        let red = channel(
            obj,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Red Palette Color Lookup Table",
        )?;
        let green = channel(
            obj,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Green Palette Color Lookup Table",
        )?;
        let blue = channel(
            obj,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Blue Palette Color Lookup Table",
        )?;
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

/// One channel: `(first mapped value, entries scaled to 8 bits)`.
fn channel(
    obj: &InMemDicomObject,
    descriptor_tag: Tag,
    data_tag: Tag,
    name: &'static str,
) -> Result<(i64, Vec<u8>), PaletteProblem> {
    let descriptor = obj
        .element_opt(descriptor_tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_int::<i64>().ok())
        .filter(|d| d.len() == 3)
        .ok_or(PaletteProblem::Missing(name))?;
    // An entry count of 0 means 65536 entries (the count is stored in 16 bits).
    let count = match descriptor[0] {
        0 => 65_536,
        n => n.unsigned_abs() as usize,
    };
    let bits = descriptor[2];
    let bytes = obj
        .element_opt(data_tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_bytes().ok())
        .ok_or(PaletteProblem::Missing(name))?;
    // 8-bit tables are sometimes packed one entry per byte, sometimes one per word.
    let entries: Vec<u8> = if bits <= 8 && bytes.len() < 2 * count {
        bytes.iter().take(count).copied().collect()
    } else {
        bytes
            .chunks_exact(2)
            .take(count)
            .map(|w| {
                let word = u16::from_le_bytes([w[0], w[1]]);
                if bits <= 8 {
                    word.min(255) as u8
                } else {
                    (word >> 8) as u8
                }
            })
            .collect()
    };
    Ok((descriptor[1], entries))
}
