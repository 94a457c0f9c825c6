//! Progress per collection and annotator: what is assigned, annotated and reviewed.

use serde::Serialize;

use super::{Project, StoreError};

/// One row of the progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressRow {
    pub collection: String,
    pub annotator: String,
    /// Clips of the collection, when the annotator has an assignment for it (else 0).
    pub clips_assigned: u64,
    /// Key frames (ED/ES) marked on those clips: the frames a contour task asks for.
    pub frames_assigned: u64,
    /// Clips and frames with at least one submitted or accepted annotation by the annotator.
    pub clips_annotated: u64,
    pub frames_annotated: u64,
    /// Frames whose annotations by the annotator a reviewer has accepted or rejected.
    pub frames_reviewed: u64,
    /// Frames with only draft annotations by the annotator.
    pub frames_draft: u64,
}

/// Rows for every (collection, annotator) pair with an assignment or an annotation.
pub fn progress_report(project: &Project) -> Result<Vec<ProgressRow>, StoreError> {
    let mut statement = project.conn.prepare(
        "WITH pairs AS (
            SELECT collection_id, annotator_id, MAX(assigned) AS assigned FROM (
                SELECT collection_id, annotator_id, 1 AS assigned FROM assignments
                UNION ALL
                SELECT cc.collection_id, a.author_id, 0 FROM annotations a
                JOIN collection_clips cc ON cc.clip_id = a.clip_id WHERE a.removed_at IS NULL
            ) GROUP BY collection_id, annotator_id
        ),
        frame_state AS (
            SELECT cc.collection_id, a.author_id, a.clip_id, a.frame,
                MAX(a.status IN ('submitted', 'accepted')) AS annotated,
                MAX(a.status IN ('accepted', 'rejected')) AS reviewed,
                MIN(a.status = 'draft') AS only_draft
            FROM annotations a JOIN collection_clips cc ON cc.clip_id = a.clip_id
            WHERE a.removed_at IS NULL
            GROUP BY cc.collection_id, a.author_id, a.clip_id, a.frame
        )
        SELECT c.name, p.name,
            CASE WHEN pairs.assigned THEN (SELECT COUNT(*) FROM collection_clips cc
                WHERE cc.collection_id = pairs.collection_id) ELSE 0 END,
            CASE WHEN pairs.assigned THEN (SELECT COUNT(*) FROM key_frames k
                JOIN collection_clips cc ON cc.clip_id = k.clip_id
                WHERE cc.collection_id = pairs.collection_id) ELSE 0 END,
            COUNT(DISTINCT CASE WHEN f.annotated THEN f.clip_id END),
            COALESCE(SUM(f.annotated), 0),
            COALESCE(SUM(f.reviewed), 0),
            COALESCE(SUM(f.only_draft), 0)
        FROM pairs JOIN collections c ON c.id = pairs.collection_id JOIN annotators p ON p.id = pairs.annotator_id
        LEFT JOIN frame_state f ON f.collection_id = pairs.collection_id AND f.author_id = pairs.annotator_id
        GROUP BY pairs.collection_id, pairs.annotator_id
        ORDER BY c.name, p.name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(ProgressRow {
            collection: row.get(0)?,
            annotator: row.get(1)?,
            clips_assigned: row.get(2)?,
            frames_assigned: row.get(3)?,
            clips_annotated: row.get(4)?,
            frames_annotated: row.get(5)?,
            frames_reviewed: row.get(6)?,
            frames_draft: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
