//! Classic-BPF opcodes (`linux/bpf_common.h`, `linux/filter.h`) and instruction constructors.

use crate::abi::SockFilter;

/// Instruction class: load into A.
pub const BPF_LD: u16 = 0x00;
/// Instruction class: load into X.
pub const BPF_LDX: u16 = 0x01;
/// Instruction class: store A into scratch memory.
pub const BPF_ST: u16 = 0x02;
/// Instruction class: store X into scratch memory.
pub const BPF_STX: u16 = 0x03;
/// Instruction class: arithmetic on A.
pub const BPF_ALU: u16 = 0x04;
/// Instruction class: jumps.
pub const BPF_JMP: u16 = 0x05;
/// Instruction class: return.
pub const BPF_RET: u16 = 0x06;
/// Instruction class: register transfers.
pub const BPF_MISC: u16 = 0x07;

/// Load size: 32-bit word.
pub const BPF_W: u16 = 0x00;
/// Load size: 16-bit half word (not allowed in seccomp).
pub const BPF_H: u16 = 0x08;
/// Load size: byte (not allowed in seccomp).
pub const BPF_B: u16 = 0x10;

/// Load mode: immediate.
pub const BPF_IMM: u16 = 0x00;
/// Load mode: absolute offset into the data (`seccomp_data`).
pub const BPF_ABS: u16 = 0x20;
/// Load mode: offset relative to X (not allowed in seccomp).
pub const BPF_IND: u16 = 0x40;
/// Load mode: scratch memory cell.
pub const BPF_MEM: u16 = 0x60;
/// Load mode: data length (64 for seccomp).
pub const BPF_LEN: u16 = 0x80;
/// Load mode: IP header length trick (not allowed in seccomp).
pub const BPF_MSH: u16 = 0xa0;

/// ALU operation: add.
pub const BPF_ADD: u16 = 0x00;
/// ALU operation: subtract.
pub const BPF_SUB: u16 = 0x10;
/// ALU operation: multiply.
pub const BPF_MUL: u16 = 0x20;
/// ALU operation: unsigned divide.
pub const BPF_DIV: u16 = 0x30;
/// ALU operation: or.
pub const BPF_OR: u16 = 0x40;
/// ALU operation: and.
pub const BPF_AND: u16 = 0x50;
/// ALU operation: left shift.
pub const BPF_LSH: u16 = 0x60;
/// ALU operation: logical right shift.
pub const BPF_RSH: u16 = 0x70;
/// ALU operation: negate.
pub const BPF_NEG: u16 = 0x80;
/// ALU operation: modulo (not allowed in seccomp).
pub const BPF_MOD: u16 = 0x90;
/// ALU operation: exclusive or.
pub const BPF_XOR: u16 = 0xa0;

/// Jump: always, by `k`.
pub const BPF_JA: u16 = 0x00;
/// Jump: if A == operand.
pub const BPF_JEQ: u16 = 0x10;
/// Jump: if A > operand (unsigned).
pub const BPF_JGT: u16 = 0x20;
/// Jump: if A >= operand (unsigned).
pub const BPF_JGE: u16 = 0x30;
/// Jump: if A & operand != 0.
pub const BPF_JSET: u16 = 0x40;

/// Operand source: the constant `k`.
pub const BPF_K: u16 = 0x00;
/// Operand source: the X register.
pub const BPF_X: u16 = 0x08;
/// Return source: the A register.
pub const BPF_A: u16 = 0x10;

/// Misc operation: X = A.
pub const BPF_TAX: u16 = 0x00;
/// Misc operation: A = X.
pub const BPF_TXA: u16 = 0x80;

/// The class bits of an opcode.
pub const fn class(code: u16) -> u16 {
    code & 0x07
}

/// The size bits of a load or store opcode.
pub const fn size(code: u16) -> u16 {
    code & 0x18
}

/// The mode bits of a load or store opcode.
pub const fn mode(code: u16) -> u16 {
    code & 0xe0
}

/// The operation bits of an ALU or jump opcode.
pub const fn op(code: u16) -> u16 {
    code & 0xf0
}

/// The source bit of an ALU or jump opcode.
pub const fn src(code: u16) -> u16 {
    code & 0x08
}

/// The return-value source bits of a RET opcode.
pub const fn rval(code: u16) -> u16 {
    code & 0x18
}

/// The misc operation bits.
pub const fn miscop(code: u16) -> u16 {
    code & 0xf8
}

impl SockFilter {
    /// `BPF_STMT(code, k)`: a non-jump instruction.
    pub const fn stmt(code: u16, k: u32) -> SockFilter {
        SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// `BPF_JUMP(code, k, jt, jf)`: a jump instruction.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    /// `ld [offset]`: load a 32-bit word of `seccomp_data` into A.
    pub const fn load_data(offset: u32) -> SockFilter {
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, offset)
    }

    /// `ret #value`: return a constant action.
    pub const fn ret(value: u32) -> SockFilter {
        SockFilter::stmt(BPF_RET | BPF_K, value)
    }
}
