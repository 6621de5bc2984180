//! The JSON report: Ward's stable, documented output contract
//! (`docs/report.schema.json`).

use crate::engine::Report;
use crate::finding::Level;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use ward_lang::hir::Severity;

/// The `summary` object.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub findings: usize,
    pub deny: usize,
    pub warn: usize,
    pub waived: usize,
    /// Findings a baseline left out of the report; absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined: usize,
    pub errors: usize,
    pub skipped: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub controls: usize,
    pub controls_failed: usize,
}

pub fn summary(r: &Report) -> Summary {
    summary_of(r, &Tally::of(&r.findings))
}

/// What the summary counts of a run of findings: those no waiver covers,
/// by level and by severity. Tallies of the parts of a list add up to the
/// tally of the whole, so that the JSON writer counts each chunk of
/// findings as it turns it into text, while they are in the cache, rather
/// than going through them all again on one core first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    active: usize,
    deny: usize,
    warn: usize,
    /// By severity, at each severity's place in its declaration.
    by_severity: [usize; Severity::ALL.len()],
}

impl Tally {
    fn of(findings: &[crate::finding::Finding]) -> Tally {
        let mut t = Tally::default();
        for f in findings.iter().filter(|f| f.waived.is_none()) {
            t.active += 1;
            match f.level {
                Level::Deny => t.deny += 1,
                Level::Warn => t.warn += 1,
            }
            if let Some(n) = t.by_severity.get_mut(f.severity as usize) {
                *n += 1;
            }
        }
        t
    }

    fn add(&mut self, other: &Tally) {
        self.active += other.active;
        self.deny += other.deny;
        self.warn += other.warn;
        for (n, m) in self.by_severity.iter_mut().zip(other.by_severity) {
            *n += m;
        }
    }
}

/// The summary of a report whose findings `tally` counted.
fn summary_of(r: &Report, tally: &Tally) -> Summary {
    let by_severity = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = *tally.by_severity.get(*s as usize)?;
            (n > 0).then(|| (s.as_str().to_string(), n))
        })
        .collect();
    Summary {
        files: r.files,
        resources: r.resources,
        findings: tally.active,
        deny: tally.deny,
        warn: tally.warn,
        waived: r.findings.len() - tally.active,
        baselined: r.baselined.len(),
        errors: r.errors.len(),
        skipped: r.skipped.len(),
        by_severity,
        controls: r.outcomes.len(),
        controls_failed: r.outcomes.iter().filter(|o| o.failed > 0).count(),
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct Out<'a> {
    ward: &'a str,
    findings: &'a [crate::finding::Finding],
    errors: &'a [crate::finding::Error],
    skipped: &'a [crate::input::Skipped],
    summary: Summary,
}

/// What the report serialises, with its summary.
fn out(r: &Report, summary: Summary) -> Out<'_> {
    Out {
        ward: env!("CARGO_PKG_VERSION"),
        findings: &r.findings,
        errors: &r.errors,
        skipped: &r.skipped,
        summary,
    }
}

pub fn render(r: &Report) -> String {
    let mut text = Vec::new();
    if let Err(e) = write(r, &mut text) {
        return format!("{{\"error\": \"{e}\"}}");
    }
    if text.last() == Some(&b'\n') {
        text.pop();
    }
    String::from_utf8(text).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Writes the report to `w`, and a newline, without holding the text: on a
/// 100,000-resource export the report is hundreds of megabytes. The text
/// is what `serde_json`'s pretty printer makes of the report (tests check
/// it).
///
/// The findings, nearly all of the text, are turned into text in parallel,
/// a window of chunks at a time, while the window before is written: the
/// serialising is spread over the cores and the writing overlaps it. One
/// thread serialises the windows in turn for the whole report and hands
/// each over as it is done, so that at most three windows of text are held
/// at once (one written, one handed over, one being made), and no thread is
/// started per window: a thread's allocator pages outlive it, so a thread
/// per window left megabytes behind on a report of thousands of findings.
pub fn write(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    // The report around its findings: serialised with none, then split
    // where they go. `ward` (a fixed string) comes first, so the first
    // `"findings": []` is the field; the summary, after the findings, is
    // what the chunks' tallies add up to once they are written.
    let frame = |summary: Summary| -> std::io::Result<(Vec<u8>, usize)> {
        let mut frame = out(r, summary);
        frame.findings = &[];
        let text = serde_json::to_vec_pretty(&frame)?;
        const EMPTY: &[u8] = b"\"findings\": []";
        match text.windows(EMPTY.len()).position(|x| x == EMPTY) {
            Some(at) => Ok((text, at + EMPTY.len() - 1)),
            None => Err(std::io::Error::other("the report has no findings field")),
        }
    };
    let (text, at) = frame(summary_of(r, &Tally::default()))?;
    w.write_all(text.get(..at).unwrap_or_default())?;
    let mut tally = Tally::default();
    if !r.findings.is_empty() {
        let window = CHUNK * CHUNKS_A_THREAD * rayon::current_num_threads().max(1);
        let serialise = |part: &[crate::finding::Finding]| {
            part.par_chunks(CHUNK)
                .map(|c| Ok((super::findings_text::findings_text(c)?, Tally::of(c))))
                .collect::<std::io::Result<Vec<_>>>()
        };
        let mut first = true;
        if rayon::current_thread_index().is_some() || r.findings.len() <= window {
            // A thread of the pool must not wait for a thread that waits
            // for the pool; and one window has nothing to overlap.
            for part in r.findings.chunks(window) {
                write_findings(&mut w, &serialise(part)?, &mut first, &mut tally)?;
            }
        } else {
            // The writer stays on this thread (standard output cannot
            // move); the windows are made on another, one ahead.
            std::thread::scope(|s| {
                let (done, windows) = std::sync::mpsc::sync_channel(1);
                let maker = s.spawn(move || {
                    for part in r.findings.chunks(window) {
                        // The writer stopped (it failed): so does this.
                        if done.send(serialise(part)).is_err() {
                            break;
                        }
                    }
                });
                let written = windows
                    .into_iter()
                    .try_for_each(|text| write_findings(&mut w, &text?, &mut first, &mut tally));
                let made = maker
                    .join()
                    .map_err(|_| std::io::Error::other("serialising findings failed"));
                written.and(made)
            })?;
        }
        w.write_all(b"\n  ")?;
    }
    let (text, at) = frame(summary_of(r, &tally))?;
    w.write_all(text.get(at..).unwrap_or_default())?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Findings per chunk turned into text by one task, two chunks a thread
/// in a window: 1,024 findings, 1.3 MB of text, with two threads. A chunk
/// renders what its findings share (a control's fields, a resource's
/// identity) once: halving the chunks cost 1% more of a whole run's
/// instructions at 10k each time.
const CHUNK: usize = 256;

/// Chunks a thread in a window. The window's chunks are shared out among
/// the threads and the window waits for its last: with one a thread, the
/// thread whose chunk was done first waited on the other's, and writing
/// the report at 100k took 98–120 ms (five runs); with two, 81–105 ms.
const CHUNKS_A_THREAD: usize = 2;

/// Writes the text of chunks of findings, with the commas between them:
/// everything between the array's `[` and its closing line.
fn write_findings(
    w: &mut impl std::io::Write,
    chunks: &[(Vec<u8>, Tally)],
    first: &mut bool,
    tally: &mut Tally,
) -> std::io::Result<()> {
    for (c, t) in chunks {
        if !*first {
            w.write_all(b",")?;
        }
        *first = false;
        w.write_all(c)?;
        tally.add(t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    /// The default packs' report on a pod with findings.
    fn pod_report() -> crate::engine::Report {
        let Ok(engine) = crate::EngineBuilder::new().build() else {
            panic!("the built-in packs build");
        };
        let Ok(sel) = engine.select(&engine.default_packs(), false, &[]) else {
            panic!("the default packs select");
        };
        let mut inputs = crate::Inputs::default();
        inputs.add_text(
            "pod.yaml",
            "kind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: nginx}]\n",
            &crate::LoadOptions::default(),
        );
        engine.evaluate(&sel, &inputs, &crate::EvalOptions::default())
    }

    /// The report as `serde_json` writes it, with the newline `write` adds.
    fn by_serde(report: &crate::engine::Report) -> String {
        let Ok(text) = serde_json::to_string_pretty(&super::out(report, super::summary(report)))
        else {
            panic!("the report serialises");
        };
        text + "\n"
    }

    #[test]
    fn write_gives_the_text_serde_json_gives() {
        let report = pod_report();
        assert!(!report.findings.is_empty());
        let mut out = Vec::new();
        assert!(super::write(&report, &mut out).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), by_serde(&report));
        assert_eq!(super::render(&report) + "\n", by_serde(&report));
    }

    /// Enough findings for several windows of several chunks, and a last
    /// chunk that is not full: the commas between chunks and windows, and
    /// the lines around them, are where a parallel writer goes wrong; and
    /// findings of every level and severity, some waived, which the
    /// summary counts chunk by chunk as they are written.
    #[test]
    fn findings_written_in_parallel_read_as_one_array() {
        use crate::finding::{Level, Suppression};
        use ward_lang::hir::Severity;
        let mut report = pod_report();
        let one = report.findings.clone();
        let want =
            super::CHUNK * super::CHUNKS_A_THREAD * rayon::current_num_threads().max(1) * 3 + 7;
        let mut i = 0;
        while report.findings.len() < want {
            let mut f = one[i % one.len()].clone();
            f.message = format!("{} #{i}", f.message).into();
            f.severity = Severity::ALL[i % Severity::ALL.len()];
            f.level = if i % 3 == 0 { Level::Warn } else { Level::Deny };
            if i % 7 == 0 {
                f.waived = Some(Suppression::accepted());
            }
            report.findings.push(f);
            i += 1;
        }
        let mut out = Vec::new();
        assert!(super::write(&report, &mut out).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), by_serde(&report));
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out) else {
            panic!("the report is JSON");
        };
        assert_eq!(
            v["findings"].as_array().map(Vec::len),
            Some(report.findings.len())
        );
    }

    /// Reports written on every thread of the pool at once, as an embedder
    /// evaluating in parallel would: none waits for a pool that is busy
    /// waiting for it.
    #[test]
    fn reports_are_written_from_inside_the_pool() {
        let mut report = pod_report();
        let one = report.findings.clone();
        while report.findings.len() < super::CHUNK * 8 {
            report.findings.extend(one.iter().cloned());
        }
        let want = by_serde(&report);
        let texts: Vec<String> = (0..rayon::current_num_threads() * 4)
            .into_par_iter()
            .map(|_| {
                let mut out = Vec::new();
                assert!(super::write(&report, &mut out).is_ok());
                String::from_utf8_lossy(&out).into_owned()
            })
            .collect();
        assert!(texts.iter().all(|t| *t == want));
    }

    #[test]
    fn a_report_without_findings_has_an_empty_array() {
        let report = crate::engine::Report::default();
        let mut out = Vec::new();
        assert!(super::write(&report, &mut out).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), by_serde(&report));
        assert!(String::from_utf8_lossy(&out).contains("\"findings\": [],"));
    }
}
