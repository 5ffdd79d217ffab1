//! The `linux.seccomp` object of the OCI runtime spec, as runc, crun, containerd and Podman read it.
//!
//! Parsing walks a `serde_json::Value` tree, so every error names the JSON path of the offending value.
//! Members this crate does not know are ignored (real profiles carry extra fields); a known member with a
//! malformed value is an error. Serialization writes the spec's camelCase member names and leaves out empty
//! optional members, as the runtime spec's Go types do.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::names::{FilterFlag, ScmpAction, ScmpArch, ScmpCompare};
use crate::path::At;
use crate::walk::{self, Result};

/// The highest `errnoRet`: the 16 data bits of a seccomp return value.
pub const MAX_ERRNO_RET: u32 = 0xffff;

/// The number of syscall arguments a rule can compare (`index` is 0..=5).
pub const SYSCALL_ARGS: u8 = 6;

/// The `linux.seccomp` object of an OCI runtime configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxSeccomp {
    /// `defaultAction`: what happens to a syscall no rule matches.
    pub default_action: ScmpAction,
    /// `defaultErrnoRet`: the errno (or trace message) of the default action when it is ERRNO or TRACE;
    /// `None` means EPERM, as in runc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// `architectures`: the ABIs the filter accepts besides the native one (libseccomp's model).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<ScmpArch>,
    /// `flags`: flags for `seccomp(2)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FilterFlag>,
    /// `listenerPath`: the UNIX socket the runtime sends the notification fd to when `SCMP_ACT_NOTIFY` is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    /// `listenerMetadata`: opaque data passed to the listener as `metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    /// `syscalls`: the rules, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<SyscallRule>,
}

/// One entry of `syscalls`: an action for a set of syscall names, optionally conditional on arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyscallRule {
    /// `names`: the syscalls (at least one).
    pub names: Vec<String>,
    /// `action`: what happens when the rule matches.
    pub action: ScmpAction,
    /// `errnoRet`: the errno or trace message for ERRNO and TRACE; `None` means EPERM, as in runc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// `args`: argument comparisons. With no two on the same index they are ANDed; when some index appears
    /// twice, runc (and libseccomp's older behaviour it reverts to) makes each comparison a rule of its
    /// own, so they are ORed. See [`SyscallRule::arg_groups`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgRule>,
}

/// One entry of a rule's `args`: a comparison of one syscall argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgRule {
    /// `index`: which argument, 0..=5.
    pub index: u8,
    /// `value`: the operand.
    pub value: u64,
    /// `valueTwo`: the second operand (the expected masked value of `SCMP_CMP_MASKED_EQ`); 0 when absent.
    #[serde(skip_serializing_if = "is_zero")]
    pub value_two: u64,
    /// `op`: the comparison.
    pub op: ScmpCompare,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl ArgRule {
    /// Whether a syscall whose argument `index` is `args[index]` satisfies this comparison (64-bit, as
    /// libseccomp compares).
    pub fn matches(&self, args: &[u64; 6]) -> bool {
        args.get(usize::from(self.index))
            .is_some_and(|arg| self.op.matches(*arg, self.value, self.value_two))
    }
}

impl SyscallRule {
    /// The rule's argument conditions as runc hands them to libseccomp: a list of alternatives (ORed), each
    /// a list of comparisons (ANDed).
    ///
    /// No args gives one empty alternative (the rule matches unconditionally). Args on distinct indexes give
    /// one alternative with all of them. If any index appears more than once, runc adds every comparison as
    /// a rule of its own, so each comparison becomes an alternative by itself.
    pub fn arg_groups(&self) -> Vec<Vec<ArgRule>> {
        let mut counts = [0usize; SYSCALL_ARGS as usize];
        for arg in &self.args {
            if let Some(count) = counts.get_mut(usize::from(arg.index)) {
                *count += 1;
            }
        }
        if counts.iter().any(|&count| count > 1) {
            self.args.iter().map(|arg| vec![*arg]).collect()
        } else {
            vec![self.args.clone()]
        }
    }

    /// Whether a syscall with these arguments matches the rule's conditions (see [`SyscallRule::arg_groups`]).
    pub fn args_match(&self, args: &[u64; 6]) -> bool {
        self.arg_groups()
            .iter()
            .any(|group| group.iter().all(|cmp| cmp.matches(args)))
    }

    /// The errno or trace data the rule's action returns: `errnoRet`, or EPERM (1) when absent, as runc does.
    pub fn effective_errno(&self) -> u32 {
        self.errno_ret.unwrap_or(EPERM)
    }
}

/// `EPERM`, the default `errnoRet`.
pub const EPERM: u32 = 1;

impl LinuxSeccomp {
    /// Parses a `linux.seccomp` object from JSON text.
    pub fn from_json(input: impl AsRef<[u8]>) -> core::result::Result<LinuxSeccomp, Error> {
        let document = walk::parse_document(input.as_ref())?;
        LinuxSeccomp::from_value(&document)
    }

    /// Parses a `linux.seccomp` object from a JSON value; error paths start at this value.
    pub fn from_value(value: &Value) -> core::result::Result<LinuxSeccomp, Error> {
        parse_linux_seccomp(value, &At::ROOT)
    }

    /// Reads `linux.seccomp` from a whole OCI runtime configuration (`config.json`); `Ok(None)` when the
    /// configuration has no seccomp object. Error paths start at the configuration's root
    /// (`linux.seccomp.syscalls[2].action`).
    pub fn from_runtime_config(input: impl AsRef<[u8]>) -> core::result::Result<Option<LinuxSeccomp>, Error> {
        let document = walk::parse_document(input.as_ref())?;
        let root = At::ROOT;
        let config = walk::object(&document, &root)?;
        let seccomp = walk::optional(config, &root, "linux", |linux, at| {
            let linux = walk::object(linux, at)?;
            walk::optional(linux, at, "seccomp", parse_linux_seccomp)
        })?;
        Ok(seccomp.flatten())
    }

    /// The profile as pretty-printed JSON.
    pub fn to_json_pretty(&self) -> String {
        to_json_pretty(self)
    }

    /// The errno or trace data of the default action: `defaultErrnoRet`, or EPERM when absent.
    pub fn effective_default_errno(&self) -> u32 {
        self.default_errno_ret.unwrap_or(EPERM)
    }
}

/// Serializes one of this crate's types (which only hold strings, integers and sequences) as pretty JSON.
pub(crate) fn to_json_pretty<T: Serialize>(value: &T) -> String {
    // Serializing these plain types into a String cannot fail; an empty string would be the only fallback.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The members shared by the runtime-spec object and Docker's profile files.
pub(crate) struct Common {
    pub(crate) default_action: ScmpAction,
    pub(crate) default_errno_ret: Option<u32>,
    pub(crate) architectures: Vec<ScmpArch>,
    pub(crate) flags: Vec<FilterFlag>,
    pub(crate) listener_path: Option<String>,
    pub(crate) listener_metadata: Option<String>,
}

pub(crate) fn parse_common(map: &Map<String, Value>, at: &At<'_>) -> Result<Common> {
    let default_action = walk::required(map, at, "defaultAction", parse_action)?;
    let default_errno_ret = walk::optional(map, at, "defaultErrnoRet", parse_errno_ret)?;
    if default_errno_ret.is_some() && !default_action.takes_errno() {
        return Err(walk::error(
            &at.key("defaultErrnoRet"),
            ErrorKind::ErrnoRetNotAllowed {
                action: default_action.name(),
            },
        ));
    }
    let architectures = walk::optional(map, at, "architectures", |value, at| {
        walk::array(value, at, parse_arch)
    })?
    .unwrap_or_default();
    let flags =
        walk::optional(map, at, "flags", |value, at| walk::array(value, at, parse_flag))?.unwrap_or_default();
    let listener_path = walk::optional(map, at, "listenerPath", walk::owned_string)?;
    let listener_metadata = walk::optional(map, at, "listenerMetadata", walk::owned_string)?;
    if listener_metadata.is_some() && listener_path.is_none() {
        return Err(walk::error(
            &at.key("listenerMetadata"),
            ErrorKind::MetadataWithoutListener,
        ));
    }
    Ok(Common {
        default_action,
        default_errno_ret,
        architectures,
        flags,
        listener_path,
        listener_metadata,
    })
}

fn parse_linux_seccomp(value: &Value, at: &At<'_>) -> Result<LinuxSeccomp> {
    let map = walk::object(value, at)?;
    let common = parse_common(map, at)?;
    let syscalls = walk::optional(map, at, "syscalls", |value, at| {
        walk::array(value, at, |rule, at| {
            let rule_map = walk::object(rule, at)?;
            let names = walk::required(rule_map, at, "names", parse_names)?;
            parse_rule_body(rule_map, at, names)
        })
    })?
    .unwrap_or_default();
    Ok(LinuxSeccomp {
        default_action: common.default_action,
        default_errno_ret: common.default_errno_ret,
        architectures: common.architectures,
        flags: common.flags,
        listener_path: common.listener_path,
        listener_metadata: common.listener_metadata,
        syscalls,
    })
}

/// A rule's `action`, `errnoRet` and `args`, with the names already read.
pub(crate) fn parse_rule_body(
    map: &Map<String, Value>,
    at: &At<'_>,
    names: Vec<String>,
) -> Result<SyscallRule> {
    let action = walk::required(map, at, "action", parse_action)?;
    let errno_ret = walk::optional(map, at, "errnoRet", parse_errno_ret)?;
    if errno_ret.is_some() && !action.takes_errno() {
        return Err(walk::error(
            &at.key("errnoRet"),
            ErrorKind::ErrnoRetNotAllowed {
                action: action.name(),
            },
        ));
    }
    let args =
        walk::optional(map, at, "args", |value, at| walk::array(value, at, parse_arg))?.unwrap_or_default();
    Ok(SyscallRule {
        names,
        action,
        errno_ret,
        args,
    })
}

/// A non-empty array of non-empty syscall names.
pub(crate) fn parse_names(value: &Value, at: &At<'_>) -> Result<Vec<String>> {
    let names = walk::array(value, at, parse_name)?;
    if names.is_empty() {
        return Err(walk::error(at, ErrorKind::Empty));
    }
    Ok(names)
}

/// One non-empty syscall name.
pub(crate) fn parse_name(value: &Value, at: &At<'_>) -> Result<String> {
    let name = walk::owned_string(value, at)?;
    if name.is_empty() {
        return Err(walk::error(at, ErrorKind::EmptyName));
    }
    Ok(name)
}

fn parse_arg(value: &Value, at: &At<'_>) -> Result<ArgRule> {
    let map = walk::object(value, at)?;
    let index = walk::required(map, at, "index", |value, at| {
        walk::unsigned(
            value,
            at,
            u64::from(SYSCALL_ARGS - 1),
            "an argument index in 0..=5",
        )
    })?;
    let value_one = walk::required(map, at, "value", parse_u64)?;
    let value_two = walk::optional(map, at, "valueTwo", parse_u64)?.unwrap_or(0);
    let op = walk::required(map, at, "op", |value, at| {
        parse_named(value, at, "operator", ScmpCompare::from_name)
    })?;
    Ok(ArgRule {
        // The range check above keeps the index below 6.
        index: index as u8,
        value: value_one,
        value_two,
        op,
    })
}

fn parse_u64(value: &Value, at: &At<'_>) -> Result<u64> {
    walk::unsigned(value, at, u64::MAX, "an unsigned 64-bit integer")
}

pub(crate) fn parse_errno_ret(value: &Value, at: &At<'_>) -> Result<u32> {
    walk::unsigned(
        value,
        at,
        u64::from(MAX_ERRNO_RET),
        "an integer in 0..=65535 (the 16 data bits of the action)",
    )
    .map(|n| n as u32)
}

pub(crate) fn parse_action(value: &Value, at: &At<'_>) -> Result<ScmpAction> {
    parse_named(value, at, "action", ScmpAction::from_name)
}

pub(crate) fn parse_arch(value: &Value, at: &At<'_>) -> Result<ScmpArch> {
    parse_named(value, at, "architecture", ScmpArch::from_name)
}

fn parse_flag(value: &Value, at: &At<'_>) -> Result<FilterFlag> {
    parse_named(value, at, "flag", FilterFlag::from_name)
}

fn parse_named<T>(
    value: &Value,
    at: &At<'_>,
    what: &'static str,
    from_name: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    let name = walk::string(value, at)?;
    from_name(name).ok_or_else(|| {
        walk::error(
            at,
            ErrorKind::UnknownName {
                what,
                name: name.to_owned(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(args: &[(u8, ScmpCompare, u64)]) -> SyscallRule {
        SyscallRule {
            names: vec!["personality".into()],
            action: ScmpAction::Allow,
            errno_ret: None,
            args: args
                .iter()
                .map(|&(index, op, value)| ArgRule {
                    index,
                    value,
                    value_two: 0,
                    op,
                })
                .collect(),
        }
    }

    #[test]
    fn args_on_distinct_indexes_are_anded() {
        let rule = rule(&[(0, ScmpCompare::Eq, 1), (1, ScmpCompare::Eq, 2)]);
        assert_eq!(rule.arg_groups().len(), 1);
        assert!(rule.args_match(&[1, 2, 0, 0, 0, 0]));
        assert!(!rule.args_match(&[1, 3, 0, 0, 0, 0]));
        assert!(!rule.args_match(&[0, 2, 0, 0, 0, 0]));
    }

    #[test]
    fn a_repeated_index_makes_every_comparison_its_own_alternative_as_runc_does() {
        // Index 0 twice: runc adds each of the three comparisons as a separate rule, including the one on
        // index 1, so the rule matches when any single comparison holds.
        let rule = rule(&[
            (0, ScmpCompare::Eq, 1),
            (0, ScmpCompare::Eq, 8),
            (1, ScmpCompare::Eq, 5),
        ]);
        assert_eq!(rule.arg_groups().len(), 3);
        assert!(rule.args_match(&[1, 0, 0, 0, 0, 0]));
        assert!(rule.args_match(&[8, 0, 0, 0, 0, 0]));
        assert!(rule.args_match(&[7, 5, 0, 0, 0, 0]));
        assert!(!rule.args_match(&[7, 4, 0, 0, 0, 0]));
    }

    #[test]
    fn no_args_match_unconditionally() {
        let rule = rule(&[]);
        assert_eq!(rule.arg_groups(), vec![Vec::new()]);
        assert!(rule.args_match(&[9; 6]));
    }
}
