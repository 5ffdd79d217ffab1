//! `emulate` lines of a handlers file: the container handlers of `seccomp_supervisor::handlers`.
//!
//! ```text
//! emulate mknod mknodat if dev in [1:3, 1:5, 1:7, 1:8, 1:9, 5:0]      # char devices null zero full random urandom tty
//! emulate mount if fstype == "ext4" && source under "/srv/images" && target under "/mnt"
//! emulate mount if bind && source under "/srv/shared" && target under "/data"
//! emulate sysinfo
//! emulate finit_module init_module if module in ["dummy", "veth"]
//! ```
//!
//! The grammar, one rule per line (`#` starts a comment outside strings):
//! - `emulate SYSCALL... [if TERM && TERM ...]`, where the syscalls are one family:
//!   `mknod`/`mknodat`, `mount` (with `umount2` of what it mounted), `sysinfo`, or
//!   `init_module`/`finit_module`/`delete_module`;
//! - mknod: `dev in [DEV, ...]`, each `MAJOR:MINOR`, or `c MAJOR:MINOR` / `b MAJOR:MINOR` for one kind;
//! - mount: `fstype == "TYPE"` or `bind`; `source under "DIR"`; `target under "DIR"` (required, and not
//!   `/`); and the flags the handler would otherwise force: `rw` (a device or image read-write), `suid`,
//!   `dev`, `exec`;
//! - modules: `module in ["NAME", ...]` (required) and `params` (pass the target's module parameters on).
//!
//! Paths are absolute, without `..`, and are in the target's view (its root, its cwd), like the paths of
//! `allow ... if path under`. Errors name `file:line` and the term.

use crate::error::CliError;
use seccomp_supervisor::handlers::{
    Device, DeviceKind, Handlers, MknodRule, ModuleRule, MountAllow, MountKind, MountRule,
};
use seccomp_supervisor::path::Lexical;

/// The syscalls an `emulate` line can name.
pub const SYSCALLS: [&str; 8] = [
    "mknod",
    "mknodat",
    "mount",
    "sysinfo",
    "init_module",
    "finit_module",
    "delete_module",
    "umount2",
];

fn error(file: &str, line: u32, message: impl std::fmt::Display) -> CliError {
    CliError::bad_input(format!("{file}:{line}: {message}"))
}

/// A token of an `emulate` line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
    And,
    Eq,
    Open,
    Close,
    Comma,
    Colon,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '#' => break,
            '[' => out.push(Token::Open),
            ']' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            ':' => out.push(Token::Colon),
            '&' if chars.next_if(|&(_, c)| c == '&').is_some() => out.push(Token::And),
            '=' if chars.next_if(|&(_, c)| c == '=').is_some() => out.push(Token::Eq),
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c)) => s.push(c),
                            None => return Err("unterminated string".into()),
                        },
                        Some((_, c)) => s.push(c),
                        None => return Err("unterminated string".into()),
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => {
                let mut word = String::from(c);
                while let Some((_, c)) =
                    chars.next_if(|&(_, c)| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(out)
}

/// One `&&` term, as tokens.
fn terms(tokens: &[Token]) -> Vec<&[Token]> {
    tokens.split(|t| *t == Token::And).collect()
}

fn absolute(value: &str) -> Result<Lexical, String> {
    if !value.starts_with('/') {
        return Err(format!("the path \"{value}\" must be absolute"));
    }
    let lexical = Lexical::new(value.as_bytes());
    if lexical.has_dot_dot() {
        return Err(format!("the path \"{value}\" must not contain `..`"));
    }
    Ok(lexical)
}

/// A device major or minor number, read as every number of a handler-rule file is
/// ([`super::rules::number`]).
fn number(word: &str) -> Result<u32, String> {
    super::rules::number(word).ok_or_else(|| format!("`{word}` is not a device number (0 to {})", u32::MAX))
}

/// `[DEV, ...]`.
fn devices(list: &[Token]) -> Result<Vec<Device>, String> {
    let inner = match list {
        [Token::Open, inner @ .., Token::Close] => inner,
        _ => return Err("expected `[MAJOR:MINOR, ...]` after `dev in`".into()),
    };
    if inner.is_empty() {
        return Err("`dev in []` allows nothing".into());
    }
    let mut out = Vec::new();
    for item in inner.split(|t| *t == Token::Comma) {
        let (kind, rest) = match item {
            [Token::Word(k), rest @ ..] if k == "c" => (Some(DeviceKind::Char), rest),
            [Token::Word(k), rest @ ..] if k == "b" => (Some(DeviceKind::Block), rest),
            rest => (None, rest),
        };
        match rest {
            [Token::Word(major), Token::Colon, Token::Word(minor)] => out.push(Device {
                kind,
                major: number(major)?,
                minor: number(minor)?,
            }),
            _ => return Err("each device is `MAJOR:MINOR`, `c MAJOR:MINOR` or `b MAJOR:MINOR`".into()),
        }
    }
    Ok(out)
}

/// `["NAME", ...]`.
fn names(list: &[Token]) -> Result<Vec<String>, String> {
    let inner = match list {
        [Token::Open, inner @ .., Token::Close] => inner,
        _ => return Err("expected `[\"NAME\", ...]` after `module in`".into()),
    };
    if inner.is_empty() {
        return Err("`module in []` allows nothing".into());
    }
    let mut out = Vec::new();
    for item in inner.split(|t| *t == Token::Comma) {
        match item {
            [Token::Str(name)]
                if !name.is_empty()
                    && name.len() < seccomp_core::elf_module::MODULE_NAME_LEN
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                out.push(name.clone())
            }
            _ => return Err("each module is a quoted name of letters, digits, `_` and `-`".into()),
        }
    }
    Ok(out)
}

/// Parses one `emulate` line (`code`, comment included or not) into `handlers`.
pub fn parse_line(file: &str, line: u32, code: &str, handlers: &mut Handlers) -> Result<(), CliError> {
    let fail = |message: String| error(file, line, message);
    let tokens = tokens(code).map_err(&fail)?;
    let Some((Token::Word(first), rest)) = tokens.split_first() else {
        return Err(fail("expected `emulate`".into()));
    };
    if first != "emulate" {
        return Err(fail("expected `emulate`".into()));
    }
    let split = rest.iter().position(|t| *t == Token::Word("if".into()));
    let (head, condition) = match split {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let mut syscalls = Vec::new();
    for token in head {
        match token {
            Token::Word(name) if SYSCALLS.contains(&name.as_str()) => syscalls.push(name.clone()),
            Token::Word(name) => {
                return Err(fail(format!(
                    "`emulate {name}`: no handler for it (there are handlers for {})",
                    SYSCALLS.join(", ")
                )));
            }
            _ => return Err(fail("expected syscall names after `emulate`".into())),
        }
    }
    let family = |name: &str| match name {
        "mknod" | "mknodat" => 0,
        "mount" | "umount2" => 1,
        "sysinfo" => 2,
        _ => 3,
    };
    let Some(first_call) = syscalls.first() else {
        return Err(fail("`emulate` needs at least one syscall".into()));
    };
    let kind = family(first_call);
    if syscalls.iter().any(|s| family(s) != kind) {
        return Err(fail(
            "one `emulate` line names one family: mknod/mknodat, mount, sysinfo, or the module calls".into(),
        ));
    }
    let terms: Vec<&[Token]> = if condition.is_empty() {
        Vec::new()
    } else {
        terms(condition)
    };
    let origin = format!("{file}:{line}");
    match kind {
        0 => {
            let mut devs = None;
            for term in terms {
                match term {
                    [Token::Word(d), Token::Word(i), list @ ..] if d == "dev" && i == "in" => {
                        devs = Some(devices(list).map_err(&fail)?);
                    }
                    _ => return Err(fail(format!("unknown mknod condition {}", show(term)))),
                }
            }
            let devices =
                devs.ok_or_else(|| fail("a mknod rule needs `if dev in [MAJOR:MINOR, ...]`".into()))?;
            handlers.mknod.push(MknodRule { origin, devices });
        }
        1 => {
            let (mut mount_kind, mut source, mut target) = (None, None, None);
            let mut allow = MountAllow::default();
            for term in terms {
                match term {
                    [Token::Word(w)] if w == "bind" => mount_kind = Some(MountKind::Bind),
                    [Token::Word(w)] if w == "rw" => allow.rw = true,
                    [Token::Word(w)] if w == "suid" => allow.suid = true,
                    [Token::Word(w)] if w == "dev" => allow.dev = true,
                    [Token::Word(w)] if w == "exec" => allow.exec = true,
                    [Token::Word(w), Token::Eq, Token::Str(fstype)] if w == "fstype" => {
                        mount_kind = Some(MountKind::Fstype(fstype.clone()));
                    }
                    [Token::Word(w), Token::Word(u), Token::Str(dir)] if w == "source" && u == "under" => {
                        source = Some(absolute(dir).map_err(&fail)?);
                    }
                    [Token::Word(w), Token::Word(u), Token::Str(dir)] if w == "target" && u == "under" => {
                        target = Some(absolute(dir).map_err(&fail)?);
                    }
                    _ => return Err(fail(format!("unknown mount condition {}", show(term)))),
                }
            }
            let kind =
                mount_kind.ok_or_else(|| fail("a mount rule needs `fstype == \"TYPE\"` or `bind`".into()))?;
            let target = target.ok_or_else(|| {
                fail("a mount rule needs `target under \"DIR\"` (a mount anywhere could cover /proc)".into())
            })?;
            if target.components().is_empty() {
                return Err(fail(
                    "`target under \"/\"` would let the container cover /proc and /sys: name a directory"
                        .into(),
                ));
            }
            if kind == MountKind::Bind && source.is_none() {
                return Err(fail("a bind rule needs `source under \"DIR\"`".into()));
            }
            handlers.mounts.push(MountRule {
                origin,
                kind,
                source_under: source,
                target_under: target,
                allow,
            });
        }
        2 => {
            if !terms.is_empty() {
                return Err(fail("`emulate sysinfo` takes no condition".into()));
            }
            handlers.sysinfo = Some(origin);
        }
        _ => {
            let (mut modules, mut params) = (None, false);
            for term in terms {
                match term {
                    [Token::Word(m), Token::Word(i), list @ ..] if m == "module" && i == "in" => {
                        modules = Some(names(list).map_err(&fail)?);
                    }
                    [Token::Word(w)] if w == "params" => params = true,
                    _ => return Err(fail(format!("unknown module condition {}", show(term)))),
                }
            }
            let names =
                modules.ok_or_else(|| fail("a module rule needs `if module in [\"NAME\", ...]`".into()))?;
            handlers.modules.push(ModuleRule {
                origin,
                names,
                syscalls,
                params,
            });
        }
    }
    Ok(())
}

/// A term as the user wrote it, roughly, for an error message.
fn show(term: &[Token]) -> String {
    let words: Vec<String> = term
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.clone(),
            Token::Str(s) => format!("\"{s}\""),
            Token::And => "&&".into(),
            Token::Eq => "==".into(),
            Token::Open => "[".into(),
            Token::Close => "]".into(),
            Token::Comma => ",".into(),
            Token::Colon => ":".into(),
        })
        .collect();
    format!("`{}`", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Handlers, String> {
        let mut handlers = Handlers::new();
        for (i, line) in text.lines().enumerate() {
            parse_line("h.policy", i as u32 + 1, line, &mut handlers).map_err(|e| e.message)?;
        }
        Ok(handlers)
    }

    #[test]
    fn the_issue_examples_parse_as_written() {
        let handlers = parse(
            "emulate mknod mknodat if dev in [1:3, 1:5, 1:7, 1:8, 1:9, 5:0]      # char devices null zero full random urandom tty\n\
             emulate mount if fstype == \"ext4\" && source under \"/srv/images\" && target under \"/mnt\"\n\
             emulate mount if bind && source under \"/srv/shared\" && target under \"/data\"\n\
             emulate sysinfo\n\
             emulate finit_module init_module if module in [\"dummy\", \"veth\"]\n",
        )
        .expect("parses");
        assert_eq!(handlers.mknod.len(), 1);
        assert_eq!(handlers.mknod[0].devices.len(), 6);
        assert_eq!(
            handlers.mknod[0].devices[5],
            Device {
                kind: None,
                major: 5,
                minor: 0
            }
        );
        assert_eq!(handlers.mknod[0].origin, "h.policy:1");
        assert_eq!(handlers.mounts[0].kind, MountKind::Fstype("ext4".into()));
        assert_eq!(
            handlers.mounts[0].source_under,
            Some(Lexical::new(b"/srv/images"))
        );
        assert_eq!(handlers.mounts[0].target_under, Lexical::new(b"/mnt"));
        assert_eq!(handlers.mounts[0].allow, MountAllow::default());
        assert_eq!(handlers.mounts[1].kind, MountKind::Bind);
        assert_eq!(handlers.sysinfo.as_deref(), Some("h.policy:4"));
        assert_eq!(handlers.modules[0].names, ["dummy", "veth"]);
        assert_eq!(handlers.modules[0].syscalls, ["finit_module", "init_module"]);
        assert!(!handlers.modules[0].params);
        assert!(handlers.names("mknodat") && handlers.names("umount2") && handlers.names("init_module"));
        assert!(!handlers.names("delete_module"));
    }

    #[test]
    fn refinements_kinds_flags_and_params() {
        let handlers = parse(
            "emulate mknod if dev in [c 1:3, b 7:0]\n\
             emulate mount if fstype == \"ext4\" && source under \"/srv\" && target under \"/mnt\" && rw && exec\n\
             emulate init_module delete_module if module in [\"dummy\"] && params\n",
        )
        .expect("parses");
        assert_eq!(handlers.mknod[0].devices[1].kind, Some(DeviceKind::Block));
        assert!(
            handlers.mounts[0].allow.rw && handlers.mounts[0].allow.exec && !handlers.mounts[0].allow.suid
        );
        assert!(handlers.modules[0].params);
        assert!(handlers.names("delete_module"));
    }

    #[test]
    fn device_numbers_read_as_in_policy_text() {
        let handlers =
            parse("emulate mknod if dev in [1:3]\nemulate mknodat if dev in [c 0x1:0x5, b 1_0:0]\n")
                .expect("parses");
        let device = |kind, major, minor| Device { kind, major, minor };
        assert_eq!(handlers.mknod[0].devices, [device(None, 1, 3)]);
        assert_eq!(
            handlers.mknod[1].devices,
            [
                device(Some(DeviceKind::Char), 1, 5),
                device(Some(DeviceKind::Block), 10, 0)
            ]
        );
        for bad in ["4294967296", "0x1_0000_0000", "0x", "1e3"] {
            let text = format!("emulate mknod if dev in [1:{bad}]");
            let message = parse(&text).expect_err(&text);
            assert!(
                message.starts_with("h.policy:1: ")
                    && message.contains(&format!("`{bad}` is not a device number (0 to 4294967295)")),
                "{text}: {message}"
            );
            assert_eq!(message.lines().count(), 1, "{message}");
        }
    }

    #[test]
    fn mistakes_name_the_line_and_what_is_wrong() {
        for (text, want) in [
            ("emulate openat", "h.policy:1: `emulate openat`: no handler"),
            ("emulate mknod", "needs `if dev in"),
            ("emulate mknod if dev in [1:x]", "not a device number"),
            ("emulate mknod if dev in []", "allows nothing"),
            ("emulate mount if fstype == \"ext4\"", "needs `target under"),
            (
                "emulate mount if bind && target under \"/data\"",
                "needs `source under",
            ),
            (
                "emulate mount if fstype == \"ext4\" && target under \"/\"",
                "cover /proc",
            ),
            (
                "emulate mount if fstype == \"ext4\" && target under \"mnt\"",
                "must be absolute",
            ),
            (
                "emulate mount if bind && source under \"/a/../b\" && target under \"/x\"",
                "must not contain",
            ),
            ("emulate mount if fstype = \"ext4\"", "unexpected `=`"),
            ("emulate sysinfo if dev in [1:3]", "takes no condition"),
            ("emulate mknod sysinfo if dev in [1:3]", "one family"),
            ("emulate init_module if module in [\"../x\"]", "quoted name"),
            ("emulate init_module", "needs `if module in"),
            ("emulate mount if fstype == \"ext4", "unterminated string"),
        ] {
            let message = parse(text).expect_err(text);
            assert!(message.contains(want), "{text}: {message}");
            assert!(message.starts_with("h.policy:1: "), "{text}: {message}");
        }
    }

    #[test]
    fn every_prefix_and_byte_change_of_the_examples_is_a_rule_or_an_error_never_a_panic() {
        let lines = [
            "emulate mknod mknodat if dev in [1:3, c 1:5, b 7:0]",
            "emulate mount if fstype == \"ext4\" && source under \"/srv/images\" && target under \"/mnt\" && rw",
            "emulate mount if bind && source under \"/srv/shared\" && target under \"/data\"",
            "emulate sysinfo",
            "emulate finit_module init_module delete_module if module in [\"dummy\", \"veth\"] && params",
        ];
        for line in lines {
            for cut in 0..=line.len() {
                if let Some(prefix) = line.get(..cut) {
                    let _ = parse(prefix);
                }
            }
            let bytes = line.as_bytes();
            for at in 0..bytes.len() {
                for replacement in [b' ', b'"', b'[', b']', b':', b',', b'&', b'=', b'x', b'9', b'\\'] {
                    let mut changed = bytes.to_vec();
                    changed[at] = replacement;
                    if let Ok(text) = std::str::from_utf8(&changed) {
                        let _ = parse(text);
                    }
                }
            }
        }
    }
}
