//! Who a command acts as: `--as NAME` (else `ECHOLABEL_AS`, else the login
//! name, else `admin`), with the passphrase, if that person set one, from
//! `ECHOLABEL_PASSPHRASE`. The library checks the person's role; a project
//! without an admin yet (a new one, or one made before roles) makes this
//! person its first admin.

use crate::store::{Project, StoreError};

/// Who acts when nothing names anyone (no `--as`, no login name in the
/// environment, as in some services and containers).
const FALLBACK_NAME: &str = "admin";

#[derive(Debug, Clone, clap::Args)]
pub struct ActingArgs {
    /// Act as this annotator of the project (default: ECHOLABEL_AS, else your
    /// login name). In a project with no admin yet, this person becomes its admin.
    /// A passphrase is read from ECHOLABEL_PASSPHRASE.
    #[arg(long = "as", value_name = "NAME")]
    pub acting: Option<String>,
}

impl ActingArgs {
    /// The acting person's id, signed in.
    pub fn sign_in(&self, project: &mut Project) -> anyhow::Result<i64> {
        let name = self
            .acting
            .clone()
            .or_else(|| std::env::var("ECHOLABEL_AS").ok())
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| FALLBACK_NAME.to_string());
        if project.admins()?.is_empty() {
            let id = project.bootstrap_admin(&name)?;
            eprintln!("{name} is now this project's admin (it had none)");
            return Ok(id);
        }
        let passphrase = std::env::var("ECHOLABEL_PASSPHRASE").ok();
        match project.sign_in(&name, passphrase.as_deref()) {
            Ok(person) => Ok(person.id),
            Err(StoreError::NotFound { .. }) => Err(anyhow::anyhow!(
                "{name} is not an annotator of this project; pass --as NAME (its admins: {})",
                project.admins()?.join(", ")
            )),
            Err(error) => Err(error.into()),
        }
    }
}
