//! A saved form of one editor change, applied by the store thread.

use crate::geometry::Point;
use crate::store::{
    AnnotationStatus, ContourKey, Geometry, KeyFrameKind, Project, SetBy, StoreError,
};

/// One write to the project that an edit needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Persist {
    SaveContour {
        key: ContourKey,
        template_id: Option<i64>,
        contour: Vec<Point>,
        status: AnnotationStatus,
    },
    RemoveContour {
        key: ContourKey,
    },
    SetKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        author_id: i64,
    },
    ClearKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        author_id: i64,
    },
}

impl Persist {
    /// Writes the change in one transaction.
    pub fn apply(&self, project: &mut Project) -> Result<(), StoreError> {
        match self {
            Persist::SaveContour {
                key,
                template_id,
                contour,
                status,
            } => {
                let geometry = Geometry {
                    contour: contour.clone(),
                    ..Geometry::default()
                };
                project
                    .save_contour(key, *template_id, &geometry, *status)
                    .map(|_| ())
            }
            Persist::RemoveContour { key } => project.remove_contour(key).map(|_| ()),
            Persist::SetKeyFrame {
                clip_id,
                kind,
                frame,
                author_id,
            } => project.set_key_frame(
                *clip_id,
                *kind,
                *frame,
                SetBy::Human,
                Some(*author_id),
                None,
            ),
            Persist::ClearKeyFrame {
                clip_id,
                kind,
                frame,
                author_id,
            } => project.clear_key_frame(*clip_id, *kind, *frame, Some(*author_id)),
        }
    }
}
