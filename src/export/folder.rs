//! Where an export is written: a hidden folder beside the target, renamed
//! into place only once every file and the manifest are written. A failed or
//! cancelled export therefore leaves nothing half-written, and the target is
//! never a mix of two exports.
//!
//! A target folder that holds anything is left alone unless the caller says
//! to replace it, and even then only when it is an earlier export (it has a
//! `manifest.json`): a mistyped path can never empty someone's folder.

use std::path::{Path, PathBuf};

use super::ExportError;

/// The file every export writes last, and that marks a folder as an export.
pub const MANIFEST: &str = "manifest.json";

/// An export being written.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    work: PathBuf,
    committed: bool,
}

impl Staging {
    /// Checks `target` and creates the hidden work folder beside it.
    pub fn begin(target: &Path, replace: bool) -> Result<Staging, ExportError> {
        let io = |source| ExportError::Io {
            path: target.to_path_buf(),
            source,
        };
        if target.exists() {
            if !target.is_dir() {
                return Err(ExportError::NotAFolder(target.to_path_buf()));
            }
            let non_empty = std::fs::read_dir(target).map_err(io)?.next().is_some();
            if non_empty && !replace {
                return Err(ExportError::NotEmpty(target.to_path_buf()));
            }
            if non_empty && !target.join(MANIFEST).is_file() {
                return Err(ExportError::NotAnExport(target.to_path_buf()));
            }
        }
        let name = target
            .file_name()
            .ok_or_else(|| ExportError::NotAFolder(target.to_path_buf()))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io)?;
        let work = parent.join(format!(".{name}.echolabel-partial-{}", unique()));
        std::fs::create_dir(&work).map_err(|source| ExportError::Io {
            path: work.clone(),
            source,
        })?;
        Ok(Staging {
            target: target.to_path_buf(),
            work,
            committed: false,
        })
    }

    /// A path inside the work folder, its parent folders created.
    pub fn file(&self, relative: &str) -> Result<PathBuf, ExportError> {
        let path = self.work.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ExportError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        Ok(path)
    }

    /// Moves the finished export into place (replacing an earlier export).
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        let io = |path: &Path, source| ExportError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut old = None;
        if self.target.exists() {
            let empty = std::fs::read_dir(&self.target)
                .map_err(|e| io(&self.target, e))?
                .next()
                .is_none();
            if empty {
                std::fs::remove_dir(&self.target).map_err(|e| io(&self.target, e))?;
            } else {
                let aside = self.work.with_file_name(format!(
                    ".{}.echolabel-replaced-{}",
                    self.target
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    unique()
                ));
                std::fs::rename(&self.target, &aside).map_err(|e| io(&self.target, e))?;
                old = Some(aside);
            }
        }
        if let Err(error) = std::fs::rename(&self.work, &self.target) {
            // Put the earlier export back rather than leave no export at all.
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.target);
            }
            return Err(io(&self.target, error));
        }
        self.committed = true;
        if let Some(old) = old {
            // The new export is in place; a leftover of the old one is only untidy.
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.work);
        }
    }
}

/// A suffix no other export running now uses.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_export_replaces_only_an_earlier_export() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let staging = Staging::begin(&target, false).unwrap();
        std::fs::write(staging.file("a/b.txt").unwrap(), "1").unwrap();
        std::fs::write(staging.file(MANIFEST).unwrap(), "{}").unwrap();
        staging.commit().unwrap();
        assert!(target.join("a/b.txt").is_file());

        assert!(matches!(
            Staging::begin(&target, false),
            Err(ExportError::NotEmpty(_))
        ));
        let staging = Staging::begin(&target, true).unwrap();
        std::fs::write(staging.file(MANIFEST).unwrap(), "{}").unwrap();
        staging.commit().unwrap();
        assert!(!target.join("a").exists(), "the earlier export is gone");
        // Only the target is left beside it: no partial or replaced folders.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_that_is_not_an_export_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.docx"), "precious").unwrap();
        assert!(matches!(
            Staging::begin(dir.path(), true),
            Err(ExportError::NotAnExport(_))
        ));
        assert!(dir.path().join("thesis.docx").is_file());
    }

    #[test]
    fn an_abandoned_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let staging = Staging::begin(&target, false).unwrap();
        std::fs::write(staging.file("x.png").unwrap(), "1").unwrap();
        drop(staging);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
