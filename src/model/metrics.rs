//! Segmentation quality: Dice overlap and Hausdorff distance per structure.

use crate::geometry::Mask;

/// Intersection and sizes per class, summed over images.
#[derive(Debug, Clone)]
pub struct DiceCounts {
    intersection: Vec<u64>,
    predicted: Vec<u64>,
    truth: Vec<u64>,
}

impl DiceCounts {
    pub fn new(classes: usize) -> Self {
        DiceCounts {
            intersection: vec![0; classes],
            predicted: vec![0; classes],
            truth: vec![0; classes],
        }
    }

    pub fn add(&mut self, predicted: &[u8], truth: &[u8]) {
        let classes = self.truth.len();
        for (&p, &t) in predicted.iter().zip(truth) {
            let (p, t) = (
                usize::from(p).min(classes - 1),
                usize::from(t).min(classes - 1),
            );
            self.predicted[p] += 1;
            self.truth[t] += 1;
            if p == t {
                self.intersection[p] += 1;
            }
        }
    }

    /// Dice per foreground class; 1 where a class is absent from both.
    pub fn dice(&self) -> Vec<f32> {
        (1..self.truth.len())
            .map(|c| {
                let total = self.predicted[c] + self.truth[c];
                if total == 0 {
                    1.0
                } else {
                    2.0 * self.intersection[c] as f32 / total as f32
                }
            })
            .collect()
    }
}

/// Symmetric Hausdorff distance (pixels) between the boundaries of two masks;
/// `None` when either is empty.
pub fn hausdorff(a: &Mask, b: &Mask) -> Option<f64> {
    let (edge_a, edge_b) = (boundary(a), boundary(b));
    if edge_a.is_empty() || edge_b.is_empty() {
        return None;
    }
    Some(directed(&edge_a, &edge_b).max(directed(&edge_b, &edge_a)))
}

fn directed(from: &[(i32, i32)], to: &[(i32, i32)]) -> f64 {
    from.iter()
        .map(|&(x, y)| {
            to.iter()
                .map(|&(u, v)| ((x - u).pow(2) + (y - v).pow(2)) as f64)
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max)
        .sqrt()
}

/// Foreground pixels with a background (or outside) 4-neighbour.
fn boundary(mask: &Mask) -> Vec<(i32, i32)> {
    let (w, h) = (mask.width() as i32, mask.height() as i32);
    let on =
        |x: i32, y: i32| x >= 0 && y >= 0 && x < w && y < h && mask.get(x as usize, y as usize);
    let mut edge = Vec::new();
    for y in 0..h {
        for x in 0..w {
            if on(x, y) && !(on(x - 1, y) && on(x + 1, y) && on(x, y - 1) && on(x, y + 1)) {
                edge.push((x, y));
            }
        }
    }
    edge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_counts_per_class() {
        let mut counts = DiceCounts::new(3);
        counts.add(&[0, 1, 1, 2], &[0, 1, 2, 2]);
        assert_eq!(counts.dice(), [2.0 / 3.0, 2.0 / 3.0]);
    }

    #[test]
    fn hausdorff_of_shifted_squares_is_the_shift() {
        let square = |x0: usize| {
            let mut mask = Mask::new(20, 20);
            for y in 5..10 {
                for x in x0..x0 + 5 {
                    mask.set(x, y, true);
                }
            }
            mask
        };
        assert_eq!(hausdorff(&square(2), &square(2)), Some(0.0));
        assert_eq!(hausdorff(&square(2), &square(5)), Some(3.0));
        assert_eq!(hausdorff(&square(2), &Mask::new(20, 20)), None);
    }
}
