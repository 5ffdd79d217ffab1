//! `seccomp-core`: everything about seccomp that needs no kernel.
//!
//! This crate is `no_std`, needs no allocator and contains no `unsafe`. It models the kernel's seccomp ABI,
//! composes actions exactly as the kernel does, and validates, emulates, disassembles and assembles
//! classic-BPF filter programs. See `ARCHITECTURE.md` at the repository root for the codemap.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;
pub mod abi;
pub mod action;
mod action_syntax;
pub use action_syntax::{
    ActionParseError, ActionParseErrorKind, OCI_DEFAULT_ERRNO, OciAction, OciActionError,
};
pub mod arch;
pub mod bpf;
pub mod elf_module;
pub mod errno;
pub mod number;
pub mod policy;
pub mod rng;
pub use rng::Rng;
mod syscalls;
pub use syscalls::groups;
