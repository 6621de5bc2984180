//! Counters a long run advances, for a progress display: the caller shares
//! one [`Progress`] through [`crate::LoadOptions::progress`] and
//! [`crate::EvalOptions::progress`] and reads it from another thread.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    evaluated: AtomicUsize,
}

impl Progress {
    /// Bytes of input read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Resources evaluated so far.
    pub fn evaluated(&self) -> usize {
        self.evaluated.load(Ordering::Relaxed)
    }

    pub(crate) fn read(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn evaluated_one(&self) {
        self.evaluated.fetch_add(1, Ordering::Relaxed);
    }
}

/// A reader that counts what passes through it.
pub(crate) struct Counting<'p, R> {
    pub inner: R,
    pub progress: Option<&'p Progress>,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = self.progress {
            p.read(n as u64);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngineBuilder, EvalOptions, LoadOptions};
    use std::sync::Arc;

    #[test]
    fn reading_and_evaluating_advance_the_counters() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let small = dir.join("pod.yaml");
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n";
        std::fs::write(&small, text).ok();
        // A list export large enough to be streamed.
        let big = dir.join("export.json");
        let item = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#;
        let list = format!(
            "{{\"kind\":\"List\",\"items\":[{}]}}",
            vec![item; 300].join(",")
        );
        std::fs::write(&big, &list).ok();
        let progress = Arc::new(Progress::default());
        let load = LoadOptions {
            progress: Some(progress.clone()),
            keep_text_below: 1024,
            ..LoadOptions::default()
        };
        let paths = [small.display().to_string(), big.display().to_string()];
        let inputs = crate::input::load_paths(&paths, &load);
        assert_eq!(inputs.resources.len(), 302);
        assert_eq!(progress.bytes_read(), (text.len() + list.len()) as u64);
        let Ok(engine) = EngineBuilder::new().build() else {
            panic!("the built-in packs build");
        };
        let Ok(sel) = engine.select(&engine.default_packs(), false, &[]) else {
            panic!("the default packs select");
        };
        let opts = EvalOptions {
            progress: Some(progress.clone()),
            ..EvalOptions::default()
        };
        let _ = engine.evaluate(&sel, &inputs, &opts);
        assert_eq!(progress.evaluated(), 302);
    }
}
