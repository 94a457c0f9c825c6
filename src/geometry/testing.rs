//! Shapes and a seeded random generator shared by the geometry tests.

use super::{Mask, Point, paint_disc};

/// A tiny linear congruential generator, so property tests are reproducible
/// without a random-number crate.
pub struct Lcg(u64);

impl Lcg {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A uniform sample from [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A uniform sample from [low, high).
    pub fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }
}

/// A regular polygon with `n` vertices on a circle, clockwise on screen.
pub fn circle(centre: Point, radius: f32, n: usize) -> Vec<Point> {
    (0..n)
        .map(|k| {
            let angle = std::f32::consts::TAU * k as f32 / n as f32;
            [
                centre[0] + radius * angle.cos(),
                centre[1] + radius * angle.sin(),
            ]
        })
        .collect()
}

/// A width × height mask of a few overlapping random discs: usually one
/// irregular blob, sometimes several, sometimes with holes.
pub fn blob(rng: &mut Lcg, width: usize, height: usize) -> Mask {
    let mut mask = Mask::new(width, height);
    let discs = 3 + (rng.next_f32() * 6.0) as usize;
    let (w, h) = (width as f32, height as f32);
    for _ in 0..discs {
        let centre = [rng.range(0.25 * w, 0.75 * w), rng.range(0.25 * h, 0.75 * h)];
        paint_disc(&mut mask, centre, rng.range(3.0, 0.2 * w), true);
    }
    mask
}

/// A mask from rows of text: `#` is foreground.
pub fn parse_mask(rows: &[&str]) -> Mask {
    let mut mask = Mask::new(rows[0].len(), rows.len());
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.chars().enumerate() {
            mask.set(x, y, c == '#');
        }
    }
    mask
}
