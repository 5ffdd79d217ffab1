//! Policies: the model, the native text format, and the compiler to a classic-BPF program.
//!
//! One module per stage:
//! - [`model`]: [`Policy`], the rules and their reference semantics ([`Policy::evaluate`]).
//! - [`text`]: the line-oriented text format ([`Policy::parse`], and `Display` back to text).
//! - [`compile`](mod@compile): the optimizing compiler to a validated program ([`compile()`], [`Compiler`]);
//!   [`stats`] measures a program for an arch ([`Stats`]: executed instructions, kernel-cacheable syscalls).
//! - [`verify`](mod@verify): differential checking of a program against [`Policy::evaluate`] ([`verify()`],
//!   [`verify_with`]).
//!
//! Everything works without allocation: capacities are const generics of [`Policy`].

pub mod compile;
pub mod model;
pub mod stats;
pub mod text;
pub mod verify;

pub use compile::{CompileError, Compiled, Compiler, compile};
pub use model::{ARG_COUNT, Alternatives, Comparison, ENOSYS, Op, Policy, PolicyError, Rule, Width, X32};
pub use stats::Stats;
pub use text::{ParseError, ParseErrorKind, Snippet};
pub use verify::{Mismatch, verify, verify_with};
