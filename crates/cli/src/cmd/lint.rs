//! `ward lint`.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_a: Args, _ecolor: bool) -> u8 {
    crate::exit::ERROR
}
