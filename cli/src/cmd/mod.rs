//! One module per subcommand, and the dispatcher that routes a parsed command line to it.

pub mod common;
mod completions;
mod resolve;
mod trace;

use crate::args::{Cli, Command};
use crate::error::{CliError, CliResult};

/// Runs the subcommand `cli` names and returns the exit status to leave with.
pub fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Resolve(args) => resolve::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Trace(args) => trace::run(&args),
        other => Err(CliError::usage(format!(
            "{} is not available in this build",
            command_name(&other)
        ))),
    }
}

/// The subcommand's name, for messages.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Run(_) => "run",
        Command::Trace(_) => "trace",
        Command::Learn(_) => "learn",
        Command::Compile(_) => "compile",
        Command::Disasm(_) => "disasm",
        Command::Sim(_) => "sim",
        Command::Check(_) => "check",
        Command::Actions(_) => "actions",
        Command::Sizes(_) => "sizes",
        Command::Features(_) => "features",
        Command::Resolve(_) => "resolve",
        Command::Agent(_) => "agent",
        Command::Completions(_) => "completions",
    }
}
