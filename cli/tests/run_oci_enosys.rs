//! runc's -ENOSYS stub on the real kernel: under `seccompctl run --oci` with Docker's default profile, a
//! syscall newer than anything the profile names fails with ENOSYS (so a libc falls back), one the profile
//! denies below that ceiling with Docker's EPERM; with `--runtime crun` (libseccomp's filter alone) the new
//! syscall gets the default EPERM too.
//!
//! The program is a tiny static x86_64 ELF written by the test: it makes one syscall (an x86_64 one, or an
//! i386 one through `int $0x80`: i386 has a section of the stub of its own), with every argument zero, and
//! exits with the errno it got (0 on success).

#![cfg(target_arch = "x86_64")]

mod supervise_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use seccomp_core::arch::Arch;
use supervise_common::*;

/// Docker's default profile (Debian's golang-github-docker-docker-dev).
const DOCKER_PROFILE: &str = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";

const ENOSYS: i32 = 38;
const EPERM: i32 = 1;

/// `mov eax, NR; syscall; neg eax; mov edi, eax; mov eax, 60; syscall; hlt`: exit(-result).
fn machine_code(nr: u32) -> Vec<u8> {
    let mut code = vec![0xb8];
    code.extend_from_slice(&nr.to_le_bytes());
    code.extend_from_slice(&[
        0x0f, 0x05, 0xf7, 0xd8, 0x89, 0xc7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xf4,
    ]);
    code
}

/// `mov eax, NR; int 0x80; neg eax; mov edi, eax; mov eax, 60; syscall; hlt`: the i386 syscall NR, then
/// exit(-result) through the x86_64 ABI.
fn i386_machine_code(nr: u32) -> Vec<u8> {
    let mut code = vec![0xb8];
    code.extend_from_slice(&nr.to_le_bytes());
    code.extend_from_slice(&[
        0xcd, 0x80, 0xf7, 0xd8, 0x89, 0xc7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xf4,
    ]);
    code
}

/// Writes the program making syscall `nr` into `tmp`.
fn program(tmp: &TempDir, nr: u32) -> PathBuf {
    write_program(tmp, &format!("syscall-{nr}"), &machine_code(nr))
}

/// Writes the program making i386 syscall `nr` into `tmp`.
fn i386_program(tmp: &TempDir, nr: u32) -> PathBuf {
    write_program(tmp, &format!("i386-syscall-{nr}"), &i386_machine_code(nr))
}

fn write_program(tmp: &TempDir, name: &str, code: &[u8]) -> PathBuf {
    let path = tmp.path(name);
    std::fs::write(&path, static_x86_64_elf(code)).expect("write the program");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// The errno the program gets without a filter, `None` when it dies of a signal (an i386 syscall where
/// the kernel runs none).
fn unfiltered(program: &Path) -> Option<i32> {
    std::process::Command::new(program)
        .status()
        .expect("run the program")
        .code()
}

/// The errno the program gets under `seccompctl run --oci DOCKER_PROFILE` with `extra` options.
fn under_docker(program: &Path, extra: &[&str]) -> i32 {
    let mut args = vec!["run", "-q", "--oci", DOCKER_PROFILE];
    args.extend_from_slice(extra);
    args.extend(["--", s(program)]);
    let output = run(&args);
    code(&output)
}

/// The x86_64 ceiling of runc's stub, read from `compile --oci -v`'s note.
fn x86_64_ceiling() -> u32 {
    let output = run(&[
        "compile",
        "--oci",
        DOCKER_PROFILE,
        "--arch",
        "x86_64",
        "-v",
        "--emit",
        "stats",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stderr(&output);
    let note = text
        .lines()
        .find(|line| line.contains("-ENOSYS stub"))
        .unwrap_or_else(|| panic!("no -ENOSYS note under -v:\n{text}"));
    let after = note
        .split("x86_64 above ")
        .nth(1)
        .unwrap_or_else(|| panic!("{note}"));
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("{note}"))
}

#[test]
fn a_syscall_newer_than_dockers_profile_fails_with_enosys_and_a_denied_older_one_with_eperm() {
    let test = "a_syscall_newer_than_dockers_profile_fails_with_enosys_and_a_denied_older_one_with_eperm";
    if !Path::new(DOCKER_PROFILE).exists() {
        println!("SKIP {test}: {DOCKER_PROFILE} is missing (CI installs golang-github-docker-docker-dev)");
        return;
    }
    let tmp = TempDir::new("oci-enosys");
    let ceiling = x86_64_ceiling();
    // Far above the ceiling: the kernel has no such syscall either, but the answer is the filter's.
    let far = program(&tmp, 1000);
    assert_eq!(
        under_docker(&far, &[]),
        ENOSYS,
        "nr 1000 above the ceiling {ceiling}"
    );
    assert_eq!(
        under_docker(&far, &["--runtime", "crun"]),
        EPERM,
        "nr 1000 under crun's filter"
    );
    // A syscall the running kernel has, newer than the profile (harmless with zero arguments): without a
    // filter it does not fail with ENOSYS, under runc's stub it does.
    let newer = [
        "set_mempolicy_home_node",
        "cachestat",
        "fchmodat2",
        "futex_wake",
        "statmount",
        "listmount",
        "mseal",
    ]
    .into_iter()
    .filter_map(|name| Arch::X86_64.syscall_nr(name).map(|nr| (name, nr)))
    .filter(|&(_, nr)| nr > ceiling)
    .map(|(name, nr)| (name, nr, program(&tmp, nr)))
    .find(|(_, _, program)| unfiltered(program).is_some_and(|errno| errno != ENOSYS));
    match newer {
        Some((name, nr, program)) => {
            assert_eq!(
                under_docker(&program, &[]),
                ENOSYS,
                "{name} ({nr}) above the ceiling {ceiling}"
            );
            assert_eq!(
                under_docker(&program, &["--runtime", "crun"]),
                EPERM,
                "{name} under crun's filter"
            );
        }
        None => println!(
            "SKIP {test} (the new-syscall part): the running kernel has none of the listed syscalls above {ceiling}"
        ),
    }
    // Below the ceiling, a syscall Docker's default capabilities do not allow: the profile's EPERM.
    let kexec = Arch::X86_64.syscall_nr("kexec_load").expect("kexec_load");
    assert!(kexec < ceiling);
    let denied = program(&tmp, kexec);
    assert_eq!(under_docker(&denied, &[]), EPERM, "kexec_load below the ceiling");
    // The ceiling itself is the profile's own: a number it names is decided by its rules.
    let at = program(&tmp, ceiling);
    assert_ne!(
        under_docker(&at, &[]),
        ENOSYS,
        "nr {ceiling}, the ceiling, is the profile's"
    );
}

#[test]
fn i386_has_its_own_section_of_the_stub_under_dockers_x86_64_profile() {
    let test = "i386_has_its_own_section_of_the_stub_under_dockers_x86_64_profile";
    if !Path::new(DOCKER_PROFILE).exists() {
        println!("SKIP {test}: {DOCKER_PROFILE} is missing (CI installs golang-github-docker-docker-dev)");
        return;
    }
    let tmp = TempDir::new("oci-enosys-i386");
    // i386 close(0) (every register is 0 at entry): 0 where the kernel runs i386 syscalls.
    let close = i386_program(&tmp, Arch::I386.syscall_nr("close").expect("close"));
    if unfiltered(&close) != Some(0) {
        println!("SKIP {test}: i386 syscalls do not work on this kernel without a filter");
        return;
    }
    assert_eq!(under_docker(&close, &[]), 0, "i386 close is allowed");
    // Docker's archMap lists i386 beside x86_64: runc gives it a section of its own, so an i386 number
    // above the profile's largest i386 number fails with ENOSYS, and with EPERM under crun's filter.
    let far = i386_program(&tmp, 1000);
    assert_eq!(under_docker(&far, &[]), ENOSYS, "i386 nr 1000");
    assert_eq!(
        under_docker(&far, &["--runtime", "crun"]),
        EPERM,
        "i386 nr 1000 under crun's filter"
    );
    // Below the i386 ceiling, a syscall the profile does not allow: EPERM.
    let kexec = i386_program(&tmp, Arch::I386.syscall_nr("kexec_load").expect("kexec_load"));
    assert_eq!(under_docker(&kexec, &[]), EPERM, "i386 kexec_load");
}
