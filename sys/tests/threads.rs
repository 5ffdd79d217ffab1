//! Filters and threads: KILL_THREAD against KILL_PROCESS in a multi-threaded child, TSYNC, and the TSYNC
//! flag combinations. Threads are raw clones inside a forked child (see `common::thread`).

mod common;

use common::filters;
use common::{Outcome, Shared, thread};
use seccomp_core::abi::{self, SockFilter};
use seccomp_sys::{FilterFlags, InstallError, install, set_no_new_privs};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

const SIGSYS: i32 = linux_raw_sys::general::SIGSYS as i32;
const STACK: usize = 256 * 1024;

/// Shared slots.
const THREAD_RESULT: usize = 0;
const THREAD_DONE: usize = 1;
const MAIN_AFTER_JOIN: usize = 2;
const INSTALL: usize = 3;
const TID: usize = 4;

/// What a raw thread needs: a go-flag, its own filter to install (or none), and the shared page.
struct ThreadCtx {
    go: AtomicU32,
    ready: AtomicU32,
    own_filter: Option<&'static [SockFilter]>,
    slots: *const AtomicI64,
}

fn slot(ctx: &ThreadCtx, index: usize) -> &AtomicI64 {
    // SAFETY: `slots` points at the SLOTS atomics of a live shared page and every index used is small.
    unsafe { &*ctx.slots.add(index) }
}

/// The thread: optionally installs its own filter, says it is ready, waits for `go`, makes the target
/// syscall and records the result.
extern "C" fn thread_main(arg: usize) {
    // SAFETY: `arg` is the address of a ThreadCtx that the creating thread keeps alive until join.
    let ctx = unsafe { &*(arg as *const ThreadCtx) };
    if let Some(filter) = ctx.own_filter {
        let installed = seccomp_core::bpf::validate(filter)
            .is_ok_and(|program| install(&program, FilterFlags::EMPTY).is_ok());
        slot(ctx, INSTALL).store(i64::from(installed), Ordering::SeqCst);
    }
    thread::set_and_wake(&ctx.ready, 1);
    thread::wait_while(&ctx.go, 0);
    let result = common::encode(filters::target());
    slot(ctx, THREAD_RESULT).store(result, Ordering::SeqCst);
    slot(ctx, THREAD_DONE).store(1, Ordering::SeqCst);
}

/// In a child: spawns the thread, then runs `main` (which gets the thread's ctx and tid), then lets the
/// thread go and joins it.
fn run_threaded(
    shared: &Shared,
    stack: &mut [u8],
    own_filter: Option<&'static [SockFilter]>,
    main: impl FnOnce(u32) -> i32,
) -> i32 {
    if set_no_new_privs().is_err() {
        return 2;
    }
    let ctx = ThreadCtx {
        go: AtomicU32::new(0),
        ready: AtomicU32::new(0),
        own_filter,
        slots: shared.as_ptr(),
    };
    let tid_word = AtomicU32::new(0);
    // SAFETY: the stack was allocated before the fork and is used by nothing else; thread_main only
    // makes raw syscalls and touches `ctx` and the shared page, which outlive the join below.
    let tid = match unsafe { thread::spawn(stack, thread_main, (&raw const ctx) as usize, &tid_word) } {
        Ok(tid) => tid,
        Err(_) => return 3,
    };
    thread::wait_while(&ctx.ready, 0);
    let code = main(tid);
    thread::set_and_wake(&ctx.go, 1);
    thread::join(&tid_word);
    shared.set(MAIN_AFTER_JOIN, 1);
    code
}

fn kill_test(action: u32) -> (Outcome, Shared) {
    let shared = Shared::new();
    let filter = filters::on_target(action);
    let program = filters::valid(&filter);
    let mut stack = vec![0u8; STACK];
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            run_threaded(&shared, &mut stack, None, |_| {
                match install(&program, FilterFlags::TSYNC) {
                    Ok(None) => 0,
                    _ => 4,
                }
            })
        })
    };
    (child.wait(), shared)
}

#[test]
fn kill_thread_ends_only_the_calling_thread() {
    let _serial = common::serial();
    let (outcome, shared) = kill_test(abi::RET_KILL_THREAD);
    assert_eq!(outcome, Outcome::Exited(0), "the process must survive");
    assert_eq!(shared.get(THREAD_DONE), 0, "the thread must die in its syscall");
    assert_eq!(shared.get(MAIN_AFTER_JOIN), 1, "the main thread must go on");
}

#[test]
fn kill_process_from_one_thread_ends_the_whole_process() {
    let _serial = common::serial();
    let (outcome, shared) = kill_test(abi::RET_KILL_PROCESS);
    assert_eq!(outcome, Outcome::Signaled(SIGSYS));
    assert_eq!(shared.get(THREAD_DONE), 0);
    assert_eq!(shared.get(MAIN_AFTER_JOIN), 0);
}

/// Installs ERRNO(55) on the target in the main thread with `flags` while another thread runs.
fn errno_in_main_thread(flags: FilterFlags) -> (Outcome, Shared) {
    let shared = Shared::new();
    let filter = filters::on_target(abi::RET_ERRNO | 55);
    let program = filters::valid(&filter);
    let mut stack = vec![0u8; STACK];
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            run_threaded(&shared, &mut stack, None, |_| match install(&program, flags) {
                Ok(None) => 0,
                _ => 4,
            })
        })
    };
    (child.wait(), shared)
}

#[test]
fn tsync_installs_the_filter_on_every_thread() {
    let _serial = common::serial();
    let (outcome, shared) = errno_in_main_thread(FilterFlags::TSYNC);
    assert_eq!(outcome, Outcome::Exited(0));
    assert_eq!(shared.get(THREAD_RESULT), -55);
}

#[test]
fn without_tsync_other_threads_stay_unfiltered() {
    let _serial = common::serial();
    let (outcome, shared) = errno_in_main_thread(FilterFlags::EMPTY);
    assert_eq!(outcome, Outcome::Exited(0));
    assert_eq!(shared.get(THREAD_RESULT), common::my_pid());
}

/// The thread's own filter: it diverges from the main thread's chain, so TSYNC cannot synchronize it.
static DIVERGING: [SockFilter; 1] = [SockFilter::ret(abi::RET_ALLOW)];

#[test]
fn tsync_fails_with_the_tid_of_a_thread_whose_chain_diverged() {
    let _serial = common::serial();
    let shared = Shared::new();
    let filter = filters::on_target(abi::RET_ERRNO | 55);
    let program = filters::valid(&filter);
    let mut stack = vec![0u8; STACK];
    let esrch_known = common::features().knows_flags(FilterFlags::TSYNC_ESRCH);
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            run_threaded(&shared, &mut stack, Some(&DIVERGING), |tid| {
                shared.set(TID, i64::from(tid));
                let plain = match install(&program, FilterFlags::TSYNC) {
                    Err(InstallError::TsyncFailed { tid: failed }) if failed == tid => 1,
                    _ => 5,
                };
                let esrch = if esrch_known {
                    match install(&program, FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH) {
                        Err(InstallError::TsyncFailedEsrch) => 1,
                        _ => 6,
                    }
                } else {
                    1
                };
                if plain == 1 && esrch == 1 {
                    0
                } else {
                    plain.max(esrch)
                }
            })
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(INSTALL), 1, "the thread installed its own filter");
    // Nothing was installed anywhere: the thread's syscall is unfiltered by ERRNO(55).
    assert_eq!(shared.get(THREAD_RESULT), common::my_pid());
    if !esrch_known {
        skip!(
            "tsync_fails_with_the_tid_of_a_thread_whose_chain_diverged",
            "SECCOMP_FILTER_FLAG_TSYNC_ESRCH (5.7) for the ESRCH half"
        );
    }
}

#[test]
fn tsync_with_new_listener_needs_tsync_esrch() {
    let _serial = common::serial();
    if !common::features().knows_flags(FilterFlags::TSYNC_ESRCH) {
        skip!(
            "tsync_with_new_listener_needs_tsync_esrch",
            "SECCOMP_FILTER_FLAG_TSYNC_ESRCH (5.7)"
        );
    }
    let shared = Shared::new();
    let program = filters::valid(&filters::ALLOW_ALL);
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            let both = FilterFlags::TSYNC | FilterFlags::NEW_LISTENER;
            let without = install(&program, both);
            shared.set(0, i64::from(matches!(without, Err(InstallError::Invalid))));
            let with = install(&program, both | FilterFlags::TSYNC_ESRCH);
            shared.set(1, i64::from(matches!(with, Ok(Some(_)))));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(
        shared.get(0),
        1,
        "TSYNC|NEW_LISTENER without TSYNC_ESRCH must be EINVAL"
    );
    assert_eq!(
        shared.get(1),
        1,
        "with TSYNC_ESRCH it installs and returns a listener"
    );
}
