//! The string constants of the OCI seccomp vocabulary: actions, comparison operators, architectures and
//! filter flags, with the exact spellings of libseccomp's `seccomp.h` that the runtime spec adopts.

use core::fmt;

/// Defines a closed set of names: the enum, `ALL`, `name`, `from_name`, `Display` and `Serialize` (as the
/// name string).
macro_rules! names {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The name as written in a profile.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $ty::$variant => $name, )*
                }
            }

            /// The value with this exact (case-sensitive) name, as libseccomp and runc spell it.
            pub fn from_name(name: &str) -> Option<$ty> {
                match name {
                    $( $name => Some($ty::$variant), )*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }
    };
}

names! {
    /// A rule's action (`SCMP_ACT_*`).
    pub enum ScmpAction {
        /// `SCMP_ACT_KILL`: libseccomp's original kill, which kills the calling thread (runc maps it to
        /// `SCMP_ACT_KILL_THREAD`).
        Kill = "SCMP_ACT_KILL",
        /// `SCMP_ACT_KILL_PROCESS`: kill the whole process.
        KillProcess = "SCMP_ACT_KILL_PROCESS",
        /// `SCMP_ACT_KILL_THREAD`: kill the calling thread.
        KillThread = "SCMP_ACT_KILL_THREAD",
        /// `SCMP_ACT_TRAP`: deliver SIGSYS.
        Trap = "SCMP_ACT_TRAP",
        /// `SCMP_ACT_ERRNO`: fail with `errnoRet` (EPERM when absent).
        Errno = "SCMP_ACT_ERRNO",
        /// `SCMP_ACT_TRACE`: notify a ptrace tracer with `errnoRet` (EPERM when absent) as the event message.
        Trace = "SCMP_ACT_TRACE",
        /// `SCMP_ACT_ALLOW`: allow.
        Allow = "SCMP_ACT_ALLOW",
        /// `SCMP_ACT_LOG`: allow and log.
        Log = "SCMP_ACT_LOG",
        /// `SCMP_ACT_NOTIFY`: hand the syscall to the user-space listener.
        Notify = "SCMP_ACT_NOTIFY",
    }
}

impl ScmpAction {
    /// Whether the action carries an errno return code (`errnoRet`): ERRNO and TRACE only. The runtime spec
    /// requires runtimes to fail when `errnoRet` is given with any other action.
    pub const fn takes_errno(self) -> bool {
        matches!(self, ScmpAction::Errno | ScmpAction::Trace)
    }
}

names! {
    /// An argument comparison operator (`SCMP_CMP_*`).
    pub enum ScmpCompare {
        /// `arg != value`.
        Ne = "SCMP_CMP_NE",
        /// `arg < value` (unsigned).
        Lt = "SCMP_CMP_LT",
        /// `arg <= value` (unsigned).
        Le = "SCMP_CMP_LE",
        /// `arg == value`.
        Eq = "SCMP_CMP_EQ",
        /// `arg >= value` (unsigned).
        Ge = "SCMP_CMP_GE",
        /// `arg > value` (unsigned).
        Gt = "SCMP_CMP_GT",
        /// `(arg & value) == (valueTwo & value)`: libseccomp masks the datum as well.
        MaskedEq = "SCMP_CMP_MASKED_EQ",
    }
}

impl ScmpCompare {
    /// Evaluates the comparison on a 64-bit argument as libseccomp defines it: unsigned 64-bit comparisons,
    /// and `(arg & value) == (value_two & value)` for `SCMP_CMP_MASKED_EQ`.
    pub const fn matches(self, arg: u64, value: u64, value_two: u64) -> bool {
        match self {
            ScmpCompare::Ne => arg != value,
            ScmpCompare::Lt => arg < value,
            ScmpCompare::Le => arg <= value,
            ScmpCompare::Eq => arg == value,
            ScmpCompare::Ge => arg >= value,
            ScmpCompare::Gt => arg > value,
            // libseccomp masks the datum too (db.c `_db_node_mask_fixup`).
            ScmpCompare::MaskedEq => arg & value == value_two & value,
        }
    }
}

names! {
    /// An architecture (`SCMP_ARCH_*`), as listed by the runtime spec (libseccomp 2.5).
    pub enum ScmpArch {
        /// 32-bit x86.
        X86 = "SCMP_ARCH_X86",
        /// x86_64.
        X86_64 = "SCMP_ARCH_X86_64",
        /// The x32 ABI of x86_64.
        X32 = "SCMP_ARCH_X32",
        /// 32-bit arm.
        Arm = "SCMP_ARCH_ARM",
        /// 64-bit arm.
        Aarch64 = "SCMP_ARCH_AARCH64",
        /// 32-bit big-endian MIPS.
        Mips = "SCMP_ARCH_MIPS",
        /// 64-bit big-endian MIPS.
        Mips64 = "SCMP_ARCH_MIPS64",
        /// The n32 ABI of big-endian MIPS64.
        Mips64N32 = "SCMP_ARCH_MIPS64N32",
        /// 32-bit little-endian MIPS.
        Mipsel = "SCMP_ARCH_MIPSEL",
        /// 64-bit little-endian MIPS.
        Mipsel64 = "SCMP_ARCH_MIPSEL64",
        /// The n32 ABI of little-endian MIPS64.
        Mipsel64N32 = "SCMP_ARCH_MIPSEL64N32",
        /// 32-bit PowerPC.
        Ppc = "SCMP_ARCH_PPC",
        /// 64-bit big-endian PowerPC.
        Ppc64 = "SCMP_ARCH_PPC64",
        /// 64-bit little-endian PowerPC.
        Ppc64le = "SCMP_ARCH_PPC64LE",
        /// 31-bit s390.
        S390 = "SCMP_ARCH_S390",
        /// 64-bit s390x.
        S390x = "SCMP_ARCH_S390X",
        /// 32-bit PA-RISC.
        Parisc = "SCMP_ARCH_PARISC",
        /// 64-bit PA-RISC.
        Parisc64 = "SCMP_ARCH_PARISC64",
        /// 64-bit RISC-V.
        Riscv64 = "SCMP_ARCH_RISCV64",
    }
}

impl ScmpArch {
    /// libseccomp's short name for the architecture (`seccomp_arch_resolve_name`), which is what Docker
    /// matches against the `arches` lists of a profile's `includes` and `excludes`: `amd64`, `x86`, `x32`,
    /// `arm64`, `arm`, `s390x`, ...
    pub const fn native_name(self) -> &'static str {
        match self {
            ScmpArch::X86 => "x86",
            ScmpArch::X86_64 => "amd64",
            ScmpArch::X32 => "x32",
            ScmpArch::Arm => "arm",
            ScmpArch::Aarch64 => "arm64",
            ScmpArch::Mips => "mips",
            ScmpArch::Mips64 => "mips64",
            ScmpArch::Mips64N32 => "mips64n32",
            ScmpArch::Mipsel => "mipsel",
            ScmpArch::Mipsel64 => "mipsel64",
            ScmpArch::Mipsel64N32 => "mipsel64n32",
            ScmpArch::Ppc => "ppc",
            ScmpArch::Ppc64 => "ppc64",
            ScmpArch::Ppc64le => "ppc64le",
            ScmpArch::S390 => "s390",
            ScmpArch::S390x => "s390x",
            ScmpArch::Parisc => "parisc",
            ScmpArch::Parisc64 => "parisc64",
            ScmpArch::Riscv64 => "riscv64",
        }
    }
}

names! {
    /// A flag for `seccomp(SECCOMP_SET_MODE_FILTER)` (`SECCOMP_FILTER_FLAG_*`), as listed by the runtime spec.
    pub enum FilterFlag {
        /// `SECCOMP_FILTER_FLAG_TSYNC`: install on every thread.
        Tsync = "SECCOMP_FILTER_FLAG_TSYNC",
        /// `SECCOMP_FILTER_FLAG_LOG`: log every action except ALLOW.
        Log = "SECCOMP_FILTER_FLAG_LOG",
        /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: keep speculative store bypass mitigation off.
        SpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`: a notified task waits killably once the listener has
        /// received the notification.
        WaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    }
}

impl FilterFlag {
    /// The flag's bit in the `flags` argument of `seccomp(2)`.
    pub const fn bit(self) -> u32 {
        use seccomp_core::abi;
        match self {
            FilterFlag::Tsync => abi::FILTER_FLAG_TSYNC,
            FilterFlag::Log => abi::FILTER_FLAG_LOG,
            FilterFlag::SpecAllow => abi::FILTER_FLAG_SPEC_ALLOW,
            FilterFlag::WaitKillableRecv => abi::FILTER_FLAG_WAIT_KILLABLE_RECV,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_value_and_names_are_case_sensitive() {
        for action in ScmpAction::ALL {
            assert_eq!(ScmpAction::from_name(action.name()), Some(*action));
        }
        for op in ScmpCompare::ALL {
            assert_eq!(ScmpCompare::from_name(op.name()), Some(*op));
        }
        for arch in ScmpArch::ALL {
            assert_eq!(ScmpArch::from_name(arch.name()), Some(*arch));
        }
        for flag in FilterFlag::ALL {
            assert_eq!(FilterFlag::from_name(flag.name()), Some(*flag));
        }
        assert_eq!(ScmpAction::ALL.len(), 9);
        assert_eq!(ScmpArch::ALL.len(), 19);
        assert_eq!(ScmpAction::from_name("scmp_act_allow"), None);
        assert_eq!(ScmpCompare::from_name("SCMP_CMP_FOO"), None);
    }

    #[test]
    fn masked_eq_compares_the_masked_argument_with_value_two() {
        // Docker's clone rule: allowed when none of the namespace flags are set.
        let mask = 0x7E02_0000;
        assert!(ScmpCompare::MaskedEq.matches(0x0001_1200, mask, 0));
        assert!(!ScmpCompare::MaskedEq.matches(0x1000_0000, mask, 0));
        assert!(ScmpCompare::MaskedEq.matches(0xff, 0x0f, 0x0f));
        // Comparisons are unsigned and 64-bit.
        assert!(ScmpCompare::Gt.matches(u64::MAX, 1 << 32, 0));
        assert!(ScmpCompare::Lt.matches(1, u64::MAX, 0));
        assert!(ScmpCompare::Ne.matches(1 << 32, 0, 0));
    }

    #[test]
    fn only_errno_and_trace_take_an_errno() {
        let taking: Vec<_> = ScmpAction::ALL.iter().filter(|a| a.takes_errno()).collect();
        assert_eq!(taking, [&ScmpAction::Errno, &ScmpAction::Trace]);
    }
}
