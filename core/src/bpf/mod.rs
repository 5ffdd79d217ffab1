//! Classic BPF as seccomp uses it: the instruction vocabulary, the validated program type, and (in the
//! submodules) the validator, emulator, builder, disassembler, assembler and raw program I/O.
//!
//! The central invariant: a [`Validated`] program is one the kernel's `SECCOMP_SET_MODE_FILTER` would accept.
//! Only the validator constructs it, and the emulator and the installer in `seccomp-sys` accept nothing else.

pub mod builder;
pub mod emulate;
pub mod generate;
pub mod insn;
mod program;
pub mod validate;

pub use builder::{BuildError, Builder, Label, Target};
pub use emulate::{Emulation, emulate, emulate_stack};
pub use program::Validated;
pub use validate::{PathBudgetError, Rule, ValidationError, validate, validate_stack_budget};
