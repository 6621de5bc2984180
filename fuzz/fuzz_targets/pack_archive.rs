//! The pack archive reader over arbitrary bytes: a `.wardpack` as given
//! (gzip), or, when the first byte is odd, the rest compressed by the
//! target so the tar reader, the manifest and the checks behind it are
//! reached too. An archive that opens must survive verification, reading
//! its policies and a write/re-open round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use ward_engine::pack::{Limits, PackArchive};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 1 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if gz.write_all(rest).is_err() {
            return;
        }
        match gz.finish() {
            Ok(b) => b,
            Err(_) => return,
        }
    } else {
        rest.to_vec()
    };
    let limits = Limits {
        max_archive_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_entry_bytes: 1 << 20,
        max_entries: 256,
    };
    let Ok(archive) = PackArchive::open(&bytes, &limits) else {
        return;
    };
    let _ = archive.verify(&[], false);
    let _ = archive.verify(&[], true);
    let _ = archive.policy_files();
    let _ = archive.check_requires(env!("CARGO_PKG_VERSION"));
    if let Ok(again) = archive.to_bytes() {
        let reopened = PackArchive::open(&again, &limits)
            .unwrap_or_else(|e| panic!("a written archive does not open again: {e}"));
        assert_eq!(reopened.digest(), archive.digest());
    }
});
