//! An i386 syscall (`int $0x80` from a 64-bit program) under `seccompctl run`: allowed by Docker's x86_64
//! profile, which lists i386 in its `archMap` as Docker does, and given the bad-arch action by a native
//! policy that covers x86_64 only.
//!
//! The program is a tiny static x86_64 ELF written by the test: it calls i386 `getpid` (20) through
//! `int $0x80` and exits 0 when the result is a pid, 1 when it is an error.

#![cfg(target_arch = "x86_64")]

mod supervise_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use supervise_common::*;

/// Docker's default profile (Debian's golang-github-docker-docker-dev).
const DOCKER_PROFILE: &str = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";

/// The machine code: `mov eax, 20; int 0x80; test eax, eax; js fail; xor edi, edi; mov eax, 60; syscall;
/// fail: mov edi, 1; mov eax, 60; syscall`.
const CODE: [u8; 33] = [
    0xb8, 0x14, 0x00, 0x00, 0x00, // mov eax, 20 (i386 getpid)
    0xcd, 0x80, // int 0x80
    0x85, 0xc0, // test eax, eax
    0x78, 0x09, // js fail (+9)
    0x31, 0xff, // xor edi, edi
    0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60 (x86_64 exit)
    0x0f, 0x05, // syscall
    0xbf, 0x01, 0x00, 0x00, 0x00, // fail: mov edi, 1
    0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60
    0x0f, 0x05, // syscall
    0xf4, // hlt (never reached)
];

/// Writes the program into `tmp` and returns its path.
fn program(tmp: &TempDir) -> PathBuf {
    let path = tmp.path("int80-getpid");
    std::fs::write(&path, static_x86_64_elf(&CODE)).expect("write the program");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Whether the kernel runs i386 syscalls of a 64-bit process (CONFIG_IA32_EMULATION, not turned off with
/// `ia32_emulation=false`): the program, run without a filter, exits 0.
fn ia32_works(test: &str, program: &Path) -> bool {
    let status = std::process::Command::new(program)
        .status()
        .expect("run the program");
    if status.code() != Some(0) {
        println!("SKIP {test}: i386 syscalls do not work on this kernel without a filter ({status})");
        return false;
    }
    true
}

#[test]
fn an_i386_getpid_runs_under_dockers_x86_64_profile() {
    let test = "an_i386_getpid_runs_under_dockers_x86_64_profile";
    let tmp = TempDir::new("ia32-docker");
    let program = program(&tmp);
    if !ia32_works(test, &program) {
        return;
    }
    if !Path::new(DOCKER_PROFILE).exists() {
        println!("SKIP {test}: {DOCKER_PROFILE} is missing (CI installs golang-github-docker-docker-dev)");
        return;
    }
    let output = run(&["run", "-q", "--oci", DOCKER_PROFILE, "--", s(&program)]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn an_i386_getpid_gets_the_bad_arch_action_under_an_x86_64_only_policy() {
    let test = "an_i386_getpid_gets_the_bad_arch_action_under_an_x86_64_only_policy";
    let tmp = TempDir::new("ia32-native");
    let program = program(&tmp);
    if !ia32_works(test, &program) {
        return;
    }
    // bad-arch errno(EPERM): the i386 getpid fails and the program exits 1.
    let policy = tmp.write(
        "x86_64.policy",
        "arch x86_64\ndefault allow\nbad-arch errno(EPERM)\n",
    );
    let output = run(&["run", "--policy", s(&policy), "--", s(&program)]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    // The default bad-arch action, kill-process: SIGSYS, so 128 + 31.
    let policy = tmp.write("kill.policy", "arch x86_64\ndefault allow\n");
    let output = run(&["run", "--policy", s(&policy), "--", s(&program)]);
    assert_eq!(code(&output), 128 + 31, "{}", stderr(&output));
    // Covering i386 lets it through.
    let policy = tmp.write("both.policy", "arch x86_64 i386\ndefault allow\n");
    let output = run(&["run", "--policy", s(&policy), "--", s(&program)]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}
