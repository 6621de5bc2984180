//! A Ward plugin that reads the shell of Dockerfile `RUN` instructions.
//!
//! - `lint(command)`: the problems of one shell command line, as a list of
//!   `{rule, severity, message}`.
//! - the check `dockerfile(resource)`: the problems of every `RUN` (shell
//!   form, exec form through `sh -c`, and heredoc bodies) of a `Dockerfile`
//!   resource, as findings at the instruction's `arguments` (or heredoc
//!   `content`) with `rule` and `severity`.
//!
//! Rules:
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `pipe-to-shell` | high | `curl ... \| sh`, `wget -O- ... \| bash`, `sh -c "$(curl ...)"`, `bash <(curl ...)` |
//! | `insecure-download` | high | `curl -k`/`--insecure`, `wget --no-check-certificate` |
//! | `sudo` | medium | `sudo` in a build (it runs as root already, or should use `USER`) |
//! | `apt-no-yes` | medium | `apt-get install` without `-y`/`--yes`/`--assume-yes`/`-qq` |
//! | `apt-recommends` | low | `apt-get install` without `--no-install-recommends` |
//! | `apt-update-alone` | medium | `apt-get update` without an install in the same `RUN` (a stale cache layer) |
//! | `apt-lists` | low | `apt-get install` without removing `/var/lib/apt/lists` |
//! | `apk-cache` | low | `apk add` without `--no-cache` |
//! | `pip-cache` | low | `pip install` without `--no-cache-dir` |
//! | `chmod-777` | medium | `chmod 777` (or `a+rwx`) |

use ward_plugin_sdk::{Finding, Value, json, plugin, pointer, str_arg};

/// One problem in a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: String,
}

fn problem(rule: &'static str, severity: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        rule,
        severity,
        message: message.into(),
    }
}

/// A shell word with its quoting removed, and the operator that ends the
/// simple command it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    /// `|`, `&&`, `||`, `;`, `&` or a line end.
    Op(&'static str),
}

/// Splits a command line into words and operators: quotes group, `\`
/// escapes, `$( )` and `<( )` stay inside their word.
fn tokenize(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut depth = 0usize;
    let flush = |word: &mut String, in_word: &mut bool, out: &mut Vec<Token>| {
        if *in_word {
            out.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        if depth > 0 {
            word.push(c);
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    word.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        _ => word.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    if e != '\n' {
                        word.push(e);
                    }
                }
            }
            '$' | '<' if chars.peek() == Some(&'(') => {
                in_word = true;
                word.push(c);
                if let Some(p) = chars.next() {
                    word.push(p);
                }
                depth = 1;
            }
            '|' | '&' | ';' | '\n' => {
                flush(&mut word, &mut in_word, &mut out);
                let op = match (c, chars.peek()) {
                    ('|', Some('|')) => {
                        chars.next();
                        "||"
                    }
                    ('&', Some('&')) => {
                        chars.next();
                        "&&"
                    }
                    ('|', _) => "|",
                    ('&', _) => "&",
                    _ => ";",
                };
                out.push(Token::Op(op));
            }
            c if c.is_whitespace() => flush(&mut word, &mut in_word, &mut out),
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push(Token::Op(";"));
                        break;
                    }
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut out);
    out
}

/// A simple command: its words (after `env`-style assignments) and the
/// operator that follows it.
#[derive(Clone, Debug)]
struct Command {
    words: Vec<String>,
    then: Option<&'static str>,
}

impl Command {
    /// The program, without `sudo` and its options.
    fn program(&self) -> Option<&str> {
        let mut it = self.words.iter().map(String::as_str);
        let mut w = it.next()?;
        while w == "sudo" || w.starts_with('-') || w == "env" || w.contains('=') {
            w = it.next()?;
        }
        Some(w.rsplit('/').next().unwrap_or(w))
    }

    fn has(&self, flag: &str) -> bool {
        self.words.iter().any(|w| w == flag)
    }

    fn has_short(&self, letter: char) -> bool {
        self.words.iter().any(|w| {
            w.starts_with('-') && !w.starts_with("--") && w.chars().skip(1).any(|c| c == letter)
        })
    }

    /// Whether the words after the program include `sub` (`apt-get install`).
    fn sub(&self, sub: &str) -> bool {
        self.words.iter().skip(1).any(|w| w == sub)
    }
}

fn commands(line: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut words = Vec::new();
    for t in tokenize(line) {
        match t {
            Token::Word(w) => words.push(w),
            Token::Op(op) => {
                if !words.is_empty() {
                    out.push(Command {
                        words: std::mem::take(&mut words),
                        then: Some(op),
                    });
                }
            }
        }
    }
    if !words.is_empty() {
        out.push(Command { words, then: None });
    }
    out
}

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ash", "ksh", "python", "python3", "perl",
];
const FETCHERS: &[&str] = &["curl", "wget"];

/// The problems of one shell command line.
pub fn lint_line(line: &str) -> Vec<Problem> {
    let cmds = commands(line);
    let mut out = Vec::new();
    let mut push = |p: Problem| {
        if !out.iter().any(|q: &Problem| q.rule == p.rule) {
            out.push(p);
        }
    };
    let mut apt_install = false;
    let mut apt_update = false;
    for (i, c) in cmds.iter().enumerate() {
        let Some(prog) = c.program() else { continue };
        if c.words.first().is_some_and(|w| w == "sudo") {
            push(problem(
                "sudo",
                "medium",
                "`sudo` in a build: RUN already runs as the image's user; switch with USER instead",
            ));
        }
        if FETCHERS.contains(&prog) && c.then == Some("|") {
            if let Some(next) = cmds.get(i + 1).and_then(Command::program)
                && SHELLS.contains(&next)
            {
                push(problem(
                    "pipe-to-shell",
                    "high",
                    format!(
                        "`{prog} ... | {next}` runs a script from the network unverified; download it, check its digest, then run it"
                    ),
                ));
            }
        }
        if SHELLS.contains(&prog)
            && c.words.iter().any(|w| {
                (w.contains("$(") || w.contains("<(") || w.contains('`'))
                    && FETCHERS.iter().any(|f| w.contains(f))
            })
        {
            push(problem(
                "pipe-to-shell",
                "high",
                format!(
                    "`{prog}` runs a script fetched from the network unverified; download it, check its digest, then run it"
                ),
            ));
        }
        if (prog == "curl" && (c.has("--insecure") || c.has_short('k')))
            || (prog == "wget" && c.has("--no-check-certificate"))
        {
            push(problem(
                "insecure-download",
                "high",
                format!("`{prog}` does not check the server's certificate"),
            ));
        }
        if prog == "apt-get" || prog == "apt" {
            if c.sub("update") {
                apt_update = true;
            }
            if c.sub("install") {
                apt_install = true;
                if !(c.has("-y")
                    || c.has("--yes")
                    || c.has("--assume-yes")
                    || c.has("-qq")
                    || c.has_short('y'))
                {
                    push(problem(
                        "apt-no-yes",
                        "medium",
                        format!(
                            "`{prog} install` without `-y` waits for an answer no build can give"
                        ),
                    ));
                }
                if !c.has("--no-install-recommends") {
                    push(problem(
                        "apt-recommends",
                        "low",
                        format!(
                            "`{prog} install` without `--no-install-recommends` adds packages nobody asked for"
                        ),
                    ));
                }
            }
        }
        if prog == "apk" && c.sub("add") && !c.has("--no-cache") {
            push(problem(
                "apk-cache",
                "low",
                "`apk add` without `--no-cache` leaves the package index in the image",
            ));
        }
        if (prog == "pip" || prog == "pip3") && c.sub("install") && !c.has("--no-cache-dir") {
            push(problem(
                "pip-cache",
                "low",
                format!("`{prog} install` without `--no-cache-dir` leaves its cache in the image"),
            ));
        }
        if prog == "chmod"
            && c.words
                .iter()
                .any(|w| w == "777" || w == "0777" || w == "a+rwx")
        {
            push(problem(
                "chmod-777",
                "medium",
                "`chmod 777` lets every user change the files",
            ));
        }
    }
    if apt_update && !apt_install {
        push(problem(
            "apt-update-alone",
            "medium",
            "`apt-get update` without an install in the same RUN caches a package index that later layers reuse stale",
        ));
    }
    if apt_install
        && !cmds.iter().any(|c| {
            c.program() == Some("rm") && c.words.iter().any(|w| w.starts_with("/var/lib/apt/lists"))
        })
    {
        push(problem(
            "apt-lists",
            "low",
            "`apt-get install` without `rm -rf /var/lib/apt/lists/*` keeps the package index in the layer",
        ));
    }
    out
}

fn to_json(p: &Problem) -> Value {
    json!({"rule": p.rule, "severity": p.severity, "message": p.message})
}

fn lint(args: Vec<Value>) -> Result<Value, String> {
    let line = str_arg(&args, 0, "command")?;
    Ok(Value::Array(lint_line(line).iter().map(to_json).collect()))
}

/// The shell text of a RUN's arguments: without its `--flags`.
fn shell_text(arguments: &str) -> &str {
    let mut rest = arguments.trim_start();
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// Every RUN of a Dockerfile resource.
fn dockerfile(resource: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(instructions) = resource.get("instructions").and_then(Value::as_array) else {
        return out;
    };
    for (i, ins) in instructions.iter().enumerate() {
        if ins.get("instruction").and_then(Value::as_str) != Some("RUN") {
            continue;
        }
        let line = ins.get("line").and_then(Value::as_u64).unwrap_or(0);
        let i_s = i.to_string();
        let mut texts: Vec<(String, Vec<String>)> = Vec::new();
        if let Some(exec) = ins.get("exec").and_then(Value::as_array) {
            // `["sh", "-c", "script"]` is shell; other exec forms are not.
            let words: Vec<&str> = exec.iter().filter_map(Value::as_str).collect();
            if let [sh, "-c", script, ..] = words.as_slice()
                && SHELLS.contains(&sh.rsplit('/').next().unwrap_or(sh))
            {
                texts.push((
                    script.to_string(),
                    vec![
                        "instructions".into(),
                        i_s.clone(),
                        "exec".into(),
                        "2".into(),
                    ],
                ));
            }
        } else if let Some(args) = ins.get("arguments").and_then(Value::as_str) {
            texts.push((
                shell_text(args).to_string(),
                vec!["instructions".into(), i_s.clone(), "arguments".into()],
            ));
        }
        if let Some(docs) = ins.get("heredocs").and_then(Value::as_array) {
            for (h, d) in docs.iter().enumerate() {
                if let Some(content) = d.get("content").and_then(Value::as_str) {
                    texts.push((
                        content.to_string(),
                        vec![
                            "instructions".into(),
                            i_s.clone(),
                            "heredocs".into(),
                            h.to_string(),
                            "content".into(),
                        ],
                    ));
                }
            }
        }
        for (text, path) in texts {
            for p in lint_line(&text) {
                out.push(
                    Finding::new(pointer(&path), format!("RUN on line {line}: {}", p.message))
                        .with("rule", p.rule)
                        .with("severity", p.severity),
                );
            }
        }
    }
    out
}

plugin! {
    fn lint;
    check dockerfile "risky shell in RUN instructions" kinds ["Dockerfile"];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(line: &str) -> Vec<&'static str> {
        lint_line(line).iter().map(|p| p.rule).collect()
    }

    #[test]
    fn words_and_operators() {
        assert_eq!(
            tokenize(r#"echo "a b" 'c|d' e\ f | sh && x;y"#),
            vec![
                Token::Word("echo".into()),
                Token::Word("a b".into()),
                Token::Word("c|d".into()),
                Token::Word("e f".into()),
                Token::Op("|"),
                Token::Word("sh".into()),
                Token::Op("&&"),
                Token::Word("x".into()),
                Token::Op(";"),
                Token::Word("y".into()),
            ]
        );
        assert_eq!(
            tokenize(r#"sh -c "$(curl -fsSL https://x | tr a b)""#).len(),
            3
        );
    }

    #[test]
    fn pipes_to_a_shell() {
        assert_eq!(
            rules("curl -fsSL https://get.example.com | sh"),
            ["pipe-to-shell"]
        );
        assert_eq!(
            rules("wget -qO- https://x.sh | sudo bash -s --"),
            ["pipe-to-shell", "sudo"]
        );
        assert_eq!(
            rules(r#"sh -c "$(curl -fsSL https://x)""#),
            ["pipe-to-shell"]
        );
        assert_eq!(rules("bash <(curl -s https://x)"), ["pipe-to-shell"]);
        assert!(
            rules("curl -fsSLo /tmp/x.sh https://x && sha256sum -c x.sha && sh /tmp/x.sh")
                .is_empty()
        );
        assert!(rules("curl https://x | tar xz").is_empty());
        assert!(rules("echo 'curl x | sh' > notes.txt").is_empty());
    }

    #[test]
    fn apt() {
        assert_eq!(
            rules("apt-get update && apt-get install curl"),
            ["apt-no-yes", "apt-recommends", "apt-lists"]
        );
        assert!(rules(
            "apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"
        )
        .is_empty());
        assert_eq!(rules("apt-get update"), ["apt-update-alone"]);
        assert_eq!(
            rules(
                "DEBIAN_FRONTEND=noninteractive apt-get -qy install --no-install-recommends x && rm -rf /var/lib/apt/lists"
            ),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn others() {
        assert_eq!(rules("sudo make install"), ["sudo"]);
        assert_eq!(rules("curl -k https://x -o y"), ["insecure-download"]);
        assert_eq!(
            rules("wget --no-check-certificate https://x"),
            ["insecure-download"]
        );
        assert_eq!(rules("apk add curl"), ["apk-cache"]);
        assert!(rules("apk add --no-cache curl").is_empty());
        assert_eq!(rules("pip install -r requirements.txt"), ["pip-cache"]);
        assert_eq!(rules("chmod -R 777 /app"), ["chmod-777"]);
        assert!(rules("chmod 755 /app # was 777").is_empty());
    }

    #[test]
    fn a_dockerfile_resource() {
        let r = json!({"kind": "Dockerfile", "instructions": [
            {"instruction": "FROM", "arguments": "debian", "line": 1},
            {"instruction": "RUN", "arguments": "--mount=type=cache,target=/var/cache/apt apt-get install -y --no-install-recommends curl", "line": 2},
            {"instruction": "RUN", "arguments": "[\"sh\", \"-c\", \"curl x | sh\"]", "form": "exec", "exec": ["sh", "-c", "curl x | sh"], "line": 3},
            {"instruction": "RUN", "arguments": "<<EOF", "line": 4, "heredocs": [{"name": "EOF", "content": "sudo true\n"}]},
        ]});
        let f = dockerfile(&r);
        let got: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.pointer.as_str(), f.extra["rule"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                ("/instructions/1/arguments", "apt-lists"),
                ("/instructions/2/exec/2", "pipe-to-shell"),
                ("/instructions/3/heredocs/0/content", "sudo"),
            ]
        );
        assert!(f[1].message.starts_with("RUN on line 3: "));
    }
}
