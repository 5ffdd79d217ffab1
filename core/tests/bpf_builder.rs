//! The builder (the forward front of the writer): label resolution, trampolines for far branches (checked against a direct interpretation of
//! the symbolic program, which has no offset limits), and its errors.

use seccomp_core::Rng;
use seccomp_core::abi::{self, SeccompData, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::bpf::builder::{BuildError, Builder, LabelSlot, Slot, Storage, Target};
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::{emulate, validate};

/// A symbolic program: what the builder is asked to emit.
#[derive(Clone, Copy, Debug)]
enum Op {
    Insn(SockFilter),
    Jump(usize),
    Branch(u16, u32, Tgt, Tgt),
    Bind(usize),
}

#[derive(Clone, Copy, Debug)]
enum Tgt {
    Label(usize),
    Next,
}

/// Runs the symbolic program directly: labels are positions in the op list, so there is no offset limit.
fn reference(ops: &[Op], data: &SeccompData) -> u32 {
    let position = |label: usize| {
        ops.iter()
            .position(|op| matches!(op, Op::Bind(l) if *l == label))
            .expect("bound label")
    };
    let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
    loop {
        let op = ops[pc];
        pc += 1;
        match op {
            Op::Bind(_) => {}
            Op::Jump(label) => pc = position(label),
            Op::Branch(code, k, then, otherwise) => {
                let operand = if src(code) == BPF_X { x } else { k };
                let taken = match op_bits(code) {
                    BPF_JEQ => a == operand,
                    BPF_JGT => a > operand,
                    BPF_JGE => a >= operand,
                    _ => a & operand != 0,
                };
                match if taken { then } else { otherwise } {
                    Tgt::Label(label) => pc = position(label),
                    Tgt::Next => {}
                }
            }
            Op::Insn(insn) => match insn.code {
                c if c == BPF_RET | BPF_K => return insn.k,
                c if c == BPF_RET | BPF_A => return a,
                c if c == BPF_LD | BPF_W | BPF_ABS => a = data.word_at(insn.k).unwrap(),
                c if c == BPF_LD | BPF_IMM => a = insn.k,
                c if c == BPF_LDX | BPF_IMM => x = insn.k,
                c if c == BPF_ALU | BPF_ADD | BPF_K => a = a.wrapping_add(insn.k),
                c if c == BPF_MISC | BPF_TAX => x = a,
                c => panic!("reference: unexpected opcode {c:#x}"),
            },
        }
    }
}

fn op_bits(code: u16) -> u16 {
    code & 0xf0
}

/// Builds the symbolic program into fresh storage and returns the instructions.
fn build(ops: &[Op]) -> Result<Vec<SockFilter>, BuildError> {
    let mut storage = Box::new(Storage::<4096, 1024>::new());
    let mut b = storage.builder();
    let mut labels = Vec::new();
    let mut label = |b: &mut Builder<'_>, id: usize| -> Result<_, BuildError> {
        while labels.len() <= id {
            labels.push(b.label()?);
        }
        Ok(labels[id])
    };
    for op in ops {
        match *op {
            Op::Insn(insn) => b.emit(insn)?,
            Op::Jump(l) => {
                let l = label(&mut b, l)?;
                b.jump(l)?
            }
            Op::Branch(code, k, then, otherwise) => {
                let then = match then {
                    Tgt::Label(l) => Target::Label(label(&mut b, l)?),
                    Tgt::Next => Target::Next,
                };
                let otherwise = match otherwise {
                    Tgt::Label(l) => Target::Label(label(&mut b, l)?),
                    Tgt::Next => Target::Next,
                };
                b.jump_if(code, k, then, otherwise)?
            }
            Op::Bind(l) => {
                let l = label(&mut b, l)?;
                b.bind(l)?
            }
        }
    }
    Ok(b.finish()?.to_vec())
}

fn filler(n: usize) -> impl Iterator<Item = Op> {
    (0..n).map(|i| Op::Insn(SockFilter::stmt(BPF_ALU | BPF_ADD | BPF_K, i as u32)))
}

fn data(nr: i32, arg0: u64) -> SeccompData {
    SeccompData {
        nr,
        arch: abi::AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args: [arg0, 0, 0, 0, 0, 0],
    }
}

/// Builds, validates and compares the emulation with the reference on several inputs.
fn check_against_reference(ops: &[Op], inputs: &[SeccompData]) -> Vec<SockFilter> {
    let program = build(ops).unwrap_or_else(|e| panic!("build failed: {e}"));
    let validated = validate(&program).unwrap_or_else(|e| panic!("built program invalid: {e}"));
    for input in inputs {
        assert_eq!(
            emulate(&validated, input).action,
            Action(reference(ops, input)),
            "input {input:?}"
        );
    }
    program
}

fn nr(nr: i32) -> SeccompData {
    data(nr, 0)
}

const JEQ: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const JA: u16 = BPF_JMP | BPF_JA;

/// `ld [nr]; jeq #1, T, next; ret ERRNO(1); <gap - 1 fillers>; T: ret ALLOW`: the then-offset is `gap`.
fn one_way(gap: usize) -> Vec<Op> {
    let mut ops = vec![
        Op::Insn(SockFilter::load_data(0)),
        Op::Branch(JEQ, 1, Tgt::Label(0), Tgt::Next),
        Op::Insn(SockFilter::ret(abi::RET_ERRNO | 1)),
    ];
    ops.extend(filler(gap - 1));
    ops.push(Op::Bind(0));
    ops.push(Op::Insn(SockFilter::ret(abi::RET_ALLOW)));
    ops
}

/// The writer uses a target directly only when it stays in reach with two trampolines in between (at most
/// 253 away), so that no decision is ever revised.
#[test]
fn branch_253_away_is_encoded_directly() {
    let program = check_against_reference(&one_way(253), &[nr(1), nr(2)]);
    assert_eq!(program.len(), 256);
    assert_eq!(program[1], SockFilter::jump(JEQ, 1, 253, 0));
    assert!(program.iter().all(|insn| insn.code != JA), "no trampoline");
}

#[test]
fn branch_254_away_gets_a_trampoline_right_after_it() {
    let program = check_against_reference(&one_way(254), &[nr(1), nr(2)]);
    assert_eq!(program.len(), 258);
    assert_eq!(
        program[1],
        SockFilter::jump(JEQ, 1, 0, 1),
        "then to the trampoline, else past it"
    );
    assert_eq!(
        program[2],
        SockFilter::stmt(JA, 254),
        "the trampoline reaches the target at 257"
    );
    assert_eq!(program[3], SockFilter::ret(abi::RET_ERRNO | 1));
}

#[test]
fn branch_far_beyond_255_uses_the_32_bit_ja() {
    let program = check_against_reference(&one_way(3000), &[nr(1), nr(2)]);
    assert_eq!(program[2], SockFilter::stmt(JA, 3000));
}

#[test]
fn two_far_targets_get_one_trampoline_each_the_else_one_first() {
    // jt = 255 and jf = 256: both out of reach, so both get a trampoline.
    let mut ops = vec![
        Op::Insn(SockFilter::load_data(0)),
        Op::Branch(JEQ, 1, Tgt::Label(0), Tgt::Label(1)),
    ];
    ops.extend(filler(255));
    ops.push(Op::Bind(0));
    ops.push(Op::Insn(SockFilter::ret(abi::RET_ALLOW)));
    ops.push(Op::Bind(1));
    ops.push(Op::Insn(SockFilter::ret(abi::RET_ERRNO | 1)));
    let program = check_against_reference(&ops, &[nr(1), nr(2)]);
    assert_eq!(program[1], SockFilter::jump(JEQ, 1, 1, 0));
    assert_eq!(program[2], SockFilter::stmt(JA, 257), "to the ERRNO at 260");
    assert_eq!(program[3], SockFilter::stmt(JA, 255), "to the ALLOW at 259");
    assert_eq!(program.len(), 261);
}

#[test]
fn a_later_trampoline_can_push_an_earlier_branch_out_of_reach() {
    // A's target starts exactly 255 away; B, between A and that target, needs a trampoline, which moves
    // A's target to 256. Written backwards, B and its trampoline exist when A is written, so A's distance
    // is known and A gets its trampoline at once.
    let mut ops = vec![
        Op::Insn(SockFilter::load_data(0)),
        Op::Branch(JEQ, 1, Tgt::Label(0), Tgt::Next),
        Op::Branch(JEQ, 2, Tgt::Label(1), Tgt::Next),
        Op::Insn(SockFilter::ret(abi::RET_ERRNO | 2)),
    ];
    ops.extend(filler(253));
    ops.push(Op::Bind(0));
    ops.push(Op::Insn(SockFilter::ret(abi::RET_ALLOW)));
    ops.extend(filler(300));
    ops.push(Op::Bind(1));
    ops.push(Op::Insn(SockFilter::ret(abi::RET_ERRNO | 3)));
    let program = check_against_reference(&ops, &[nr(1), nr(2), nr(3)]);
    assert_eq!(program[1], SockFilter::jump(JEQ, 1, 0, 1));
    assert_eq!(
        program[2],
        SockFilter::stmt(JA, 256),
        "A's target, the ALLOW at 259"
    );
    assert_eq!(program[3], SockFilter::jump(JEQ, 2, 0, 1));
    assert_eq!(program[4], SockFilter::stmt(JA, 555), "B's target at 560");
    assert_eq!(program[259], SockFilter::ret(abi::RET_ALLOW));
    assert_eq!(program[560], SockFilter::ret(abi::RET_ERRNO | 3));
}

#[test]
fn unconditional_jumps_and_next_targets_resolve() {
    let ops = vec![
        Op::Insn(SockFilter::load_data(0)),
        Op::Branch(JEQ, 5, Tgt::Next, Tgt::Label(0)),
        Op::Jump(1),
        Op::Bind(0),
        Op::Insn(SockFilter::ret(abi::RET_ERRNO | 1)),
        Op::Bind(1),
        Op::Insn(SockFilter::ret(abi::RET_ALLOW)),
    ];
    let program = check_against_reference(&ops, &[nr(5), nr(6)]);
    assert_eq!(
        program,
        [
            SockFilter::load_data(0),
            SockFilter::jump(JEQ, 5, 0, 1),
            SockFilter::stmt(JA, 1),
            SockFilter::ret(abi::RET_ERRNO | 1),
            SockFilter::ret(abi::RET_ALLOW),
        ]
    );
}

/// Random symbolic programs with near and far forward jumps, built and compared with the reference.
#[test]
fn random_programs_with_far_jumps_match_the_reference() {
    let mut rng = Rng::new(42);
    let codes = [
        JEQ,
        BPF_JMP | BPF_JGT | BPF_K,
        BPF_JMP | BPF_JGE | BPF_K,
        BPF_JMP | BPF_JSET | BPF_K,
        BPF_JMP | BPF_JEQ | BPF_X,
        BPF_JMP | BPF_JGT | BPF_X,
    ];
    let mut trampolines = 0;
    for _ in 0..300 {
        let mut ops = Vec::new();
        let mut next_label = 0;
        let mut open: Vec<usize> = Vec::new();
        let budget = rng.range(10, 2500) as usize;
        let mut size = 0;
        while size < budget {
            match rng.below(10) {
                0..3 => {
                    let mut pick = |rng: &mut Rng| {
                        if !open.is_empty() && rng.chance(60) {
                            Tgt::Label(open[rng.below(open.len() as u64) as usize])
                        } else if rng.chance(30) {
                            Tgt::Next
                        } else {
                            open.push(next_label);
                            next_label += 1;
                            Tgt::Label(next_label - 1)
                        }
                    };
                    let (then, otherwise) = (pick(&mut rng), pick(&mut rng));
                    ops.push(Op::Branch(
                        codes[rng.below(6) as usize],
                        rng.below(8) as u32,
                        then,
                        otherwise,
                    ));
                }
                3 if !open.is_empty() => ops.push(Op::Jump(open[rng.below(open.len() as u64) as usize])),
                4 if !open.is_empty() => {
                    let label = open.swap_remove(rng.below(open.len() as u64) as usize);
                    ops.push(Op::Bind(label));
                }
                5 => ops.push(Op::Insn(SockFilter::ret(rng.below(4) as u32))),
                6 => {
                    let gap = rng.range(100, 400) as usize;
                    size += gap;
                    ops.extend(filler(gap));
                }
                7 => ops.push(Op::Insn(SockFilter::load_data(4 * rng.below(3) as u32 * 4))),
                8 => ops.push(Op::Insn(SockFilter::stmt(BPF_LDX | BPF_IMM, rng.below(8) as u32))),
                _ => ops.push(Op::Insn(SockFilter::stmt(BPF_MISC | BPF_TAX, 0))),
            }
            size += 1;
        }
        for label in open.drain(..) {
            ops.push(Op::Bind(label));
            ops.push(Op::Insn(SockFilter::ret(label as u32 + 100)));
        }
        ops.push(Op::Insn(SockFilter::stmt(BPF_RET | BPF_A, 0)));
        let inputs: Vec<SeccompData> = (0..12).map(|i| data(rng.below(8) as i32, i % 4)).collect();
        let program = check_against_reference(&ops, &inputs);
        let jumps = ops.iter().filter(|op| matches!(op, Op::Jump(..))).count();
        trampolines += program.iter().filter(|i| i.code == JA).count() - jumps;
        assert!(program.len() >= ops.iter().filter(|op| !matches!(op, Op::Bind(_))).count());
    }
    assert!(
        trampolines > 50,
        "the random programs exercised trampolines ({trampolines})"
    );
}

#[test]
fn jumps_to_bound_labels_are_refused_as_backward() {
    let mut storage = Storage::<8, 4>::new();
    let mut b = storage.builder();
    let l = b.label().unwrap();
    b.bind(l).unwrap();
    b.ret(Action::ALLOW).unwrap();
    assert_eq!(b.jump(l), Err(BuildError::BackwardJump { label: 0 }));
    assert_eq!(
        b.jump_if(JEQ, 0, l, Target::Next),
        Err(BuildError::BackwardJump { label: 0 })
    );
}

#[test]
fn label_errors_name_the_label() {
    let mut storage = Storage::<8, 4>::new();
    let mut b = storage.builder();
    let l0 = b.label().unwrap();
    let l1 = b.label().unwrap();
    assert_eq!(b.bind(l0), Ok(()));
    assert_eq!(b.bind(l0), Err(BuildError::LabelBoundTwice { label: 0 }));
    assert!(b.is_bound(l0) && !b.is_bound(l1));
    // A label made by a builder with more labels is unknown here.
    let mut other_storage = Storage::<8, 4>::new();
    let mut other = other_storage.builder();
    let foreign = (0..3).map(|_| other.label().unwrap()).last().unwrap();
    assert_eq!(b.jump(foreign), Err(BuildError::UnknownLabel { label: 2 }));
    b.jump(l1).unwrap();
    assert_eq!(b.finish(), Err(BuildError::UnboundLabel { label: 1 }));
}

#[test]
fn jumps_past_the_end_are_refused() {
    let mut storage = Storage::<8, 4>::new();
    let mut b = storage.builder();
    let end = b.label().unwrap();
    b.jump(end).unwrap();
    b.bind(end).unwrap();
    assert_eq!(b.finish(), Err(BuildError::JumpPastEnd { label: Some(0) }));
    let mut b = storage.builder();
    b.load(0).unwrap();
    b.jump_if(JEQ, 0, Target::Next, Target::Next).unwrap();
    assert_eq!(b.finish(), Err(BuildError::JumpPastEnd { label: None }));
}

#[test]
fn jump_if_takes_the_operation_alone_and_zeroes_k_for_x() {
    let mut storage = Storage::<8, 4>::new();
    let mut b = storage.builder();
    b.load(0).unwrap();
    b.jump_if(BPF_JGE | BPF_K, 7, Target::Next, Target::Next).unwrap();
    b.jump_if(BPF_JMP | BPF_JSET | BPF_X, 7, Target::Next, Target::Next)
        .unwrap();
    b.ret(Action::ALLOW).unwrap();
    assert_eq!(
        b.finish().unwrap(),
        [
            SockFilter::load_data(0),
            SockFilter::jump(BPF_JMP | BPF_JGE | BPF_K, 7, 0, 0),
            SockFilter::jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0),
            SockFilter::ret(abi::RET_ALLOW),
        ]
    );
}

#[test]
fn opcode_misuse_is_refused() {
    let mut storage = Storage::<8, 4>::new();
    let mut b = storage.builder();
    assert_eq!(
        b.emit(SockFilter::stmt(JA, 0)),
        Err(BuildError::RawJump { code: JA })
    );
    assert_eq!(
        b.emit(SockFilter::jump(JEQ, 0, 0, 0)),
        Err(BuildError::RawJump { code: JEQ })
    );
    assert_eq!(
        b.jump_if(BPF_JMP | BPF_JA, 0, Target::Next, Target::Next),
        Err(BuildError::NotABranch { code: JA })
    );
    assert_eq!(
        b.jump_if(BPF_LD | BPF_MEM, 0, Target::Next, Target::Next),
        Err(BuildError::NotABranch {
            code: BPF_LD | BPF_MEM
        })
    );
    assert_eq!(
        b.jump_if(BPF_JA, 0, Target::Next, Target::Next),
        Err(BuildError::NotABranch { code: BPF_JA })
    );
    assert!(b.is_empty());
}

#[test]
fn capacities_are_enforced() {
    let mut items = [Slot::EMPTY; 2];
    let mut labels = [LabelSlot::UNBOUND; 1];
    let mut out = [SockFilter::default(); 3];
    let mut b = Builder::new(&mut items, &mut labels, &mut out);
    b.label().unwrap();
    assert_eq!(b.label(), Err(BuildError::TooManyLabels { capacity: 1 }));
    b.ret(Action::ALLOW).unwrap();
    b.ret(Action::ALLOW).unwrap();
    assert_eq!(
        b.ret(Action::ALLOW),
        Err(BuildError::TooManyInstructions { capacity: 2 })
    );
    assert_eq!(b.len(), 2);
    assert_eq!(b.finish().map(<[SockFilter]>::len), Ok(2));

    // Output too small once a trampoline is needed.
    let mut storage = Box::new(Storage::<4096, 4>::new());
    let mut items = [Slot::EMPTY; 300];
    let mut labels = [LabelSlot::UNBOUND; 1];
    let mut out = [SockFilter::default(); 300];
    let mut b = Builder::new(&mut items, &mut labels, &mut out);
    let far = b.label().unwrap();
    b.jump_if(JEQ, 0, far, Target::Next).unwrap();
    for _ in 0..298 {
        b.emit(SockFilter::stmt(BPF_LD | BPF_IMM, 0)).unwrap();
    }
    b.bind(far).unwrap();
    b.ret(Action::ALLOW).unwrap();
    assert_eq!(
        b.finish(),
        Err(BuildError::OutputTooSmall {
            needed: 301,
            capacity: 300
        })
    );

    // More than 4096 instructions once trampolines are added.
    let mut b = storage.builder();
    let far = b.label().unwrap();
    b.jump_if(JEQ, 0, far, Target::Next).unwrap();
    for _ in 0..4094 {
        b.emit(SockFilter::stmt(BPF_LD | BPF_IMM, 0)).unwrap();
    }
    b.bind(far).unwrap();
    b.ret(Action::ALLOW).unwrap();
    assert_eq!(b.finish(), Err(BuildError::ProgramTooLong { len: 4097 }));
}

#[test]
fn error_messages_are_sentences() {
    assert_eq!(
        BuildError::BackwardJump { label: 3 }.to_string(),
        "jump to label 3, which is already bound: classic BPF jumps only forward"
    );
    assert_eq!(
        BuildError::OutputTooSmall {
            needed: 10,
            capacity: 8
        }
        .to_string(),
        "the program needs at least 10 instructions but the output holds 8"
    );
}
