//! Helpers shared by the fuzz targets in `fuzz_targets/`.
//!
//! The checks panic on any violated property: libFuzzer reports the panic as a crash and keeps the input.

use seccomp_core::abi::{SeccompData, SockFilter};
use seccomp_core::bpf::{emulate, validate};
use seccomp_core::policy::{CompileError, Compiler, Policy, verify};

/// The most instructions a program can have (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// A `seccomp_data` from up to 64 bytes of fuzz input (missing bytes are 0), in its field order.
pub fn seccomp_data(bytes: &[u8]) -> SeccompData {
    let mut buf = [0u8; 64];
    let n = bytes.len().min(64);
    buf[..n].copy_from_slice(&bytes[..n]);
    let word = |at: usize| u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    let dword = |at: usize| u64::from(word(at)) | (u64::from(word(at + 4)) << 32);
    SeccompData {
        nr: word(0) as i32,
        arch: word(4),
        instruction_pointer: dword(8),
        args: [dword(16), dword(24), dword(32), dword(40), dword(48), dword(56)],
    }
}

/// Compiles `policy`, checks the program against the policy (see [`check_program`]) and returns its
/// instructions; `None` when the policy is too big to compile. A compile error other than "too big" is a
/// crash.
pub fn compile_checked<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    extra: &[SeccompData],
    what: &str,
) -> Option<Vec<SockFilter>> {
    let mut out = vec![SockFilter::default(); MAX_INSNS];
    let mut compiler = Box::new(Compiler::<2048>::new());
    let len = match compiler.compile(policy, &mut out) {
        Ok(compiled) => {
            assert_eq!(
                compiled.arch(),
                policy.arch(),
                "{what}: compiled for another arch"
            );
            compiled.program().len()
        }
        Err(
            CompileError::ProgramTooLong { .. }
            | CompileError::TooManyRanges { .. }
            | CompileError::TooManyRules { .. },
        ) => return None,
        Err(error) => panic!("{what}: compile failed: {error}\npolicy:\n{policy}"),
    };
    out.truncate(len);
    check_program(policy, &out, extra, what);
    Some(out)
}

/// Above this many conditional rules, [`check_program`] replaces the full `policy::verify` (whose cost
/// grows with conditional syscalls times rules: about 0.5 s in release, and over 8 s under the address
/// sanitizer, for a Docker-sized profile with 266 conditional rules) by a cheaper sweep, so such inputs do
/// not trip libFuzzer's per-input timeout.
pub const FULL_VERIFY_MAX_CONDITIONAL: usize = 32;

/// Checks that `insns` validates and decides like `policy`'s reference semantics: on the verifier's
/// generated inputs (or, for a policy with more than [`FULL_VERIFY_MAX_CONDITIONAL`] conditional rules, on
/// every table number and every rule's number with all-zero and all-one arguments) and on each of `extra`.
/// Any disagreement is a crash that shows the input and the policy.
pub fn check_program<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    insns: &[SockFilter],
    extra: &[SeccompData],
    what: &str,
) {
    let program = validate(insns)
        .unwrap_or_else(|e| panic!("{what}: the compiled program does not validate: {e}\npolicy:\n{policy}"));
    let conditional = policy.rules().filter(|rule| rule.is_conditional()).count();
    let mut sweep = Vec::new();
    if conditional <= FULL_VERIFY_MAX_CONDITIONAL {
        if let Err(mismatch) = verify(policy, &program) {
            panic!("{what}: program disagrees with the policy: {mismatch}\npolicy:\n{policy}");
        }
    } else {
        let arch = policy.arch();
        let numbers = arch.syscalls().iter().map(|(_, nr)| nr);
        for nr in numbers.chain(policy.rules().map(|rule| rule.nr())) {
            for args in [[0; 6], [u64::MAX; 6]] {
                sweep.push(SeccompData {
                    nr: nr as i32,
                    arch: arch.audit(),
                    instruction_pointer: 0,
                    args,
                });
            }
        }
    }
    for data in sweep.iter().chain(extra) {
        let expected = policy.evaluate(data);
        let actual = emulate(&program, data).action;
        assert_eq!(
            actual, expected,
            "{what}: program disagrees with the policy on {data:?}\npolicy:\n{policy}"
        );
    }
}
