//! B-mode image formation for the phantom: backscatter × complex speckle blurred
//! by a point-spread function, depth attenuation, thermal noise, near-field
//! clutter and log compression into a sector-shaped field of view.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::anatomy::Tissue;
use super::params::PhantomParams;

/// Brightness at the top of the displayed range, in dB above mean myocardium.
const DISPLAY_TOP_DB: f64 = 24.0;

/// A simulated scanner: keeps the speckle pattern from frame to frame so that
/// speckle decorrelates gradually, as it does when tissue moves.
pub struct Scanner<'a> {
    params: &'a PhantomParams,
    rng: StdRng,
    speckle_re: Vec<f32>,
    speckle_im: Vec<f32>,
    /// Depth from the transducer, divided by the sector depth; negative outside the sector.
    depth: Vec<f32>,
    lateral_kernel: Vec<f32>,
    axial_kernel: Vec<f32>,
}

impl<'a> Scanner<'a> {
    pub fn new(params: &'a PhantomParams, seed: u64) -> Self {
        let pixels = params.rows as usize * params.cols as usize;
        let mut rng = StdRng::seed_from_u64(seed);
        let speckle_re = (0..pixels).map(|_| normal(&mut rng)).collect();
        let speckle_im = (0..pixels).map(|_| normal(&mut rng)).collect();
        Self {
            params,
            rng,
            speckle_re,
            speckle_im,
            depth: sector_depth_map(params),
            lateral_kernel: gaussian_kernel(params.psf_lateral),
            axial_kernel: gaussian_kernel(params.psf_axial),
        }
    }

    /// Whether pixel `i` lies inside the imaging sector.
    pub fn in_sector(&self, i: usize) -> bool {
        self.depth[i] >= 0.0
    }

    /// Images one frame of the given tissue map into 8-bit B-mode pixels.
    pub fn image(&mut self, tissue: &[Tissue]) -> Vec<u8> {
        let p = self.params;
        let (rows, cols) = (p.rows as usize, p.cols as usize);
        let rho = p.speckle_correlation as f32;
        let fresh = (1.0 - rho * rho).sqrt();
        for (re, im) in self.speckle_re.iter_mut().zip(self.speckle_im.iter_mut()) {
            *re = rho * *re + fresh * normal(&mut self.rng);
            *im = rho * *im + fresh * normal(&mut self.rng);
        }
        // Scatterer amplitude: sqrt of backscatter, plus clutter near the probe.
        let mut amp_re = vec![0f32; rows * cols];
        let mut amp_im = vec![0f32; rows * cols];
        for i in 0..rows * cols {
            if !self.in_sector(i) {
                continue;
            }
            let clutter = p.clutter * p.myocardium_echo * (-f64::from(self.depth[i]) / 0.07).exp();
            let amplitude = (echogenicity(p, tissue[i]) + clutter).sqrt() as f32;
            amp_re[i] = amplitude * self.speckle_re[i];
            amp_im[i] = amplitude * self.speckle_im[i];
        }
        let kernel_energy = kernel_energy(&self.lateral_kernel) * kernel_energy(&self.axial_kernel);
        for field in [&mut amp_re, &mut amp_im] {
            convolve_rows(field, rows, cols, &self.lateral_kernel);
            convolve_cols(field, rows, cols, &self.axial_kernel);
        }
        let reference = p.myocardium_echo.sqrt() as f32;
        let noise = (p.noise_floor * p.myocardium_echo.sqrt()) as f32;
        let mut pixels = vec![0u8; rows * cols];
        for (i, pixel) in pixels.iter_mut().enumerate() {
            if !self.in_sector(i) {
                continue;
            }
            let re = amp_re[i] / kernel_energy.sqrt() + noise * normal(&mut self.rng);
            let im = amp_im[i] / kernel_energy.sqrt() + noise * normal(&mut self.rng);
            let envelope = (re * re + im * im).sqrt() / reference;
            let attenuation = -p.attenuation_db * f64::from(self.depth[i]);
            let db = 20.0 * f64::from(envelope).max(1e-6).log10() + p.gain_db + attenuation;
            let level = (db - (DISPLAY_TOP_DB - p.dynamic_range_db)) / p.dynamic_range_db;
            *pixel = (level * 255.0).round().clamp(0.0, 255.0) as u8;
        }
        pixels
    }
}

/// Mean backscatter of a tissue.
fn echogenicity(p: &PhantomParams, tissue: Tissue) -> f64 {
    match tissue {
        Tissue::LvCavity | Tissue::LaCavity | Tissue::RightHeartBlood => p.blood_echo,
        Tissue::Myocardium => p.myocardium_echo,
        Tissue::Wall => 0.8 * p.myocardium_echo,
        Tissue::Pericardium => p.pericardium_echo,
        Tissue::Background => p.tissue_echo,
    }
}

/// Normalised depth of every pixel, or -1 outside the sector.
fn sector_depth_map(p: &PhantomParams) -> Vec<f32> {
    let half_angle = p.sector_half_angle_deg.to_radians();
    let mut depth = Vec::with_capacity(p.rows as usize * p.cols as usize);
    for y in 0..p.rows {
        for x in 0..p.cols {
            let dx = f64::from(x) + 0.5 - p.sector_apex.0;
            let dy = f64::from(y) + 0.5 - p.sector_apex.1;
            let r = dx.hypot(dy);
            let angle = dx.atan2(dy);
            let inside = dy > 0.0 && r <= p.sector_depth && angle.abs() <= half_angle;
            depth.push(if inside {
                (r / p.sector_depth) as f32
            } else {
                -1.0
            });
        }
    }
    depth
}

/// Standard normal sample (Box–Muller).
fn normal(rng: &mut StdRng) -> f32 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as i32;
    (-radius..=radius)
        .map(|i| (-(f64::from(i).powi(2)) / (2.0 * sigma * sigma)).exp() as f32)
        .collect()
}

/// Sum of squared weights: the variance gain of white noise through the kernel.
fn kernel_energy(kernel: &[f32]) -> f32 {
    kernel.iter().map(|w| w * w).sum()
}

fn convolve_rows(field: &mut [f32], rows: usize, cols: usize, kernel: &[f32]) {
    let radius = kernel.len() / 2;
    let mut line = vec![0f32; cols];
    for row in field.chunks_exact_mut(cols).take(rows) {
        for (x, out) in line.iter_mut().enumerate() {
            *out = kernel
                .iter()
                .enumerate()
                .filter_map(|(k, w)| {
                    (x + k)
                        .checked_sub(radius)
                        .and_then(|j| row.get(j))
                        .map(|v| v * w)
                })
                .sum();
        }
        row.copy_from_slice(&line);
    }
}

fn convolve_cols(field: &mut [f32], rows: usize, cols: usize, kernel: &[f32]) {
    let radius = kernel.len() / 2;
    let source = field.to_vec();
    for y in 0..rows {
        for x in 0..cols {
            field[y * cols + x] = kernel
                .iter()
                .enumerate()
                .filter_map(|(k, w)| {
                    let j = (y + k).checked_sub(radius).filter(|j| *j < rows)?;
                    Some(source[j * cols + x] * w)
                })
                .sum();
        }
    }
}
