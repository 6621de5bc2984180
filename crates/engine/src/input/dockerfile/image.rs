//! Image references (`registry/repository:tag@digest`), as Docker reads
//! them: a first component with a `.` or a `:`, or `localhost`, names a
//! registry; otherwise the image is on Docker Hub, where a one-component
//! name lives under `library/`.

/// The parts of an image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ImageRef {
    /// `docker.io` when none is written; `None` for `scratch`.
    pub registry: Option<String>,
    /// With `library/` for an official Docker Hub image.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The path as written: without registry, tag and digest (as
    /// `std.image.parse_image` has it).
    pub name: String,
}

/// Parses a reference; `None` when it is empty or malformed.
pub(super) fn parse_image(s: &str) -> Option<ImageRef> {
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return None;
    }
    if s == "scratch" {
        return Some(ImageRef {
            registry: None,
            repository: "scratch".into(),
            tag: None,
            digest: None,
            name: "scratch".into(),
        });
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    let (name, tag) = match rest.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (rest, None),
    };
    if name.is_empty()
        || name.starts_with('/')
        || name.ends_with('/')
        || name.contains("//")
        || tag.is_some_and(str::is_empty)
        || digest.is_some_and(|d| d.is_empty() || d.contains('@'))
    {
        return None;
    }
    let (registry, repo) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first, rest.to_string())
        }
        _ => ("docker.io", name.to_string()),
    };
    let registry = match registry {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        r => r,
    };
    let repository = if registry == "docker.io" && !repo.contains('/') {
        format!("library/{repo}")
    } else {
        repo.clone()
    };
    Some(ImageRef {
        registry: Some(registry.to_string()),
        repository,
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
        name: repo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(
        s: &str,
    ) -> (
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        String,
    ) {
        let r = parse_image(s).unwrap();
        (r.registry, r.repository, r.tag, r.digest, r.name)
    }

    #[test]
    fn references() {
        assert_eq!(
            parts("golang:1.26"),
            (
                Some("docker.io".into()),
                "library/golang".into(),
                Some("1.26".into()),
                None,
                "golang".into()
            )
        );
        let r = parse_image("gcr.io/distroless/static-debian12@sha256:abc").unwrap();
        assert_eq!(r.registry.as_deref(), Some("gcr.io"));
        assert_eq!(r.repository, "distroless/static-debian12");
        assert_eq!(r.tag, None);
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = parse_image("localhost:5000/a/b:v1@sha256:x").unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.name, "a/b");
        let r = parse_image("bitnami/redis").unwrap();
        assert_eq!(r.repository, "bitnami/redis");
        assert_eq!(parse_image("scratch").unwrap().registry, None);
        assert_eq!(parse_image("a:"), None);
        assert_eq!(parse_image(""), None);
    }
}
