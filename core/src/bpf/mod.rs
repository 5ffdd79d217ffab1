//! Classic BPF as seccomp uses it: the instruction vocabulary, the validated program type, and (in the
//! submodules) the validator, emulator, builder, disassembler, assembler and raw program I/O.
//!
//! The central invariant: a [`Validated`] program is one the kernel's `SECCOMP_SET_MODE_FILTER` would accept.
//! Only the validator constructs it, and the emulator and the installer in `seccomp-sys` accept nothing else.
//!
//! The stages, one module each: [`writer`] (the one program writer, backwards, with trampolines and shared
//! returns) and its forward front [`builder`] (emit code with labels) → [`validate`](mod@validate) (the kernel's checks) →
//! [`emulate`](mod@emulate) (run it) and [`cache`] (what the kernel's action cache makes free); [`raw`] reads and writes
//! the binary form, [`disasm`] and [`asm`] the text form; `generate` (behind the `generate` feature, for tests,
//! fuzzing and the xtask) makes test programs.

pub mod annotate;
pub mod asm;
pub mod budget;
pub mod builder;
pub mod cache;
pub mod disasm;
pub mod emulate;
#[cfg(feature = "generate")]
pub mod generate;
pub mod insn;
mod program;
pub mod raw;
pub mod validate;
pub mod writer;

pub use asm::{AsmError, assemble};
pub use budget::{PathBudgetError, check_stack_budget, converted_len};
pub use builder::{BuildError, Builder, Label, Target};
pub use disasm::{Listing, disassemble};
pub use emulate::{Emulation, emulate, emulate_stack, trace};
pub use program::Validated;
pub use raw::RawError;
pub use validate::{Rule, ValidationError, validate};
pub use writer::Writer;
