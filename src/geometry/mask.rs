//! Binary pixel masks: what brushes paint, what segmentation models propose,
//! and what contours are compared on.

use std::ops::Range;

/// Neighbour offsets of 4-connectivity (edge neighbours).
const FOUR_CONNECTED: [(isize, isize); 4] = [(1, 0), (-1, 0), (0, 1), (0, -1)];

/// Neighbour offsets of 8-connectivity (edge and corner neighbours).
const EIGHT_CONNECTED: [(isize, isize); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (1, -1),
    (-1, 1),
    (-1, -1),
];

/// A width × height grid of booleans in row-major order: `true` marks a pixel
/// of the structure. Coordinates outside the grid read as background, so
/// callers can probe neighbours without bounds checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    width: usize,
    height: usize,
    pixels: Vec<bool>,
}

impl Mask {
    /// An all-background mask, the blank canvas a brush starts from.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            pixels: vec![false; width * height],
        }
    }

    /// The pixels of a row-major label image (a model's segmentation output)
    /// that equal `class`. Labels beyond `width × height` are ignored; a short
    /// label slice leaves the missing pixels background.
    pub fn from_labels(labels: &[u8], width: usize, height: usize, class: u8) -> Self {
        let mut mask = Self::new(width, height);
        for (pixel, &label) in mask.pixels.iter_mut().zip(labels) {
            *pixel = label == class;
        }
        mask
    }

    /// The number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The number of rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Whether pixel (x, y) is foreground; `false` outside the mask.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.pixels[y * self.width + x]
    }

    /// Sets pixel (x, y); ignored outside the mask, so a brush may overhang
    /// the image edge.
    pub fn set(&mut self, x: usize, y: usize, value: bool) {
        if x < self.width && y < self.height {
            self.pixels[y * self.width + x] = value;
        }
    }

    /// The number of foreground pixels (the structure's area in pixels).
    pub fn count(&self) -> usize {
        self.pixels.iter().filter(|&&pixel| pixel).count()
    }

    /// The pixels in row-major order, for exporting or rendering an overlay.
    pub fn pixels(&self) -> &[bool] {
        &self.pixels
    }

    /// Intersection over union, the usual agreement score between two
    /// annotations; 1.0 when both are empty. Pixels outside a mask count as
    /// background, so masks of different sizes compare over the larger extent.
    pub fn iou(&self, other: &Mask) -> f64 {
        let (intersection, a, b) = self.overlap(other);
        let union = a + b - intersection;
        if union == 0 {
            1.0
        } else {
            intersection as f64 / union as f64
        }
    }

    /// The Dice coefficient (2|A∩B| / (|A| + |B|)), the agreement score
    /// segmentation papers report; 1.0 when both are empty.
    pub fn dice(&self, other: &Mask) -> f64 {
        let (intersection, a, b) = self.overlap(other);
        if a + b == 0 {
            1.0
        } else {
            2.0 * intersection as f64 / (a + b) as f64
        }
    }

    /// Only the largest 8-connected component (the first one in row-major
    /// order on a tie): drops the specks a model proposal or a stray brush
    /// dab leaves around the structure.
    pub fn largest_component(&self) -> Mask {
        let mut visited = vec![false; self.pixels.len()];
        let mut largest = Vec::new();
        for start in 0..self.pixels.len() {
            let component = self.flood([start], &EIGHT_CONNECTED, true, &mut visited);
            if component.len() > largest.len() {
                largest = component;
            }
        }
        let mut result = Mask::new(self.width, self.height);
        for index in largest {
            result.pixels[index] = true;
        }
        result
    }

    /// The mask with its holes filled: background pixels that are not
    /// 4-connected to the border become foreground. 4-connectivity for the
    /// background is the dual of 8-connectivity for the foreground, so a hole
    /// closed only by diagonal steps counts as a hole, as in tracing.
    pub fn fill_holes(&self) -> Mask {
        if self.pixels.is_empty() {
            return self.clone();
        }
        let mut reached = vec![false; self.pixels.len()];
        self.flood(self.border_indices(), &FOUR_CONNECTED, false, &mut reached);
        Mask {
            width: self.width,
            height: self.height,
            pixels: reached.into_iter().map(|outside| !outside).collect(),
        }
    }

    /// Sets the pixels `xs` of row `y` (clipped to the mask): the span writer
    /// the rasterisers use instead of pixel-by-pixel `set`.
    pub(super) fn set_span(&mut self, y: usize, xs: Range<usize>, value: bool) {
        let end = xs.end.min(self.width);
        if y < self.height && xs.start < end {
            let row = y * self.width;
            self.pixels[row + xs.start..row + end].fill(value);
        }
    }

    /// (|A ∩ B|, |A|, |B|), the counts both agreement scores need.
    fn overlap(&self, other: &Mask) -> (usize, usize, usize) {
        let width = self.width.min(other.width);
        let height = self.height.min(other.height);
        let intersection = (0..height)
            .map(|y| {
                let ours = &self.pixels[y * self.width..][..width];
                let theirs = &other.pixels[y * other.width..][..width];
                ours.iter().zip(theirs).filter(|&(&a, &b)| a && b).count()
            })
            .sum();
        (intersection, self.count(), other.count())
    }

    /// Indices of the pixels on the border of a non-empty mask (corners twice).
    fn border_indices(&self) -> impl Iterator<Item = usize> {
        let (width, height) = (self.width, self.height);
        let rows = (0..width).flat_map(move |x| [x, (height - 1) * width + x]);
        let columns = (0..height).flat_map(move |y| [y * width, y * width + width - 1]);
        rows.chain(columns)
    }

    /// Flood fill from `seeds` through pixels equal to `value`, marking
    /// `visited`; returns the indices reached that were not visited before.
    fn flood(
        &self,
        seeds: impl IntoIterator<Item = usize>,
        offsets: &[(isize, isize)],
        value: bool,
        visited: &mut [bool],
    ) -> Vec<usize> {
        let mut stack = Vec::new();
        for seed in seeds {
            if self.pixels[seed] == value && !visited[seed] {
                visited[seed] = true;
                stack.push(seed);
            }
        }
        let mut region = Vec::new();
        while let Some(index) = stack.pop() {
            region.push(index);
            for neighbour in self.neighbours(index, offsets) {
                if self.pixels[neighbour] == value && !visited[neighbour] {
                    visited[neighbour] = true;
                    stack.push(neighbour);
                }
            }
        }
        region
    }

    /// The in-bounds neighbours of pixel `index` at the given offsets.
    fn neighbours<'a>(
        &'a self,
        index: usize,
        offsets: &'a [(isize, isize)],
    ) -> impl Iterator<Item = usize> + 'a {
        let (x, y) = (index % self.width, index / self.width);
        offsets.iter().filter_map(move |&(dx, dy)| {
            let nx = x.checked_add_signed(dx)?;
            let ny = y.checked_add_signed(dy)?;
            (nx < self.width && ny < self.height).then_some(ny * self.width + nx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::testing::parse_mask;

    #[test]
    fn get_and_set_ignore_pixels_outside() {
        let mut mask = Mask::new(3, 2);
        mask.set(2, 1, true);
        mask.set(3, 0, true);
        mask.set(0, 2, true);
        assert!(mask.get(2, 1));
        assert!(!mask.get(3, 1));
        assert!(!mask.get(0, 2));
        assert_eq!(mask.count(), 1);
        assert_eq!(mask.pixels(), &[false, false, false, false, false, true]);
    }

    #[test]
    fn from_labels_keeps_one_class() {
        let mask = Mask::from_labels(&[0, 1, 2, 1, 1, 0], 3, 2, 1);
        assert_eq!(mask, parse_mask(&[".#.", "##."]));
    }

    #[test]
    fn iou_and_dice_on_overlapping_squares() {
        let a = parse_mask(&["##..", "##..", "....", "...."]);
        let b = parse_mask(&[".##.", ".##.", "....", "...."]);
        assert!((a.iou(&b) - 2.0 / 6.0).abs() < 1e-12);
        assert!((a.dice(&b) - 0.5).abs() < 1e-12);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.dice(&a), 1.0);
        let empty = Mask::new(4, 4);
        assert_eq!(a.iou(&empty), 0.0);
        assert_eq!(a.dice(&empty), 0.0);
        assert_eq!(empty.iou(&Mask::new(4, 4)), 1.0);
        assert_eq!(empty.dice(&Mask::new(2, 2)), 1.0);
    }

    #[test]
    fn iou_compares_masks_of_different_sizes_over_the_larger_extent() {
        let small = parse_mask(&["##", "##"]);
        let large = parse_mask(&["###", "###", "###"]);
        assert!((small.iou(&large) - 4.0 / 9.0).abs() < 1e-12);
        assert!((large.dice(&small) - 8.0 / 13.0).abs() < 1e-12);
    }

    #[test]
    fn largest_component_keeps_the_biggest_blob() {
        let mask = parse_mask(&[
            "##.....", //
            "##..###", //
            "....###", //
            "#...###", //
        ]);
        let expected = parse_mask(&[
            ".......", //
            "....###", //
            "....###", //
            "....###", //
        ]);
        assert_eq!(mask.largest_component(), expected);
    }

    #[test]
    fn largest_component_joins_diagonal_neighbours() {
        let mask = parse_mask(&[
            "#....##", //
            ".#...##", //
            "..#....", //
            "...#...", //
        ]);
        assert_eq!(
            mask.largest_component(),
            parse_mask(&["#......", ".#.....", "..#....", "...#..."])
        );
        assert_eq!(Mask::new(0, 0).largest_component(), Mask::new(0, 0));
    }

    #[test]
    fn fill_holes_fills_an_annulus_but_not_an_open_notch() {
        let annulus = parse_mask(&[
            ".......", //
            ".#####.", //
            ".#...#.", //
            ".#...#.", //
            ".#####.", //
            ".......", //
        ]);
        let solid = parse_mask(&[
            ".......", //
            ".#####.", //
            ".#####.", //
            ".#####.", //
            ".#####.", //
            ".......", //
        ]);
        assert_eq!(annulus.fill_holes(), solid);
        let notch = parse_mask(&[
            "#####", //
            "#...#", //
            "#...#", //
            "#...#", //
        ]);
        assert_eq!(notch.fill_holes(), notch);
    }

    #[test]
    fn fill_holes_treats_a_diagonally_closed_ring_as_closed() {
        let diamond = parse_mask(&[
            "..#..", //
            ".#.#.", //
            "#...#", //
            ".#.#.", //
            "..#..", //
        ]);
        let filled = parse_mask(&[
            "..#..", //
            ".###.", //
            "#####", //
            ".###.", //
            "..#..", //
        ]);
        assert_eq!(diamond.fill_holes(), filled);
        assert_eq!(Mask::new(0, 3).fill_holes(), Mask::new(0, 3));
    }
}
