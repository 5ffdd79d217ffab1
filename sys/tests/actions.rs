//! Each filter action's effect on the real kernel, stacks of filters, the path budget, strict mode and
//! the permission check. Every filter is installed in a forked child.

mod common;

use common::filters::{self, NATIVE_ARCH, TARGET_NR};
use common::signals::{self, SIGSYS_EXIT};
use common::{Outcome, Shared};
use rustix::io::Errno;
use seccomp_core::abi::{self, SockFilter};
use seccomp_core::action::{Action, ActionKind, least_permissive};
use seccomp_sys::{FilterFlags, InstallError, install, install_unvalidated, set_no_new_privs};

const SIGSYS: i32 = linux_raw_sys::general::SIGSYS as i32;
const SIGKILL: i32 = linux_raw_sys::general::SIGKILL as i32;

/// Shared slot layout of [`observe`].
const STAGE: usize = 0;
const RESULT: usize = 1;
const SIGINFO: usize = 8;

/// Stages a child reports before it makes the target syscall.
const STAGE_INSTALLED: i64 = 1;

/// What a child saw when it made the target syscall under a stack of filters.
#[derive(Debug, PartialEq, Eq)]
enum Observed {
    /// The syscall returned this raw value (`-errno` on failure).
    Returned(i64),
    /// SIGSYS was delivered with these `si_errno`, `si_code`, `si_syscall`, `si_arch`.
    Trapped {
        errno: i64,
        code: i64,
        syscall: i64,
        arch: i64,
    },
    /// The process was killed by this signal.
    Killed(i32),
}

/// Installs `stack` (oldest first) in a child, makes the target syscall and reports what happened.
fn observe(stack: &[&[SockFilter]]) -> Observed {
    let programs: Vec<_> = stack.iter().map(|filter| filters::valid(filter)).collect();
    let shared = Shared::new();
    let slots = shared.as_ptr();
    // SAFETY: the child only makes raw syscalls and touches the shared page and the filters, all prepared
    // before the fork.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() || signals::record_sigsys(slots, SIGINFO).is_err() {
                return 2;
            }
            for program in &programs {
                if install(program, FilterFlags::EMPTY).is_err() {
                    return 3;
                }
            }
            shared.set(STAGE, STAGE_INSTALLED);
            shared.set(RESULT, common::encode(filters::target()));
            0
        })
    };
    let outcome = child.wait();
    assert_eq!(
        shared.get(STAGE),
        STAGE_INSTALLED,
        "child failed before the syscall: {outcome:?}"
    );
    match outcome {
        Outcome::Exited(0) => Observed::Returned(shared.get(RESULT)),
        Outcome::Exited(SIGSYS_EXIT) => Observed::Trapped {
            errno: shared.get(SIGINFO + signals::SI_ERRNO),
            code: shared.get(SIGINFO + signals::SI_CODE),
            syscall: shared.get(SIGINFO + signals::SI_SYSCALL),
            arch: shared.get(SIGINFO + signals::SI_ARCH),
        },
        Outcome::Signaled(signal) => Observed::Killed(signal),
        other => panic!("child ended unexpectedly: {other:?}"),
    }
}

/// What the kernel documents for `action` returned to the target syscall of a single-threaded child.
fn expected(action: Action) -> Observed {
    match action.effect() {
        ActionKind::KillProcess | ActionKind::KillThread => Observed::Killed(SIGSYS),
        ActionKind::Trap(data) => Observed::Trapped {
            errno: i64::from(data),
            code: 1, // SYS_SECCOMP
            syscall: i64::from(TARGET_NR),
            arch: i64::from(NATIVE_ARCH),
        },
        ActionKind::Errno(_) => Observed::Returned(-i64::from(action.effective_errno().unwrap_or(0))),
        // Without a tracer or a listener the syscall fails with ENOSYS.
        ActionKind::Trace(_) | ActionKind::Notify => {
            Observed::Returned(-i64::from(Errno::NOSYS.raw_os_error()))
        }
        ActionKind::Log | ActionKind::Allow | ActionKind::Unknown(_) => Observed::Returned(common::my_pid()),
    }
}

fn check_single(action: Action) {
    let _serial = common::serial();
    let filter = filters::on_target(action.raw());
    assert_eq!(
        observe(&[&filter]),
        expected(action),
        "action {:#010x}",
        action.raw()
    );
}

#[test]
fn errno_action_fails_the_syscall_with_exactly_that_errno() {
    for errno in [1, 13, 77, 4095] {
        check_single(Action(abi::RET_ERRNO | errno));
    }
}

#[test]
fn errno_action_data_above_max_errno_is_capped_at_4095() {
    let _serial = common::serial();
    let filter = filters::on_target(abi::RET_ERRNO | 0xffff);
    assert_eq!(observe(&[&filter]), Observed::Returned(-4095));
}

#[test]
fn trap_delivers_sigsys_with_the_syscall_number_and_the_data_as_si_errno() {
    check_single(Action::trap(0));
    check_single(Action::trap(1234));
}

#[test]
fn kill_process_ends_the_process_with_sigsys() {
    check_single(Action::KILL_PROCESS);
}

#[test]
fn kill_thread_in_a_single_threaded_process_ends_it_with_sigsys() {
    check_single(Action::KILL_THREAD);
}

#[test]
fn log_and_allow_let_the_syscall_run() {
    check_single(Action::LOG);
    check_single(Action::ALLOW);
}

#[test]
fn trace_without_a_tracer_fails_with_enosys() {
    check_single(Action::trace(5));
}

#[test]
fn user_notif_without_a_listener_fails_with_enosys() {
    check_single(Action::NOTIFY);
}

#[test]
fn unknown_action_value_kills_the_process() {
    let _serial = common::serial();
    // 0x00010000 lies between KILL_THREAD and TRAP and names no action: the kernel's default branch.
    let filter = filters::on_target(0x0001_0000);
    assert_eq!(observe(&[&filter]), Observed::Killed(SIGSYS));
}

/// Runs every ordered pair and triple of these actions as stacks and compares with `least_permissive`.
#[test]
fn stacked_filters_give_the_least_permissive_action_and_ties_go_to_the_newest() {
    let _serial = common::serial();
    let actions = [
        Action::KILL_PROCESS,
        Action::trap(3),
        Action(abi::RET_ERRNO | 11),
        Action(abi::RET_ERRNO | 22),
        Action::trace(1),
        Action::LOG,
        Action::ALLOW,
    ];
    let filters: Vec<[SockFilter; 7]> = actions.iter().map(|a| filters::on_target(a.raw())).collect();
    let mut stacks: Vec<Vec<usize>> = Vec::new();
    for a in 0..actions.len() {
        for b in 0..actions.len() {
            stacks.push(vec![a, b]);
        }
    }
    // Triples: enough to cover the winner being oldest, middle and newest, with and without ties.
    for triple in [
        [6, 3, 2],
        [2, 3, 6],
        [5, 1, 2],
        [2, 2, 3],
        [3, 2, 2],
        [4, 0, 5],
        [0, 6, 6],
    ] {
        stacks.push(triple.to_vec());
    }
    for stack in stacks {
        let installed: Vec<&[SockFilter]> = stack.iter().map(|&i| &filters[i][..]).collect();
        let newest_first = stack.iter().rev().map(|&i| actions[i]);
        let (winner, _) = least_permissive(newest_first);
        assert_eq!(
            observe(&installed),
            expected(winner),
            "stack (oldest first) {:?}",
            stack.iter().map(|&i| actions[i]).collect::<Vec<_>>()
        );
    }
}

/// Installs filters of the given lengths in a child, one after the other, and reports each result.
fn install_lengths(lengths: &[usize]) -> Vec<Result<(), InstallError>> {
    let programs: Vec<Vec<SockFilter>> = lengths
        .iter()
        .map(|&len| filters::allow_all_of_len(len))
        .collect();
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and touches the shared page and the programs, all prepared
    // before the fork.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            for (index, program) in programs.iter().enumerate() {
                let code = match install_unvalidated(program, FilterFlags::EMPTY) {
                    Ok(_) => 1,
                    Err(InstallError::Invalid) => 2,
                    Err(InstallError::PathBudgetExceeded) => 3,
                    Err(_) => 4,
                };
                shared.set(index, code);
            }
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    (0..lengths.len())
        .map(|index| match shared.get(index) {
            1 => Ok(()),
            2 => Err(InstallError::Invalid),
            3 => Err(InstallError::PathBudgetExceeded),
            other => panic!("filter {index}: unexpected result code {other}"),
        })
        .collect()
}

#[test]
fn program_length_outside_1_to_4096_is_einval() {
    let _serial = common::serial();
    assert_eq!(
        install_lengths(&[4097, 4096, 1]),
        [Err(InstallError::Invalid), Ok(()), Ok(())]
    );
    let empty: &[SockFilter] = &[];
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and touches the shared page.
    let child = unsafe {
        common::spawn(|| {
            let _ = set_no_new_privs();
            let invalid = matches!(
                install_unvalidated(empty, FilterFlags::EMPTY),
                Err(InstallError::Invalid)
            );
            shared.set(0, i64::from(invalid));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), 1, "an empty program must be EINVAL");
}

/// The budget counts the programs the kernel runs, i.e. after converting classic BPF to eBPF: three
/// prologue instructions (clear A, clear X, save the context), one per `ld [k]`, two per `ret #k`. A filter
/// of `n` instructions from [`filters::allow_all_of_len`] therefore costs `n + 4`, plus the penalty of 4 once
/// it is installed and another filter is added.
#[test]
fn path_budget_is_32768_converted_instructions_plus_4_per_installed_filter() {
    let _serial = common::serial();
    // Seven filters of 4096 cost 7 * (4096 + 4 + 4) = 28728; a new one may cost 32768 - 28728 = 4040,
    // i.e. have 4036 classic instructions.
    let mut lengths = vec![4096; 7];
    lengths.extend([4096, 4037, 4036, 1]);
    let mut expected = vec![Ok(()); 7];
    expected.extend([
        Err(InstallError::PathBudgetExceeded),
        Err(InstallError::PathBudgetExceeded),
        Ok(()),
        Err(InstallError::PathBudgetExceeded),
    ]);
    assert_eq!(install_lengths(&lengths), expected);
}

#[test]
fn install_without_no_new_privs_or_cap_sys_admin_is_permission_denied() {
    let _serial = common::serial();
    let program = filters::valid(&filters::ALLOW_ALL);
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and touches the shared page and the filter.
    let child = unsafe {
        common::spawn(|| {
            // Drop every capability (a no-op for an unprivileged user), but not no_new_privs.
            let none = rustix::thread::CapabilitySet::empty();
            let sets = rustix::thread::CapabilitySets {
                effective: none,
                permitted: none,
                inheritable: none,
            };
            if rustix::thread::set_capabilities(None, sets).is_err() {
                return 2;
            }
            let result = install(&program, FilterFlags::EMPTY);
            shared.set(
                0,
                i64::from(matches!(result, Err(InstallError::PermissionDenied))),
            );
            // With no_new_privs the same filter installs.
            let _ = set_no_new_privs();
            shared.set(1, i64::from(install(&program, FilterFlags::EMPTY).is_ok()));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(
        shared.get(0),
        1,
        "expected EACCES without no_new_privs and CAP_SYS_ADMIN"
    );
    assert_eq!(shared.get(1), 1, "expected success once no_new_privs is set");
    assert!(
        InstallError::PermissionDenied
            .to_string()
            .contains("no_new_privs"),
        "the message must name the missing no_new_privs"
    );
}

#[test]
fn strict_mode_allows_write_and_kills_on_any_other_syscall() {
    let _serial = common::serial();
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    // SAFETY: the child only makes raw syscalls on fds opened before the fork.
    let child = unsafe {
        common::spawn(|| {
            if seccomp_sys::enter_strict_mode().is_err() {
                return 2;
            }
            let _ = rustix::io::write(&write_end, b"s");
            let _ = filters::target();
            3
        })
    };
    drop(write_end);
    assert_eq!(child.wait(), Outcome::Signaled(SIGKILL));
    let mut byte = [0u8; 1];
    assert_eq!(rustix::io::read(&read_end, &mut byte), Ok(1));
    assert_eq!(&byte, b"s", "write must be allowed in strict mode");
}
