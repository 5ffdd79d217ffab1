//! Raw programs: arrays of `struct sock_filter` in little-endian byte order, 8 bytes per instruction
//! (`code` u16 LE, `jt` u8, `jf` u8, `k` u32 LE). This is what libseccomp's `seccomp_export_bpf` writes on
//! little-endian machines, and what the kernel reads from `sock_fprog.filter` there.
//!
//! Input bytes need no alignment. [`decode`] accepts what the kernel could load (1 to 4096 instructions);
//! [`decode_any`] and [`instructions`] decode any length, for tools that must show a hostile or oversized
//! file rather than refuse it.

use crate::abi::{BPF_MAXINSNS, SockFilter};
use core::fmt;

/// The size of one encoded instruction.
pub const INSN_SIZE: usize = 8;

/// Why bytes could not be decoded (or encoded) as a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RawError {
    /// No bytes at all.
    Empty,
    /// The length is not a multiple of 8: the last instruction is cut short.
    Truncated {
        /// The byte offset where the incomplete instruction starts.
        offset: usize,
        /// How many of its 8 bytes are present.
        present: usize,
    },
    /// More than 4096 instructions, more than the kernel loads ([`decode`] only).
    TooLong {
        /// The number of instructions.
        count: usize,
    },
    /// The output buffer is too small.
    OutputTooSmall {
        /// The instructions (for decoding) or bytes (for encoding) needed.
        needed: usize,
        /// The buffer's capacity, in the same unit.
        capacity: usize,
    },
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RawError::Empty => write!(f, "the program is empty (0 bytes)"),
            RawError::Truncated { offset, present } => write!(
                f,
                "truncated instruction at byte offset {offset}: {present} of {INSN_SIZE} bytes present"
            ),
            RawError::TooLong { count } => write!(
                f,
                "{count} instructions, more than the kernel's limit of {BPF_MAXINSNS}"
            ),
            RawError::OutputTooSmall { needed, capacity } => {
                write!(f, "the output holds {capacity} but {needed} are needed")
            }
        }
    }
}

impl core::error::Error for RawError {}

/// Decodes one instruction from its 8 bytes.
pub const fn decode_insn(bytes: [u8; INSN_SIZE]) -> SockFilter {
    SockFilter {
        code: u16::from_le_bytes([bytes[0], bytes[1]]),
        jt: bytes[2],
        jf: bytes[3],
        k: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
    }
}

/// Encodes one instruction into its 8 bytes.
pub const fn encode_insn(insn: &SockFilter) -> [u8; INSN_SIZE] {
    let code = insn.code.to_le_bytes();
    let k = insn.k.to_le_bytes();
    [code[0], code[1], insn.jt, insn.jf, k[0], k[1], k[2], k[3]]
}

/// The instructions of `bytes`, in order; a trailing partial instruction is not yielded (check it with
/// [`check_length`]). Needs no storage.
pub fn instructions(bytes: &[u8]) -> impl ExactSizeIterator<Item = SockFilter> + '_ {
    bytes.chunks_exact(INSN_SIZE).map(|chunk| {
        let mut insn = [0u8; INSN_SIZE];
        insn.copy_from_slice(chunk);
        decode_insn(insn)
    })
}

/// Checks that `bytes` is a non-empty whole number of instructions and returns how many.
pub fn check_length(bytes: &[u8]) -> Result<usize, RawError> {
    if bytes.is_empty() {
        return Err(RawError::Empty);
    }
    let present = bytes.len() % INSN_SIZE;
    if present != 0 {
        return Err(RawError::Truncated {
            offset: bytes.len() - present,
            present,
        });
    }
    Ok(bytes.len() / INSN_SIZE)
}

/// Decodes a program the kernel could load: 1 to 4096 whole instructions. Errors, in this order: empty,
/// truncated, too long, output too small.
pub fn decode<'o>(bytes: &[u8], out: &'o mut [SockFilter]) -> Result<&'o [SockFilter], RawError> {
    let count = check_length(bytes)?;
    if count > BPF_MAXINSNS {
        return Err(RawError::TooLong { count });
    }
    decode_any(bytes, out)
}

/// Decodes any non-empty whole number of instructions, however many, as far as `out` holds them.
pub fn decode_any<'o>(bytes: &[u8], out: &'o mut [SockFilter]) -> Result<&'o [SockFilter], RawError> {
    let count = check_length(bytes)?;
    let capacity = out.len();
    let out = out.get_mut(..count).ok_or(RawError::OutputTooSmall {
        needed: count,
        capacity,
    })?;
    for (slot, insn) in out.iter_mut().zip(instructions(bytes)) {
        *slot = insn;
    }
    Ok(out)
}

/// The number of bytes `count` instructions encode to.
pub const fn encoded_len(count: usize) -> usize {
    count * INSN_SIZE
}

/// Encodes `insns` into the front of `out` and returns the bytes written.
pub fn encode<'o>(insns: &[SockFilter], out: &'o mut [u8]) -> Result<&'o [u8], RawError> {
    let needed = encoded_len(insns.len());
    let capacity = out.len();
    let out = out
        .get_mut(..needed)
        .ok_or(RawError::OutputTooSmall { needed, capacity })?;
    for (chunk, insn) in out.chunks_exact_mut(INSN_SIZE).zip(insns) {
        chunk.copy_from_slice(&encode_insn(insn));
    }
    Ok(out)
}
