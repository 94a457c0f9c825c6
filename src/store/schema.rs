//! The versioned schema. `PRAGMA user_version` holds the version; each
//! migration runs in one transaction, so an upgrade either completes or leaves
//! the project as it was. Migrations are append-only: never edit one that has
//! shipped, add the next.

use rusqlite::Connection;

use super::StoreError;

/// Version 1: the whole data model of a study.
const V1: &str = r#"
CREATE TABLE project_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE clips (
    id INTEGER PRIMARY KEY,
    sop_instance_uid TEXT NOT NULL UNIQUE,
    series_instance_uid TEXT,
    study_instance_uid TEXT,
    sop_class_uid TEXT NOT NULL,
    path TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    patient_hash TEXT,
    patient_identifiers_present INTEGER NOT NULL,
    modality TEXT,
    manufacturer TEXT,
    study_date TEXT,
    frames INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    cols INTEGER NOT NULL,
    photometric TEXT NOT NULL,
    transfer_syntax TEXT NOT NULL,
    frame_time_ms REAL,
    heart_rate_bpm REAL,
    mm_per_pixel_x REAL,
    mm_per_pixel_y REAL,
    region_min_x INTEGER,
    region_min_y INTEGER,
    region_max_x INTEGER,
    region_max_y INTEGER,
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX clips_by_hash ON clips(content_hash);
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE collection_clips (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, clip_id)
);
CREATE TABLE annotators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('annotator', 'reviewer', 'admin')),
    expertise TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE task_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('contour', 'label', 'keypoint', 'measurement')),
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    template_id INTEGER NOT NULL REFERENCES task_templates(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (collection_id, template_id, annotator_id)
);
CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    architecture TEXT NOT NULL,
    checkpoint_path TEXT NOT NULL,
    parent_id INTEGER REFERENCES model_versions(id),
    training_set TEXT NOT NULL DEFAULT '[]',
    metrics TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    frame INTEGER NOT NULL CHECK (frame >= 0),
    template_id INTEGER REFERENCES task_templates(id),
    kind TEXT NOT NULL CHECK (kind IN ('contour', 'label', 'keypoint', 'measurement')),
    target TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES annotators(id),
    source TEXT NOT NULL CHECK (source IN ('human', 'model', 'pseudo_label', 'consensus')),
    model_version_id INTEGER REFERENCES model_versions(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'rejected')),
    revision INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX annotations_by_frame ON annotations(clip_id, frame);
CREATE TABLE annotation_revisions (
    annotation_id INTEGER NOT NULL REFERENCES annotations(id),
    revision INTEGER NOT NULL,
    geometry TEXT NOT NULL,
    mask BLOB,
    author_id INTEGER NOT NULL REFERENCES annotators(id),
    status TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (annotation_id, revision)
);
CREATE TABLE key_frames (
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    kind TEXT NOT NULL CHECK (kind IN ('ED', 'ES')),
    frame INTEGER NOT NULL CHECK (frame >= 0),
    set_by TEXT NOT NULL CHECK (set_by IN ('human', 'model')),
    author_id INTEGER REFERENCES annotators(id),
    model_version_id INTEGER REFERENCES model_versions(id),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (clip_id, kind, frame)
);
CREATE TABLE al_rounds (
    id INTEGER PRIMARY KEY,
    strategy TEXT NOT NULL,
    seed INTEGER,
    budget INTEGER NOT NULL,
    model_version_id INTEGER REFERENCES model_versions(id),
    parameters TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE al_scores (
    round_id INTEGER NOT NULL REFERENCES al_rounds(id) ON DELETE CASCADE,
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    frame INTEGER NOT NULL,
    score REAL NOT NULL,
    rank INTEGER NOT NULL,
    queried INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, clip_id, frame)
);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT
);
CREATE TABLE import_files (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'duplicate', 'failed')),
    message TEXT,
    PRIMARY KEY (import_id, path)
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// Version 2: per-annotation uncertainty (set on model proposals) and the
/// indexes that search filters on.
const V2: &str = r#"
ALTER TABLE annotations ADD COLUMN uncertainty REAL;
CREATE INDEX annotations_by_status ON annotations(status, source);
CREATE INDEX annotations_by_target ON annotations(target);
CREATE INDEX clips_by_attributes ON clips(modality, manufacturer, study_date);
CREATE INDEX al_scores_by_frame ON al_scores(clip_id, frame);
"#;

/// Version 3: an annotation can be removed (an editor's delete, or the undo
/// of its creation) without losing its revisions; removed ones are hidden
/// from every listing, search and report.
const V3: &str = r#"
ALTER TABLE annotations ADD COLUMN removed_at TEXT;
CREATE INDEX annotations_by_author ON annotations(clip_id, frame, target, author_id);
"#;

/// Version 4: privacy. An import can end in a conflict (a file whose SOP
/// Instance UID is already a clip with other content); `import_files.path` and
/// `imports.root` hold keyed tags of paths (enough to resume an import), and
/// `import_files.file` the file's path sealed with the patient key (so the
/// summary can name failed files). Paths the audit log kept in clear are
/// removed from it: the one time the append-only log is rewritten, because
/// the paths often carry patient names or record numbers. Clip paths, the
/// tags and the seals are written by the first open with the key (see
/// `store::key`), since SQL cannot reach the key.
const V4: &str = r#"
CREATE TABLE import_files_v4 (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'duplicate', 'conflict', 'failed')),
    message TEXT,
    file TEXT,
    PRIMARY KEY (import_id, path)
);
INSERT INTO import_files_v4 (import_id, path, outcome, message)
    SELECT import_id, path, outcome, message FROM import_files;
DROP TABLE import_files;
ALTER TABLE import_files_v4 RENAME TO import_files;
DROP TRIGGER audit_log_is_append_only_update;
UPDATE audit_log SET detail = json_remove(detail, '$.path', '$.root', '$.from', '$.to')
    WHERE json_valid(detail) AND action IN ('import', 'relocate', 'import_finished', 'import_paused');
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// Version 5: multi-expert studies.
/// - Key frames belong to an author: each person keeps their own ED/ES set,
///   so one reader's D/S never removes another's. Today's marks keep their
///   author; a model's mark that no person confirmed (it had no author) goes
///   to the model's own pseudo-annotator.
/// - The model's pseudo-annotator is flagged `system`: never a person to
///   pick, sign in as or assign work to.
/// - An optional passphrase hash (argon2, PHC string) per annotator.
/// - Collections may be blind: their annotators see only their own work.
/// - Single clips can be assigned, beside whole collections.
/// - A reviewer's decision on a person's annotation, with its comment.
/// - Consensus annotations record their method, the revision the method
///   made (a later one is a reviewer's correction) and each input's revision.
/// - Active editing time per annotator and frame.
const V5: &str = r#"
ALTER TABLE annotators ADD COLUMN passphrase_hash TEXT;
ALTER TABLE annotators ADD COLUMN system INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO annotators (name, role) SELECT 'EchoLabel model', 'annotator'
    WHERE EXISTS (SELECT 1 FROM key_frames WHERE author_id IS NULL);
UPDATE annotators SET system = 1 WHERE name = 'EchoLabel model';
ALTER TABLE collections ADD COLUMN blind INTEGER NOT NULL DEFAULT 0;
CREATE TABLE clip_assignments (
    clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    template_id INTEGER NOT NULL REFERENCES task_templates(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (clip_id, template_id, annotator_id)
);
CREATE TABLE key_frames_v5 (
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    author_id INTEGER NOT NULL REFERENCES annotators(id),
    kind TEXT NOT NULL CHECK (kind IN ('ED', 'ES')),
    frame INTEGER NOT NULL CHECK (frame >= 0),
    set_by TEXT NOT NULL CHECK (set_by IN ('human', 'model')),
    model_version_id INTEGER REFERENCES model_versions(id),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (clip_id, author_id, kind, frame)
);
INSERT INTO key_frames_v5 (clip_id, author_id, kind, frame, set_by, model_version_id, updated_at)
    SELECT clip_id,
           COALESCE(author_id, (SELECT id FROM annotators WHERE name = 'EchoLabel model')),
           kind, frame, set_by, model_version_id, updated_at
    FROM key_frames;
DROP TABLE key_frames;
ALTER TABLE key_frames_v5 RENAME TO key_frames;
CREATE TABLE annotation_reviews (
    id INTEGER PRIMARY KEY,
    annotation_id INTEGER NOT NULL REFERENCES annotations(id),
    revision INTEGER NOT NULL,
    reviewer_id INTEGER NOT NULL REFERENCES annotators(id),
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'returned')),
    comment TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX annotation_reviews_by_annotation ON annotation_reviews(annotation_id, id);
CREATE TABLE consensus (
    annotation_id INTEGER PRIMARY KEY REFERENCES annotations(id),
    method TEXT NOT NULL CHECK (method IN ('staple', 'majority')),
    built_revision INTEGER NOT NULL,
    built_by INTEGER NOT NULL REFERENCES annotators(id)
);
CREATE TABLE consensus_inputs (
    consensus_id INTEGER NOT NULL REFERENCES annotations(id),
    input_id INTEGER NOT NULL REFERENCES annotations(id),
    input_revision INTEGER NOT NULL,
    PRIMARY KEY (consensus_id, input_id)
);
CREATE TABLE frame_times (
    clip_id INTEGER NOT NULL REFERENCES clips(id),
    frame INTEGER NOT NULL CHECK (frame >= 0),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    active_ms INTEGER NOT NULL CHECK (active_ms >= 0),
    with_proposal INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (clip_id, frame, annotator_id)
);
"#;

/// Every migration, in order; index + 1 is the version it produces.
const MIGRATIONS: [&str; 5] = [V1, V2, V3, V4, V5];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version stored in a database.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the database up to [`SCHEMA_VERSION`], refusing newer ones.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Applies migrations up to `target` (tests use it to build older projects).
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        // Another process may have migrated while we waited for the lock.
        if version(&tx)? > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.execute(
            "INSERT INTO audit_log (actor, action, entity, detail) VALUES (NULL, 'migrate', 'schema', ?1)",
            [format!("{{\"to_version\": {}}}", index + 1)],
        )?;
        tx.commit()?;
    }
    Ok(())
}
