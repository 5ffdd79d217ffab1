//! What a run used: how often each syscall was made, per ABI, and with `--args` the arguments worth
//! learning ([`ArgRule`]).

use seccomp_core::arch::Arch;
use std::collections::{BTreeMap, BTreeSet};

/// The syscalls whose arguments `--args` learns, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgRule {
    /// The values one argument (its low 32 bits) took: `socket`'s family, `ioctl`'s request, `prctl`'s
    /// option. The policy allows exactly those.
    Values {
        /// The argument index.
        arg: u8,
    },
    /// minijail's W^X rule for `mmap`, `mprotect` and `pkey_mprotect`: allowed unless the protection
    /// (argument `arg`) asks for write and execute at once, unless the run itself did that.
    NoWriteExec {
        /// The argument index of the protection flags.
        arg: u8,
    },
}

/// `PROT_WRITE | PROT_EXEC`.
pub const WRITE_EXEC: u64 = 0x2 | 0x4;

impl ArgRule {
    /// The argument rule for syscall `name`, if `--args` learns its arguments.
    pub fn of(name: &str) -> Option<ArgRule> {
        match name {
            "socket" | "prctl" => Some(ArgRule::Values { arg: 0 }),
            "ioctl" => Some(ArgRule::Values { arg: 1 }),
            "mmap" | "mprotect" | "pkey_mprotect" => Some(ArgRule::NoWriteExec { arg: 2 }),
            _ => None,
        }
    }
}

/// What the arguments of one syscall showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgsSeen {
    /// For [`ArgRule::Values`]: the values.
    pub values: BTreeSet<u64>,
    /// For [`ArgRule::NoWriteExec`]: whether a call asked for write and execute at once.
    pub write_exec: bool,
}

/// What one or more runs used.
#[derive(Debug, Default)]
pub struct Usage {
    /// Per architecture, the calls made of each number.
    pub by_arch: BTreeMap<Arch, BTreeMap<u32, u64>>,
    /// `(audit arch, nr)` of syscalls of unknown ABIs.
    pub unknown: BTreeSet<(u32, i32)>,
    /// With `--args`, per native syscall number with an [`ArgRule`], what its arguments showed.
    pub args: BTreeMap<u32, ArgsSeen>,
}

impl Usage {
    /// Records one syscall; `learn_args` for the native ABI when `--args` is given.
    pub fn record(&mut self, audit: u32, nr: i32, args: &[u64; 6], native: Arch, learn_args: bool) {
        let Some(arch) = Arch::from_seccomp_data(audit, nr as u32) else {
            self.unknown.insert((audit, nr));
            return;
        };
        let nr = nr as u32;
        *self.by_arch.entry(arch).or_default().entry(nr).or_default() += 1;
        if !learn_args || arch != native {
            return;
        }
        let Some(rule) = arch.syscall_name(nr).and_then(ArgRule::of) else {
            return;
        };
        let seen = self.args.entry(nr).or_default();
        match rule {
            ArgRule::Values { arg } => {
                let value = args.get(usize::from(arg)).copied().unwrap_or(0) & 0xffff_ffff;
                seen.values.insert(value);
            }
            ArgRule::NoWriteExec { arg } => {
                let prot = args.get(usize::from(arg)).copied().unwrap_or(0);
                seen.write_exec |= prot & WRITE_EXEC == WRITE_EXEC;
            }
        }
    }

    /// The native calls of number `nr` seen.
    pub fn count(&self, arch: Arch, nr: u32) -> u64 {
        self.by_arch
            .get(&arch)
            .and_then(|counts| counts.get(&nr))
            .copied()
            .unwrap_or(0)
    }

    /// How many distinct syscalls of `arch` were used.
    pub fn distinct(&self, arch: Arch) -> usize {
        self.by_arch.get(&arch).map_or(0, BTreeMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_argument_values_are_recorded_for_the_native_abi_only() {
        let native = Arch::X86_64;
        let audit = seccomp_core::abi::AUDIT_ARCH_X86_64;
        let socket = native.syscall_nr("socket").unwrap_or(0);
        let mmap = native.syscall_nr("mmap").unwrap_or(0);
        let mut usage = Usage::default();
        usage.record(audit, socket as i32, &[10, 1, 0, 0, 0, 0], native, true);
        usage.record(
            audit,
            socket as i32,
            &[0xffff_ffff_0000_0001, 1, 0, 0, 0, 0],
            native,
            true,
        );
        usage.record(audit, mmap as i32, &[0, 4096, 3, 0, 0, 0], native, true);
        assert_eq!(usage.count(native, socket), 2);
        assert_eq!(
            usage.args.get(&socket).map(|seen| seen.values.clone()),
            Some([1, 10].into_iter().collect())
        );
        assert_eq!(usage.args.get(&mmap).map(|seen| seen.write_exec), Some(false));
        usage.record(audit, mmap as i32, &[0, 4096, 7, 0, 0, 0], native, true);
        assert_eq!(usage.args.get(&mmap).map(|seen| seen.write_exec), Some(true));
    }
}
