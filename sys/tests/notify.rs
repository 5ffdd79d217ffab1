//! The user-notification listener on the real kernel: receive, respond, CONTINUE, ID_VALID, ADDFD,
//! SET_FLAGS, WAIT_KILLABLE_RECV, readiness. Targets are forked children that hand their listener to the
//! test over a socket pair.

mod common;

use common::filters::{self, NATIVE_ARCH, TARGET_NR};
use common::{Outcome, RESULT, Shared, notifying_child, signals};
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::process::Signal;
use seccomp_core::abi;
use seccomp_sys::listener::{ListenerFlags, ReplyError};
use seccomp_sys::{AddFd, FilterFlags, InstallError, Response, install, set_no_new_privs};

const ENOSYS: i64 = -(Errno::NOSYS.raw_os_error() as i64);

#[test]
fn recv_reports_the_syscall_and_respond_with_a_value_completes_it() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    assert_eq!(notification.nr(), TARGET_NR as i32);
    assert_eq!(notification.arch(), NATIVE_ARCH);
    assert_eq!(notification.pid(), Some(child.pid()));
    assert_eq!(listener.id_valid(notification.id()), Ok(true));
    listener
        .respond(Response::value(notification.id(), 4242))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), 4242);
}

#[test]
fn respond_with_an_errno_fails_the_syscall_with_it() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    listener
        .respond(Response::errno(notification.id(), Errno::ACCESS))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), -i64::from(Errno::ACCESS.raw_os_error()));
}

#[test]
fn continue_runs_the_real_syscall() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    match listener.respond(Response::continue_syscall(notification.id())) {
        Ok(()) => {}
        Err(ReplyError::Unsupported) => {
            listener
                .respond(Response::value(notification.id(), 0))
                .expect("respond");
            skip!(
                "continue_runs_the_real_syscall",
                "SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5)"
            );
        }
        Err(error) => panic!("respond CONTINUE: {error}"),
    }
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(
        shared.get(RESULT),
        common::my_pid(),
        "getppid must return its real value"
    );
}

#[test]
fn a_notification_can_be_answered_only_once() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    listener
        .respond(Response::value(notification.id(), 1))
        .expect("respond");
    // Until the target has resumed, the kernel still knows the answered notification (EINPROGRESS).
    let second = listener.respond(Response::value(notification.id(), 2));
    assert!(
        matches!(
            second,
            Err(ReplyError::NotificationGone | ReplyError::NotAwaitingReply)
        ),
        "second answer: {second:?}"
    );
    assert_eq!(listener.id_valid(notification.id()), Ok(false));
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), 1);
    assert_eq!(
        listener.respond(Response::value(notification.id(), 2)),
        Err(ReplyError::NotificationGone)
    );
}

#[test]
fn id_valid_fails_after_the_target_is_killed_and_respond_then_gives_enoent() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (mut child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    assert_eq!(listener.id_valid(notification.id()), Ok(true));
    child.kill_and_reap();
    assert_eq!(listener.id_valid(notification.id()), Ok(false));
    assert_eq!(
        listener.respond(Response::value(notification.id(), 0)),
        Err(ReplyError::NotificationGone)
    );
}

#[test]
fn closing_the_listener_fails_a_waiting_syscall_with_enosys() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    // Wait until the target is parked in its syscall, then close the only listener.
    assert!(common::wait_readable(listener.as_fd()));
    drop(listener);
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), ENOSYS);
}

#[test]
fn a_second_listener_in_the_chain_is_ebusy() {
    let _serial = common::serial();
    let shared = Shared::new();
    let program = filters::valid(&filters::ALLOW_ALL);
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            let first = install(&program, FilterFlags::NEW_LISTENER);
            shared.set(0, i64::from(matches!(first, Ok(Some(_)))));
            let second = install(&program, FilterFlags::NEW_LISTENER);
            shared.set(1, i64::from(matches!(second, Err(InstallError::ListenerExists))));
            // A filter without a listener still stacks.
            shared.set(
                2,
                i64::from(matches!(install(&program, FilterFlags::EMPTY), Ok(None))),
            );
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!((shared.get(0), shared.get(1), shared.get(2)), (1, 1, 1));
}

#[test]
fn add_fd_installs_a_working_fd_in_the_target() {
    let _serial = common::serial();
    let Ok(ioctls) = common::features().listener_ioctls else {
        skip!(
            "add_fd_installs_a_working_fd_in_the_target",
            "listener ioctl probe failed"
        );
    };
    if !ioctls.addfd.is_yes() {
        skip!(
            "add_fd_installs_a_working_fd_in_the_target",
            "SECCOMP_IOCTL_NOTIF_ADDFD (5.9)"
        );
    }
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let shared = Shared::new();
    let filter = filters::on_target(abi::RET_USER_NOTIF);
    let body = || {
        // Two notifications: the first answered with a supervisor-chosen number, the second with SETFD
        // 100. Each time write one byte to the fd the supervisor installed.
        for (slot, byte) in [(0, b"a"), (1, b"b")] {
            let result = filters::target();
            shared.set(slot, common::encode(result));
            if let Ok(fd) = result {
                // SAFETY: write(fd, byte, 1) reads one byte from a static.
                let written = unsafe {
                    seccomp_sys::raw::syscall3(
                        linux_raw_sys::general::__NR_write,
                        fd,
                        byte.as_ptr() as usize,
                        1,
                    )
                };
                shared.set(slot + 2, common::encode(written));
            }
        }
        0
    };
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    let (child, listener) = unsafe { common::spawn_with_listener(&filter, FilterFlags::EMPTY, body) };
    let listener = listener.expect("listener");
    let first = common::recv_one(&listener);
    let fd = listener
        .add_fd(first.id(), write_end.as_fd(), AddFd::default())
        .expect("add_fd");
    assert!(fd >= 0);
    listener
        .respond(Response::value(first.id(), i64::from(fd)))
        .expect("respond");
    let second = common::recv_one(&listener);
    let how = AddFd {
        target: Some(100),
        cloexec: true,
        send: false,
    };
    assert_eq!(listener.add_fd(second.id(), write_end.as_fd(), how), Ok(100));
    listener
        .respond(Response::value(second.id(), 100))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    drop(write_end);
    assert_eq!(
        (shared.get(0), shared.get(1), shared.get(2), shared.get(3)),
        (i64::from(fd), 100, 1, 1)
    );
    let mut bytes = [0u8; 3];
    assert_eq!(rustix::io::read(&read_end, &mut bytes), Ok(2));
    assert_eq!(&bytes[..2], b"ab");
}

#[test]
fn add_fd_with_send_answers_the_notification_atomically() {
    let _serial = common::serial();
    let Ok(ioctls) = common::features().listener_ioctls else {
        skip!(
            "add_fd_with_send_answers_the_notification_atomically",
            "listener ioctl probe failed"
        );
    };
    if !ioctls.addfd_send.is_yes() {
        skip!(
            "add_fd_with_send_answers_the_notification_atomically",
            "SECCOMP_ADDFD_FLAG_SEND (5.14)"
        );
    }
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    let how = AddFd {
        target: None,
        cloexec: false,
        send: true,
    };
    let fd = listener
        .add_fd(notification.id(), write_end.as_fd(), how)
        .expect("add_fd send");
    // The notification is answered: it is gone, and a second answer is refused.
    assert_eq!(listener.id_valid(notification.id()), Ok(false));
    assert_eq!(
        listener.respond(Response::value(notification.id(), 0)),
        Err(ReplyError::NotificationGone)
    );
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), i64::from(fd));
    drop(write_end);
    // The target held the only other copy of the pipe's write end; it exited, so the read sees EOF.
    let mut byte = [0u8; 1];
    assert_eq!(rustix::io::read(&read_end, &mut byte), Ok(0));
}

#[test]
fn add_fd_on_an_answered_notification_is_refused() {
    let _serial = common::serial();
    let Ok(ioctls) = common::features().listener_ioctls else {
        skip!(
            "add_fd_on_an_answered_notification_is_refused",
            "ioctl probe failed"
        );
    };
    if !ioctls.addfd.is_yes() {
        skip!(
            "add_fd_on_an_answered_notification_is_refused",
            "SECCOMP_IOCTL_NOTIF_ADDFD (5.9)"
        );
    }
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    listener
        .respond(Response::value(notification.id(), 7))
        .expect("respond");
    let early = listener.add_fd(notification.id(), listener.as_fd(), AddFd::default());
    assert!(
        matches!(
            early,
            Err(ReplyError::NotificationGone | ReplyError::NotAwaitingReply)
        ),
        "add_fd after the answer: {early:?}"
    );
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), 7);
    assert_eq!(
        listener.add_fd(notification.id(), listener.as_fd(), AddFd::default()),
        Err(ReplyError::NotificationGone)
    );
}

#[test]
fn set_flags_sync_wake_up_is_accepted_where_the_kernel_has_it() {
    let _serial = common::serial();
    let Ok(ioctls) = common::features().listener_ioctls else {
        skip!(
            "set_flags_sync_wake_up_is_accepted_where_the_kernel_has_it",
            "ioctl probe failed"
        );
    };
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let result = listener.set_flags(ListenerFlags::SYNC_WAKE_UP);
    if !ioctls.set_flags_sync_wake_up.is_yes() {
        assert_eq!(
            result,
            Err(Errno::INVAL),
            "a kernel without SET_FLAGS answers EINVAL"
        );
        skip!(
            "set_flags_sync_wake_up_is_accepted_where_the_kernel_has_it",
            "SECCOMP_IOCTL_NOTIF_SET_FLAGS (6.6)"
        );
    }
    assert_eq!(result, Ok(()));
    assert_eq!(
        listener.set_flags(ListenerFlags::from_bits_retain(1 << 5)),
        Err(Errno::INVAL),
        "an unknown listener flag is refused"
    );
    // The listener still works with the flag set.
    let notification = common::recv_one(&listener);
    listener
        .respond(Response::value(notification.id(), 5))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), 5);
}

/// Whether `signal` is pending for the whole process `pid` (`ShdPnd` in /proc/PID/status).
fn shared_signal_pending(pid: rustix::process::Pid, signal: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.as_raw_nonzero()))
        .expect("read /proc/PID/status");
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("ShdPnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .expect("ShdPnd line");
    mask & (1 << (signal - 1)) != 0
}

/// A child with an exit-on-SIGUSR1 handler whose target syscall notifies.
fn child_with_usr1_handler(shared: &Shared, flags: FilterFlags) -> (common::Child, seccomp_sys::Listener) {
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    unsafe {
        common::notify_on_target(flags, || {
            if signals::exit_on(linux_raw_sys::general::SIGUSR1).is_err() {
                return 3;
            }
            shared.set(1, 1);
            shared.set(RESULT, common::encode(filters::target()));
            0
        })
    }
}

#[test]
fn wait_killable_recv_keeps_a_received_notification_across_a_non_fatal_signal() {
    let _serial = common::serial();
    if !common::has_wait_killable_recv(
        "wait_killable_recv_keeps_a_received_notification_across_a_non_fatal_signal",
    ) {
        return;
    }
    let shared = Shared::new();
    let (child, listener) = child_with_usr1_handler(&shared, FilterFlags::WAIT_KILLABLE_RECV);
    let notification = common::recv_one(&listener);
    child.signal(Signal::USR1);
    // The signal stays pending while the target waits; the notification stays outstanding.
    let deadline = std::time::Instant::now() + common::CHILD_TIMEOUT;
    while !shared_signal_pending(child.pid(), linux_raw_sys::general::SIGUSR1) {
        assert!(
            std::time::Instant::now() < deadline,
            "SIGUSR1 never showed as pending"
        );
        std::thread::yield_now();
    }
    assert_eq!(listener.id_valid(notification.id()), Ok(true));
    listener
        .respond(Response::value(notification.id(), 42))
        .expect("respond");
    // The handler runs once the syscall has completed, and exits.
    assert_eq!(child.wait(), Outcome::Exited(signals::HANDLER_EXIT));
}

#[test]
fn without_wait_killable_recv_a_signal_interrupts_a_received_notification() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = child_with_usr1_handler(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    child.signal(Signal::USR1);
    assert_eq!(child.wait(), Outcome::Exited(signals::HANDLER_EXIT));
    assert_eq!(listener.id_valid(notification.id()), Ok(false));
    assert_eq!(
        listener.respond(Response::value(notification.id(), 42)),
        Err(ReplyError::NotificationGone)
    );
}

#[test]
fn listener_readiness_reports_pending_notifications_and_hangup() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let forever = None;
    let readiness = listener.wait(forever).expect("wait");
    assert!(readiness.pending);
    let notification = listener.recv().expect("recv");
    listener
        .respond(Response::value(notification.id(), 3))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let readiness = listener.wait(Some(&now)).expect("wait");
    assert!(
        !readiness.pending,
        "nothing is pending after the only notification was answered"
    );
    let hangup_expected = seccomp_sys::probe::kernel_release()
        .version()
        .is_some_and(|version| version >= (5, 9, 0));
    if !hangup_expected {
        skip!(
            "listener_readiness_reports_pending_notifications_and_hangup",
            "POLLHUP on the listener (5.9)"
        );
    }
    assert!(readiness.hangup, "no task uses the filter any more");
}

#[test]
fn many_listeners_can_share_one_epoll_set() {
    use rustix::event::epoll;
    let _serial = common::serial();
    let shared = [Shared::new(), Shared::new()];
    let (child_a, listener_a) = notifying_child(&shared[0], FilterFlags::EMPTY);
    let (child_b, listener_b) = notifying_child(&shared[1], FilterFlags::EMPTY);
    let set = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll_create");
    for (index, listener) in [&listener_a, &listener_b].into_iter().enumerate() {
        epoll::add(
            &set,
            listener,
            epoll::EventData::new_u64(index as u64),
            epoll::EventFlags::IN,
        )
        .expect("epoll add");
    }
    let mut answered = [false; 2];
    while !answered.iter().all(|&done| done) {
        let empty = epoll::Event {
            flags: epoll::EventFlags::empty(),
            data: epoll::EventData::new_u64(0),
        };
        let mut events = [empty; 4];
        let timeout = rustix::event::Timespec {
            tv_sec: common::CHILD_TIMEOUT.as_secs() as i64,
            tv_nsec: 0,
        };
        let ready = epoll::wait(&set, &mut events[..], Some(&timeout)).expect("epoll_wait");
        assert!(ready > 0, "no readiness within the timeout");
        for event in &events[..ready] {
            let index = event.data.u64() as usize;
            let listener = [&listener_a, &listener_b][index];
            if answered[index] {
                continue;
            }
            let notification = listener.recv().expect("recv");
            listener
                .respond(Response::value(notification.id(), 10 + index as i64))
                .expect("respond");
            answered[index] = true;
        }
    }
    assert_eq!(child_a.wait(), Outcome::Exited(0));
    assert_eq!(child_b.wait(), Outcome::Exited(0));
    assert_eq!((shared[0].get(RESULT), shared[1].get(RESULT)), (10, 11));
}
