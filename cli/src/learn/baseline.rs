//! What a learned policy contains beyond what the run showed.
//!
//! [`ALWAYS`] are allowed whether seen or not: syscalls every program may make at a moment a short run
//! does not reach. [`FALLBACKS`] are syscalls that glibc (and a few common libraries) try first and
//! replace by an older call when the kernel answers `ENOSYS`; when the run did not use them (the host's
//! glibc may not try them yet, or a thread start did not happen), the policy answers `errno(ENOSYS)`
//! rather than the default: an `EPERM` from `clone3` makes `pthread_create` fail where `ENOSYS` makes glibc
//! use `clone`.

/// Syscalls allowed in every learned policy, with the reason (also written in the file).
pub const ALWAYS: &[(&str, &str)] = &[
    (
        "rt_sigreturn",
        "the return from every signal handler: the first signal a handler catches needs it",
    ),
    (
        "restart_syscall",
        "made by the kernel itself to resume a sleep a signal interrupted",
    ),
    ("exit", "the end of every thread but the last"),
    (
        "futex",
        "glibc's locks and thread joins sleep in it once two threads meet; glibc aborts when it fails",
    ),
    ("exit_group", "the end of the process"),
];

/// Syscalls with a fallback on `ENOSYS`, with what falls back and to what.
pub const FALLBACKS: &[(&str, &str)] = &[
    (
        "clone3",
        "glibc 2.34+ pthread_create, posix_spawn; falls back to clone",
    ),
    (
        "faccessat2",
        "glibc faccessat/access with flags; falls back to faccessat",
    ),
    ("fchmodat2", "glibc 2.39+ fchmodat/lchmod; falls back to fchmodat"),
    ("statx", "glibc and gnulib stat; fall back to newfstatat"),
    (
        "close_range",
        "glibc closefrom; falls back to closing each fd in /proc/self/fd",
    ),
    ("rseq", "glibc 2.35+ thread start registers rseq; runs without it"),
    ("preadv2", "glibc preadv2 with no flags; falls back to preadv"),
    ("pwritev2", "glibc pwritev2 with no flags; falls back to pwritev"),
    ("openat2", "systemd and util-linux libraries; fall back to openat"),
];

/// The reason `name` is always allowed, if it is.
pub fn always_reason(name: &str) -> Option<&'static str> {
    ALWAYS.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

/// What falls back from `name`, if it has a fallback.
pub fn fallback_reason(name: &str) -> Option<&'static str> {
    FALLBACKS.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}
