//! Pack archives as bytes: a gzip-compressed tar, read and written in
//! memory.
//!
//! Reading never touches the file system: entries become a map from path to
//! bytes. Only regular files (and folders, which are skipped) are accepted;
//! a path that is absolute, climbs out with `..`, or is given twice, and any
//! symbolic link, hard link or device, refuses the whole archive. Sizes and
//! entry counts are capped before anything is allocated for them.

use super::PackError;
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// The most an archive may hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The archive file itself (compressed).
    pub max_archive_bytes: u64,
    /// Everything it decompresses to, tar headers included.
    pub max_total_bytes: u64,
    /// One entry.
    pub max_entry_bytes: u64,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_archive_bytes: 32 << 20,
            max_total_bytes: 128 << 20,
            max_entry_bytes: 32 << 20,
            max_entries: 4096,
        }
    }
}

/// The files of an archive by path, in path order.
pub type Entries = BTreeMap<String, Vec<u8>>;

/// Reads every entry of a `.tar.gz` into memory.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Entries, PackError> {
    if bytes.len() as u64 > limits.max_archive_bytes {
        return Err(PackError::TooLarge(format!(
            "the archive is {} bytes; the limit is {}",
            bytes.len(),
            limits.max_archive_bytes
        )));
    }
    if bytes.get(..2) != Some(&[0x1f, 0x8b]) {
        return Err(PackError::Corrupt(
            "not a pack archive (not gzip-compressed)".into(),
        ));
    }
    let capped = Capped {
        inner: flate2::read::GzDecoder::new(bytes),
        left: limits.max_total_bytes,
        limit: limits.max_total_bytes,
    };
    let mut archive = tar::Archive::new(capped);
    let mut out = Entries::new();
    let mut count = 0usize;
    let entries = archive.entries().map_err(corrupt)?;
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        if count > limits.max_entries {
            return Err(PackError::TooLarge(format!(
                "the archive has more than {} entries",
                limits.max_entries
            )));
        }
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw)
            .map_err(|e| unsafe_path(&String::from_utf8_lossy(e.as_bytes()), "is not UTF-8"))?;
        let ty = entry.header().entry_type();
        if ty.is_dir() {
            check_path(path.trim_end_matches('/'))?;
            continue;
        }
        if !(ty.is_file() || ty.is_contiguous()) {
            let what = if ty.is_symlink() {
                "is a symbolic link"
            } else if ty.is_hard_link() {
                "is a hard link"
            } else {
                "is not a regular file"
            };
            return Err(unsafe_path(&path, what));
        }
        check_path(&path)?;
        let size = entry.header().size().map_err(corrupt)?;
        if size > limits.max_entry_bytes {
            return Err(PackError::TooLarge(format!(
                "`{path}` is {size} bytes; the limit for one file is {}",
                limits.max_entry_bytes
            )));
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut data).map_err(corrupt)?;
        if out.insert(path.clone(), data).is_some() {
            return Err(unsafe_path(&path, "is in the archive twice"));
        }
    }
    // Trailing garbage after the tar's end blocks is not read by `tar`;
    // the gzip stream must still end cleanly.
    let mut rest = archive.into_inner();
    let mut sink = [0u8; 4096];
    loop {
        match rest.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(corrupt(e)),
        }
    }
    Ok(out)
}

/// Writes entries as a reproducible `.tar.gz`: path order, no timestamps,
/// owners or permissions beyond `0644`.
pub fn write(entries: &Entries) -> Result<Vec<u8>, PackError> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut b = tar::Builder::new(gz);
    b.mode(tar::HeaderMode::Deterministic);
    for (path, data) in entries {
        check_path(path)?;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        b.append_data(&mut h, path, data.as_slice())
            .map_err(|e| PackError::Corrupt(format!("cannot write `{path}`: {e}")))?;
    }
    let gz = b
        .into_inner()
        .map_err(|e| PackError::Corrupt(format!("cannot write the archive: {e}")))?;
    let mut bytes = gz
        .finish()
        .map_err(|e| PackError::Corrupt(format!("cannot compress the archive: {e}")))?;
    bytes.flush().ok();
    Ok(bytes)
}

/// A relative path of plain names: no `..`, `.`, empty or absolute parts.
pub fn check_path(path: &str) -> Result<(), PackError> {
    if path.is_empty() {
        return Err(unsafe_path(path, "is empty"));
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(unsafe_path(
            path,
            "is not a relative path inside the archive",
        ));
    }
    if path.get(1..2) == Some(":") {
        return Err(unsafe_path(path, "names a drive"));
    }
    for part in path.split('/') {
        match part {
            ".." => return Err(unsafe_path(path, "climbs out of the archive with `..`")),
            "." | "" => return Err(unsafe_path(path, "is not a plain relative path")),
            _ => {}
        }
    }
    Ok(())
}

fn unsafe_path(path: &str, why: &str) -> PackError {
    PackError::UnsafeEntry {
        entry: path.to_string(),
        why: why.to_string(),
    }
}

fn corrupt(e: std::io::Error) -> PackError {
    if let Some(limit) = e.get_ref().and_then(|i| i.downcast_ref::<OverLimit>()) {
        return PackError::TooLarge(format!(
            "the archive decompresses to more than {} bytes",
            limit.0
        ));
    }
    PackError::Corrupt(format!("the archive is corrupt: {e}"))
}

/// The error a [`Capped`] reader returns past its limit.
#[derive(Debug)]
struct OverLimit(u64);

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} bytes", self.0)
    }
}

impl std::error::Error for OverLimit {}

/// A reader that fails once more than `limit` bytes came through: a
/// decompression bomb stops at the limit, not at the end of memory.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(std::io::Error::other(OverLimit(self.limit))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(check_path("a/b.ward").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "C:x",
            "a\\b",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trip_is_reproducible() {
        let mut e = Entries::new();
        e.insert("b.ward".into(), b"b".to_vec());
        e.insert("a/long/".repeat(30) + "x.yaml", b"x".to_vec());
        let one = write(&e);
        let two = write(&e);
        assert!(one.is_ok());
        assert_eq!(one.as_ref().ok(), two.as_ref().ok());
        let back = one.and_then(|b| read(&b, &Limits::default()));
        assert_eq!(back.ok(), Some(e));
    }
}
