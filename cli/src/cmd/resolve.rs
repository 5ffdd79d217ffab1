//! `seccompctl resolve NAME|NR`: syscall name to number and back, for any supported architecture.

use super::common::parse_arch;
use crate::args::ResolveArgs;
use crate::error::{CliError, CliResult};

/// Prints `name nr` for the syscall named or numbered by the argument.
pub fn run(args: &ResolveArgs) -> CliResult {
    let arch = parse_arch(args.arch.as_deref())?;
    let table = arch.syscalls();
    let query = args.syscall.trim();
    let (name, nr) = match crate::numbers::parse_register(query) {
        Some(nr) => {
            let name = u32::try_from(nr).ok().and_then(|nr| table.name(nr));
            let name =
                name.ok_or_else(|| CliError::usage(format!("{arch} has no syscall number {query}")))?;
            (name, nr)
        }
        None => {
            let nr = table.nr(query).ok_or_else(|| unknown_name(arch, query))?;
            (table.name(nr).unwrap_or(query), u64::from(nr))
        }
    };
    crate::output::print(&format!("{name} {nr}\n"))?;
    Ok(0)
}

/// The error for an unknown syscall name, naming the architectures that do have it.
fn unknown_name(arch: seccomp_core::arch::Arch, name: &str) -> CliError {
    let elsewhere: Vec<&str> = seccomp_core::arch::Arch::ALL
        .iter()
        .filter(|other| other.syscalls().nr(name).is_some())
        .map(|other| other.name())
        .collect();
    if elsewhere.is_empty() {
        CliError::usage(format!("unknown syscall `{name}` on {arch}"))
    } else {
        CliError::usage(format!(
            "unknown syscall `{name}` on {arch} (it exists on {})",
            elsewhere.join(", ")
        ))
    }
}
