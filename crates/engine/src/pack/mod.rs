//! Packs as products: archives with a manifest of every file's digest,
//! and ed25519 signatures over that manifest.
//!
//! An archive (`.wardpack`) is a gzip-compressed tar holding the pack's
//! files, `ward-pack.json` (the [`Manifest`]) and, once signed,
//! `ward-pack.sig` (a [`SignatureFile`]). Everything here works on bytes:
//! the command line reads and writes the files. See `docs/packs.md`.

pub mod archive;
pub mod manifest;
pub mod sign;

pub use archive::{Entries, Limits};
pub use ed25519_dalek::VerifyingKey;
pub use manifest::{Manifest, build_manifest};
pub use sign::{KeyPair, SignatureFile, key_id, parse_signing_key, parse_verifying_key};

use crate::engine::embedded_files;

/// The manifest's name inside an archive.
pub const MANIFEST: &str = "ward-pack.json";
/// The signature's name inside an archive.
pub const SIGNATURE: &str = "ward-pack.sig";
/// The manifest format this Ward writes and reads.
pub const FORMAT: u32 = 1;

/// Why an archive was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("entry `{entry}` {why}")]
    UnsafeEntry { entry: String, why: String },
    #[error("{0}")]
    Manifest(String),
    #[error("`{entry}` does not match the manifest: expected sha256 {expected}, found {actual}")]
    Tampered {
        entry: String,
        expected: String,
        actual: String,
    },
    #[error("`{entry}` is listed in the manifest but missing from the archive")]
    Missing { entry: String },
    #[error("`{entry}` is in the archive but not listed in the manifest")]
    Unlisted { entry: String },
    #[error("the pack is not signed, and a signature is required")]
    Unsigned,
    #[error("the signature (`{SIGNATURE}`) is invalid: {0}")]
    BadSignature(String),
    #[error("the signature is by key {signed_by}, which is not among the trusted keys ({trusted})")]
    UntrustedKey { signed_by: String, trusted: String },
    #[error("the pack requires Ward {requires}; this is Ward {ward}")]
    Requires { requires: String, ward: String },
}

/// A pack archive read into memory, its digests checked.
#[derive(Clone, Debug)]
pub struct PackArchive {
    pub manifest: Manifest,
    /// The manifest exactly as stored: what the signature covers.
    pub manifest_bytes: Vec<u8>,
    /// The pack's files (neither manifest nor signature), by path.
    pub files: Entries,
    pub signature: Option<SignatureFile>,
}

impl PackArchive {
    /// Reads an archive and checks every file against the manifest's
    /// digests; the signature is read but not checked (see [`Self::verify`]).
    pub fn open(bytes: &[u8], limits: &Limits) -> Result<PackArchive, PackError> {
        let mut entries = archive::read(bytes, limits)?;
        let manifest_bytes = entries.remove(MANIFEST).ok_or_else(|| {
            PackError::Manifest(format!("the archive has no `{MANIFEST}`: not a Ward pack"))
        })?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        let signature = match entries.remove(SIGNATURE) {
            Some(b) => Some(SignatureFile::parse(&b)?),
            None => None,
        };
        for f in &manifest.files {
            let Some(data) = entries.get(&f.path) else {
                return Err(PackError::Missing {
                    entry: f.path.clone(),
                });
            };
            let actual = sha256_hex(data);
            if actual != f.sha256 || data.len() as u64 != f.size {
                return Err(PackError::Tampered {
                    entry: f.path.clone(),
                    expected: f.sha256.clone(),
                    actual,
                });
            }
        }
        if let Some(extra) = entries
            .keys()
            .find(|k| !manifest.files.iter().any(|f| &f.path == *k))
        {
            return Err(PackError::Unlisted {
                entry: extra.clone(),
            });
        }
        Ok(PackArchive {
            manifest,
            manifest_bytes,
            files: entries,
            signature,
        })
    }

    /// Checks the signature against trusted public keys: it must exist and
    /// be valid when `required` or when keys are given. Returns the id of
    /// the key that signed, when checked.
    pub fn verify(
        &self,
        keys: &[ed25519_dalek::VerifyingKey],
        required: bool,
    ) -> Result<Option<String>, PackError> {
        if keys.is_empty() && !required {
            return Ok(None);
        }
        let Some(sig) = &self.signature else {
            return Err(PackError::Unsigned);
        };
        if keys.is_empty() {
            return Err(PackError::UntrustedKey {
                signed_by: sig.key.clone(),
                trusted: "none given".into(),
            });
        }
        sign::verify(&self.manifest_bytes, sig, keys).map(Some)
    }

    /// Refuses the pack when this Ward is not a version it `requires`.
    pub fn check_requires(&self, ward: &str) -> Result<(), PackError> {
        check_requires(self.manifest.requires.as_deref(), ward)
    }

    /// The archive as bytes, with its signature when it has one.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PackError> {
        let mut entries = self.files.clone();
        entries.insert(MANIFEST.into(), self.manifest_bytes.clone());
        if let Some(sig) = &self.signature {
            entries.insert(SIGNATURE.into(), sig.to_bytes());
        }
        archive::write(&entries)
    }

    /// The `.ward` files as (path, text); a file that is not UTF-8 is an
    /// error naming it.
    pub fn policy_files(&self) -> Result<Vec<(&str, &str)>, PackError> {
        self.files
            .iter()
            .filter(|(p, _)| p.ends_with(".ward"))
            .map(|(p, b)| {
                std::str::from_utf8(b)
                    .map(|t| (p.as_str(), t))
                    .map_err(|_| PackError::Corrupt(format!("`{p}` is not UTF-8 text")))
            })
            .collect()
    }

    /// The manifest's digest, `sha256:...`: what `ward.lock` pins. The
    /// manifest holds every file's digest, so this pins every file.
    pub fn digest(&self) -> String {
        format!("sha256:{}", sha256_hex(&self.manifest_bytes))
    }
}

/// Whether `ward` satisfies a `requires` requirement (`">=0.1"`).
pub fn check_requires(requires: Option<&str>, ward: &str) -> Result<(), PackError> {
    let Some(req) = requires else { return Ok(()) };
    let parsed = semver::VersionReq::parse(req).map_err(|e| {
        PackError::Manifest(format!(
            "`requires \"{req}\"` is not a version requirement: {e}"
        ))
    })?;
    let v = semver::Version::parse(ward).map_err(|e| {
        PackError::Manifest(format!("Ward's version `{ward}` is not semantic: {e}"))
    })?;
    if parsed.matches(&v) {
        Ok(())
    } else {
        Err(PackError::Requires {
            requires: req.to_string(),
            ward: ward.to_string(),
        })
    }
}

/// The lowercase hexadecimal SHA-256 digest of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The folder of the embedded files that declares a built-in pack
/// (`policies/pss/`), found by its `pack name {` line.
pub fn builtin_pack_folder(name: &str) -> Option<String> {
    embedded_files().iter().find_map(|(path, text)| {
        let declares = text.lines().any(|l| {
            l.strip_prefix("pack ")
                .map(|rest| rest.trim_end_matches(['{', ' ']).trim())
                .is_some_and(|n| n == name)
        });
        if !declares || !path.starts_with("policies/") {
            return None;
        }
        path.rfind('/').map(|i| path[..=i].to_string())
    })
}

/// A built-in pack's digest, `sha256:...`: over the path and digest of
/// every embedded file in the folder that declares it, so it changes when
/// any of them does.
pub fn builtin_pack_digest(name: &str) -> Option<String> {
    let folder = builtin_pack_folder(name)?;
    let mut list = String::new();
    for (path, text) in embedded_files() {
        if path.starts_with(&folder) {
            list.push_str(path);
            list.push(' ');
            list.push_str(&sha256_hex(text.as_bytes()));
            list.push('\n');
        }
    }
    Some(format!("sha256:{}", sha256_hex(list.as_bytes())))
}

#[cfg(test)]
mod tests;
