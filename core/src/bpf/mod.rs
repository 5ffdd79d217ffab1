//! Classic BPF as seccomp uses it: the instruction vocabulary, the validated program type, and (in the
//! submodules) the validator, emulator, builder, disassembler, assembler and raw program I/O.
//!
//! The central invariant: a [`Validated`] program is one the kernel's `SECCOMP_SET_MODE_FILTER` would accept.
//! Only the validator constructs it, and the emulator and the installer in `seccomp-sys` accept nothing else.

pub mod insn;
mod program;

pub use program::Validated;
