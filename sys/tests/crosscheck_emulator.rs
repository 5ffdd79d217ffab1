//! The emulator of seccomp-core against the running kernel: generated valid programs whose answer depends
//! on the syscall number and the arguments are installed in a forked child, which makes real syscalls with
//! chosen arguments; what the kernel does to each (the value returned, `-errno`, SIGSYS caught as TRAP, the
//! thread or the process killed) must be what `bpf::emulate` (`bpf::emulate_stack` for stacks of 2 or 3
//! filters) says the filter returns.
//!
//! The syscalls are harmless whatever their arguments: `getppid` and `getuid` ignore theirs (the filter
//! still sees them), and numbers that no kernel defines fail with ENOSYS when allowed. Programs never load
//! the instruction pointer, which the emulator cannot know. `CROSSCHECK_PROBES` (default 1,000; half as
//! many again for stacks) and `CROSSCHECK_SEED` size and fix the campaign.
//!
//! The filter is installed in a raw thread of the child, not in its main thread: without TSYNC a filter
//! applies to the installing thread only, so a KILL_THREAD result ends that thread while the main thread
//! (unfiltered) survives to report it, and a KILL_PROCESS result ends the whole child. A SIGSYS handler
//! records TRAP results. The thread makes the probes of one job in order until one ends it; the parent
//! then continues with the next probe in a new child, so a probe's outcome never depends on another's.

mod common;

use common::crosscheck::{self, Config, trap_slots};
use common::filters::NATIVE_ARCH;
use common::{Outcome, Shared, thread};
use linux_raw_sys::general as nr;
use rustix::io::Errno;
use seccomp_core::Rng;
use seccomp_core::abi::{self, SeccompData, SockFilter, offset};
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::bpf::generate;
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::{Listing, Validated, emulate, emulate_stack, validate};
use seccomp_sys::{FilterFlags, install_unvalidated, set_no_new_privs};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::AtomicU32;
use std::time::Instant;

const SIGSYS: i32 = nr::SIGSYS as i32;
const STACK: usize = 256 * 1024;

/// Shared slots of a probing child (2..=7 belong to the SIGSYS recorder, see [`trap_slots`]).
const INSTALLED: usize = 0;
const DONE: usize = 1;
const INSTALL_ERROR: usize = 8;
const RESULTS: usize = 16;
/// The most probes one job may have (the shared page's remaining slots).
const MAX_PROBES: usize = common::SLOTS - RESULTS;

/// Exit code of the child's main thread once the probing thread has ended.
const THREAD_ENDED: i32 = 40;
/// Exit codes of a child that could not start its probing thread.
const SETUP_FAILED: i32 = 41;

/// Probes per generated program (single filters and stacks).
const PROBES_PER_JOB: usize = 8;

/// Syscall numbers that no kernel defines (below the x32 bit): allowed, they fail with ENOSYS.
const NONEXISTENT: [u32; 3] = [1000, 1001, 0x0123_4567];

/// One syscall the child makes under the filter.
#[derive(Clone, Copy, Debug)]
struct Probe {
    nr: u32,
    args: [u64; 6],
}

impl Probe {
    fn data(&self) -> SeccompData {
        SeccompData {
            nr: self.nr as i32,
            arch: NATIVE_ARCH,
            instruction_pointer: 0,
            args: self.args,
        }
    }
}

/// What happened to a probe in the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Observed {
    /// The syscall returned this raw value (`-errno` on failure).
    Returned(i64),
    /// SIGSYS with these `si_errno`, `si_code`, `si_syscall`, `si_arch`.
    Trapped {
        errno: i64,
        code: i64,
        syscall: i64,
        arch: i64,
    },
    /// The thread that made the syscall died; the process survived.
    ThreadKilled,
    /// The process died by SIGSYS.
    ProcessKilled,
}

impl Observed {
    /// A coarse name for the summary.
    fn kind(&self) -> &'static str {
        match self {
            Observed::Returned(value) if *value == -i64::from(Errno::NOSYS.raw_os_error()) => "enosys",
            Observed::Returned(value) if *value < 0 && *value > -4096 => "errno",
            Observed::Returned(_) => "returned",
            Observed::Trapped { .. } => "trap",
            Observed::ThreadKilled => "kill-thread",
            Observed::ProcessKilled => "kill-process",
        }
    }
}

/// What the running kernel answers when a probe's syscall is allowed.
struct Allowed {
    ppid: i64,
    uid: i64,
}

impl Allowed {
    fn new() -> Allowed {
        Allowed {
            ppid: common::my_pid(),
            uid: i64::from(rustix::process::getuid().as_raw()),
        }
    }

    fn value(&self, nr: u32) -> i64 {
        match nr {
            nr::__NR_getppid => self.ppid,
            nr::__NR_getuid => self.uid,
            _ => -i64::from(Errno::NOSYS.raw_os_error()),
        }
    }
}

/// What the kernel does for `action` returned to `probe` in a thread of a two-thread process.
fn expected(action: Action, probe: &Probe, allowed: &Allowed) -> Observed {
    match action.effect() {
        ActionKind::KillProcess | ActionKind::Unknown(_) => Observed::ProcessKilled,
        ActionKind::KillThread => Observed::ThreadKilled,
        ActionKind::Trap(data) => Observed::Trapped {
            errno: i64::from(data),
            code: 1, // SYS_SECCOMP
            syscall: i64::from(probe.nr),
            arch: i64::from(NATIVE_ARCH),
        },
        ActionKind::Errno(_) => Observed::Returned(-i64::from(action.effective_errno().unwrap_or(0))),
        // No tracer and no listener: the syscall fails with ENOSYS.
        ActionKind::Trace(_) | ActionKind::Notify => {
            Observed::Returned(-i64::from(Errno::NOSYS.raw_os_error()))
        }
        ActionKind::Log | ActionKind::Allow => Observed::Returned(allowed.value(probe.nr)),
    }
}

/// What the probing thread needs; prepared before the fork.
struct Job<'a> {
    /// The filters to install, oldest first.
    filters: &'a [Vec<SockFilter>],
    probes: &'a [Probe],
    /// The first probe to make.
    start: usize,
    shared: &'a Shared,
}

/// The probing thread: installs the filters, then makes the probes from `start` on, storing each result
/// before the next; ends itself after the last.
extern "C" fn probe_thread(arg: usize) {
    // SAFETY: `arg` is the address of a Job that the creating thread keeps alive until the join.
    let job = unsafe { &*(arg as *const Job<'_>) };
    let shared = job.shared;
    if set_no_new_privs().is_err() {
        shared.set(INSTALL_ERROR, 0);
        crosscheck::end_thread();
    }
    for (index, filter) in job.filters.iter().enumerate() {
        if install_unvalidated(filter, FilterFlags::EMPTY).is_err() {
            shared.set(INSTALL_ERROR, index as i64 + 1);
            crosscheck::end_thread();
        }
        shared.set(INSTALLED, index as i64 + 1);
    }
    for (index, probe) in job.probes.iter().enumerate().skip(job.start) {
        shared.set(trap_slots::CURRENT, index as i64);
        // SAFETY: the probed syscalls (getppid, getuid, numbers no kernel defines) take no pointers and
        // change nothing, whatever their arguments.
        let result = unsafe { common::raw::syscall6(probe.nr, probe.args.map(|arg| arg as usize)) };
        shared.set(RESULTS + index, common::encode(result));
        shared.set(DONE, index as i64 + 1);
    }
    shared.set(trap_slots::CURRENT, job.probes.len() as i64);
    crosscheck::end_thread()
}

/// The child's main thread: installs the SIGSYS recorder, runs [`probe_thread`] on `stack` and waits for
/// it to end (the main thread has no filter, so nothing stops it from reporting).
fn child_main(job: &Job<'_>, stack: &mut [u8]) -> i32 {
    if crosscheck::record_traps(job.shared).is_err() {
        return SETUP_FAILED;
    }
    let tid = AtomicU32::new(0);
    // SAFETY: the stack is used by the new thread only, until the join below; `job` outlives the thread;
    // the thread makes raw syscalls only.
    let spawned = unsafe { thread::spawn(stack, probe_thread, (&raw const *job) as usize, &tid) };
    if spawned.is_err() {
        return SETUP_FAILED;
    }
    thread::join(&tid);
    THREAD_ENDED
}

/// Runs every probe of a job against the kernel; returns the outcomes and the number of children used.
fn run_on_kernel(filters: &[Vec<SockFilter>], probes: &[Probe], stack: &mut [u8]) -> (Vec<Observed>, usize) {
    assert!(probes.len() <= MAX_PROBES, "too many probes for one job");
    let shared = Shared::new();
    let mut observed = Vec::with_capacity(probes.len());
    let mut children = 0;
    while observed.len() < probes.len() {
        let start = observed.len();
        for slot in 0..RESULTS {
            shared.set(slot, 0);
        }
        shared.set(DONE, start as i64);
        let job = Job {
            filters,
            probes,
            start,
            shared: &shared,
        };
        let stack = &mut *stack;
        // SAFETY: the child and its raw thread only make raw syscalls and touch the job, the stack and the
        // shared page, all prepared before the fork.
        let child = unsafe { common::spawn(|| child_main(&job, stack)) };
        children += 1;
        let outcome = crosscheck::wait(child);
        let installed = shared.get(INSTALLED);
        if installed != filters.len() as i64 {
            assert_ne!(
                outcome,
                Outcome::Exited(SETUP_FAILED),
                "the child could not install its SIGSYS handler or start its thread"
            );
            let listings: Vec<String> = filters.iter().map(|f| Listing(f).to_string()).collect();
            panic!(
                "installing filter {} (0 = the first; -1 = no_new_privs) failed although seccomp-core validated                  it ({outcome:?}, {installed} of {} installed):\n{}",
                shared.get(INSTALL_ERROR) - 1,
                filters.len(),
                listings.join("\n---\n")
            );
        }
        let done = shared.get(DONE) as usize;
        for index in start..done.min(probes.len()) {
            observed.push(Observed::Returned(shared.get(RESULTS + index)));
        }
        if done >= probes.len() {
            break;
        }
        // Probe `done` ended the thread or the process.
        let fatal = if shared.get(trap_slots::TRAPPED_AT) == done as i64 + 1 {
            Observed::Trapped {
                errno: shared.get(trap_slots::SI_ERRNO),
                code: shared.get(trap_slots::SI_CODE),
                syscall: shared.get(trap_slots::SI_SYSCALL),
                arch: shared.get(trap_slots::SI_ARCH),
            }
        } else {
            match outcome {
                Outcome::Exited(THREAD_ENDED) => Observed::ThreadKilled,
                Outcome::Signaled(SIGSYS) => Observed::ProcessKilled,
                other => panic!("probe {done} ended the child unexpectedly: {other:?}"),
            }
        };
        observed.push(fatal);
    }
    (observed, children)
}

// ---------------------------------------------------------------------------------------------------------
// Program generation.

/// The syscall numbers probes make; programs compare `nr` against these.
fn probe_syscalls() -> [u32; 5] {
    [
        nr::__NR_getppid,
        nr::__NR_getuid,
        NONEXISTENT[0],
        NONEXISTENT[1],
        NONEXISTENT[2],
    ]
}

/// Values a generated program compares against and that probes pass as arguments, so that both branches
/// of most comparisons are taken.
struct Pool(Vec<u32>);

impl Pool {
    fn new(rng: &mut Rng) -> Pool {
        let mut values = vec![0, u32::MAX, 0x8000_0000];
        for _ in 0..5 {
            let value = match rng.below(4) {
                0 => rng.below(16) as u32,
                1 => rng.next_u32(),
                2 => random_action(rng),
                _ => 1 << rng.below(32),
            };
            values.push(value);
        }
        Pool(values)
    }

    fn pick(&self, rng: &mut Rng) -> u32 {
        let value = self
            .0
            .get(rng.below(self.0.len() as u64) as usize)
            .copied()
            .unwrap_or(0);
        match rng.below(10) {
            0 => value.wrapping_add(1),
            1 => value.wrapping_sub(1),
            _ => value,
        }
    }

    /// A comparison constant: usually from the pool, sometimes new (and then added to it).
    fn constant(&mut self, rng: &mut Rng) -> u32 {
        if rng.chance(85) {
            self.pick(rng)
        } else {
            let value = rng.next_u32();
            self.0.push(value);
            value
        }
    }
}

/// A return value: every action, with data that tests the kernel's handling (errno caps, trap data), and
/// values the kernel does not define.
fn random_action(rng: &mut Rng) -> u32 {
    let data = if rng.chance(70) {
        rng.range(1, 133) as u32
    } else {
        rng.below(0x1_0000) as u32
    };
    match rng.below(100) {
        0..30 => abi::RET_ERRNO | data,
        30..33 => abi::RET_ERRNO,
        33..53 => abi::RET_ALLOW | if rng.chance(20) { data } else { 0 },
        53..58 => abi::RET_LOG,
        58..66 => abi::RET_TRAP | data,
        66..72 => abi::RET_KILL_THREAD | if rng.chance(20) { data } else { 0 },
        72..78 => abi::RET_KILL_PROCESS | if rng.chance(20) { data } else { 0 },
        78..84 => abi::RET_TRACE | data,
        84..89 => abi::RET_USER_NOTIF | if rng.chance(20) { data } else { 0 },
        // Undefined action values, on both sides of the defined ones.
        89..94 => rng.pick(&[0x0001_0000, 0x0004_0000, 0x7ffd_0000, 0x7fe0_0000, 0x4000_0000]) | data,
        _ => rng.next_u32(),
    }
}

/// The kinds of value `ld` can put in A in a targeted program.
fn data_load(rng: &mut Rng) -> (u32, bool) {
    match rng.below(100) {
        0..30 => (offset::NR, true),
        30..60 => (offset::arg_lo(rng.below(6) as u8), false),
        60..90 => (offset::arg_hi(rng.below(6) as u8), false),
        _ => (offset::ARCH, false),
    }
}

/// A valid program whose answer depends on `nr` and the arguments, shaped like real filters: a chain of
/// rules `ld field; [alu]; [st/ldx scratch]; jcc; body` where the body (a return, or a nested comparison
/// between two returns) runs when the condition holds (or when it does not), and a default return at the
/// end. Scratch cells stay written from one rule to the next under the kernel's linear pass, because
/// every jump skips only returns.
fn rule_chain(rng: &mut Rng, pool: &mut Pool) -> Vec<SockFilter> {
    let syscalls = probe_syscalls();
    let mut out = Vec::new();
    let mut written: u16 = 0;
    let condition = |rng: &mut Rng, pool: &mut Pool, out: &mut Vec<SockFilter>, written: &mut u16| {
        let (field, is_nr) = data_load(rng);
        out.push(SockFilter::load_data(field));
        let mut k = if is_nr && rng.chance(85) {
            rng.pick(&syscalls)
        } else {
            pool.constant(rng)
        };
        if !is_nr && rng.chance(25) {
            let op = rng.pick(&[BPF_AND, BPF_RSH, BPF_ADD, BPF_OR, BPF_XOR, BPF_SUB]);
            let operand = if op == BPF_RSH {
                rng.below(32) as u32
            } else {
                pool.pick(rng)
            };
            out.push(SockFilter::stmt(BPF_ALU | op | BPF_K, operand));
            k = pool.pick(rng);
        }
        if rng.chance(15) {
            let cell = rng.below(16) as u32;
            out.push(SockFilter::stmt(BPF_ST, cell));
            *written |= 1 << cell;
        }
        let op = rng.pick(&[BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]);
        if *written != 0 && rng.chance(15) {
            let mut cell = rng.below(16) as u32;
            while *written & (1 << cell) == 0 {
                cell = (cell + 1) % 16;
            }
            out.push(SockFilter::stmt(BPF_LDX | BPF_MEM, cell));
            (BPF_JMP | op | BPF_X, 0)
        } else {
            (BPF_JMP | op | BPF_K, k)
        }
    };
    let ret = |rng: &mut Rng| {
        if rng.chance(12) {
            SockFilter::stmt(BPF_RET | BPF_A, 0)
        } else {
            SockFilter::ret(random_action(rng))
        }
    };
    for _ in 0..rng.range(1, 10) {
        let (code, k) = condition(rng, pool, &mut out, &mut written);
        let mut body = Vec::new();
        if rng.chance(20) {
            // A store in the body does not count after it: the outer jump skips it.
            let mut inner_written = written;
            let (inner_code, inner_k) = condition(rng, pool, &mut body, &mut inner_written);
            body.push(SockFilter::jump(inner_code, inner_k, 0, 1));
            body.push(ret(rng));
            body.push(ret(rng));
        } else {
            body.push(ret(rng));
        }
        let skip = body.len() as u8;
        // An equality usually guards the rare case, as in real filters; other comparisons go either way.
        let body_when_true = if code & 0xf0 == BPF_JEQ {
            rng.chance(80)
        } else {
            rng.chance(50)
        };
        let (jt, jf) = if body_when_true { (0, skip) } else { (skip, 0) };
        out.push(SockFilter::jump(code, k, jt, jf));
        out.extend(body);
    }
    out.push(SockFilter::ret(random_action(rng)));
    out
}

/// A valid program of random shape whose answer depends on `nr` and the arguments: loads of `nr`,
/// the arguments and `arch`, ALU operations, scratch memory, comparisons against the pool (or the probed
/// syscall numbers after a load of `nr`), `ret a`, and returns of every action. Scratch loads only read
/// cells the kernel's linear pass considers written, so the program is valid by construction.
fn random_flow(rng: &mut Rng, pool: &mut Pool) -> Vec<SockFilter> {
    let len = match rng.below(10) {
        0..7 => rng.range(4, 40),
        _ => rng.range(40, 400),
    } as usize;
    let syscalls = probe_syscalls();
    let mut out = Vec::with_capacity(len);
    let mut masks = vec![u16::MAX; len];
    let mut valid: u16 = 0;
    let mut a_is_nr = false;
    for pc in 0..len {
        valid &= masks[pc];
        let remaining = (len - pc - 1) as u64;
        let insn = if remaining == 0 {
            if rng.chance(15) {
                SockFilter::stmt(BPF_RET | BPF_A, 0)
            } else {
                SockFilter::ret(random_action(rng))
            }
        } else {
            let choice = if pc == 0 && rng.chance(80) {
                0
            } else {
                rng.below(100)
            };
            match choice {
                0..20 | 94.. => {
                    let (k, is_nr) = data_load(rng);
                    a_is_nr = is_nr;
                    SockFilter::load_data(k)
                }
                20..27 => {
                    a_is_nr = false;
                    let op = rng.pick(&[
                        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
                    ]);
                    if rng.chance(25) {
                        SockFilter::stmt(BPF_ALU | op | BPF_X, 0)
                    } else if rng.chance(5) {
                        SockFilter::stmt(BPF_ALU | BPF_NEG, 0)
                    } else {
                        let k = match op {
                            BPF_LSH | BPF_RSH => rng.below(32) as u32,
                            BPF_DIV => pool.pick(rng).max(1),
                            _ => pool.pick(rng),
                        };
                        SockFilter::stmt(BPF_ALU | op | BPF_K, k)
                    }
                }
                27..32 => match rng.below(5) {
                    0 | 1 => SockFilter::stmt(BPF_LDX | BPF_IMM, pool.pick(rng)),
                    2 => SockFilter::stmt(BPF_MISC | BPF_TAX, 0),
                    3 => {
                        a_is_nr = false;
                        SockFilter::stmt(BPF_MISC | BPF_TXA, 0)
                    }
                    _ => SockFilter::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
                },
                32..36 => {
                    let cell = rng.below(16) as u32;
                    valid |= 1 << cell;
                    SockFilter::stmt(if rng.chance(50) { BPF_ST } else { BPF_STX }, cell)
                }
                36..40 if valid != 0 => {
                    let mut cell = rng.below(16) as u32;
                    while valid & (1 << cell) == 0 {
                        cell = (cell + 1) % 16;
                    }
                    if rng.chance(50) {
                        a_is_nr = false;
                        SockFilter::stmt(BPF_LD | BPF_MEM, cell)
                    } else {
                        SockFilter::stmt(BPF_LDX | BPF_MEM, cell)
                    }
                }
                36..82 => {
                    let max = remaining.saturating_sub(1).min(255);
                    let mut offset = || match rng.below(20) {
                        0..15 => rng.below(max.min(3) + 1),
                        15 => max,
                        _ => rng.below(max + 1),
                    };
                    let (jt, jf) = (offset(), offset());
                    for off in [jt, jf] {
                        if let Some(mask) = masks.get_mut(pc + 1 + off as usize) {
                            *mask &= valid;
                        }
                    }
                    valid = u16::MAX;
                    let op = rng.pick(&[BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]);
                    if rng.chance(15) {
                        SockFilter::jump(BPF_JMP | op | BPF_X, 0, jt as u8, jf as u8)
                    } else {
                        let k = if a_is_nr && rng.chance(85) {
                            let number = rng.pick(&syscalls);
                            match rng.below(8) {
                                0 => number.wrapping_add(1),
                                _ => number,
                            }
                        } else {
                            pool.constant(rng)
                        };
                        SockFilter::jump(BPF_JMP | op | BPF_K, k, jt as u8, jf as u8)
                    }
                }
                82..86 => {
                    let k = rng.below(remaining.min(8));
                    if let Some(mask) = masks.get_mut(pc + 1 + k as usize) {
                        *mask &= valid;
                    }
                    valid = u16::MAX;
                    SockFilter::stmt(BPF_JMP | BPF_JA, k as u32)
                }
                86..88 => SockFilter::stmt(BPF_RET | BPF_A, 0),
                _ => SockFilter::ret(random_action(rng)),
            }
        };
        out.push(insn);
    }
    out
}

/// A program from `bpf::generate::valid` (every instruction seccomp allows, far jumps, junk in ignored
/// fields), with loads of the instruction pointer moved to an argument; its constants join the pool.
fn from_generator(rng: &mut Rng, pool: &mut Pool, max_len: usize) -> Vec<SockFilter> {
    let mut buf = vec![SockFilter::default(); max_len];
    let len = generate::valid(rng, &mut buf);
    buf.truncate(len);
    for insn in &mut buf {
        if insn.code == BPF_LD | BPF_W | BPF_ABS && (insn.k == offset::IP_LO || insn.k == offset::IP_HI) {
            insn.k += 8; // args[0].lo / args[0].hi
        }
        if pool.0.len() < 24 && (class(insn.code) == BPF_JMP || insn.code == BPF_LD | BPF_IMM) {
            pool.0.push(insn.k);
        }
    }
    buf
}

/// `ld [nr]; jeq #seccomp, 0, 1; ret ALLOW` in front of a filter that others are installed after, so
/// that it lets the next `seccomp(SET_MODE_FILTER)` through.
fn with_seccomp_allowed(program: Vec<SockFilter>) -> Vec<SockFilter> {
    let mut out = vec![
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr::__NR_seccomp, 0, 1),
        SockFilter::ret(abi::RET_ALLOW),
    ];
    out.extend(program);
    out
}

/// One program for a job: 55% rule chains, 20% random flow, 25% from the generic generator.
fn one_program(rng: &mut Rng, pool: &mut Pool, max_len: usize) -> Vec<SockFilter> {
    match rng.below(100) {
        0..55 => rule_chain(rng, pool),
        55..75 => random_flow(rng, pool),
        _ => from_generator(rng, pool, max_len),
    }
}

/// Probes for a job: the first with a probed syscall number and arguments built from the pool, each next
/// one the previous with the number or one or two argument halves changed (mostly halves the filters
/// load), so that neighbouring probes differ in a comparison or two.
fn probes(rng: &mut Rng, pool: &Pool, filters: &[Vec<SockFilter>], count: usize) -> Vec<Probe> {
    let syscalls = probe_syscalls();
    // The argument halves the filters load, as (argument, shift).
    let loaded: Vec<(usize, u32)> = filters
        .iter()
        .flatten()
        .filter(|insn| insn.code == BPF_LD | BPF_W | BPF_ABS && insn.k >= offset::arg_lo(0))
        .map(|insn| (((insn.k - offset::arg_lo(0)) / 8) as usize, (insn.k % 8) * 8))
        .collect();
    let pick_nr = |rng: &mut Rng| match rng.below(10) {
        0..4 => syscalls[0],
        4..6 => syscalls[1],
        _ => rng.pick(&syscalls),
    };
    let half = |rng: &mut Rng| match rng.below(10) {
        0..7 => pool.pick(rng),
        7 => 0,
        _ => rng.next_u32(),
    };
    let mut probe = Probe {
        nr: pick_nr(rng),
        args: std::array::from_fn(|_| 0),
    };
    for arg in &mut probe.args {
        *arg = (u64::from(half(rng)) << 32) | u64::from(half(rng));
    }
    let mut out = vec![probe];
    while out.len() < count {
        if rng.chance(30) {
            probe.nr = pick_nr(rng);
        }
        for _ in 0..rng.range(1, 2) {
            let chosen = loaded.get(rng.below(loaded.len() as u64) as usize);
            let (arg, shift) = match chosen {
                Some(field) if rng.chance(90) => *field,
                _ => (rng.below(6) as usize, if rng.chance(50) { 32 } else { 0 }),
            };
            let value = u64::from(half(rng)) << shift;
            if let Some(slot) = probe.args.get_mut(arg) {
                *slot = (*slot & !(0xffff_ffff << shift)) | value;
            }
        }
        out.push(probe);
    }
    out
}

/// Job `index` of a campaign: `filters` programs (oldest first) and [`PROBES_PER_JOB`] probes.
fn job(seed: u64, index: u64, filters: usize) -> (Vec<Vec<SockFilter>>, Vec<Probe>) {
    let mut rng = crosscheck::program_rng(seed, index);
    let mut pool = Pool::new(&mut rng);
    let programs: Vec<Vec<SockFilter>> = (0..filters)
        .map(|position| {
            if position + 1 < filters {
                with_seccomp_allowed(one_program(&mut rng, &mut pool, abi::BPF_MAXINSNS - 3))
            } else {
                one_program(&mut rng, &mut pool, abi::BPF_MAXINSNS)
            }
        })
        .collect();
    let probes = probes(&mut rng, &pool, &programs, PROBES_PER_JOB);
    (programs, probes)
}

// ---------------------------------------------------------------------------------------------------------
// The campaign.

/// Runs `jobs` jobs of `filters_per_job()` filters each against the emulator and the kernel, prints a
/// summary and fails on any disagreement.
fn campaign(
    name: &str,
    first_job: u64,
    jobs: usize,
    filters_per_job: impl Fn(&mut Rng) -> usize,
    required: &[&str],
) {
    let config = Config::from_env();
    let started = Instant::now();
    let allowed = Allowed::new();
    let mut stack = vec![0u8; STACK];
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut probes_made, mut children, mut varying) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for n in 0..jobs {
        let index = first_job + n as u64;
        let mut rng = crosscheck::program_rng(config.seed ^ 0xf11e, index);
        let (filters, probes) = job(config.seed, index, filters_per_job(&mut rng));
        let validated: Vec<Validated<'_>> = filters
            .iter()
            .map(|filter| match validate(filter) {
                Ok(program) => program,
                Err(error) => panic!(
                    "job {index}: the generator built an invalid program ({error}):\n{}",
                    Listing(filter)
                ),
            })
            .collect();
        let newest_first: Vec<Validated<'_>> = validated.iter().rev().copied().collect();
        let (observed, used) = run_on_kernel(&filters, &probes, &mut stack);
        children += used;
        probes_made += probes.len();
        let mut distinct = BTreeSet::new();
        for (position, (probe, kernel)) in probes.iter().zip(&observed).enumerate() {
            let data = probe.data();
            let action = match newest_first.as_slice() {
                [single] => emulate(single, &data).action,
                stack => emulate_stack(stack, &data).0,
            };
            let emulated = expected(action, probe, &allowed);
            *kinds.entry(kernel.kind()).or_default() += 1;
            distinct.insert(*kernel);
            if emulated != *kernel {
                let mut text = format!(
                    "job {index} probe {position} (seed {:#x}): nr {} args [{}]: the emulator returns {:#010x} \
                     ({:?}), so the kernel should give {emulated:?}, but it gave {kernel:?}",
                    config.seed,
                    probe.nr,
                    probe.args.map(|arg| format!("{arg:#x}")).join(", "),
                    action.raw(),
                    action.effect()
                );
                if disagreements.is_empty() {
                    for (at, filter) in filters.iter().enumerate() {
                        let _ = write!(text, "\nfilter {at} (0 installed first):\n{}", Listing(filter));
                    }
                }
                disagreements.push(text);
            }
        }
        if distinct.len() > 1 {
            varying += 1;
        }
    }
    let mut summary = format!(
        "crosscheck emulator ({name}): {jobs} jobs, {probes_made} probes (seed {:#x}), {children} children, \
         {:.1}s; kernel outcomes:",
        config.seed,
        started.elapsed().as_secs_f64()
    );
    for (kind, count) in &kinds {
        let _ = write!(summary, " {kind} {count}");
    }
    let _ = write!(
        summary,
        "; {varying} jobs with outcomes that vary with nr/args; {} disagreements",
        disagreements.len()
    );
    crosscheck::report(&summary);
    assert!(
        disagreements.is_empty(),
        "{} of {probes_made} probes: the kernel did not do what the emulator says; the first ones:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    if jobs >= 50 {
        // A campaign this size must have seen every kind of outcome, and answers that depend on the syscall.
        for kind in required {
            assert!(kinds.contains_key(kind), "no probe ended as {kind}: {kinds:?}");
        }
        assert!(
            varying * 4 >= jobs,
            "only {varying} of {jobs} jobs had outcomes depending on nr or args"
        );
    }
}

#[test]
fn emulator_agrees_with_the_kernel_on_single_filters() {
    let _serial = common::serial();
    let jobs = Config::from_env().probes.div_ceil(PROBES_PER_JOB);
    let every_kind = [
        "enosys",
        "errno",
        "returned",
        "trap",
        "kill-thread",
        "kill-process",
    ];
    campaign("single filters", 0, jobs, |_| 1, &every_kind);
}

#[test]
fn emulator_stack_agrees_with_the_kernel_on_stacks_of_two_or_three_filters() {
    let _serial = common::serial();
    let jobs = (Config::from_env().probes / 2).div_ceil(PROBES_PER_JOB);
    // Job indices far from the single-filter campaign's, so the programs differ.
    // The least permissive answer wins, so a stack rarely allows: that outcome is not required here.
    let required = ["enosys", "errno", "trap", "kill-thread", "kill-process"];
    campaign("stacks", 1 << 40, jobs, |rng| rng.range(2, 3) as usize, &required);
}
