//! Progress per collection and annotator: what is assigned, annotated and reviewed.

use serde::Serialize;

use super::{Project, StoreError};

/// One row of the progress report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressRow {
    pub collection: String,
    pub annotator: String,
    /// Clips of the collection assigned to the annotator, whole or one by one.
    pub clips_assigned: u64,
    /// The annotator's own key frames (ED/ES) on those clips: the frames a
    /// contour task asks for.
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
        "WITH assigned_clips AS (
            SELECT cc.collection_id, s.annotator_id, cc.clip_id FROM assignments s
            JOIN collection_clips cc ON cc.collection_id = s.collection_id
            UNION
            SELECT cc.collection_id, s.annotator_id, s.clip_id FROM clip_assignments s
            JOIN collection_clips cc ON cc.clip_id = s.clip_id
        ),
        pairs AS (
            SELECT collection_id, annotator_id FROM assigned_clips
            UNION
            SELECT cc.collection_id, a.author_id FROM annotations a
            JOIN collection_clips cc ON cc.clip_id = a.clip_id WHERE a.removed_at IS NULL
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
            (SELECT COUNT(*) FROM assigned_clips ac WHERE ac.collection_id = pairs.collection_id
                AND ac.annotator_id = pairs.annotator_id),
            (SELECT COUNT(DISTINCT k.clip_id || ':' || k.frame) FROM key_frames k
                JOIN assigned_clips ac ON ac.clip_id = k.clip_id
                WHERE ac.collection_id = pairs.collection_id AND ac.annotator_id = pairs.annotator_id
                AND k.author_id = pairs.annotator_id),
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
