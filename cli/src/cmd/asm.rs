//! `seccompctl asm FILE.asm [-o OUT]`: assembles the disassembler's syntax (with labels and comments) back
//! into raw BPF, so that a listing from `disasm` or `compile --emit asm` can be edited and reassembled. The
//! program is validated with the kernel's rules before it is written.

use crate::args::AsmArgs;
use crate::error::{self, CliError, CliResult};
use crate::input;
use crate::output;
use seccomp_core::abi::{BPF_MAXINSNS, SockFilter};
use seccomp_core::bpf::{assemble, raw, validate};

/// Assembles, validates and writes.
pub fn run(args: &AsmArgs) -> CliResult {
    let name = args.file.display();
    let text = input::read_text(&args.file)?;
    // Room for more than the kernel loads, so that `--allow-invalid` can write an oversized program.
    let mut out = vec![SockFilter::default(); 16 * BPF_MAXINSNS];
    let insns = assemble(&text, &mut out).map_err(|error| CliError::bad_input(format!("{name}:{error}")))?;
    if insns.is_empty() {
        return Err(CliError::bad_input(format!("{name}: no instruction")));
    }
    if let Err(error) = validate(insns) {
        let message = format!("{name}: the kernel would refuse this program: {error}");
        if !args.allow_invalid {
            return Err(CliError::bad_input(format!(
                "{message} (--allow-invalid writes it anyway)"
            )));
        }
        error::note(&message);
    }
    let mut bytes = vec![0u8; raw::encoded_len(insns.len())];
    let bytes = raw::encode(insns, &mut bytes)
        .map_err(|error| CliError::system(format!("cannot encode the program: {error}")))?;
    output::write_output(args.output.as_deref(), bytes, true)?;
    Ok(0)
}
