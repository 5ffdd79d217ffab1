//! `seccomp-launcher`: installs a seccomp filter compiled ahead of time, then becomes the program it is
//! given. A `#![no_std]`, `#![no_main]` program with no libc, no allocator and no run-time compilation.
//!
//! ```text
//! seccomp-launcher /ABSOLUTE/PATH/TO/PROGRAM [ARGS...]
//! ```
//!
//! The filter is `filter/filter.policy`, compiled by `seccompctl compile filter.policy --arch ARCH --emit
//! rust -o ARCH.rs` into a `const` array of `sock_filter`s per architecture, `include!`d here and placed in
//! a `static`. A test of the CLI (`cli/tests/inspect_embedded.rs`) regenerates the arrays and fails when
//! the committed ones are stale.
//!
//! # Between start and exec
//!
//! The kernel enters at [`start::seccomp_launcher_start`], which passes the initial stack to [`main`]. Then,
//! in order, and each step only if the previous one succeeded:
//! 1. the program path (`argv[1]`) must exist and be absolute: there is no `PATH` search;
//! 2. the embedded filter is checked by `seccomp_core::bpf::validate` (the kernel's own rules, so a
//!    corrupted array is reported instead of being handed to the kernel);
//! 3. `prctl(PR_SET_NO_NEW_PRIVS, 1)`, so that the filter can be installed without privileges and no
//!    set-uid program can shed it;
//! 4. `seccomp(SECCOMP_SET_MODE_FILTER)` installs the filter on the only thread;
//! 5. `execve(argv[1], &argv[1..], envp)` with the very arrays the kernel passed in: the program gets the
//!    launcher's arguments after its own name and the unchanged environment, with no copy and no count
//!    limit.
//!
//! Nothing else happens: no file is opened, no memory is allocated (there is no allocator in the binary),
//! no signal handler or thread is set up, and the only system calls are `prctl`, `seccomp`, `execve`, and on
//! failure `write` to fd 2 and `exit_group`. File descriptors, the working directory, resource limits and
//! the signal mask pass to the program unchanged. The filter and `no_new_privs` stay in force in the
//! program and everything it starts.
//!
//! # Exit status
//!
//! On success the status is the program's own. The launcher's failures print one line
//! `seccomp-launcher: ...` on stderr and exit with:
//!
//! | status | meaning |
//! | --- | --- |
//! | 2 | usage: no program given, or a relative program path |
//! | 122 | the embedded filter does not validate |
//! | 123 | `no_new_privs` could not be set |
//! | 124 | the kernel refused the filter |
//! | 125 | internal error (a panic; none is reachable by design) |
//! | 126 | `execve` failed, other than `ENOENT` (not executable, not a regular file, ...) |
//! | 127 | `execve` failed with `ENOENT`: the program does not exist |
//!
//! # Building
//!
//! Stable Rust links a `no_std` binary only with `panic = "abort"`, so the binary is behind the `bin`
//! feature and built with the `dist` profile, on its own (`-p`: built together with the rest of the
//! workspace, a dependency would bring std in through a feature another member enables):
//!
//! ```text
//! cargo build -p seccomp-launcher --features bin --profile dist
//! cargo xtask launcher    # static musl binaries for x86_64 and aarch64, checked, in target/dist
//! ```
//!
//! `build.rs` supplies the link arguments (static, not PIE, no start files, entry point); see
//! `docs/embedding.md`.
#![no_std]
#![no_main]

mod mem;
mod report;
mod start;

use core::ffi::{CStr, c_char};
use report::{Describe, Lossy, fail};
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::validate;
use seccomp_sys::{Errno, FilterFlags, install, set_no_new_privs};

#[cfg(target_arch = "x86_64")]
include!("../filter/x86_64.rs");
#[cfg(target_arch = "aarch64")]
include!("../filter/aarch64.rs");

/// The filter in static storage, so that the validated program can borrow it for the life of the process.
static PROGRAM: [SockFilter; FILTER.len()] = FILTER;

/// Exit status for a usage error.
const EXIT_USAGE: i32 = 2;
/// Exit status when the embedded filter does not validate.
const EXIT_BAD_FILTER: i32 = 122;
/// Exit status when `no_new_privs` cannot be set.
const EXIT_NO_NEW_PRIVS: i32 = 123;
/// Exit status when the kernel refuses the filter.
const EXIT_INSTALL: i32 = 124;
/// Exit status after a panic.
const EXIT_PANIC: i32 = 125;
/// Exit status when `execve` fails with anything but `ENOENT`.
const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit status when the program does not exist.
const EXIT_NOT_FOUND: i32 = 127;

/// The launcher: validate, `no_new_privs`, install, exec; see the crate documentation.
///
/// `argv` holds the kernel's `argc` argument pointers, which the kernel follows with a null; `envp` is the
/// kernel's null-terminated environment array.
fn main(argv: &'static [*const c_char], envp: *const *const c_char) -> ! {
    let Some(&path) = argv.get(1) else {
        fail(
            EXIT_USAGE,
            format_args!("usage: seccomp-launcher /ABSOLUTE/PATH/TO/PROGRAM [ARGS...]"),
        )
    };
    // SAFETY: every argv entry points at a NUL-terminated string the kernel copied onto the initial
    // stack, which stays mapped and unchanged (nothing writes to it) for the life of the process.
    let path = unsafe { start::c_str(path) };
    if path.to_bytes().first() != Some(&b'/') {
        fail(
            EXIT_USAGE,
            format_args!(
                "the program path must be absolute (there is no PATH search): `{}`",
                Lossy(path.to_bytes())
            ),
        );
    }

    let program = match validate(&PROGRAM) {
        Ok(program) => program,
        Err(error) => fail(
            EXIT_BAD_FILTER,
            format_args!("the embedded filter is invalid: {error}"),
        ),
    };
    if let Err(errno) = set_no_new_privs() {
        fail(
            EXIT_NO_NEW_PRIVS,
            format_args!("cannot set no_new_privs: {}", Describe(errno)),
        );
    }
    if let Err(error) = install(&program, FilterFlags::EMPTY) {
        fail(EXIT_INSTALL, format_args!("{error}"));
    }

    // `argv[1..]` is the program's argv: its pointers, then the kernel's terminating null.
    let program_argv = argv.get(1..).unwrap_or_default().as_ptr();
    // SAFETY: `path` is NUL-terminated, `program_argv` and `envp` are the null-terminated pointer arrays the
    // kernel built (see above), all alive for the life of the process; on success the call does not return.
    let errno = unsafe { execve(path, program_argv, envp) };
    let code = if errno == Errno::NOENT {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_EXECUTE
    };
    fail(
        code,
        format_args!("cannot execute `{}`: {}", Lossy(path.to_bytes()), Describe(errno)),
    )
}

/// `execve(path, argv, envp)`; returns only on failure, with the errno.
///
/// The launcher passes the kernel's own arrays through, which `seccomp_sys::process::execve` (built for
/// callers that hold `&CStr`s, with at most 256 entries copied to the stack) cannot express.
///
/// # Safety
///
/// `argv` and `envp` must be null-terminated arrays of pointers to NUL-terminated strings, readable for
/// the duration of the call.
unsafe fn execve(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: the pointers are valid as the caller promised; execve reads them and either replaces the
    // process image or returns an error without side effects.
    let result = unsafe {
        seccomp_sys::raw::syscall3(
            linux_raw_sys::general::__NR_execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
    match result {
        Err(errno) => errno,
        // execve returns only on failure; a success value would be a kernel bug.
        Ok(_) => Errno::NOEXEC,
    }
}

/// Reports a panic and exits: there is no unwinding (`panic = "abort"`) and no code path is expected to
/// panic, but the language requires a handler in a `no_std` binary.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(location) => fail(
            EXIT_PANIC,
            format_args!("internal error at {location}: {}", info.message()),
        ),
        None => fail(EXIT_PANIC, format_args!("internal error: {}", info.message())),
    }
}
