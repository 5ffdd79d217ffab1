//! An init-system style launcher with a filter compiled ahead of time: validate the embedded program, set
//! no_new_privs, install the filter and execve the service in place. Nothing is compiled at run time and
//! no libc is linked.
//!
//! The filter comes from `embedded_filter_data/filter.policy`, compiled by
//! `seccompctl compile filter.policy --arch ARCH --emit rust -o ARCH.rs` into a `const` array that is
//! `include!`d here; a test in `cli/tests/inspect_embedded.rs` regenerates the files and fails when the
//! committed ones are stale.
//!
//! Where `fork_exec` forks a confined child, this program confines itself and becomes the service (an
//! exec chain, as `chpst`/`s6-softlimit`-style launchers do). Arguments are copied into `CString`s at
//! start-up; from validation to `execve` the path neither allocates nor compiles anything (the program is
//! a `static` array, `validate` and `install` work on it in place, and `execve` builds its pointer arrays
//! on the stack). It is a `std` program for argument handling: a `no_std`/`no_main` build needs its own
//! entry point and linker flags, which the workspace's example targets do not set.
//!
//! `cargo run -p seccomp-sys --example embedded_filter -- /bin/uname -a` prints an error: uname(2) fails
//! with EPERM. The program path must be absolute (there is no `PATH` search).

use seccomp_core::bpf::validate;
use seccomp_sys::process;
use seccomp_sys::{FilterFlags, install, set_no_new_privs};
use std::ffi::{CStr, CString};
use std::process::ExitCode;

#[cfg(target_arch = "x86_64")]
include!("embedded_filter_data/x86_64.rs");
#[cfg(target_arch = "aarch64")]
include!("embedded_filter_data/aarch64.rs");

/// The filter, in static storage: the validated view borrows it for the life of the program.
static PROGRAM: [seccomp_core::abi::SockFilter; FILTER.len()] = FILTER;

fn main() -> ExitCode {
    // Start-up: copy the arguments and the environment (this allocates, before any confinement).
    let to_cstrings = |items: Vec<Vec<u8>>| -> Result<Vec<CString>, std::ffi::NulError> {
        items.into_iter().map(CString::new).collect()
    };
    let args = to_cstrings(
        std::env::args_os()
            .skip(1)
            .map(|arg| arg.into_encoded_bytes())
            .collect(),
    );
    let env = to_cstrings(
        std::env::vars_os()
            .map(|(key, value)| {
                let mut pair = key.into_encoded_bytes();
                pair.push(b'=');
                pair.extend(value.into_encoded_bytes());
                pair
            })
            .collect(),
    );
    let (args, env) = match (args, env) {
        (Ok(args), Ok(env)) => (args, env),
        _ => {
            eprintln!("embedded_filter: an argument or variable contains a NUL byte");
            return ExitCode::from(2);
        }
    };
    let Some(path) = args.first() else {
        eprintln!("usage: embedded_filter /ABSOLUTE/PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    let argv: Vec<&CStr> = args.iter().map(CString::as_c_str).collect();
    let envp: Vec<&CStr> = env.iter().map(CString::as_c_str).collect();

    // From here to execve nothing allocates.
    let program = match validate(&PROGRAM) {
        Ok(program) => program,
        Err(error) => {
            eprintln!("embedded_filter: the embedded filter is invalid: {error}");
            return ExitCode::from(125);
        }
    };
    if let Err(errno) = set_no_new_privs() {
        eprintln!("embedded_filter: cannot set no_new_privs: {errno}");
        return ExitCode::from(125);
    }
    if let Err(error) = install(&program, FilterFlags::EMPTY) {
        eprintln!("embedded_filter: cannot install the filter: {error}");
        return ExitCode::from(125);
    }
    let errno = process::execve(path, &argv, &envp);
    eprintln!(
        "embedded_filter: cannot execute {}: {errno}",
        path.to_string_lossy()
    );
    ExitCode::from(if errno == seccomp_sys::Errno::NOENT {
        127
    } else {
        126
    })
}
