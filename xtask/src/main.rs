//! Project automation (matklad's xtask pattern): `cargo xtask <task>`.
//!
//! Each task lives in its own module; this file only parses the task name and dispatches.

mod bench_notify;
mod bench_trace;
mod ci;
mod crosscheck;
mod dist;
mod fuzz;
mod gen_syscalls;
mod launcher;
mod man;
mod util;
mod vm;
mod vm_test;

use std::process::ExitCode;

/// The tasks, with a one-line description each, printed by `cargo xtask help`.
const TASKS: &[(&str, &str)] = &[
    ("ci", "run every check CI runs (the README's test command)"),
    (
        "crosscheck",
        "validator and emulator against the running kernel, 100,000 programs (--programs N --probes N --seed S)",
    ),
    (
        "dist",
        "static musl seccompctl binaries for x86_64 and aarch64 in target/dist (at most 1 MiB each)",
    ),
    (
        "fuzz",
        "run the cargo-fuzz targets [--seconds N (30)] [--target T] [--no-sanitizer] [--long [--jobs J]] [--coverage]",
    ),
    (
        "launcher",
        "static no-libc seccomp-launcher for x86_64 and aarch64 in target/dist, checked and tested (--vm: on real kernels)",
    ),
    (
        "man",
        "write man pages generated from the clap definitions to target/man (--out DIR)",
    ),
    (
        "bench-notify",
        "notification round trip vs ptrace and a futex lower bound, the engine's emulated open and throughput (--json FILE, --svg FILE)",
    ),
    (
        "bench-trace",
        "seccompctl trace vs strace on a shell loop, median wall time / bare (--rounds N, --iterations N, --json FILE)",
    ),
    (
        "gen-syscalls",
        "regenerate core/src/syscalls/ from data/kernel/*.tbl (--check: fail when stale)",
    ),
    (
        "vm-test",
        "run the test binaries on real Linux kernels under qemu-system (--arch aarch64|x86_64)",
    ),
];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "ci" => ci::run(&rest),
        "crosscheck" => crosscheck::run(&rest),
        "fuzz" => fuzz::run(&rest),
        "gen-syscalls" => gen_syscalls::run(&rest),
        "dist" => dist::run(&rest),
        "launcher" => launcher::run(&rest),
        "man" => man::run(&rest),
        "bench-notify" => bench_notify::run(&rest),
        "bench-trace" => bench_trace::run(&rest),
        "vm-test" => vm_test::run(&rest),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!("usage: cargo xtask <task> [options]\n\ntasks:");
    for (name, what) in TASKS {
        println!("  {name:<14} {what}");
    }
}
