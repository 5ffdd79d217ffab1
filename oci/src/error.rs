//! Errors and warnings, each naming the JSON path of the value it is about.

use core::fmt;

use crate::path::JsonPath;

/// Why a document was refused: the JSON path of the offending value and what is wrong with it.
///
/// Displays as `syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    path: JsonPath,
    kind: ErrorKind,
}

impl Error {
    /// An error about the value at `path`.
    pub fn new(path: JsonPath, kind: ErrorKind) -> Error {
        Error { path, kind }
    }

    /// Where the offending value is (the root for syntax errors, which carry a line and column instead).
    pub fn path(&self) -> &JsonPath {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn syntax(err: &serde_json::Error) -> Error {
        // serde_json's message ends with " at line L column C"; keep only the description.
        let message = err.to_string();
        let message = match message.rfind(" at line ") {
            Some(cut) => message[..cut].to_owned(),
            None => message,
        };
        Error::new(
            JsonPath::root(),
            ErrorKind::Syntax {
                line: err.line(),
                column: err.column(),
                message,
            },
        )
    }
}

/// What is wrong with a value; see [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not JSON (or nests deeper than serde_json's recursion limit of 128).
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// A required member is absent (or `null`).
    Missing,
    /// The value has the wrong JSON type.
    WrongType {
        /// What was expected, e.g. `"a string"`.
        expected: &'static str,
        /// What was found, e.g. `"a number"`.
        found: &'static str,
    },
    /// A number is not an integer in the accepted range.
    OutOfRange {
        /// The number as written in the input.
        found: String,
        /// The accepted range, e.g. `"an integer in 0..=5"`.
        expected: &'static str,
    },
    /// A name that this field does not define: an action, operator, architecture or flag.
    UnknownName {
        /// What kind of name, e.g. `"operator"`.
        what: &'static str,
        /// The name as written.
        name: String,
    },
    /// An array that must not be empty is empty (e.g. a rule's `names`).
    Empty,
    /// A syscall name is the empty string.
    EmptyName,
    /// `errnoRet` or `defaultErrnoRet` is given with an action that carries no errno (the runtime spec requires
    /// runtimes to fail here).
    ErrnoRetNotAllowed {
        /// The action's name.
        action: &'static str,
    },
    /// A kernel version that is not `"<kernel>.<major>"` with numbers in 0..=255, or is `"0.0"`.
    InvalidKernelVersion(String),
    /// Two members that exclude each other are both given.
    Conflict {
        /// The other member.
        with: &'static str,
    },
    /// `listenerMetadata` without `listenerPath` (the runtime spec forbids it).
    MetadataWithoutListener,
    /// A value the policy model cannot represent, with the reason.
    Unrepresentable(String),
    /// What `--strict` refuses (an unknown syscall name, a contradiction), with the warning's text.
    Strict(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line} column {column}: {message}"),
            ErrorKind::Missing => f.write_str("required member is missing"),
            ErrorKind::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            ErrorKind::OutOfRange { found, expected } => write!(f, "expected {expected}, found {found}"),
            ErrorKind::UnknownName { what, name } => write!(f, "unknown {what} {name:?}"),
            ErrorKind::Empty => f.write_str("must contain at least one entry"),
            ErrorKind::EmptyName => f.write_str("the empty string is not a syscall name"),
            ErrorKind::ErrnoRetNotAllowed { action } => write!(
                f,
                "an errno return code is only allowed with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not {action}"
            ),
            ErrorKind::InvalidKernelVersion(text) => write!(
                f,
                "invalid kernel version {text:?}: expected \"<kernel>.<major>\" with numbers up to 255, not 0.0"
            ),
            ErrorKind::Conflict { with } => {
                write!(f, "cannot be given together with `{with}`; use one of them")
            }
            ErrorKind::MetadataWithoutListener => f.write_str("must not be set without `listenerPath`"),
            ErrorKind::Unrepresentable(reason) => f.write_str(reason),
            ErrorKind::Strict(warning) => write!(f, "{warning} (refused by --strict)"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let ErrorKind::Syntax { .. } = self.kind {
            return write!(f, "{}", self.kind);
        }
        write!(f, "{}: {}", self.path, self.kind)
    }
}

impl core::error::Error for Error {}

/// Something in a document that was skipped rather than refused, as runc does (e.g. a syscall name the target
/// architecture does not have). Displays like an [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    path: JsonPath,
    kind: WarningKind,
}

impl Warning {
    /// A warning about the value at `path`.
    pub fn new(path: JsonPath, kind: WarningKind) -> Warning {
        Warning { path, kind }
    }

    /// Where the skipped value is.
    pub fn path(&self) -> &JsonPath {
        &self.path
    }

    /// What was skipped and why.
    pub fn kind(&self) -> &WarningKind {
        &self.kind
    }
}

/// What was skipped; see [`Warning`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A syscall name that the target architecture's table does not have; runc ignores such names too.
    UnknownSyscall {
        /// The name as written.
        name: String,
        /// The target architecture's canonical name.
        arch: &'static str,
    },
    /// An architecture listed in `architectures` (or chosen by `archMap`) that a one-arch policy cannot
    /// cover: its syscalls get the policy's bad-arch action instead of the profile's rules.
    UnsupportedArch {
        /// The `SCMP_ARCH_*` name.
        arch: &'static str,
    },
    /// A rule whose action equals the default action; runc skips it silently (libseccomp refuses it).
    RedundantRule,
    /// Two entries of the profile say different things about one syscall; the warning is at the entry that
    /// loses and names the one that decides.
    Contradiction {
        /// The syscall name.
        syscall: String,
        /// The losing entry's action.
        action: seccomp_core::action::Action,
        /// The entry that decides (`syscalls[i].names[j]`).
        winner: JsonPath,
        /// Its action.
        winner_action: seccomp_core::action::Action,
        /// What runc (through libseccomp) does, in a sentence.
        resolution: &'static str,
    },
    /// A profile runc refuses to load (`InitSeccomp`): `SCMP_ACT_NOTIFY` as the default action, or on
    /// `write` (runc's init writes to its parent after loading the filter, so a notified `write` could
    /// deadlock the container's start). The filter is still built; `--strict` refuses it.
    RuncRefuses {
        /// runc's own error message.
        reason: &'static str,
    },
    /// The policy's action for foreign architectures, which the OCI format cannot express (runtimes use
    /// libseccomp's kill-thread).
    BadArchActionDropped {
        /// The dropped action.
        action: seccomp_core::action::Action,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::UnknownSyscall { name, arch } => {
                write!(f, "syscall {name:?} does not exist on {arch}; skipped")
            }
            WarningKind::UnsupportedArch { arch } => {
                write!(
                    f,
                    "architecture {arch} cannot be covered by a one-architecture policy; its syscalls get the bad-arch action"
                )
            }
            WarningKind::RedundantRule => f.write_str("the rule's action is the default action; skipped"),
            WarningKind::RuncRefuses { reason } => {
                write!(f, "runc refuses this profile ({reason:?}); crun loads it")
            }
            WarningKind::Contradiction {
                syscall,
                action,
                winner,
                winner_action,
                resolution,
            } => write!(
                f,
                "{syscall}: {action} here contradicts {winner} ({winner_action}); {resolution}: {syscall} gets {winner_action}"
            ),
            WarningKind::BadArchActionDropped { action } => write!(
                f,
                "the bad-arch action {action} has no OCI equivalent; runtimes kill foreign-architecture syscalls"
            ),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)
    }
}
