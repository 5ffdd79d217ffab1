//! `seccompctl disasm FILE.bpf | --pid PID`: the listing of a raw BPF file, or of every filter installed in
//! a live process.

use crate::args::DisasmArgs;
use crate::error::{CliError, CliResult};
use crate::input;
use crate::output;
use seccomp_core::bpf::{Listing, validate};

/// Prints the listing (in the syntax the assembler reads back). A program the kernel would refuse is still
/// listed, with a note on stderr saying why it would be refused.
pub fn run(args: &DisasmArgs) -> CliResult {
    match (&args.file, args.pid) {
        (Some(path), _) => {
            let insns = input::read_bpf(path)?;
            output::print(&Listing(&insns).to_string())?;
            if let Err(error) = validate(&insns) {
                eprintln!(
                    "seccompctl: note: {}: the kernel would refuse this program: {error}",
                    path.display()
                );
            }
            Ok(0)
        }
        (None, Some(pid)) => disasm_pid(pid),
        (None, None) => Err(CliError::usage("disasm needs FILE.bpf or --pid PID")),
    }
}

/// `disasm --pid PID`.
fn disasm_pid(pid: i32) -> CliResult {
    Err(CliError::usage(format!(
        "disasm --pid {pid} is not available in this build (it needs the seccomp-sys crate)"
    )))
}
