//! Patient identifiers are never kept in clear: a clip keeps a salted SHA-256 of
//! them (so two clips of one patient can be matched inside a project) and whether
//! they were present at all. The salt is the project's patient key, which lives
//! outside the project database (see `store::key`), so the database alone cannot
//! confirm a guessed patient.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A secret mixed into every patient hash, so that a hash cannot be reversed by
/// hashing a list of likely patient IDs. A project keeps one salt (its patient
/// key) for its lifetime; the same key also derives the project's de-identified
/// UIDs and seals the file paths the database keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientSalt([u8; 32]);

impl PatientSalt {
    /// A fresh random salt (for a new project, or a one-off listing).
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The salt kept in a project, as 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// The salt as 64 hex digits, for storage.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// HMAC-SHA-256 (RFC 2104) of `message` under this key, with `purpose`
    /// mixed in first so that the values derived for different uses (UIDs,
    /// path tags, sealing) can never be swapped for one another.
    pub fn keyed_hash(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        const BLOCK: usize = 64;
        let mut inner_pad = [0x36u8; BLOCK];
        let mut outer_pad = [0x5cu8; BLOCK];
        for (i, byte) in self.0.iter().enumerate() {
            inner_pad[i] ^= byte;
            outer_pad[i] ^= byte;
        }
        let mut inner = Sha256::new();
        inner.update(inner_pad);
        inner.update((purpose.len() as u64).to_le_bytes());
        inner.update(purpose.as_bytes());
        inner.update(message);
        let mut outer = Sha256::new();
        outer.update(outer_pad);
        outer.update(inner.finalize());
        outer.finalize().into()
    }

    /// A public name for the key (32 hex digits): the database records it so
    /// that a project opened with the wrong key is refused, and the key file is
    /// named after it. It reveals nothing about the key.
    pub fn fingerprint(&self) -> String {
        hex(&self.keyed_hash("key fingerprint", b"")[..16])
    }
}

impl std::fmt::Debug for PatientSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientSalt(..)")
    }
}

/// What a clip says about its patient, without saying who the patient is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientIdentity {
    /// Whether the file carried a patient ID, name or birth date.
    pub identifiers_present: bool,
    /// Salted SHA-256 (hex) of the patient ID and name, when present.
    pub hash: Option<String>,
}

impl PatientIdentity {
    /// Hashes the identifying values (empty strings count as absent).
    pub fn from_identifiers(salt: &PatientSalt, id: &str, name: &str, birth_date: &str) -> Self {
        let (id, name, birth_date) = (id.trim(), name.trim(), birth_date.trim());
        let identifiers_present = !(id.is_empty() && name.is_empty() && birth_date.is_empty());
        let hash = identifiers_present.then(|| {
            let mut hasher = Sha256::new();
            hasher.update(salt.0);
            for part in [id, name, birth_date] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            hex(&hasher.finalize())
        });
        Self {
            identifiers_present,
            hash,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_patient_same_hash_and_salt_matters() {
        let salt = PatientSalt::random();
        let a = PatientIdentity::from_identifiers(&salt, "12345", "DOE^JANE", "");
        let b = PatientIdentity::from_identifiers(&salt, "12345 ", "DOE^JANE", "");
        assert_eq!(a, b);
        assert!(a.identifiers_present);
        let hash = a.hash.clone().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("12345"));
        let other =
            PatientIdentity::from_identifiers(&PatientSalt::random(), "12345", "DOE^JANE", "");
        assert_ne!(other.hash, a.hash);
    }

    #[test]
    fn absent_identifiers_have_no_hash() {
        let id = PatientIdentity::from_identifiers(&PatientSalt::random(), " ", "", "");
        assert!(!id.identifiers_present);
        assert_eq!(id.hash, None);
    }

    #[test]
    fn keyed_hash_is_hmac_sha256() {
        // Reference computed independently with Python's hmac module:
        // hmac.new(bytes(range(32)), (3).to_bytes(8,'little') + b"uid" + b"1.2.3", sha256).
        let key = PatientSalt::from_hex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        )
        .unwrap();
        assert_eq!(
            hex(&key.keyed_hash("uid", b"1.2.3")),
            "574afce5cf9f9f72596a2ea8c8c60ba04c965cd155522b873d2e14c49619abda"
        );
        assert_ne!(
            key.keyed_hash("uid", b"1.2.3"),
            key.keyed_hash("tag", b"1.2.3")
        );
        assert_eq!(key.fingerprint().len(), 32);
    }

    #[test]
    fn salt_hex_round_trip() {
        let salt = PatientSalt::random();
        assert_eq!(PatientSalt::from_hex(&salt.to_hex()), Some(salt));
        assert_eq!(PatientSalt::from_hex("xyz"), None);
    }
}
