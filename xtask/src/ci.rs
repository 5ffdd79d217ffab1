//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.
//!
//! It installs what it needs first (rustup targets, rustfmt and clippy components), so it works on a fresh
//! machine. `.ci/run` calls exactly this.

use crate::util::{cargo, exec};
use std::process::Command;

/// Runs the CI steps.
pub fn run_ci() -> Result<(), String> {
    step("install the bare-metal target used to prove core is no_std");
    exec(Command::new("rustup").args(["target", "add", "x86_64-unknown-none"]))?;
    exec(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))?;

    step("cargo fmt --check");
    exec(cargo().args(["fmt", "--all", "--check"]))?;

    step("cargo clippy");
    exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;

    step("cargo test");
    exec(cargo().args(["test", "--workspace"]))?;

    step("core builds for x86_64-unknown-none (no_std, no allocator)");
    exec(cargo().args(["build", "-p", "seccomp-core", "--target", "x86_64-unknown-none"]))?;
    Ok(())
}

/// Entry point from `main`: `cargo xtask ci` takes no options yet.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("ci: unexpected argument `{arg}`"));
    }
    run_ci()
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}
