//! Text forms of actions: the human syntax used by policies and the command line, and the OCI/libseccomp
//! names used by container runtime profiles.
//!
//! Human syntax, as [`Action`]'s `Display` writes it and `FromStr` reads it:
//!
//! | text | action |
//! | --- | --- |
//! | `kill-process` | `SECCOMP_RET_KILL_PROCESS` |
//! | `kill-thread` | `SECCOMP_RET_KILL_THREAD` |
//! | `trap`, `trap(N)` | `SECCOMP_RET_TRAP` with `si_errno` N (0 to 65535) |
//! | `errno(N)`, `errno(EPERM)` | `SECCOMP_RET_ERRNO` with errno N (0 to 4095) or the named errno |
//! | `notify` | `SECCOMP_RET_USER_NOTIF` |
//! | `trace`, `trace(N)` | `SECCOMP_RET_TRACE` with event message N |
//! | `log` | `SECCOMP_RET_LOG` |
//! | `allow` | `SECCOMP_RET_ALLOW` |
//! | `raw(0xVALUE)` | any other 32-bit return value, kept exactly |
//!
//! Names are case-insensitive and `_` may stand for `-`. Numbers are decimal or `0x` hexadecimal. An errno
//! above 4095 is an error rather than something silently capped, and `kill` alone is refused because
//! libseccomp and people disagree on whether it means the thread or the process.

use crate::abi;
use crate::action::{Action, ActionKind};
use crate::errno;
use core::fmt;
use core::str::FromStr;

/// Why a text could not be read as an action. `position` is the byte offset in the input where the problem
/// starts, so a caller parsing a larger text can report a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionParseError {
    /// What was wrong.
    pub kind: ActionParseErrorKind,
    /// Byte offset of the problem within the parsed text.
    pub position: usize,
}

/// The ways an action text can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionParseErrorKind {
    /// The text is empty.
    Empty,
    /// The name is not an action name.
    UnknownAction,
    /// `kill` alone: say `kill-process` or `kill-thread`.
    AmbiguousKill,
    /// The action takes no argument but one was given.
    UnexpectedArgument,
    /// `errno` needs an argument: `errno(EPERM)` or `errno(1)`.
    MissingArgument,
    /// The argument is neither a number nor a known errno name.
    BadArgument,
    /// The number does not fit the action's 16 data bits.
    DataTooLarge,
    /// The errno is above the kernel's maximum of 4095.
    ErrnoTooLarge,
    /// A `(` without its `)`, or text after the `)`.
    BadParenthesis,
}

impl fmt::Display for ActionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.kind {
            ActionParseErrorKind::Empty => "expected an action",
            ActionParseErrorKind::UnknownAction => {
                "unknown action (expected allow, log, notify, errno(N), trap, trace, kill-process, kill-thread)"
            }
            ActionParseErrorKind::AmbiguousKill => "ambiguous `kill`: write kill-process or kill-thread",
            ActionParseErrorKind::UnexpectedArgument => "this action takes no argument",
            ActionParseErrorKind::MissingArgument => "errno needs a value, e.g. errno(EPERM) or errno(1)",
            ActionParseErrorKind::BadArgument => "expected a number or an errno name such as EPERM",
            ActionParseErrorKind::DataTooLarge => "value does not fit in 16 bits (0 to 65535)",
            ActionParseErrorKind::ErrnoTooLarge => "errno is above the kernel's maximum of 4095",
            ActionParseErrorKind::BadParenthesis => "expected `name(value)` with a closing parenthesis",
        };
        f.write_str(text)
    }
}

impl core::error::Error for ActionParseError {}

/// Parses an unsigned number (surrounding spaces allowed) with the crate's one number reader
/// (`crate::number`): decimal or `0x` hexadecimal, `_` between digits.
pub(crate) fn parse_number(text: &str) -> Option<u64> {
    crate::number::parse(text.trim()).ok()
}

/// Looks an errno name up ignoring ASCII case (`eperm` and `EPERM` both give 1), without allocating.
fn errno_from_name_any_case(name: &str) -> Option<u16> {
    let mut upper = [0u8; 32];
    let bytes = name.as_bytes();
    let slot = upper.get_mut(..bytes.len())?;
    for (dst, src) in slot.iter_mut().zip(bytes) {
        *dst = src.to_ascii_uppercase();
    }
    errno::from_name(core::str::from_utf8(slot).ok()?)
}

/// Compares an action name, ignoring ASCII case and treating `_` as `-`.
fn name_is(text: &str, name: &str) -> bool {
    text.len() == name.len()
        && text.bytes().zip(name.bytes()).all(|(a, b)| {
            let a = if a == b'_' { b'-' } else { a.to_ascii_lowercase() };
            a == b
        })
}

impl FromStr for Action {
    type Err = ActionParseError;

    fn from_str(input: &str) -> Result<Action, ActionParseError> {
        let leading = input.len() - input.trim_start().len();
        let text = input.trim();
        let error = |kind, position| Err(ActionParseError { kind, position });
        if text.is_empty() {
            return error(ActionParseErrorKind::Empty, 0);
        }
        let (name, argument) = match text.find('(') {
            Some(open) => {
                let Some(inner) = text[open + 1..].strip_suffix(')') else {
                    return error(ActionParseErrorKind::BadParenthesis, leading + open);
                };
                (text[..open].trim_end(), Some((inner, leading + open + 1)))
            }
            None => (text, None),
        };
        let data16 = |argument: Option<(&str, usize)>| -> Result<u16, ActionParseError> {
            match argument {
                None => Ok(0),
                Some((arg, position)) => match parse_number(arg) {
                    Some(value) => u16::try_from(value).map_err(|_| ActionParseError {
                        kind: ActionParseErrorKind::DataTooLarge,
                        position,
                    }),
                    None => Err(ActionParseError {
                        kind: ActionParseErrorKind::BadArgument,
                        position,
                    }),
                },
            }
        };
        let no_argument = |action: Action| match argument {
            None => Ok(action),
            Some((_, position)) => error(ActionParseErrorKind::UnexpectedArgument, position),
        };
        if name_is(name, "allow") {
            no_argument(Action::ALLOW)
        } else if name_is(name, "log") {
            no_argument(Action::LOG)
        } else if name_is(name, "notify") || name_is(name, "user-notif") {
            no_argument(Action::NOTIFY)
        } else if name_is(name, "kill-process") {
            no_argument(Action::KILL_PROCESS)
        } else if name_is(name, "kill-thread") {
            no_argument(Action::KILL_THREAD)
        } else if name_is(name, "kill") {
            error(ActionParseErrorKind::AmbiguousKill, leading)
        } else if name_is(name, "trap") {
            Ok(Action::trap(data16(argument)?))
        } else if name_is(name, "trace") {
            Ok(Action::trace(data16(argument)?))
        } else if name_is(name, "errno") {
            let Some((arg, position)) = argument else {
                return error(ActionParseErrorKind::MissingArgument, leading + name.len());
            };
            let value = match parse_number(arg) {
                Some(value) => value,
                None => match errno_from_name_any_case(arg.trim()) {
                    Some(value) => u64::from(value),
                    None => return error(ActionParseErrorKind::BadArgument, position),
                },
            };
            if value > u64::from(abi::MAX_ERRNO) {
                return error(ActionParseErrorKind::ErrnoTooLarge, position);
            }
            Ok(Action(abi::RET_ERRNO | value as u32))
        } else if name_is(name, "raw") {
            let Some((arg, position)) = argument else {
                return error(ActionParseErrorKind::MissingArgument, leading + name.len());
            };
            match parse_number(arg).map(u32::try_from) {
                Some(Ok(raw)) => Ok(Action(raw)),
                Some(Err(_)) => error(ActionParseErrorKind::DataTooLarge, position),
                None => error(ActionParseErrorKind::BadArgument, position),
            }
        } else {
            error(ActionParseErrorKind::UnknownAction, leading)
        }
    }
}

impl fmt::Display for Action {
    /// Writes the human syntax; the text parses back to exactly the same raw value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exact = |canonical: u32| self.0 == canonical;
        match self.kind() {
            ActionKind::KillProcess if exact(abi::RET_KILL_PROCESS) => f.write_str("kill-process"),
            ActionKind::KillThread if exact(abi::RET_KILL_THREAD) => f.write_str("kill-thread"),
            ActionKind::Notify if exact(abi::RET_USER_NOTIF) => f.write_str("notify"),
            ActionKind::Log if exact(abi::RET_LOG) => f.write_str("log"),
            ActionKind::Allow if exact(abi::RET_ALLOW) => f.write_str("allow"),
            ActionKind::Trap(0) => f.write_str("trap"),
            ActionKind::Trap(data) => write!(f, "trap({data})"),
            ActionKind::Trace(0) => f.write_str("trace"),
            ActionKind::Trace(data) => write!(f, "trace({data})"),
            ActionKind::Errno(data) if data <= abi::MAX_ERRNO => match errno::name(data) {
                Some(name) => write!(f, "errno({name})"),
                None => write!(f, "errno({data})"),
            },
            _ => write!(f, "raw({:#010x})", self.0),
        }
    }
}

/// An action name of the OCI runtime spec (the libseccomp names), with the errno or trace message that
/// travels beside it in a profile's `errnoRet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OciAction {
    /// `SCMP_ACT_...`.
    pub name: &'static str,
    /// The `errnoRet` value, for `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE`.
    pub errno_ret: Option<u16>,
}

/// The OCI names this crate knows, with the action each stands for (data 0).
const OCI_NAMES: [(&str, Action); 9] = [
    ("SCMP_ACT_KILL_PROCESS", Action::KILL_PROCESS),
    ("SCMP_ACT_KILL_THREAD", Action::KILL_THREAD),
    ("SCMP_ACT_KILL", Action::KILL_THREAD),
    ("SCMP_ACT_TRAP", Action::TRAP),
    ("SCMP_ACT_ERRNO", Action(abi::RET_ERRNO)),
    ("SCMP_ACT_NOTIFY", Action::NOTIFY),
    ("SCMP_ACT_TRACE", Action(abi::RET_TRACE)),
    ("SCMP_ACT_LOG", Action::LOG),
    ("SCMP_ACT_ALLOW", Action::ALLOW),
];

/// Why an OCI action could not be converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OciActionError {
    /// Not an `SCMP_ACT_*` name.
    UnknownName,
    /// `errnoRet` above 4095 for `SCMP_ACT_ERRNO`.
    ErrnoTooLarge(u32),
    /// `errnoRet` above 65535 for `SCMP_ACT_TRACE`.
    DataTooLarge(u32),
    /// The action has no OCI name (an unknown raw value, or data on an action that carries none).
    NotRepresentable(Action),
}

impl fmt::Display for OciActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OciActionError::UnknownName => f.write_str("unknown action name (expected SCMP_ACT_*)"),
            OciActionError::ErrnoTooLarge(v) => {
                write!(f, "errnoRet {v} is above the kernel's maximum of 4095")
            }
            OciActionError::DataTooLarge(v) => write!(f, "errnoRet {v} does not fit in 16 bits"),
            OciActionError::NotRepresentable(a) => write!(f, "action {a} has no OCI equivalent"),
        }
    }
}

impl core::error::Error for OciActionError {}

/// The errno runc uses for `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` when a profile gives no `errnoRet`.
pub const OCI_DEFAULT_ERRNO: u16 = 1; // EPERM

impl Action {
    /// Reads an OCI action name and its `errnoRet`. Like runc, `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` without
    /// `errnoRet` use EPERM (1); `errnoRet` on other actions is ignored, as runc ignores it.
    pub fn from_oci(name: &str, errno_ret: Option<u32>) -> Result<Action, OciActionError> {
        let (_, base) = OCI_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or(OciActionError::UnknownName)?;
        match base.kind() {
            ActionKind::Errno(_) => {
                let value = errno_ret.unwrap_or(u32::from(OCI_DEFAULT_ERRNO));
                Action::errno(value).map_err(|_| OciActionError::ErrnoTooLarge(value))
            }
            ActionKind::Trace(_) => {
                let value = errno_ret.unwrap_or(u32::from(OCI_DEFAULT_ERRNO));
                u16::try_from(value)
                    .map(Action::trace)
                    .map_err(|_| OciActionError::DataTooLarge(value))
            }
            _ => Ok(*base),
        }
    }

    /// The OCI name and `errnoRet` of this action. Trap data cannot be expressed in OCI profiles, so only a
    /// plain `trap` converts.
    pub fn to_oci(self) -> Result<OciAction, OciActionError> {
        let plain = |name| {
            Ok(OciAction {
                name,
                errno_ret: None,
            })
        };
        match self.kind() {
            ActionKind::KillProcess if self.0 == abi::RET_KILL_PROCESS => plain("SCMP_ACT_KILL_PROCESS"),
            ActionKind::KillThread if self.0 == abi::RET_KILL_THREAD => plain("SCMP_ACT_KILL_THREAD"),
            ActionKind::Trap(0) => plain("SCMP_ACT_TRAP"),
            ActionKind::Notify if self.0 == abi::RET_USER_NOTIF => plain("SCMP_ACT_NOTIFY"),
            ActionKind::Log if self.0 == abi::RET_LOG => plain("SCMP_ACT_LOG"),
            ActionKind::Allow if self.0 == abi::RET_ALLOW => plain("SCMP_ACT_ALLOW"),
            ActionKind::Errno(data) if data <= abi::MAX_ERRNO => Ok(OciAction {
                name: "SCMP_ACT_ERRNO",
                errno_ret: Some(data),
            }),
            ActionKind::Trace(data) => Ok(OciAction {
                name: "SCMP_ACT_TRACE",
                errno_ret: Some(data),
            }),
            _ => Err(OciActionError::NotRepresentable(self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn parse(text: &str) -> Result<Action, ActionParseError> {
        text.parse()
    }

    #[test]
    fn human_syntax_parses_every_action() {
        let cases: &[(&str, u32)] = &[
            ("allow", abi::RET_ALLOW),
            ("ALLOW", abi::RET_ALLOW),
            ("log", abi::RET_LOG),
            ("notify", abi::RET_USER_NOTIF),
            ("kill-process", abi::RET_KILL_PROCESS),
            ("kill_process", abi::RET_KILL_PROCESS),
            ("kill-thread", abi::RET_KILL_THREAD),
            ("trap", abi::RET_TRAP),
            ("trap(7)", abi::RET_TRAP | 7),
            ("trace(0x10)", abi::RET_TRACE | 16),
            ("errno(EPERM)", abi::RET_ERRNO | 1),
            ("errno(enosys)", abi::RET_ERRNO | 38),
            ("errno(13)", abi::RET_ERRNO | 13),
            (" errno( 4095 ) ", abi::RET_ERRNO | 4095),
            ("errno(EWOULDBLOCK)", abi::RET_ERRNO | 11),
            ("raw(0x12345678)", 0x1234_5678),
        ];
        for &(text, raw) in cases {
            assert_eq!(parse(text), Ok(Action(raw)), "{text}");
        }
    }

    #[test]
    fn bad_action_texts_say_what_and_where() {
        let cases: &[(&str, ActionParseErrorKind, usize)] = &[
            ("", ActionParseErrorKind::Empty, 0),
            ("permit", ActionParseErrorKind::UnknownAction, 0),
            ("kill", ActionParseErrorKind::AmbiguousKill, 0),
            ("allow(1)", ActionParseErrorKind::UnexpectedArgument, 6),
            ("errno", ActionParseErrorKind::MissingArgument, 5),
            ("errno(EFOO)", ActionParseErrorKind::BadArgument, 6),
            ("errno(4096)", ActionParseErrorKind::ErrnoTooLarge, 6),
            ("trap(65536)", ActionParseErrorKind::DataTooLarge, 5),
            ("errno(1", ActionParseErrorKind::BadParenthesis, 5),
            ("errno(1)x", ActionParseErrorKind::BadParenthesis, 5),
            ("  nope", ActionParseErrorKind::UnknownAction, 2),
        ];
        for &(text, kind, position) in cases {
            assert_eq!(parse(text), Err(ActionParseError { kind, position }), "{text:?}");
        }
    }

    #[test]
    fn display_round_trips_exactly_for_every_shape() {
        let values = [
            abi::RET_ALLOW,
            abi::RET_ALLOW | 3,
            abi::RET_LOG,
            abi::RET_USER_NOTIF,
            abi::RET_KILL_PROCESS,
            abi::RET_KILL_THREAD,
            abi::RET_KILL_THREAD | 9,
            abi::RET_TRAP,
            abi::RET_TRAP | 65535,
            abi::RET_TRACE | 2,
            abi::RET_ERRNO | 1,
            abi::RET_ERRNO | 4000,
            abi::RET_ERRNO | 0xffff,
            0x0001_0000,
        ];
        for raw in values {
            let text = Action(raw).to_string();
            assert_eq!(parse(&text), Ok(Action(raw)), "{raw:#x} displayed as {text}");
        }
        assert_eq!(Action(abi::RET_ERRNO | 1).to_string(), "errno(EPERM)");
        assert_eq!(Action(abi::RET_ERRNO | 4000).to_string(), "errno(4000)");
        assert_eq!(Action(abi::RET_ALLOW | 3).to_string(), "raw(0x7fff0003)");
    }

    #[test]
    fn oci_names_convert_like_runc() {
        assert_eq!(
            Action::from_oci("SCMP_ACT_ERRNO", None),
            Ok(Action(abi::RET_ERRNO | 1))
        );
        assert_eq!(
            Action::from_oci("SCMP_ACT_ERRNO", Some(38)),
            Ok(Action(abi::RET_ERRNO | 38))
        );
        assert_eq!(
            Action::from_oci("SCMP_ACT_ERRNO", Some(4096)),
            Err(OciActionError::ErrnoTooLarge(4096))
        );
        assert_eq!(Action::from_oci("SCMP_ACT_TRACE", None), Ok(Action::trace(1)));
        assert_eq!(Action::from_oci("SCMP_ACT_KILL", None), Ok(Action::KILL_THREAD));
        assert_eq!(Action::from_oci("SCMP_ACT_ALLOW", Some(5)), Ok(Action::ALLOW));
        assert_eq!(
            Action::from_oci("SCMP_ACT_NOPE", None),
            Err(OciActionError::UnknownName)
        );
        for (name, action) in OCI_NAMES {
            let back = action.to_oci().expect("every OCI action converts back");
            let reread =
                Action::from_oci(back.name, back.errno_ret.map(u32::from)).expect("and parses again");
            assert_eq!(reread.action_bits(), action.action_bits(), "{name}");
        }
        assert!(Action::trap(3).to_oci().is_err());
    }
}
