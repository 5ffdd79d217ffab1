//! `spawn_guarded` on the real kernel: the command's status comes through the guard; the guard is the
//! command's parent and keeps the listener, so a notified syscall made after the caller dropped its
//! listener stays parked instead of failing with `ENOSYS`; `Child::end` kills the whole tree, orphans
//! included, and reaps the guard.

mod common;

use common::filters::{ALLOW_ALL, on_target, valid};
use common::have_program;
use core::ffi::CStr;
use seccomp_core::abi;
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec, ExitStatus};
use seccomp_sys::{FilterFlags, Response};
use std::time::{Duration, Instant};

/// `/bin/sh -c SCRIPT` behind a guard, confined by `program` with `flags`.
fn start(script: &CStr, program: &[abi::SockFilter], flags: FilterFlags) -> spawn::Child {
    let argv = [c"sh", c"-c", script];
    let mut argv_storage = [core::ptr::null(); 4];
    let mut envp_storage = [core::ptr::null(); 2];
    let exec = Exec {
        path: c"/bin/sh",
        argv: CStrArray::new(&argv, &mut argv_storage).expect("room"),
        envp: CStrArray::new(&[c"PATH=/usr/bin:/bin"], &mut envp_storage).expect("room"),
    };
    spawn::spawn_guarded(
        &exec,
        &Confinement {
            program: valid(program),
            flags,
            no_new_privs: true,
            restore: &[],
            signal_mask: None,
            die_with_parent: true,
        },
    )
    .expect("spawns")
}

/// The parent pid and state letter of `pid`, from `/proc/PID/stat`.
fn stat(pid: i32) -> Option<(i32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = text.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((fields.next()?.parse().ok()?, state))
}

/// Whether `pid` is gone (or a zombie) within 20 s (a guard against hangs, not a timing assertion).
fn ends(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if stat(pid).is_none_or(|(_, state)| state == 'Z' || state == 'X') {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn the_commands_status_comes_through_the_guard_which_is_its_parent() {
    if !have_program("the_commands_status_comes_through_the_guard", "/bin/sh") {
        return;
    }
    let mut child = start(c"exit 7", &ALLOW_ALL, FilterFlags::EMPTY);
    let guard = child.guard_pid().expect("a guard").as_raw_nonzero().get();
    assert_ne!(guard, child.pid().as_raw_nonzero().get());
    assert!(child.wait_ready().expect("installed").listener.is_none());
    assert_eq!(child.wait(), Ok(ExitStatus::Exited(7)));
    child.end(Duration::from_secs(20));

    let mut child = start(c"sleep 0.3; kill -9 $$", &ALLOW_ALL, FilterFlags::EMPTY);
    child.wait_ready().expect("installed");
    let guard = child.guard_pid().expect("a guard").as_raw_nonzero().get();
    // The guard (a child of the test) is the command's parent.
    assert_eq!(
        stat(guard).map(|(parent, _)| parent),
        Some(std::process::id() as i32)
    );
    let command = child.pid().as_raw_nonzero().get();
    if let Some((parent, _)) = stat(command) {
        assert_eq!(parent, guard);
    }
    assert_eq!(
        child.wait(),
        Ok(ExitStatus::Signaled {
            signal: 9,
            core_dumped: false
        })
    );
    child.end(Duration::from_secs(20));
    assert!(ends(guard), "the guard {guard} did not end");
}

#[test]
fn end_kills_the_whole_tree_orphans_included_while_the_guard_keeps_notifications_parked() {
    if !have_program("end_kills_the_whole_tree", "/bin/sh") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("seccomp-guarded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let pids = dir.join("pids");
    // An orphaned grandchild (its subshell exits), then the shell itself waits; `$PPID` of the second
    // shell is read with getppid, notified, after the test dropped its listener.
    let script = format!(
        "(sleep 1000 & echo $! > {0}.1); while [ ! -e {0}.go ]; do sleep 0.01; done; \
         sh -c 'echo $PPID > {0}.2'; sleep 1000",
        pids.display()
    );
    let script = std::ffi::CString::new(script).expect("no NUL");
    let mut child = start(
        &script,
        &on_target(abi::RET_USER_NOTIF),
        FilterFlags::NEW_LISTENER,
    );
    let listener = child
        .wait_ready()
        .expect("installed")
        .listener
        .expect("a listener");
    // Served (continue) until the orphan is there; nobody serves the filter after that, and the guard's
    // copy of the listener keeps the notifications parked.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let server = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            let mut fds = [rustix::event::PollFd::new(
                &listener,
                rustix::event::PollFlags::IN,
            )];
            let tick = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            };
            if rustix::event::poll(&mut fds, Some(&tick)).is_ok_and(|n| n > 0)
                && fds[0].revents().contains(rustix::event::PollFlags::IN)
                && let Ok(notification) = listener.recv()
            {
                let _ = listener.respond(Response::continue_syscall(notification.id()));
            }
        }
        drop(listener);
    });
    let read_pid = |suffix: &str| -> Option<i32> {
        std::fs::read_to_string(format!("{}.{suffix}", pids.display()))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let orphan = loop {
        if let Some(pid) = read_pid("1") {
            break pid;
        }
        assert!(Instant::now() < deadline, "the grandchild never started");
        std::thread::sleep(Duration::from_millis(10));
    };
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    server.join().expect("the serving thread");
    let guard = child.guard_pid().expect("a guard").as_raw_nonzero().get();
    // Orphaned: re-parented to the guard, not to init.
    let deadline = Instant::now() + Duration::from_secs(20);
    while stat(orphan).map(|(parent, _)| parent) != Some(guard) {
        assert!(
            Instant::now() < deadline,
            "the orphan {orphan} was not re-parented to the guard"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(format!("{}.go", pids.display()), b"").expect("go");
    std::thread::sleep(Duration::from_millis(300));
    // The notified getppid waits: with the listener closed it would have failed (ENOSYS) and written.
    assert_eq!(
        read_pid("2"),
        None,
        "a notified syscall went through with nobody serving"
    );
    child.end(Duration::from_secs(20));
    assert!(ends(orphan), "the orphan {orphan} outlived end()");
    assert!(
        ends(child.pid().as_raw_nonzero().get()),
        "the command outlived end()"
    );
    assert!(ends(guard), "the guard outlived end()");
    assert_eq!(read_pid("2"), None, "the parked getppid was answered");
    assert_eq!(
        child.status(),
        Some(ExitStatus::Signaled {
            signal: 9,
            core_dumped: false
        })
    );
    let _ = std::fs::remove_dir_all(&dir);
}
