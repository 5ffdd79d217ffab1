//! `cargo xtask launcher`: the static `seccomp-launcher` binaries for x86_64 and aarch64, built and checked.
//!
//! The launcher (`launcher/`) is a `no_std`, `no_main` binary behind the `bin` feature, which plain
//! workspace commands skip (stable Rust links it only with `panic = "abort"`). This task:
//! 1. runs clippy on the binary itself (`--features bin --profile dist`, `-D warnings`);
//! 2. builds it for `x86_64-unknown-linux-musl` and `aarch64-unknown-linux-musl` with the `dist` profile,
//!    linked by rust-lld without musl's start files (`-C link-self-contained=no`: the binary has its own
//!    entry point and needs nothing from musl), in `target/launcher` so that the flags do not fight with
//!    `cargo xtask dist` over the same artifacts; copies them to `target/dist/seccomp-launcher-<arch>`;
//! 3. checks each file is a static, non-PIE ELF executable for its machine, no larger than 64 KiB, and
//!    prints the sizes;
//! 4. runs the launcher's integration tests against the musl binary of the host architecture
//!    (`SECCOMP_LAUNCHER_BIN`);
//! 5. with `--vm`, boots Debian's bookworm kernel for each architecture under qemu-system (the machinery
//!    of `cargo xtask vm-test`, sharing its kernel cache) with the binary and the project's static init,
//!    and runs [`vm_steps`]: usage errors, exec and exit status, the filter in force after exec (a
//!    `ptrace` call killed with SIGSYS), two launchers stacked.

use crate::util::{cargo, exec, workspace_root};
use crate::vm::arch::{Arch, Suite};
use crate::vm::initramfs::{self, GuestFile};
use crate::vm::summary::Report;
use crate::vm::{build, kernel, plan, qemu, setup};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The size budget of each binary.
const MAX_BYTES: u64 = 64 * 1024;
/// Link with rust-lld directly and without musl's self-contained start files.
const RUSTFLAGS: &str = "-C linker-flavor=ld.lld -C link-self-contained=no";
/// Where the launcher lives in the guest.
const GUEST_LAUNCHER: &str = "/bin/seccomp-launcher";
/// The whole boot, plan included.
const VM_TIMEOUT: Duration = Duration::from_secs(300);
/// Each step of the plan.
const STEP_TIMEOUT: u64 = 60;

/// The task's flags.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask launcher",
    about = "Static no-libc seccomp-launcher for x86_64 and aarch64 in target/dist, checked and tested."
)]
struct LauncherOptions {
    /// Also run the launcher on real kernels under qemu-system.
    #[arg(long)]
    vm: bool,
}

/// Entry point from `main`.
pub fn run(args: &[String]) -> Result<(), String> {
    let LauncherOptions { vm } = crate::util::parse_task_args("launcher", args)?;
    exec(cargo().args([
        "clippy",
        "--package",
        "seccomp-launcher",
        "--features",
        "bin",
        "--profile",
        "dist",
        "--",
        "-D",
        "warnings",
    ]))?;
    let mut binaries = Vec::new();
    for arch in [Arch::X86_64, Arch::Aarch64] {
        binaries.push((arch, build_static(arch)?));
    }
    let host = Arch::parse(std::env::consts::ARCH)?;
    if let Some((_, binary)) = binaries.iter().find(|(arch, _)| *arch == host) {
        exec(
            cargo()
                .args(["test", "--package", "seccomp-launcher"])
                .env("SECCOMP_LAUNCHER_BIN", binary),
        )?;
    }
    if vm {
        for (arch, binary) in &binaries {
            run_in_vm(*arch, binary)?;
        }
    }
    Ok(())
}

/// Builds the launcher for `arch`'s musl target, checks it and copies it to `target/dist`.
fn build_static(arch: Arch) -> Result<PathBuf, String> {
    setup::ensure_rust_target(arch.triple())?;
    let target_dir = workspace_root().join("target/launcher");
    let prefix = arch.cargo_env_prefix();
    exec(
        cargo()
            .args(["build", "--package", "seccomp-launcher", "--features", "bin"])
            .args(["--profile", "dist", "--target", arch.triple(), "--target-dir"])
            .arg(&target_dir)
            .env(format!("{prefix}_LINKER"), "rust-lld")
            .env(format!("{prefix}_RUSTFLAGS"), RUSTFLAGS),
    )?;
    let built = target_dir.join(arch.triple()).join("dist/seccomp-launcher");
    let out_dir = workspace_root().join("target/dist");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let dest = out_dir.join(format!("seccomp-launcher-{}", arch.name()));
    std::fs::copy(&built, &dest)
        .map_err(|e| format!("copying {} to {}: {e}", built.display(), dest.display()))?;
    let bytes = std::fs::read(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    check_static(&bytes, arch).map_err(|e| format!("{}: {e}", dest.display()))?;
    let size = bytes.len() as u64;
    println!(
        "{}: {size} bytes ({:.1} KiB), static, not PIE",
        dest.display(),
        size as f64 / 1024.0
    );
    if size > MAX_BYTES {
        return Err(format!(
            "{} is {size} bytes, over the 64 KiB budget",
            dest.display()
        ));
    }
    Ok(dest)
}

/// Fails unless `bytes` is a 64-bit little-endian `ET_EXEC` file for `arch` without a dynamic loader
/// (`PT_INTERP`) or dynamic section (`PT_DYNAMIC`). `dist` checks `seccompctl` with it too.
pub(crate) fn check_static(bytes: &[u8], arch: Arch) -> Result<(), String> {
    let field = |offset: usize, len: usize| -> Result<u64, String> {
        let slice = offset
            .checked_add(len)
            .and_then(|end| bytes.get(offset..end))
            .ok_or_else(|| format!("truncated ELF file (offset {offset:#x})"))?;
        let mut value = [0u8; 8];
        value[..len].copy_from_slice(slice);
        Ok(u64::from_le_bytes(value))
    };
    if bytes.get(..6) != Some(b"\x7fELF\x02\x01") {
        return Err("not a 64-bit little-endian ELF file".to_owned());
    }
    const ET_EXEC: u64 = 2;
    let file_type = field(0x10, 2)?;
    if file_type != ET_EXEC {
        return Err(format!(
            "ELF type {file_type}, expected ET_EXEC (a static, non-PIE executable)"
        ));
    }
    let machine = field(0x12, 2)?;
    let expected = match arch {
        Arch::X86_64 => 62,
        Arch::Aarch64 => 183,
    };
    if machine != expected {
        return Err(format!("ELF machine {machine}, expected {expected} ({arch})"));
    }
    let phoff = field(0x20, 8)? as usize;
    let phentsize = field(0x36, 2)? as usize;
    let phnum = field(0x38, 2)? as usize;
    for index in 0..phnum {
        const PT_DYNAMIC: u64 = 2;
        const PT_INTERP: u64 = 3;
        let at = index
            .checked_mul(phentsize)
            .and_then(|delta| delta.checked_add(phoff))
            .ok_or("program header table out of range")?;
        match field(at, 4)? {
            PT_INTERP => return Err("dynamically linked (has PT_INTERP)".to_owned()),
            PT_DYNAMIC => return Err("has a dynamic section (PT_DYNAMIC)".to_owned()),
            _ => {}
        }
    }
    Ok(())
}

/// The guest plan: each step with the exit status that proves the behaviour (`signal-N` for a death by
/// signal N). `/init` is the project's static init (`vm-init`), whose `helper` mode exits with a given
/// status or opens a file, and which acts as cat(1) when invoked as `/bin/cat`.
fn vm_steps() -> Vec<plan::Step> {
    let step = |name: &str, expect: &str, args: &[&str]| {
        let mut argv = vec![GUEST_LAUNCHER];
        argv.extend_from_slice(args);
        let mut step = plan::Step::new(&format!("launcher.{name}"), STEP_TIMEOUT, &argv);
        step.expect = expect.to_owned();
        step
    };
    vec![
        step("usage", "2", &[]),
        step("relative-path", "2", &["init"]),
        step("missing-program", "127", &["/nonexistent"]),
        step("not-executable", "126", &["/vm-plan"]),
        // The arguments after the path reach the program: the helper exits with the status it is given.
        step("exec-status", "7", &["/init", "helper", "exit", "7"]),
        // Prints NoNewPrivs: 1 and Seccomp: 2 to the console.
        step("proc-status", "0", &["/bin/cat", "/proc/self/status"]),
        // A second launcher under the first: two filters stacked, the program still runs.
        step(
            "stacked",
            "0",
            &[GUEST_LAUNCHER, "/init", "helper", "open", "/proc/self/status"],
        ),
        // The policy kills on ptrace: seccompctl's first ptrace call ends it with SIGSYS (31) before the
        // kernel runs the call.
        step(
            "ptrace-killed",
            "signal-31",
            &["/bin/seccompctl", "disasm", "--pid", "1"],
        ),
    ]
}

/// Boots `arch`'s bookworm kernel with the launcher and runs [`vm_steps`].
fn run_in_vm(arch: Arch, launcher: &Path) -> Result<(), String> {
    eprintln!("\n==> launcher on a real {arch} kernel (bookworm) under qemu-system");
    setup::ensure_qemu(arch)?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    // The directory vm-test uses for the same configuration, so the kernel is downloaded once.
    let dir = target.join("vm").join(format!("{arch}-bookworm"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let kernel_image = kernel::fetch(arch, Suite::Bookworm, &dir)?;
    let bins = build::build(arch, &["build", "-p", "seccomp-vm-init", "-p", "seccompctl"])?;
    let find_bin = |package: &str| build::find_bin(&bins, package, arch);
    let steps = vm_steps();
    let initrd = dir.join("launcher-initramfs.cpio");
    let files = [
        ("init", find_bin("seccomp-vm-init")?),
        ("bin/seccompctl", find_bin("seccompctl")?),
        (&GUEST_LAUNCHER[1..], launcher.to_path_buf()),
    ];
    write_initramfs(&initrd, &files, &steps)?;

    let log = dir.join("launcher-console.log");
    let boot = qemu::boot(arch, &kernel_image, &initrd, &log, VM_TIMEOUT)?;
    let report = Report::parse(&boot.console);
    let names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    let mut problems = report.problems(&names);
    if boot.timed_out {
        problems.insert(0, format!("qemu did not exit within {} s", VM_TIMEOUT.as_secs()));
    }
    for step in &report.steps {
        println!(
            "{arch} {}: {} ({})",
            step.name,
            if step.pass { "pass" } else { "FAIL" },
            step.status
        );
    }
    if problems.is_empty() {
        println!(
            "{arch}: {} launcher steps passed on Linux {} in {:.1} s",
            report.steps.len(),
            report.kernel.as_deref().unwrap_or("?"),
            boot.elapsed.as_secs_f64()
        );
        Ok(())
    } else {
        Err(format!(
            "launcher on {arch}: {}\nconsole (last lines, full log in {}):\n{}",
            problems.join("; "),
            log.display(),
            qemu::tail(&boot.console, 60)
        ))
    }
}

/// Writes the guest's initramfs: mount points, `/bin/cat -> /init`, the plan and `files` (guest path
/// without the leading `/`, host file), with the one initramfs writer vm-test uses.
fn write_initramfs(path: &Path, files: &[(&str, PathBuf)], steps: &[plan::Step]) -> Result<(), String> {
    let files: Vec<GuestFile> = files
        .iter()
        .map(|(name, source)| GuestFile::program(name, source.clone()))
        .collect();
    initramfs::write(path, &["dev", "proc", "sys", "bin"], &files, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 header with `phnum` program headers of the given types.
    fn elf(file_type: u16, machine: u16, segments: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0u8; 64 + 56 * segments.len()];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x10..0x12].copy_from_slice(&file_type.to_le_bytes());
        bytes[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (index, kind) in segments.iter().enumerate() {
            let at = 64 + 56 * index;
            bytes[at..at + 4].copy_from_slice(&kind.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn static_check_accepts_static_executables_and_names_what_is_wrong() {
        assert_eq!(
            check_static(&elf(2, 62, &[1, 1, 0x6474e551]), Arch::X86_64),
            Ok(())
        );
        assert_eq!(check_static(&elf(2, 183, &[1]), Arch::Aarch64), Ok(()));
        let error = |bytes: Vec<u8>, arch| check_static(&bytes, arch).unwrap_err();
        assert!(error(elf(3, 62, &[1]), Arch::X86_64).contains("ELF type 3"));
        assert!(error(elf(2, 62, &[1]), Arch::Aarch64).contains("machine 62"));
        assert!(error(elf(2, 62, &[1, 3]), Arch::X86_64).contains("PT_INTERP"));
        assert!(error(elf(2, 62, &[2]), Arch::X86_64).contains("PT_DYNAMIC"));
        let mut truncated = elf(2, 62, &[1]);
        truncated.truncate(66);
        assert!(error(truncated, Arch::X86_64).contains("truncated"));
        assert!(error(b"#!/bin/sh\n".to_vec(), Arch::X86_64).contains("not a 64-bit"));
    }

    #[test]
    fn the_vm_plan_renders_and_runs_the_launcher_in_every_step() {
        let steps = vm_steps();
        let text = plan::render(&steps).unwrap();
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), steps.len());
        for step in &steps {
            assert_eq!(step.argv.first().map(String::as_str), Some(GUEST_LAUNCHER));
        }
        let mut names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), steps.len(), "step names are unique");
    }
}
