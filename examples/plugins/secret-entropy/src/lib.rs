//! A Ward plugin that tells whether a value looks like a secret.
//!
//! - `looks_secret(key, value)`: `true` when the value has a known token
//!   format (AWS access key, GitHub or Slack token, private key, JWT...),
//!   when the key names a credential (`password`, `api_key`, `DB_TOKEN`...)
//!   and the value is not a placeholder, or when the value is long, has no
//!   spaces and its Shannon entropy is that of random text.
//! - `entropy(value)`: the Shannon entropy of a string, in bits per character.
//! - `why(key, value)`: the reason `looks_secret` holds, or `null`.
//! - the check `scan(resource)`: every ConfigMap `data` value and every
//!   container `env` value (in Pods and the workloads that template them)
//!   that looks like a secret, as `{pointer, message, key}` findings.

use ward_plugin_sdk::{Finding, Value, json, plugin, pointer, str_arg};

/// Words in a key that name a credential. Keys are split into words at
/// anything that is not a letter or digit and at lower-to-upper case changes,
/// so `dbPassword`, `DB_PASSWORD` and `db-password` all hold `password`.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "auth",
    "dsn",
];

/// Words that name a credential after `api`, `access`, `private`, `secret`,
/// `signing`, `encryption` or `client`: `api_key`, `ACCESS_KEY`.
const KEY_WORDS: &[&str] = &["key"];
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "private",
    "secret",
    "signing",
    "encryption",
    "client",
    "master",
];

/// Values that stand for a secret rather than being one.
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "redacted",
    "xxxx",
    "****",
    "none",
    "null",
    "true",
    "false",
    "example",
    "dummy",
    "placeholder",
];

/// Bits per character above which long text is taken for random.
const RANDOM_ENTROPY: f64 = 4.0;
/// ...for hexadecimal text, whose alphabet holds only 4 bits.
const RANDOM_HEX_ENTROPY: f64 = 3.0;
/// The shortest value taken for random by entropy alone.
const RANDOM_MIN_LEN: usize = 20;

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: std::collections::BTreeMap<char, usize> = std::collections::BTreeMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The words of a key, lower-cased.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a key names a credential.
pub fn credential_key(key: &str) -> bool {
    let w = words(key);
    let joined = w.concat();
    if [
        "apikey",
        "accesskey",
        "privatekey",
        "secretkey",
        "clientsecret",
    ]
    .iter()
    .any(|k| joined.contains(k))
    {
        return true;
    }
    w.iter().enumerate().any(|(i, word)| {
        CREDENTIAL_WORDS.contains(&word.as_str())
            || (KEY_WORDS.contains(&word.as_str())
                && i > 0
                && w.get(i - 1)
                    .is_some_and(|q| KEY_QUALIFIERS.contains(&q.as_str())))
    })
}

/// A known token format, by name.
pub fn known_format(v: &str) -> Option<&'static str> {
    let t = v.trim();
    let alnum_upper = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let token_chars = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    for prefix in ["AKIA", "ASIA"] {
        if let Some(rest) = t.strip_prefix(prefix)
            && rest.len() == 16
            && alnum_upper(rest)
        {
            return Some("an AWS access key id");
        }
    }
    if t.contains("-----BEGIN") && t.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if let Some(rest) = t.strip_prefix(prefix)
            && rest.len() >= 20
            && token_chars(rest)
        {
            return Some("a GitHub token");
        }
    }
    if let Some(rest) = t.strip_prefix("glpat-")
        && rest.len() >= 20
        && token_chars(rest)
    {
        return Some("a GitLab token");
    }
    for prefix in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"] {
        if t.starts_with(prefix) && t.len() >= 20 {
            return Some("a Slack token");
        }
    }
    for prefix in ["sk_live_", "rk_live_"] {
        if t.starts_with(prefix) && t.len() >= 24 {
            return Some("a Stripe secret key");
        }
    }
    if let Some(rest) = t.strip_prefix("AIza")
        && rest.len() == 35
        && token_chars(rest)
    {
        return Some("a Google API key");
    }
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| p.len() >= 4 && token_chars(p))
    {
        return Some("a JSON Web Token");
    }
    // A URL with a password: scheme://user:password@host
    if let Some((_, rest)) = t.split_once("://")
        && let Some((userinfo, _)) = rest.split_once('@')
        && let Some((_, pass)) = userinfo.split_once(':')
        && !pass.is_empty()
        && !is_placeholder(pass)
    {
        return Some("a URL with a password");
    }
    None
}

/// Templated, referenced or obviously fake values.
fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    t.starts_with('$')
        || t.starts_with("{{")
        || (t.starts_with('<') && t.ends_with('>'))
        || PLACEHOLDERS.iter().any(|p| lower == *p)
        || t.chars().all(|c| c == t.chars().next().unwrap_or(' '))
}

/// Text that reads as random: long, without spaces, high entropy.
fn looks_random(v: &str) -> bool {
    let t = v.trim();
    if t.chars().count() < RANDOM_MIN_LEN || t.contains(char::is_whitespace) {
        return false;
    }
    // Paths, URLs and dotted names are structured, not random.
    if t.starts_with('/') || t.contains("://") || t.matches('.').count() >= 2 {
        return false;
    }
    let hex = t.chars().all(|c| c.is_ascii_hexdigit());
    let e = shannon_entropy(t);
    if hex {
        t.len() >= 32 && e >= RANDOM_HEX_ENTROPY
    } else {
        e >= RANDOM_ENTROPY
    }
}

/// Why a value looks like a secret, or `None`.
pub fn reason(key: &str, value: &str) -> Option<String> {
    if let Some(f) = known_format(value) {
        return Some(format!("it looks like {f}"));
    }
    if is_placeholder(value) {
        return None;
    }
    if credential_key(key) && value.trim().chars().count() >= 6 {
        return Some(format!("`{key}` names a credential and has a value"));
    }
    if looks_random(value) {
        return Some(format!(
            "it reads as random text ({:.1} bits of entropy per character)",
            shannon_entropy(value.trim())
        ));
    }
    None
}

fn looks_secret(args: Vec<Value>) -> Result<Value, String> {
    let key = str_arg(&args, 0, "key")?;
    // Only strings can hold secrets; numbers and the like cannot.
    let Some(value) = args.get(1).and_then(Value::as_str) else {
        return Ok(json!(false));
    };
    Ok(json!(reason(key, value).is_some()))
}

fn entropy(args: Vec<Value>) -> Result<Value, String> {
    Ok(json!(shannon_entropy(str_arg(&args, 0, "value")?)))
}

fn why(args: Vec<Value>) -> Result<Value, String> {
    let key = str_arg(&args, 0, "key")?;
    Ok(match args.get(1).and_then(Value::as_str) {
        Some(v) => reason(key, v).map(Value::String).unwrap_or(Value::Null),
        None => Value::Null,
    })
}

/// Where a resource keeps its pod spec, as pointer segments.
fn pod_spec_path(resource: &Value) -> Option<Vec<&'static str>> {
    let kind = resource.get("kind")?.as_str()?;
    Some(match kind {
        "Pod" => vec!["spec"],
        "CronJob" => vec!["spec", "jobTemplate", "spec", "template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController"
        | "PodTemplate" => {
            if kind == "PodTemplate" {
                vec!["template", "spec"]
            } else {
                vec!["spec", "template", "spec"]
            }
        }
        _ => return None,
    })
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// ConfigMap data values and container env values that look like secrets.
fn scan(resource: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    if resource.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
        if let Some(data) = resource.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                if let Some(why) = v.as_str().and_then(|v| reason(k, v)) {
                    out.push(
                        Finding::new(
                            pointer(&["data", k]),
                            format!("ConfigMap key `{k}` looks like a secret: {why}; keep it in a Secret"),
                        )
                        .with("key", k.as_str()),
                    );
                }
            }
        }
        return out;
    }
    let Some(spec_path) = pod_spec_path(resource) else {
        return out;
    };
    let Some(spec) = get(resource, &spec_path) else {
        return out;
    };
    for group in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(containers) = spec.get(group).and_then(Value::as_array) else {
            continue;
        };
        for (ci, c) in containers.iter().enumerate() {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
            let Some(env) = c.get("env").and_then(Value::as_array) else {
                continue;
            };
            for (ei, e) in env.iter().enumerate() {
                let (Some(k), Some(v)) = (
                    e.get("name").and_then(Value::as_str),
                    e.get("value").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if let Some(why) = reason(k, v) {
                    let ci = ci.to_string();
                    let ei = ei.to_string();
                    let mut segs: Vec<&str> = spec_path.clone();
                    segs.extend([group, &ci, "env", &ei, "value"]);
                    out.push(
                        Finding::new(
                            pointer(&segs),
                            format!(
                                "env `{k}` of container `{name}` looks like a secret: {why}; use valueFrom.secretKeyRef"
                            ),
                        )
                        .with("key", k),
                    );
                }
            }
        }
    }
    out
}

plugin! {
    fn looks_secret;
    fn why;
    fn entropy;
    check scan "ConfigMap data and container env values that look like secrets"
        kinds ["ConfigMap", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController", "PodTemplate"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_text() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!(shannon_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") > 4.0);
    }

    #[test]
    fn key_words() {
        assert_eq!(words("dbPassword"), ["db", "password"]);
        assert_eq!(words("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(words("api-key"), ["api", "key"]);
        for k in [
            "password",
            "DB_PASSWORD",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "github-token",
            "clientSecret",
            "SENTRY_DSN",
        ] {
            assert!(credential_key(k), "{k}");
        }
        for k in [
            "keyspace",
            "monkey",
            "LOG_LEVEL",
            "primary_key_column",
            "passenger",
            "author",
        ] {
            assert!(!credential_key(k), "{k}");
        }
    }

    #[test]
    fn secrets_and_not() {
        let yes = [
            ("aws", "AKIAIOSFODNN7EXAMPLE"),
            ("x", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            ("x", "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."),
            (
                "x",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ),
            ("DATABASE_URL", "postgres://app:s3cr3t@db:5432/app"),
            ("DB_PASSWORD", "hunter22"),
            ("blob", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            (
                "sum",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            ),
        ];
        for (k, v) in yes {
            assert!(reason(k, v).is_some(), "{k}={v}");
        }
        let no = [
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", "{{ .Values.password }}"),
            ("password", "changeme"),
            ("token", "<your token>"),
            ("LOG_LEVEL", "debug"),
            ("greeting", "hello there, how are you doing today"),
            ("path", "/usr/local/share/some/long/path/to/a/file"),
            ("host", "service.namespace.svc.cluster.local"),
            ("url", "https://example.com/some/long/path?query=value"),
            ("password", "xxxxxxxxxxxxx"),
        ];
        for (k, v) in no {
            assert!(reason(k, v).is_none(), "{k}={v}: {:?}", reason(k, v));
        }
    }

    #[test]
    fn scan_finds_configmap_and_env_values() {
        let cm =
            json!({"kind": "ConfigMap", "data": {"a/b": "AKIAIOSFODNN7EXAMPLE", "level": "info"}});
        let f = scan(&cm);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/data/a~1b");
        let dep = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [{"name": "MODE", "value": "prod"}, {"name": "API_KEY", "value": "abcdef123456"}]}
        ]}}}});
        let f = scan(&dep);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/spec/template/spec/containers/0/env/1/value");
        assert!(f[0].message.contains("`API_KEY` of container `app`"));
        assert!(scan(&json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}})).is_empty());
    }
}
