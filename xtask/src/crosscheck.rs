//! `cargo xtask crosscheck [--programs N] [--probes N] [--seed S] [--only validator|emulator]`: a long
//! differential campaign of seccomp-core's validator and emulator against the running kernel.
//!
//! It runs the test files `sys/tests/crosscheck_validator.rs` and `sys/tests/crosscheck_emulator.rs` in
//! release mode with the campaign size in `CROSSCHECK_PROGRAMS`, `CROSSCHECK_PROBES` and `CROSSCHECK_SEED`
//! (the same tests `cargo test --workspace` runs with small defaults), so there is one implementation of
//! the cross-check. Each test prints a summary line; the task adds the wall-clock time.

use crate::util::{cargo, exec};
use std::time::Instant;

/// Programs the validator campaign loads unless `--programs` says otherwise.
const DEFAULT_PROGRAMS: u64 = 100_000;
/// Syscalls the emulator campaign makes under single filters unless `--probes` says otherwise (half as
/// many again under stacks).
const DEFAULT_PROBES: u64 = 10_000;

/// Which half of the campaign `--only` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    /// `sys/tests/crosscheck_validator.rs`.
    Validator,
    /// `sys/tests/crosscheck_emulator.rs`.
    Emulator,
}

/// The campaign's options.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask crosscheck",
    about = "A long differential campaign of seccomp-core's validator and emulator against the running kernel."
)]
struct Options {
    /// Programs the validator campaign loads (decimal or 0x hex, `_` allowed).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PROGRAMS, value_parser = number)]
    programs: u64,
    /// Syscalls the emulator campaign makes under single filters (half as many again under stacks).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PROBES, value_parser = number)]
    probes: u64,
    /// The seed of both campaigns (decimal or 0x hex).
    #[arg(long, value_name = "S", value_parser = seed)]
    seed: Option<String>,
    /// Run only one of the two campaigns.
    #[arg(long, value_enum)]
    only: Option<Only>,
}

impl Options {
    /// The test files to run.
    fn tests(&self) -> Vec<&'static str> {
        match self.only {
            Some(Only::Validator) => vec!["crosscheck_validator"],
            Some(Only::Emulator) => vec!["crosscheck_emulator"],
            None => vec!["crosscheck_validator", "crosscheck_emulator"],
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    crate::util::parse_task_args("crosscheck", args)
}

/// Parses a count or seed: decimal, or hex with `0x`; `_` separators allowed.
fn number(text: &str) -> Result<u64, String> {
    let digits = text.replace('_', "");
    let parsed = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    parsed.map_err(|e| format!("{text:?} is not a number: {e}"))
}

/// A seed: checked as a number, passed on as written.
fn seed(text: &str) -> Result<String, String> {
    number(text).map(|_| text.to_owned())
}

/// Runs the campaign.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let mut command = cargo();
    command.args(["test", "--release", "-p", "seccomp-sys"]);
    for test in options.tests() {
        command.args(["--test", test]);
    }
    command.args(["--", "--nocapture", "--test-threads=1"]);
    command.env("CROSSCHECK_PROGRAMS", options.programs.to_string());
    command.env("CROSSCHECK_PROBES", options.probes.to_string());
    if let Some(seed) = &options.seed {
        command.env("CROSSCHECK_SEED", seed);
    }
    eprintln!(
        "crosscheck: {} programs for the validator, {} probes for the emulator (+{} under stacks){}",
        options.programs,
        options.probes,
        options.probes / 2,
        options
            .seed
            .as_ref()
            .map(|s| format!(", seed {s}"))
            .unwrap_or_default()
    );
    let started = Instant::now();
    let result = exec(&mut command);
    eprintln!(
        "crosscheck: {} after {:.1}s (build included)",
        if result.is_ok() { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_counts_seeds_and_the_half_to_run() {
        let defaults = parse(&[]).unwrap();
        assert_eq!(
            (defaults.programs, defaults.probes, defaults.seed.clone()),
            (DEFAULT_PROGRAMS, DEFAULT_PROBES, None)
        );
        assert_eq!(defaults.tests(), ["crosscheck_validator", "crosscheck_emulator"]);
        let options = parse(&args(&[
            "--programs",
            "1_000",
            "--probes",
            "0x10",
            "--seed",
            "0xbeef",
            "--only",
            "emulator",
        ]))
        .unwrap();
        assert_eq!((options.programs, options.probes), (1000, 16));
        assert_eq!(options.seed.as_deref(), Some("0xbeef"));
        assert_eq!(options.tests(), ["crosscheck_emulator"]);
        assert!(parse(&args(&["--programs", "many"])).is_err());
        assert!(parse(&args(&["--only", "kernel"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
    }
}
