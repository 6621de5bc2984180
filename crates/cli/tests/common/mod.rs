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

/// `ward test` over a folder: its exit code, and its standard output and
/// error as one text. (Each test file compiles this module on its own, and
/// not every one runs `ward test`.)
#[allow(dead_code)]
pub fn ward_test(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = ward().arg("test").arg(dir).output().expect("ward runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// `ward check --format json` run in a folder with the arguments: its exit
/// code, its report (`null` when it wrote none) and its standard error.
#[allow(dead_code)]
pub fn check_json(
    dir: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let out = ward()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("ward runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code(), report, err)
}

/// Writes each `(path, text)` under `dir`, making the folders it needs.
#[allow(dead_code)]
pub fn files(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the folder is made");
        }
        std::fs::write(&path, text).expect("the file is written");
    }
}
