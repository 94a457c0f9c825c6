//! The class map drawn over the frame on the GPU: every visible structure
//! (or the gesture in progress) filled into one label per pixel, cached while
//! the document, frame, gesture and visibility stay the same, because filling
//! every contour each frame would be too slow.

use std::sync::Arc;

use crate::app::clip_view::{OpenClip, next_image_id};
use crate::app::tools::{EditorState, Gesture};
use crate::app::viewer_gpu::LabelOverlay;
use crate::editor::ClipDocument;
use crate::geometry;

/// The overlay built for one state of the document, reused while it holds.
#[derive(Default)]
pub struct OverlayCache {
    key: Option<(i64, u32, u64, u64, Vec<bool>)>,
    overlay: Option<LabelOverlay>,
}

/// Straight-alpha colours per class index (structure i is class i + 1).
pub(super) fn class_colours(editor: &EditorState) -> [[f32; 4]; 8] {
    let mut colours = [[0.0; 4]; 8];
    for (i, style) in editor.styles.iter().enumerate().take(7) {
        let [r, g, b, _] = style.colour.to_array();
        let alpha = if style.visible { editor.opacity } else { 0.0 };
        colours[i + 1] = [
            f32::from(r) / 255.0,
            f32::from(g) / 255.0,
            f32::from(b) / 255.0,
            alpha,
        ];
    }
    colours
}

/// The class map of the current frame: structures filled in reverse template
/// order, so the first (the LV cavity) lies on top of the myocardium.
pub(super) fn overlay_for(
    cache: &mut OverlayCache,
    clip: &OpenClip,
    document: &ClipDocument,
    editor: &EditorState,
    width: u32,
    height: u32,
) -> Option<LabelOverlay> {
    let gesture_version = match &editor.gesture {
        Some(Gesture::Stroke { version, .. }) => *version,
        Some(Gesture::Drag { points, .. }) => points
            .iter()
            .map(|p| p[0].to_bits() as u64 ^ p[1].to_bits() as u64)
            .fold(0u64, |a, b| a.rotate_left(5) ^ b),
        _ => 0,
    };
    let visible: Vec<bool> = editor.styles.iter().map(|s| s.visible).collect();
    let key = (
        clip.record.id,
        clip.playback.frame,
        clip.document_version,
        gesture_version,
        visible,
    );
    if cache.key.as_ref() == Some(&key) {
        return cache.overlay.clone();
    }
    let (w, h) = (width as usize, height as usize);
    let mut labels = vec![0u8; w * h];
    let frame = clip.playback.frame;
    for (index, style) in editor.styles.iter().enumerate().take(7).rev() {
        let mask = match &editor.gesture {
            Some(Gesture::Stroke {
                structure, mask, ..
            }) if *structure == index => Some(mask.clone()),
            Some(Gesture::Drag {
                structure, points, ..
            }) if *structure == index => Some(geometry::fill(points, w, h)),
            _ => document
                .contour(frame, &style.name)
                .map(|c| geometry::fill(&c.points, w, h)),
        };
        if let Some(mask) = mask {
            for (label, inside) in labels.iter_mut().zip(mask.pixels()) {
                if *inside {
                    *label = index as u8 + 1;
                }
            }
        }
    }
    let overlay = LabelOverlay {
        width,
        height,
        labels: Arc::from(labels),
        id: next_image_id(),
    };
    cache.key = Some(key);
    cache.overlay = Some(overlay.clone());
    Some(overlay)
}
