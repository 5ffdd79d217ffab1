//! Named handler sets: `--handlers FILE` (the default set) and `--handlers NAME=FILE` (repeatable), and
//! which set serves a container.
//!
//! A container selects a set by the OCI annotation [`ANNOTATION`] in its state (runc and crun copy the
//! config's `annotations` there) or, without it, by its seccomp profile's `listenerMetadata` (the state's
//! `metadata`): `handlers=NAME` as one of its whitespace-separated words (other words, and metadata
//! without such a word, are left alone, so existing metadata keeps meaning the default set). The annotation wins over the metadata. A container that selects nothing is served
//! by the default set (or, without one, by `--on-notify` alone).
//!
//! A container that selects a name the agent was not given is *refused*: every notification is answered
//! `EPERM` (what the kernel answers an unprivileged container for mknod or mount), not the default set
//! and not `--on-notify`: the runtime user asked for a specific allowance, and granting a different one
//! (possibly a larger one) or letting the syscall continue would be a silent surprise. The container keeps
//! running, and the agent logs the unknown name once at registration.

use crate::args::NotifyAnswer;
use crate::error::CliError;
use crate::notify::act::RuleHandler;
use crate::notify::rules::Rules;
use seccomp_core::arch::Arch;
use seccomp_oci::state::ContainerProcessState;
use std::path::{Path, PathBuf};

/// The OCI annotation naming a container's handler set.
pub const ANNOTATION: &str = "org.seccompctl.handlers";

/// The `EPERM` answer given to every notification of a container whose set is unknown.
pub const REFUSE: NotifyAnswer = NotifyAnswer::Errno(1);

/// One `--handlers` argument: an optional set name and a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetArg {
    /// The name, or `None` for the default set.
    pub name: Option<String>,
    /// The handlers file.
    pub path: PathBuf,
}

/// Whether `name` is a valid set name: 1 to 64 of `A-Z a-z 0-9 _ . -`.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Parses `FILE` or `NAME=FILE`; a prefix before `=` that is not a valid name means the whole argument is
/// a path (so `./a=b` is the file `./a=b`).
pub fn parse_set_arg(text: &str) -> Result<SetArg, String> {
    if text.is_empty() {
        return Err("empty handlers argument".to_owned());
    }
    if let Some((name, path)) = text.split_once('=')
        && valid_name(name)
    {
        if path.is_empty() {
            return Err(format!("handler set {name:?}: no file after '='"));
        }
        return Ok(SetArg {
            name: Some(name.to_owned()),
            path: PathBuf::from(path),
        });
    }
    Ok(SetArg {
        name: None,
        path: PathBuf::from(text),
    })
}

/// What a container selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Nothing: the default set.
    Default,
    /// A name, and where it came from (`annotation` or `metadata`).
    Named(String, &'static str),
}

/// The set a container selects (see the module doc).
pub fn select(state: &ContainerProcessState) -> Selection {
    if let Some(name) = state.state.annotations.get(ANNOTATION) {
        return Selection::Named(name.trim().to_owned(), "annotation");
    }
    let Some(metadata) = state.metadata.as_deref() else {
        return Selection::Default;
    };
    match metadata
        .split_whitespace()
        .find_map(|word| word.strip_prefix("handlers="))
    {
        Some(name) => Selection::Named(name.to_owned(), "metadata"),
        None => Selection::Default,
    }
}

/// A loaded set.
pub struct HandlerSet {
    /// The name (`default` for the default set, `refused` for the refusing one).
    pub name: String,
    /// The file it was loaded from.
    pub path: Option<PathBuf>,
    /// The handler.
    pub rules: RuleHandler,
}

/// Every set, the default one first, and the refusing set last.
pub struct HandlerSets {
    sets: Vec<HandlerSet>,
}

/// The name of the default set in logs.
pub const DEFAULT_NAME: &str = "default";

impl HandlerSets {
    /// Loads every set with `read` (the `run --handlers` reader); two sets with one name (or two default sets) are a usage error.
    pub fn load(
        args: &[SetArg],
        fallback: NotifyAnswer,
        native: Arch,
        read: impl Fn(&Path, Arch) -> Result<Rules, CliError>,
    ) -> Result<HandlerSets, CliError> {
        let mut sets: Vec<HandlerSet> = Vec::new();
        let defaults: Vec<&SetArg> = args.iter().filter(|a| a.name.is_none()).collect();
        if defaults.len() > 1 {
            return Err(CliError::usage(
                "--handlers: more than one default set (FILE without NAME=)".to_owned(),
            ));
        }
        let default_rules = match defaults.first() {
            Some(arg) => Some(read(&arg.path, native)?),
            None => None,
        };
        sets.push(HandlerSet {
            name: DEFAULT_NAME.to_owned(),
            path: defaults.first().map(|a| a.path.clone()),
            rules: RuleHandler::new(default_rules, fallback, native, None),
        });
        for arg in args {
            let Some(name) = &arg.name else { continue };
            if sets.iter().any(|set| set.name == *name) {
                return Err(CliError::usage(format!(
                    "--handlers: the set {name:?} is given twice"
                )));
            }
            let rules = read(&arg.path, native)?;
            sets.push(HandlerSet {
                name: name.clone(),
                path: Some(arg.path.clone()),
                rules: RuleHandler::new(Some(rules), fallback, native, None),
            });
        }
        sets.push(HandlerSet {
            name: "refused".to_owned(),
            path: None,
            rules: RuleHandler::new(None, REFUSE, native, None),
        });
        Ok(HandlerSets { sets })
    }

    /// The names of the sets by index.
    pub fn names(&self) -> Vec<String> {
        self.sets.iter().map(|set| set.name.clone()).collect()
    }

    /// The index of the set serving a selection, or `Err(index of the refusing set)` for an unknown name:
    /// a function for the event loop (the sets themselves go to
    /// the supervisor's handler).
    pub fn lookup(&self) -> impl Fn(&Selection) -> Result<usize, usize> + Send + use<> {
        let names = self.names();
        move |selection| match selection {
            Selection::Default => Ok(0),
            Selection::Named(name, _) => names[1..names.len() - 1]
                .iter()
                .position(|known| known == name)
                .map(|i| i + 1)
                .ok_or(names.len() - 1),
        }
    }

    /// The set at `index` (from [`HandlerSets::lookup`]).
    pub fn get(&self, index: usize) -> &HandlerSet {
        &self.sets[index.min(self.sets.len() - 1)]
    }

    /// The given sets (not the refusing one), for the `listening` line.
    pub fn given(&self) -> impl Iterator<Item = (&str, Option<&Path>)> {
        self.sets[..self.sets.len() - 1]
            .iter()
            .map(|set| (set.name.as_str(), set.path.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arguments_parse() {
        assert_eq!(
            parse_set_arg("h.policy").unwrap(),
            SetArg {
                name: None,
                path: "h.policy".into()
            }
        );
        assert_eq!(
            parse_set_arg("dev=/etc/h.policy").unwrap(),
            SetArg {
                name: Some("dev".into()),
                path: "/etc/h.policy".into()
            }
        );
        assert_eq!(
            parse_set_arg("./a=b").unwrap(),
            SetArg {
                name: None,
                path: "./a=b".into()
            }
        );
        assert!(parse_set_arg("dev=").is_err());
        assert!(parse_set_arg("").is_err());
    }
}
