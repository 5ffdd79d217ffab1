//! The emulator's run-time semantics, one kernel behaviour per test.

use seccomp_core::abi::{self, SeccompData, SockFilter, offset};
use seccomp_core::action::Action;
use seccomp_core::bpf::emulate::{Emulation, emulate, emulate_stack};
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::validate;

fn st(code: u16, k: u32) -> SockFilter {
    SockFilter::stmt(code, k)
}

fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter::jump(code, k, jt, jf)
}

const RET_A: SockFilter = SockFilter::stmt(BPF_RET | BPF_A, 0);

fn data() -> SeccompData {
    SeccompData {
        nr: 59,
        arch: abi::AUDIT_ARCH_X86_64,
        instruction_pointer: 0x7fff_0000_1234_5678,
        args: [
            1,
            0xffff_ffff_0000_0002,
            3,
            0x8000_0000_0000_0000,
            5,
            0x0000_0006_0000_0000,
        ],
    }
}

/// Validates and runs `program` on [`data`].
fn run(program: &[SockFilter]) -> Emulation {
    let validated = validate(program).unwrap_or_else(|e| panic!("test program invalid: {e}"));
    emulate(&validated, &data())
}

/// Runs `program` and returns A as the program returned it (`ret a`).
fn ret_a(program: &[SockFilter]) -> u32 {
    let mut program = program.to_vec();
    program.push(RET_A);
    run(&program).action.raw()
}

#[test]
fn a_and_x_start_at_zero() {
    assert_eq!(ret_a(&[]), 0);
    assert_eq!(ret_a(&[st(BPF_MISC | BPF_TXA, 0)]), 0);
}

#[test]
fn arithmetic_is_32_bit_and_wraps() {
    let ld = |k| st(BPF_LD | BPF_IMM, k);
    let alu = |op, k| st(BPF_ALU | op | BPF_K, k);
    assert_eq!(ret_a(&[ld(u32::MAX), alu(BPF_ADD, 2)]), 1);
    assert_eq!(ret_a(&[ld(1), alu(BPF_SUB, 2)]), u32::MAX);
    assert_eq!(ret_a(&[ld(0x8000_0001), alu(BPF_MUL, 2)]), 2);
    assert_eq!(ret_a(&[ld(5), st(BPF_ALU | BPF_NEG, 0)]), 5u32.wrapping_neg());
    assert_eq!(ret_a(&[ld(0xf0f0), alu(BPF_AND, 0xff00)]), 0xf000);
    assert_eq!(ret_a(&[ld(0xf0f0), alu(BPF_OR, 0x0f00)]), 0xfff0);
    assert_eq!(ret_a(&[ld(0xf0f0), alu(BPF_XOR, 0xffff)]), 0x0f0f);
    // With X as the operand.
    let x = |k| st(BPF_LDX | BPF_IMM, k);
    let alu_x = |op| st(BPF_ALU | op | BPF_X, 0);
    assert_eq!(ret_a(&[ld(u32::MAX), x(3), alu_x(BPF_ADD)]), 2);
    assert_eq!(ret_a(&[ld(3), x(5), alu_x(BPF_SUB)]), 3u32.wrapping_sub(5));
    assert_eq!(ret_a(&[ld(0x1_0001), x(0x1_0001), alu_x(BPF_MUL)]), 0x2_0001);
    assert_eq!(ret_a(&[ld(12), x(10), alu_x(BPF_AND)]), 8);
    assert_eq!(ret_a(&[ld(12), x(10), alu_x(BPF_OR)]), 14);
    assert_eq!(ret_a(&[ld(12), x(10), alu_x(BPF_XOR)]), 6);
}

#[test]
fn division_is_unsigned() {
    let program = [
        st(BPF_LD | BPF_IMM, 0xffff_fffe),
        st(BPF_ALU | BPF_DIV | BPF_K, 2),
    ];
    assert_eq!(ret_a(&program), 0x7fff_ffff);
    let program = [
        st(BPF_LD | BPF_IMM, 0xffff_ffff),
        st(BPF_LDX | BPF_IMM, 0x8000_0000),
        st(BPF_ALU | BPF_DIV | BPF_X, 0),
    ];
    assert_eq!(ret_a(&program), 1);
}

#[test]
fn division_by_x_zero_returns_kill_thread_immediately() {
    let program = [
        st(BPF_LD | BPF_IMM, 7),
        st(BPF_ALU | BPF_DIV | BPF_X, 0),
        SockFilter::ret(abi::RET_ALLOW),
    ];
    assert_eq!(
        run(&program),
        Emulation {
            action: Action::KILL_THREAD,
            executed: 2
        }
    );
}

#[test]
fn shifts_by_x_use_the_low_five_bits() {
    let shift = |op, a, x| {
        ret_a(&[
            st(BPF_LD | BPF_IMM, a),
            st(BPF_LDX | BPF_IMM, x),
            st(BPF_ALU | op | BPF_X, 0),
        ])
    };
    assert_eq!(shift(BPF_LSH, 1, 31), 0x8000_0000);
    assert_eq!(shift(BPF_LSH, 1, 32), 1);
    assert_eq!(shift(BPF_LSH, 1, 33), 2);
    assert_eq!(shift(BPF_RSH, 0x8000_0000, 32), 0x8000_0000);
    assert_eq!(shift(BPF_RSH, 0x8000_0000, 63), 1);
    assert_eq!(shift(BPF_RSH, 0x8000_0000, 4), 0x0800_0000);
    // Right shifts are logical, not arithmetic.
    assert_eq!(
        ret_a(&[
            st(BPF_LD | BPF_IMM, 0x8000_0000),
            st(BPF_ALU | BPF_RSH | BPF_K, 31)
        ]),
        1
    );
    assert_eq!(
        ret_a(&[st(BPF_LD | BPF_IMM, 3), st(BPF_ALU | BPF_LSH | BPF_K, 30)]),
        0xc000_0000
    );
}

#[test]
fn len_loads_give_the_size_of_seccomp_data() {
    assert_eq!(ret_a(&[st(BPF_LD | BPF_W | BPF_LEN, 0)]), 64);
    assert_eq!(
        ret_a(&[st(BPF_LDX | BPF_W | BPF_LEN, 0), st(BPF_MISC | BPF_TXA, 0)]),
        64
    );
}

#[test]
fn absolute_loads_read_little_endian_halves_of_seccomp_data() {
    let load = |k| ret_a(&[SockFilter::load_data(k)]);
    assert_eq!(load(offset::NR), 59);
    assert_eq!(load(offset::ARCH), abi::AUDIT_ARCH_X86_64);
    assert_eq!(load(offset::IP_LO), 0x1234_5678);
    assert_eq!(load(offset::IP_HI), 0x7fff_0000);
    assert_eq!(load(offset::arg_lo(1)), 2);
    assert_eq!(load(offset::arg_hi(1)), 0xffff_ffff);
    assert_eq!(load(offset::arg_hi(3)), 0x8000_0000);
    assert_eq!(load(offset::arg_lo(5)), 0);
    assert_eq!(load(offset::arg_hi(5)), 6);
    // A negative nr is loaded as its 32-bit pattern.
    let insns = [SockFilter::load_data(0), RET_A];
    let program = validate(&insns).unwrap();
    let data = SeccompData { nr: -1, ..data() };
    assert_eq!(emulate(&program, &data).action.raw(), u32::MAX);
}

#[test]
fn scratch_memory_holds_values_per_cell() {
    let program = [
        st(BPF_LD | BPF_IMM, 11),
        st(BPF_ST, 0),
        st(BPF_LDX | BPF_IMM, 22),
        st(BPF_STX, 15),
        st(BPF_LD | BPF_MEM, 15),
        st(BPF_LDX | BPF_MEM, 0),
        st(BPF_ALU | BPF_SUB | BPF_X, 0),
    ];
    assert_eq!(ret_a(&program), 11);
}

#[test]
fn tax_and_txa_copy_between_registers() {
    let program = [
        st(BPF_LD | BPF_IMM, 9),
        st(BPF_MISC | BPF_TAX, 0),
        st(BPF_LD | BPF_IMM, 1),
        st(BPF_MISC | BPF_TXA, 0),
    ];
    assert_eq!(ret_a(&program), 9);
}

#[test]
fn conditional_jumps_compare_unsigned_and_skip_relative_to_the_next_instruction() {
    // jcc; ret #1 (false path, at +1); ret #2 (true path, at +2)
    let branch = |code, a: u32, operand: u32| {
        let program = [
            st(BPF_LD | BPF_IMM, a),
            st(BPF_LDX | BPF_IMM, operand),
            jmp(code, if src(code) == BPF_X { 0 } else { operand }, 1, 0),
            SockFilter::ret(1),
            SockFilter::ret(2),
        ];
        run(&program).action.raw() == 2
    };
    for s in [BPF_K, BPF_X] {
        assert!(branch(BPF_JMP | BPF_JEQ | s, 5, 5));
        assert!(!branch(BPF_JMP | BPF_JEQ | s, 5, 6));
        assert!(branch(BPF_JMP | BPF_JGT | s, u32::MAX, 1), "JGT is unsigned");
        assert!(!branch(BPF_JMP | BPF_JGT | s, 5, 5));
        assert!(branch(BPF_JMP | BPF_JGE | s, 5, 5));
        assert!(!branch(BPF_JMP | BPF_JGE | s, 1, u32::MAX));
        assert!(branch(BPF_JMP | BPF_JSET | s, 0b1010, 0b0010));
        assert!(!branch(BPF_JMP | BPF_JSET | s, 0b1010, 0b0101));
    }
}

#[test]
fn ja_skips_k_instructions_and_the_count_includes_only_executed_ones() {
    let program = [
        st(BPF_JMP | BPF_JA, 2),
        SockFilter::ret(1),
        SockFilter::ret(2),
        SockFilter::ret(3),
    ];
    assert_eq!(
        run(&program),
        Emulation {
            action: Action(3),
            executed: 2
        }
    );
}

#[test]
fn ret_k_returns_the_raw_value_and_ret_a_returns_a() {
    assert_eq!(run(&[SockFilter::ret(0x1234_5678)]).action, Action(0x1234_5678));
    assert_eq!(
        run(&[st(BPF_LD | BPF_IMM, abi::RET_ERRNO | 13), RET_A]).action,
        Action(abi::RET_ERRNO | 13)
    );
}

#[test]
fn stack_composes_by_precedence_and_reports_the_deciding_filter() {
    static ALLOW: [SockFilter; 1] = [SockFilter::ret(abi::RET_ALLOW)];
    static ERRNO: [SockFilter; 1] = [SockFilter::ret(abi::RET_ERRNO | 1)];
    static ERRNO2: [SockFilter; 1] = [SockFilter::ret(abi::RET_ERRNO | 2)];
    static LOG: [SockFilter; 1] = [SockFilter::ret(abi::RET_LOG)];
    let v = |p: &'static [SockFilter]| validate(p).unwrap();
    let (allow, errno, errno2, log) = (v(&ALLOW), v(&ERRNO), v(&ERRNO2), v(&LOG));
    let d = data();
    assert_eq!(emulate_stack(&[], &d), (Action::ALLOW, None));
    assert_eq!(emulate_stack(&[allow, allow], &d), (Action::ALLOW, None));
    assert_eq!(
        emulate_stack(&[log, errno, allow], &d),
        (Action(abi::RET_ERRNO | 1), Some(1))
    );
    // On a tie the newest (first) filter's data wins.
    assert_eq!(
        emulate_stack(&[errno2, errno], &d),
        (Action(abi::RET_ERRNO | 2), Some(0))
    );
}

#[test]
fn trace_reports_each_executed_instruction_with_the_registers_before_it() {
    use seccomp_core::bpf::emulate::{Step, trace};
    let insns = [
        SockFilter::load_data(offset::NR),
        jmp(BPF_JMP | BPF_JEQ | BPF_K, 59, 1, 0),
        SockFilter::ret(abi::RET_ERRNO | 1),
        SockFilter::ret(abi::RET_ALLOW),
    ];
    let program = validate(&insns).unwrap();
    let mut steps = Vec::new();
    let result = trace(&program, &data(), |step| steps.push(*step));
    assert_eq!(result, emulate(&program, &data()));
    let path: Vec<(usize, u32)> = steps.iter().map(|s: &Step| (s.pc, s.a)).collect();
    assert_eq!(path, [(0, 0), (1, 59), (3, 59)]);
    assert_eq!(steps.len(), result.executed);
}
