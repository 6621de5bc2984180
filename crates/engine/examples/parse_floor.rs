//! The parse-only floors the benchmark compares `ward check` with:
//! `serde_json` into `serde_json::Value`, and Ward's own reader (streamed
//! and parallel, as `ward check` reads a list export), with no evaluation.
//!
//! ```sh
//! cargo run --release -p ward-engine --example parse_floor -- serde FILE
//! cargo run --release -p ward-engine --example parse_floor -- ward FILE
//! ```

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(parser), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: parse_floor serde|ward FILE");
        return ExitCode::from(2);
    };
    match parser.as_str() {
        "serde" => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{path}: {e}");
                    return ExitCode::from(2);
                }
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => {
                    let n = v
                        .get("items")
                        .and_then(|i| i.as_array())
                        .map_or(1, Vec::len);
                    println!("{n} items");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{path}: {e}");
                    ExitCode::from(2)
                }
            }
        }
        "ward" => {
            let inputs =
                ward_engine::input::load_paths(std::slice::from_ref(path), &Default::default());
            println!(
                "{} items, {} errors",
                inputs.resources.len(),
                inputs.errors.len()
            );
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("unknown parser `{other}`");
            ExitCode::from(2)
        }
    }
}
