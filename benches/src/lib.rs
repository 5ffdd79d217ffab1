//! Inputs shared by the criterion benchmarks in `benches/`: realistic, deterministic fixtures built once per
//! benchmark so that the measured loop contains only the operation under test.
//!
//! Run the benchmarks with `cargo bench -p seccomp-benches`; `docs/performance.md` records the figures.
#![forbid(unsafe_code)]

use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData, SeccompNotif, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::insn::{
    BPF_ADD, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_K, BPF_LDX, BPF_MEM, BPF_ST, BPF_W,
    BPF_X,
};
use seccomp_core::policy::Policy;
use zerocopy::IntoBytes;

/// The container-sized profile of the compiler's tests (about 350 allowed x86_64 syscalls, a few with
/// argument conditions, in the spirit of Docker's default profile), in the native text format.
pub const CONTAINER_POLICY: &str = include_str!("../../core/src/policy/testdata/container.policy");

/// The `seccomp_data` of `openat(AT_FDCWD, path, O_RDONLY)` on x86_64.
pub fn sample_data() -> SeccompData {
    SeccompData {
        nr: 257,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0x7f3a_1c2b_4d5e,
        args: [(-100i64) as u64, 0x5600_1234_5678, 0, 0, 0, 0],
    }
}

/// A notification for [`sample_data`] from pid 4242, as the bytes the kernel writes for
/// `SECCOMP_IOCTL_NOTIF_RECV` (native byte order): what a supervisor decodes.
pub fn sample_notification() -> [u8; size_of::<SeccompNotif>()] {
    let notif = SeccompNotif {
        id: 0x1d2c_3b4a_5968_7788,
        pid: 4242,
        flags: 0,
        data: sample_data(),
    };
    let mut out = [0u8; size_of::<SeccompNotif>()];
    out.copy_from_slice(notif.as_bytes());
    out
}

/// The container profile parsed for x86_64.
///
/// # Panics
///
/// Panics if the committed profile no longer parses: the benchmark cannot run without it.
pub fn container_policy() -> Policy {
    match Policy::parse(CONTAINER_POLICY, Arch::X86_64) {
        Ok(policy) => policy,
        Err(error) => panic!("the container profile does not parse: {error}"),
    }
}

/// One `seccomp_data` per syscall of `arch`'s table, all arguments zero: the inputs over which a policy's
/// mean decision time is measured.
pub fn table_inputs(arch: Arch) -> Vec<SeccompData> {
    arch.syscalls()
        .iter()
        .map(|(_, nr)| SeccompData {
            nr: nr as i32,
            arch: arch.audit(),
            instruction_pointer: 0,
            args: [0; 6],
        })
        .collect()
}

/// A valid program of exactly `len` instructions (`len` from 1 to 4096) that the validator must examine in
/// full: blocks of loads, compares, forward jumps, scratch stores and loads and ALU operations, ending in
/// `ret allow`. Nearly every instruction executes, so it also measures the emulator's raw speed.
pub fn long_program(len: usize) -> Vec<SockFilter> {
    let mut out = Vec::with_capacity(len);
    let body = len.saturating_sub(1);
    let mut block = 0u32;
    while out.len() + 8 <= body {
        let cell = block % 16;
        out.extend_from_slice(&[
            SockFilter::load_data(0),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, block, 1, 0),
            SockFilter::stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
            SockFilter::stmt(BPF_ST, cell),
            SockFilter::stmt(BPF_LDX | BPF_W | BPF_MEM, cell),
            SockFilter::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
            SockFilter::stmt(BPF_ALU | BPF_AND | BPF_K, 0xff),
            SockFilter::jump(BPF_JMP | BPF_JGT | BPF_K, 0x80, 0, 0),
        ]);
        block += 1;
    }
    while out.len() < body {
        out.push(SockFilter::stmt(BPF_JMP | BPF_JA, 0));
    }
    if len > 0 {
        out.push(SockFilter::ret(Action::ALLOW.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_core::bpf::{emulate, validate};

    #[test]
    fn long_program_is_valid_exactly_as_long_as_asked_and_runs_almost_to_the_end() {
        for len in [1, 7, 8, 9, 64, 1000, 4096] {
            let insns = long_program(len);
            assert_eq!(insns.len(), len);
            let program = validate(&insns).unwrap_or_else(|e| panic!("len {len}: {e}"));
            let run = emulate(&program, &sample_data());
            assert_eq!(run.action, Action::ALLOW);
            // At most one instruction per 8-instruction block is skipped.
            assert!(
                run.executed * 8 >= len * 7,
                "len {len}: executed {}",
                run.executed
            );
        }
    }

    #[test]
    fn fixtures_decode_and_parse() {
        let notif = SeccompNotif::decode(&sample_notification()).expect("80 bytes decode");
        assert_eq!(notif.data, sample_data());
        let policy = container_policy();
        assert!(
            policy.len() > 300,
            "the container profile has {} rules",
            policy.len()
        );
        assert_eq!(table_inputs(Arch::X86_64).len(), Arch::X86_64.syscalls().len());
    }
}
