//! Figures of a program: its length, the instructions it executes per syscall of an arch's table (run in
//! the emulator) and how many syscalls the kernel's action cache will serve without running it.
//!
//! It measures any validated program (a compiled policy, another compiler's output) for an arch; it does
//! not know the compiler.

use crate::abi::SeccompData;
use crate::arch::Arch;
use crate::bpf::{Validated, cache, emulate};

/// Figures of a program over an arch's syscall table (arguments all zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Instructions in the program.
    pub len: usize,
    /// Syscalls in the arch's table (the population of the figures below).
    pub syscalls: usize,
    /// Instructions executed, summed over the table.
    pub executed_total: usize,
    /// The most instructions executed for one syscall of the table.
    pub executed_max: usize,
    /// Syscalls of the table the kernel's action cache will allow without running the filter
    /// ([`cache::is_const_allow`]; not counting the kernel's uprobe exemption).
    pub cacheable: usize,
    /// Syscalls of the table the program answers `errno(ENOSYS)` (arguments zero): those above an ENOSYS
    /// ceiling ([`crate::policy::Policy::enosys_above`]), and any a rule or the default answers so.
    pub enosys: usize,
}

impl Stats {
    /// Measures `program` over the table of `arch`, with `seccomp_data.arch` set to its audit value.
    pub fn measure(program: &Validated<'_>, arch: Arch) -> Stats {
        let mut stats = Stats {
            len: program.len(),
            syscalls: 0,
            executed_total: 0,
            executed_max: 0,
            cacheable: 0,
            enosys: 0,
        };
        for (_, nr) in arch.syscalls().iter() {
            let data = SeccompData {
                nr: nr as i32,
                arch: arch.audit(),
                instruction_pointer: 0,
                args: [0; 6],
            };
            let run = emulate(program, &data);
            stats.syscalls += 1;
            stats.executed_total += run.executed;
            stats.executed_max = stats.executed_max.max(run.executed);
            if run.action == crate::policy::model::ENOSYS {
                stats.enosys += 1;
            }
            if cache::is_const_allow(program, arch.audit(), nr as i32) {
                stats.cacheable += 1;
            }
        }
        stats
    }

    /// Measures `program` once per ABI of `abis` (for a multi-ABI policy: `policy.abis()`, with
    /// [`Arch::X32`] added when x32 is covered), each over its own table and arch value.
    pub fn per_abi<'p>(
        program: &'p Validated<'_>,
        abis: impl IntoIterator<Item = Arch> + 'p,
    ) -> impl Iterator<Item = (Arch, Stats)> + 'p {
        abis.into_iter()
            .map(move |arch| (arch, Stats::measure(program, arch)))
    }

    /// Mean instructions executed per syscall of the table.
    pub fn executed_mean(&self) -> f64 {
        if self.syscalls == 0 {
            0.0
        } else {
            self.executed_total as f64 / self.syscalls as f64
        }
    }
}
