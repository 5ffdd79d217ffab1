//! What the policy tests share: the parser of their x86_64 policy texts, the compile-and-verify step
//! every compiled program goes through, and the errno action.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use seccomp_core::abi::SockFilter;
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Policy, compile, verify};

/// `Action::errno(value)`, for values known to be valid.
pub fn errno(value: u32) -> Action {
    Action::errno(value).expect("errno")
}

/// Parses `text` for x86_64, panicking with the error and the text.
pub fn parse(text: &str) -> Policy<2048, 512> {
    Policy::parse(text, Arch::X86_64).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Compiles, verifies against `Policy::evaluate` on every arch value and returns the instructions.
pub fn check<const R: usize, const C: usize>(policy: &Policy<R, C>) -> Vec<SockFilter> {
    let mut buf = [SockFilter::ret(0); 4096];
    let compiled = compile(policy, &mut buf).unwrap_or_else(|e| panic!("{e}\n{policy}"));
    if let Err(mismatch) = verify(policy, &compiled.program()) {
        panic!("{mismatch}\n{policy}");
    }
    compiled.program().insns().to_vec()
}
