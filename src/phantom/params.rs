//! The random parameters of one phantom clip: anatomy, motion, timing and image
//! appearance all vary between clips, so a model trained on some must generalise.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// Everything that defines one synthetic clip. Lengths are in pixels, angles in degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhantomParams {
    pub rows: u32,
    pub cols: u32,
    pub frames: u32,
    pub frame_time_ms: f64,
    pub heart_rate_bpm: f64,
    /// Fraction of the cardiac cycle spent in systole (ED → ES).
    pub systole_fraction: f64,
    /// Cardiac phase at frame 0, in cycles (0 = end-diastole).
    pub phase_at_first_frame: f64,
    pub mm_per_pixel: f64,
    /// Sector apex (transducer) position, x and y.
    pub sector_apex: (f64, f64),
    pub sector_half_angle_deg: f64,
    pub sector_depth: f64,
    /// Epicardial apex of the left ventricle.
    pub lv_apex: (f64, f64),
    /// Angle of the LV long axis from the image vertical (positive: base to the right).
    pub lv_tilt_deg: f64,
    /// End-diastolic cavity length (endocardial apex to mitral plane) and half-width.
    pub lv_length: f64,
    pub lv_half_width: f64,
    /// Cavity shape exponent: 2 is a half ellipse, larger is blunter.
    pub lv_shape_exponent: f64,
    /// Fractional shortening at end-systole, along and across the long axis.
    pub longitudinal_shortening: f64,
    pub radial_shortening: f64,
    /// End-diastolic wall thickness (grows in systole).
    pub wall_thickness: f64,
    /// Amplitude and phase of the endocardial border's ripple (trabeculation).
    pub endocardial_ripple: f64,
    pub ripple_phase: f64,
    /// Left atrium length and half-width at end-diastole (it fills during systole).
    pub la_length: f64,
    pub la_half_width: f64,
    /// Mean backscatter of blood, myocardium, surrounding tissue and pericardium.
    pub blood_echo: f64,
    pub myocardium_echo: f64,
    pub tissue_echo: f64,
    pub pericardium_echo: f64,
    /// Speckle size: point-spread sigma across and along the beam.
    pub psf_lateral: f64,
    pub psf_axial: f64,
    /// Frame-to-frame correlation of the speckle pattern.
    pub speckle_correlation: f64,
    /// Thermal noise amplitude relative to myocardium.
    pub noise_floor: f64,
    /// Near-field clutter strength (haze at the top of the sector).
    pub clutter: f64,
    /// Residual depth attenuation after time-gain compensation, in dB over the depth.
    pub attenuation_db: f64,
    /// Display gain (dB added before compression) and dynamic range (dB shown).
    pub gain_db: f64,
    pub dynamic_range_db: f64,
}

/// Frame size of phantom clips.
const PHANTOM_ROWS: u32 = 256;
const PHANTOM_COLS: u32 = 256;

impl PhantomParams {
    /// Frames per cardiac cycle.
    pub fn cycle_frames(&self) -> f64 {
        60_000.0 / self.heart_rate_bpm / self.frame_time_ms
    }

    /// Draws the parameters of clip `index` of a dataset made with `seed`.
    pub fn random(seed: u64, index: u32) -> Self {
        let mut rng =
            StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(index));
        let rows = PHANTOM_ROWS;
        let cols = PHANTOM_COLS;
        let h = f64::from(rows);
        let w = f64::from(cols);
        let heart_rate_bpm: f64 = rng.random_range(55.0..100.0);
        let frame_time_ms: f64 = rng.random_range(20.0..40.0);
        let period_ms = 60_000.0 / heart_rate_bpm;
        let cycles: f64 = rng.random_range(1.3..2.2);
        let frames = ((cycles * period_ms / frame_time_ms).round() as u32).clamp(20, 90);
        let sector_apex = (
            w / 2.0 + rng.random_range(-4.0..4.0),
            rng.random_range(-6.0..2.0),
        );
        let sector_depth = h * rng.random_range(0.92..1.0);
        let lv_length = h * rng.random_range(0.34..0.44);
        let lv_half_width = lv_length * rng.random_range(0.27..0.38);
        let wall_thickness = rng.random_range(6.0..11.0);
        Self {
            rows,
            cols,
            frames,
            frame_time_ms,
            heart_rate_bpm,
            systole_fraction: rng.random_range(0.3..0.42),
            phase_at_first_frame: rng.random_range(0.0..1.0),
            mm_per_pixel: rng.random_range(0.45..0.75),
            sector_apex,
            sector_half_angle_deg: rng.random_range(34.0..42.0),
            sector_depth,
            lv_apex: (
                sector_apex.0 + w * rng.random_range(0.04..0.12),
                sector_apex.1 + h * rng.random_range(0.1..0.17),
            ),
            lv_tilt_deg: rng.random_range(-4.0..14.0),
            lv_length,
            lv_half_width,
            lv_shape_exponent: rng.random_range(1.8..2.8),
            longitudinal_shortening: rng.random_range(0.1..0.2),
            radial_shortening: rng.random_range(0.18..0.32),
            wall_thickness,
            endocardial_ripple: rng.random_range(0.0..0.05),
            ripple_phase: rng.random_range(0.0..std::f64::consts::TAU),
            la_length: lv_length * rng.random_range(0.38..0.5),
            la_half_width: lv_half_width * rng.random_range(0.8..1.05),
            blood_echo: rng.random_range(0.0004..0.004),
            myocardium_echo: rng.random_range(0.2..0.45),
            tissue_echo: rng.random_range(0.015..0.06),
            pericardium_echo: rng.random_range(1.0..2.5),
            psf_lateral: rng.random_range(1.2..2.2),
            psf_axial: rng.random_range(0.6..1.1),
            speckle_correlation: rng.random_range(0.5..0.85),
            noise_floor: rng.random_range(0.01..0.04),
            clutter: rng.random_range(0.0..0.35),
            attenuation_db: rng.random_range(0.0..8.0),
            gain_db: rng.random_range(2.0..7.0),
            dynamic_range_db: rng.random_range(38.0..50.0),
        }
    }

    /// Cardiac phase (cycles, in `[0, 1)`, 0 = end-diastole) of a frame.
    pub fn phase(&self, frame: u32) -> f64 {
        let period_ms = 60_000.0 / self.heart_rate_bpm;
        (self.phase_at_first_frame + f64::from(frame) * self.frame_time_ms / period_ms)
            .rem_euclid(1.0)
    }

    /// Ventricular filling at a phase: 1 at end-diastole, 0 at end-systole; a
    /// cosine ejection then a cosine refill, both smooth at the turning points.
    pub fn filling(&self, phase: f64) -> f64 {
        let s = self.systole_fraction;
        if phase < s {
            0.5 * (1.0 + (std::f64::consts::PI * phase / s).cos())
        } else {
            0.5 * (1.0 - (std::f64::consts::PI * (phase - s) / (1.0 - s)).cos())
        }
    }
}
