//! `seccompctl help [SUBCOMMAND]`: the long help of the tool or of one subcommand, on stdout.
//!
//! clap's built-in `help` subcommand is replaced by this one so that `help` is an ordinary subcommand with
//! its own `--help` (clap's refuses `seccompctl help --help`).

use crate::args::{Cli, HelpArgs};
use crate::error::{CliError, CliResult};
use crate::output;
use clap::CommandFactory;

/// Prints the help text.
pub fn run(args: &HelpArgs) -> CliResult {
    let mut command = Cli::command();
    let text = match args.subcommand.as_deref() {
        None => command.render_long_help(),
        Some(name) => {
            command.build();
            let names: Vec<String> = command
                .get_subcommands()
                .map(|sub| sub.get_name().to_owned())
                .collect();
            let sub = command.find_subcommand_mut(name).ok_or_else(|| {
                CliError::usage(format!(
                    "help: no subcommand `{name}` (there are: {})",
                    names.join(", ")
                ))
            })?;
            sub.render_long_help()
        }
    };
    output::print(&text.to_string())?;
    Ok(0)
}
