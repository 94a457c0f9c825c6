//! Moving between a clip's key frames: the next or previous ED/ES frame for
//! the Shift+arrow keys, and the key frame that "copy from the other key
//! frame" copies from. Pure functions of the document, so the rules are
//! tested here rather than through the UI.

use super::ClipDocument;
use crate::store::KeyFrameKind;

/// The key frame after `frame` (`forward`) or before it, wrapping around
/// the clip; `None` when the clip has no key frame.
pub fn step_key_frame(document: &ClipDocument, frame: u32, forward: bool) -> Option<u32> {
    let mut frames: Vec<u32> = document.key_frames().map(|k| k.frame).collect();
    frames.sort_unstable();
    frames.dedup();
    if forward {
        frames
            .iter()
            .copied()
            .find(|&f| f > frame)
            .or(frames.first().copied())
    } else {
        frames
            .iter()
            .rev()
            .copied()
            .find(|&f| f < frame)
            .or(frames.last().copied())
    }
}

/// The key frame to copy contours from: the nearest frame of the other kind
/// (ED for an ES frame and the reverse), else the nearest key frame, that
/// has contours.
pub fn other_key_frame(document: &ClipDocument, frame: u32) -> Option<u32> {
    let here: Vec<KeyFrameKind> = document
        .key_frames()
        .filter(|k| k.frame == frame)
        .map(|k| k.kind)
        .collect();
    let annotated = document.annotated_frames();
    let candidates = |other_kind_only: bool| {
        document
            .key_frames()
            .filter(|k| k.frame != frame && annotated.contains(&k.frame))
            .filter(|k| !other_kind_only || !here.contains(&k.kind))
            .map(|k| k.frame)
            .min_by_key(|f| f.abs_diff(frame))
    };
    candidates(!here.is_empty()).or_else(|| candidates(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(at: f32) -> Vec<crate::geometry::Point> {
        vec![
            [at, at],
            [at + 10.0, at],
            [at + 10.0, at + 10.0],
            [at, at + 10.0],
        ]
    }

    fn document() -> ClipDocument {
        ClipDocument::new(1, 1, "tester", None)
    }

    #[test]
    fn key_frames_are_stepped_in_order_and_wrap_around() {
        let mut doc = document();
        assert_eq!(step_key_frame(&doc, 3, true), None);
        doc.toggle_key_frame(KeyFrameKind::EndSystole, 12);
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 2);
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 30);
        assert_eq!(step_key_frame(&doc, 0, true), Some(2));
        assert_eq!(step_key_frame(&doc, 2, true), Some(12));
        assert_eq!(step_key_frame(&doc, 12, true), Some(30));
        assert_eq!(step_key_frame(&doc, 30, true), Some(2), "wraps forward");
        assert_eq!(step_key_frame(&doc, 12, false), Some(2));
        assert_eq!(step_key_frame(&doc, 2, false), Some(30), "wraps back");
        assert_eq!(step_key_frame(&doc, 20, false), Some(12));
    }

    #[test]
    fn the_other_key_frame_is_the_nearest_of_the_other_kind_with_contours() {
        let mut doc = document();
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 0);
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 40);
        doc.toggle_key_frame(KeyFrameKind::EndSystole, 15);
        doc.toggle_key_frame(KeyFrameKind::EndSystole, 35);
        doc.set_contour(0, "LV", square(10.0));
        doc.set_contour(35, "LV", square(20.0));
        doc.set_contour(40, "LV", square(30.0));
        // ES frame 15: the ED frames with contours are 0 and 40; 0 is nearer.
        assert_eq!(other_key_frame(&doc, 15), Some(0));
        // ED frame 40: the nearest ES with contours is 35 (15 has none).
        assert_eq!(other_key_frame(&doc, 40), Some(35));
    }

    #[test]
    fn an_unmarked_frame_copies_from_the_nearest_key_frame_with_contours() {
        let mut doc = document();
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 0);
        doc.toggle_key_frame(KeyFrameKind::EndSystole, 20);
        assert_eq!(other_key_frame(&doc, 18), None, "no key frame has contours");
        doc.set_contour(0, "LV", square(10.0));
        doc.set_contour(20, "LV", square(12.0));
        assert_eq!(other_key_frame(&doc, 18), Some(20));
        assert_eq!(other_key_frame(&doc, 5), Some(0));
    }

    #[test]
    fn without_the_other_kind_the_same_kind_is_used() {
        let mut doc = document();
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 0);
        doc.toggle_key_frame(KeyFrameKind::EndDiastole, 40);
        doc.set_contour(40, "LV", square(10.0));
        assert_eq!(other_key_frame(&doc, 0), Some(40));
        assert_eq!(other_key_frame(&doc, 40), None, "frame 0 has no contours");
    }
}
