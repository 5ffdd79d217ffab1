//! Hand-written assembler text (`seccomp_core::bpf::assemble`, the syntax of `seccompctl compile --emit
//! asm` and `disasm`, with labels and comments) through the assembler, the disassembler and the validator.
//!
//! The first 64 bytes are a `seccomp_data` (zero-padded when shorter), the rest is the source text (with
//! the dictionary `fuzz/dict/asm_text.dict` of mnemonics, fields and action names). Properties (any
//! violation is a crash):
//! - the assembler never panics, whatever the text, and an error points inside the text (a 1-based line
//!   no later than the last line, a 1-based column);
//! - what assembles disassembles to a listing that assembles back to the same instructions, which
//!   validate the same way;
//! - a program that validates runs in the emulator in 1 to `len` instructions, and `trace` agrees with
//!   `emulate` step for step (`seccomp_fuzz::check_execution`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::assemble;
use seccomp_fuzz::{MAX_INSNS, check_execution, check_reassembles, seccomp_data};

fuzz_target!(|input: &[u8]| {
    let (data_bytes, text_bytes) = input.split_at(input.len().min(64));
    let Ok(source) = core::str::from_utf8(text_bytes) else {
        return;
    };
    let data = seccomp_data(data_bytes);
    let mut out = vec![SockFilter::default(); MAX_INSNS];
    let insns = match assemble(source, &mut out) {
        Ok(insns) => insns,
        Err(error) => {
            let lines = source.split('\n').count().max(1);
            assert!(
                error.line >= 1 && error.line <= lines && error.column >= 1,
                "error {error} points outside the {lines}-line source"
            );
            return;
        }
    };
    let validity = check_execution(insns, &data);
    check_reassembles(insns, &validity);
});
