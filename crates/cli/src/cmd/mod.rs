//! One module per subcommand.

pub mod check;
pub mod diff;
pub mod explain;
pub mod fix;
pub mod fmt;
pub mod frameworks;
pub mod init;
pub mod lint;
pub mod lock;
pub mod pack;
pub mod packs;
pub mod setup;
pub mod test;

use std::path::PathBuf;
use ward_engine::{Engine, EngineBuilder};

/// The budget of each plugin call and where compiled plugins are kept
/// (`ward check`, `ward test`).
#[derive(Clone, Debug, clap::Args)]
pub struct PluginArgs {
    /// Fuel one plugin call may burn, about one unit per WebAssembly
    /// instruction; a call that runs out stops with an error.
    #[arg(long, value_name = "UNITS", default_value_t = 100_000_000)]
    pub plugin_fuel: u64,
    /// Most memory one plugin call may grow to: bytes, or a number with
    /// KiB, MiB or GiB.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub plugin_memory: usize,
    /// Wall-clock seconds one plugin call may take; 0 for no limit.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub plugin_timeout: f64,
    /// Folder that keeps compiled plugins between runs, or `off`. Default:
    /// $WARD_PLUGIN_CACHE, else $XDG_CACHE_HOME/ward/plugins, else
    /// ~/.cache/ward/plugins.
    #[arg(long, value_name = "DIR|off")]
    pub plugin_cache: Option<PathBuf>,
}

/// Seconds, `0` or more.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(format!("`{s}` is not a number of seconds (0 for no limit)")),
    }
}

/// `65536`, `512KiB`, `64MiB`, `1 GiB` (`K`, `M`, `G` and `KB`, `MB`, `GB`
/// are binary too).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{s}` is not a size; write bytes, or a number with KiB, MiB or GiB"
            ));
        }
    };
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            format!("`{s}` is not a size; write bytes, or a number with KiB, MiB or GiB")
        })
}

/// Where compiled plugins are kept between runs: `--plugin-cache`, else
/// `$WARD_PLUGIN_CACHE`, else `$XDG_CACHE_HOME/ward/plugins`, else
/// `~/.cache/ward/plugins` (on Windows `%LOCALAPPDATA%\ward\plugins`);
/// `off` in the flag or the variable for nowhere.
#[cfg_attr(not(feature = "plugins"), allow(dead_code))]
fn plugin_cache_dir(
    flag: Option<&std::path::Path>,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty());
    let chosen = flag
        .map(|p| p.as_os_str().to_os_string())
        .or_else(|| var("WARD_PLUGIN_CACHE"));
    if let Some(v) = chosen {
        return (v != "off").then(|| PathBuf::from(v));
    }
    let base = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .or_else(|| var("LOCALAPPDATA").map(PathBuf::from))?;
    Some(base.join("ward").join("plugins"))
}

/// Loads the plugins the policies declare into the engine; prints the
/// errors and returns `false` when one cannot be loaded.
pub fn plugins(
    engine: &mut Engine,
    args: &PluginArgs,
    archives: &[(&str, &ward_engine::pack::PackArchive)],
    ecolor: bool,
) -> bool {
    if engine.program.plugins.is_empty() {
        return true;
    }
    #[cfg(feature = "plugins")]
    {
        use ward_engine::plugin::{PluginLimits, Runtime};
        let timeout = (args.plugin_timeout > 0.0)
            .then(|| std::time::Duration::from_secs_f64(args.plugin_timeout.min(1e9)));
        let limits = PluginLimits {
            fuel: args.plugin_fuel,
            memory_bytes: args.plugin_memory,
            timeout,
        };
        let cache = plugin_cache_dir(args.plugin_cache.as_deref(), |n| std::env::var_os(n));
        match Runtime::load_with_archives(engine, limits, cache.as_deref(), archives) {
            Ok(rt) => {
                engine.set_plugins(std::sync::Arc::new(rt));
                true
            }
            Err(errors) => {
                for e in &errors {
                    crate::output::error(ecolor, &e.to_string());
                }
                false
            }
        }
    }
    #[cfg(not(feature = "plugins"))]
    {
        let _ = (args, archives);
        crate::output::error(
            ecolor,
            "the policies declare plugins, but this ward was built without plugin support (the `plugins` feature)",
        );
        false
    }
}

/// Builds the engine with the built-in packs and the given policy paths,
/// printing diagnostics on failure.
pub fn engine(policies: &[PathBuf], builtin: bool, ecolor: bool) -> Option<Engine> {
    let b = if builtin {
        EngineBuilder::new()
    } else {
        EngineBuilder::std_only()
    };
    engine_from(b, policies, ecolor)
}

/// Builds the engine from a builder and the given policy paths, printing
/// diagnostics on failure.
pub fn engine_from(mut b: EngineBuilder, policies: &[PathBuf], ecolor: bool) -> Option<Engine> {
    for p in policies {
        b = match b.policy_path(p) {
            Ok(b) => b,
            Err(e) => {
                crate::output::error(ecolor, &e);
                return None;
            }
        };
    }
    match b.build() {
        Ok(e) => {
            let user_warnings: Vec<_> = e
                .warnings
                .iter()
                .filter(|d| !e.sources.name(d.primary.span.file).starts_with("<ward>/"))
                .cloned()
                .collect();
            if !user_warnings.is_empty() {
                crate::output::diagnostics(ecolor, &e.sources, &user_warnings);
            }
            Some(e)
        }
        Err(errs) => {
            crate::output::diagnostics(ecolor, &errs.sources, &errs.diagnostics);
            let n = errs.diagnostics.iter().filter(|d| d.is_error()).count();
            crate::output::error(
                ecolor,
                &format!("{n} error{} in policies", if n == 1 { "" } else { "s" }),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_seconds, parse_size, plugin_cache_dir};
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("64 TiB").is_err());
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("2.5"), Ok(2.5));
        assert_eq!(parse_seconds("0"), Ok(0.0));
        for bad in ["-1", "NaN", "inf", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_plugin_cache_folder() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let home = env(&[("HOME", "/home/a")]);
        assert_eq!(
            plugin_cache_dir(None, home),
            Some(PathBuf::from("/home/a/.cache/ward/plugins"))
        );
        let xdg = env(&[("HOME", "/home/a"), ("XDG_CACHE_HOME", "/c")]);
        assert_eq!(
            plugin_cache_dir(None, xdg),
            Some(PathBuf::from("/c/ward/plugins"))
        );
        let var = env(&[("HOME", "/home/a"), ("WARD_PLUGIN_CACHE", "/v")]);
        assert_eq!(plugin_cache_dir(None, var), Some(PathBuf::from("/v")));
        assert_eq!(
            plugin_cache_dir(Some(Path::new("/f")), var),
            Some(PathBuf::from("/f"))
        );
        assert_eq!(plugin_cache_dir(Some(Path::new("off")), var), None);
        let off = env(&[("HOME", "/home/a"), ("WARD_PLUGIN_CACHE", "off")]);
        assert_eq!(plugin_cache_dir(None, off), None);
        // An empty variable counts as unset.
        let empty = env(&[("HOME", "/home/a"), ("WARD_PLUGIN_CACHE", "")]);
        assert_eq!(
            plugin_cache_dir(None, empty),
            Some(PathBuf::from("/home/a/.cache/ward/plugins"))
        );
        assert_eq!(plugin_cache_dir(None, env(&[])), None);
    }
}
