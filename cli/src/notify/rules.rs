//! Handler rules: the native policy format plus memory predicates on the syscall's path and socket
//! address.
//!
//! ```text
//! allow openat open if path under "/srv/data"      # whole components: /srv/database is not under it
//! allow openat if path == "/etc/hostname"
//! errno(EACCES) openat open
//! allow mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 if path under "/srv/data"
//! allow connect if family == inet && addr in 10.0.0.0/8 && port == 443
//! allow connect bind if path under "/run/app"      # unix socket paths
//! ```
//!
//! Each line is parsed by core's native-format parser once its memory predicates are taken out (so the
//! syscall names, the action and any `args[i]` comparisons mean exactly what they mean in a filter
//! policy). Unlike a filter policy, handler rules are tried **in file order and the first that applies
//! decides**; then the file's `default` (when it is not `notify`), then `--on-notify`.
//!
//! A memory predicate makes the answer depend on the target's memory, so the syscall can never simply
//! continue: an `allow` is carried out by the supervisor doing the syscall itself (see
//! `seccomp_supervisor::emulate`). That is possible for the syscalls of
//! `seccomp_supervisor::emulate::EMULATED` only; a memory predicate on any other syscall is refused when
//! the file is loaded, naming the line and why.
//!
//! The memory predicates are parsed by [`memory_term`]; a new kind of predicate is one more arm there
//! and one more variant of [`Predicate`].

use crate::error::CliError;
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Op, Policy};
use seccomp_supervisor::emulate::EMULATED;
use seccomp_supervisor::memory::SockAddr;
use seccomp_supervisor::path::Lexical;
use std::net::IpAddr;
use std::path::Path;

/// The syscalls whose socket address predicates can look at.
const SOCKET_CALLS: [&str; 2] = ["connect", "bind"];

/// A predicate on the syscall's path argument, resolved for the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPredicate {
    /// `path under "DIR"`: the path is DIR or below it, by whole components.
    Under(Lexical),
    /// `path == "FILE"`.
    Exactly(Lexical),
}

/// A predicate on the socket address of `connect` or `bind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockPredicate {
    /// `family == unix|inet|inet6|NUMBER`.
    Family(u16),
    /// `addr == IP` or `addr in IP/PREFIX`: an inet or inet6 address within the prefix.
    Addr(IpAddr, u8),
    /// `port == N`, `port != N`, `port < N`, `port <= N`, `port > N`, `port >= N` (inet and inet6; the
    /// parser makes only these six of the operators).
    Port(Op, u16),
}

impl SockPredicate {
    /// Whether the predicate holds for `addr`.
    pub fn holds(&self, addr: &SockAddr) -> bool {
        let (ip, port) = match addr {
            SockAddr::Inet(a) => (Some(IpAddr::V4(*a.ip())), Some(a.port())),
            SockAddr::Inet6(a) => (Some(IpAddr::V6(*a.ip())), Some(a.port())),
            _ => (None, None),
        };
        match self {
            SockPredicate::Family(family) => family_of(addr) == *family,
            SockPredicate::Addr(net, prefix) => ip.is_some_and(|ip| in_prefix(ip, *net, *prefix)),
            SockPredicate::Port(op, want) => {
                port.is_some_and(|port| op.holds(u64::from(port), u64::from(*want)))
            }
        }
    }
}

/// `sa_family` of a decoded address.
fn family_of(addr: &SockAddr) -> u16 {
    match addr {
        SockAddr::UnixPath(_) | SockAddr::UnixAbstract(_) | SockAddr::UnixUnnamed => 1,
        SockAddr::Inet(_) => 2,
        SockAddr::Inet6(_) => 10,
        SockAddr::Other { family, .. } => *family,
        _ => u16::MAX,
    }
}

/// Whether `ip` lies in `net/prefix` (same family only).
fn in_prefix(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// A memory predicate of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// On the path argument(s) (for `connect`/`bind`: the unix socket path).
    Path(PathPredicate),
    /// On the socket address.
    Sock(SockPredicate),
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
    /// The socket address predicates, all of which must hold.
    pub sockaddr: Vec<SockPredicate>,
}

impl Rule {
    /// Whether the rule's answer depends on the target's memory.
    pub fn reads_memory(&self) -> bool {
        !self.paths.is_empty() || !self.sockaddr.is_empty()
    }

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

/// Reads a number word of a handler-rule file (a port, a prefix length, an address family, a device
/// number) with the project's one number reader, `seccomp_core::number` (decimal or `0x` hexadecimal,
/// `_` between digits, as in policy text); `None` when it is no number or does not fit in `T`.
pub(crate) fn number<T: TryFrom<u64>>(word: &str) -> Option<T> {
    seccomp_core::number::parse(word)
        .ok()
        .and_then(|value| T::try_from(value).ok())
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

/// The words a memory predicate starts with.
const MEMORY_WORDS: [&str; 4] = ["path", "family", "addr", "port"];

/// Whether `term` starts with the word `word` (followed by a space or an operator).
fn starts_with_word<'t>(term: &'t str, word: &str) -> Option<&'t str> {
    let rest = term.strip_prefix(word)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_alphanumeric() || c == '_' || c == '[' => None,
        Some(_) => Some(rest.trim_start()),
    }
}

/// Takes the memory predicates out of one `&&` term list; returns the remaining condition text.
fn split_condition(file: &str, line: u32, condition: &str) -> Result<(String, Vec<Predicate>), CliError> {
    let mut rest_terms = Vec::new();
    let mut predicates = Vec::new();
    // Split on && outside string literals.
    let mut terms = Vec::new();
    let (mut start, mut quoted, mut escaped, mut has_or) = (0, false, false, false);
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
        } else if !quoted && b == b'|' && bytes.get(i + 1) == Some(&b'|') {
            has_or = true;
        }
        i += 1;
    }
    terms.push(&condition[start..]);
    let mentions_memory = terms.iter().any(|term| {
        MEMORY_WORDS
            .iter()
            .any(|word| starts_with_word(term.trim(), word).is_some())
    });
    if has_or && mentions_memory {
        return Err(error(
            file,
            line,
            "a condition with a memory predicate (path, family, addr, port) cannot use `||` (write one line \
             per alternative)",
        ));
    }
    for term in terms {
        let trimmed = term.trim();
        match memory_term(file, line, trimmed)? {
            Some(predicate) => predicates.push(predicate),
            None => rest_terms.push(trimmed.to_owned()),
        }
    }
    Ok((rest_terms.join(" && "), predicates))
}

/// Parses one term as a memory predicate; `None` when it is not one (it is then a native-format term).
///
/// ```text
/// path under "DIR"     path == "FILE"
/// family == unix|inet|inet6|N
/// addr == 10.1.2.3     addr in 10.0.0.0/8     addr == ::1     addr in fd00::/8
/// port == 443          port >= 1024   (==, !=, <, <=, >, >=)
/// ```
pub fn memory_term(file: &str, line: u32, term: &str) -> Result<Option<Predicate>, CliError> {
    if let Some(after) = starts_with_word(term, "path") {
        return path_term(file, line, after).map(|p| Some(Predicate::Path(p)));
    }
    if let Some(after) = starts_with_word(term, "family") {
        let Some(value) = after.strip_prefix("==").map(str::trim) else {
            return Err(error(
                file,
                line,
                format!("expected `==` after `family`, found `{after}`"),
            ));
        };
        let family = match value {
            "unix" | "local" => 1,
            "inet" => 2,
            "inet6" => 10,
            n => number::<u16>(n).ok_or_else(|| {
                error(
                    file,
                    line,
                    format!("unknown address family `{n}` (unix, inet, inet6 or a number)"),
                )
            })?,
        };
        return Ok(Some(Predicate::Sock(SockPredicate::Family(family))));
    }
    if let Some(after) = starts_with_word(term, "addr") {
        let (value, prefixed) = if let Some(v) = after.strip_prefix("==") {
            (v.trim(), false)
        } else if let Some(v) = starts_with_word(after, "in") {
            (v.trim(), true)
        } else {
            return Err(error(
                file,
                line,
                format!("expected `==` or `in` after `addr`, found `{after}`"),
            ));
        };
        let (ip_text, prefix_text) = match value.split_once('/') {
            Some((ip, prefix)) if prefixed => (ip, Some(prefix)),
            Some(_) => {
                return Err(error(
                    file,
                    line,
                    "`addr ==` takes one address; use `addr in NET/PREFIX`",
                ));
            }
            None => (value, None),
        };
        let ip: IpAddr = ip_text
            .parse()
            .map_err(|_| error(file, line, format!("`{ip_text}` is not an IPv4 or IPv6 address")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            Some(p) => match number::<u8>(p) {
                Some(p) if p <= max => p,
                _ => {
                    return Err(error(
                        file,
                        line,
                        format!("the prefix length `{p}` must be 0 to {max}"),
                    ));
                }
            },
            None if prefixed => {
                return Err(error(
                    file,
                    line,
                    "`addr in` takes NET/PREFIX, such as 10.0.0.0/8",
                ));
            }
            None => max,
        };
        return Ok(Some(Predicate::Sock(SockPredicate::Addr(ip, prefix))));
    }
    if let Some(after) = starts_with_word(term, "port") {
        let Some((cmp, value)) = Op::PLAIN_BY_TOKEN
            .into_iter()
            .find_map(|op| after.strip_prefix(op.symbol()).map(|v| (op, v.trim())))
        else {
            return Err(error(
                file,
                line,
                format!("expected a comparison after `port`, found `{after}`"),
            ));
        };
        let port = number::<u16>(value).ok_or_else(|| {
            error(
                file,
                line,
                format!("the port `{value}` must be a number from 0 to 65535"),
            )
        })?;
        return Ok(Some(Predicate::Sock(SockPredicate::Port(cmp, port))));
    }
    Ok(None)
}

/// `under "DIR"` or `== "FILE"`, after the word `path`.
fn path_term(file: &str, line: u32, after: &str) -> Result<PathPredicate, CliError> {
    let (make, literal): (fn(Lexical) -> PathPredicate, &str) = if let Some(l) = after.strip_prefix("under") {
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
    Ok(make(lexical))
}

impl Rules {
    /// Parses a handlers file for `arch`.
    pub fn parse(path: &Path, text: &str, arch: Arch) -> Result<Rules, CliError> {
        let file = path.display().to_string();
        let mut stripped = String::with_capacity(text.len());
        let mut rules = Vec::new();
        let mut emulate = seccomp_supervisor::handlers::Handlers::new();
        let mut has_default = false;
        for (index, raw_line) in text.lines().enumerate() {
            let line = index as u32 + 1;
            let code = strip_comment(raw_line).trim();
            let first = code.split_whitespace().next().unwrap_or("");
            if first == "emulate" {
                super::emulate_rules::parse_line(&file, line, code, &mut emulate)?;
                stripped.push('\n');
                continue;
            }
            check_abi_statement(&file, line, code, arch)?;
            let statement = code.is_empty() || matches!(first, "arch" | "default" | "bad-arch" | "x32");
            has_default |= first == "default";
            if statement {
                stripped.push_str(code);
                stripped.push('\n');
                continue;
            }
            let (head, condition) = match code.find(" if ") {
                Some(at) => (&code[..at], Some(&code[at + 4..])),
                None => (code, None),
            };
            let (rest, predicates) = match condition {
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
            let mut paths = Vec::new();
            let mut sockaddr = Vec::new();
            for predicate in predicates {
                match predicate {
                    Predicate::Path(p) => paths.push(p),
                    Predicate::Sock(p) => sockaddr.push(p),
                }
            }
            if !paths.is_empty() || !sockaddr.is_empty() {
                check_emulable(&file, line, &one, arch, action, !sockaddr.is_empty())?;
            }
            rules.push(Rule {
                line,
                action,
                policy: Box::new(one),
                paths,
                sockaddr,
            });
        }
        // A handlers file may leave out `default`: what no rule decides falls back to --on-notify (the
        // line is appended, so the file's own line numbers stay right in errors).
        if !has_default {
            stripped.push_str("default notify\n");
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

/// Refuses an `arch` line naming anything but `native` alone, an `x32` line other than `x32 bad-arch`,
/// and an `enosys-above` line (the whole file's policy would answer ENOSYS where the handler does not).
/// The handler decides calls of the native arch value by native numbers and answers every other arch
/// value, and x32's bit 30, with the file's bad-arch action (`crate::notify::act`): a file covering the
/// compat ABI, x32 or another machine would be decided otherwise than it reads (an i386 `read` the file
/// allows would get the bad-arch action).
fn check_abi_statement(file: &str, line: u32, code: &str, native: Arch) -> Result<(), CliError> {
    let mut words = code.split_whitespace();
    match words.next() {
        Some("arch") => {
            let names: Vec<&str> = words.collect();
            if !matches!(names.as_slice(), [name] if Arch::from_name(name) == Some(native)) {
                return Err(error(
                    file,
                    line,
                    format!(
                        "handler rules decide calls of the host's ABI ({native}) only, and give calls of any \
                         other ABI the bad-arch action: write `arch {native}` (or no arch line), not `{code}`"
                    ),
                ));
            }
        }
        Some("x32") if words.collect::<Vec<_>>() != ["bad-arch"] => {
            return Err(error(
                file,
                line,
                format!(
                    "handler rules answer x32 calls (bit 30) with the bad-arch action: write `x32 bad-arch` \
                     (or no x32 line), not `{code}`"
                ),
            ));
        }
        Some("enosys-above") => {
            return Err(error(
                file,
                line,
                "`enosys-above` belongs in the filter policy: handler rules decide only the calls the \
                 filter notifies, and never answer ENOSYS by number",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Refuses a memory predicate on a syscall the supervisor cannot carry out itself, and a socket address
/// predicate on a syscall without a socket address.
fn check_emulable(
    file: &str,
    line: u32,
    one: &Policy,
    arch: Arch,
    action: Action,
    sockaddr: bool,
) -> Result<(), CliError> {
    for rule in one.rules() {
        let name = arch.syscall_name(rule.nr()).unwrap_or("?");
        if sockaddr && !SOCKET_CALLS.contains(&name) {
            return Err(error(
                file,
                line,
                format!(
                    "`family`, `addr` and `port` look at a socket address: `{name}` has none (connect and bind have)"
                ),
            ));
        }
        if EMULATED.contains(&name) {
            continue;
        }
        let allows = matches!(action.kind(), ActionKind::Allow | ActionKind::Log);
        let why = if allows {
            format!(
                "`{name}` cannot be allowed by its memory: the supervisor cannot do {name} for the target, and \
                 letting it continue after reading its memory lets the target swap the path before the kernel \
                 reads it (seccomp_unotify(2), Caveats); restrict {name} with Landlock or mount options \
                 (read-only or noexec bind mounts) instead"
            )
        } else {
            format!(
                "memory predicates work on {} only: for `{name}` a non-matching path would have to continue \
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
    fn the_issue_examples_load_exactly_as_written_without_a_default() {
        let rules = parse(
            "allow openat open if path under \"/srv/data\"      # whole path components: /srv/database is not under it\n\
             allow openat if path == \"/etc/hostname\"\n\
             errno(EACCES) openat open\n",
        )
        .expect("parses");
        assert_eq!(rules.rules.len(), 3);
        assert_eq!(rules.rules[2].line, 3);
        assert!(matches!(rules.policy.default_action().kind(), ActionKind::Notify));
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
    fn numbers_read_as_in_policy_text_and_out_of_range_ones_name_the_line() {
        let rules = parse(
            "default notify\nallow connect if port == 0x50\nallow bind if port >= 1_024 && addr in 10.0.0.0/0x8\n\
             allow connect if family == 0xa\n",
        )
        .expect("parses");
        assert_eq!(rules.rules[0].sockaddr, [SockPredicate::Port(Op::Eq, 80)]);
        assert_eq!(rules.rules[1].sockaddr[0], SockPredicate::Port(Op::Ge, 1024));
        assert_eq!(
            rules.rules[1].sockaddr[1],
            SockPredicate::Addr("10.0.0.0".parse().expect("ip"), 8)
        );
        assert_eq!(rules.rules[2].sockaddr, [SockPredicate::Family(10)]);
        for (text, want) in [
            (
                "allow connect if port == 65536",
                "h.policy:2: the port `65536` must be a number from 0 to 65535",
            ),
            (
                "allow connect if port == 0x10000",
                "h.policy:2: the port `0x10000` must be a number from 0 to 65535",
            ),
            (
                "allow connect if port == 99999999999999999999999",
                "h.policy:2: the port `99999999999999999999999` must be a number",
            ),
            ("allow connect if port == _1", "h.policy:2: the port `_1` must be"),
            (
                "allow connect if addr in 10.0.0.0/33",
                "h.policy:2: the prefix length `33` must be 0 to 32",
            ),
            (
                "allow connect if addr in ::/0x81",
                "h.policy:2: the prefix length `0x81` must be 0 to 128",
            ),
            (
                "allow connect if addr in 10.0.0.0/x",
                "h.policy:2: the prefix length `x` must be 0 to 32",
            ),
        ] {
            let text = format!("default notify\n{text}\n");
            let message = parse(&text).expect_err(&text);
            assert!(message.starts_with(want), "{text}: {message}");
            assert_eq!(message.lines().count(), 1, "{message}");
        }
    }

    #[test]
    fn an_arch_or_x32_line_other_than_the_hosts_abi_alone_or_a_ceiling_is_refused_on_its_line() {
        // The rules match calls by the host's numbers and every call of another arch value (or with
        // x32's bit 30) gets the bad-arch action: a file covering more ABIs, or another one, would be
        // decided otherwise than it reads.
        for (text, want) in [
            (
                "arch x86_64 i386\nallow read\n",
                "h.policy:1: handler rules decide calls of the host's ABI (x86_64) only",
            ),
            (
                "arch x86_64 x32\nallow read\n",
                "h.policy:1: handler rules decide calls of the host's ABI (x86_64) only",
            ),
            (
                "arch aarch64\nallow open\n",
                "h.policy:1: handler rules decide calls of the host's ABI (x86_64) only",
            ),
            (
                "default notify\nx32 by-name\nallow read\n",
                "h.policy:2: handler rules answer x32 calls (bit 30) with the bad-arch action",
            ),
            (
                "x32 bad-arch-except-minus-one\n",
                "h.policy:1: handler rules answer x32 calls (bit 30) with the bad-arch action",
            ),
            (
                "allow read\nenosys-above 334\n",
                "h.policy:2: `enosys-above` belongs in the filter policy",
            ),
        ] {
            let message = parse(text).expect_err(text);
            assert!(message.starts_with(want), "{text}: {message}");
            assert_eq!(message.lines().count(), 1, "{message}");
        }
        for text in [
            "arch x86_64\nx32 bad-arch\ndefault notify\nbad-arch kill-process\nallow read\n",
            "arch X86_64\nallow read\n",
            "arch  x86_64   # the host's\nallow read\n",
        ] {
            let rules = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(rules.policy.arch(), Arch::X86_64);
        }
    }

    #[test]
    fn socket_predicates_parse_and_hold() {
        use std::net::{Ipv4Addr, SocketAddrV4};
        let rules = parse(
            "default notify\nallow connect if family == inet && addr in 10.0.0.0/8 && port >= 1024\n\
             allow bind if addr == ::1 && port == 80\nallow connect bind if path under \"/run/app\"\n",
        )
        .expect("parses");
        let first = &rules.rules[0];
        assert_eq!(first.sockaddr.len(), 3);
        let addr = |ip: [u8; 4], port| SockAddr::Inet(SocketAddrV4::new(Ipv4Addr::from(ip), port));
        let holds = |a: &SockAddr| first.sockaddr.iter().all(|p| p.holds(a));
        assert!(holds(&addr([10, 1, 2, 3], 8080)));
        assert!(!holds(&addr([11, 1, 2, 3], 8080)));
        assert!(!holds(&addr([10, 1, 2, 3], 80)));
        assert!(!holds(&SockAddr::UnixPath(b"/x".to_vec())));
        assert_eq!(
            rules.rules[1].sockaddr[0],
            SockPredicate::Addr("::1".parse().expect("ip"), 128)
        );
        assert_eq!(rules.rules[2].paths.len(), 1);
        assert!(in_prefix(
            "0.0.0.1".parse().expect("ip"),
            "9.9.9.9".parse().expect("ip"),
            0
        ));
    }

    #[test]
    fn every_emulated_syscall_takes_a_path_allow() {
        parse(
            "default notify\nallow mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 chmod \
             fchmodat stat lstat newfstatat statx open openat openat2 creat connect bind if path under \"/srv\"\n",
        )
        .expect("parses");
    }

    #[test]
    fn socket_predicates_are_refused_where_there_is_no_socket_address() {
        for (text, want) in [
            (
                "default notify\nallow openat if port == 1\n",
                "h.policy:2: `family`, `addr` and `port`",
            ),
            (
                "default notify\nallow connect if family == ipx\n",
                "unknown address family",
            ),
            (
                "default notify\nallow connect if addr in 10.0.0.0/33\n",
                "must be 0 to 32",
            ),
            (
                "default notify\nallow connect if addr == 10.0.0.0/8\n",
                "use `addr in",
            ),
            (
                "default notify\nallow connect if addr in 10.0.0.1\n",
                "NET/PREFIX",
            ),
            ("default notify\nallow connect if port == 70000\n", "0 to 65535"),
            (
                "default notify\nallow connect if port ~ 1\n",
                "expected a comparison",
            ),
            (
                "default notify\nallow execve if addr == 1.2.3.4\n",
                "`execve` has none",
            ),
            (
                "default notify\nallow sendto if port == 53\n",
                "`sendto` has none",
            ),
        ] {
            let message = parse(text).expect_err(text);
            assert!(message.contains(want), "{text}: {message}");
        }
    }

    #[test]
    fn a_denial_by_memory_of_an_emulated_syscall_is_accepted() {
        let rules =
            parse("default allow\nerrno(EACCES) connect if addr in 192.168.0.0/16\n").expect("parses");
        assert!(rules.rules[0].reads_memory());
    }

    #[test]
    fn words_that_only_start_like_predicates_stay_native_terms() {
        assert_eq!(starts_with_word("port == 1", "port"), Some("== 1"));
        assert_eq!(starts_with_word("portal == 1", "port"), None);
        assert_eq!(starts_with_word("path==\"/a\"", "path"), Some("==\"/a\""));
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
