//! The text form: disassembler golden output, the assembler's labels, comments and errors, and the round trip
//! disassemble → assemble == original bytes over thousands of generated and random programs.

use seccomp_core::Rng;
use seccomp_core::abi::{self, SockFilter};
use seccomp_core::bpf::asm::{AsmError, AsmErrorKind, assemble};
use seccomp_core::bpf::disasm::{Listing, disassemble};
use seccomp_core::bpf::generate::{self, Flavor};
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::validate;

fn st(code: u16, k: u32) -> SockFilter {
    SockFilter::stmt(code, k)
}

fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter::jump(code, k, jt, jf)
}

fn asm(source: &str) -> Result<Vec<SockFilter>, AsmError> {
    let mut out = vec![SockFilter::default(); 5000];
    assemble(source, &mut out).map(<[SockFilter]>::to_vec)
}

fn listing(insns: &[SockFilter]) -> String {
    Listing(insns).to_string()
}

/// Every instruction form, in the order of the syntax table.
fn every_form() -> Vec<SockFilter> {
    vec![
        SockFilter::load_data(4),
        st(BPF_LD | BPF_H | BPF_ABS, 2),
        st(BPF_LD | BPF_B | BPF_ABS, 0xffff_f000),
        st(BPF_LD | BPF_W | BPF_IND, 8),
        st(BPF_LD | BPF_H | BPF_IND, 0),
        st(BPF_LD | BPF_B | BPF_IND, 4096),
        st(BPF_LD | BPF_IMM, 4095),
        st(BPF_LDX | BPF_IMM, 4096),
        st(BPF_LD | BPF_MEM, 15),
        st(BPF_LDX | BPF_MEM, 16),
        st(BPF_ST, 0),
        st(BPF_STX, 3),
        st(BPF_LD | BPF_W | BPF_LEN, 0),
        st(BPF_LDX | BPF_W | BPF_LEN, 0),
        st(BPF_LDX | BPF_B | BPF_MSH, 14),
        st(BPF_ALU | BPF_ADD | BPF_K, 1),
        st(BPF_ALU | BPF_SUB | BPF_X, 0),
        st(BPF_ALU | BPF_MUL | BPF_K, 3),
        st(BPF_ALU | BPF_DIV | BPF_X, 0),
        st(BPF_ALU | BPF_MOD | BPF_K, 7),
        st(BPF_ALU | BPF_AND | BPF_K, 0xffff),
        st(BPF_ALU | BPF_OR | BPF_X, 0),
        st(BPF_ALU | BPF_XOR | BPF_K, 1),
        st(BPF_ALU | BPF_LSH | BPF_K, 31),
        st(BPF_ALU | BPF_RSH | BPF_X, 0),
        st(BPF_ALU | BPF_NEG, 0),
        st(BPF_MISC | BPF_TAX, 0),
        st(BPF_MISC | BPF_TXA, 0),
        st(BPF_JMP | BPF_JA, 1),
        jmp(BPF_JMP | BPF_JEQ | BPF_K, abi::AUDIT_ARCH_X86_64, 0, 255),
        jmp(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 2),
        jmp(BPF_JMP | BPF_JGE | BPF_K, 0, 3, 0),
        jmp(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0),
        SockFilter::ret(abi::RET_ALLOW),
        SockFilter::ret(abi::RET_ERRNO | 1),
        SockFilter::ret(abi::RET_TRAP | 0x1234),
        SockFilter::ret(abi::RET_TRACE),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::ret(abi::RET_KILL_THREAD),
        SockFilter::ret(abi::RET_USER_NOTIF),
        SockFilter::ret(abi::RET_LOG),
        SockFilter::ret(abi::RET_ALLOW | 1),
        SockFilter::ret(0x1234_0000),
        st(BPF_RET | BPF_A, 0),
        // Raw forms: an unknown opcode, jt/jf on a non-jump, k on an instruction without one.
        jmp(0x00ff, 0xdead_beef, 1, 2),
        jmp(BPF_RET | BPF_K, abi::RET_ALLOW, 0, 9),
        st(BPF_MISC | BPF_TAX, 5),
        jmp(BPF_JMP | BPF_JEQ | BPF_X, 7, 0, 0),
        jmp(BPF_JMP | BPF_JA, 0, 1, 0),
    ]
}

const EVERY_FORM: &str = "   0: ld [arch]
   1: ldh [2]
   2: ldb [0xfffff000]
   3: ld [x + 8]
   4: ldh [x + 0]
   5: ldb [x + 0x1000]
   6: ld #4095
   7: ldx #0x1000
   8: ld M[15]
   9: ldx M[16]
  10: st M[0]
  11: stx M[3]
  12: ld len
  13: ldx len
  14: ldx 4*([14]&0xf)
  15: add #1
  16: sub x
  17: mul #3
  18: div x
  19: mod #7
  20: and #0xffff
  21: or x
  22: xor #1
  23: lsh #31
  24: rsh x
  25: neg
  26: tax
  27: txa
  28: ja 30
  29: jeq #0xc000003e, 30, 285  ; target outside the program
  30: jgt x, 32, 33
  31: jge #0, 35, 32
  32: jset x, 33, 33
  33: ret ALLOW
  34: ret ERRNO(1)
  35: ret TRAP(4660)
  36: ret TRACE(0)
  37: ret KILL_PROCESS
  38: ret KILL_THREAD
  39: ret USER_NOTIF
  40: ret LOG
  41: ret #0x7fff0001
  42: ret #0x12340000
  43: ret a
  44: .insn 0x00ff, 1, 2, 0xdeadbeef  ; not a classic BPF opcode
  45: .insn 0x0006, 0, 9, 0x7fff0000  ; jt/jf set on an instruction that ignores them
  46: .insn 0x0007, 0, 0, 0x5  ; k set on an instruction that ignores it
  47: .insn 0x001d, 0, 0, 0x7  ; k set on an instruction that ignores it
  48: .insn 0x0005, 1, 0, 0x0  ; jt/jf set on an instruction that ignores them
";

#[test]
fn disassembly_of_every_form_matches_the_golden_listing() {
    assert_eq!(listing(&every_form()), EVERY_FORM);
}

#[test]
fn golden_listing_assembles_back_to_the_same_bytes() {
    assert_eq!(asm(EVERY_FORM).unwrap(), every_form());
}

#[test]
fn disassemble_writes_to_any_fmt_write() {
    let mut text = String::new();
    disassemble(
        &mut text,
        &[SockFilter::load_data(20), SockFilter::ret(abi::RET_ALLOW)],
    )
    .unwrap();
    assert_eq!(text, "   0: ld [args[0].hi]\n   1: ret ALLOW\n");
}

#[test]
fn hand_written_programs_use_labels_and_comments() {
    let source = "
        ; allow read(2) on x86_64
                ld [arch]            ; the calling convention
                jeq #0xc000003e, check, kill
        check:  ld [nr]
                jeq #0, allow, deny
        allow:  ret ALLOW
        deny:   ret ERRNO(1)
        kill:
                ret KILL_PROCESS
    ";
    let program = asm(source).unwrap();
    assert_eq!(
        program,
        [
            SockFilter::load_data(4),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, abi::AUDIT_ARCH_X86_64, 0, 4),
            SockFilter::load_data(0),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            SockFilter::ret(abi::RET_ALLOW),
            SockFilter::ret(abi::RET_ERRNO | 1),
            SockFilter::ret(abi::RET_KILL_PROCESS),
        ]
    );
    assert!(validate(&program).is_ok());
}

#[test]
fn assembler_accepts_aliases_and_any_case() {
    let program = asm("LD [Instruction_Pointer.HI]\nld [ip.lo]\nld [ARGS[5].LO]\nJEQ X, 4, 4\nRet notify\nret kill\nret trap\nret A")
        .unwrap();
    assert_eq!(
        program,
        [
            SockFilter::load_data(12),
            SockFilter::load_data(8),
            SockFilter::load_data(56),
            jmp(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0),
            SockFilter::ret(abi::RET_USER_NOTIF),
            SockFilter::ret(abi::RET_KILL_THREAD),
            SockFilter::ret(abi::RET_TRAP),
            st(BPF_RET | BPF_A, 0),
        ]
    );
}

/// One table row: source, and the line, column and error kind expected.
fn check_error(source: &str, line: usize, column: usize, kind: AsmErrorKind) {
    assert_eq!(asm(source), Err(AsmError { line, column, kind }), "{source:?}");
}

#[test]
fn assembler_errors_say_line_column_and_what_was_expected() {
    check_error("ret ALLOW\nfoo #1", 2, 1, AsmErrorKind::UnknownMnemonic);
    check_error("ld [65", 1, 7, AsmErrorKind::Expected("`]`"));
    check_error("add 3", 1, 5, AsmErrorKind::Expected("`#number` or `x`"));
    check_error(
        "jeq #1 2, 3",
        1,
        8,
        AsmErrorKind::Expected("`,` before the true target"),
    );
    check_error(
        "ld #0x100000000",
        1,
        5,
        AsmErrorKind::NumberTooLarge { max: u32::MAX as u64 },
    );
    check_error(
        "ret ERRNO(65536)",
        1,
        11,
        AsmErrorKind::NumberTooLarge { max: 0xffff },
    );
    check_error("jeq #1, nowhere, 1\nret a", 1, 9, AsmErrorKind::UnknownLabel);
    check_error("a: ret a\na: ret a", 2, 1, AsmErrorKind::DuplicateLabel);
    check_error("ret a\nback: ja back", 2, 10, AsmErrorKind::BackwardJump);
    check_error("jeq #1, 1, 257", 1, 12, AsmErrorKind::JumpTooFar { offset: 256 });
    check_error(
        "   0: ret a\n   2: ret a",
        2,
        4,
        AsmErrorKind::IndexMismatch {
            found: 2,
            expected: 1,
        },
    );
    check_error(
        "ret a junk",
        1,
        7,
        AsmErrorKind::Expected("the end of the line (or a `;` comment)"),
    );
    check_error("ld [args[6].lo]", 1, 10, AsmErrorKind::NumberTooLarge { max: 5 });
    check_error("ld [args[1].mid]", 1, 13, AsmErrorKind::Expected("`lo` or `hi`"));
    check_error(
        "ldh #1",
        1,
        1,
        AsmErrorKind::Expected("`ld` for an immediate load"),
    );
    check_error(
        ".insn 0x10000, 0, 0, 0",
        1,
        7,
        AsmErrorKind::NumberTooLarge { max: 0xffff },
    );
    let err = asm("ret a\n  ret bogus").unwrap_err();
    assert_eq!(
        err.to_string(),
        "2:7: expected `a`, `#number` or an action (ALLOW, ERRNO(n), KILL_PROCESS, ...)"
    );
}

#[test]
fn assembler_reports_a_full_output() {
    let mut out = [SockFilter::default(); 2];
    assert_eq!(
        assemble("ret a\nret a\nret a", &mut out),
        Err(AsmError {
            line: 3,
            column: 1,
            kind: AsmErrorKind::TooManyInstructions { capacity: 2 }
        })
    );
    assert_eq!(assemble("; nothing\n\n", &mut out), Ok(&[][..]));
}

#[test]
fn assembler_refuses_more_labels_than_its_table_holds() {
    let mut source = String::new();
    for i in 0..=seccomp_core::bpf::asm::MAX_LABELS {
        source.push_str(&format!("l{i}: ret a\n"));
    }
    let err = asm(&source).unwrap_err();
    assert_eq!((err.line, err.kind), (513, AsmErrorKind::TooManyLabels));
}

fn round_trip(program: &[SockFilter]) {
    let text = listing(program);
    let back = asm(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, program, "\n{text}");
}

#[test]
fn generated_programs_round_trip_byte_for_byte() {
    let mut rng = Rng::new(9);
    let mut buf = vec![SockFilter::default(); 4097];
    for i in 0..3000 {
        let flavor = [Flavor::Valid, Flavor::NearMiss, Flavor::Garbage][i % 3];
        let generated = generate::program(&mut rng, flavor, &mut buf);
        round_trip(&buf[..generated.len]);
    }
}

#[test]
fn random_bytes_round_trip_byte_for_byte() {
    let mut rng = Rng::new(10);
    for _ in 0..2000 {
        let len = rng.range(1, 40) as usize;
        let program: Vec<SockFilter> = (0..len)
            .map(|_| {
                let code = match rng.below(3) {
                    0 => rng.next_u32() as u16,
                    1 => rng.below(0x100) as u16,
                    _ => [0x06u16, 0x16, 0x07, 0x87, 0x84, 0x05, 0x15, 0x1d, 0x0c, 0x80]
                        [rng.below(10) as usize],
                };
                let small = rng.chance(50);
                let byte = |rng: &mut Rng| if small { 0 } else { rng.next_u32() as u8 };
                let k = if rng.chance(30) { 0 } else { rng.next_u32() };
                jmp(code, k, byte(&mut rng), byte(&mut rng))
            })
            .collect();
        round_trip(&program);
    }
}

#[test]
fn every_opcode_round_trips_with_zero_and_nonzero_fields() {
    for code in 0..=u16::MAX {
        round_trip(&[
            jmp(code, 0, 0, 0),
            jmp(code, 1, 0, 0),
            jmp(code, u32::MAX, 255, 255),
            jmp(code, 0, 1, 0),
        ]);
    }
}

#[test]
fn assembler_never_panics_on_mangled_listings_or_random_text() {
    let mut rng = Rng::new(11);
    let pieces = [
        "ld",
        "ldx",
        "[",
        "]",
        "M[",
        "#",
        "0x",
        "x",
        "+",
        ",",
        ":",
        ";",
        " ",
        "\t",
        "\n",
        "args[",
        "].lo",
        "ret",
        "ERRNO(",
        ")",
        "ja",
        "jeq",
        "4*([",
        "]&0xf)",
        "label",
        "é",
        "∀",
        "\r\n",
        "99999999999999999999",
        "-1",
        ".insn",
    ];
    let base = EVERY_FORM.as_bytes();
    for _ in 0..20000 {
        let mut text = String::new();
        if rng.chance(50) {
            // A slice of the golden listing with one piece spliced in.
            let start = rng.below(base.len() as u64) as usize;
            let end = (start + rng.below(80) as usize).min(base.len());
            text.push_str(&String::from_utf8_lossy(&base[start..end]));
            let at = text
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(text.chars().count() as u64 + 1) as usize);
            text.insert_str(
                at.unwrap_or(text.len()),
                pieces[rng.below(pieces.len() as u64) as usize],
            );
        } else {
            for _ in 0..rng.below(12) {
                text.push_str(pieces[rng.below(pieces.len() as u64) as usize]);
            }
        }
        // Any result is fine; an error must point inside the text.
        if let Err(err) = asm(&text) {
            let line = text.lines().nth(err.line - 1).unwrap_or("");
            assert!(
                err.column >= 1 && err.column <= line.len() + 1,
                "{err} in {text:?}"
            );
        }
    }
}
