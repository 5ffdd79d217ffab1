//! Architectures: audit values, names and syscall tables.
//!
//! A seccomp filter sees the caller's architecture as `seccomp_data.arch` (an `AUDIT_ARCH_*` value) and the
//! syscall number as `seccomp_data.nr`. [`Arch`] ties the two together with the kernel's syscall table for
//! each supported architecture: x86_64, x32, i386, aarch64 and 32-bit arm (EABI, natively or as the compat
//! ABI of an arm64 kernel).
//!
//! # x32
//!
//! x32 is a distinct [`Arch`] even though it shares the audit value `AUDIT_ARCH_X86_64` with x86_64: an x32
//! syscall reaches the filter with `arch == AUDIT_ARCH_X86_64` and [`X32_SYSCALL_BIT`] (bit 30,
//! `0x4000_0000`) set in `nr`. Every [`Arch::X86_64`] number is below that bit and every [`Arch::X32`]
//! number has it set, so a policy compiler handles both as separate syscall tables under one arch check:
//! after matching `AUDIT_ARCH_X86_64` it must test bit 30 to tell them apart (and a filter for x86_64 alone
//! must refuse numbers with the bit set, or x32 syscalls slip past its number checks).
//! [`Arch::from_audit`] therefore answers [`Arch::X86_64`] for `AUDIT_ARCH_X86_64`, and
//! [`Arch::from_seccomp_data`] uses the number as well.

use core::fmt;

use crate::abi::{AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};
use crate::syscalls;
pub use crate::syscalls::{SyscallIter, SyscallTable};

/// A Linux syscall ABI that seccomp filters can be written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Arch {
    /// 64-bit x86 (`AUDIT_ARCH_X86_64`, numbers below `__X32_SYSCALL_BIT`).
    X86_64,
    /// The x32 ABI of x86_64 (`AUDIT_ARCH_X86_64`, numbers with `__X32_SYSCALL_BIT` set).
    X32,
    /// 32-bit x86 (`AUDIT_ARCH_I386`), natively or as the compat ABI of an x86_64 kernel.
    I386,
    /// 64-bit little-endian arm (`AUDIT_ARCH_AARCH64`).
    Aarch64,
    /// 32-bit little-endian arm, EABI (`AUDIT_ARCH_ARM`), natively or as the compat ABI of an arm64 kernel.
    /// Its table includes the ARM-private calls (`cacheflush`, `set_tls`, ... at `0x0f0000 + n`).
    Arm,
}

impl Arch {
    /// Every supported architecture, in declaration order.
    pub const ALL: [Arch; 5] = [Arch::X86_64, Arch::X32, Arch::I386, Arch::Aarch64, Arch::Arm];

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch` for this ABI (the same for
    /// [`Arch::X86_64`] and [`Arch::X32`]).
    pub const fn audit(self) -> u32 {
        match self {
            Arch::X86_64 | Arch::X32 => AUDIT_ARCH_X86_64,
            Arch::I386 => AUDIT_ARCH_I386,
            Arch::Aarch64 => AUDIT_ARCH_AARCH64,
            Arch::Arm => AUDIT_ARCH_ARM,
        }
    }

    /// The architecture of an audit value; `AUDIT_ARCH_X86_64` gives [`Arch::X86_64`] because the audit
    /// value alone cannot tell x32 apart (see [`Arch::from_seccomp_data`]). `None` for other values.
    pub const fn from_audit(audit: u32) -> Option<Arch> {
        match audit {
            AUDIT_ARCH_X86_64 => Some(Arch::X86_64),
            AUDIT_ARCH_I386 => Some(Arch::I386),
            AUDIT_ARCH_AARCH64 => Some(Arch::Aarch64),
            AUDIT_ARCH_ARM => Some(Arch::Arm),
            _ => None,
        }
    }

    /// The ABI of a syscall as a filter sees it (`seccomp_data.arch` and `seccomp_data.nr`): like
    /// [`Arch::from_audit`], but an x86_64 number with `__X32_SYSCALL_BIT` set gives [`Arch::X32`].
    pub const fn from_seccomp_data(audit: u32, nr: u32) -> Option<Arch> {
        match Arch::from_audit(audit) {
            Some(Arch::X86_64) if nr & X32_SYSCALL_BIT != 0 => Some(Arch::X32),
            other => other,
        }
    }

    /// The ABI of the compile target, or `None` when the target is none of the supported ones.
    pub const fn native() -> Option<Arch> {
        if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
            Some(Arch::X86_64)
        } else if cfg!(all(target_arch = "x86_64", target_pointer_width = "32")) {
            Some(Arch::X32)
        } else if cfg!(target_arch = "x86") {
            Some(Arch::I386)
        } else if cfg!(all(target_arch = "aarch64", target_endian = "little")) {
            Some(Arch::Aarch64)
        } else if cfg!(all(target_arch = "arm", target_endian = "little")) {
            Some(Arch::Arm)
        } else {
            None
        }
    }

    /// The canonical name: `x86_64`, `x32`, `i386`, `aarch64` or `arm` (also what [`fmt::Display`] prints).
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X32 => "x32",
            Arch::I386 => "i386",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
        }
    }

    /// The name used by the OCI runtime spec and libseccomp (`SCMP_ARCH_X86_64`, `SCMP_ARCH_X32`,
    /// `SCMP_ARCH_X86`, `SCMP_ARCH_AARCH64`, `SCMP_ARCH_ARM`).
    pub const fn oci_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "SCMP_ARCH_X86_64",
            Arch::X32 => "SCMP_ARCH_X32",
            Arch::I386 => "SCMP_ARCH_X86",
            Arch::Aarch64 => "SCMP_ARCH_AARCH64",
            Arch::Arm => "SCMP_ARCH_ARM",
        }
    }

    /// Every name [`Arch::from_name`] accepts for this architecture, canonical name first.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["x86_64", "amd64", "x86-64", "SCMP_ARCH_X86_64"],
            Arch::X32 => &["x32", "SCMP_ARCH_X32"],
            Arch::I386 => &["i386", "x86", "i686", "SCMP_ARCH_X86"],
            Arch::Aarch64 => &["aarch64", "arm64", "SCMP_ARCH_AARCH64"],
            Arch::Arm => &["arm", "armhf", "armel", "arm32", "SCMP_ARCH_ARM"],
        }
    }

    /// Parses an architecture name: any of [`Arch::aliases`], ignoring ASCII case (so `AMD64` and
    /// `scmp_arch_x86_64` are accepted too). `None` for anything else.
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|arch| {
            arch.aliases()
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
        })
    }

    /// The compat ABI of a machine whose native ABI is this one: i386 for x86_64, arm for aarch64 (`None`
    /// otherwise). A 64-bit kernel with compat support runs both, and a filter sees both arch values.
    pub const fn compat(self) -> Option<Arch> {
        match self {
            Arch::X86_64 => Some(Arch::I386),
            Arch::Aarch64 => Some(Arch::Arm),
            _ => None,
        }
    }

    /// The kernel's syscall table for this ABI, with numbers as `seccomp_data.nr` carries them (x32 numbers
    /// include `__X32_SYSCALL_BIT`).
    pub fn syscalls(self) -> &'static SyscallTable {
        match self {
            Arch::X86_64 => &syscalls::X86_64,
            Arch::X32 => &syscalls::X32,
            Arch::I386 => &syscalls::I386,
            Arch::Aarch64 => &syscalls::AARCH64,
            Arch::Arm => &syscalls::ARM,
        }
    }

    /// The number of syscall `name` on this ABI, or `None` when its table has no such name; shorthand for
    /// `self.syscalls().nr(name)`.
    pub fn syscall_nr(self, name: &str) -> Option<u32> {
        self.syscalls().nr(name)
    }

    /// The name of syscall number `nr` on this ABI, or `None` when its table has no such number; shorthand
    /// for `self.syscalls().name(nr)`.
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        self.syscalls().name(nr)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
