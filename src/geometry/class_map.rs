//! Class maps (one class index per pixel) and the contours of the structures
//! they hold, both ways.
//!
//! The editor draws the myocardium as its epicardial outline, enclosing the
//! LV cavity, while a class map holds the myocardium as the ring between the
//! two. So a map is painted from the last structure to the first (the cavity
//! over the myocardium that encloses it), and traced back with the cavity
//! added to the myocardium before its outline is taken. Model proposals,
//! training masks, exports and imports all go through these two functions,
//! so a contour that leaves as a mask comes back as the same contour.

use super::{Mask, Point, fill, mask_to_contour};

/// The structure whose outline encloses the LV cavity.
pub const MYOCARDIUM: &str = "Myocardium";
/// The structure a myocardium outline encloses.
pub const LV_CAVITY: &str = "LV endocardium";

/// A class map of `width × height` from one contour per class: `contours[c]`
/// is the outline of class `c + 1` (`None` where that class has none). Later
/// classes are painted first, so class 1 ends on top.
pub fn paint_class_map(contours: &[Option<&[Point]>], width: usize, height: usize) -> Vec<u8> {
    let mut labels = vec![0u8; width * height];
    for (index, contour) in contours.iter().enumerate().rev() {
        let Some(contour) = contour else { continue };
        let class = (index + 1).min(usize::from(u8::MAX)) as u8;
        for (label, inside) in labels.iter_mut().zip(fill(contour, width, height).pixels()) {
            if *inside {
                *label = class;
            }
        }
    }
    labels
}

/// The region of `structure` as the editor draws it, from per-structure
/// masks: the myocardium's mask joined with the LV cavity's, so that it is
/// the epicardial region; every other structure as it is.
fn drawn_region(structure: &str, masks: &[(&str, Mask)]) -> Option<Mask> {
    let (_, own) = masks
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(structure))?;
    let mut region = own.clone();
    if structure.eq_ignore_ascii_case(MYOCARDIUM)
        && let Some((_, cavity)) = masks
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(LV_CAVITY))
    {
        for (index, on) in cavity.pixels().iter().enumerate() {
            if *on {
                region.set(index % region.width(), index / region.width(), true);
            }
        }
    }
    Some(region)
}

/// One contour per structure found in the masks, traced at `tolerance`
/// pixels (0 gives outlines whose fill is exactly the region): the largest
/// 8-connected piece of each region, holes filled. Structures whose mask is
/// empty give none.
pub fn region_contours(masks: &[(&str, Mask)], tolerance: f32) -> Vec<(String, Vec<Point>)> {
    masks
        .iter()
        .filter_map(|(name, _)| {
            let region = drawn_region(name, masks)?.largest_component().fill_holes();
            mask_to_contour(&region, tolerance).map(|contour| (name.to_string(), contour))
        })
        .collect()
}

/// [`region_contours`] of a class map whose class `c` is `classes[c]`
/// (class 0, the background, is not traced).
pub fn class_contours(
    labels: &[u8],
    width: usize,
    height: usize,
    classes: &[String],
    tolerance: f32,
) -> Vec<(String, Vec<Point>)> {
    let masks: Vec<(&str, Mask)> = classes
        .iter()
        .enumerate()
        .skip(1)
        .map(|(class, name)| {
            let class = class.min(usize::from(u8::MAX)) as u8;
            (
                name.as_str(),
                Mask::from_labels(labels, width, height, class),
            )
        })
        .filter(|(_, mask)| mask.count() > 0)
        .collect();
    region_contours(&masks, tolerance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Point> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn a_painted_map_traces_back_to_the_drawn_contours() {
        let cavity = square(10.0, 10.0, 20.0, 30.0);
        let myocardium = square(6.0, 6.0, 24.0, 34.0);
        let atrium = square(8.0, 36.0, 22.0, 46.0);
        let labels = paint_class_map(&[Some(&cavity), Some(&myocardium), Some(&atrium)], 40, 50);
        // The myocardium is a ring: the cavity sits on top of it.
        assert_eq!(labels[15 * 40 + 15], 1);
        assert_eq!(labels[8 * 40 + 8], 2);
        assert_eq!(labels[40 * 40 + 10], 3);
        let classes: Vec<String> = ["background", LV_CAVITY, MYOCARDIUM, "Left atrium"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let traced = class_contours(&labels, 40, 50, &classes, 0.0);
        assert_eq!(traced.len(), 3);
        for ((name, contour), drawn) in traced.iter().zip([&cavity, &myocardium, &atrium]) {
            assert_eq!(
                fill(contour, 40, 50),
                fill(drawn, 40, 50),
                "{name} comes back as drawn"
            );
        }
    }

    #[test]
    fn absent_classes_give_no_contour() {
        let labels = paint_class_map(&[None, Some(&square(2.0, 2.0, 8.0, 8.0))], 10, 10);
        let classes: Vec<String> = ["background", LV_CAVITY, MYOCARDIUM]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let traced = class_contours(&labels, 10, 10, &classes, 0.0);
        assert_eq!(traced.len(), 1);
        assert_eq!(traced[0].0, MYOCARDIUM);
        assert!(class_contours(&[0; 100], 10, 10, &classes, 0.0).is_empty());
    }
}
