//! The validator against the kernel's rules: every rule has a program the kernel refuses and a near miss it
//! accepts. The verdicts in these tables were checked against this machine's kernel (6.18) by installing each
//! program in a forked child.

use seccomp_core::Rng;
use seccomp_core::abi::{self, SockFilter};
use seccomp_core::bpf::generate::{self, Flavor, Mutation};
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::validate::{CLASSIC_OPCODES, is_classic_opcode, is_seccomp_opcode};
use seccomp_core::bpf::{Rule, ValidationError, validate};

const ALLOW: SockFilter = SockFilter::ret(abi::RET_ALLOW);

fn st(code: u16, k: u32) -> SockFilter {
    SockFilter::stmt(code, k)
}

fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter::jump(code, k, jt, jf)
}

/// One table row: a sentence, the program, and `None` (accepted) or the index and rule name the kernel trips.
type Case = (
    &'static str,
    Vec<SockFilter>,
    Option<(Option<usize>, &'static str)>,
);

fn check(cases: &[Case]) {
    for (what, program, expected) in cases {
        let got = validate(program)
            .map(|_| ())
            .map_err(|e| (e.index, e.rule.name()));
        match expected {
            None => assert_eq!(got, Ok(()), "{what}: expected the kernel to accept it"),
            Some(err) => assert_eq!(got, Err(*err), "{what}"),
        }
    }
}

#[test]
fn length_must_be_between_1_and_4096() {
    let mut long = vec![ALLOW; 4096];
    check(&[
        ("an empty program is refused", vec![], Some((None, "empty"))),
        ("a single ret is accepted", vec![ALLOW], None),
        ("4096 instructions are accepted", long.clone(), None),
        (
            "4097 instructions are refused",
            {
                long.push(ALLOW);
                long
            },
            Some((None, "too_long")),
        ),
    ]);
}

#[test]
fn opcode_must_be_on_the_classic_allow_list() {
    check(&[
        (
            "RET|X (0x0e) is not classic",
            vec![st(0x0e, 0)],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "NEG|X (0x8c) is not classic",
            vec![st(0x8c, 0), ALLOW],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "JA|X (0x0d) is not classic",
            vec![st(0x0d, 0), ALLOW],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "ST with size bits (0x0a) is not classic",
            vec![st(0x0a, 0), ALLOW],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "a high byte on RET (0x0106) is not classic",
            vec![st(0x0106, 0)],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "eBPF ALU64 (0x07 | MOV) is not classic",
            vec![st(0xb7, 0), ALLOW],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "TXA with k set is still TXA",
            vec![st(BPF_MISC | BPF_TXA, 7), ALLOW],
            None,
        ),
    ]);
}

#[test]
fn division_by_constant_zero_is_refused_but_division_by_x_is_not() {
    check(&[
        (
            "div #0",
            vec![st(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW],
            Some((Some(0), "division_by_zero")),
        ),
        ("div #1", vec![st(BPF_ALU | BPF_DIV | BPF_K, 1), ALLOW], None),
        (
            "div x (X may be 0 at run time)",
            vec![st(BPF_ALU | BPF_DIV | BPF_X, 0), ALLOW],
            None,
        ),
        // MOD is classic, so its division check comes first; seccomp would refuse it later anyway.
        (
            "mod #0 trips the division check",
            vec![st(BPF_ALU | BPF_MOD | BPF_K, 0), ALLOW],
            Some((Some(0), "division_by_zero")),
        ),
    ]);
}

#[test]
fn constant_shifts_must_be_below_32() {
    check(&[
        ("lsh #31", vec![st(BPF_ALU | BPF_LSH | BPF_K, 31), ALLOW], None),
        (
            "lsh #32",
            vec![st(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW],
            Some((Some(0), "shift_too_large")),
        ),
        ("rsh #31", vec![st(BPF_ALU | BPF_RSH | BPF_K, 31), ALLOW], None),
        (
            "rsh #0xffffffff",
            vec![st(BPF_ALU | BPF_RSH | BPF_K, u32::MAX), ALLOW],
            Some((Some(0), "shift_too_large")),
        ),
        (
            "lsh x with X = 99",
            vec![st(BPF_LDX | BPF_IMM, 99), st(BPF_ALU | BPF_LSH | BPF_X, 0), ALLOW],
            None,
        ),
    ]);
}

#[test]
fn scratch_index_must_be_below_16() {
    check(&[
        (
            "st M[15] then ld M[15]",
            vec![st(BPF_ST, 15), st(BPF_LD | BPF_MEM, 15), ALLOW],
            None,
        ),
        (
            "ld M[16]",
            vec![st(BPF_ST, 0), st(BPF_LD | BPF_MEM, 16), ALLOW],
            Some((Some(1), "scratch_index_out_of_range")),
        ),
        (
            "st M[16]",
            vec![st(BPF_ST, 16), ALLOW],
            Some((Some(0), "scratch_index_out_of_range")),
        ),
        (
            "stx M[0x80000000]",
            vec![st(BPF_STX, 0x8000_0000), ALLOW],
            Some((Some(0), "scratch_index_out_of_range")),
        ),
        (
            "ldx M[16]",
            vec![st(BPF_LDX | BPF_MEM, 16), ALLOW],
            Some((Some(0), "scratch_index_out_of_range")),
        ),
    ]);
}

#[test]
fn ja_target_must_lie_inside_the_program() {
    let ja = |k| st(BPF_JMP | BPF_JA, k);
    check(&[
        ("ja +0 to the next instruction", vec![ja(0), ALLOW], None),
        ("ja just inside", vec![ja(2), ALLOW, ALLOW, ALLOW], None),
        (
            "ja one past the end",
            vec![ja(3), ALLOW, ALLOW, ALLOW],
            Some((Some(0), "jump_out_of_range")),
        ),
        (
            "ja with k = u32::MAX does not wrap around",
            vec![ja(u32::MAX), ALLOW],
            Some((Some(0), "jump_out_of_range")),
        ),
        (
            "ja as last instruction",
            vec![ALLOW, ja(0)],
            Some((Some(1), "jump_out_of_range")),
        ),
        (
            "ja with jt/jf set (ignored)",
            vec![jmp(BPF_JMP | BPF_JA, 0, 200, 200), ALLOW],
            None,
        ),
    ]);
}

#[test]
fn conditional_targets_must_lie_inside_the_program() {
    let jeq = |jt, jf| jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, jt, jf);
    check(&[
        ("both targets inside", vec![jeq(1, 0), ALLOW, ALLOW], None),
        (
            "jt one past the end",
            vec![jeq(2, 0), ALLOW, ALLOW],
            Some((Some(0), "branch_out_of_range")),
        ),
        (
            "jf one past the end",
            vec![jeq(0, 2), ALLOW, ALLOW],
            Some((Some(0), "branch_out_of_range")),
        ),
        (
            "jset x with jf = 255 in a short program",
            vec![jmp(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 255), ALLOW],
            Some((Some(0), "branch_out_of_range")),
        ),
        (
            "jgt with both offsets 255 in a 257-instruction program",
            {
                let mut p = vec![jmp(BPF_JMP | BPF_JGT | BPF_K, 1, 255, 255)];
                p.resize(257, ALLOW);
                p
            },
            None,
        ),
    ]);
}

#[test]
fn loads_above_skf_ad_off_must_name_a_known_ancillary_field() {
    check(&[
        // A known ancillary field passes bpf_check_classic and is refused later by seccomp_check_filter.
        (
            "ld [SKF_AD_OFF + SKF_AD_PROTOCOL]",
            vec![SockFilter::load_data(0xffff_f000), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
        (
            "ld [SKF_AD_OFF + SKF_AD_VLAN_TPID]",
            vec![SockFilter::load_data(0xffff_f03c), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
        (
            "ld [SKF_AD_OFF + SKF_AD_MAX]",
            vec![SockFilter::load_data(0xffff_f040), ALLOW],
            Some((Some(0), "unknown_ancillary_load")),
        ),
        (
            "ldb [SKF_AD_OFF + 1]",
            vec![st(BPF_LD | BPF_B | BPF_ABS, 0xffff_f001), ALLOW],
            Some((Some(0), "unknown_ancillary_load")),
        ),
        // Below SKF_AD_OFF (SKF_NET_OFF, SKF_LL_OFF) the classic check passes; seccomp refuses.
        (
            "ld [SKF_NET_OFF]",
            vec![SockFilter::load_data(0xfff0_0000), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
    ]);
}

#[test]
fn last_instruction_must_be_a_return() {
    check(&[
        ("ret a last", vec![st(BPF_RET | BPF_A, 0)], None),
        (
            "ld #0 last",
            vec![st(BPF_LD | BPF_IMM, 0)],
            Some((Some(0), "missing_return")),
        ),
        (
            "tax last after a ret",
            vec![ALLOW, st(BPF_MISC | BPF_TAX, 0)],
            Some((Some(1), "missing_return")),
        ),
        // bpf_check_classic looks at every instruction before the last one's class.
        (
            "a bad opcode earlier wins over the missing ret",
            vec![st(0xff, 0), st(BPF_LD | BPF_IMM, 0)],
            Some((Some(0), "unknown_opcode")),
        ),
        (
            "a bad opcode last is reported as a bad opcode",
            vec![ALLOW, st(0xff, 0)],
            Some((Some(1), "unknown_opcode")),
        ),
    ]);
}

#[test]
fn scratch_memory_follows_the_kernels_linear_pass() {
    let jeq = |k, jt, jf| jmp(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
    let ja = |k| st(BPF_JMP | BPF_JA, k);
    let ld_mem = |k| st(BPF_LD | BPF_MEM, k);
    check(&[
        (
            "ld M[0] before any store",
            vec![ld_mem(0), ALLOW],
            Some((Some(0), "uninitialized_scratch")),
        ),
        (
            "ldx M[3] after st M[2]",
            vec![st(BPF_ST, 2), st(BPF_LDX | BPF_MEM, 3), ALLOW],
            Some((Some(1), "uninitialized_scratch")),
        ),
        (
            "stx M[3] then ld M[3]",
            vec![st(BPF_STX, 3), ld_mem(3), ALLOW],
            None,
        ),
        (
            "the documented quirk: safe on every path, refused because the state falls through `ret #0`",
            vec![
                jeq(0, 0, 2),
                st(BPF_ST, 0),
                ja(1),
                SockFilter::ret(0),
                ld_mem(0),
                ALLOW,
            ],
            Some((Some(4), "uninitialized_scratch")),
        ),
        (
            "the same shape with the store before the branch is accepted",
            vec![
                st(BPF_ST, 0),
                jeq(0, 0, 2),
                st(BPF_ST, 0),
                ja(1),
                SockFilter::ret(0),
                ld_mem(0),
                ALLOW,
            ],
            None,
        ),
        (
            "a store on only one branch: the join takes the intersection",
            vec![jeq(0, 0, 1), st(BPF_ST, 1), ld_mem(1), ALLOW],
            Some((Some(2), "uninitialized_scratch")),
        ),
        (
            "a store on both branches reaches the join",
            vec![
                jeq(0, 0, 2),
                st(BPF_ST, 1),
                ja(1),
                st(BPF_ST, 1),
                ld_mem(1),
                ALLOW,
            ],
            None,
        ),
        (
            "code after a ja that nothing jumps to starts with every cell valid",
            vec![ja(1), ld_mem(9), ALLOW],
            None,
        ),
        (
            "the failing load comes before a later seccomp violation",
            vec![ld_mem(0), st(BPF_LD | BPF_B | BPF_ABS, 0), ALLOW],
            Some((Some(0), "uninitialized_scratch")),
        ),
    ]);
}

#[test]
fn seccomp_allows_only_aligned_loads_inside_seccomp_data() {
    check(&[
        ("ld [0] (nr)", vec![SockFilter::load_data(0), ALLOW], None),
        (
            "ld [60] (args[5].hi)",
            vec![SockFilter::load_data(60), ALLOW],
            None,
        ),
        (
            "ld [64]",
            vec![SockFilter::load_data(64), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
        (
            "ld [2]",
            vec![SockFilter::load_data(2), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
        (
            "ld [61]",
            vec![SockFilter::load_data(61), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
    ]);
}

#[test]
fn seccomp_refuses_classic_instructions_outside_its_allow_list() {
    let refused = |code, k| {
        (
            vec![st(code, k), ALLOW],
            Some((Some(0), "not_allowed_in_seccomp")),
        )
    };
    let cases: Vec<Case> = [
        ("mod #3", BPF_ALU | BPF_MOD | BPF_K, 3),
        ("mod x", BPF_ALU | BPF_MOD | BPF_X, 0),
        ("ldh [0]", BPF_LD | BPF_H | BPF_ABS, 0),
        ("ldb [0]", BPF_LD | BPF_B | BPF_ABS, 0),
        ("ld [x + 0]", BPF_LD | BPF_W | BPF_IND, 0),
        ("ldh [x + 0]", BPF_LD | BPF_H | BPF_IND, 0),
        ("ldb [x + 0]", BPF_LD | BPF_B | BPF_IND, 0),
        ("ldx 4*([0]&0xf)", BPF_LDX | BPF_B | BPF_MSH, 0),
    ]
    .into_iter()
    .map(|(what, code, k)| {
        let (program, expected) = refused(code, k);
        (what, program, expected)
    })
    .collect();
    check(&cases);
    check(&[
        (
            "ld len and ldx len",
            vec![
                st(BPF_LD | BPF_W | BPF_LEN, 0),
                st(BPF_LDX | BPF_W | BPF_LEN, 0),
                ALLOW,
            ],
            None,
        ),
        (
            "neg, tax, txa",
            vec![
                st(BPF_ALU | BPF_NEG, 0),
                st(BPF_MISC | BPF_TAX, 0),
                st(BPF_MISC | BPF_TXA, 0),
                ALLOW,
            ],
            None,
        ),
        (
            "the seccomp check reports the first violation in program order",
            vec![SockFilter::load_data(3), st(BPF_ALU | BPF_MOD | BPF_X, 0), ALLOW],
            Some((Some(0), "data_offset_out_of_range")),
        ),
    ]);
}

#[test]
fn classic_checks_run_over_all_instructions_before_the_seccomp_checks() {
    check(&[(
        "a seccomp violation at 0 loses to a classic violation at 1",
        vec![
            st(BPF_ALU | BPF_MOD | BPF_X, 0),
            st(BPF_ALU | BPF_LSH | BPF_K, 40),
            ALLOW,
        ],
        Some((Some(1), "shift_too_large")),
    )]);
}

#[test]
fn opcode_tables_agree_with_the_kernel_lists() {
    let classic: Vec<u16> = (0..=u16::MAX).filter(|c| is_classic_opcode(*c)).collect();
    let mut table = CLASSIC_OPCODES.to_vec();
    table.sort_unstable();
    assert_eq!(classic, table);
    let seccomp: Vec<u16> = (0..=u16::MAX).filter(|c| is_seccomp_opcode(*c)).collect();
    assert_eq!(
        seccomp.len(),
        41,
        "seccomp_check_filter lists 40 cases plus LD|W|ABS"
    );
    assert!(seccomp.iter().all(|c| is_classic_opcode(*c)));
}

#[test]
fn errors_say_where_and_which_rule() {
    let err = validate(&[st(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "instruction 0: shift by the constant 32, which is not below 32 (bpf_check_classic)"
    );
    let err = validate(&[]).unwrap_err();
    assert_eq!(
        err,
        ValidationError {
            index: None,
            rule: Rule::Empty
        }
    );
    assert_eq!(
        err.to_string(),
        "the program has no instruction (bpf_check_basics_ok)"
    );
    let err = validate(&[st(BPF_LD | BPF_MEM, 4), ALLOW]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "instruction 0: scratch cell M[4] is read before the kernel's linear pass sees it written (check_load_and_stores)"
    );
}

#[test]
fn generated_valid_programs_are_accepted() {
    let mut rng = Rng::new(1);
    let mut buf = vec![SockFilter::default(); 4097];
    let mut lens = 0;
    for _ in 0..3000 {
        let len = generate::valid(&mut rng, &mut buf);
        lens += len;
        let program = &buf[..len];
        assert!(validate(program).is_ok(), "{:?}\n{program:?}", validate(program));
    }
    assert!(lens > 3000 * 10, "programs are not all trivial");
}

#[test]
fn generated_near_misses_are_refused_for_the_intended_rule() {
    let mut rng = Rng::new(2);
    let mut buf = vec![SockFilter::default(); 4097];
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5000 {
        let generated = generate::near_miss(&mut rng, &mut buf);
        let mutation = generated.mutation.expect("near misses name their mutation");
        seen.insert(mutation);
        let program = &buf[..generated.len];
        let err = validate(program).expect_err("a near miss is refused");
        assert_eq!(
            err.rule.name(),
            mutation.rule_name(),
            "{mutation:?}: {err}\n{program:?}"
        );
    }
    assert_eq!(seen.len(), Mutation::ALL.len(), "every mutation was generated");
}

#[test]
fn near_misses_fit_small_buffers() {
    let mut rng = Rng::new(3);
    for size in 0..12 {
        let mut buf = vec![SockFilter::default(); size];
        for mutation in Mutation::ALL {
            let generated = generate::near_miss_with(&mut rng, mutation, &mut buf);
            assert!(generated.len <= size);
            let err = validate(&buf[..generated.len]).expect_err("refused");
            assert_eq!(Some(err.rule.name()), generated.mutation.map(|m| m.rule_name()));
        }
    }
}

#[test]
fn garbage_never_panics_the_validator_and_sometimes_passes() {
    let mut rng = Rng::new(4);
    let mut buf = vec![SockFilter::default(); 512];
    let mut accepted = 0;
    for _ in 0..20000 {
        let generated = generate::program(&mut rng, Flavor::Garbage, &mut buf);
        if validate(&buf[..generated.len]).is_ok() {
            accepted += 1;
        }
    }
    assert!(accepted > 0 && accepted < 20000, "accepted {accepted}");
}

#[test]
fn generation_is_deterministic_per_seed() {
    let run = |seed| {
        let mut rng = Rng::new(seed);
        let mut buf = vec![SockFilter::default(); 600];
        let mut out = Vec::new();
        for flavor in [Flavor::Valid, Flavor::NearMiss, Flavor::Garbage] {
            let generated = generate::program(&mut rng, flavor, &mut buf);
            out.extend_from_slice(&buf[..generated.len]);
        }
        out
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}
