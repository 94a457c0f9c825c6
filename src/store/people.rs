//! Annotators, task templates and assignments.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::model::{AnnotationKind, Role};
use super::{Project, StoreError, audit};

/// A person who annotates or reviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotator {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Free tags, e.g. "sonographer", "cardiologist", "paediatric".
    pub expertise: Vec<String>,
}

/// What to annotate: the structures of a contour task, the label set of a
/// label task, the points of a keypoint task or the measurements to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskTemplate {
    #[serde(skip_deserializing)]
    pub id: i64,
    pub name: String,
    pub kind: AnnotationKind,
    /// Structure, label, keypoint or measurement names, in display order.
    pub items: Vec<String>,
}

/// Who annotates which collection with which template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub collection: String,
    pub template: String,
    pub annotator: String,
}

impl Project {
    /// Adds an annotator, or updates the role and expertise of an existing one.
    pub fn upsert_annotator(
        &mut self,
        name: &str,
        role: Role,
        expertise: &[String],
    ) -> Result<i64, StoreError> {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(StoreError::Invalid("an annotator needs a name".into()));
        }
        let tags = serde_json::to_string(expertise).expect("strings serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO annotators (name, role, expertise) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET role = excluded.role, expertise = excluded.expertise",
                params![name, role, tags],
            )?;
            let id: i64 = tx.query_row("SELECT id FROM annotators WHERE name = ?1", [&name], |row| row.get(0))?;
            audit(
                tx,
                None,
                "upsert",
                "annotator",
                Some(id),
                &serde_json::json!({ "name": name, "role": role, "expertise": expertise }),
            )?;
            Ok(id)
        })
    }

    pub fn annotators(&self) -> Result<Vec<Annotator>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, name, role, expertise FROM annotators ORDER BY name")?;
        let rows = statement.query_map([], |row| {
            let tags: String = row.get(3)?;
            Ok(Annotator {
                id: row.get(0)?,
                name: row.get(1)?,
                role: row.get(2)?,
                expertise: serde_json::from_str(&tags).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn annotator_id(&self, name: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT id FROM annotators WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "annotator",
                name: name.to_string(),
            })
    }

    /// Adds a template, or replaces the items of one with the same name.
    pub fn upsert_template(
        &mut self,
        name: &str,
        kind: AnnotationKind,
        items: &[String],
    ) -> Result<i64, StoreError> {
        if items.is_empty() {
            return Err(StoreError::Invalid(format!(
                "template {name:?} lists nothing to annotate"
            )));
        }
        let spec = serde_json::to_string(items).expect("strings serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO task_templates (name, kind, spec) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec",
                params![name, kind, spec],
            )?;
            let id: i64 = tx.query_row(
                "SELECT id FROM task_templates WHERE name = ?1",
                [name],
                |row| row.get(0),
            )?;
            audit(
                tx,
                None,
                "upsert",
                "task_template",
                Some(id),
                &serde_json::json!({ "name": name, "kind": kind, "items": items }),
            )?;
            Ok(id)
        })
    }

    pub fn templates(&self) -> Result<Vec<TaskTemplate>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, name, kind, spec FROM task_templates ORDER BY name")?;
        let rows = statement.query_map([], |row| {
            let spec: String = row.get(3)?;
            Ok(TaskTemplate {
                id: row.get(0)?,
                name: row.get(1)?,
                kind: row.get(2)?,
                items: serde_json::from_str(&spec).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Assigns a collection to an annotator with a template (idempotent).
    pub fn assign(
        &mut self,
        collection: &str,
        template: &str,
        annotator: &str,
    ) -> Result<(), StoreError> {
        let lookup = |table: &str, what: &'static str, name: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(
                    &format!("SELECT id FROM {table} WHERE name = ?1"),
                    [name],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what,
                    name: name.to_string(),
                })
        };
        let collection_id = lookup("collections", "collection", collection)?;
        let template_id = lookup("task_templates", "template", template)?;
        let annotator_id = lookup("annotators", "annotator", annotator)?;
        self.write(|tx| {
            let added = tx.execute(
                "INSERT OR IGNORE INTO assignments (collection_id, template_id, annotator_id) VALUES (?1, ?2, ?3)",
                params![collection_id, template_id, annotator_id],
            )?;
            if added > 0 {
                audit(
                    tx,
                    None,
                    "assign",
                    "assignment",
                    Some(tx.last_insert_rowid()),
                    &serde_json::json!({ "collection": collection, "template": template, "annotator": annotator }),
                )?;
            }
            Ok(())
        })
    }

    pub fn assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT c.name, t.name, a.name FROM assignments s JOIN collections c ON c.id = s.collection_id
             JOIN task_templates t ON t.id = s.template_id JOIN annotators a ON a.id = s.annotator_id
             ORDER BY c.name, a.name, t.name",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(Assignment {
                collection: row.get(0)?,
                template: row.get(1)?,
                annotator: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
