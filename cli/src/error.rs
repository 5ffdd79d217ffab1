//! The command-line error type: one line for the user, and the exit status that goes with it.

use std::fmt;

/// What kind of failure, which decides the exit status (see `args::EXIT_STATUS_HELP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A check the user asked for came out negative (exit 1).
    CheckFailed,
    /// The command line is wrong in a way clap cannot see (exit 2).
    Usage,
    /// An input file is unreadable or malformed (exit 3).
    BadInput,
    /// The kernel refused, or lacks a feature (exit 4).
    Kernel,
    /// Any other system error (exit 5).
    System,
    /// `run`/`trace`/`learn`: seccompctl itself failed around the command (exit 125).
    Supervisor,
    /// `run`/`trace`/`learn`: the command exists but cannot be executed (exit 126).
    CannotExecute,
    /// `run`/`trace`/`learn`: the command was not found (exit 127).
    NotFound,
}

impl Failure {
    /// The process exit status for this failure.
    pub const fn exit_status(self) -> u8 {
        match self {
            Failure::CheckFailed => 1,
            Failure::Usage => 2,
            Failure::BadInput => 3,
            Failure::Kernel => 4,
            Failure::System => 5,
            Failure::Supervisor => 125,
            Failure::CannotExecute => 126,
            Failure::NotFound => 127,
        }
    }
}

/// A failure with its one-line message (without the `seccompctl:` prefix, which `main` adds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    /// What kind of failure.
    pub failure: Failure,
    /// The message: names the file, `line:column` or JSON path, and what was wrong.
    pub message: String,
}

impl CliError {
    /// A new error.
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        CliError {
            failure,
            message: message.into(),
        }
    }

    /// Bad input: a malformed or unreadable file.
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError::new(Failure::BadInput, message)
    }

    /// The kernel refused.
    pub fn kernel(message: impl Into<String>) -> Self {
        CliError::new(Failure::Kernel, message)
    }

    /// A usage error clap could not catch.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(Failure::Usage, message)
    }

    /// Another system error.
    pub fn system(message: impl Into<String>) -> Self {
        CliError::new(Failure::System, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The result of a subcommand: the exit status to leave with, or an error.
pub type CliResult = Result<u8, CliError>;

/// `text` with every control character and invisible format character written as an escape, so that a
/// message quoting hostile input (a NUL, an ESC sequence, a byte-order mark, a newline inside a name) stays
/// one readable line and cannot drive the terminal: `\0`, `\t`, `\n`, `\r`, `\e`, `\x7f`, `\u{feff}`.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            ch if ch.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(ch))),
            ch if is_invisible(ch) => out.push_str(&format!("\\u{{{:x}}}", u32::from(ch))),
            ch => out.push(ch),
        }
    }
    out
}

/// C1 controls, and the format characters that change or hide what a terminal shows (byte-order mark,
/// zero-width and bidirectional marks, line and paragraph separators).
fn is_invisible(ch: char) -> bool {
    matches!(u32::from(ch),
        0x80..=0x9f | 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff)
}

/// `text` without the ` (os error N)` that `std::io::Error` appends to the system's message: the message
/// reads as `strerror` gives it, as in every other tool (`/x: No such file or directory`).
pub fn without_os_error_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        let after = &rest[at + " (os error ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at]);
        if digits > 0 && after.as_bytes().get(digits) == Some(&b')') {
            rest = &after[digits + 1..];
        } else {
            out.push_str(" (os error ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Writes `seccompctl: MESSAGE` as one line on stderr, control characters escaped (and without
/// [`without_os_error_numbers`]' suffixes). A closed or full stderr is ignored: there is nowhere left to
/// say anything, and the exit status still tells.
pub fn report(message: &str) {
    use std::io::Write as _;
    let line = format!(
        "seccompctl: {}\n",
        escape_controls(&without_os_error_numbers(message))
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// [`report`] with `warning: ` before the message.
pub fn warn(message: &str) {
    report(&format!("warning: {message}"));
}

/// [`report`] with `note: ` before the message.
pub fn note(message: &str) {
    report(&format!("note: {message}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_numbers_are_left_out() {
        assert_eq!(
            without_os_error_numbers("/x: No such file or directory (os error 2)"),
            "/x: No such file or directory"
        );
        assert_eq!(
            without_os_error_numbers("a (os error 28); b (os error 5)"),
            "a; b"
        );
        assert_eq!(without_os_error_numbers("a (os error x) b"), "a (os error x) b");
        assert_eq!(without_os_error_numbers("tail (os error "), "tail (os error ");
    }

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\0b\u{1b}[31m\u{feff}c\n\x7f\u{202e}"),
            "a\\0b\\e[31m\\u{feff}c\\n\\x7f\\u{202e}"
        );
        assert_eq!(escape_controls("plain `text` é ü"), "plain `text` é ü");
    }
}

/// What to do with a command line clap refused: the text for stdout and status 0 for `--help` and
/// `--version`, or a one-line usage error (exit 2).
#[derive(Debug)]
pub enum ParseOutcome {
    /// Help or version text, printed on stdout; exit 0.
    Print(String),
    /// A usage error.
    Error(CliError),
}

/// Turns clap's refusal into [`ParseOutcome`]: clap's several-line report (`error: ...`, a list of
/// missing arguments, a tip, the usage, "For more information") becomes one line naming what was wrong and
/// where the help is, so that every error of seccompctl has the same shape.
pub fn from_clap(error: &clap::Error, subcommand: Option<&str>) -> ParseOutcome {
    use clap::error::ErrorKind;
    let rendered = error.render().to_string();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return ParseOutcome::Print(rendered),
        _ => {}
    }
    let help = match subcommand {
        Some(name) => format!("seccompctl {name} --help"),
        None => "seccompctl --help".to_owned(),
    };
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return ParseOutcome::Error(CliError::usage(format!("a subcommand is needed (see `{help}`)")));
    }
    let mut lines = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty());
    let first = lines.next().unwrap_or("invalid command line");
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    let listing = message.ends_with(':');
    for (index, line) in lines.enumerate() {
        let separator = match (listing, index) {
            (true, 0) => " ",
            (true, _) => ", ",
            (false, _) if line.starts_with('[') => " ",
            (false, _) => "; ",
        };
        message.push_str(separator);
        message.push_str(line);
    }
    message.push_str(&format!(" (see `{help}`)"));
    ParseOutcome::Error(CliError::usage(message))
}
