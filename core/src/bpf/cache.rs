//! The kernel's seccomp action cache (Linux 5.11+): which syscalls skip the filters entirely.
//!
//! When a filter is installed, `seccomp_cache_prepare_bitmap` (kernel/seccomp.c) emulates it for every
//! syscall number of the native architecture, and of the compat architecture where there is one, and sets a
//! bit for each number whose answer is ALLOW whatever the arguments. The walk, `seccomp_is_const_allow`,
//! starts with a register value of 0 and follows the single path the syscall number and arch decide:
//!
//! - `ld [0]` loads `nr`, `ld [4]` loads `arch`; a load of any other offset makes the number uncacheable;
//! - `ret #k` ends the walk: cacheable if and only if `k` is exactly `SECCOMP_RET_ALLOW` (0x7fff0000; not
//!   LOG, not ALLOW with data bits);
//! - `ja` jumps; `jeq`, `jge`, `jgt` and `jset` with a constant compare the register and jump;
//! - `and #k` masks the register;
//! - anything else (`ld #k`, `tax`, jumps with X, other ALU operations, `ret a`, ...) makes the number
//!   uncacheable.
//!
//! The bitmap of a new filter is ANDed with the one of the filter below it, so a number is cached only when
//! every filter of the stack always allows it; at syscall time only the newest filter's bitmap is
//! consulted, and a cached number runs no filter at all.
//!
//! Which numbers have a bitmap: on x86_64 the native bitmap covers `AUDIT_ARCH_X86_64` numbers
//! `0..NR_syscalls` and the compat bitmap `AUDIT_ARCH_I386` numbers `0..IA32_NR_syscalls`. x32 syscalls arrive
//! as `AUDIT_ARCH_X86_64` with bit 30 (`__X32_SYSCALL_BIT`) set in `nr`, far above `NR_syscalls`, so they are
//! never cached and always run the filters; so do negative numbers. On aarch64 the bitmaps are
//! `AUDIT_ARCH_AARCH64` and, for compat tasks, `AUDIT_ARCH_ARM`. [`Bitmap`] describes one bitmap; its size
//! depends on the running kernel's syscall table.
//!
//! One exception, on x86_64 kernels that have them: the `uretprobe` (335) and `uprobe` (336) syscalls of
//! the native arch are treated as always allowed by every filter (`seccomp_uprobe_exception`, merged in 2025
//! with stable backports), so they are always cached whatever the filters say. [`Bitmap::exempt`] models
//! it; [`X86_64_UPROBE_EXEMPT`] lists the numbers.

use super::Validated;
use super::insn::*;
use crate::abi::{self, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};
use crate::arch::Arch;

/// The x86_64 syscalls the kernel exempts from filtering through the cache: `uretprobe` (335) and `uprobe`
/// (336), on kernels that have them.
pub const X86_64_UPROBE_EXEMPT: [i32; 2] = [335, 336];

/// `__ARM_NR_BASE`: the ARM-private syscalls (`cacheflush`, `set_tls`, ...) are numbered from here.
const ARM_PRIVATE_BASE: u32 = 0x0f_0000;

/// `seccomp_is_const_allow`: whether `program` returns exactly `SECCOMP_RET_ALLOW` for syscall `nr` of
/// `arch` along a path that reads nothing but `nr` and `arch`. Without the kernel's uprobe exception (see
/// [`Bitmap::exempt`]).
pub fn is_const_allow(program: &Validated<'_>, arch: u32, nr: i32) -> bool {
    let insns = program.insns();
    let mut reg: u32 = 0;
    let mut pc: usize = 0;
    while let Some(insn) = insns.get(pc) {
        let k = insn.k;
        match insn.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => match k {
                abi::offset::NR => reg = nr as u32,
                abi::offset::ARCH => reg = arch,
                _ => return false,
            },
            c if c == BPF_RET | BPF_K => return k == abi::RET_ALLOW,
            c if c == BPF_JMP | BPF_JA => pc = pc.wrapping_add(k as usize),
            c if c == BPF_JMP | BPF_JEQ | BPF_K => pc += offset(insn.jt, insn.jf, reg == k),
            c if c == BPF_JMP | BPF_JGE | BPF_K => pc += offset(insn.jt, insn.jf, reg >= k),
            c if c == BPF_JMP | BPF_JGT | BPF_K => pc += offset(insn.jt, insn.jf, reg > k),
            c if c == BPF_JMP | BPF_JSET | BPF_K => pc += offset(insn.jt, insn.jf, reg & k != 0),
            c if c == BPF_ALU | BPF_AND | BPF_K => reg &= k,
            _ => return false,
        }
        pc += 1;
    }
    // Ran off the end: impossible for a validated program (the kernel warns and answers false).
    false
}

fn offset(jt: u8, jf: u8, taken: bool) -> usize {
    if taken { jt as usize } else { jf as usize }
}

/// One of the kernel's action-cache bitmaps: the arch value it serves and the number of syscall numbers it
/// covers (`0..len`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bitmap {
    /// The `AUDIT_ARCH_*` value.
    pub arch: u32,
    /// The bitmap's size: `NR_syscalls` of that arch in the running kernel (the highest number + 1).
    pub len: u32,
    /// Numbers the kernel treats as always allowed by every filter (see [`X86_64_UPROBE_EXEMPT`]).
    pub exempt: &'static [i32],
}

impl Bitmap {
    /// A bitmap for `arch` covering numbers `0..len`, without exemptions.
    pub const fn new(arch: u32, len: u32) -> Bitmap {
        Bitmap {
            arch,
            len,
            exempt: &[],
        }
    }

    /// The same bitmap with `exempt` numbers always allowed.
    pub const fn with_exempt(self, exempt: &'static [i32]) -> Bitmap {
        Bitmap { exempt, ..self }
    }

    /// The x86_64 native bitmap for a kernel whose highest x86_64 syscall number is `max_nr`, with the
    /// uprobe exemption.
    pub const fn x86_64(max_nr: u32) -> Bitmap {
        Bitmap::new(AUDIT_ARCH_X86_64, max_nr + 1).with_exempt(&X86_64_UPROBE_EXEMPT)
    }

    /// The x86_64 compat (i386) bitmap for a kernel whose highest i386 syscall number is `max_nr`.
    pub const fn i386(max_nr: u32) -> Bitmap {
        Bitmap::new(AUDIT_ARCH_I386, max_nr + 1)
    }

    /// The bitmap the kernel keeps for `arch`, sized by this crate's syscall table for it (the running
    /// kernel's table may be shorter or longer). `None` for x32, which has no bitmap of its own: its numbers
    /// fall outside the x86_64 one. The arm bitmap (arm64's compat one, `__NR_compat_syscalls` long) ends
    /// below the ARM-private calls at `0x0f0000 + n`, which therefore always run the filters.
    pub fn for_arch(arch: Arch) -> Option<Bitmap> {
        match arch {
            Arch::X86_64 => Some(Bitmap::x86_64(arch.syscalls().max_nr()?)),
            Arch::I386 => Some(Bitmap::i386(arch.syscalls().max_nr()?)),
            Arch::Aarch64 => Some(Bitmap::new(AUDIT_ARCH_AARCH64, arch.syscalls().max_nr()? + 1)),
            Arch::Arm => {
                let max_nr = arch
                    .syscalls()
                    .iter()
                    .map(|(_, nr)| nr)
                    .take_while(|&nr| nr < ARM_PRIVATE_BASE)
                    .last()?;
                Some(Bitmap::new(AUDIT_ARCH_ARM, max_nr + 1))
            }
            _ => None,
        }
    }

    /// The bitmaps the kernel keeps on a machine whose native ABI is `native`: the native one and, where
    /// the machine has one, the compat one (x86_64: i386; aarch64: arm). Empty for x32, i386 and arm
    /// (their own native kernels are not modelled beyond their single bitmap; use [`Bitmap::for_arch`]).
    pub fn for_machine(native: Arch) -> impl Iterator<Item = Bitmap> {
        let compat = match native {
            Arch::X86_64 => Some(Arch::I386),
            Arch::Aarch64 => Some(Arch::Arm),
            _ => None,
        };
        [Some(native), compat]
            .into_iter()
            .flatten()
            .filter_map(Bitmap::for_arch)
    }

    /// Whether syscall `nr` of this bitmap's arch is cached as always allowed for the stack: it then runs
    /// no filter at all. Negative numbers and numbers outside the bitmap (x32 ones included) never are. An
    /// empty stack caches nothing (seccomp is off, and nothing is filtered either).
    pub fn is_cached(&self, stack_newest_first: &[Validated<'_>], nr: i32) -> bool {
        if stack_newest_first.is_empty() || nr < 0 || nr as u32 >= self.len {
            return false;
        }
        if self.exempt.contains(&nr) {
            return true;
        }
        stack_newest_first
            .iter()
            .all(|program| is_const_allow(program, self.arch, nr))
    }

    /// The numbers among `nrs` that [`is_cached`](Bitmap::is_cached) for the stack, in the given order.
    pub fn cached<'a, I>(
        &'a self,
        stack_newest_first: &'a [Validated<'a>],
        nrs: I,
    ) -> impl Iterator<Item = i32> + 'a
    where
        I: IntoIterator<Item = i32>,
        I::IntoIter: 'a,
    {
        nrs.into_iter()
            .filter(move |nr| self.is_cached(stack_newest_first, *nr))
    }

    /// How many numbers of the whole bitmap (`0..len`) are cached for the stack.
    pub fn count_cached(&self, stack_newest_first: &[Validated<'_>]) -> usize {
        let top = self.len.min(i32::MAX as u32) as i32;
        (0..top)
            .filter(|nr| self.is_cached(stack_newest_first, *nr))
            .count()
    }
}
