//! Clips and collections. DICOM files stay where they are (or are copied,
//! de-identified, into the project): the store keeps their path (sealed with
//! the patient key when it is outside the project), size and content hash,
//! and finds a moved file again by its SOP Instance UID when it is imported
//! from its new place. A file with a known UID but other content is a
//! conflict and never replaces the clip's file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::key::{seal, unseal};
use super::{Project, StoreError, audit};
use crate::dicom::{ClipInfo, PatientSalt};

/// A clip as the project knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipRecord {
    pub id: i64,
    pub sop_instance_uid: String,
    pub series_instance_uid: Option<String>,
    pub study_instance_uid: Option<String>,
    /// Absolute, or relative to the project folder for copied-in files (the
    /// database keeps absolute paths sealed; this is the path in clear).
    pub path: PathBuf,
    pub file_size: u64,
    pub content_hash: String,
    pub patient_hash: Option<String>,
    pub modality: Option<String>,
    pub manufacturer: Option<String>,
    pub study_date: Option<String>,
    pub frames: u32,
    pub rows: u32,
    pub cols: u32,
    pub frame_time_ms: Option<f64>,
    pub mm_per_pixel: Option<(f64, f64)>,
    pub imported_at: String,
}

/// A named set of clips (a clip may be in many).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub clips: u64,
    /// Annotators see only their own work on its clips (see [`Project::may_see_others`]).
    pub blind: bool,
}

pub(super) const CLIP_COLUMNS: &str = "clips.id, clips.sop_instance_uid, clips.series_instance_uid, clips.study_instance_uid, clips.path, clips.file_size, clips.content_hash, clips.patient_hash, clips.modality, clips.manufacturer, clips.study_date, clips.frames, clips.rows, clips.cols, clips.frame_time_ms, clips.mm_per_pixel_x, clips.mm_per_pixel_y, clips.imported_at";

pub(super) fn clip_from_row(row: &Row<'_>) -> rusqlite::Result<ClipRecord> {
    let x: Option<f64> = row.get(15)?;
    let y: Option<f64> = row.get(16)?;
    Ok(ClipRecord {
        id: row.get(0)?,
        sop_instance_uid: row.get(1)?,
        series_instance_uid: row.get(2)?,
        study_instance_uid: row.get(3)?,
        path: PathBuf::from(row.get::<_, String>(4)?),
        file_size: row.get(5)?,
        content_hash: row.get(6)?,
        patient_hash: row.get(7)?,
        modality: row.get(8)?,
        manufacturer: row.get(9)?,
        study_date: row.get(10)?,
        frames: row.get(11)?,
        rows: row.get(12)?,
        cols: row.get(13)?,
        frame_time_ms: row.get(14)?,
        mm_per_pixel: x.zip(y),
        imported_at: row.get(17)?,
    })
}

impl Project {
    /// The collection called `name`, created if missing; for an admin.
    pub fn ensure_collection(&mut self, by: i64, name: &str) -> Result<i64, StoreError> {
        self.require(by, super::Permission::Administer, "make collections")?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("a collection needs a name".into()));
        }
        self.write(|tx| collection_id(tx, name))
    }

    pub fn collections(&self) -> Result<Vec<Collection>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT c.id, c.name, c.description, COUNT(cc.clip_id), c.blind FROM collections c
             LEFT JOIN collection_clips cc ON cc.collection_id = c.id GROUP BY c.id ORDER BY c.name",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(Collection {
                id: row.get(0)?,
                name: row.get(1)?,
                description: row.get(2)?,
                clips: row.get(3)?,
                blind: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Makes a collection blind (or not); for an admin.
    pub fn set_collection_blind(
        &mut self,
        by: i64,
        collection_id: i64,
        blind: bool,
    ) -> Result<(), StoreError> {
        self.require(by, super::Permission::Administer, "change a collection")?;
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE collections SET blind = ?2 WHERE id = ?1",
                rusqlite::params![collection_id, blind],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    what: "collection",
                    name: format!("#{collection_id}"),
                });
            }
            audit(
                tx,
                Some(&by.to_string()),
                "update",
                "collection",
                Some(collection_id),
                &serde_json::json!({ "blind": blind }),
            )
        })
    }

    /// Whether `viewer_id` may see other people's contours and key frames on
    /// `clip_id`: reviewers and admins always, annotators unless the clip is
    /// in a blind collection.
    pub fn may_see_others(&self, viewer_id: i64, clip_id: i64) -> Result<bool, StoreError> {
        let role: Option<super::Role> = self
            .conn
            .query_row(
                "SELECT role FROM annotators WHERE id = ?1",
                [viewer_id],
                |row| row.get(0),
            )
            .optional()?;
        if role != Some(super::Role::Annotator) {
            return Ok(role.is_some());
        }
        let blind: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM collection_clips cc JOIN collections c ON c.id = cc.collection_id
             WHERE cc.clip_id = ?1 AND c.blind)",
            [clip_id],
            |row| row.get(0),
        )?;
        Ok(!blind)
    }

    /// Every clip, or those of one collection, ordered by path.
    pub fn clips(&self, collection: Option<i64>) -> Result<Vec<ClipRecord>, StoreError> {
        let sql = format!(
            "SELECT {CLIP_COLUMNS} FROM clips WHERE ?1 IS NULL OR id IN
             (SELECT clip_id FROM collection_clips WHERE collection_id = ?1) ORDER BY path"
        );
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map([collection], clip_from_row)?;
        let mut clips: Vec<ClipRecord> = rows
            .map(|row| row.map(|clip| self.reveal(clip)))
            .collect::<Result<_, _>>()?;
        // The database orders sealed paths, which says nothing.
        clips.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(clips)
    }

    pub fn clip(&self, id: i64) -> Result<ClipRecord, StoreError> {
        let sql = format!("SELECT {CLIP_COLUMNS} FROM clips WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], clip_from_row)
            .optional()?
            .map(|clip| self.reveal(clip))
            .ok_or_else(|| StoreError::NotFound {
                what: "clip",
                name: id.to_string(),
            })
    }

    pub fn clip_by_uid(&self, sop_instance_uid: &str) -> Result<Option<ClipRecord>, StoreError> {
        let sql = format!("SELECT {CLIP_COLUMNS} FROM clips WHERE sop_instance_uid = ?1");
        Ok(self
            .conn
            .query_row(&sql, [sop_instance_uid], clip_from_row)
            .optional()?
            .map(|clip| self.reveal(clip)))
    }

    /// The record with its stored (sealed) path opened. A seal that does not
    /// open is left as it is: the file is then reported missing under that name.
    pub(super) fn reveal(&self, mut clip: ClipRecord) -> ClipRecord {
        if let Some(path) = unseal(&self.salt, &clip.path.to_string_lossy()) {
            clip.path = PathBuf::from(path);
        }
        clip
    }

    /// The clip's file on disk: stored paths of copied files are relative to the project.
    pub fn clip_file(&self, clip: &ClipRecord) -> PathBuf {
        if clip.path.is_absolute() {
            clip.path.clone()
        } else {
            self.root.join(&clip.path)
        }
    }
}

pub(super) fn collection_id(tx: &Transaction<'_>, name: &str) -> Result<i64, StoreError> {
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM collections WHERE name = ?1",
            [name],
            |row| row.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    tx.execute("INSERT INTO collections (name) VALUES (?1)", [name])?;
    let id = tx.last_insert_rowid();
    audit(
        tx,
        None,
        "create",
        "collection",
        Some(id),
        &serde_json::json!({ "name": name }),
    )?;
    Ok(id)
}

/// What adding a file to the catalogue did.
pub(super) enum Catalogued {
    New(i64),
    /// Already known (same SOP Instance UID and content); `moved` when its
    /// path was updated because the stored file no longer exists.
    Known {
        id: i64,
        moved: bool,
    },
    /// The SOP Instance UID is clip `id`'s, but the content differs.
    Conflict {
        id: i64,
    },
}

/// What the catalogue holds under a file's SOP Instance UID.
pub(super) enum Known {
    Absent,
    /// The same content; `file_present` when the clip's stored file still exists.
    Same {
        id: i64,
        file_present: bool,
    },
    Different {
        id: i64,
    },
}

impl Known {
    /// Whether importing the file would make the project point at it (a new
    /// clip, or a known one whose file has gone): only then is a copy made.
    pub(super) fn needs_file(&self) -> bool {
        matches!(
            self,
            Known::Absent
                | Known::Same {
                    file_present: false,
                    ..
                }
        )
    }
}

/// Looks a file up by SOP Instance UID and content hash.
pub(super) fn known(
    conn: &Connection,
    key: &PatientSalt,
    root: &Path,
    sop_instance_uid: &str,
    content_hash: &str,
) -> Result<Known, StoreError> {
    let existing: Option<(i64, String, String)> = conn
        .query_row(
            "SELECT id, path, content_hash FROM clips WHERE sop_instance_uid = ?1",
            [sop_instance_uid],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    Ok(match existing {
        None => Known::Absent,
        Some((id, _, hash)) if hash != content_hash => Known::Different { id },
        Some((id, stored, _)) => {
            let file_present = unseal(key, &stored).is_some_and(|path| root.join(path).exists());
            Known::Same { id, file_present }
        }
    })
}

/// Adds a clip, or recognises it by SOP Instance UID (and content hash).
/// `stored_path` is absolute for a file left in place (it is sealed before it
/// is stored) or relative to the project for a copy.
pub(super) fn catalogue_clip(
    tx: &Transaction<'_>,
    key: &PatientSalt,
    root: &Path,
    info: &ClipInfo,
    stored_path: &Path,
    file_size: u64,
    content_hash: &str,
) -> Result<Catalogued, StoreError> {
    let stored_text = if stored_path.is_absolute() {
        seal(key, &stored_path.to_string_lossy())
    } else {
        stored_path.to_string_lossy().into_owned()
    };
    match known(tx, key, root, &info.sop_instance_uid, content_hash)? {
        Known::Absent => {}
        Known::Different { id } => return Ok(Catalogued::Conflict { id }),
        Known::Same {
            id,
            file_present: true,
        } => return Ok(Catalogued::Known { id, moved: false }),
        Known::Same {
            id,
            file_present: false,
        } => {
            tx.execute(
                "UPDATE clips SET path = ?1 WHERE id = ?2",
                params![stored_text, id],
            )?;
            audit(
                tx,
                None,
                "relocate",
                "clip",
                Some(id),
                &serde_json::json!({}),
            )?;
            return Ok(Catalogued::Known { id, moved: true });
        }
    }
    let (min_x, min_y, max_x, max_y) = info
        .region
        .as_ref()
        .map(|r| r.bounds)
        .map_or((None, None, None, None), |b| {
            (Some(b.0), Some(b.1), Some(b.2), Some(b.3))
        });
    let spacing = info.mm_per_pixel();
    tx.execute(
        "INSERT INTO clips (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid, path,
            file_size, content_hash, patient_hash, patient_identifiers_present, modality, manufacturer,
            study_date, frames, rows, cols, photometric, transfer_syntax, frame_time_ms, heart_rate_bpm,
            mm_per_pixel_x, mm_per_pixel_y, region_min_x, region_min_y, region_max_x, region_max_y)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25)",
        params![
            info.sop_instance_uid,
            info.series_instance_uid,
            info.study_instance_uid,
            info.sop_class_uid,
            stored_text,
            file_size,
            content_hash,
            info.patient.hash,
            info.patient.identifiers_present,
            info.modality,
            info.manufacturer,
            info.study_date,
            info.frames,
            info.rows,
            info.cols,
            info.photometric,
            info.transfer_syntax_uid,
            info.frame_time_ms,
            info.heart_rate_bpm,
            spacing.map(|s| s.0),
            spacing.map(|s| s.1),
            min_x,
            min_y,
            max_x,
            max_y,
        ],
    )?;
    let id = tx.last_insert_rowid();
    audit(
        tx,
        None,
        "import",
        "clip",
        Some(id),
        &serde_json::json!({ "sop_instance_uid": info.sop_instance_uid, "content_hash": content_hash }),
    )?;
    Ok(Catalogued::New(id))
}

pub(super) fn add_to_collection(
    tx: &Transaction<'_>,
    collection: i64,
    clip: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO collection_clips (collection_id, clip_id) VALUES (?1, ?2)",
        params![collection, clip],
    )?;
    Ok(())
}
