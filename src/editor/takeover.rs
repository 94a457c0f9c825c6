//! Taking over pseudo-labels: a reviewer who wants to correct the model's
//! contours on a frame gets them copied into their own document as model
//! proposals. Structures they have drawn already keep their contour, and
//! the pseudo-labels of those structures stay open for review; the others
//! are closed (rejected as pseudo-labels) once copied.

use super::ClipDocument;
use crate::geometry::Point;
use crate::store::Annotation;

/// What taking over `pseudo_labels` on `frame` copies and closes.
#[derive(Debug, Clone, PartialEq)]
pub struct TakeoverPlan {
    /// The contours to propose, per structure.
    pub contours: Vec<(String, Vec<Point>)>,
    /// The model version the copied contours came from.
    pub model_version_id: Option<i64>,
    /// The pseudo-labels to close once their contour is copied.
    pub closed: Vec<i64>,
}

/// Splits `pseudo_labels` of `frame` into those copied (the structure has
/// no contour of the annotator's) and those left open.
pub fn plan_takeover(
    document: &ClipDocument,
    frame: u32,
    pseudo_labels: &[Annotation],
) -> TakeoverPlan {
    let copied: Vec<&Annotation> = pseudo_labels
        .iter()
        .filter(|a| document.contour(frame, &a.target).is_none())
        .collect();
    TakeoverPlan {
        contours: copied
            .iter()
            .map(|a| (a.target.clone(), a.geometry.contour.clone()))
            .collect(),
        model_version_id: copied.iter().find_map(|a| a.model_version_id),
        closed: copied.iter().map(|a| a.id).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AnnotationKind, AnnotationStatus, Geometry, Source};

    fn square(at: f32) -> Vec<Point> {
        vec![
            [at, at],
            [at + 10.0, at],
            [at + 10.0, at + 10.0],
            [at, at + 10.0],
        ]
    }

    fn pseudo_label(id: i64, target: &str, version: i64) -> Annotation {
        Annotation {
            id,
            clip_id: 1,
            frame: 4,
            kind: AnnotationKind::Contour,
            target: target.into(),
            author_id: 9,
            author: "model".into(),
            source: Source::PseudoLabel,
            model_version_id: Some(version),
            status: AnnotationStatus::Draft,
            revision: 1,
            geometry: Geometry {
                contour: square(id as f32),
                ..Geometry::default()
            },
            uncertainty: Some(0.2),
            updated_at: String::new(),
            removed: false,
        }
    }

    #[test]
    fn structures_the_annotator_drew_keep_their_contour_and_stay_open() {
        let mut document = ClipDocument::new(1, 2, "reviewer", None);
        document.set_contour(4, "LV", square(50.0));
        let labels = [pseudo_label(11, "LV", 3), pseudo_label(12, "LA", 3)];
        let plan = plan_takeover(&document, 4, &labels);
        assert_eq!(plan.contours, vec![("LA".to_string(), square(12.0))]);
        assert_eq!(plan.closed, vec![12]);
        assert_eq!(plan.model_version_id, Some(3));
    }

    #[test]
    fn another_frames_contours_do_not_count() {
        let mut document = ClipDocument::new(1, 2, "reviewer", None);
        document.set_contour(5, "LV", square(50.0));
        let plan = plan_takeover(&document, 4, &[pseudo_label(11, "LV", 7)]);
        assert_eq!(plan.closed, vec![11]);
        assert_eq!(plan.contours.len(), 1);
    }

    #[test]
    fn nothing_to_copy_closes_nothing() {
        let mut document = ClipDocument::new(1, 2, "reviewer", None);
        document.set_contour(4, "LV", square(50.0));
        let plan = plan_takeover(&document, 4, &[pseudo_label(11, "LV", 7)]);
        assert!(plan.contours.is_empty() && plan.closed.is_empty());
        assert_eq!(plan.model_version_id, None);
    }
}
