//! Raw little-endian `sock_filter` arrays: decoding, encoding and their errors.

use seccomp_core::Rng;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::generate;
use seccomp_core::bpf::raw::{self, RawError};
use zerocopy::IntoBytes;

#[test]
fn encoding_is_the_little_endian_struct_layout() {
    let insn = SockFilter::jump(0x0015, 0x7fff_0000, 3, 4);
    assert_eq!(
        raw::encode_insn(&insn),
        [0x15, 0x00, 3, 4, 0x00, 0x00, 0xff, 0x7f]
    );
    // On this (little-endian) machine it is the in-memory layout the kernel reads.
    assert_eq!(raw::encode_insn(&insn), insn.as_bytes());
    assert_eq!(raw::decode_insn(raw::encode_insn(&insn)), insn);
}

#[test]
fn generated_programs_round_trip_through_bytes_at_any_alignment() {
    let mut rng = Rng::new(5);
    let mut buf = vec![SockFilter::default(); 4096];
    let mut bytes = vec![0u8; 4096 * 8 + 3];
    let mut back = vec![SockFilter::default(); 4096];
    for _ in 0..500 {
        let len = generate::garbage(&mut rng, &mut buf).max(1);
        let program = &buf[..len];
        let shift = rng.below(4) as usize;
        let encoded = raw::encode(program, &mut bytes[shift..]).unwrap().to_vec();
        assert_eq!(encoded.len(), raw::encoded_len(len));
        // Decode from an odd offset too: no alignment is needed.
        let mut unaligned = vec![0u8; 1];
        unaligned.extend_from_slice(&encoded);
        assert_eq!(raw::decode(&unaligned[1..], &mut back).unwrap(), program);
        assert_eq!(raw::instructions(&encoded).collect::<Vec<_>>(), program);
    }
}

#[test]
fn decoding_errors_name_what_and_where() {
    let mut out = [SockFilter::default(); 8];
    assert_eq!(raw::decode(&[], &mut out), Err(RawError::Empty));
    assert_eq!(
        raw::decode(&[0u8; 21], &mut out),
        Err(RawError::Truncated {
            offset: 16,
            present: 5
        })
    );
    assert_eq!(
        RawError::Truncated {
            offset: 16,
            present: 5
        }
        .to_string(),
        "truncated instruction at byte offset 16: 5 of 8 bytes present"
    );
    assert_eq!(
        raw::decode(&[0u8; 72], &mut out),
        Err(RawError::OutputTooSmall {
            needed: 9,
            capacity: 8
        })
    );
    let mut encoded = vec![0u8; 4097 * 8];
    encoded[0] = 6;
    let mut big = vec![SockFilter::default(); 5000];
    assert_eq!(
        raw::decode(&encoded, &mut big),
        Err(RawError::TooLong { count: 4097 })
    );
    // decode_any still reads it, for tools that show oversized files.
    assert_eq!(
        raw::decode_any(&encoded, &mut big).map(<[SockFilter]>::len),
        Ok(4097)
    );
    assert_eq!(raw::check_length(&encoded), Ok(4097));
    let mut small = [0u8; 15];
    assert_eq!(
        raw::encode(&[SockFilter::default(); 2], &mut small),
        Err(RawError::OutputTooSmall {
            needed: 16,
            capacity: 15
        })
    );
}
