//! Annotations with their full history, and key frames.
//!
//! Annotations by different authors (or models) of one frame coexist as
//! separate rows; none replaces another. An edit writes a new revision and
//! keeps the old ones.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use super::model::{AnnotationKind, AnnotationStatus, KeyFrameKind, SetBy, Source};
use super::{Project, StoreError, audit};

/// The geometry of an annotation, in image pixel coordinates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    /// A closed contour (the last point joins the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contour: Vec<[f32; 2]>,
    /// Keypoints, or the end points of a measurement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<[f32; 2]>,
    /// The chosen label of an image-level label task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A measured value (millimetres, or the unit the template states).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// A new annotation.
#[derive(Debug, Clone)]
pub struct NewAnnotation {
    pub clip_id: i64,
    pub frame: u32,
    pub template_id: Option<i64>,
    pub kind: AnnotationKind,
    /// Structure (contours), label set (labels), keypoint or measurement name.
    pub target: String,
    pub author_id: i64,
    pub source: Source,
    pub model_version_id: Option<i64>,
    pub status: AnnotationStatus,
    pub geometry: Geometry,
    /// Optional PNG of the mask the contour was made from.
    pub mask: Option<Vec<u8>>,
    /// The model's uncertainty for model-made annotations.
    pub uncertainty: Option<f64>,
}

/// A change to an annotation: a new revision.
#[derive(Debug, Clone)]
pub struct AnnotationEdit {
    pub author_id: i64,
    /// New geometry, or `None` to keep the current one (a review decision).
    pub geometry: Option<Geometry>,
    pub mask: Option<Vec<u8>>,
    pub status: AnnotationStatus,
}

/// An annotation at its current revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    pub id: i64,
    pub clip_id: i64,
    pub frame: u32,
    pub kind: AnnotationKind,
    pub target: String,
    pub author_id: i64,
    pub author: String,
    pub source: Source,
    pub model_version_id: Option<i64>,
    pub status: AnnotationStatus,
    pub revision: u32,
    pub geometry: Geometry,
    pub uncertainty: Option<f64>,
    pub updated_at: String,
    /// Removed by its author (kept for its history, hidden from listings).
    pub removed: bool,
}

/// Whose contour (their own, or a model proposal made for them) of which
/// structure on which frame: the editor saves by this
/// key, so it never needs to wait for an annotation's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContourKey {
    pub clip_id: i64,
    pub frame: u32,
    /// The structure, as the template names it.
    pub target: String,
    pub author_id: i64,
}

/// A key frame of a clip, in one author's set of marks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFrame {
    pub kind: KeyFrameKind,
    pub frame: u32,
    /// A person's mark, or a model's proposal in that person's set.
    pub set_by: SetBy,
    /// Whose set the mark is in (the model's pseudo-annotator for marks
    /// made before key frames had an author and never confirmed).
    pub author_id: i64,
    pub author: String,
    pub model_version_id: Option<i64>,
}

pub(super) const ANNOTATION_SELECT: &str =
    "SELECT a.id, a.clip_id, a.frame, a.kind, a.target, a.author_id, p.name, a.source,
    a.model_version_id, a.status, a.revision, r.geometry, a.uncertainty, a.updated_at,
    a.removed_at IS NOT NULL FROM annotations a JOIN annotators p ON p.id = a.author_id
    JOIN annotation_revisions r ON r.annotation_id = a.id AND r.revision = a.revision";

pub(super) fn annotation_from_row(row: &Row<'_>) -> rusqlite::Result<Annotation> {
    let geometry: String = row.get(11)?;
    Ok(Annotation {
        id: row.get(0)?,
        clip_id: row.get(1)?,
        frame: row.get(2)?,
        kind: row.get(3)?,
        target: row.get(4)?,
        author_id: row.get(5)?,
        author: row.get(6)?,
        source: row.get(7)?,
        model_version_id: row.get(8)?,
        status: row.get(9)?,
        revision: row.get(10)?,
        geometry: serde_json::from_str(&geometry).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, e.into())
        })?,
        uncertainty: row.get(12)?,
        updated_at: row.get(13)?,
        removed: row.get(14)?,
    })
}

impl Project {
    /// Saves a new annotation (revision 1) and returns its id once committed.
    pub fn add_annotation(&mut self, new: &NewAnnotation) -> Result<i64, StoreError> {
        self.check_frame(new.clip_id, new.frame)?;
        self.write(|tx| insert_annotation(tx, new))
    }

    /// Writes a new revision of an annotation; returns the revision number.
    pub fn edit_annotation(&mut self, id: i64, edit: &AnnotationEdit) -> Result<u32, StoreError> {
        self.write(|tx| insert_revision(tx, id, edit))
    }

    /// Saves a person's contour of one structure on one frame, as the editor
    /// does after every change: a new revision of their live annotation, the
    /// restored last removed one, or a new annotation. Saving what is already
    /// stored writes nothing. Returns the annotation's id.
    pub fn save_contour(
        &mut self,
        key: &ContourKey,
        template_id: Option<i64>,
        geometry: &Geometry,
        status: AnnotationStatus,
    ) -> Result<i64, StoreError> {
        self.save_contour_from(key, template_id, geometry, status, Source::Human, None)
    }

    /// [`Project::save_contour`] for a contour shown as coming from `source`:
    /// the annotator's own contour is written exactly as given (outline,
    /// status, source and model version), whatever is stored, because it is
    /// what their screen shows (an edit, an undo, a redo, an accept).
    pub fn save_contour_from(
        &mut self,
        key: &ContourKey,
        template_id: Option<i64>,
        geometry: &Geometry,
        status: AnnotationStatus,
        source: Source,
        model_version_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        self.check_frame(key.clip_id, key.frame)?;
        let contour = ContourWrite {
            template_id,
            geometry,
            status,
            source,
            model_version_id,
        };
        self.write(|tx| contour.save(tx, key))
    }

    /// Saves many people's contours at once, all or none, as
    /// [`Project::save_contour`] saves one: an import of a label file lands
    /// whole or not at all. Returns the annotation ids in order.
    pub fn save_contours(
        &mut self,
        contours: &[(ContourKey, Geometry)],
        template_id: Option<i64>,
        status: AnnotationStatus,
    ) -> Result<Vec<i64>, StoreError> {
        for (key, _) in contours {
            self.check_frame(key.clip_id, key.frame)?;
        }
        self.write(|tx| {
            contours
                .iter()
                .map(|(key, geometry)| {
                    ContourWrite {
                        template_id,
                        geometry,
                        status,
                        source: Source::Human,
                        model_version_id: None,
                    }
                    .save(tx, key)
                })
                .collect()
        })
    }

    /// Saves a model's proposal as a draft of the annotator: it fills a
    /// structure they have no contour of, or replaces an earlier proposal
    /// they have not touched. A proposal never replaces a person's contour
    /// nor brings back one they removed: that is a [`StoreError::Conflict`].
    pub fn propose_contour(
        &mut self,
        key: &ContourKey,
        template_id: Option<i64>,
        geometry: &Geometry,
        model_version_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        self.check_frame(key.clip_id, key.frame)?;
        let contour = ContourWrite {
            template_id,
            geometry,
            status: AnnotationStatus::Draft,
            source: Source::Model,
            model_version_id,
        };
        self.write(|tx| {
            if let Some(id) = find_contour(tx, key, false)? {
                let source: Source = tx.query_row(
                    "SELECT source FROM annotations WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )?;
                if source != Source::Model {
                    return Err(StoreError::Conflict(format!(
                        "the model's {} on frame {} would replace the annotator's own contour",
                        key.target,
                        key.frame + 1
                    )));
                }
                contour.update(tx, id, key)?;
                return Ok(id);
            }
            if let Some(id) = find_contour(tx, key, true)? {
                let source: Source = tx.query_row(
                    "SELECT source FROM annotations WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )?;
                if source == Source::Model {
                    contour.revive(tx, id, key)?;
                    return Ok(id);
                }
            }
            contour.insert(tx, key)
        })
    }

    /// Removes a person's live contour of one structure on one frame, keeping
    /// its revisions (a later [`Project::save_contour`] restores it). Returns
    /// whether there was one.
    pub fn remove_contour(&mut self, key: &ContourKey) -> Result<bool, StoreError> {
        self.write(|tx| {
            let Some(id) = find_contour(tx, key, false)? else {
                return Ok(false);
            };
            tx.execute(
                "UPDATE annotations SET removed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                [id],
            )?;
            audit(
                tx,
                Some(&key.author_id.to_string()),
                "remove",
                "annotation",
                Some(id),
                &serde_json::json!({ "clip_id": key.clip_id, "frame": key.frame, "target": key.target }),
            )?;
            Ok(true)
        })
    }

    pub(super) fn check_frame(&self, clip_id: i64, frame: u32) -> Result<(), StoreError> {
        let clip = self.clip(clip_id)?;
        if frame >= clip.frames {
            return Err(StoreError::Invalid(format!(
                "frame {frame} does not exist in clip {clip_id} ({} frames)",
                clip.frames
            )));
        }
        Ok(())
    }

    pub fn annotation(&self, id: i64) -> Result<Annotation, StoreError> {
        self.conn
            .query_row(
                &format!("{ANNOTATION_SELECT} WHERE a.id = ?1"),
                [id],
                annotation_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "annotation",
                name: id.to_string(),
            })
    }

    /// Every live annotation of a clip (or of one of its frames), oldest first.
    pub fn annotations(
        &self,
        clip_id: i64,
        frame: Option<u32>,
    ) -> Result<Vec<Annotation>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "{ANNOTATION_SELECT} WHERE a.clip_id = ?1 AND (?2 IS NULL OR a.frame = ?2)
             AND a.removed_at IS NULL ORDER BY a.frame, a.id"
        ))?;
        let rows = statement.query_map(params![clip_id, frame], annotation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The geometry and status of every revision of an annotation, oldest first.
    pub fn revisions(&self, id: i64) -> Result<Vec<(u32, Geometry, AnnotationStatus)>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT revision, geometry, status FROM annotation_revisions WHERE annotation_id = ?1 ORDER BY revision",
        )?;
        let rows = statement.query_map([id], |row| {
            let geometry: String = row.get(1)?;
            Ok((
                row.get(0)?,
                serde_json::from_str(&geometry).unwrap_or_default(),
                row.get(2)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks `frame` as a key frame of `kind` in `author_id`'s set. A model's
    /// mark never replaces a person's on the same frame: that is a
    /// [`StoreError::Conflict`].
    pub fn set_key_frame(
        &mut self,
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        set_by: SetBy,
        author_id: i64,
        model_version_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let mark = KeyFrameWrite {
            clip_id,
            kind,
            frame,
            set_by,
            author_id,
            model_version_id,
        };
        self.write_key_frame(&mark, false)
    }

    /// Writes a key frame mark exactly as given, even a model's mark over a
    /// person's: the annotator's undo of confirming a proposed mark.
    pub fn restore_key_frame(
        &mut self,
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        set_by: SetBy,
        author_id: i64,
        model_version_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let mark = KeyFrameWrite {
            clip_id,
            kind,
            frame,
            set_by,
            author_id,
            model_version_id,
        };
        self.write_key_frame(&mark, true)
    }

    fn write_key_frame(&mut self, mark: &KeyFrameWrite, exact: bool) -> Result<(), StoreError> {
        self.check_frame(mark.clip_id, mark.frame)?;
        self.write(|tx| {
            let written = tx.execute(
                "INSERT INTO key_frames (clip_id, author_id, kind, frame, set_by, model_version_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(clip_id, author_id, kind, frame) DO UPDATE SET set_by = excluded.set_by,
                    model_version_id = excluded.model_version_id,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE ?7 OR key_frames.set_by = 'model' OR excluded.set_by = 'human'",
                params![
                    mark.clip_id,
                    mark.author_id,
                    mark.kind,
                    mark.frame,
                    mark.set_by,
                    mark.model_version_id,
                    exact
                ],
            )?;
            if written == 0 {
                return Err(StoreError::Conflict(format!(
                    "the model's {} mark on frame {} would replace a person's",
                    mark.kind,
                    mark.frame + 1
                )));
            }
            audit(
                tx,
                Some(&mark.author_id.to_string()),
                "set",
                "key_frame",
                Some(mark.clip_id),
                &serde_json::json!({ "kind": mark.kind, "frame": mark.frame, "set_by": mark.set_by }),
            )
        })
    }

    /// Removes a key frame mark from `author_id`'s set (nobody else's).
    pub fn clear_key_frame(
        &mut self,
        clip_id: i64,
        kind: KeyFrameKind,
        frame: u32,
        author_id: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM key_frames WHERE clip_id = ?1 AND kind = ?2 AND frame = ?3 AND author_id = ?4",
                params![clip_id, kind, frame, author_id],
            )?;
            audit(
                tx,
                Some(&author_id.to_string()),
                "clear",
                "key_frame",
                Some(clip_id),
                &serde_json::json!({ "kind": kind, "frame": frame }),
            )
        })
    }

    /// Every author's key frames of a clip, by frame and author.
    pub fn key_frames(&self, clip_id: i64) -> Result<Vec<KeyFrame>, StoreError> {
        self.query_key_frames(clip_id, None)
    }

    /// One author's key frames of a clip, by frame.
    pub fn key_frames_of(&self, clip_id: i64, author_id: i64) -> Result<Vec<KeyFrame>, StoreError> {
        self.query_key_frames(clip_id, Some(author_id))
    }

    fn query_key_frames(
        &self,
        clip_id: i64,
        author_id: Option<i64>,
    ) -> Result<Vec<KeyFrame>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT k.kind, k.frame, k.set_by, k.author_id, p.name, k.model_version_id FROM key_frames k
             JOIN annotators p ON p.id = k.author_id
             WHERE k.clip_id = ?1 AND (?2 IS NULL OR k.author_id = ?2) ORDER BY k.frame, p.name",
        )?;
        let rows = statement.query_map(params![clip_id, author_id], |row| {
            Ok(KeyFrame {
                kind: row.get(0)?,
                frame: row.get(1)?,
                set_by: row.get(2)?,
                author_id: row.get(3)?,
                author: row.get(4)?,
                model_version_id: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One key frame write (the arguments of the two public entry points).
struct KeyFrameWrite {
    clip_id: i64,
    kind: KeyFrameKind,
    frame: u32,
    set_by: SetBy,
    author_id: i64,
    model_version_id: Option<i64>,
}

/// The newest human contour annotation for `key`, live or removed.
fn find_contour(
    tx: &Transaction<'_>,
    key: &ContourKey,
    removed: bool,
) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT id FROM annotations WHERE clip_id = ?1 AND frame = ?2 AND target = ?3
             AND author_id = ?4 AND kind = 'contour' AND source IN ('human', 'model')
             AND (removed_at IS NOT NULL) = ?5 ORDER BY updated_at DESC, id DESC LIMIT 1",
            params![key.clip_id, key.frame, key.target, key.author_id, removed],
            |row| row.get(0),
        )
        .optional()?)
}

pub(super) fn insert_annotation(
    tx: &Transaction<'_>,
    new: &NewAnnotation,
) -> Result<i64, StoreError> {
    let geometry = serde_json::to_string(&new.geometry).expect("geometry serialises");
    tx.execute(
        "INSERT INTO annotations (clip_id, frame, template_id, kind, target, author_id, source,
            model_version_id, status, uncertainty)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            new.clip_id,
            new.frame,
            new.template_id,
            new.kind,
            new.target,
            new.author_id,
            new.source,
            new.model_version_id,
            new.status,
            new.uncertainty
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO annotation_revisions (annotation_id, revision, geometry, mask, author_id, status)
         VALUES (?1, 1, ?2, ?3, ?4, ?5)",
        params![id, geometry, new.mask, new.author_id, new.status],
    )?;
    audit(
        tx,
        Some(&new.author_id.to_string()),
        "create",
        "annotation",
        Some(id),
        &serde_json::json!({
            "clip_id": new.clip_id, "frame": new.frame, "target": new.target,
            "source": new.source, "status": new.status,
        }),
    )?;
    Ok(id)
}

pub(super) fn insert_revision(
    tx: &Transaction<'_>,
    id: i64,
    edit: &AnnotationEdit,
) -> Result<u32, StoreError> {
    let current: Option<(u32, String)> = tx
        .query_row(
            "SELECT a.revision, r.geometry FROM annotations a JOIN annotation_revisions r
             ON r.annotation_id = a.id AND r.revision = a.revision WHERE a.id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (revision, old_geometry) = current.ok_or_else(|| StoreError::NotFound {
        what: "annotation",
        name: id.to_string(),
    })?;
    let geometry = match &edit.geometry {
        Some(geometry) => serde_json::to_string(geometry).expect("geometry serialises"),
        None => old_geometry,
    };
    let next = revision + 1;
    tx.execute(
        "INSERT INTO annotation_revisions (annotation_id, revision, geometry, mask, author_id, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, next, geometry, edit.mask, edit.author_id, edit.status],
    )?;
    tx.execute(
        "UPDATE annotations SET revision = ?1, status = ?2,
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?3",
        params![next, edit.status, id],
    )?;
    audit(
        tx,
        Some(&edit.author_id.to_string()),
        if edit.geometry.is_some() {
            "edit"
        } else {
            "review"
        },
        "annotation",
        Some(id),
        &serde_json::json!({ "revision": next, "status": edit.status }),
    )?;
    Ok(next)
}

/// A contour to write for a [`ContourKey`], with everything the screen shows of it.
struct ContourWrite<'a> {
    template_id: Option<i64>,
    geometry: &'a Geometry,
    status: AnnotationStatus,
    source: Source,
    model_version_id: Option<i64>,
}

impl ContourWrite<'_> {
    /// A new revision of the author's live contour, the restored last removed
    /// one, or a new annotation.
    fn save(&self, tx: &Transaction<'_>, key: &ContourKey) -> Result<i64, StoreError> {
        if let Some(id) = find_contour(tx, key, false)? {
            self.update(tx, id, key)?;
            return Ok(id);
        }
        if let Some(id) = find_contour(tx, key, true)? {
            self.revive(tx, id, key)?;
            return Ok(id);
        }
        self.insert(tx, key)
    }

    fn edit(&self, key: &ContourKey) -> AnnotationEdit {
        AnnotationEdit {
            author_id: key.author_id,
            geometry: Some(self.geometry.clone()),
            mask: None,
            status: self.status,
        }
    }

    /// Makes live annotation `id` this contour; an unchanged outline and
    /// status add no revision.
    fn update(&self, tx: &Transaction<'_>, id: i64, key: &ContourKey) -> Result<(), StoreError> {
        let (geometry, status): (String, AnnotationStatus) = tx.query_row(
            "SELECT r.geometry, a.status FROM annotations a JOIN annotation_revisions r
             ON r.annotation_id = a.id AND r.revision = a.revision WHERE a.id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        self.set_origin(tx, id)?;
        let unchanged = serde_json::from_str::<Geometry>(&geometry).ok().as_ref()
            == Some(self.geometry)
            && status == self.status;
        if !unchanged {
            insert_revision(tx, id, &self.edit(key))?;
        }
        Ok(())
    }

    /// Brings back removed annotation `id` as this contour.
    fn revive(&self, tx: &Transaction<'_>, id: i64, key: &ContourKey) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE annotations SET removed_at = NULL WHERE id = ?1",
            [id],
        )?;
        self.set_origin(tx, id)?;
        insert_revision(tx, id, &self.edit(key))?;
        Ok(())
    }

    fn insert(&self, tx: &Transaction<'_>, key: &ContourKey) -> Result<i64, StoreError> {
        insert_annotation(
            tx,
            &NewAnnotation {
                clip_id: key.clip_id,
                frame: key.frame,
                template_id: self.template_id,
                kind: AnnotationKind::Contour,
                target: key.target.clone(),
                author_id: key.author_id,
                source: self.source,
                model_version_id: self.model_version_id,
                status: self.status,
                geometry: self.geometry.clone(),
                mask: None,
                uncertainty: None,
            },
        )
    }

    /// Records who the contour is shown as coming from.
    fn set_origin(&self, tx: &Transaction<'_>, id: i64) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE annotations SET source = ?2, model_version_id = ?3 WHERE id = ?1
             AND (source IS NOT ?2 OR model_version_id IS NOT ?3)",
            params![id, self.source, self.model_version_id],
        )?;
        Ok(())
    }
}
