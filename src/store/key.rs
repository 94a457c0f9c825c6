//! The project's patient key, kept outside the database.
//!
//! Whoever holds `project.sqlite` must not be able to confirm a guessed patient
//! (by hashing their ID with the salt) or read where the original files live.
//! So the key is a file in the user's config folder (`keys/<fingerprint>.key`,
//! readable by its owner only) and the database records only the key's
//! fingerprint. A study admin can give a key file of their own (to link
//! patients across projects); it is then installed in the same folder.
//!
//! The key also seals the file paths the database keeps (HMAC-SHA-256 in
//! counter mode, encrypt-then-MAC) and tags them for look-ups (a keyed hash).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::dicom::PatientSalt;
use crate::settings;

/// Names a key file to use instead of the one in the config folder.
pub const KEY_FILE_ENV: &str = "ECHOLABEL_PATIENT_KEY";
/// Prefix of a sealed (encrypted and authenticated) value in the database.
const SEALED: &str = "sealed1:";
/// Prefix of a keyed tag of a value (for equality look-ups only).
const TAGGED: &str = "tag1:";
const NONCE_BYTES: usize = 16;
const MAC_BYTES: usize = 16;

/// Why the patient key could not be found, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: cannot read or write the patient key: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a patient key (expected 64 hexadecimal digits)", path.display())]
    Malformed { path: PathBuf },
    #[error(
        "this project's patient key (fingerprint {fingerprint}) is not at {}; copy the study's key file there or give it with --patient-key / {KEY_FILE_ENV}",
        expected.display()
    )]
    Missing {
        fingerprint: String,
        expected: PathBuf,
    },
    #[error(
        "{}: this key (fingerprint {given}) is not the project's patient key (fingerprint {expected})",
        path.display()
    )]
    WrongKey {
        path: PathBuf,
        given: String,
        expected: String,
    },
}

/// Where patient keys are looked for: the key folder, and optionally one key
/// file given by the study admin.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// Folder of `<fingerprint>.key` files.
    pub dir: PathBuf,
    /// A key file to use (and install into `dir`) instead of a new random key.
    pub given: Option<PathBuf>,
}

impl KeyRing {
    /// `keys/` in the user's config folder, and the file named by
    /// [`KEY_FILE_ENV`] if set.
    pub fn from_env() -> KeyRing {
        KeyRing {
            dir: settings::config_dir().join("keys"),
            given: std::env::var_os(KEY_FILE_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    fn path_of(&self, fingerprint: &str) -> PathBuf {
        self.dir.join(format!("{fingerprint}.key"))
    }

    /// The given key file, read, if there is one.
    fn given_key(&self) -> Result<Option<(PathBuf, PatientSalt)>, KeyError> {
        self.given
            .as_ref()
            .map(|path| read_key(path).map(|key| (path.clone(), key)))
            .transpose()
    }

    /// The key of a project whose database records `fingerprint`.
    pub(super) fn find(&self, fingerprint: &str) -> Result<PatientSalt, KeyError> {
        if let Some((path, key)) = self.given_key()? {
            if key.fingerprint() != fingerprint {
                return Err(KeyError::WrongKey {
                    path,
                    given: key.fingerprint(),
                    expected: fingerprint.to_string(),
                });
            }
            self.install(&key)?;
            return Ok(key);
        }
        let expected = self.path_of(fingerprint);
        if !expected.is_file() {
            return Err(KeyError::Missing {
                fingerprint: fingerprint.to_string(),
                expected,
            });
        }
        let key = read_key(&expected)?;
        if key.fingerprint() != fingerprint {
            return Err(KeyError::WrongKey {
                path: expected,
                given: key.fingerprint(),
                expected: fingerprint.to_string(),
            });
        }
        Ok(key)
    }

    /// The key for a project that has none yet: the given one, or a new random one.
    pub(super) fn new_key(&self) -> Result<PatientSalt, KeyError> {
        let key = match self.given_key()? {
            Some((_, key)) => key,
            None => PatientSalt::random(),
        };
        self.install(&key)?;
        Ok(key)
    }

    /// Writes `key` into the key folder (owner-only permissions) unless it is
    /// there already. Written to a temporary file first, so a crash never
    /// leaves a truncated key under the final name.
    pub(super) fn install(&self, key: &PatientSalt) -> Result<(), KeyError> {
        let target = self.path_of(&key.fingerprint());
        if target.is_file() {
            return Ok(());
        }
        let io = |source| KeyError::Io {
            path: target.clone(),
            source,
        };
        create_private_dir(&self.dir).map_err(|source| KeyError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let temporary = target.with_extension(format!("partial{}", std::process::id()));
        let mut file = private_file(&temporary).map_err(io)?;
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        std::fs::rename(&temporary, &target).map_err(io)
    }
}

/// Reads a key file: 64 hex digits (surrounding white space allowed), as
/// `openssl rand -hex 32` writes.
pub fn read_key(path: &Path) -> Result<PatientSalt, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    PatientSalt::from_hex(text.trim()).ok_or_else(|| KeyError::Malformed {
        path: path.to_path_buf(),
    })
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// A keyed tag of `text`: equal texts give equal tags, and the tag cannot be
/// checked against a guess without the key. Used where the store only needs
/// to recognise a path again (resuming an import).
pub(super) fn tag(key: &PatientSalt, text: &str) -> String {
    format!("{TAGGED}{}", hex(&key.keyed_hash("tag", text.as_bytes())))
}

/// Encrypts and authenticates `text` under `key` (a fresh random nonce each time).
pub(super) fn seal(key: &PatientSalt, text: &str) -> String {
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let mut bytes = text.as_bytes().to_vec();
    apply_keystream(key, &nonce, &mut bytes);
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&bytes);
    let mac = key.keyed_hash("seal mac", &sealed);
    sealed.extend_from_slice(&mac[..MAC_BYTES]);
    format!("{SEALED}{}", hex(&sealed))
}

/// The text sealed by [`seal`]; text that was never sealed (paths inside the
/// project) is returned as it is; `None` when the seal is damaged or was made
/// with another key.
pub(super) fn unseal(key: &PatientSalt, stored: &str) -> Option<String> {
    let Some(body) = stored.strip_prefix(SEALED) else {
        return Some(stored.to_string());
    };
    let sealed = unhex(body)?;
    if sealed.len() < NONCE_BYTES + MAC_BYTES {
        return None;
    }
    let (message, mac) = sealed.split_at(sealed.len() - MAC_BYTES);
    if key.keyed_hash("seal mac", message)[..MAC_BYTES] != *mac {
        return None;
    }
    let (nonce, ciphertext) = message.split_at(NONCE_BYTES);
    let mut bytes = ciphertext.to_vec();
    apply_keystream(key, nonce, &mut bytes);
    String::from_utf8(bytes).ok()
}

/// Whether a stored value is already sealed or tagged (migration skips those).
pub(super) fn is_protected(stored: &str) -> bool {
    stored.starts_with(SEALED) || stored.starts_with(TAGGED)
}

fn apply_keystream(key: &PatientSalt, nonce: &[u8], bytes: &mut [u8]) {
    for (block, chunk) in bytes.chunks_mut(32).enumerate() {
        let mut input = nonce.to_vec();
        input.extend_from_slice(&(block as u64).to_le_bytes());
        let stream = key.keyed_hash("seal stream", &input);
        for (byte, pad) in chunk.iter_mut().zip(stream) {
            *byte ^= pad;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_hides_the_path_and_opens_only_with_its_key() {
        let key = PatientSalt::random();
        let path = "/data/DOE^JANE MRN-123/echo.dcm";
        let sealed = seal(&key, path);
        // Needles with letters outside 0-9a-f, which random hex cannot spell
        // ("123" could turn up by chance).
        assert!(!sealed.contains("DOE") && !sealed.contains("MRN") && !sealed.contains("echo"));
        assert_ne!(sealed, seal(&key, path), "each seal has its own nonce");
        assert_eq!(unseal(&key, &sealed).as_deref(), Some(path));
        assert_eq!(unseal(&PatientSalt::random(), &sealed), None);
        let mut damaged = sealed.clone().into_bytes();
        let last = damaged.len() - 1;
        damaged[last] = if damaged[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(unseal(&key, &String::from_utf8(damaged).unwrap()), None);
        assert_eq!(
            unseal(&key, "dicom/ab.dcm").as_deref(),
            Some("dicom/ab.dcm")
        );
    }

    #[test]
    fn tags_are_stable_per_key() {
        let key = PatientSalt::random();
        assert_eq!(tag(&key, "/a/b"), tag(&key, "/a/b"));
        assert_ne!(tag(&key, "/a/b"), tag(&key, "/a/c"));
        assert_ne!(tag(&key, "/a/b"), tag(&PatientSalt::random(), "/a/b"));
        assert!(is_protected(&tag(&key, "/a/b")) && !is_protected("/a/b"));
    }

    #[test]
    fn keys_are_installed_privately_and_checked_against_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing {
            dir: dir.path().join("keys"),
            given: None,
        };
        let key = ring.new_key().unwrap();
        let file = ring.path_of(&key.fingerprint());
        assert_eq!(read_key(&file).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key file is private: {mode:o}");
        }
        assert_eq!(ring.find(&key.fingerprint()).unwrap(), key);
        let other = PatientSalt::random();
        assert!(matches!(
            ring.find(&other.fingerprint()),
            Err(KeyError::Missing { .. })
        ));
        let admin = dir.path().join("study.key");
        std::fs::write(&admin, format!("{}\n", other.to_hex())).unwrap();
        let with_admin = KeyRing {
            given: Some(admin.clone()),
            ..ring.clone()
        };
        assert!(matches!(
            with_admin.find(&key.fingerprint()),
            Err(KeyError::WrongKey { .. })
        ));
        assert_eq!(with_admin.new_key().unwrap(), other);
        // Installed: found later without naming the admin's file.
        assert_eq!(ring.find(&other.fingerprint()).unwrap(), other);
        std::fs::write(&admin, "not a key").unwrap();
        assert!(matches!(read_key(&admin), Err(KeyError::Malformed { .. })));
    }
}
