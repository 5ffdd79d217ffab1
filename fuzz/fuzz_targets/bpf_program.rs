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
use seccomp_core::bpf::raw;
use seccomp_fuzz::{MAX_INSNS, check_execution, check_reassembles, seccomp_data};

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

    let validity = check_execution(insns, &data);
    check_reassembles(insns, &validity);
});
