//! The geometry of an apical four-chamber view at one instant: which tissue
//! lies at each pixel. The left ventricle (LV), its myocardium and the left
//! atrium (LA) are the labelled CAMUS structures; the right heart, pericardium
//! and surrounding tissue make the image look like an echo.

use super::params::PhantomParams;

/// What lies at a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tissue {
    LvCavity,
    Myocardium,
    LaCavity,
    /// Right ventricle and right atrium blood pools (unlabelled).
    RightHeartBlood,
    /// Walls of the atria and the right ventricle (unlabelled).
    Wall,
    Pericardium,
    Background,
}

impl Tissue {
    /// Class index in ground-truth masks: 0 background, 1 LV endocardium
    /// (cavity), 2 myocardium, 3 left atrium.
    pub fn label(self) -> u8 {
        match self {
            Tissue::LvCavity => 1,
            Tissue::Myocardium => 2,
            Tissue::LaCavity => 3,
            _ => 0,
        }
    }
}

/// The heart of one frame, in image coordinates (x right, y down).
#[derive(Debug, Clone)]
pub struct Heart {
    /// Centre of the mitral plane: origin of the LV's own frame.
    base: (f64, f64),
    /// Unit vector from the base towards the apex.
    to_apex: (f64, f64),
    /// Unit vector across the long axis, pointing to the image's right.
    across: (f64, f64),
    length: f64,
    half_width: f64,
    exponent: f64,
    thickness: f64,
    apical_thickness: f64,
    /// How far the rounded base of the cavity reaches below the mitral plane.
    base_rounding: f64,
    ripple: f64,
    ripple_phase: f64,
    la_length: f64,
    la_half_width: f64,
}

/// Pericardium thickness and thickness of the unlabelled walls, in pixels.
const PERICARDIUM: f64 = 3.0;
const WALL: f64 = 3.5;

impl Heart {
    /// The heart at `filling` (1 = end-diastole, 0 = end-systole).
    pub fn at(p: &PhantomParams, filling: f64) -> Self {
        let contraction = 1.0 - filling;
        let tilt = p.lv_tilt_deg.to_radians();
        // Apex at the top of the image; the long axis runs down to the base.
        let down = (tilt.sin(), tilt.cos());
        let across = (tilt.cos(), -tilt.sin());
        let length = p.lv_length * (1.0 - p.longitudinal_shortening * contraction);
        let half_width = p.lv_half_width * (1.0 - p.radial_shortening * contraction);
        // The wall thickens as the cavity shrinks (myocardium is incompressible).
        let thickness = p.wall_thickness * (1.0 + 0.45 * contraction);
        let apical_thickness = thickness * 0.8;
        let endo_apex = (
            p.lv_apex.0 + down.0 * apical_thickness,
            p.lv_apex.1 + down.1 * apical_thickness,
        );
        let base = (endo_apex.0 + down.0 * length, endo_apex.1 + down.1 * length);
        // The atrium fills while the ventricle empties.
        let atrial_growth = 1.0 + 0.22 * contraction;
        Self {
            base,
            to_apex: (-down.0, -down.1),
            across,
            length,
            half_width,
            exponent: p.lv_shape_exponent,
            thickness,
            apical_thickness,
            base_rounding: 0.18 * half_width,
            ripple: p.endocardial_ripple,
            ripple_phase: p.ripple_phase,
            la_length: p.la_length * atrial_growth,
            la_half_width: p.la_half_width * atrial_growth.sqrt(),
        }
    }

    /// The tissue at pixel centre `(x, y)`.
    pub fn tissue(&self, x: f64, y: f64) -> Tissue {
        let (dx, dy) = (x - self.base.0, y - self.base.1);
        // u: distance from the mitral plane towards the apex; v: across the axis.
        let u = dx * self.to_apex.0 + dy * self.to_apex.1;
        let v = dx * self.across.0 + dy * self.across.1;
        if self.inside_ventricle(u, v, 0.0, 0.0, true) {
            return Tissue::LvCavity;
        }
        if self.inside_ventricle(u, v, self.thickness, self.apical_thickness, false) {
            return Tissue::Myocardium;
        }
        let la_u = u + self.base_rounding + 0.86 * self.la_length;
        if ellipse(la_u, v, self.la_length, self.la_half_width) {
            return Tissue::LaCavity;
        }
        // Right ventricle beside the septum, right atrium below it.
        let rv_half_width = 0.72 * self.half_width;
        let rv_v = v + self.half_width + self.thickness + rv_half_width + 1.0;
        let rv_u = u - 0.4 * self.length;
        let ra_half_width = 0.9 * self.la_half_width;
        let ra_v = v + self.half_width + self.thickness + ra_half_width + 2.0;
        if ellipse(rv_u, rv_v, 0.5 * self.length, rv_half_width)
            || ellipse(la_u, ra_v, 0.95 * self.la_length, ra_half_width)
        {
            return Tissue::RightHeartBlood;
        }
        if u > -0.5 * self.base_rounding
            && self.inside_ventricle(
                u,
                v,
                self.thickness + PERICARDIUM,
                self.apical_thickness + PERICARDIUM,
                false,
            )
        {
            return Tissue::Pericardium;
        }
        if ellipse(la_u, v, self.la_length + WALL, self.la_half_width + WALL)
            || ellipse(rv_u, rv_v, 0.5 * self.length + WALL, rv_half_width + WALL)
            || ellipse(
                la_u,
                ra_v,
                0.95 * self.la_length + WALL,
                ra_half_width + WALL,
            )
        {
            return Tissue::Wall;
        }
        Tissue::Background
    }

    /// Inside the cavity grown by `grow` across and `grow_apex` at the apex
    /// (0 for the endocardium, the wall thickness for the epicardium).
    fn inside_ventricle(&self, u: f64, v: f64, grow: f64, grow_apex: f64, rippled: bool) -> bool {
        let length = self.length + grow_apex;
        let width = self.half_width + grow;
        let b = self.base_rounding;
        if u > length || u < -b {
            return false;
        }
        let mut half = if u >= 0.0 {
            width
                * (1.0 - (u / length).powf(self.exponent))
                    .max(0.0)
                    .powf(1.0 / self.exponent)
        } else {
            width * (1.0 - (u / b).powi(2)).max(0.0).sqrt()
        };
        if rippled && u >= 0.0 {
            let t = u / length;
            half *= 1.0
                + self.ripple
                    * (3.0 * std::f64::consts::PI * t + self.ripple_phase).sin()
                    * t.min(1.0 - t)
                    * 4.0;
        }
        v.abs() < half
    }
}

fn ellipse(u: f64, v: f64, a: f64, b: f64) -> bool {
    (u / a).powi(2) + (v / b).powi(2) < 1.0
}

/// The tissue map of a whole frame, row-major.
pub fn tissue_map(heart: &Heart, rows: u32, cols: u32) -> Vec<Tissue> {
    let mut map = Vec::with_capacity(rows as usize * cols as usize);
    for y in 0..rows {
        for x in 0..cols {
            map.push(heart.tissue(f64::from(x) + 0.5, f64::from(y) + 0.5));
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(map: &[Tissue], tissue: Tissue) -> usize {
        map.iter().filter(|t| **t == tissue).count()
    }

    #[test]
    fn ventricle_shrinks_in_systole_and_atrium_grows() {
        let p = PhantomParams::random(7, 0);
        let diastole = tissue_map(&Heart::at(&p, 1.0), p.rows, p.cols);
        let systole = tissue_map(&Heart::at(&p, 0.0), p.rows, p.cols);
        let (lv_ed, lv_es) = (
            count(&diastole, Tissue::LvCavity),
            count(&systole, Tissue::LvCavity),
        );
        assert!(lv_es < lv_ed * 85 / 100, "LV area ED {lv_ed}, ES {lv_es}");
        assert!(count(&systole, Tissue::LaCavity) > count(&diastole, Tissue::LaCavity));
        for map in [&diastole, &systole] {
            assert!(count(map, Tissue::Myocardium) > 500);
            assert!(count(map, Tissue::LaCavity) > 500);
        }
    }
}
