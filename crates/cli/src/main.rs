//! The `ward` binary: parses arguments and hands over to the library.

/// mimalloc: evaluation allocates many small short-lived values, and
/// loading builds many small documents on several threads at once.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ward_cli::main(std::env::args_os())
}
