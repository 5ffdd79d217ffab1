//! `seccompctl completions SHELL`: prints a completion script generated from the clap definitions.

use crate::args::{Cli, CompletionsArgs};
use crate::error::CliResult;
use clap::CommandFactory;

/// Writes the completion script for the requested shell to standard output.
pub fn run(args: &CompletionsArgs) -> CliResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "seccompctl", &mut script);
    crate::output::write_output(None, &script, false)?;
    Ok(0)
}
