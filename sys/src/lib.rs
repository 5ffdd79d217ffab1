//! `seccomp-sys`: the seccomp system calls for Linux, without libc and without allocation.
//!
//! Built on rustix's `linux_raw` backend; the few calls rustix lacks (`seccomp(2)`, `process_vm_readv(2)`,
//! fork through `clone(2)`, `execve(2)`) go through [`raw`], the crate's only inline assembly, one small
//! module per architecture (x86_64 and aarch64).
//!
//! Modules, one job each:
//! - [`filter`]: `no_new_privs`, installing validated or raw programs, strict mode.
//! - [`flags`]: the typed filter flags.
//! - [`probe`] and [`features`]: what the running kernel supports, without installing anything in the caller.
//! - [`listener`]: the user-notification fd: receive, respond, `ID_VALID`, `ADDFD`, flags, readiness.
//! - [`mem`]: reading a target's memory, handed back only after the notification is re-validated.
//! - [`fdpass`]: pidfd and `SCM_RIGHTS` fd passing.
//! - [`process`]: fork and exec without allocation, for init systems.
//! - [`ptrace`]: reading the filters installed in another process.
//! - [`spawn`]: run a program under a filter and take over its listener without deadlock (shared fd table),
//!   optionally behind a guard process that ends the program's whole tree with the caller (`guard`).
//!
//! Unsafe code is confined to the modules whose documentation has a `# Safety` section (`raw`, `ioctl`,
//! `process`, `probe`, `ptrace`, `spawn`, `guard`); the rest of the crate denies it.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod fdpass;
pub mod features;
pub mod filter;
pub mod flags;
mod guard;
mod ioctl;
pub mod listener;
pub mod mem;
pub mod probe;
pub mod process;
pub mod ptrace;
pub mod raw;
pub mod spawn;

pub use features::Features;
pub use filter::{
    InstallError, enter_strict_mode, install, install_unvalidated, no_new_privs, set_no_new_privs,
};
pub use flags::FilterFlags;
pub use listener::{AddFd, Listener, Notification, Response};
pub use rustix::io::Errno;
