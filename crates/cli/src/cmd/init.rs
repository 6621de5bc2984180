//! `ward init`: start a project: `ward.toml` with packs and the team's
//! policy folder, and a first control with its tests to copy from.

use crate::exit;
use crate::output;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to start the project in (default: the current folder).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

const WARD_TOML: &str = r#"# What `ward check` runs in this folder (docs/packs.md in Ward's repository).

# The team's own controls, run with the packs.
policies = ["policies"]
# The lowest severity of a `deny` finding that fails the run.
fail_on = "low"
# The Kubernetes release the manifests are for: API versions and fields it
# does not have are warned of, and Pod Security runs at its version.
# kube_version = "1.33"
# Whether Ward's warnings about the manifests (a misspelt field, an API
# version the cluster does not serve) fail the run too.
# strict_inputs = true

# Pod Security at the restricted level, and the container-platform checklist.
# `ward packs` lists every built-in pack.
[[pack]]
name = "pss-restricted"

[[pack]]
name = "checklist"
"#;

const EXAMPLE: &str = r#"/// The team's own controls: this one is an example to copy from.
/// `ward test policies` runs its tests; `ward check` runs it with the packs.
package team

use std.k8s.{all_containers, pod_spec}

control image_is_pinned {
  title "Images are pinned"
  severity medium
  description "Every container names its image with a tag or a digest."
  remedy "Use `image:tag`, or better `image@sha256:...`."

  match exists(pod_spec(input))
  for c in all_containers(pod_spec(input)) {
    deny when not contains(c.image ?? "", ":") and not contains(c.image ?? "", "@")
      at c.image
      message "container `{c.name}` uses `{c.image}` without a tag"
  }
}

test "an untagged image is reported at its line" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx"}]}}
  expect deny image_is_pinned at "/spec/containers/0/image"
}

test "a tagged image passes" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:1.27"}]}}
  expect pass image_is_pinned
}
"#;

pub fn run(a: Args, ecolor: bool) -> u8 {
    // Paths as the user would type them: `policies`, not `./policies`.
    let here = a.dir == Path::new(".");
    let at = |p: &str| {
        if here {
            PathBuf::from(p)
        } else {
            a.dir.join(p)
        }
    };
    let files: [(PathBuf, &str); 2] = [
        (at("ward.toml"), WARD_TOML),
        (at("policies/team.ward"), EXAMPLE),
    ];
    // Nothing is written over: a project already started is left alone.
    let there: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !there.is_empty() {
        output::error(
            ecolor,
            &format!(
                "{} already there; ward init writes nothing over an existing file",
                there.join(" and ")
            ),
        );
        return exit::ERROR;
    }
    for (path, text) in &files {
        if let Err(e) = write(path, text) {
            output::error(ecolor, &format!("{}: {e}", path.display()));
            return exit::ERROR;
        }
    }
    let shown = |p: &Path| p.display().to_string();
    let text = format!(
        "wrote {} and {}\nnext:\n  ward test {}   # the example control's tests\n  ward check{}   # the packs and the team's controls over this folder\n",
        shown(&files[0].0),
        shown(&files[1].0),
        shown(&at("policies")),
        if here {
            String::new()
        } else {
            format!(" --project {} {}", shown(&files[0].0), shown(&a.dir))
        },
    );
    match output::write(None, &text) {
        Ok(()) => exit::OK,
        Err(e) => {
            output::error(ecolor, &e);
            exit::ERROR
        }
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}
