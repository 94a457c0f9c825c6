//! Conversion of one decoded frame's stored samples into what is displayed:
//! 8-bit RGB for the viewer and 8-bit grayscale for the models.

use super::palette::Palette;

/// A displayable frame: RGB, 8 bits per channel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// `width × height × 3` bytes.
    pub rgb: Vec<u8>,
}

impl Frame {
    /// Luma `0.299 R + 0.587 G + 0.114 B`, rounded: the view the models see.
    pub fn gray(&self) -> Vec<u8> {
        self.rgb
            .chunks_exact(3)
            .map(|p| {
                let y = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
                y.round().clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    /// The frame as an `image` buffer, e.g. to write a PNG.
    pub fn to_rgb_image(&self) -> image::RgbImage {
        image::RgbImage::from_raw(self.width, self.height, self.rgb.clone())
            .expect("a Frame's buffer always holds width × height × 3 bytes")
    }
}

/// The colour model of stored samples, after any codec has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Photometric {
    Monochrome1,
    Monochrome2,
    PaletteColor,
    Rgb,
    YbrFull,
    /// Horizontally subsampled chroma: `Y0 Y1 Cb Cr` for each pair of pixels.
    YbrFull422,
}

impl Photometric {
    /// Parses the DICOM code string; `None` for models we cannot display.
    pub fn parse(code: &str) -> Option<Self> {
        Some(
            match code.trim_matches(|c: char| c.is_whitespace() || c == '\0') {
                "MONOCHROME1" => Self::Monochrome1,
                "MONOCHROME2" => Self::Monochrome2,
                "PALETTE COLOR" => Self::PaletteColor,
                "RGB" => Self::Rgb,
                "YBR_FULL" => Self::YbrFull,
                "YBR_FULL_422" => Self::YbrFull422,
                _ => return None,
            },
        )
    }

    /// Samples per pixel the model has, as Samples per Pixel (0028,0002) must say.
    pub fn samples_per_pixel(self) -> u16 {
        match self {
            Self::Monochrome1 | Self::Monochrome2 | Self::PaletteColor => 1,
            Self::Rgb | Self::YbrFull | Self::YbrFull422 => 3,
        }
    }
}

/// How the stored samples of one frame are laid out.
#[derive(Debug, Clone)]
pub struct SampleLayout {
    pub rows: u32,
    pub cols: u32,
    pub photometric: Photometric,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    /// Planar Configuration 1: all red samples, then all green, then all blue.
    pub planar: bool,
}

/// How grayscale values above 8 bits are brought to the display range.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrayMapping {
    pub rescale_slope: f64,
    pub rescale_intercept: f64,
    /// VOI window `(center, width)` from the file.
    pub window: Option<(f64, f64)>,
    /// Without a window: the clip's value range `(min, max)`, so that all
    /// frames share one scale; without either each frame is stretched alone.
    pub range: Option<(f64, f64)>,
}

impl SampleLayout {
    /// Bytes one frame occupies in native (uncompressed) form. 4:2:2 stores
    /// `Y0 Y1 Cb Cr` per pair of pixels, a lone last pixel taking a whole pair,
    /// so that [`Self::to_frame`] never reads past a frame this long.
    pub fn frame_bytes(&self) -> u64 {
        let pixels = u64::from(self.rows) * u64::from(self.cols);
        let bytes_per_sample = u64::from(self.bits_allocated.div_ceil(8));
        let samples = match self.photometric {
            Photometric::YbrFull422 => pixels.div_ceil(2) * 4,
            other => pixels * u64::from(other.samples_per_pixel()),
        };
        samples * bytes_per_sample
    }

    /// Stored sample `i` of `data`, sign-extended and masked to Bits Stored.
    fn sample(&self, data: &[u8], i: usize) -> i64 {
        let raw = if self.bits_allocated <= 8 {
            u32::from(data[i])
        } else {
            u32::from(u16::from_le_bytes([data[2 * i], data[2 * i + 1]]))
        };
        let bits = u32::from(self.bits_stored.clamp(1, 16));
        let masked = raw & ((1u32 << bits) - 1);
        if self.signed && masked & (1 << (bits - 1)) != 0 {
            i64::from(masked) - (1i64 << bits)
        } else {
            i64::from(masked)
        }
    }

    /// Converts one frame of stored samples (at least [`Self::frame_bytes`] long).
    pub fn to_frame(&self, data: &[u8], palette: Option<&Palette>, gray: &GrayMapping) -> Frame {
        let pixels = self.rows as usize * self.cols as usize;
        let mut rgb = Vec::with_capacity(pixels * 3);
        match self.photometric {
            Photometric::Monochrome1 | Photometric::Monochrome2 => {
                let invert = self.photometric == Photometric::Monochrome1;
                for value in self.gray_levels(data, pixels, gray) {
                    let v = if invert { 255 - value } else { value };
                    rgb.extend_from_slice(&[v, v, v]);
                }
            }
            Photometric::PaletteColor => {
                for i in 0..pixels {
                    let stored = self.sample(data, i);
                    let color = palette.map_or([0; 3], |p| p.color(stored));
                    rgb.extend_from_slice(&color);
                }
            }
            Photometric::Rgb | Photometric::YbrFull => {
                let shift = self.bits_stored.saturating_sub(8);
                for i in 0..pixels {
                    let channel = |c: usize| {
                        let index = if self.planar {
                            c * pixels + i
                        } else {
                            3 * i + c
                        };
                        (self.sample(data, index).max(0) >> shift).min(255) as u8
                    };
                    let (a, b, c) = (channel(0), channel(1), channel(2));
                    if self.photometric == Photometric::YbrFull {
                        rgb.extend_from_slice(&ybr_to_rgb(a, b, c));
                    } else {
                        rgb.extend_from_slice(&[a, b, c]);
                    }
                }
            }
            Photometric::YbrFull422 => {
                let shift = self.bits_stored.saturating_sub(8);
                let value = |i: usize| (self.sample(data, i).max(0) >> shift).min(255) as u8;
                for i in 0..pixels {
                    let pair = i / 2;
                    let y = value(4 * pair + i % 2);
                    let (cb, cr) = (value(4 * pair + 2), value(4 * pair + 3));
                    rgb.extend_from_slice(&ybr_to_rgb(y, cb, cr));
                }
            }
        }
        Frame {
            width: self.cols,
            height: self.rows,
            rgb,
        }
    }

    /// Whether displaying this grayscale layout needs the clip's value range:
    /// more than 8 bits (or rescaled values) and no VOI window.
    pub fn needs_range(&self, mapping: &GrayMapping) -> bool {
        matches!(
            self.photometric,
            Photometric::Monochrome1 | Photometric::Monochrome2
        ) && !self.is_plain_8_bit(mapping)
            && mapping.window.is_none()
    }

    /// Smallest and largest (rescaled) value of one grayscale frame.
    pub fn value_range(&self, data: &[u8], mapping: &GrayMapping) -> (f64, f64) {
        let pixels = self.rows as usize * self.cols as usize;
        (0..pixels)
            .map(|i| {
                self.sample(data, i) as f64 * mapping.rescale_slope + mapping.rescale_intercept
            })
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    }

    fn is_plain_8_bit(&self, mapping: &GrayMapping) -> bool {
        self.bits_stored <= 8
            && !self.signed
            && mapping.rescale_slope == 1.0
            && mapping.rescale_intercept == 0.0
    }

    /// 8-bit levels of a grayscale frame (before MONOCHROME1 inversion).
    fn gray_levels(&self, data: &[u8], pixels: usize, mapping: &GrayMapping) -> Vec<u8> {
        if self.is_plain_8_bit(mapping) {
            let max = f64::from((1u32 << self.bits_stored.max(1)) - 1);
            return (0..pixels)
                .map(|i| (self.sample(data, i) as f64 * 255.0 / max).round() as u8)
                .collect();
        }
        let values: Vec<f64> = (0..pixels)
            .map(|i| {
                self.sample(data, i) as f64 * mapping.rescale_slope + mapping.rescale_intercept
            })
            .collect();
        let (low, high) = match mapping.window {
            // Linear VOI function of PS3.3 C.11.2.1.2.1.
            Some((center, width)) if width >= 1.0 => (
                center - 0.5 - (width - 1.0) / 2.0,
                center - 0.5 + (width - 1.0) / 2.0,
            ),
            _ => mapping
                .range
                .unwrap_or_else(|| self.value_range(data, mapping)),
        };
        let span = (high - low).max(f64::EPSILON);
        values
            .iter()
            .map(|v| ((v - low) / span * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect()
    }
}

/// Full-range YCbCr (ITU-R BT.601) to RGB, as PS3.3 C.7.6.3.1.2 defines YBR_FULL.
fn ybr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [
        clamp(y + 1.402 * cr),
        clamp(y - 0.344_136 * cb - 0.714_136 * cr),
        clamp(y + 1.772 * cb),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(photometric: Photometric, bits: u16) -> SampleLayout {
        SampleLayout {
            rows: 1,
            cols: 2,
            photometric,
            bits_allocated: bits,
            bits_stored: bits,
            signed: false,
            planar: false,
        }
    }

    #[test]
    fn monochrome1_is_inverted() {
        let frame = layout(Photometric::Monochrome1, 8).to_frame(&[0, 200], None, &plain());
        assert_eq!(frame.rgb, vec![255, 255, 255, 55, 55, 55]);
    }

    #[test]
    fn sixteen_bit_gray_is_stretched_min_to_max() {
        let data = [10u16, 410]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>();
        let frame = layout(Photometric::Monochrome2, 16).to_frame(&data, None, &plain());
        assert_eq!(frame.gray(), vec![0, 255]);
    }

    #[test]
    fn planar_rgb_is_interleaved() {
        let mut l = layout(Photometric::Rgb, 8);
        l.planar = true;
        let frame = l.to_frame(&[1, 2, 3, 4, 5, 6], None, &plain());
        assert_eq!(frame.rgb, vec![1, 3, 5, 2, 4, 6]);
    }

    #[test]
    fn ybr_422_pairs_share_chroma() {
        // Two gray pixels: chroma at the neutral 128.
        let frame =
            layout(Photometric::YbrFull422, 8).to_frame(&[50, 150, 128, 128], None, &plain());
        assert_eq!(frame.rgb, vec![50, 50, 50, 150, 150, 150]);
    }

    #[test]
    fn ybr_red_converts_to_red() {
        // Pure red in BT.601 full range: Y 76, Cb 85, Cr 255.
        assert_eq!(ybr_to_rgb(76, 85, 255), [254, 0, 0]);
    }

    fn plain() -> GrayMapping {
        GrayMapping {
            rescale_slope: 1.0,
            rescale_intercept: 0.0,
            window: None,
            range: None,
        }
    }
}
