//! The logic of `seccompctl learn` (the subcommand itself is `cli/src/cmd/learn.rs`): what a run used,
//! what every policy needs beyond that, and the policy file written from it.
//!
//! Data flows through the modules in this order: [`usage`] records each notified syscall (with counts,
//! and with `--args` the arguments worth learning); [`existing`] reads the policy `--merge` grows;
//! [`baseline`] adds what every program needs without showing it in a short run, and answers `ENOSYS` to
//! syscalls glibc falls back from; [`render`] writes the file, grouped by what the syscalls do, with
//! systemd groups where a whole group was used; [`atomic`] puts it in place only once the run succeeded.

pub mod atomic;
pub mod baseline;
pub mod categories;
pub mod existing;
pub mod render;
pub mod usage;
