//! Annotators, task templates and assignments.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::access::{MODEL_ANNOTATOR, Permission};
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
    /// Whether they set a passphrase (asked for before working as them).
    pub passphrase: bool,
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

/// Who annotates which collection (or single clip) with which template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// The collection assigned whole, or none for a single clip.
    pub collection: Option<String>,
    /// The single clip assigned, or none for a collection.
    pub clip_id: Option<i64>,
    pub template: String,
    pub annotator: String,
}

/// What an assignment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkUnit<'a> {
    /// Every clip of the collection of this name, now and later.
    Collection(&'a str),
    /// One clip, by id.
    Clip(i64),
}

impl Project {
    /// Adds an annotator, or updates the role and expertise of an existing
    /// one; for an admin. The model's pseudo-annotator is not a person to add.
    pub fn upsert_annotator(
        &mut self,
        by: i64,
        name: &str,
        role: Role,
        expertise: &[String],
    ) -> Result<i64, StoreError> {
        self.require(by, Permission::Administer, "add or change annotators")?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(StoreError::Invalid("an annotator needs a name".into()));
        }
        if name == MODEL_ANNOTATOR {
            return Err(StoreError::Invalid(format!(
                "{name:?} is the model's own name for its proposals, not a person"
            )));
        }
        if removes_last_admin(self, &name, role)? {
            return Err(StoreError::Invalid(
                "the project's only admin cannot lose the role; make someone else admin first"
                    .into(),
            ));
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
                Some(&by.to_string()),
                "upsert",
                "annotator",
                Some(id),
                &serde_json::json!({ "name": name, "role": role, "expertise": expertise }),
            )?;
            Ok(id)
        })
    }

    /// The people of the project (never the model's pseudo-annotator), by name.
    pub fn annotators(&self) -> Result<Vec<Annotator>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, name, role, expertise, passphrase_hash IS NOT NULL FROM annotators WHERE system = 0 ORDER BY name")?;
        let rows = statement.query_map([], |row| {
            let tags: String = row.get(3)?;
            Ok(Annotator {
                id: row.get(0)?,
                name: row.get(1)?,
                role: row.get(2)?,
                expertise: serde_json::from_str(&tags).unwrap_or_default(),
                passphrase: row.get(4)?,
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

    /// Adds a template, or replaces the items of one with the same name; for an admin.
    pub fn upsert_template(
        &mut self,
        by: i64,
        name: &str,
        kind: AnnotationKind,
        items: &[String],
    ) -> Result<i64, StoreError> {
        self.require(by, Permission::Administer, "change task templates")?;
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
                Some(&by.to_string()),
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

    /// Assigns a collection (or, with [`WorkUnit::Clip`], one clip) to an
    /// annotator with a template; for an admin. Assigning twice changes nothing.
    pub fn assign(
        &mut self,
        by: i64,
        work: WorkUnit<'_>,
        template: &str,
        annotator: &str,
    ) -> Result<(), StoreError> {
        self.change_assignment(by, work, template, annotator, true)
    }

    /// Takes an assignment back; for an admin. The annotator's work on those
    /// clips stays theirs and stays in the project.
    pub fn unassign(
        &mut self,
        by: i64,
        work: WorkUnit<'_>,
        template: &str,
        annotator: &str,
    ) -> Result<(), StoreError> {
        self.change_assignment(by, work, template, annotator, false)
    }

    fn change_assignment(
        &mut self,
        by: i64,
        work: WorkUnit<'_>,
        template: &str,
        annotator: &str,
        add: bool,
    ) -> Result<(), StoreError> {
        self.require(by, Permission::Administer, "assign work")?;
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
        let template_id = lookup("task_templates", "template", template)?;
        let person = self
            .annotators()?
            .into_iter()
            .find(|a| a.name == annotator.trim())
            .ok_or_else(|| StoreError::NotFound {
                what: "annotator",
                name: annotator.to_string(),
            })?;
        let (sql, unit_id, entity) = match (work, add) {
            (WorkUnit::Collection(name), true) => (
                "INSERT OR IGNORE INTO assignments (collection_id, template_id, annotator_id) VALUES (?1, ?2, ?3)",
                lookup("collections", "collection", name)?,
                "assignment",
            ),
            (WorkUnit::Collection(name), false) => (
                "DELETE FROM assignments WHERE collection_id = ?1 AND template_id = ?2 AND annotator_id = ?3",
                lookup("collections", "collection", name)?,
                "assignment",
            ),
            (WorkUnit::Clip(clip_id), true) => (
                "INSERT OR IGNORE INTO clip_assignments (clip_id, template_id, annotator_id) VALUES (?1, ?2, ?3)",
                self.clip(clip_id)?.id,
                "clip_assignment",
            ),
            (WorkUnit::Clip(clip_id), false) => (
                "DELETE FROM clip_assignments WHERE clip_id = ?1 AND template_id = ?2 AND annotator_id = ?3",
                self.clip(clip_id)?.id,
                "clip_assignment",
            ),
        };
        self.write(|tx| {
            let changed = tx.execute(sql, params![unit_id, template_id, person.id])?;
            if changed > 0 {
                audit(
                    tx,
                    Some(&by.to_string()),
                    if add { "assign" } else { "unassign" },
                    entity,
                    Some(unit_id),
                    &serde_json::json!({ "template": template, "annotator": person.name }),
                )?;
            }
            Ok(())
        })
    }

    /// Every assignment: whole collections first, then single clips.
    pub fn assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT collection, clip, template, annotator FROM (
                SELECT c.name AS collection, NULL AS clip, t.name AS template, a.name AS annotator
                FROM assignments s JOIN collections c ON c.id = s.collection_id
                JOIN task_templates t ON t.id = s.template_id JOIN annotators a ON a.id = s.annotator_id
                UNION ALL
                SELECT NULL, s.clip_id, t.name, a.name FROM clip_assignments s
                JOIN task_templates t ON t.id = s.template_id JOIN annotators a ON a.id = s.annotator_id
             ) ORDER BY collection IS NULL, collection, clip, annotator, template",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(Assignment {
                collection: row.get(0)?,
                clip_id: row.get(1)?,
                template: row.get(2)?,
                annotator: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Whether giving `name` this `role` would leave the project without an admin.
fn removes_last_admin(project: &Project, name: &str, role: Role) -> Result<bool, StoreError> {
    let admins = project.admins()?;
    Ok(role != Role::Admin && admins.len() == 1 && admins[0] == name)
}
