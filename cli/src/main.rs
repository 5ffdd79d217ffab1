//! The `seccompctl` binary: parses the command line, runs the subcommand, and turns errors into one line on
//! stderr and the documented exit status.

use clap::Parser;
use seccompctl::args::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match seccompctl::cmd::dispatch(cli) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("seccompctl: {error}");
            ExitCode::from(error.failure.exit_status())
        }
    }
}
