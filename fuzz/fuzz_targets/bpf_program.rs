//! Raw program bytes through decode, validate, emulate, disassemble and assemble.
//!
//! Input layout: the first 64 bytes are a `seccomp_data` (zero-padded when shorter), the rest is a raw
//! little-endian `sock_filter` array. Properties (any violation is a crash):
//! - nothing panics, whatever the bytes;
//! - a decoded program encodes back to exactly the input bytes;
//! - a program the validator accepts runs in the emulator in at least 1 and at most `len` instructions
//!   (jumps only go forward), and `trace` reports the same outcome and one step per executed instruction;
//! - the disassembly of any decodable program, valid or not, assembles back to the same instructions (the
//!   disassembler's promise), and the reassembled program validates the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::{self, assemble, disassemble, emulate, raw, validate};
use seccomp_fuzz::{MAX_INSNS, seccomp_data};

fuzz_target!(|input: &[u8]| {
    let (data_bytes, program_bytes) = input.split_at(input.len().min(64));
    let data = seccomp_data(data_bytes);

    let mut insns = vec![SockFilter::default(); MAX_INSNS];
    let Ok(insns) = raw::decode(program_bytes, &mut insns) else {
        return;
    };
    let mut encoded = vec![0u8; raw::encoded_len(insns.len())];
    let encoded = raw::encode(insns, &mut encoded).expect("the buffer has the encoded length");
    assert_eq!(encoded, program_bytes, "raw decode/encode round trip differs");

    let validity = validate(insns).map(|_| ());
    if let Ok(program) = validate(insns) {
        let run = emulate(&program, &data);
        assert!(
            run.executed >= 1 && run.executed <= program.len(),
            "executed {} instructions of a {}-instruction program",
            run.executed,
            program.len()
        );
        let mut steps = 0usize;
        let mut last_pc = None;
        let traced = bpf::trace(&program, &data, |step| {
            assert!(last_pc.is_none_or(|pc| step.pc > pc), "trace went backwards");
            last_pc = Some(step.pc);
            steps += 1;
        });
        assert_eq!(traced, run, "trace and emulate disagree");
        assert_eq!(steps, run.executed, "trace reported a different number of steps");
    }

    let mut listing = String::new();
    disassemble(&mut listing, insns).expect("writing to a String cannot fail");
    let mut again = vec![SockFilter::default(); MAX_INSNS];
    match assemble(&listing, &mut again) {
        Ok(again) => {
            assert_eq!(
                again, insns,
                "disassembly does not reassemble to the same program:\n{listing}"
            );
            assert_eq!(validate(again).map(|_| ()), validity);
        }
        Err(error) => panic!("the disassembly does not assemble: {error}\n{listing}"),
    }
});
