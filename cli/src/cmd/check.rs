//! `seccompctl check FILE.bpf`: validates a raw program with the kernel's rules, then measures it over an
//! architecture's syscall table in the emulator and lists the syscalls the kernel's action cache serves.

use super::common::parse_arch;
use crate::args::CheckArgs;
use crate::error::{CliError, CliResult};
use crate::input;
use crate::output::{self, compact_ranges, format_ranges};
use seccomp_core::abi::SeccompData;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{Validated, cache, emulate, validate};
use serde_json::json;

/// Figures of a program over one architecture's syscall table, all arguments zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// The architecture.
    pub arch: Arch,
    /// Syscalls in the table.
    pub syscalls: usize,
    /// Instructions executed, summed over the table.
    pub executed_total: usize,
    /// The most instructions executed for one syscall.
    pub executed_max: usize,
    /// The table's syscalls the action cache allows without running the filter (`seccomp_is_const_allow`,
    /// not counting the kernel's uprobe exemption), as `(name, number)` in number order.
    pub cacheable: Vec<(&'static str, u32)>,
}

impl Measure {
    /// Runs `program` for every syscall of `arch`'s table.
    pub fn of(program: &Validated<'_>, arch: Arch) -> Measure {
        let mut measure = Measure {
            arch,
            syscalls: 0,
            executed_total: 0,
            executed_max: 0,
            cacheable: Vec::new(),
        };
        // x32 numbers lie outside every bitmap: the kernel never caches them.
        let has_bitmap = cache::Bitmap::for_arch(arch).is_some();
        for (name, nr) in arch.syscalls().iter() {
            let data = SeccompData {
                nr: nr as i32,
                arch: arch.audit(),
                instruction_pointer: 0,
                args: [0; 6],
            };
            let run = emulate(program, &data);
            measure.syscalls += 1;
            measure.executed_total += run.executed;
            measure.executed_max = measure.executed_max.max(run.executed);
            if has_bitmap && cache::is_const_allow(program, arch.audit(), nr as i32) {
                measure.cacheable.push((name, nr));
            }
        }
        measure
    }

    /// The mean number of instructions executed per syscall.
    pub fn executed_mean(&self) -> f64 {
        if self.syscalls == 0 {
            0.0
        } else {
            self.executed_total as f64 / self.syscalls as f64
        }
    }

    /// The cacheable numbers as runs of consecutive numbers.
    pub fn cacheable_ranges(&self) -> Vec<(u32, u32)> {
        compact_ranges(self.cacheable.iter().map(|&(_, nr)| nr))
    }
}

/// Validates, measures and prints. Exit status 1 when the kernel would refuse the program.
pub fn run(args: &CheckArgs) -> CliResult {
    let arch = parse_arch(args.arch.as_deref())?;
    let insns = input::read_bpf(&args.file)?;
    let file = args.file.display().to_string();
    let program = match validate(&insns) {
        Ok(program) => program,
        Err(error) => {
            if args.json {
                output::print_json(&json!({
                    "file": file,
                    "valid": false,
                    "length": insns.len(),
                    "error": {
                        "index": error.index,
                        "rule": error.rule.name(),
                        "kernel_check": error.rule.kernel_check(),
                        "message": error.to_string(),
                    },
                }))?;
                return Ok(1);
            }
            return Err(CliError::new(
                crate::error::Failure::CheckFailed,
                format!("{file}: invalid program: {error}"),
            ));
        }
    };
    let measure = Measure::of(&program, arch);
    let ranges = measure.cacheable_ranges();
    if args.json {
        output::print_json(&json!({
            "file": file,
            "valid": true,
            "length": program.len(),
            "arch": arch.name(),
            "syscalls": measure.syscalls,
            "executed": {
                "mean": measure.executed_mean(),
                "max": measure.executed_max,
                "total": measure.executed_total,
            },
            "cacheable": {
                "count": measure.cacheable.len(),
                "ranges": ranges,
                "names": measure.cacheable.iter().map(|&(name, _)| name).collect::<Vec<_>>(),
            },
        }))?;
        return Ok(0);
    }
    let mut text = format!(
        "{file}: valid, {} instructions\n\
         executed over the {} syscalls of {arch} (arguments 0): mean {:.2}, max {}\n\
         cached by the kernel as always allowed: {} of {}",
        program.len(),
        measure.syscalls,
        measure.executed_mean(),
        measure.executed_max,
        measure.cacheable.len(),
        measure.syscalls,
    );
    if arch == Arch::X32 {
        text.push_str(" (x32 syscalls are never cached)");
    }
    text.push('\n');
    if !ranges.is_empty() {
        text.push_str("  ");
        text.push_str(&format_ranges(&ranges));
        text.push('\n');
    }
    output::print(&text)?;
    Ok(0)
}
