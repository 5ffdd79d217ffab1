//! Helpers shared by the fuzz targets in `fuzz_targets/`.
//!
//! The checks panic on any violated property: libFuzzer reports the panic as a crash and keeps the input.

use seccomp_core::Rng;
use seccomp_core::abi::{self, SeccompData, SockFilter};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{self, ValidationError, assemble, disassemble, emulate, validate};
use seccomp_core::policy::verify::boundaries;
use seccomp_core::policy::{Comparison, CompileError, Compiler, Op, Policy};
use std::cell::RefCell;
use std::sync::OnceLock;

/// The most instructions a program can have (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// `arch`'s syscall table as `(name, number)` pairs in number order, built once per arch, so that a target
/// picks entry `i` in constant time (`SyscallTable::iter().nth(i)` walks the table: it was a third of
/// the policy targets' time).
pub fn table(arch: Arch) -> &'static [(&'static str, u32)] {
    static TABLES: [OnceLock<Vec<(&'static str, u32)>>; Arch::ALL.len()] =
        [const { OnceLock::new() }; Arch::ALL.len()];
    let index = Arch::ALL.iter().position(|&a| a == arch).unwrap_or(0);
    TABLES[index].get_or_init(|| arch.syscalls().iter().collect())
}

/// The number of entry `index` of `arch`'s table, modulo its length (0 for an empty table).
pub fn table_nr(arch: Arch, index: usize) -> u32 {
    let table = table(arch);
    table.get(index % table.len().max(1)).map_or(0, |&(_, nr)| nr)
}

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

/// Compiles `policy`, checks the program against the policy on probes chosen with `seed` (see
/// [`check_program`]) and returns its
/// instructions; `None` when the policy is too big to compile. A compile error other than "too big" is a
/// crash.
pub fn compile_checked<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    extra: &[SeccompData],
    seed: u64,
    what: &str,
) -> Option<Vec<SockFilter>> {
    // One compiler workspace (about 50 KiB) and one output buffer per thread, reused: allocating and
    // zeroing them per input cost more than compiling a small policy.
    thread_local! {
        static WORKSPACE: RefCell<(Box<Compiler<2048>>, Vec<SockFilter>)> =
            RefCell::new((Box::new(Compiler::new()), vec![SockFilter::default(); MAX_INSNS]));
    }
    let out = WORKSPACE.with_borrow_mut(|(compiler, out)| match compiler.compile(policy, out) {
        Ok(compiled) => {
            assert_eq!(
                compiled.arch(),
                policy.arch(),
                "{what}: compiled for another arch"
            );
            Some(compiled.program().insns().to_vec())
        }
        Err(
            CompileError::ProgramTooLong { .. }
            | CompileError::TooManyRanges { .. }
            | CompileError::TooManyRules { .. },
        ) => None,
        Err(error) => panic!("{what}: compile failed: {error}\npolicy:\n{policy}"),
    })?;
    check_program(policy, &out, extra, seed, what);
    Some(out)
}

/// The most probes [`check_program`] runs per call (besides the target's own `extra` ones). The full
/// `policy::verify` (every table number, 0 to 1023, the x32 space, and argument boundaries of every
/// conditional syscall: thousands of emulations, each also evaluating the policy) made the policy targets
/// run at 3 to 500 inputs per second, and 384 probes still held them under 1,000; each probe is one
/// emulation plus one evaluation of the policy, the largest cost of an input. The full check stays in the
/// property tests (`core/tests/policy_compile.rs` on random policies, `oci/tests/policy.rs` on the Docker
/// profile); the fuzz targets check a bounded sample chosen from the input's own numbers and constants
/// (and a seed taken from the input picks which rules are looked at in depth), so an input can still
/// steer the check to any number or boundary it names.
pub const MAX_PROBES: usize = 96;

/// How many rules [`probes`] looks at in depth (numbers, neighbours and argument boundaries); the others
/// are covered by the sampled numbers. Which rules is chosen per input.
pub const RULES_IN_DEPTH: usize = 4;

/// How many table numbers [`probes`] samples per call (each with all-zero and all-one arguments, and a
/// number below 1024).
const TABLE_SAMPLES: usize = 4;

/// How many mixtures of the policy's constants [`probes`] adds at most.
const MIXTURES: usize = 16;

/// A seed for [`probes`] from the fuzz input, so the sample differs between inputs and a crash replays.
pub fn seed(input: &[u8]) -> u64 {
    // FNV-1a: enough to spread inputs over the sample space.
    input.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Argument values at the edges of the 32-bit halves.
const EDGES: [u64; 8] = [
    0,
    1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// A value of argument `comparison.arg()` that satisfies `comparison`, as far as one guess can.
fn satisfying(comparison: &Comparison) -> u64 {
    let v = comparison.value();
    match comparison.op() {
        Op::Eq | Op::Le | Op::Ge | Op::MaskedEq(_) => v,
        Op::Ne => v ^ 1,
        Op::MaskedNe(mask) => v ^ (mask & mask.wrapping_neg()),
        Op::Lt => v.wrapping_sub(1),
        Op::Gt => v.wrapping_add(1),
    }
}

/// Up to [`MAX_PROBES`] `seccomp_data` values where `policy` and a program compiled from it are most
/// likely to disagree, chosen with `seed`: foreign architectures; the x32 edges; a sample of table
/// numbers and of numbers below 1024; for up to [`RULES_IN_DEPTH`] rules, their number and neighbours with
/// all-zero and all-one arguments and, for conditional rules, a vector satisfying each alternative and
/// its single-argument variations over the boundary values of the rule's constants; and mixtures of the
/// policy's constants.
pub fn probes<const R: usize, const C: usize>(policy: &Policy<R, C>, seed: u64) -> Vec<SeccompData> {
    let mut rng = Rng::new(seed);
    let arch = policy.arch();
    let audit = arch.audit();
    let mut out = Vec::with_capacity(MAX_PROBES);
    let call = |nr: u32, args: [u64; 6]| SeccompData {
        nr: nr as i32,
        arch: audit,
        instruction_pointer: 0,
        args,
    };
    let first_rule = policy.rule(0).map_or(0, |rule| rule.nr());
    for foreign in [
        0,
        audit ^ 1,
        audit ^ 0x8000_0000,
        abi::AUDIT_ARCH_I386,
        abi::AUDIT_ARCH_AARCH64,
    ] {
        if foreign != audit {
            let nr = if rng.below(2) == 0 { 0 } else { first_rule };
            out.push(SeccompData {
                arch: foreign,
                ..call(nr, [0; 6])
            });
        }
    }
    for nr in [
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
    ] {
        out.push(call(nr, [0; 6]));
    }
    let table_len = table(arch).len() as u64;
    for _ in 0..TABLE_SAMPLES {
        if table_len > 0 {
            let nr = table_nr(arch, rng.below(table_len) as usize);
            out.push(call(nr, [0; 6]));
            out.push(call(nr, [u64::MAX; 6]));
            if rng.below(4) == 0 {
                out.push(call(nr | abi::X32_SYSCALL_BIT, [0; 6]));
            }
        }
        out.push(call(rng.below(1024) as u32, [0; 6]));
    }

    // The rules looked at in depth: all of them when few, else a window chosen by the seed.
    let rules = policy.len();
    let offset = if rules > RULES_IN_DEPTH {
        rng.below(rules as u64) as usize
    } else {
        0
    };
    let mut constants: Vec<u64> = EDGES.to_vec();
    for index in (0..rules.min(RULES_IN_DEPTH)).map(|i| (offset + i) % rules.max(1)) {
        let Some(rule) = policy.rule(index) else { continue };
        let nr = rule.nr();
        for probe_nr in [nr, nr.wrapping_sub(1), nr.wrapping_add(1)] {
            out.push(call(probe_nr, [0; 6]));
            out.push(call(probe_nr, [u64::MAX; 6]));
        }
        for conjunction in rule.alternatives().take(3) {
            let mut base = [0u64; 6];
            for comparison in conjunction {
                base[usize::from(comparison.arg())] = satisfying(comparison);
            }
            out.push(call(nr, base));
            for comparison in conjunction.iter().take(3) {
                let arg = usize::from(comparison.arg());
                for value in boundaries(comparison) {
                    constants.push(value);
                    let mut args = base;
                    args[arg] = value;
                    out.push(call(nr, args));
                }
            }
        }
    }
    // Mixtures of the constants on the rules' numbers (and on a table number when there are no rules).
    let mixtures_end = (out.len() + MIXTURES).min(MAX_PROBES);
    while out.len() < mixtures_end {
        let nr = match policy.rule(rng.below(rules as u64) as usize) {
            Some(rule) => rule.nr(),
            None => 0,
        };
        let mut args = [0u64; 6];
        for arg in &mut args {
            *arg = constants[rng.below(constants.len() as u64) as usize];
        }
        out.push(call(nr, args));
    }
    out.truncate(MAX_PROBES);
    out
}

/// Checks that `insns` validates and decides like `policy`'s reference semantics on [`probes`] chosen
/// with `seed` and on each of `extra`. Any disagreement is a crash that shows the input and the policy.
pub fn check_program<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    insns: &[SockFilter],
    extra: &[SeccompData],
    seed: u64,
    what: &str,
) {
    let program = validate(insns)
        .unwrap_or_else(|e| panic!("{what}: the compiled program does not validate: {e}\npolicy:\n{policy}"));
    for data in probes(policy, seed).iter().chain(extra) {
        let expected = policy.evaluate(data);
        let actual = emulate(&program, data).action;
        assert_eq!(
            actual, expected,
            "{what}: program disagrees with the policy on {data:?}\npolicy:\n{policy}"
        );
    }
}

/// Checks the lexical form of a path the supervisor resolves (`seccomp_supervisor::path::Lexical`): no
/// empty or `.` components, its text starts with `/` and reads back to the same components (and the same
/// trailing slash, except for the root, where `//` and `/` are one directory), and it is its own prefix.
pub fn check_lexical(path: &seccomp_supervisor::path::Lexical) {
    use seccomp_supervisor::path::Lexical;
    for component in path.components() {
        assert!(
            !component.is_empty() && component != b"." && !component.contains(&b'/'),
            "unclean component {component:?} in {path:?}"
        );
    }
    let text = path.to_bytes();
    assert!(text.starts_with(b"/"), "{path:?} prints as {text:?}");
    let again = Lexical::new(&text);
    assert_eq!(
        again.components(),
        path.components(),
        "{path:?} reads back from {text:?} as {again:?}"
    );
    if !path.components().is_empty() {
        assert_eq!(
            again.trailing_slash(),
            path.trailing_slash(),
            "{path:?} reads back as {again:?}"
        );
    }
    let own = path
        .strip_prefix(path)
        .unwrap_or_else(|| panic!("{path:?} is not its own prefix"));
    assert!(own == b"." || own == b"./", "{path:?} minus itself is {own:?}");
}

/// Validates `insns` and, when valid, runs them on `data`: the emulator executes 1 to `len` instructions
/// (jumps only go forward), and `trace` reports the same outcome with one step per executed instruction,
/// at increasing addresses. Returns the validator's verdict.
pub fn check_execution(insns: &[SockFilter], data: &SeccompData) -> Result<(), ValidationError> {
    let program = validate(insns)?;
    let run = emulate(&program, data);
    assert!(
        run.executed >= 1 && run.executed <= program.len(),
        "executed {} instructions of a {}-instruction program",
        run.executed,
        program.len()
    );
    let mut steps = 0usize;
    let mut last_pc = None;
    let traced = bpf::trace(&program, data, |step| {
        assert!(last_pc.is_none_or(|pc| step.pc > pc), "trace went backwards");
        last_pc = Some(step.pc);
        steps += 1;
    });
    assert_eq!(traced, run, "trace and emulate disagree");
    assert_eq!(steps, run.executed, "trace reported a different number of steps");
    Ok(())
}

/// The disassembler's promise: the listing of any decodable program, valid or not, assembles back to the
/// same instructions, which validate as `validity` says.
pub fn check_reassembles(insns: &[SockFilter], validity: &Result<(), ValidationError>) {
    let mut listing = String::new();
    disassemble(&mut listing, insns).expect("writing to a String cannot fail");
    let mut again = vec![SockFilter::default(); MAX_INSNS];
    match assemble(&listing, &mut again) {
        Ok(again) => {
            assert_eq!(
                again, insns,
                "the disassembly reassembles differently:\n{listing}"
            );
            assert_eq!(&validate(again).map(|_| ()), validity);
        }
        Err(error) => panic!("the disassembly does not assemble: {error}\n{listing}"),
    }
}

/// The ABIs of `policy` that can have an ENOSYS ceiling ([`Policy::set_enosys_above`]): the target, its
/// compat ABI when covered, and x32 when covered beside an x86_64 target.
pub fn ceiling_abis<const R: usize, const C: usize>(policy: &Policy<R, C>) -> Vec<Arch> {
    let x32 = (policy.arch() == Arch::X86_64 && policy.covers(Arch::X32)).then_some(Arch::X32);
    policy.abis().chain(x32).collect()
}

/// Draws an ENOSYS ceiling (runc's -ENOSYS stub) for each ABI of [`ceiling_abis`], after the policy's
/// rules: mostly none; else the ABI's highest table number (what runc chooses), a table number or a
/// neighbour, a small number (with bit 30 for x32), or any 32-bit value. A covered ABI refusing a
/// ceiling is a crash.
pub fn draw_ceilings<const R: usize, const C: usize>(
    u: &mut arbitrary::Unstructured<'_>,
    policy: &mut Policy<R, C>,
) -> arbitrary::Result<()> {
    for abi in ceiling_abis(policy) {
        let bit30 = if abi == Arch::X32 { abi::X32_SYSCALL_BIT } else { 0 };
        let ceiling = match u.int_in_range(0..=7)? {
            0..=3 => None,
            4 => table(abi).iter().map(|&(_, nr)| nr).max(),
            5 => Some(
                table_nr(abi, u.choose_index(table(abi).len().max(1))?)
                    .wrapping_add(u.int_in_range(0..=2)?)
                    .wrapping_sub(1),
            ),
            6 => Some(u.int_in_range(0..=1100)? | bit30),
            _ => Some(u.arbitrary()?),
        };
        if let Err(e) = policy.set_enosys_above(abi, ceiling) {
            panic!("a covered ABI refused an ENOSYS ceiling: {e}\n{policy}");
        }
    }
    Ok(())
}

/// Probes on each ENOSYS ceiling of `policy`: the ceiling and the number above it on the ABI's arch value,
/// with all-zero arguments.
pub fn ceiling_probes<const R: usize, const C: usize>(policy: &Policy<R, C>) -> Vec<SeccompData> {
    policy
        .enosys_ceilings()
        .flat_map(|(abi, ceiling)| {
            [ceiling, ceiling.wrapping_add(1)].map(|nr| SeccompData {
                nr: nr as i32,
                arch: abi.audit(),
                instruction_pointer: 0,
                args: [0; 6],
            })
        })
        .collect()
}
