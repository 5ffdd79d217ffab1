//! One module per subcommand, and the dispatcher that routes a parsed command line to it.

mod agent;
mod asm;
mod check;
pub mod common;
mod compile;
mod completions;
mod disasm;
mod help;
mod kernel_info;
mod learn;
mod resolve;
mod run;
mod sim;
pub mod trace;

use crate::args::{Cli, Command};
use crate::error::CliResult;

/// Runs the subcommand `cli` names and returns the exit status to leave with.
pub fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Resolve(args) => resolve::run(&args),
        Command::Agent(args) => agent::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Learn(args) => learn::run(&args),
        Command::Disasm(args) => disasm::run(&args),
        Command::Asm(args) => asm::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Actions(args) => kernel_info::actions(&args),
        Command::Sizes(args) => kernel_info::sizes(&args),
        Command::Features(args) => kernel_info::features(&args),
        Command::Help(args) => help::run(&args),
    }
}
