//! Who may do what in a study, checked here in the library so that the
//! desktop, the command line and any future front-end refuse the same things.
//!
//! - An **admin** sets the study up: annotators, templates, collections,
//!   assignments, imports and project settings.
//! - A **reviewer** reviews anyone's work, builds consensus and decides on
//!   pseudo-labels.
//! - An **annotator** works on the clips assigned to them.
//!
//! Admins may also review, and reviewers and admins may annotate any clip.
//! The model's pseudo-annotator is a `system` row: nobody signs in as it.
//! A passphrase (argon2 hash) keeps people on a shared workstation apart; it
//! is not a security boundary against someone who has the project file.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rusqlite::{OptionalExtension, params};

use super::model::Role;
use super::{Annotator, Project, StoreError, audit};

/// The name of the model's pseudo-annotator: the author of its proposals'
/// key frames and of active-learning pseudo-labels.
pub const MODEL_ANNOTATOR: &str = "EchoLabel model";

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Setting the study up.
    Administer,
    /// Reviewing other people's work, consensus, pseudo-labels.
    Review,
}

impl Permission {
    fn allows(self, role: Role) -> bool {
        match self {
            Permission::Administer => role == Role::Admin,
            Permission::Review => matches!(role, Role::Reviewer | Role::Admin),
        }
    }

    /// Who may, in a sentence's words.
    fn who(self) -> &'static str {
        match self {
            Permission::Administer => "an admin",
            Permission::Review => "a reviewer or an admin",
        }
    }
}

impl Project {
    /// The person `actor_id` if their role allows `permission`; otherwise a
    /// [`StoreError::Refused`] that says who may `action`. The role is read
    /// afresh, so a change of role takes effect at once.
    pub fn require(
        &self,
        actor_id: i64,
        permission: Permission,
        action: &str,
    ) -> Result<Annotator, StoreError> {
        let actor = self.person(actor_id)?;
        if permission.allows(actor.role) {
            Ok(actor)
        } else {
            Err(StoreError::Refused {
                action: action.to_string(),
                actor: actor.name,
                role: actor.role,
                who: permission.who(),
            })
        }
    }

    /// Refuses unless `actor_id` may annotate `clip_id`: reviewers and admins
    /// anywhere, annotators on clips assigned to them (by collection or alone).
    pub fn require_clip_work(&self, actor_id: i64, clip_id: i64) -> Result<(), StoreError> {
        let actor = self.person(actor_id)?;
        if actor.role != Role::Annotator || self.is_assigned(actor_id, clip_id)? {
            return Ok(());
        }
        Err(StoreError::Refused {
            action: format!("annotate clip{clip_id:04}, which is not assigned to them"),
            actor: actor.name,
            role: actor.role,
            who: "an annotator it is assigned to, a reviewer or an admin",
        })
    }

    /// Whether `clip_id` is in `annotator_id`'s assigned work.
    pub fn is_assigned(&self, annotator_id: i64, clip_id: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM assignments s JOIN collection_clips cc
                    ON cc.collection_id = s.collection_id
                 WHERE s.annotator_id = ?1 AND cc.clip_id = ?2)
             OR EXISTS (SELECT 1 FROM clip_assignments WHERE annotator_id = ?1 AND clip_id = ?2)",
            params![annotator_id, clip_id],
            |row| row.get(0),
        )?)
    }

    /// A person (not the model's pseudo-annotator) by id.
    fn person(&self, id: i64) -> Result<Annotator, StoreError> {
        self.annotators()?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| StoreError::NotFound {
                what: "annotator",
                name: format!("#{id}"),
            })
    }

    /// Checks `name`'s passphrase (if they set one) and returns them. The
    /// model's pseudo-annotator cannot sign in.
    pub fn sign_in(&self, name: &str, passphrase: Option<&str>) -> Result<Annotator, StoreError> {
        let name = name.trim();
        let found: Option<(i64, bool, Option<String>)> = self
            .conn
            .query_row(
                "SELECT id, system, passphrase_hash FROM annotators WHERE name = ?1",
                [name],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((id, system, hash)) = found else {
            return Err(StoreError::NotFound {
                what: "annotator",
                name: name.to_string(),
            });
        };
        if system {
            return Err(StoreError::Invalid(format!(
                "{name:?} is the model's own name for its proposals, not a person"
            )));
        }
        if let Some(hash) = hash {
            let given = passphrase.unwrap_or_default();
            if Argon2::default()
                .verify_password(given.as_bytes(), hash.as_str())
                .is_err()
            {
                return Err(StoreError::WrongPassphrase {
                    name: name.to_string(),
                });
            }
        }
        self.person(id)
    }

    /// Whether `name` has set a passphrase (the picker asks for one then).
    pub fn has_passphrase(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT passphrase_hash IS NOT NULL FROM annotators WHERE name = ?1",
                [name.trim()],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Sets or (with `None` or an empty one) removes `annotator_id`'s
    /// passphrase. A person sets their own; an admin anyone's (to reset a
    /// forgotten one).
    pub fn set_passphrase(
        &mut self,
        actor_id: i64,
        annotator_id: i64,
        passphrase: Option<&str>,
    ) -> Result<(), StoreError> {
        if actor_id != annotator_id {
            self.require(
                actor_id,
                Permission::Administer,
                "set another person's passphrase",
            )?;
        }
        let person = self.person(annotator_id)?;
        let hash = match passphrase.filter(|p| !p.is_empty()) {
            Some(passphrase) => Some(hash_passphrase(passphrase)?),
            None => None,
        };
        self.write(|tx| {
            tx.execute(
                "UPDATE annotators SET passphrase_hash = ?2 WHERE id = ?1",
                params![annotator_id, hash],
            )?;
            audit(
                tx,
                Some(&actor_id.to_string()),
                if hash.is_some() {
                    "set_passphrase"
                } else {
                    "remove_passphrase"
                },
                "annotator",
                Some(annotator_id),
                &serde_json::json!({ "name": person.name }),
            )
        })
    }

    /// The admins of the project, by name (a refusal names them).
    pub fn admins(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .annotators()?
            .into_iter()
            .filter(|a| a.role == Role::Admin)
            .map(|a| a.name)
            .collect())
    }

    /// Makes `name` the project's first admin (adding them, or promoting the
    /// person of that name). Only while the project has no admin: a new
    /// project, or one made before roles were enforced.
    pub fn bootstrap_admin(&mut self, name: &str) -> Result<i64, StoreError> {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(StoreError::Invalid("an admin needs a name".into()));
        }
        if name == MODEL_ANNOTATOR {
            return Err(StoreError::Invalid(format!(
                "{name:?} is the model's own name for its proposals, not a person"
            )));
        }
        let admins = self.admins()?;
        if !admins.is_empty() {
            return Err(StoreError::Invalid(format!(
                "this project already has an admin ({}); an admin adds everyone else",
                admins.join(", ")
            )));
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO annotators (name, role) VALUES (?1, 'admin')
                 ON CONFLICT(name) DO UPDATE SET role = 'admin'",
                [&name],
            )?;
            let id: i64 = tx.query_row(
                "SELECT id FROM annotators WHERE name = ?1",
                [&name],
                |row| row.get(0),
            )?;
            audit(
                tx,
                Some(&id.to_string()),
                "first_admin",
                "annotator",
                Some(id),
                &serde_json::json!({ "name": name }),
            )?;
            Ok(id)
        })
    }

    /// The model's pseudo-annotator, added (as a `system` row) if missing.
    pub fn model_annotator_id(&mut self) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO annotators (name, role, system) VALUES (?1, 'annotator', 1)
                 ON CONFLICT(name) DO UPDATE SET system = 1",
                [MODEL_ANNOTATOR],
            )?;
            Ok(tx.query_row(
                "SELECT id FROM annotators WHERE name = ?1",
                [MODEL_ANNOTATOR],
                |row| row.get(0),
            )?)
        })
    }
}

/// An argon2id PHC string of `passphrase` with a fresh random salt.
fn hash_passphrase(passphrase: &str) -> Result<String, StoreError> {
    let salt: [u8; 16] = rand::random();
    Argon2::default()
        .hash_password_with_salt(passphrase.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Invalid(format!("cannot hash the passphrase: {error}")))
}
