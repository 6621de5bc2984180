//! Embeds every `.ward` file of `std-lib/` and `policies/` so the binary
//! carries the standard library and the built-in packs. Test files
//! (`*_test.ward`) are embedded apart, as text only: `ward explain` shows
//! them as examples, and `ward test` reads them from disk.
//!
//! The files are also parsed here, and their syntax trees stored next to
//! them: parsing is most of the time a cold `ward check` takes, and the
//! embedded files never change after the build. A file that does not parse
//! is simply not cached, so the error is reported at run time as usual.
//!
//! Checking them all together is most of what remains, so the checked
//! program of the whole set is stored too: a run that loads the built-in
//! files and nothing else takes it as it is.

use std::path::{Path, PathBuf};

/// The `.ward` files under a folder, in order: policies and tests apart.
fn collect(dir: &Path, out: &mut Vec<PathBuf>, tests: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out, tests);
        } else if p.extension().is_some_and(|e| e == "ward") {
            if p.to_string_lossy().ends_with("_test.ward") {
                tests.push(p);
            } else {
                out.push(p);
            }
        }
    }
}

/// `(path in the repository, include_str!(file))`, for the generated list.
fn entry(root: &Path, f: &Path) -> String {
    let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
    let abs = f.canonicalize().unwrap_or(f.to_path_buf());
    format!(
        "    ({rel:?}, include_str!({:?})),\n",
        abs.display().to_string()
    )
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    let mut code = String::from(
        "/// Embedded policy files: (path in the repository, text).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    // Syntax trees by file index; `None` where a file does not parse.
    let mut trees: Vec<Option<ward_lang::ast::Module>> = Vec::new();
    let mut tests = Vec::new();
    for top in ["std-lib", "policies"] {
        let dir = root.join(top);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, &mut files, &mut tests);
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            code.push_str(&entry(&root, &f));
            let id = ward_lang::FileId(u32::try_from(trees.len()).unwrap_or(u32::MAX));
            let tree = std::fs::read_to_string(&f)
                .ok()
                .and_then(|text| ward_lang::parse(id, &text).ok());
            trees.push(tree);
        }
    }
    code.push_str("];\n");
    code.push_str(
        "/// Embedded test files (`*_test.ward`): (path in the repository, text).\npub static TEST_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &tests {
        println!("cargo:rerun-if-changed={}", f.display());
        code.push_str(&entry(&root, f));
    }
    code.push_str("];\n");
    // The checked program of all the embedded files together, the one a
    // run that loads only them checks: stored when they parse and check
    // without a single diagnostic, so a run that takes it reports nothing
    // a check would have.
    let program = trees
        .iter()
        .cloned()
        .collect::<Option<Vec<_>>>()
        .map(|modules| ward_lang::check(&modules))
        .filter(|checked| checked.diagnostics.is_empty())
        .map(|checked| checked.program);
    let hir = out_dir.join("embedded.hir");
    if let Err(e) = std::fs::write(&hir, postcard::to_allocvec(&program).unwrap_or_default()) {
        println!("cargo:warning=cannot write {}: {e}", hir.display());
    }
    let bytes = postcard::to_allocvec(&trees).unwrap_or_default();
    let ast = out_dir.join("embedded.ast");
    if let Err(e) = std::fs::write(&ast, bytes) {
        println!("cargo:warning=cannot write {}: {e}", ast.display());
    }
    code.push_str(
        "/// The embedded files' syntax trees (postcard), by index in `FILES`.\npub static TREES: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/embedded.ast\"));\n",
    );
    code.push_str(
        "/// The embedded files' checked program (postcard `Option<Program>`).\npub static PROGRAM: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/embedded.hir\"));\n",
    );
    let out = out_dir.join("embedded.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}
