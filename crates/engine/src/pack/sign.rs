//! Ed25519 keys and signatures over a pack's manifest.
//!
//! Keys are PEM files, the format OpenSSL uses (`openssl genpkey -algorithm
//! ed25519`): PKCS#8 `PRIVATE KEY` for signing, SubjectPublicKeyInfo
//! `PUBLIC KEY` for verifying. A bare 64-digit hexadecimal key is read too.
//! The signature covers the exact bytes of `ward-pack.json`, which holds
//! every file's digest.

use super::{PackError, SIGNATURE, sha256_hex};
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// `ward-pack.sig`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The id of the public key that verifies it (see [`key_id`]).
    pub key: String,
    /// The signature of `ward-pack.json`'s bytes, base64.
    pub signature: String,
}

impl SignatureFile {
    pub fn parse(bytes: &[u8]) -> Result<SignatureFile, PackError> {
        let s: SignatureFile = serde_json::from_slice(bytes)
            .map_err(|e| PackError::BadSignature(format!("`{SIGNATURE}` cannot be read: {e}")))?;
        if s.algorithm != "ed25519" {
            return Err(PackError::BadSignature(format!(
                "algorithm `{}` is not supported; Ward verifies ed25519",
                s.algorithm
            )));
        }
        Ok(s)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

/// A new key pair as PEM text.
#[derive(Debug)]
pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
    pub id: String,
}

impl KeyPair {
    /// The key pair of a 32-byte seed (from the operating system's random
    /// source: the caller provides it).
    pub fn from_seed(seed: [u8; 32]) -> Result<KeyPair, String> {
        let sk = SigningKey::from_bytes(&seed);
        let private_pem = sk
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the private key: {e}"))?
            .to_string();
        let vk = sk.verifying_key();
        let public_pem = vk
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the public key: {e}"))?;
        Ok(KeyPair {
            private_pem,
            public_pem,
            id: key_id(&vk),
        })
    }
}

/// A short, stable name for a public key: `ed25519:` and the first 16
/// hexadecimal digits of the SHA-256 of its 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let hex = sha256_hex(key.as_bytes());
    format!("ed25519:{}", hex.get(..16).unwrap_or(&hex))
}

/// A private key: PKCS#8 PEM, or 64 hexadecimal digits (the seed).
pub fn parse_signing_key(text: &str) -> Result<SigningKey, String> {
    let t = text.trim();
    if t.contains("PUBLIC KEY") {
        return Err("this is a public key; signing needs the private key".into());
    }
    if t.starts_with("-----BEGIN") {
        return SigningKey::from_pkcs8_pem(t)
            .map_err(|e| format!("not an ed25519 private key: {e}"));
    }
    hex32(t).map(|b| SigningKey::from_bytes(&b))
}

/// A public key: SubjectPublicKeyInfo PEM, or 64 hexadecimal digits. A
/// private key is accepted too (its public half is used).
pub fn parse_verifying_key(text: &str) -> Result<VerifyingKey, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN PUBLIC KEY") {
        return VerifyingKey::from_public_key_pem(t)
            .map_err(|e| format!("not an ed25519 public key: {e}"));
    }
    if t.starts_with("-----BEGIN") {
        return parse_signing_key(t).map(|k| k.verifying_key());
    }
    let b = hex32(t)?;
    VerifyingKey::from_bytes(&b).map_err(|e| format!("not an ed25519 public key: {e}"))
}

fn hex32(t: &str) -> Result<[u8; 32], String> {
    let bad = || "not a key: expected PEM or 64 hexadecimal digits".to_string();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = t
            .get(i * 2..i * 2 + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(bad)?;
    }
    Ok(out)
}

/// Signs a manifest's bytes.
pub fn sign(manifest: &[u8], key: &SigningKey) -> SignatureFile {
    let sig: Signature = key.sign(manifest);
    SignatureFile {
        algorithm: "ed25519".into(),
        key: key_id(&key.verifying_key()),
        signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
    }
}

/// Checks a signature with the trusted key it names; returns that key's id.
pub fn verify(
    manifest: &[u8],
    sig: &SignatureFile,
    keys: &[VerifyingKey],
) -> Result<String, PackError> {
    let Some(key) = keys.iter().find(|k| key_id(k) == sig.key) else {
        let trusted: Vec<String> = keys.iter().map(key_id).collect();
        return Err(PackError::UntrustedKey {
            signed_by: sig.key.clone(),
            trusted: trusted.join(", "),
        });
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig.signature.trim())
        .map_err(|e| PackError::BadSignature(format!("not base64: {e}")))?;
    let sig_bytes: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| PackError::BadSignature(format!("{} bytes, not 64", bytes.len())))?;
    key.verify_strict(manifest, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| {
            PackError::BadSignature(format!(
                "it does not match the manifest for key {}: the manifest changed after signing, or it was signed with another key",
                sig.key
            ))
        })?;
    Ok(sig.key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_hex_keys_round_trip() {
        let kp = KeyPair::from_seed([7; 32]);
        assert!(kp.is_ok());
        let Ok(kp) = kp else { return };
        let sk = parse_signing_key(&kp.private_pem);
        let vk = parse_verifying_key(&kp.public_pem);
        assert!(sk.is_ok() && vk.is_ok());
        let (Ok(sk), Ok(vk)) = (sk, vk) else { return };
        assert_eq!(key_id(&vk), kp.id);
        let sig = sign(b"manifest", &sk);
        assert_eq!(verify(b"manifest", &sig, &[vk]), Ok(kp.id.clone()));
        assert!(matches!(
            verify(b"changed", &sig, &[vk]),
            Err(PackError::BadSignature(_))
        ));
        assert!(parse_signing_key(&kp.public_pem).is_err());
        assert!(parse_signing_key(&"07".repeat(32)).is_ok());
        assert!(parse_verifying_key("zz").is_err());
    }
}
