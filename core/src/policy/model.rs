//! The policy model: what a filter should decide, independent of any syntax or program.
//!
//! A [`Policy`] holds the target [`Arch`] (and optionally its compat ABI: i386 beside x86_64, arm beside
//! aarch64), the default action, the action for a foreign architecture, optional ENOSYS ceilings per ABI
//! (runc's -ENOSYS stub: [`Policy::enosys_above`]) and a list of [`Rule`]s. A rule
//! names one syscall of one of the covered ABIs by number (a name is resolved against every covered ABI
//! when the rule is added, giving one rule per ABI that has it), an [`Action`] and an optional condition on
//! the arguments: a disjunction (OR) of alternatives, each a conjunction (AND) of [`Comparison`]s.
//!
//! Storage is fixed: `Policy<RULES, CMPS>` holds at most `RULES` rules and `CMPS` comparisons in total,
//! inline, so a policy can live in a `static` or on the stack of a process that never allocates. Adding
//! beyond the capacity is an error that leaves the policy unchanged.
//!
//! [`Policy::evaluate`] is the reference semantics: the compiled program must agree with it for every
//! input, and `verify` checks exactly that.

use crate::abi::{self, SeccompData};
use crate::action::Action;
use crate::arch::Arch;
use core::fmt;
use heapless::Vec;

/// `errno(ENOSYS)`, the answer of an ENOSYS ceiling ([`Policy::enosys_above`]).
pub const ENOSYS: Action = Action(abi::RET_ERRNO | 38);

/// The number of syscall arguments in `seccomp_data.args`.
pub const ARG_COUNT: u8 = 6;

/// Which bits of an argument a comparison looks at.
///
/// The kernel hands the filter the raw 64-bit registers. A C `int` argument passed as `-1` arrives as
/// `0xffff_ffff` in the low word, and its high word is whatever the caller's register held: usually zero,
/// sometimes the sign extension. A 64-bit comparison against `-1` would then miss. [`Width::Low`] compares
/// only the low word, which is what a check on an `int` argument must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// All 64 bits (`args[i]` in the text format).
    Full,
    /// The low 32 bits only (`args[i].lo` in the text format).
    Low,
}

impl Width {
    /// The largest value a comparison of this width can name.
    pub const fn max(self) -> u64 {
        match self {
            Width::Full => u64::MAX,
            Width::Low => u32::MAX as u64,
        }
    }
}

/// A comparison operator. All comparisons are unsigned, as the kernel's BPF jumps are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `arg == value`.
    Eq,
    /// `arg != value`.
    Ne,
    /// `arg < value`.
    Lt,
    /// `arg <= value`.
    Le,
    /// `arg > value`.
    Gt,
    /// `arg >= value`.
    Ge,
    /// `(arg & mask) == value`, with the mask carried here.
    MaskedEq(u64),
    /// `(arg & mask) != value`: the negation of [`Op::MaskedEq`] (what libseccomp cannot say in one
    /// comparison; an importer negating a masked test needs it).
    MaskedNe(u64),
}

impl Op {
    /// The unmasked operators in the order a parser must try their [`symbol`](Op::symbol)s: each
    /// two-character one before the one-character operator it starts with (`<=` before `<`).
    pub const PLAIN_BY_TOKEN: [Op; 6] = [Op::Eq, Op::Ne, Op::Le, Op::Ge, Op::Lt, Op::Gt];

    /// The operator as the text format writes it (`==` and `!=` for the masked ones).
    pub const fn symbol(self) -> &'static str {
        match self {
            Op::Eq | Op::MaskedEq(_) => "==",
            Op::Ne | Op::MaskedNe(_) => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `arg OP value` holds, unsigned (for the masked ones, `(arg & mask) OP value`).
    pub const fn holds(self, arg: u64, value: u64) -> bool {
        match self {
            Op::Eq => arg == value,
            Op::Ne => arg != value,
            Op::Lt => arg < value,
            Op::Le => arg <= value,
            Op::Gt => arg > value,
            Op::Ge => arg >= value,
            Op::MaskedEq(mask) => arg & mask == value,
            Op::MaskedNe(mask) => arg & mask != value,
        }
    }
}

/// One comparison of a syscall argument with a constant: `args[arg] OP value`, on all 64 bits or on the low
/// 32 ([`Width`]).
///
/// Constructed through [`Comparison::new`], which guarantees `arg < 6` and that the value and the mask fit
/// the width; the fields are therefore read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Comparison {
    arg: u8,
    width: Width,
    op: Op,
    value: u64,
}

impl Comparison {
    /// A comparison of `args[arg]` (or its low word, for [`Width::Low`]) with `value`.
    ///
    /// Refuses an argument index above 5 and, for [`Width::Low`], a value or mask above `u32::MAX` (the
    /// text format turns `-1` into `0xffff_ffff` for a low-word comparison before calling this).
    pub const fn new(arg: u8, width: Width, op: Op, value: u64) -> Result<Comparison, PolicyError> {
        if arg >= ARG_COUNT {
            return Err(PolicyError::ArgIndex(arg));
        }
        if value > width.max() {
            return Err(PolicyError::ValueTooWide(value));
        }
        if let Op::MaskedEq(mask) | Op::MaskedNe(mask) = op
            && mask > width.max()
        {
            return Err(PolicyError::ValueTooWide(mask));
        }
        Ok(Comparison {
            arg,
            width,
            op,
            value,
        })
    }

    /// The argument index, 0 to 5.
    pub const fn arg(&self) -> u8 {
        self.arg
    }

    /// Whether all 64 bits or only the low word are compared.
    pub const fn width(&self) -> Width {
        self.width
    }

    /// The operator.
    pub const fn op(&self) -> Op {
        self.op
    }

    /// The constant compared with (for masked equality, the value the masked argument must equal).
    pub const fn value(&self) -> u64 {
        self.value
    }

    /// Whether the comparison holds for these syscall arguments.
    pub const fn matches(&self, args: &[u64; 6]) -> bool {
        let raw = args[self.arg as usize % 6];
        let arg = match self.width {
            Width::Full => raw,
            Width::Low => raw & 0xffff_ffff,
        };
        self.op.holds(arg, self.value)
    }

    /// The comparison's truth value when it does not depend on the argument (`args[0] >= 0`,
    /// `(args[0] & 0) == 0`, `(args[0] & 1) == 2`, ...), `None` when it does.
    pub const fn constant(&self) -> Option<bool> {
        let max = self.width.max();
        match self.op {
            Op::Eq | Op::Ne => None,
            Op::Lt if self.value == 0 => Some(false),
            Op::Le if self.value == max => Some(true),
            Op::Gt if self.value == max => Some(false),
            Op::Ge if self.value == 0 => Some(true),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => None,
            Op::MaskedEq(mask) if self.value & !mask != 0 => Some(false),
            Op::MaskedEq(0) => Some(true),
            Op::MaskedEq(_) => None,
            Op::MaskedNe(mask) if self.value & !mask != 0 => Some(true),
            Op::MaskedNe(0) => Some(false),
            Op::MaskedNe(_) => None,
        }
    }
}

impl fmt::Display for Comparison {
    /// Writes the text-format form: `args[1] == 5`, `args[1].lo != 0xffffffff`, `(args[2] & 0x3) == 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match self.width {
            Width::Full => "",
            Width::Low => ".lo",
        };
        match self.op {
            Op::MaskedEq(mask) | Op::MaskedNe(mask) => {
                write!(
                    f,
                    "(args[{}]{suffix} & {mask:#x}) {} ",
                    self.arg,
                    self.op.symbol()
                )?;
            }
            op => write!(f, "args[{}]{suffix} {} ", self.arg, op.symbol())?,
        }
        write_value(f, self.value)
    }
}

/// Writes a constant: decimal when small, hexadecimal otherwise (flags and magic numbers read better so).
fn write_value(f: &mut fmt::Formatter<'_>, value: u64) -> fmt::Result {
    if value < 4096 {
        write!(f, "{value}")
    } else {
        write!(f, "{value:#x}")
    }
}

/// How an x86_64 policy treats x32 syscalls (`arch == AUDIT_ARCH_X86_64` with bit 30 set in `nr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum X32 {
    /// x32 syscalls get the bad-arch action, as a foreign architecture would (the default: a policy
    /// written for x86_64 numbers says nothing about x32).
    #[default]
    BadArch,
    /// x32 syscalls are decided by the same rules, matched by name: an x32 number is looked up in the x32
    /// table and the rules of the x86_64 syscall of the same name apply (the default action when either
    /// table lacks the name).
    ByName,
    /// x32 is a covered ABI with rules of its own (rules of ABI [`Arch::X32`], with x32 numbers): a name
    /// gives an x32 rule like any covered ABI's. Every `nr` of the x86_64 arch value is then decided by
    /// rules (bit 30 set: the x32 ones), none gets the bad-arch action. This is what libseccomp builds for
    /// a filter with x32 among its architectures, and what `arch x86_64 x32` says.
    Rules,
    /// Like [`X32::BadArch`] but as libseccomp builds an x86_64 filter without x32: every number from
    /// `0x40000000` up gets the bad-arch action except `-1` (`0xffffffff`, the number a tracer sets to skip
    /// a syscall), which the rules decide (usually the default action). The OCI import uses it.
    BadArchExceptMinusOne,
}

/// Why a policy could not be built or changed. The policy is unchanged after any of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy already holds its `RULES` rules.
    TooManyRules {
        /// The rule capacity.
        capacity: usize,
    },
    /// The comparisons would exceed the policy's `CMPS` capacity.
    TooManyComparisons {
        /// The comparison capacity.
        capacity: usize,
    },
    /// An argument index above 5.
    ArgIndex(u8),
    /// A value or mask above `u32::MAX` in a low-word comparison.
    ValueTooWide(u64),
    /// A conjunction without comparisons: an alternative must compare something (a rule without
    /// alternatives is unconditional).
    EmptyConjunction,
    /// The syscall name is not in the target architecture's table.
    UnknownSyscall(Arch),
    /// An x32 setting on a policy whose target is not x86_64.
    X32NotX86_64(Arch),
    /// A compat ABI that is not the compat ABI of the target (i386 of x86_64, arm of aarch64), or a change
    /// of the covered ABIs once rules exist.
    NotCompat {
        /// The target.
        native: Arch,
        /// The ABI asked for.
        compat: Arch,
    },
    /// A rule or an ENOSYS ceiling for an ABI the policy does not cover.
    NotCovered(Arch),
    /// A change that would stop covering an ABI whose ENOSYS ceiling is set.
    CeilingSet(Arch),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::TooManyRules { capacity } => {
                write!(f, "too many rules (the policy holds at most {capacity})")
            }
            PolicyError::TooManyComparisons { capacity } => {
                write!(f, "too many comparisons (the policy holds at most {capacity})")
            }
            PolicyError::ArgIndex(index) => {
                write!(
                    f,
                    "argument index {index} is out of range (syscalls have args[0] to args[5])"
                )
            }
            PolicyError::ValueTooWide(value) => write!(
                f,
                "{value:#x} does not fit in 32 bits (a .lo comparison sees only the low word)"
            ),
            PolicyError::EmptyConjunction => f.write_str("an alternative has no comparisons"),
            PolicyError::UnknownSyscall(arch) => write!(f, "unknown syscall for {arch}"),
            PolicyError::X32NotX86_64(arch) => {
                write!(f, "x32 handling applies to x86_64 policies, not to {arch}")
            }
            PolicyError::NotCompat { native, compat } => match native.compat() {
                Some(expected) if expected == *compat => {
                    write!(f, "the ABIs of a policy are chosen before its rules")
                }
                Some(expected) => write!(
                    f,
                    "{compat} is not a compat ABI of {native} (a {native} policy may cover {expected})"
                ),
                None => write!(f, "{native} has no compat ABI ({compat} cannot be covered)"),
            },
            PolicyError::NotCovered(arch) => {
                write!(f, "the policy does not cover {arch} (name it on the `arch` line)")
            }
            PolicyError::CeilingSet(arch) => write!(
                f,
                "{arch} has an `enosys-above` ceiling: the ABIs of a policy are chosen before its ceilings"
            ),
        }
    }
}

impl core::error::Error for PolicyError {}

/// One stored rule. `alts` indexes `Policy::alt_ends`; several rules may share one range (a text line that
/// names several syscalls with one condition stores the condition once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredRule {
    /// The ABI whose number `nr` is: the target or its compat ABI.
    arch: Arch,
    nr: u32,
    action: Action,
    alt_start: u16,
    alt_end: u16,
}

/// A seccomp policy for one architecture, with room for `RULES` rules and `CMPS` comparisons.
///
/// The defaults (1536 rules, 1024 comparisons, about 56 KiB) hold any realistic container profile on
/// three ABIs (x86_64, x32 and i386): the largest tables have under 470 syscalls.
///
/// # Rule resolution
///
/// For a syscall of the target architecture, [`Policy::evaluate`] decides (after the arch value, and after
/// the number's ABI's ENOSYS ceiling, [`Policy::enosys_above`], which answers `errno(ENOSYS)` above it):
/// 1. If any *conditional* rule for the syscall matches the arguments, the least permissive action among
///    the matching conditional rules (kernel precedence, [`Action::precedence_key`]).
/// 2. Otherwise, if the syscall has unconditional rules, the least permissive among them.
/// 3. Otherwise the default action.
///
/// Among rules of equal precedence (say `errno(1)` and `errno(2)`), the one added first wins. So a
/// conditional rule is an exception carved out of the syscall's unconditional rule, whatever their
/// actions, and overlapping exceptions resolve safely toward the less permissive one.
#[derive(Clone, Debug)]
pub struct Policy<const RULES: usize = 1536, const CMPS: usize = 1024> {
    arch: Arch,
    compat: Option<Arch>,
    default: Action,
    bad_arch: Action,
    x32: X32,
    /// The ENOSYS ceilings ([`Policy::enosys_above`]) of the target, x32 and the compat ABI, in that order.
    enosys: [Option<u32>; 3],
    rules: Vec<StoredRule, RULES>,
    cmps: Vec<Comparison, CMPS>,
    /// For each alternative, the end (exclusive) of its comparisons in `cmps`; it starts where the
    /// previous alternative ended, since alternatives are stored in order.
    alt_ends: Vec<u16, CMPS>,
}

impl<const RULES: usize, const CMPS: usize> Policy<RULES, CMPS> {
    /// An empty policy for `arch`: every syscall gets `default`, a foreign architecture gets
    /// `kill-process`, and (for x86_64) x32 syscalls count as a foreign architecture.
    pub const fn new(arch: Arch, default: Action) -> Self {
        const { assert!(CMPS <= u16::MAX as usize, "comparison indices are 16-bit") };
        Policy {
            arch,
            compat: None,
            default,
            bad_arch: Action::KILL_PROCESS,
            x32: X32::BadArch,
            enosys: [None; 3],
            rules: Vec::new(),
            cmps: Vec::new(),
            alt_ends: Vec::new(),
        }
    }

    /// The target architecture.
    pub const fn arch(&self) -> Arch {
        self.arch
    }

    /// The compat ABI the policy covers beside the target (i386 for x86_64, arm for aarch64), if any.
    pub const fn compat(&self) -> Option<Arch> {
        self.compat
    }

    /// The ABIs with their own syscall numbers and arch value that the policy covers: the target, then
    /// the compat ABI if covered. (x32, which shares x86_64's arch value, is [`Policy::x32`].)
    pub fn abis(&self) -> impl Iterator<Item = Arch> + Clone + use<RULES, CMPS> {
        [Some(self.arch), self.compat].into_iter().flatten()
    }

    /// Whether `arch` is one of the ABIs the policy covers (x32 when [`X32::ByName`] or [`X32::Rules`]).
    pub fn covers(&self, arch: Arch) -> bool {
        arch == self.arch
            || Some(arch) == self.compat
            || (arch == Arch::X32
                && self.arch == Arch::X86_64
                && matches!(self.x32, X32::ByName | X32::Rules))
    }

    /// The ABIs rules can be written for, in the order a name expands: the target, x32 when it has rules
    /// of its own ([`X32::Rules`]), then the compat ABI.
    pub fn rule_abis(&self) -> impl Iterator<Item = Arch> + Clone + use<RULES, CMPS> {
        let x32 = (self.x32 == X32::Rules).then_some(Arch::X32);
        [Some(self.arch), x32, self.compat].into_iter().flatten()
    }

    /// Covers `compat` beside the target (`None` covers the target alone). Only the target's compat ABI
    /// is accepted ([`Arch::compat`]), and only before the first rule.
    pub fn set_compat(&mut self, compat: Option<Arch>) -> Result<(), PolicyError> {
        if let Some(compat) = compat
            && (self.arch.compat() != Some(compat) || !self.rules.is_empty())
        {
            return Err(PolicyError::NotCompat {
                native: self.arch,
                compat,
            });
        }
        if compat != self.compat && !self.rules.is_empty() {
            return Err(PolicyError::NotCompat {
                native: self.arch,
                compat: self.compat.unwrap_or(self.arch),
            });
        }
        if let Some(old) = self.compat
            && compat != self.compat
            && self.enosys[2].is_some()
        {
            return Err(PolicyError::CeilingSet(old));
        }
        self.compat = compat;
        Ok(())
    }

    /// The action for syscalls no rule decides.
    pub const fn default_action(&self) -> Action {
        self.default
    }

    /// The action for a syscall of another architecture (`seccomp_data.arch` differs from the target's).
    pub const fn bad_arch_action(&self) -> Action {
        self.bad_arch
    }

    /// How x32 syscalls are treated (meaningful for x86_64 policies only).
    pub const fn x32(&self) -> X32 {
        self.x32
    }

    /// Sets the action for syscalls no rule decides.
    pub fn set_default_action(&mut self, action: Action) {
        self.default = action;
    }

    /// Sets the action for a foreign architecture (and, unless [`X32::ByName`], for x32 syscalls of an
    /// x86_64 policy).
    pub fn set_bad_arch_action(&mut self, action: Action) {
        self.bad_arch = action;
    }

    /// Sets how x32 syscalls are treated; only x86_64 policies accept [`X32::ByName`].
    pub fn set_x32(&mut self, x32: X32) -> Result<(), PolicyError> {
        if x32 != X32::BadArch && self.arch != Arch::X86_64 {
            return Err(PolicyError::X32NotX86_64(self.arch));
        }
        if (x32 == X32::Rules) != (self.x32 == X32::Rules) && !self.rules.is_empty() {
            return Err(PolicyError::NotCompat {
                native: self.arch,
                compat: Arch::X32,
            });
        }
        if !matches!(x32, X32::ByName | X32::Rules) && self.arch == Arch::X86_64 && self.enosys[1].is_some() {
            return Err(PolicyError::CeilingSet(Arch::X32));
        }
        self.x32 = x32;
        Ok(())
    }

    /// Replaces the target architecture of a policy without rules and ENOSYS ceilings (both hold numbers
    /// of their arch). Returns false, changing nothing, once either exists.
    pub fn set_arch(&mut self, arch: Arch) -> bool {
        if !self.rules.is_empty() || self.enosys.iter().any(Option::is_some) {
            return false;
        }
        self.arch = arch;
        if arch != Arch::X86_64 {
            self.x32 = X32::BadArch;
        }
        if self.compat.is_some() && arch.compat() != self.compat {
            self.compat = None;
        }
        true
    }

    /// The slot of `abi`'s ENOSYS ceiling: the target, x32 (covered beside x86_64), the compat ABI.
    fn enosys_slot(&self, abi: Arch) -> Option<usize> {
        if abi == self.arch {
            Some(0)
        } else if abi == Arch::X32 && self.covers(Arch::X32) {
            Some(1)
        } else if Some(abi) == self.compat {
            Some(2)
        } else {
            None
        }
    }

    /// The ENOSYS ceiling of `abi`: numbers of that ABI above it (unsigned, as `seccomp_data.nr` carries
    /// them: x32 numbers with bit 30) get `errno(ENOSYS)` before any rule or x32 setting is looked at.
    /// This is runc's -ENOSYS stub (`libcontainer/seccomp/patchbpf`), which lets a libc fall back from
    /// syscalls newer than the policy. `None` (the default) when the ABI has none or is not covered.
    pub fn enosys_above(&self, abi: Arch) -> Option<u32> {
        self.enosys_slot(abi)
            .and_then(|slot| self.enosys.get(slot).copied().flatten())
    }

    /// Sets (or, with `None`, clears) the ENOSYS ceiling of `abi`, a covered ABI with numbers of its own:
    /// the target, its compat ABI, or x32 beside x86_64 ([`X32::Rules`] or [`X32::ByName`]). On the
    /// x86_64 arch value the x86_64 ceiling applies to numbers without bit 30 and the x32 ceiling to those
    /// with it, as runc's stub tests bit 30 first.
    pub fn set_enosys_above(&mut self, abi: Arch, ceiling: Option<u32>) -> Result<(), PolicyError> {
        let slot = self.enosys_slot(abi).ok_or(PolicyError::NotCovered(abi))?;
        if let Some(stored) = self.enosys.get_mut(slot) {
            *stored = ceiling;
        }
        Ok(())
    }

    /// The ENOSYS ceilings that are set, in the order target, x32, compat ABI.
    pub fn enosys_ceilings(&self) -> impl Iterator<Item = (Arch, u32)> + Clone + use<RULES, CMPS> {
        // The x32 slot holds a ceiling only while x32 is covered beside an x86_64 target.
        [Some(self.arch), Some(Arch::X32), self.compat]
            .into_iter()
            .zip(self.enosys)
            .filter_map(|(abi, ceiling)| Some((abi?, ceiling?)))
    }

    /// Whether the ENOSYS ceiling of the ABI whose number `nr` is on arch value `audit` catches it.
    fn enosys_catches(&self, audit: u32, nr: u32) -> bool {
        let abi = if audit == abi::AUDIT_ARCH_X86_64 {
            if nr & abi::X32_SYSCALL_BIT != 0 {
                Arch::X32
            } else {
                Arch::X86_64
            }
        } else {
            match Arch::from_audit(audit) {
                Some(arch) => arch,
                None => return false,
            }
        };
        self.enosys_above(abi).is_some_and(|ceiling| nr > ceiling)
    }

    /// The number of a syscall name on the target architecture.
    pub fn resolve(&self, name: &str) -> Result<u32, PolicyError> {
        self.arch
            .syscall_nr(name)
            .ok_or(PolicyError::UnknownSyscall(self.arch))
    }

    /// Adds a rule for syscall number `nr` of `arch`, which must be the target or the covered compat ABI;
    /// see [`Policy::add_rule`].
    pub fn add_rule_for(
        &mut self,
        arch: Arch,
        nr: u32,
        action: Action,
        alternatives: &[&[Comparison]],
    ) -> Result<(), PolicyError> {
        if !self.rule_abis().any(|abi| abi == arch) {
            return Err(PolicyError::NotCovered(arch));
        }
        let first = self.rules.len();
        self.add_rule(nr, action, alternatives)?;
        if let Some(rule) = self.rules.get_mut(first) {
            rule.arch = arch;
        }
        Ok(())
    }

    /// Adds a rule for syscall number `nr` (as `seccomp_data.nr` carries it: x32 numbers include bit 30).
    ///
    /// `alternatives` is the condition: the rule applies when any alternative holds, and an alternative
    /// holds when all its comparisons do. An empty `alternatives` makes the rule unconditional; an empty
    /// alternative is an error. On any error the policy is unchanged.
    ///
    /// ```
    /// # use seccomp_core::{action::Action, arch::Arch, policy::{Comparison, Op, Policy, Width}};
    /// let mut policy: Policy = Policy::new(Arch::X86_64, Action::KILL_PROCESS);
    /// let socket = policy.resolve("socket")?;
    /// // socket(AF_UNIX, ...) or socket(AF_INET6, ...)
    /// let unix = Comparison::new(0, Width::Low, Op::Eq, 1)?;
    /// let inet6 = Comparison::new(0, Width::Low, Op::Eq, 10)?;
    /// policy.add_rule(socket, Action::ALLOW, &[&[unix], &[inet6]])?;
    /// # Ok::<(), seccomp_core::policy::PolicyError>(())
    /// ```
    pub fn add_rule(
        &mut self,
        nr: u32,
        action: Action,
        alternatives: &[&[Comparison]],
    ) -> Result<(), PolicyError> {
        if self.rules.is_full() {
            return Err(PolicyError::TooManyRules { capacity: RULES });
        }
        let mut needed = 0usize;
        for alternative in alternatives {
            if alternative.is_empty() {
                return Err(PolicyError::EmptyConjunction);
            }
            needed += alternative.len();
        }
        if needed > CMPS - self.cmps.len() {
            return Err(PolicyError::TooManyComparisons { capacity: CMPS });
        }
        let alt_start = self.alt_ends.len() as u16;
        for alternative in alternatives {
            for comparison in *alternative {
                self.push_comparison(*comparison)?;
            }
            self.end_alternative()?;
        }
        self.push_rule(nr, action, alt_start, self.alt_ends.len() as u16)
    }

    /// Adds a rule for the syscall called `name` on every covered ABI that has the name (one rule each,
    /// sharing the condition; ABIs without the name are skipped); see [`Policy::add_rule`]. An error when
    /// no covered ABI has the name.
    pub fn add_named_rule(
        &mut self,
        name: &str,
        action: Action,
        alternatives: &[&[Comparison]],
    ) -> Result<(), PolicyError> {
        let needed = self
            .rule_abis()
            .filter(|arch| arch.syscall_nr(name).is_some())
            .count();
        if needed == 0 {
            return Err(PolicyError::UnknownSyscall(self.arch));
        }
        if self.rules.len() + needed > RULES {
            return Err(PolicyError::TooManyRules { capacity: RULES });
        }
        let first = self.rules.len();
        for arch in self.rule_abis() {
            let Some(nr) = arch.syscall_nr(name) else {
                continue;
            };
            if self.rules.len() == first {
                self.add_rule(nr, action, alternatives)?;
                if let Some(rule) = self.rules.get_mut(first) {
                    rule.arch = arch;
                }
            } else if let Some(&shared) = self.rules.get(first) {
                self.push_rule_for(arch, nr, action, shared.alt_start, shared.alt_end)?;
            }
        }
        Ok(())
    }

    /// Appends a comparison to the alternative being built (parser interface).
    pub(crate) fn push_comparison(&mut self, comparison: Comparison) -> Result<(), PolicyError> {
        self.cmps
            .push(comparison)
            .map_err(|_| PolicyError::TooManyComparisons { capacity: CMPS })
    }

    /// Closes the alternative being built (parser interface). An alternative needs a comparison.
    pub(crate) fn end_alternative(&mut self) -> Result<(), PolicyError> {
        let end = self.cmps.len() as u16;
        let start = self.alt_ends.last().copied().unwrap_or(0);
        if end == start {
            return Err(PolicyError::EmptyConjunction);
        }
        self.alt_ends
            .push(end)
            .map_err(|_| PolicyError::TooManyComparisons { capacity: CMPS })
    }

    /// The index the next alternative will get (parser interface).
    pub(crate) fn alternatives_len(&self) -> u16 {
        self.alt_ends.len() as u16
    }

    /// Appends a rule whose condition is the alternatives `alt_start..alt_end` (parser interface).
    pub(crate) fn push_rule(
        &mut self,
        nr: u32,
        action: Action,
        alt_start: u16,
        alt_end: u16,
    ) -> Result<(), PolicyError> {
        self.push_rule_for(self.arch, nr, action, alt_start, alt_end)
    }

    /// Appends a rule of ABI `arch` whose condition is the alternatives `alt_start..alt_end` (parser
    /// interface; `arch` must be covered).
    pub(crate) fn push_rule_for(
        &mut self,
        arch: Arch,
        nr: u32,
        action: Action,
        alt_start: u16,
        alt_end: u16,
    ) -> Result<(), PolicyError> {
        self.rules
            .push(StoredRule {
                arch,
                nr,
                action,
                alt_start,
                alt_end,
            })
            .map_err(|_| PolicyError::TooManyRules { capacity: RULES })
    }

    /// Gives the rules from index `first` on the condition `alt_start..alt_end` (parser interface).
    pub(crate) fn set_alternatives_from(&mut self, first: usize, alt_start: u16, alt_end: u16) {
        for rule in self.rules.iter_mut().skip(first) {
            rule.alt_start = alt_start;
            rule.alt_end = alt_end;
        }
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the policy has no rules (every syscall of the arch gets the default action).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule at `index` (in the order added), or `None` past the end.
    pub fn rule(&self, index: usize) -> Option<Rule<'_>> {
        self.rules.get(index).map(|stored| self.view(stored))
    }

    /// Every rule, in the order added.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = Rule<'_>> + Clone + '_ {
        self.rules.iter().map(|stored| self.view(stored))
    }

    /// The view of a stored rule.
    fn view(&self, stored: &StoredRule) -> Rule<'_> {
        Rule {
            arch: stored.arch,
            nr: stored.nr,
            action: stored.action,
            alternatives: Alternatives {
                cmps: &self.cmps,
                ends: self
                    .alt_ends
                    .get(usize::from(stored.alt_start)..usize::from(stored.alt_end))
                    .unwrap_or(&[]),
                start: self.alt_start_of(stored.alt_start),
            },
            storage: (stored.alt_start, stored.alt_end),
        }
    }

    /// Where the comparisons of alternative `alt` begin.
    fn alt_start_of(&self, alt: u16) -> u16 {
        match alt.checked_sub(1) {
            Some(previous) => self.alt_ends.get(usize::from(previous)).copied().unwrap_or(0),
            None => 0,
        }
    }

    /// The syscall number whose rules (of the target ABI) decide `nr`, or the action when the architecture
    /// checks decide. Numbers are as `seccomp_data.nr` carries them, reinterpreted as unsigned.
    pub fn rule_key(&self, nr: u32) -> Result<u32, Action> {
        if self.enosys_catches(self.arch.audit(), nr) {
            return Err(ENOSYS);
        }
        let x32 = nr & abi::X32_SYSCALL_BIT != 0;
        match self.arch {
            Arch::X86_64 if x32 => match self.x32 {
                X32::BadArch => Err(self.bad_arch),
                X32::BadArchExceptMinusOne if nr == u32::MAX => Ok(nr),
                X32::BadArchExceptMinusOne => Err(self.bad_arch),
                X32::Rules => Ok(nr),
                X32::ByName => Arch::X32
                    .syscall_name(nr)
                    .and_then(|name| Arch::X86_64.syscall_nr(name))
                    .ok_or(self.default),
            },
            Arch::X32 if !x32 => Err(self.bad_arch),
            Arch::X86_64 if nr >= 0x8000_0000 && self.x32 == X32::BadArchExceptMinusOne => Err(self.bad_arch),
            _ => Ok(nr),
        }
    }

    /// The action the policy decides for `data`: the reference semantics the compiled program must match.
    ///
    /// Checks the architecture first (`data.arch` must be a covered audit value, else the bad-arch
    /// action), then the ENOSYS ceiling of the number's ABI ([`Policy::enosys_above`]: above it,
    /// `errno(ENOSYS)`), then bit 30 of `nr` for x86_64 and x32 targets (see [`X32`]), then the rules as
    /// described in the type's documentation.
    pub fn evaluate(&self, data: &SeccompData) -> Action {
        let (abi, key) = match self.rule_key_for(data.arch, data.nr as u32) {
            Ok(found) => found,
            Err(action) => return action,
        };
        let mut conditional: Option<Action> = None;
        let mut unconditional: Option<Action> = None;
        for rule in self.rules() {
            if rule.nr != key || rule.arch != abi {
                continue;
            }
            let slot = if rule.is_conditional() {
                if !rule.matches(&data.args) {
                    continue;
                }
                &mut conditional
            } else {
                &mut unconditional
            };
            match slot {
                Some(best) if best.precedence_key() <= rule.action.precedence_key() => {}
                _ => *slot = Some(rule.action),
            }
        }
        conditional.or(unconditional).unwrap_or(self.default)
    }
}

impl<const RULES: usize, const CMPS: usize> Policy<RULES, CMPS> {
    /// The ABI and number whose rules decide a syscall with `seccomp_data.arch == audit` and `nr`, or the
    /// action when the architecture checks decide (a foreign arch value: the bad-arch action).
    pub fn rule_key_for(&self, audit: u32, nr: u32) -> Result<(Arch, u32), Action> {
        if audit == self.arch.audit() {
            let abi = if self.x32 == X32::Rules && nr & abi::X32_SYSCALL_BIT != 0 {
                Arch::X32
            } else {
                self.arch
            };
            return self.rule_key(nr).map(|key| (abi, key));
        }
        match self.compat {
            Some(compat) if compat.audit() == audit && self.enosys_catches(audit, nr) => Err(ENOSYS),
            Some(compat) if compat.audit() == audit => Ok((compat, nr)),
            _ => Err(self.bad_arch),
        }
    }
}

impl<const R1: usize, const C1: usize, const R2: usize, const C2: usize> PartialEq<Policy<R2, C2>>
    for Policy<R1, C1>
{
    /// Policies are equal when they say the same thing in the same order: arch, the settings, and
    /// rule by rule the number, the action and the comparisons of each alternative. How conditions are
    /// stored (shared or not) does not matter.
    fn eq(&self, other: &Policy<R2, C2>) -> bool {
        self.arch == other.arch
            && self.compat == other.compat
            && self.default == other.default
            && self.bad_arch == other.bad_arch
            && self.x32 == other.x32
            && self.enosys == other.enosys
            && self.len() == other.len()
            && self.rules().zip(other.rules()).all(|(a, b)| a == b)
    }
}

impl<const RULES: usize, const CMPS: usize> Eq for Policy<RULES, CMPS> {}

/// A view of one rule of a [`Policy`].
#[derive(Clone, Copy, Debug)]
pub struct Rule<'p> {
    arch: Arch,
    nr: u32,
    action: Action,
    alternatives: Alternatives<'p>,
    storage: (u16, u16),
}

impl<'p> Rule<'p> {
    /// The ABI of the rule's number: the policy's target or its compat ABI.
    pub const fn arch(&self) -> Arch {
        self.arch
    }

    /// The syscall number (as `seccomp_data.nr` carries it).
    pub const fn nr(&self) -> u32 {
        self.nr
    }

    /// The action when the rule applies.
    pub const fn action(&self) -> Action {
        self.action
    }

    /// Whether the rule has a condition.
    pub fn is_conditional(&self) -> bool {
        !self.alternatives.ends.is_empty()
    }

    /// The condition's alternatives, each a conjunction of comparisons (none for an unconditional rule).
    pub fn alternatives(&self) -> Alternatives<'p> {
        self.alternatives
    }

    /// Whether the rule applies to these arguments (always, for an unconditional rule).
    pub fn matches(&self, args: &[u64; 6]) -> bool {
        !self.is_conditional()
            || self
                .alternatives
                .into_iter()
                .any(|conjunction| conjunction.iter().all(|c| c.matches(args)))
    }

    /// Whether two rules of the same policy share their stored condition (the writer groups them on one
    /// line).
    pub(crate) fn shares_condition(&self, other: &Rule<'_>) -> bool {
        self.storage == other.storage
    }
}

impl PartialEq for Rule<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.arch == other.arch
            && self.nr == other.nr
            && self.action == other.action
            && self.alternatives.len() == other.alternatives.len()
            && self
                .alternatives
                .into_iter()
                .zip(other.alternatives)
                .all(|(a, b)| a == b)
    }
}

/// The alternatives of a rule's condition; iterating yields each conjunction as a slice of comparisons.
#[derive(Clone, Copy, Debug)]
pub struct Alternatives<'p> {
    cmps: &'p [Comparison],
    ends: &'p [u16],
    start: u16,
}

impl<'p> Alternatives<'p> {
    /// The number of alternatives.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none (the rule is unconditional).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<'p> Iterator for Alternatives<'p> {
    type Item = &'p [Comparison];

    fn next(&mut self) -> Option<&'p [Comparison]> {
        let (&end, rest) = self.ends.split_first()?;
        let conjunction = self
            .cmps
            .get(usize::from(self.start)..usize::from(end))
            .unwrap_or(&[]);
        self.ends = rest;
        self.start = end;
        Some(conjunction)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.ends.len(), Some(self.ends.len()))
    }
}

impl<'p> DoubleEndedIterator for Alternatives<'p> {
    fn next_back(&mut self) -> Option<&'p [Comparison]> {
        let (&end, rest) = self.ends.split_last()?;
        let start = rest.last().copied().unwrap_or(self.start);
        self.ends = rest;
        Some(self.cmps.get(usize::from(start)..usize::from(end)).unwrap_or(&[]))
    }
}

impl ExactSizeIterator for Alternatives<'_> {}
