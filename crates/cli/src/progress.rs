//! A progress bar on standard error while `ward check` reads and evaluates
//! large inputs: shown only when standard error is a terminal and the
//! inputs add up to at least [`LARGE`] bytes, so small runs, pipes and CI
//! logs never see it.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use ward_engine::progress::Progress;

/// Inputs of at least this many bytes get a progress bar.
pub const LARGE: u64 = 32 * 1024 * 1024;

#[derive(Debug)]
pub struct Bar {
    state: Option<Running>,
}

#[derive(Debug)]
struct Running {
    counters: Arc<Progress>,
    /// Resources to evaluate, once reading is done (0 while reading).
    resources: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Bar {
    /// Starts a bar for these paths when it is worth showing.
    pub fn start(paths: &[String]) -> Bar {
        if !std::io::stderr().is_terminal() || std::env::var_os("WARD_NO_PROGRESS").is_some() {
            return Bar { state: None };
        }
        let total = input_bytes(paths);
        if total < LARGE {
            return Bar { state: None };
        }
        let counters = Arc::new(Progress::default());
        let resources = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let (counters, resources, done) = (counters.clone(), resources.clone(), done.clone());
            std::thread::spawn(move || draw(total, &counters, &resources, &done))
        };
        Bar {
            state: Some(Running {
                counters,
                resources,
                done,
                thread,
            }),
        }
    }

    /// The counters the engine advances, when a bar is shown.
    pub fn counters(&self) -> Option<Arc<Progress>> {
        self.state.as_ref().map(|s| s.counters.clone())
    }

    /// Reading is done; `n` resources are to be evaluated.
    pub fn evaluating(&self, n: usize) {
        if let Some(s) = &self.state {
            s.resources.store(n.max(1), Ordering::Relaxed);
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(s) = self.state {
            s.done.store(true, Ordering::Relaxed);
            let _ = s.thread.join();
        }
    }
}

fn draw(total: u64, counters: &Progress, resources: &AtomicUsize, done: &AtomicBool) {
    let style = indicatif::ProgressStyle::with_template(
        "{msg:>10} [{bar:40}] {percent:>3}% {elapsed_precise}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    )
    .with_style(style)
    .with_message("reading");
    let mut evaluating = false;
    while !done.load(Ordering::Relaxed) {
        let n = resources.load(Ordering::Relaxed);
        if n > 0 && !evaluating {
            evaluating = true;
            bar.set_length(n as u64);
            bar.set_message("evaluating");
        }
        if evaluating {
            bar.set_position(counters.evaluated() as u64);
        } else {
            bar.set_position(counters.bytes_read().min(total));
        }
        std::thread::sleep(Duration::from_millis(80));
    }
    bar.finish_and_clear();
}

/// The size of the input files under these paths (folders walked).
fn input_bytes(paths: &[String]) -> u64 {
    let mut total = 0u64;
    for p in paths {
        let path = std::path::Path::new(p);
        if path.is_dir() {
            for e in walkdir::WalkDir::new(path).into_iter().flatten() {
                if e.file_type().is_file() && ward_engine::input::is_input_name(e.path()) {
                    total += e.metadata().map_or(0, |m| m.len());
                }
            }
        } else {
            total += std::fs::metadata(path).map_or(0, |m| m.len());
        }
    }
    total
}
