//! The libseccomp reference driver shared by the tests that compare with libseccomp
//! (`libseccomp_diff.rs`, `compiler_vs_libseccomp.rs`): `tests/libseccomp_ref.py` through Debian's
//! python3-seccomp, a test-only dependency that `cargo xtask ci` installs.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use seccomp_core::arch::Arch;
use std::io::Write;
use std::process::{Child, Command, Stdio};

/// The Python that has python3-seccomp.
pub const PYTHON: &str = "/usr/bin/python3";
/// The helper that builds a profile with libseccomp and prints its program.
pub const HELPER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/libseccomp_ref.py");

/// Whether python3-seccomp can be used; prints SKIP for `test` when not.
pub fn libseccomp_available(test: &str) -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import seccomp"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !ok {
        println!("SKIP {test}: {PYTHON} cannot import seccomp (apt-get install python3-seccomp)");
    }
    ok
}

/// Starts the helper with `args` and writes `profile_json` to its stdin (closed afterwards); stdout and
/// stderr are piped for the caller to collect.
pub fn start_helper(args: &[&str], profile_json: &str) -> Child {
    let mut child = Command::new(PYTHON)
        .arg(HELPER)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the libseccomp helper");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(profile_json.as_bytes())
        .expect("write the profile");
    child
}

/// libseccomp's name of `arch`, as the helper takes it.
pub fn helper_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x86_64",
        Arch::Aarch64 => "aarch64",
        Arch::I386 => "x86",
        Arch::X32 => "x32",
        other => panic!("no libseccomp name for {other}"),
    }
}
