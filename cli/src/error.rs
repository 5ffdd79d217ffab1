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
