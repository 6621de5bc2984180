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

/// Writes text to a file, or to standard output when `path` is `None` or `-`.
/// Writes through `f` to a file, or to standard output when `path` is
/// `None` or `-` (a closed pipe is not an error).
pub fn write_with(
    path: Option<&str>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) if p != "-" => std::fs::File::create(p)
            .and_then(|mut file| f(&mut file))
            .map_err(|e| format!("cannot write {p}: {e}")),
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

pub fn write(path: Option<&str>, text: &str) -> Result<(), String> {
    match path {
        Some(p) if p != "-" => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {p}: {e}"))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
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

/// Prints an error message to standard error.
pub fn error(color: bool, msg: &str) {
    if color {
        eprintln!("\x1b[1;31merror\x1b[0m: {msg}");
    } else {
        eprintln!("error: {msg}");
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
