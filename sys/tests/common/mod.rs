//! Test support for kernel-facing tests: forked children that do only raw syscalls, shared memory to
//! report from them, hand-built filters, signal and thread helpers.
//!
//! Every filter is installed in a forked child, never in the test harness. Kernel tests in one binary are
//! serialized ([`serial`]) so that no child inherits another test's sockets or listener fds (which would keep
//! them open and change what the other test observes).
#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod crosscheck;
pub mod filters;
pub mod signals;

#[allow(unused_imports)] // Each test binary uses a different part.
pub use seccomp_test_support::{
    CHILD_TIMEOUT, Child, INSTALL_FAILED, ListenerChild, Outcome, SLOTS, Shared, encode, raw, serial, spawn,
    thread,
};

/// Prints a visible skip line and returns from the test ([`seccomp_test_support::skip!`]).
#[macro_export]
macro_rules! skip {
    ($($what:tt)*) => {
        seccomp_test_support::skip!($($what)*)
    };
}

/// The parent's pid as the child's `getppid` reports it.
pub fn my_pid() -> i64 {
    i64::from(rustix::process::getpid().as_raw_nonzero().get())
}

/// Waits until `fd` is readable (or hung up), at most [`CHILD_TIMEOUT`]; false on timeout.
pub fn wait_readable(fd: rustix::fd::BorrowedFd<'_>) -> bool {
    seccomp_test_support::wait_readable(fd, CHILD_TIMEOUT)
}

/// Forks a child that installs `filter` with `NEW_LISTENER | flags`, sends the listener to the parent over
/// a socket pair, closes its own copy, and then runs `body` ([`seccomp_test_support::spawn_with_listener`]).
/// Returns the child and the parent's listener, or the child's outcome when no listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `body` may only make raw syscalls and touch memory prepared before the fork.
pub unsafe fn spawn_with_listener<F: FnOnce() -> i32>(
    filter: &[seccomp_core::abi::SockFilter],
    flags: seccomp_sys::FilterFlags,
    body: F,
) -> (Child, Result<seccomp_sys::Listener, Outcome>) {
    let program = filters::valid(filter);
    let setup = ListenerChild {
        program: &program,
        flags,
        close_socket: false,
        timeout: CHILD_TIMEOUT,
    };
    // SAFETY: forwarded from the caller.
    unsafe { seccomp_test_support::spawn_with_listener(&setup, || 0, body) }
}

/// The slot of the [`Shared`] page where [`notifying_child`]'s target stores its syscall's result.
pub const RESULT: usize = 0;

/// Forks a child whose target syscall ([`filters::target`]) notifies (`filters::on_target` with
/// `RET_USER_NOTIF`, installed with `NEW_LISTENER | flags`), then runs `body`; returns the child and the
/// listener, failing the test when no listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `body` may only make raw syscalls and touch memory prepared before the fork.
pub unsafe fn notify_on_target<F: FnOnce() -> i32>(
    flags: seccomp_sys::FilterFlags,
    body: F,
) -> (Child, seccomp_sys::Listener) {
    let filter = filters::on_target(seccomp_core::abi::RET_USER_NOTIF);
    // SAFETY: forwarded from the caller.
    match unsafe { spawn_with_listener(&filter, flags, body) } {
        (child, Ok(listener)) => (child, listener),
        (_, Err(outcome)) => panic!("the child sent no listener: {outcome:?}"),
    }
}

/// A child whose target syscall notifies once; it stores the syscall's result in `shared[RESULT]`.
pub fn notifying_child(shared: &Shared, flags: seccomp_sys::FilterFlags) -> (Child, seccomp_sys::Listener) {
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    unsafe {
        notify_on_target(flags, || {
            shared.set(RESULT, encode(filters::target()));
            0
        })
    }
}

/// Whether the running kernel knows `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (5.19); prints the visible
/// skip line for `test` when it does not.
pub fn has_wait_killable_recv(test: &str) -> bool {
    let known = features().knows_flags(seccomp_sys::FilterFlags::WAIT_KILLABLE_RECV);
    if !known {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: {test}: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)"
        );
    }
    known
}

/// Receives one notification, failing the test if none arrives within [`CHILD_TIMEOUT`].
pub fn recv_one(listener: &seccomp_sys::Listener) -> seccomp_sys::Notification {
    use rustix::fd::AsFd;
    assert!(
        wait_readable(listener.as_fd()),
        "no notification within {CHILD_TIMEOUT:?}"
    );
    listener.recv().expect("recv")
}

/// The features of the running kernel, probed once per test binary.
pub fn features() -> &'static seccomp_sys::Features {
    static FEATURES: std::sync::OnceLock<seccomp_sys::Features> = std::sync::OnceLock::new();
    FEATURES.get_or_init(seccomp_sys::Features::probe)
}

/// Whether the program at `path` exists; if not (a bare VM's initramfs), prints a visible skip for
/// `test` and returns false.
pub fn have_program(test: &str, path: &str) -> bool {
    let present = std::path::Path::new(path).exists();
    if !present {
        eprintln!("SKIP: {test}: {path} is not installed");
    }
    present
}
