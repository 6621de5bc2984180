//! Where output goes and whether it is coloured.

use std::io::{IsTerminal, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    pub fn enabled_for_stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
    }

    pub fn enabled_for_stderr(self) -> bool {
        self.enabled(std::io::stderr().is_terminal())
    }
}

/// Opens a file to write a report to, creating it if need be. An existing
/// file is written over in place and then cut to what was written
/// ([`cut_to_written`]), not emptied first: re-running `ward check -o
/// report.json` then reuses the file's blocks and cached pages. Emptying
/// a large file first costs more than writing it (ext4 frees its blocks on
/// open, and flushes the new ones on close): a 320 MB report took about
/// 0.19 s to write that way on the development machine, and 0.04 s in
/// place.
fn open_over(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Cuts a file opened by [`open_over`] where the writing ended, so that
/// nothing of a longer earlier report is left after it. Devices and pipes
/// (`-o /dev/null`) are left as they are.
fn cut_to_written(file: &mut std::fs::File) -> std::io::Result<()> {
    use std::io::Seek;
    if file.metadata()?.is_file() {
        let end = file.stream_position()?;
        file.set_len(end)?;
    }
    Ok(())
}

/// Writes through `f` to a file, or to standard output when `path` is
/// `None` or `-` (a closed pipe is not an error).
pub fn write_with(
    path: Option<&str>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) if p != "-" => write_file(std::path::Path::new(p), f),
        _ => {
            let mut out = std::io::stdout().lock();
            f(&mut out)
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
    }
}

/// Writes through `f` to a file, over it in place if it exists (see
/// [`open_over`]).
pub fn write_file(
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    open_over(path)
        .and_then(|mut file| {
            f(&mut file)?;
            cut_to_written(&mut file)
        })
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes text to a file, or to standard output when `path` is `None` or `-`.
pub fn write(path: Option<&str>, text: &str) -> Result<(), String> {
    write_with(path, |w| {
        w.write_all(text.as_bytes())?;
        w.flush()
    })
}

/// Prints an error message to standard error.
pub fn error(color: bool, msg: &str) {
    if color {
        eprintln!("\x1b[1;31merror\x1b[0m: {msg}");
    } else {
        eprintln!("error: {msg}");
    }
}

/// Prints a warning to standard error.
pub fn warning(color: bool, msg: &str) {
    if color {
        eprintln!("\x1b[1;33mwarning\x1b[0m: {msg}");
    } else {
        eprintln!("warning: {msg}");
    }
}

/// Renders policy diagnostics to standard error.
pub fn diagnostics(color: bool, sources: &ward_lang::SourceMap, ds: &[ward_lang::Diagnostic]) {
    let opts = ward_lang::diagnostic::RenderOptions {
        color,
        unicode: color,
        width: 100,
    };
    eprint!(
        "{}",
        ward_lang::diagnostic::render_all(ds.iter(), sources, opts)
    );
}
