//! A saved form of one editor change, applied by the store thread.

use crate::geometry::Point;
use crate::store::{
    AnnotationStatus, ContourKey, Geometry, KeyFrameKind, Project, SetBy, Source, StoreError,
};

/// One write to the project that an edit needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Persist {
    SaveContour {
        key: ContourKey,
        template_id: Option<i64>,
        contour: Vec<Point>,
        status: AnnotationStatus,
        /// Who made it: a person, or a model (a proposal) with its version.
        source: Source,
        model_version_id: Option<i64>,
    },
    RemoveContour {
        key: ContourKey,
    },
    SetKeyFrame {
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        set_by: SetBy,
        /// The person who set it (none for a model's proposal).
        author_id: Option<i64>,
        model_version_id: Option<i64>,
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
                source,
                model_version_id,
            } => {
                let geometry = Geometry {
                    contour: contour.clone(),
                    ..Geometry::default()
                };
                project
                    .save_contour_from(
                        key,
                        *template_id,
                        &geometry,
                        *status,
                        *source,
                        *model_version_id,
                    )
                    .map(|_| ())
            }
            Persist::RemoveContour { key } => project.remove_contour(key).map(|_| ()),
            Persist::SetKeyFrame {
                clip_id,
                kind,
                frame,
                set_by,
                author_id,
                model_version_id,
            } => project.set_key_frame(
                *clip_id,
                *kind,
                *frame,
                *set_by,
                *author_id,
                *model_version_id,
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
