//! The `seccompctl` binary: parses the command line, runs the subcommand, and turns errors into one line on
//! stderr and the documented exit status.
//!
//! Nothing here or in the subcommands prints with `println!`/`eprintln!`, which panic when a stream is
//! closed or full: standard output goes through `output::print` (a closed pipe ends the output quietly),
//! messages through `error::report` (a closed stderr is ignored).

use clap::{CommandFactory, Parser};
use seccompctl::args::Cli;
use seccompctl::error::{self, ParseOutcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(refusal) => {
            let subcommand = std::env::args()
                .nth(1)
                .filter(|name| Cli::command().get_subcommands().any(|sub| sub.get_name() == name));
            return match error::from_clap(&refusal, subcommand.as_deref()) {
                ParseOutcome::Print(text) => match seccompctl::output::print(&text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(failure) => fail(&failure),
                },
                ParseOutcome::Error(failure) => fail(&failure),
            };
        }
    };
    match seccompctl::cmd::dispatch(cli) {
        Ok(status) => ExitCode::from(status),
        Err(failure) => fail(&failure),
    }
}

/// Reports `failure` on stderr and returns its exit status.
fn fail(failure: &error::CliError) -> ExitCode {
    error::report(&failure.message);
    ExitCode::from(failure.failure.exit_status())
}
