//! Handler rules: the native policy format plus memory predicates on the syscall's path.
//!
//! ```text
//! allow openat open if path under "/srv/data"      # whole components: /srv/database is not under it
//! allow openat if path == "/etc/hostname"
//! errno(EACCES) openat open
//! ```
//!
//! Each line is parsed by core's native-format parser once its path predicates are taken out (so the
//! syscall names, the action and any `args[i]` comparisons mean exactly what they mean in a filter
//! policy). Unlike a filter policy, handler rules are tried **in file order and the first that applies
//! decides**; then the file's `default` (when it is not `notify`), then `--on-notify`.
//!
//! A path predicate makes the answer depend on the target's memory, so the syscall can never simply
//! continue: an `allow` is carried out by the supervisor opening the file itself (see
//! `seccomp_supervisor::emulate`). That is possible for `open`, `openat`, `openat2` and `creat` only; a
//! path predicate on any other syscall is refused when the file is loaded.

use crate::error::CliError;
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::path::Lexical;
use std::path::Path;

/// The syscalls whose path-dependent `allow` the supervisor can carry out itself.
pub const EMULATED: [&str; 4] = ["open", "openat", "openat2", "creat"];

/// A predicate on the syscall's path argument, resolved for the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPredicate {
    /// `path under "DIR"`: the path is DIR or below it, by whole components.
    Under(Lexical),
    /// `path == "FILE"`.
    Exactly(Lexical),
}

/// One handler rule: a line of the file.
#[derive(Debug)]
pub struct Rule {
    /// The line, from 1.
    pub line: u32,
    /// The action.
    pub action: Action,
    /// The line as a one-line policy (its syscalls and `args` condition).
    policy: Box<Policy>,
    /// The path predicates, all of which must hold.
    pub paths: Vec<PathPredicate>,
}

impl Rule {
    /// Whether the rule names syscall `nr` and its `args` comparisons hold.
    pub fn applies(&self, nr: u32, args: &[u64; 6]) -> bool {
        self.policy
            .rules()
            .any(|rule| rule.nr() == nr && rule.matches(args))
    }
}

/// A loaded handlers file.
#[derive(Debug)]
pub struct Rules {
    /// The file's name, for `file:line` in logs.
    pub file: String,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// The whole file as a policy (its `default` and `bad-arch`).
    pub policy: Box<Policy>,
    /// The file's `emulate` lines: the container handlers (see [`super::emulate_rules`]).
    pub emulate: seccomp_supervisor::handlers::Handlers,
}

fn error(file: &str, line: u32, message: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format!("{file}:{line}: {message}"))
}

/// Where the comment starts (a `#` outside a string literal).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Parses a string literal at the start of `text` (after trimming); returns it and the rest.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

/// Takes the path predicates out of one `&&` term list; returns the remaining condition text.
fn split_condition(file: &str, line: u32, condition: &str) -> Result<(String, Vec<PathPredicate>), CliError> {
    let mut rest_terms = Vec::new();
    let mut paths = Vec::new();
    // Split on && outside string literals.
    let mut terms = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    let bytes = condition.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if !quoted && b == b'&' && bytes.get(i + 1) == Some(&b'&') {
            terms.push(&condition[start..i]);
            start = i + 2;
            i += 1;
        } else if !quoted && b == b'|' && bytes.get(i + 1) == Some(&b'|') && condition.contains("path") {
            return Err(error(
                file,
                line,
                "a condition with a path predicate cannot use `||` (write one line per alternative)",
            ));
        }
        i += 1;
    }
    terms.push(&condition[start..]);
    for term in terms {
        let trimmed = term.trim();
        let Some(after) = trimmed.strip_prefix("path") else {
            rest_terms.push(trimmed.to_owned());
            continue;
        };
        let after = after.trim_start();
        let (make, literal): (fn(Lexical) -> PathPredicate, &str) =
            if let Some(l) = after.strip_prefix("under") {
                (PathPredicate::Under, l)
            } else if let Some(l) = after.strip_prefix("==") {
                (PathPredicate::Exactly, l)
            } else {
                return Err(error(
                    file,
                    line,
                    format!("expected `under` or `==` after `path`, found `{after}`"),
                ));
            };
        let Some((value, tail)) = string_literal(literal) else {
            return Err(error(
                file,
                line,
                "expected a quoted path after `path under` or `path ==`",
            ));
        };
        if !tail.trim().is_empty() {
            return Err(error(
                file,
                line,
                format!("unexpected `{}` after the path", tail.trim()),
            ));
        }
        if !value.starts_with('/') {
            return Err(error(
                file,
                line,
                format!("the path \"{value}\" must be absolute"),
            ));
        }
        let lexical = Lexical::new(value.as_bytes());
        if lexical.has_dot_dot() {
            return Err(error(
                file,
                line,
                format!("the path \"{value}\" must not contain `..`"),
            ));
        }
        paths.push(make(lexical));
    }
    Ok((rest_terms.join(" && "), paths))
}

impl Rules {
    /// Parses a handlers file for `arch`.
    pub fn parse(path: &Path, text: &str, arch: Arch) -> Result<Rules, CliError> {
        let file = path.display().to_string();
        let mut stripped = String::with_capacity(text.len());
        let mut rules = Vec::new();
        let mut emulate = seccomp_supervisor::handlers::Handlers::new();
        for (index, raw_line) in text.lines().enumerate() {
            let line = index as u32 + 1;
            let code = strip_comment(raw_line).trim();
            let first = code.split_whitespace().next().unwrap_or("");
            if first == "emulate" {
                super::emulate_rules::parse_line(&file, line, code, &mut emulate)?;
                stripped.push('\n');
                continue;
            }
            let statement = code.is_empty() || matches!(first, "arch" | "default" | "bad-arch" | "x32");
            if statement {
                stripped.push_str(code);
                stripped.push('\n');
                continue;
            }
            let (head, condition) = match code.find(" if ") {
                Some(at) => (&code[..at], Some(&code[at + 4..])),
                None => (code, None),
            };
            let (rest, paths) = match condition {
                Some(condition) => split_condition(&file, line, condition)?,
                None => (String::new(), Vec::new()),
            };
            let rule_text = if rest.is_empty() {
                head.to_owned()
            } else {
                format!("{head} if {rest}")
            };
            stripped.push_str(&rule_text);
            stripped.push('\n');
            let one = Policy::parse(&format!("default notify\n{rule_text}\n"), arch).map_err(|e| {
                // "2:COLUMN: message": the line is this one; the column counts in the rewritten rule.
                let text = e.to_string();
                let message = text.splitn(3, ':').nth(2).unwrap_or(&text).trim().to_owned();
                error(&file, line, message)
            })?;
            let action = one.rules().next().map(|r| r.action());
            let Some(action) = action else { continue };
            if !paths.is_empty() {
                check_emulable(&file, line, &one, arch, action)?;
            }
            rules.push(Rule {
                line,
                action,
                policy: Box::new(one),
                paths,
            });
        }
        let policy =
            Policy::parse(&stripped, arch).map_err(|e| CliError::bad_input(format!("{file}:{e}")))?;
        Ok(Rules {
            file,
            rules,
            policy: Box::new(policy),
            emulate,
        })
    }
}

/// Refuses a path predicate on a syscall the supervisor cannot carry out itself.
fn check_emulable(file: &str, line: u32, one: &Policy, arch: Arch, action: Action) -> Result<(), CliError> {
    for rule in one.rules() {
        let name = arch.syscall_name(rule.nr()).unwrap_or("?");
        if EMULATED.contains(&name) {
            continue;
        }
        let allows = matches!(action.kind(), ActionKind::Allow | ActionKind::Log);
        let why = if allows {
            format!(
                "`{name}` cannot be allowed by its path: the supervisor cannot do {name} for the target, and \
                 letting it continue after reading its memory lets the target swap the path before the kernel \
                 reads it (seccomp_unotify(2), Caveats); restrict {name} with Landlock or mount options \
                 (read-only or noexec bind mounts) instead"
            )
        } else {
            format!(
                "path predicates work on {} only: for `{name}` a non-matching path would have to continue \
                 after its memory was read, which the target could exploit; use Landlock or mount options",
                EMULATED.join(", ")
            )
        };
        return Err(error(file, line, why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rules, String> {
        Rules::parse(Path::new("h.policy"), text, Arch::X86_64).map_err(|e| e.message)
    }

    #[test]
    fn the_issue_examples_parse_with_their_lines() {
        let rules = parse(
            "default notify\nallow openat open if path under \"/srv/data\"      # whole components\n\
             allow openat if path == \"/etc/hostname\"\nerrno(EACCES) openat open\n",
        )
        .expect("parses");
        assert_eq!(rules.rules.len(), 3);
        assert_eq!(rules.rules[0].line, 2);
        assert_eq!(
            rules.rules[0].paths,
            vec![PathPredicate::Under(Lexical::new(b"/srv/data"))]
        );
        assert_eq!(
            rules.rules[1].paths,
            vec![PathPredicate::Exactly(Lexical::new(b"/etc/hostname"))]
        );
        assert!(rules.rules[2].paths.is_empty());
        let openat = Arch::X86_64.syscall_nr("openat").expect("openat");
        assert!(rules.rules[0].applies(openat, &[0; 6]));
    }

    #[test]
    fn args_conditions_combine_with_path_predicates() {
        let rules =
            parse("default notify\nallow openat if args[2] == 0 && path under \"/tmp\"\n").expect("parses");
        let openat = Arch::X86_64.syscall_nr("openat").expect("openat");
        assert!(rules.rules[0].applies(openat, &[0; 6]));
        assert!(!rules.rules[0].applies(openat, &[0, 0, 1, 0, 0, 0]));
    }

    #[test]
    fn a_path_allow_for_execve_is_refused_naming_the_line_and_landlock() {
        let message =
            parse("default notify\n\nallow execve if path under \"/usr/bin\"\n").expect_err("refused");
        assert!(message.starts_with("h.policy:3: "), "{message}");
        assert!(message.contains("Landlock"), "{message}");
    }

    #[test]
    fn malformed_predicates_name_the_line() {
        for (text, want) in [
            (
                "default notify\nallow openat if path under /x\n",
                "h.policy:2: expected a quoted path",
            ),
            (
                "default notify\nallow openat if path under \"x\"\n",
                "must be absolute",
            ),
            (
                "default notify\nallow openat if path under \"/a/../b\"\n",
                "must not contain `..`",
            ),
            (
                "default notify\nallow openat if path ~ \"/a\"\n",
                "expected `under` or `==`",
            ),
            (
                "default notify\nallow openat if path == \"/a\" || args[0] == 1\n",
                "cannot use `||`",
            ),
            (
                "default notify\nallow nosuchcall if path == \"/a\"\n",
                "h.policy:2:",
            ),
        ] {
            let message = parse(text).expect_err(text);
            assert!(message.contains(want), "{text}: {message}");
        }
    }

    #[test]
    fn a_hash_inside_a_path_is_not_a_comment() {
        let rules =
            parse("default notify\nallow openat if path == \"/a#b\" # real comment\n").expect("parses");
        assert_eq!(
            rules.rules[0].paths,
            vec![PathPredicate::Exactly(Lexical::new(b"/a#b"))]
        );
    }
}
