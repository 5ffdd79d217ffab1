//! What the accumulator holds before each instruction, so that a listing can name the syscall a `nr`
//! comparison tests and the architecture an `arch` comparison tests.
//!
//! Classic BPF jumps only forward, so one pass in program order is a complete data-flow analysis: the
//! state before an instruction is the join of the states of every path reaching it (a field both paths
//! loaded stays known, anything else becomes unknown). After `jeq #AUDIT_ARCH_X, ...` on `arch`, the
//! taken branch knows the architecture, which decides the syscall table of later `nr` comparisons. No
//! allocation: the caller provides one slot per instruction.

use super::insn::*;
use crate::abi::{SockFilter, X32_SYSCALL_BIT, offset};
use crate::arch::Arch;
use core::fmt;

/// Which `seccomp_data` field the accumulator holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `nr`, loaded whole.
    Nr,
    /// `arch`, loaded whole.
    Arch,
    /// Something else, or different things on different paths.
    Other,
}

/// The state before one instruction on every path that reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// What A holds.
    pub field: Field,
    /// The architecture every path to here has checked, if they agree.
    pub arch: Option<Arch>,
}

impl State {
    fn join(self, other: State) -> State {
        State {
            field: if self.field == other.field {
                self.field
            } else {
                Field::Other
            },
            arch: if self.arch == other.arch { self.arch } else { None },
        }
    }
}

/// Fills `states[i]` with the state before instruction `i` (`None` when no path reaches it). `states`
/// must be at least as long as `insns`; extra slots are left alone.
pub fn analyze(insns: &[SockFilter], states: &mut [Option<State>]) {
    for slot in states.iter_mut().take(insns.len()) {
        *slot = None;
    }
    if let Some(first) = states.first_mut() {
        *first = Some(State {
            field: Field::Other,
            arch: None,
        });
    }
    let merge = |states: &mut [Option<State>], target: usize, state: State| {
        if target < insns.len()
            && let Some(slot) = states.get_mut(target)
        {
            *slot = Some(slot.map_or(state, |old| old.join(state)));
        }
    };
    for (index, insn) in insns.iter().enumerate() {
        let Some(state) = states.get(index).copied().flatten() else {
            continue;
        };
        let code = insn.code;
        let next = index + 1;
        match class(code) {
            BPF_RET => {}
            BPF_JMP if code == BPF_JMP | BPF_JA => merge(states, next + insn.k as usize, state),
            BPF_JMP => {
                let mut taken = state;
                if state.field == Field::Arch && op(code) == BPF_JEQ && src(code) == BPF_K {
                    taken.arch = Arch::from_audit(insn.k);
                }
                merge(states, next + usize::from(insn.jt), taken);
                merge(states, next + usize::from(insn.jf), state);
            }
            BPF_LD => {
                let field = match (mode(code), size(code), insn.k) {
                    (BPF_ABS, BPF_W, offset::NR) => Field::Nr,
                    (BPF_ABS, BPF_W, offset::ARCH) => Field::Arch,
                    _ => Field::Other,
                };
                merge(states, next, State { field, ..state });
            }
            BPF_ALU => merge(
                states,
                next,
                State {
                    field: Field::Other,
                    ..state
                },
            ),
            BPF_MISC if miscop(code) == BPF_TXA => merge(
                states,
                next,
                State {
                    field: Field::Other,
                    ..state
                },
            ),
            _ => merge(states, next, state),
        }
    }
}

/// What a comparison's constant means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Note {
    /// A syscall number of this architecture.
    Syscall(&'static str, Arch),
    /// An `AUDIT_ARCH_*` value.
    Arch(Arch),
    /// `__X32_SYSCALL_BIT` compared with `nr` by an ordering test (`jge #0x40000000`): the x32 boundary.
    X32Bit,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Syscall(name, Arch::X32) => write!(f, "{name} (x32)"),
            Note::Syscall(name, _) => f.write_str(name),
            Note::Arch(arch) => write!(f, "AUDIT_ARCH_{}", arch_constant(*arch)),
            Note::X32Bit => f.write_str("__X32_SYSCALL_BIT"),
        }
    }
}

/// The suffix of the `AUDIT_ARCH_*` constant.
const fn arch_constant(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 | Arch::X32 => "X86_64",
        Arch::I386 => "I386",
        Arch::Aarch64 => "AARCH64",
        Arch::Arm => "ARM",
    }
}

/// The meaning of `insn`'s constant when it compares A (in `state`) with one: a syscall name on `nr`
/// (looked up for the architecture the path checked, else `default_arch`; x32 numbers in the x32 table),
/// an architecture on `arch`. `None` for anything else.
pub fn note(insn: &SockFilter, state: Option<State>, default_arch: Arch) -> Option<Note> {
    let state = state?;
    let code = insn.code;
    if class(code) != BPF_JMP || code == BPF_JMP | BPF_JA || src(code) != BPF_K {
        return None;
    }
    match state.field {
        Field::Nr if insn.k == X32_SYSCALL_BIT && op(code) != BPF_JEQ => Some(Note::X32Bit),
        Field::Nr => {
            let arch = state.arch.unwrap_or(default_arch);
            let arch = match arch {
                Arch::X86_64 | Arch::X32 if insn.k & X32_SYSCALL_BIT != 0 => Arch::X32,
                Arch::X32 => Arch::X86_64,
                other => other,
            };
            arch.syscall_name(insn.k).map(|name| Note::Syscall(name, arch))
        }
        Field::Arch => Arch::from_audit(insn.k).map(Note::Arch),
        Field::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::AUDIT_ARCH_AARCH64;

    #[test]
    fn nr_comparisons_after_an_arch_check_use_that_arch() {
        let insns = [
            SockFilter::load_data(offset::ARCH),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 3),
            SockFilter::load_data(offset::NR),
            SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 63, 0, 1),
            SockFilter::ret(0x7fff_0000),
            SockFilter::ret(0),
        ];
        let mut states = [None; 6];
        analyze(&insns, &mut states);
        assert_eq!(
            note(&insns[1], states[1], Arch::X86_64),
            Some(Note::Arch(Arch::Aarch64))
        );
        // 63 is read on aarch64 (and readv on x86_64).
        assert_eq!(
            note(&insns[3], states[3], Arch::X86_64),
            Some(Note::Syscall("read", Arch::Aarch64))
        );
        assert_eq!(note(&insns[0], states[0], Arch::X86_64), None);
        // The instruction after the arch check's false branch joins two paths: arch unknown there.
        assert_eq!(states[5].map(|s| s.arch), Some(None));
    }
}
