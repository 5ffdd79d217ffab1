//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.
//!
//! It installs what it needs first (rustup targets, rustfmt and clippy components), so it works on a fresh
//! machine. `.ci/run` calls exactly this.

use crate::util::{cargo, exec};
use std::process::Command;

/// Debian packages the tests need, each with a binary on PATH (or an absolute path of a file it ships)
/// that shows it is installed. Tests that need one skip visibly without it, so CI installs them to run
/// those tests for real.
const TEST_PACKAGES: [(&str, &str); 9] = [
    ("strace", "strace"),
    ("runc", "runc"),
    ("busybox-static", "busybox"),
    // The container handlers' tests: an ext4 image, and mount(2) made from inside the container.
    ("e2fsprogs", "mkfs.ext4"),
    ("perl", "perl"),
    // xtask's man page test renders every page with `man --warnings` (groff comes with it).
    ("man-db", "man"),
    // The libseccomp reference of oci/tests/libseccomp_diff.rs (tests only, never a build dependency).
    ("python3-seccomp", "/usr/share/doc/python3-seccomp/copyright"),
    // Docker's default profile and Podman's, the profiles that test compares.
    (
        "golang-github-docker-docker-dev",
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json",
    ),
    (
        "golang-github-containers-common",
        "/usr/share/containers/seccomp.json",
    ),
];

/// Which of the slow steps to run.
#[derive(Clone, Copy, Debug, clap::Parser)]
#[command(
    name = "cargo xtask ci",
    about = "Every check CI runs, in order, stopping at the first failure (.ci/run calls exactly this)."
)]
struct Options {
    /// Skip the real-kernel runs under qemu-system (a quicker local pass; says visibly what it skipped).
    #[arg(long)]
    no_vm: bool,
}

/// Which of the slow steps to run.
#[derive(Clone, Copy, Debug)]
struct Steps {
    /// The real-kernel runs under qemu-system (aarch64 6.1 and 6.12, x86_64 6.1).
    vm: bool,
}

/// Runs the CI steps.
fn run_ci(steps: Steps) -> Result<(), String> {
    step("install the bare-metal target used to prove core is no_std");
    exec(Command::new("rustup").args(["target", "add", "x86_64-unknown-none"]))?;
    exec(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))?;

    step(
        "Debian packages the tests use: strace (trace lets it attach), runc + busybox-static (agent), \
         python3-seccomp + Docker's and Podman's profiles (the libseccomp differential test)",
    );
    for (package, binary) in TEST_PACKAGES {
        crate::util::ensure_debian_package(package, binary)?;
    }

    step("cargo fmt --check");
    exec(cargo().args(["fmt", "--all", "--check"]))?;

    step("cargo clippy");
    exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;

    step("cargo test");
    exec(cargo().args(["test", "--workspace"]))?;

    step("cargo doc --workspace --no-deps without warnings (RUSTDOCFLAGS=-D warnings)");
    exec(
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;

    step("core builds for x86_64-unknown-none (no_std, no allocator)");
    exec(cargo().args(["build", "-p", "seccomp-core", "--target", "x86_64-unknown-none"]))?;

    step("static seccompctl binaries for x86_64 and aarch64 (cargo xtask dist)");
    crate::dist::run(&[])?;

    step(
        "the libc-free launcher: clippy, static musl builds for both arches, its tests (cargo xtask launcher)",
    );
    crate::launcher::run(&[])?;

    step("fuzz smoke: every cargo-fuzz target for 25 s (cargo xtask fuzz)");
    crate::fuzz::ci_smoke()?;

    if steps.vm {
        step("real kernels under qemu-system: aarch64 6.1 and 6.12, x86_64 6.1 (cargo xtask vm-test --all)");
        crate::vm_test::run_all_for_ci()?;
    } else {
        eprintln!("SKIP: real-kernel VM runs (--no-vm)");
    }
    Ok(())
}

/// Entry point from `main`: `cargo xtask ci [--no-vm]`. CI runs everything; `--no-vm` is for a quicker
/// local pass and says visibly what it skipped.
pub fn run(args: &[String]) -> Result<(), String> {
    let options: Options = crate::util::parse_task_args("ci", args)?;
    run_ci(Steps { vm: !options.no_vm })
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}
