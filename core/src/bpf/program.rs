//! The validated program type.

use crate::abi::SockFilter;

/// A classic-BPF program that passed the kernel's checks (`bpf_check_classic`, `seccomp_check_filter` and the
/// scratch-memory rule): installing it with `SECCOMP_SET_MODE_FILTER` cannot fail with `EINVAL`.
///
/// It borrows the instructions, so it costs nothing to pass around and works from any storage: a `static`
/// array, a `heapless::Vec`, a stack buffer. Only the validator in this crate creates one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validated<'a> {
    insns: &'a [SockFilter],
}

impl<'a> Validated<'a> {
    /// Wraps instructions the validator has accepted. Crate-private: everything outside reaches a
    /// `Validated` only through validation.
    #[allow(dead_code)] // Used by the validator.
    pub(crate) const fn new_unchecked(insns: &'a [SockFilter]) -> Self {
        Validated { insns }
    }

    /// The instructions.
    pub const fn insns(&self) -> &'a [SockFilter] {
        self.insns
    }

    /// The number of instructions (1 to 4096).
    pub const fn len(&self) -> usize {
        self.insns.len()
    }

    /// Always false: a valid program has at least one instruction. Present for API symmetry with slices.
    pub const fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }
}
