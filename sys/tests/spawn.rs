//! `spawn` on the real kernel: the listener reaches the parent through the shared fd table before the exec,
//! so even the exec's own `execve` is a notification the parent can answer; install and exec failures are
//! reported with their errno; the exec'd program does not inherit the listener.

mod common;

use common::have_program;
use core::ffi::CStr;
use rustix::io::Errno;
use seccomp_core::abi::SockFilter;
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Policy, compile};
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec, ExitStatus, SpawnError, Stage};
use seccomp_sys::{FilterFlags, Response};

/// A program for the host giving every syscall `action`.
fn program(action: Action) -> Vec<SockFilter> {
    let arch = Arch::native().expect("a supported host");
    let mut policy: Policy = Policy::new(arch, action);
    policy.set_bad_arch_action(action);
    let mut out = vec![SockFilter::default(); 4096];
    let compiled = compile(&policy, &mut out).expect("compiles");
    compiled.program().insns().to_vec()
}

/// Spawns `path argv...` (empty environment) confined by `program` with `flags`.
fn start(
    path: &CStr,
    argv: &[&CStr],
    program: &[SockFilter],
    flags: FilterFlags,
) -> Result<spawn::Child, SpawnError> {
    let mut argv_storage = vec![core::ptr::null(); argv.len() + 1];
    let mut envp_storage = [core::ptr::null(); 1];
    let exec = Exec {
        path,
        argv: CStrArray::new(argv, &mut argv_storage).expect("room"),
        envp: CStrArray::new(&[], &mut envp_storage).expect("room"),
    };
    spawn::spawn(
        &exec,
        &Confinement {
            program: seccomp_core::bpf::validate(program).expect("a valid program"),
            flags,
            no_new_privs: true,
            restore: &[],
            signal_mask: None,
            die_with_parent: false,
        },
    )
}

fn kernel_at_least(major: u32, minor: u32) -> bool {
    seccomp_sys::probe::kernel_release()
        .version()
        .is_some_and(|(a, b, _)| (a, b) >= (major, minor))
}

#[test]
fn an_allow_filter_without_listener_runs_the_program() {
    if !have_program("an_allow_filter_without_listener_runs_the_program", "/bin/true") {
        return;
    }
    let mut child = start(
        c"/bin/true",
        &[c"true"],
        &program(Action::ALLOW),
        FilterFlags::EMPTY,
    )
    .expect("spawns");
    let ready = child.wait_ready().expect("installed");
    assert!(ready.listener.is_none());
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
    assert_eq!(child.exec_error(), None);
}

#[test]
fn the_first_notification_is_the_exec_itself() {
    if !kernel_at_least(5, 5) {
        eprintln!("SKIP: the_first_notification_is_the_exec_itself: CONTINUE needs Linux 5.5");
        return;
    }
    if !have_program("the_first_notification_is_the_exec_itself", "/bin/true") {
        return;
    }
    let mut child = start(
        c"/bin/true",
        &[c"true"],
        &program(Action::NOTIFY),
        FilterFlags::NEW_LISTENER,
    )
    .expect("spawns");
    let listener = child
        .wait_ready()
        .expect("installed")
        .listener
        .expect("a listener");
    let arch = Arch::native().expect("host");
    let mut names = Vec::new();
    // Answer everything until the program is gone (the listener hangs up once the child is reaped).
    loop {
        let ready = listener.wait(Some(&rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        }));
        let ready = ready.expect("poll");
        if ready.pending {
            if let Ok(notification) = listener.recv() {
                names.push(arch.syscall_name(notification.nr() as u32).unwrap_or("?"));
                let _ = listener.respond(Response::continue_syscall(notification.id()));
            }
            continue;
        }
        if child.try_wait().expect("waitpid").is_some() {
            break;
        }
    }
    assert_eq!(
        names.first(),
        Some(&"execve"),
        "nothing but the exec runs between install and exec"
    );
    assert_eq!(names.last(), Some(&"exit_group"));
    assert_eq!(child.status(), Some(ExitStatus::Exited(0)));
}

#[test]
fn a_failed_exec_is_reported_with_its_errno_and_status_127() {
    let mut child = start(
        c"/nonexistent/program",
        &[c"program"],
        &program(Action::ALLOW),
        FilterFlags::EMPTY,
    )
    .expect("spawns");
    child.wait_ready().expect("installed");
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(127)));
    assert_eq!(child.exec_error(), Some(Errno::NOENT));
}

#[test]
fn a_filter_refusing_execve_fails_the_exec_with_its_errno() {
    let arch = Arch::native().expect("a supported host");
    let mut policy: Policy = Policy::new(arch, Action::ALLOW);
    policy
        .add_named_rule("execve", Action::errno(1).expect("valid"), &[])
        .expect("rule");
    let mut out = vec![SockFilter::default(); 4096];
    let program = compile(&policy, &mut out)
        .expect("compiles")
        .program()
        .insns()
        .to_vec();
    let mut child = start(c"/bin/true", &[c"true"], &program, FilterFlags::EMPTY).expect("spawns");
    child.wait_ready().expect("installed");
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(126)));
    assert_eq!(child.exec_error(), Some(Errno::PERM));
}

#[test]
fn a_child_whose_filter_refuses_every_syscall_is_killed_after_its_failed_exec() {
    // execve, exit_group and exit all fail with EPERM: the child cannot end by itself.
    let mut child = start(
        c"/bin/true",
        &[c"true"],
        &program(Action::errno(1).expect("valid")),
        FilterFlags::EMPTY,
    )
    .expect("spawns");
    child.wait_ready().expect("installed");
    assert_eq!(
        child.wait(),
        Ok(ExitStatus::Signaled {
            signal: 9,
            core_dumped: false
        })
    );
    assert_eq!(child.exec_error(), Some(Errno::PERM));
}

#[test]
fn an_install_the_kernel_rejects_is_an_install_failure_with_its_errno() {
    // An invalid program cannot even be handed to spawn (it takes a `Validated` program); flags the kernel
    // refuses still fail the install: TSYNC with NEW_LISTENER needs TSYNC_ESRCH (EINVAL).
    let bad = [SockFilter {
        code: 0x05,
        jt: 0,
        jf: 0,
        k: 5,
    }];
    assert!(seccomp_core::bpf::validate(&bad).is_err());
    let mut child = start(
        c"/bin/true",
        &[c"true"],
        &program(Action::ALLOW),
        FilterFlags::TSYNC | FilterFlags::NEW_LISTENER,
    )
    .expect("spawns");
    assert_eq!(
        child.wait_ready().map(|_| ()),
        Err(SpawnError::Child {
            stage: Stage::Install,
            errno: Errno::INVAL
        })
    );
    assert_eq!(child.status(), Some(ExitStatus::Exited(125)));
}

#[test]
fn a_killed_child_has_the_shell_status_128_plus_the_signal() {
    let mut child = start(
        c"/bin/true",
        &[c"true"],
        &program(Action::KILL_PROCESS),
        FilterFlags::EMPTY,
    )
    .expect("spawns");
    child.wait_ready().expect("installed");
    let status = child.wait().expect("waits");
    assert!(
        matches!(status, ExitStatus::Signaled { signal: 31, .. }),
        "SIGSYS from the filter's kill: {status}"
    );
    assert_eq!(status.shell_code(), 159);
}
