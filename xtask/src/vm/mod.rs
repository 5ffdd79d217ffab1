//! The parts of `cargo xtask vm-test` (see `vm_test.rs`): one module per stage, each with its own tests.
//!
//! - [`setup`]: installs qemu-system and the musl Rust targets when missing;
//! - [`kernel`]: fetches and caches Debian's kernel image through a private apt state;
//! - [`build`]: builds static musl test executables, the init and the CLI, found from cargo's JSON;
//! - [`plan`]: writes `/vm-plan`, the programs the guest init runs;
//! - [`cpio`]: the newc cpio format; [`initramfs`]: the guest image written with it (one writer for
//!   vm-test and the launcher's VM run);
//! - [`qemu`]: boots the guest and captures the serial console;
//! - [`summary`]: parses the console into a verdict;
//! - [`arch`]: what differs between aarch64 and x86_64.

pub mod arch;
pub mod build;
pub mod cpio;
pub mod initramfs;
pub mod kernel;
pub mod plan;
pub mod qemu;
pub mod setup;
pub mod summary;
