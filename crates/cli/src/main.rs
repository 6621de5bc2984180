//! The `ward` binary: parses arguments and hands over to the library.

fn main() -> std::process::ExitCode {
    ward_cli::main(std::env::args_os())
}
