//! What the command-line tests share: the `ward` binary, run from the
//! repository's root, and that root.

use assert_cmd::Command;
use std::path::PathBuf;

/// `ward`, run from the repository's root, with colour left to its flags.
pub fn ward() -> Command {
    let mut c = Command::cargo_bin("ward").expect("the ward binary is built");
    c.current_dir(repo());
    c.env_remove("NO_COLOR");
    c
}

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
