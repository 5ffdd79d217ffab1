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

const USAGE: &str =
    "usage: cargo xtask crosscheck [--programs N] [--probes N] [--seed S] [--only validator|emulator]";

/// The campaign's options.
struct Options {
    programs: u64,
    probes: u64,
    seed: Option<String>,
    tests: Vec<&'static str>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        programs: DEFAULT_PROGRAMS,
        probes: DEFAULT_PROBES,
        seed: None,
        tests: vec!["crosscheck_validator", "crosscheck_emulator"],
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("crosscheck: {flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--programs" => options.programs = number(flag, value()?)?,
            "--probes" => options.probes = number(flag, value()?)?,
            "--seed" => {
                let seed = value()?;
                number(flag, seed)?;
                options.seed = Some(seed.clone());
            }
            "--only" => {
                options.tests = match value()?.as_str() {
                    "validator" => vec!["crosscheck_validator"],
                    "emulator" => vec!["crosscheck_emulator"],
                    other => {
                        return Err(format!(
                            "crosscheck: --only takes `validator` or `emulator`, not `{other}`"
                        ));
                    }
                }
            }
            other => return Err(format!("crosscheck: unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

/// Parses a count or seed: decimal, or hex with `0x`; `_` separators allowed.
fn number(flag: &str, text: &str) -> Result<u64, String> {
    let digits = text.replace('_', "");
    let parsed = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    parsed.map_err(|e| format!("crosscheck: {flag} {text:?} is not a number: {e}"))
}

/// Runs the campaign.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let mut command = cargo();
    command.args(["test", "--release", "-p", "seccomp-sys"]);
    for test in &options.tests {
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
