//! `cargo xtask dist`: static `seccompctl` binaries for x86_64 and aarch64 (musl, linked by rust-lld, so no
//! cross gcc is needed), built with the size-tuned `dist` profile (LTO, one codegen unit, `panic = "abort"`,
//! stripped), non-PIE. Fails if a binary is not a static non-PIE executable for its arch, or is larger than
//! 1 MiB.
//!
//! On stable Rust every binary carries std's backtrace symbolizer (gimli, addr2line, miniz: linked by the
//! default panic hook) and unwind tables, about 250 KiB that a program built with `panic = "abort"` never
//! uses. Where a nightly toolchain can build for the target, `dist` therefore rebuilds std with the program
//! (`-Z build-std`) and `panic = immediate-abort`, which drops them: on x86_64 that is 769,520 bytes against
//! 1,147,232 on stable. Where the mirror has nightly's `rust-src` but no nightly `rust-std` for the target
//! (aarch64 musl), musl's start files and libraries come from the stable component of that target (see
//! [`build_size_tuned`]). Where there is no nightly at all, it builds on stable and says so.

use crate::launcher::check_static;
use crate::util::{cargo, exec, workspace_root};
use crate::vm::arch::Arch;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The size budget for each binary.
const MAX_BYTES: u64 = 1024 * 1024;

/// The task takes no flags (clap still gives it `--help` and a clear error for anything else).
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask dist",
    about = "Static musl seccompctl binaries for x86_64 and aarch64 in target/dist (at most 1 MiB each)."
)]
struct DistOptions {}

/// Builds every target and copies the binaries to `target/dist/seccompctl-<arch>`.
pub fn run(args: &[String]) -> Result<(), String> {
    let DistOptions {} = crate::util::parse_task_args("dist", args)?;
    let out_dir = workspace_root().join("target/dist");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let target = arch.triple();
        let binary = match build_size_tuned(target, "seccompctl")? {
            Some(binary) => binary,
            None => build_static(target, "seccompctl", "dist")?,
        };
        let dest = out_dir.join(format!("seccompctl-{}", arch.name()));
        std::fs::copy(&binary, &dest).map_err(|e| format!("copying to {}: {e}", dest.display()))?;
        let bytes = std::fs::read(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        check_static(&bytes, arch).map_err(|e| format!("{}: {e}", dest.display()))?;
        let size = bytes.len() as u64;
        println!(
            "{}: {size} bytes ({:.0} KiB), static",
            dest.display(),
            size as f64 / 1024.0
        );
        if size > MAX_BYTES {
            return Err(format!(
                "{} is {size} bytes, over the 1 MiB budget",
                dest.display()
            ));
        }
    }
    Ok(())
}

/// Builds `package` for a musl `target` with `profile`, linked statically by rust-lld, and returns the
/// binary's path. Installs the rustup target first.
pub fn build_static(target: &str, package: &str, profile: &str) -> Result<PathBuf, String> {
    exec(Command::new("rustup").args(["target", "add", target]))?;
    let mut command = cargo();
    command.args([
        "build",
        "--package",
        package,
        "--profile",
        profile,
        "--target",
        target,
    ]);
    set_static_link_env(&mut command, target);
    exec(&mut command)?;
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    Ok(workspace_root()
        .join("target")
        .join(target)
        .join(profile_dir)
        .join(package))
}

/// Builds `package` for `target` with nightly `-Z build-std` and `panic = immediate-abort` (see the module
/// documentation), or returns `None`, with a note, when no nightly toolchain can build for the target here.
///
/// `-Z build-std` compiles std from nightly's `rust-src`; what it still needs from a target's `rust-std`
/// component are musl's start files, `libc.a` and `libunwind.a` (the `self-contained` directory). Where the
/// mirror has no nightly `rust-std` for the target (aarch64 musl here), those are taken from the stable
/// toolchain's component for the same target, which [`build_static`] installs anyway: the same musl
/// release, so the C side of the link does not change.
fn build_size_tuned(target: &str, package: &str) -> Result<Option<PathBuf>, String> {
    let quietly = |args: &[&str]| {
        Command::new("rustup")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !quietly(&["component", "add", "rust-src", "--toolchain", "nightly"]) {
        eprintln!(
            "dist: no nightly rust-src here; building {target} on stable (larger: std's panic machinery stays in)"
        );
        return Ok(None);
    }
    let mut extra_flags = String::new();
    if !quietly(&["target", "add", target, "--toolchain", "nightly"]) {
        match stable_self_contained(target) {
            Some(dir) => {
                eprintln!(
                    "dist: no nightly rust-std for {target}; linking musl from {}",
                    dir.display()
                );
                extra_flags = format!(" -L native={}", dir.display());
            }
            None => {
                eprintln!(
                    "dist: no nightly std for {target} here; building on stable (larger: std's panic machinery stays in)"
                );
                return Ok(None);
            }
        }
    }
    let target_dir = workspace_root().join("target/dist-nightly");
    // The rustup proxy picks the toolchain; the outer cargo's own variables must not pin it to stable.
    let mut command = Command::new("cargo");
    command.current_dir(workspace_root());
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN", "RUSTFLAGS"] {
        command.env_remove(var);
    }
    command.arg("+nightly");
    command
        .arg("build")
        .args(["--package", package, "--profile", "dist", "--target", target]);
    // std's `optimize_for_size` feature picks its smaller implementations (sorting, formatting, ...):
    // about 42 KiB less on x86_64 (1,058,576 -> 1,016,720 bytes at 83962f4), same behaviour.
    command
        .args([
            "-Z",
            "build-std=std,panic_abort",
            "-Z",
            "build-std-features=optimize_for_size",
            "--target-dir",
        ])
        .arg(&target_dir);
    set_static_link_env(&mut command, target);
    let key = target.to_uppercase().replace('-', "_");
    let flags = format!(
        "{} -Z location-detail=none -Z unstable-options -C panic=immediate-abort{extra_flags}",
        static_rustflags()
    );
    command.env(format!("CARGO_TARGET_{key}_RUSTFLAGS"), flags);
    exec(&mut command)?;
    Ok(Some(target_dir.join(target).join("dist").join(package)))
}

/// The stable toolchain's `self-contained` directory for `target` (musl's start files and libraries),
/// after installing the target there, or `None` when that fails.
fn stable_self_contained(target: &str) -> Option<PathBuf> {
    let installed = Command::new("rustup")
        .args(["target", "add", target, "--toolchain", "stable"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let output = Command::new("rustc")
        .args(["+stable", "--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(output.stdout).ok()?;
    let dir = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib/self-contained");
    (installed && dir.join("libc.a").is_file() && dir.join("crt1.o").is_file()).then_some(dir)
}

/// The rustflags of a static musl build: rust-lld with musl's own start files, a non-PIE executable (a
/// static PIE carries some 90 KiB of relocations), no unwind tables and no `.eh_frame_hdr` (nothing unwinds
/// with `panic = "abort"`; `-C force-unwind-tables=no` drops 145 KiB of `.eh_frame` on x86_64), identical functions folded (`--icf=all`: about 10 KiB; lld folds only code unless
/// told otherwise, and Rust promises no distinct addresses for functions), and source paths shortened in
/// the panic messages.
fn static_rustflags() -> String {
    let root = workspace_root();
    let mut flags = String::from(
        "-C linker-flavor=ld.lld -C link-self-contained=yes -C relocation-model=static -C link-arg=--no-eh-frame-hdr -C force-unwind-tables=no \
         -C link-arg=--icf=all",
    );
    flags.push_str(&format!(" --remap-path-prefix={}=/src", root.display()));
    if let Some(home) = std::env::var_os("CARGO_HOME").or_else(|| {
        std::env::var_os("HOME").map(|h| {
            let mut path = std::path::PathBuf::from(h);
            path.push(".cargo");
            path.into_os_string()
        })
    }) {
        flags.push_str(&format!(
            " --remap-path-prefix={}=/cargo",
            Path::new(&home).display()
        ));
    }
    flags
}

/// Sets the environment that makes cargo link `target` with rust-lld and musl's self-contained start files,
/// for this command only (the host build is untouched).
pub fn set_static_link_env(command: &mut Command, target: &str) {
    let key = target.to_uppercase().replace('-', "_");
    command.env(format!("CARGO_TARGET_{key}_LINKER"), "rust-lld");
    command.env(format!("CARGO_TARGET_{key}_RUSTFLAGS"), static_rustflags());
}
