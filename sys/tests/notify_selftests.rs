//! The user-notification behaviours of the kernel's own selftests
//! (`tools/testing/selftests/seccomp/seccomp_bpf.c`), mirrored one test per selftest and named after it:
//! pid namespaces (pid 0 for a target the receiver cannot see), a faulting receive, FIFO order and
//! consecutive ids, a receive on a filter nobody uses any more, the ADDFD error paths and `RLIMIT_NOFILE`,
//! `WAIT_KILLABLE_RECV` before the receive and against a fatal signal, readiness before and after a
//! receive, a dirty receive buffer, CONTINUE with a value, and the filter's user count across forks and
//! threads.
//!
//! Targets are forked children (never the harness); where the behaviour is younger than the running kernel
//! the test prints `SKIP` with the version it needs. Several cases pass the kernel requests that the typed
//! API in `seccomp_sys::listener` cannot build (a dirty buffer, CONTINUE with a value, unknown ADDFD flags,
//! odd struct sizes): those go through a raw `ioctl(2)` so the test shows what the kernel refuses.

mod common;

use common::filters::{self, TARGET_NR};
use common::{Outcome, RESULT, Shared, notifying_child, signals};
use linux_raw_sys::general as nr;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd};
use rustix::io::Errno;
use rustix::process::{Pid, Signal};
use seccomp_core::abi::{self, SeccompNotif, SeccompNotifAddfd, SeccompNotifResp};
use seccomp_sys::listener::ReplyError;
use seccomp_sys::process::{self, Fork};
use seccomp_sys::{AddFd, FilterFlags, Listener, Notification, Response};
use std::time::{Duration, Instant};

/// The value the supervisor answers with (the selftests' `USER_NOTIF_MAGIC` is `INT_MAX`).
const MAGIC: i64 = i32::MAX as i64;
/// `O_CLOEXEC`.
const O_CLOEXEC: u32 = nr::O_CLOEXEC;

/// Slots of the shared page.
const SECOND_RESULT: usize = 1;
const HANDLED: usize = 2;
const INNER_PID: usize = 3;
const SEEN_PID: usize = 4;
const SEEN_ID: usize = 5;
const GO: usize = 6;
const FIFO_PIDS: usize = 8;

/// Exit code of a child whose `unshare(CLONE_NEWPID)` failed (the errno is in [`INNER_PID`] as `-errno`).
const UNSHARE_FAILED: i32 = 90;

// ---------------------------------------------------------------------------------------------------------
// Helpers

/// Whether the running kernel is at least `major.minor`.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    seccomp_sys::probe::kernel_release()
        .version()
        .is_some_and(|(ma, mi, _)| (ma, mi) >= (major, minor))
}

/// `_IOC(dir, '!', number, size)` as the kernel's asm-generic encoding computes it.
const fn seccomp_ioc(dir: u32, number: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((b'!' as u32) << 8) | number
}
/// `_IOC_WRITE`.
const IOC_WRITE: u32 = 1;

/// `ioctl(fd, request, arg)` made raw, for requests the typed API refuses to build.
///
/// # Safety
///
/// `arg` must be valid for the access `request` makes (or be an address the kernel must fault on).
unsafe fn raw_ioctl(fd: BorrowedFd<'_>, request: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller; the fd is borrowed for the call.
    unsafe { seccomp_sys::raw::syscall3(nr::__NR_ioctl, fd.as_raw_fd() as usize, request as usize, arg) }
}

/// `SECCOMP_IOCTL_NOTIF_SEND` with an arbitrary response.
fn raw_send(listener: &Listener, resp: SeccompNotifResp) -> Result<usize, Errno> {
    let mut resp = resp;
    // SAFETY: SEND reads one `struct seccomp_notif_resp` from a live local.
    unsafe { raw_ioctl(listener.as_fd(), abi::IOCTL_NOTIF_SEND, (&raw mut resp) as usize) }
}

/// `SECCOMP_IOCTL_NOTIF_ADDFD` with an arbitrary request, sized `size` bytes (`buf` holds them).
fn raw_addfd(listener: &Listener, buf: &mut [u8]) -> Result<usize, Errno> {
    let request = seccomp_ioc(IOC_WRITE, 3, buf.len());
    // SAFETY: the ioctl number encodes `buf.len()`, which is how many bytes the kernel reads from `buf`.
    unsafe { raw_ioctl(listener.as_fd(), request, buf.as_mut_ptr() as usize) }
}

/// The bytes of a `struct seccomp_notif_addfd`.
fn addfd_bytes(addfd: SeccompNotifAddfd) -> [u8; 24] {
    let mut bytes = [0u8; 24];
    bytes[0..8].copy_from_slice(&addfd.id.to_ne_bytes());
    bytes[8..12].copy_from_slice(&addfd.flags.to_ne_bytes());
    bytes[12..16].copy_from_slice(&addfd.srcfd.to_ne_bytes());
    bytes[16..20].copy_from_slice(&addfd.newfd.to_ne_bytes());
    bytes[20..24].copy_from_slice(&addfd.newfd_flags.to_ne_bytes());
    bytes
}

/// `poll(&{fd, POLLIN | POLLOUT}, 1, timeout)`: the events reported (empty on timeout).
fn poll_in_out(fd: BorrowedFd<'_>, timeout: Duration) -> rustix::event::PollFlags {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let timeout = Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::IN | PollFlags::OUT)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(_) => return fds[0].revents(),
            Err(Errno::INTR) => continue,
            Err(errno) => panic!("poll failed: {errno}"),
        }
    }
}

/// Whether the listener reports `POLLHUP` within `timeout`.
fn hangs_up_within(listener: &Listener, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let now = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        };
        if listener.wait(Some(&now)).expect("poll").hangup {
            return true;
        }
    }
    false
}

/// The state letter of `/proc/PID/stat` (`R`, `S`, `D`, ...), or `None` once the process is gone.
fn proc_state(pid: Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())).ok()?;
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.trim_start().chars().next()
}

/// Waits until `pid` sleeps in the filtered syscall: state `S` and, where `/proc/PID/syscall` is readable,
/// the target's number as the syscall it is blocked in (the selftests' `get_proc_stat`/`get_proc_syscall`).
fn wait_parked(pid: Pid) {
    let deadline = Instant::now() + common::CHILD_TIMEOUT;
    loop {
        let sleeping = proc_state(pid) == Some('S');
        let in_target = match std::fs::read_to_string(format!("/proc/{}/syscall", pid.as_raw_nonzero())) {
            Ok(text) => text.split(' ').next() == Some(TARGET_NR.to_string().as_str()),
            Err(_) => true,
        };
        if sleeping && in_target {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid:?} never parked in the target syscall"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until shared slot `index` is non-zero and returns it.
fn wait_slot(shared: &Shared, index: usize) -> i64 {
    let deadline = Instant::now() + common::CHILD_TIMEOUT;
    loop {
        let value = shared.get(index);
        if value != 0 {
            return value;
        }
        assert!(Instant::now() < deadline, "shared slot {index} was never written");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Answers notification `id` with [`MAGIC`].
fn answer_magic(listener: &Listener, id: u64) {
    listener.respond(Response::value(id, MAGIC)).expect("respond");
}

/// Reaps `child`, which must exit 0 with [`MAGIC`] as its notified syscall's result in `shared[RESULT]`.
fn expect_magic_exit(child: common::Child, shared: &Shared) {
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), MAGIC);
}

/// A pid from a shared slot.
fn pid_of(value: i64) -> Pid {
    Pid::from_raw(value as i32).expect("a positive pid")
}

/// In a child: `unshare(CLONE_NEWPID)`, then forks the target into the new namespace (its pid 1), stores
/// the target's pid as this child sees it in `shared[INNER_PID]`, waits for it and returns its exit code.
/// The target exits 0 if its notified syscall returned [`MAGIC`].
fn target_in_new_pid_ns(shared: &Shared) -> i32 {
    // SAFETY: unshare(CLONE_NEWPID) takes no pointer; it only changes the namespace of later children.
    let unshared = unsafe { seccomp_sys::raw::syscall3(nr::__NR_unshare, nr::CLONE_NEWPID as usize, 0, 0) };
    if unshared.is_err() {
        shared.set(INNER_PID, common::encode(unshared));
        return UNSHARE_FAILED;
    }
    // SAFETY: the grandchild makes one raw syscall and exits.
    match unsafe { process::fork() } {
        Ok(Fork::Child) => {
            let code = i32::from(filters::target() != Ok(MAGIC as usize));
            process::exit_group(code)
        }
        Ok(Fork::Parent(pid)) => {
            shared.set(INNER_PID, i64::from(pid.as_raw_nonzero().get()));
            match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
                Ok(Some((_, status))) => status.exit_status().unwrap_or(3),
                _ => 4,
            }
        }
        Err(_) => 5,
    }
}

/// A child with the notifying filter whose body is [`target_in_new_pid_ns`]; `None` (after a visible skip
/// line) when the kernel or the privileges do not allow a new pid namespace.
fn target_in_child_pid_ns(test: &str, shared: &Shared) -> Option<(common::Child, Listener, Pid)> {
    // SAFETY: the child and grandchild only make raw syscalls and write the shared page.
    let (child, listener) =
        unsafe { common::notify_on_target(FilterFlags::EMPTY, || target_in_new_pid_ns(shared)) };
    let inner = wait_slot(shared, INNER_PID);
    if inner < 0 {
        assert_eq!(child.wait(), Outcome::Exited(UNSHARE_FAILED));
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: {test}: unshare(CLONE_NEWPID) failed with errno {} (needs CONFIG_PID_NS and CAP_SYS_ADMIN)",
            -inner
        );
        return None;
    }
    Some((child, listener, pid_of(inner)))
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_basic

/// `user_notification_basic`: before the receive the listener is readable (exactly `POLLIN`); a receive
/// into a buffer that is not zeroed is `EINVAL` (5.5+) and takes nothing; after the receive only `POLLOUT`
/// is left.
#[test]
fn user_notification_basic() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    use rustix::event::PollFlags;
    assert_eq!(
        poll_in_out(listener.as_fd(), common::CHILD_TIMEOUT),
        PollFlags::IN
    );
    let mut dirty = SeccompNotif {
        pid: u32::MAX,
        ..SeccompNotif::default()
    };
    // SAFETY: RECV writes one `struct seccomp_notif` into a live local.
    let refused = unsafe { raw_ioctl(listener.as_fd(), abi::IOCTL_NOTIF_RECV, (&raw mut dirty) as usize) };
    if kernel_at_least(5, 5) {
        assert_eq!(refused, Err(Errno::INVAL), "a dirty receive buffer is refused");
    }
    let notification = if refused.is_ok() {
        Notification::from_raw(dirty)
    } else {
        listener.recv().expect("recv")
    };
    assert_eq!(notification.nr(), TARGET_NR as i32);
    assert_eq!(notification.pid(), Some(child.pid()));
    assert_eq!(
        poll_in_out(listener.as_fd(), common::CHILD_TIMEOUT),
        PollFlags::OUT,
        "after the receive nothing is pending"
    );
    answer_magic(&listener, notification.id());
    expect_magic_exit(child, &shared);
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_child_pid_ns, user_notification_sibling_pid_ns

/// `user_notification_child_pid_ns`: a target in a pid namespace below the receiver's shows up with its
/// pid as the receiver sees it.
#[test]
fn user_notification_child_pid_ns() {
    let _serial = common::serial();
    let shared = Shared::new();
    let Some((child, listener, inner)) = target_in_child_pid_ns("user_notification_child_pid_ns", &shared)
    else {
        return;
    };
    let notification = common::recv_one(&listener);
    assert_eq!(notification.pid(), Some(inner));
    assert_eq!(notification.raw().pid, inner.as_raw_nonzero().get() as u32);
    answer_magic(&listener, notification.id());
    assert_eq!(child.wait(), Outcome::Exited(0), "the target got the answer");
}

/// `user_notification_sibling_pid_ns`: a receiver in a sibling pid namespace cannot see the target, so the
/// kernel reports pid 0 ([`Notification::pid`] is `None`: the `NoPid` path); the answer still reaches it.
#[test]
fn user_notification_sibling_pid_ns() {
    let _serial = common::serial();
    let shared = Shared::new();
    let Some((target, listener, _inner)) =
        target_in_child_pid_ns("user_notification_sibling_pid_ns", &shared)
    else {
        return;
    };
    // The receiver: a child that moves its children into a new pid namespace (a sibling of the target's)
    // and receives and answers from there, on its inherited copy of the listener.
    let listener_ref = &listener;
    let receive_from_sibling_ns = || {
        // SAFETY: unshare(CLONE_NEWPID) takes no pointer.
        let unshared =
            unsafe { seccomp_sys::raw::syscall3(nr::__NR_unshare, nr::CLONE_NEWPID as usize, 0, 0) };
        if unshared.is_err() {
            return UNSHARE_FAILED;
        }
        // SAFETY: the grandchild makes raw syscalls only and exits.
        match unsafe { process::fork() } {
            Ok(Fork::Child) => {
                let timeout = rustix::event::Timespec {
                    tv_sec: common::CHILD_TIMEOUT.as_secs() as i64,
                    tv_nsec: 0,
                };
                if !listener_ref.wait(Some(&timeout)).is_ok_and(|r| r.pending) {
                    process::exit_group(10);
                }
                let Ok(notification) = listener_ref.recv() else {
                    process::exit_group(11);
                };
                shared.set(SEEN_PID, i64::from(notification.raw().pid));
                shared.set(SEEN_ID, i64::from(notification.pid().is_none()));
                let answered = listener_ref.respond(Response::value(notification.id(), MAGIC));
                process::exit_group(if answered.is_ok() { 0 } else { 12 })
            }
            Ok(Fork::Parent(pid)) => {
                match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
                    Ok(Some((_, status))) => status.exit_status().unwrap_or(3),
                    _ => 4,
                }
            }
            Err(_) => 5,
        }
    };
    // SAFETY: the receiver and its child only make raw syscalls (unshare, fork, poll, ioctl, wait) and
    // write the shared page.
    let receiver = unsafe { common::spawn(receive_from_sibling_ns) };
    assert_eq!(
        receiver.wait(),
        Outcome::Exited(0),
        "the sibling received and answered"
    );
    assert_eq!(
        shared.get(SEEN_PID),
        0,
        "the target is invisible in the sibling namespace"
    );
    assert_eq!(shared.get(SEEN_ID), 1, "Notification::pid is None for pid 0");
    assert_eq!(target.wait(), Outcome::Exited(0), "the target got the answer");
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_fault_recv

/// `user_notification_fault_recv`: a receive into an unmapped buffer is `EFAULT`, and the notification
/// survives it: the next receive gets it.
#[test]
fn user_notification_fault_recv() {
    let _serial = common::serial();
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    assert!(common::wait_readable(listener.as_fd()));
    // SAFETY: the kernel faults on address 0 instead of writing.
    let null = unsafe { raw_ioctl(listener.as_fd(), abi::IOCTL_NOTIF_RECV, 0) };
    assert_eq!(null, Err(Errno::FAULT));
    let unmapped = unmapped_page();
    // SAFETY: the page at `unmapped` was unmapped; the kernel faults instead of writing.
    let fault = unsafe { raw_ioctl(listener.as_fd(), abi::IOCTL_NOTIF_RECV, unmapped) };
    assert_eq!(fault, Err(Errno::FAULT));
    let notification = common::recv_one(&listener);
    assert_eq!(notification.pid(), Some(child.pid()));
    answer_magic(&listener, notification.id());
    expect_magic_exit(child, &shared);
}

/// The address of a page that was mapped and then unmapped.
fn unmapped_page() -> usize {
    use rustix::mm::{MapFlags, ProtFlags};
    // SAFETY: a fresh anonymous mapping aliases nothing; it is unmapped right away and never dereferenced.
    unsafe {
        let page = rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            4096,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
        .expect("mmap");
        rustix::mm::munmap(page, 4096).expect("munmap");
        page as usize
    }
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_continue

/// `user_notification_continue`: CONTINUE with a value or an error is `EINVAL` (the typed `Response` cannot
/// build either); plain CONTINUE runs the real syscall.
#[test]
fn user_notification_continue() {
    let _serial = common::serial();
    if !kernel_at_least(5, 5) {
        skip!(
            "user_notification_continue",
            "SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5)"
        );
    }
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    let with_value = SeccompNotifResp {
        id: notification.id(),
        val: MAGIC,
        error: 0,
        flags: abi::USER_NOTIF_FLAG_CONTINUE,
    };
    assert_eq!(raw_send(&listener, with_value), Err(Errno::INVAL));
    let with_error = SeccompNotifResp {
        val: 0,
        error: MAGIC as i32,
        ..with_value
    };
    assert_eq!(raw_send(&listener, with_error), Err(Errno::INVAL));
    assert_eq!(
        listener.id_valid(notification.id()),
        Ok(true),
        "refused answers leave it outstanding"
    );
    listener
        .respond(Response::continue_syscall(notification.id()))
        .expect("continue");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(RESULT), common::my_pid(), "getppid ran for real");
}

// ---------------------------------------------------------------------------------------------------------
// user_ioctl_notification_filter_empty, user_notification_filter_empty_threaded

/// `user_ioctl_notification_filter_empty`: a receive blocked on a filter whose last user exits returns
/// `ENOENT` (6.11+, "seccomp: interrupt SECCOMP_IOCTL_NOTIF_RECV when all users have exited"); before
/// that it blocked forever.
#[test]
fn user_ioctl_notification_filter_empty() {
    let _serial = common::serial();
    if !kernel_at_least(6, 11) {
        skip!(
            "user_ioctl_notification_filter_empty",
            "RECV interrupted when the filter's users are gone (6.11)"
        );
    }
    // SAFETY: the child only sleeps (nanosleep is a raw syscall) and exits.
    let (child, listener) = unsafe {
        common::notify_on_target(FilterFlags::EMPTY, || {
            let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                tv_sec: 0,
                tv_nsec: 300_000_000,
            });
            0
        })
    };
    let (done, result) = std::sync::mpsc::channel();
    // The receive blocks (nothing ever notifies) until the child exits; a thread keeps a kernel without
    // the behaviour from hanging the test.
    std::thread::spawn(move || {
        let mut notif = SeccompNotif::default();
        // SAFETY: RECV writes one `struct seccomp_notif` into a live local.
        let received =
            unsafe { raw_ioctl(listener.as_fd(), abi::IOCTL_NOTIF_RECV, (&raw mut notif) as usize) };
        let _ = done.send(received);
    });
    let received = result
        .recv_timeout(common::CHILD_TIMEOUT)
        .expect("RECV did not return after the filter's last user exited");
    assert_eq!(received, Err(Errno::NOENT));
    assert_eq!(child.wait(), Outcome::Exited(0));
}

extern "C" fn do_nothing(_: usize) {}

/// `user_notification_filter_empty_threaded`: a filter user that forked two children and ran two threads
/// still counts down to zero users: once all of them are gone the listener reports `POLLHUP` (5.9+).
#[test]
fn user_notification_filter_empty_threaded() {
    let _serial = common::serial();
    if !kernel_at_least(5, 9) {
        skip!(
            "user_notification_filter_empty_threaded",
            "POLLHUP on the listener (5.9)"
        );
    }
    let filter = filters::on_syscall(nr::__NR_dup, abi::RET_USER_NOTIF);
    let mut stacks = [vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]];
    let tids = [
        std::sync::atomic::AtomicU32::new(0),
        std::sync::atomic::AtomicU32::new(0),
    ];
    let fork_and_thread = || {
        let mut pids = [None, None];
        for slot in &mut pids {
            // SAFETY: the grandchild exits at once.
            match unsafe { process::fork() } {
                Ok(Fork::Child) => process::exit_group(0),
                Ok(Fork::Parent(pid)) => *slot = Some(pid),
                Err(_) => return 2,
            }
        }
        for (stack, tid) in stacks.iter_mut().zip(&tids) {
            // SAFETY: the stack is unused by anything else until join returns; the entry does nothing.
            if unsafe { common::thread::spawn(stack, do_nothing, 0, tid) }.is_err() {
                return 3;
            }
            common::thread::join(tid);
        }
        for pid in pids.into_iter().flatten() {
            match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
                Ok(Some((_, status))) if status.exit_status() == Some(0) => {}
                _ => return 4,
            }
        }
        0
    };
    // SAFETY: the child makes raw syscalls only (fork, clone, futex, wait) on memory prepared before the
    // fork; the threads run a function that does nothing.
    let (child, listener) =
        unsafe { common::spawn_with_listener(&filter, FilterFlags::EMPTY, fork_and_thread) };
    let listener = listener.expect("listener");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert!(
        hangs_up_within(&listener, Duration::from_secs(10)),
        "no POLLHUP after every user of the filter was gone"
    );
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_addfd, user_notification_addfd_rlimit

/// The target of an fd in `/proc/PID/fd`.
fn fd_link(pid: u32, fd: i64) -> std::path::PathBuf {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).expect("readlink /proc/PID/fd/N")
}

/// `user_notification_addfd`, the error paths: `newfd_flags` other than `O_CLOEXEC`, unknown flags and a
/// `newfd` without `SETFD` are `EINVAL`; a struct smaller than version 0 is `EINVAL`, a larger one with
/// non-zero bytes past the known fields `E2BIG` (zero bytes are fine); ADDFD for a notification that exists
/// but was not received yet is `EINPROGRESS`, and ids are consecutive.
#[test]
fn user_notification_addfd() {
    let _serial = common::serial();
    if !kernel_at_least(5, 9) {
        skip!("user_notification_addfd", "SECCOMP_IOCTL_NOTIF_ADDFD (5.9)");
    }
    let (_read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    let (child, listener) = unsafe {
        common::notify_on_target(FilterFlags::EMPTY, || {
            shared.set(RESULT, common::encode(filters::target()));
            shared.set(SECOND_RESULT, common::encode(filters::target()));
            0
        })
    };
    let first = common::recv_one(&listener);
    let target_pid = child.pid().as_raw_nonzero().get() as u32;
    let good = SeccompNotifAddfd {
        id: first.id(),
        flags: 0,
        srcfd: write_end.as_raw_fd() as u32,
        newfd: 0,
        newfd_flags: O_CLOEXEC,
    };
    let cases = [
        (
            "newfd_flags other than O_CLOEXEC",
            SeccompNotifAddfd {
                newfd_flags: !O_CLOEXEC,
                ..good
            },
        ),
        ("unknown flags", SeccompNotifAddfd { flags: 0xff, ..good }),
        ("newfd without SETFD", SeccompNotifAddfd { newfd: 1, ..good }),
    ];
    for (what, request) in cases {
        assert_eq!(
            raw_addfd(&listener, &mut addfd_bytes(request)),
            Err(Errno::INVAL),
            "{what}"
        );
    }
    // `struct seccomp_notif_addfd_small` of the selftests: an id and 4 more bytes (12 < 24).
    let mut small = [0u8; 12];
    small[..8].copy_from_slice(&first.id().to_ne_bytes());
    assert_eq!(
        raw_addfd(&listener, &mut small),
        Err(Errno::INVAL),
        "smaller than version 0"
    );
    let mut big = [0xaau8; 32];
    big[..24].copy_from_slice(&addfd_bytes(good));
    assert_eq!(
        raw_addfd(&listener, &mut big),
        Err(Errno::TOOBIG),
        "unknown non-zero tail"
    );
    big[24..].fill(0);
    let fd = raw_addfd(&listener, &mut big).expect("a larger struct with a zero tail") as i64;
    assert_eq!(
        fd_link(target_pid, fd),
        fd_link(std::process::id(), i64::from(write_end.as_raw_fd()))
    );
    let fd = raw_addfd(&listener, &mut addfd_bytes(good)).expect("addfd") as i64;
    assert_eq!(
        fd_link(target_pid, fd),
        fd_link(std::process::id(), i64::from(write_end.as_raw_fd()))
    );
    let setfd = SeccompNotifAddfd {
        flags: abi::ADDFD_FLAG_SETFD,
        newfd: 42,
        ..good
    };
    assert_eq!(raw_addfd(&listener, &mut addfd_bytes(setfd)), Ok(42));
    assert_eq!(
        fd_link(target_pid, 42),
        fd_link(std::process::id(), i64::from(write_end.as_raw_fd()))
    );
    answer_magic(&listener, first.id());

    // The second notification gets the next id; until it is received, ADDFD on it is EINPROGRESS.
    assert!(common::wait_readable(listener.as_fd()));
    let early = listener.add_fd(first.id() + 1, write_end.as_fd(), AddFd::default());
    assert_eq!(early, Err(ReplyError::NotAwaitingReply), "ADDFD before RECV");
    let second = listener.recv().expect("recv");
    assert_eq!(second.id(), first.id() + 1, "notification ids are consecutive");
    answer_magic(&listener, second.id());
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!((shared.get(RESULT), shared.get(SECOND_RESULT)), (MAGIC, MAGIC));
}

/// `user_notification_addfd_rlimit`: ADDFD into a target whose `RLIMIT_NOFILE` is 0 is `EMFILE`, and with
/// `SETFD` to a number above the limit `EBADF`.
#[test]
fn user_notification_addfd_rlimit() {
    let _serial = common::serial();
    if !kernel_at_least(5, 9) {
        skip!(
            "user_notification_addfd_rlimit",
            "SECCOMP_IOCTL_NOTIF_ADDFD (5.9)"
        );
    }
    let (_read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::EMPTY);
    let notification = common::recv_one(&listener);
    let none = rustix::process::Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    rustix::process::prlimit(Some(child.pid()), rustix::process::Resource::Nofile, none).expect("prlimit");
    let how = AddFd {
        target: None,
        cloexec: true,
        send: false,
    };
    assert_eq!(
        listener.add_fd(notification.id(), write_end.as_fd(), how),
        Err(ReplyError::Os(Errno::MFILE))
    );
    let how = AddFd {
        target: Some(100),
        ..how
    };
    assert_eq!(
        listener.add_fd(notification.id(), write_end.as_fd(), how),
        Err(ReplyError::Os(Errno::BADF))
    );
    answer_magic(&listener, notification.id());
    expect_magic_exit(child, &shared);
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_fifo

/// `user_notification_fifo`: notifications are received in the order the targets entered the syscall, with
/// consecutive ids (5.19+, "seccomp: Use FIFO semantics to order notifications").
#[test]
fn user_notification_fifo() {
    let _serial = common::serial();
    if !kernel_at_least(5, 19) {
        skip!("user_notification_fifo", "FIFO order of notifications (5.19)");
    }
    const TARGETS: usize = 3;
    let shared = Shared::new();
    // The filtered child notifies once itself, then forks one target each time the test raises GO.
    let notify_then_fork_targets = || {
        shared.set(RESULT, common::encode(filters::target()));
        let mut pids = [None; TARGETS];
        for (index, slot) in pids.iter_mut().enumerate() {
            while shared.get(GO) <= index as i64 {
                let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                    tv_sec: 0,
                    tv_nsec: 1_000_000,
                });
            }
            // SAFETY: the target makes one raw syscall and exits.
            match unsafe { process::fork() } {
                Ok(Fork::Child) => process::exit_group(i32::from(filters::target() != Ok(MAGIC as usize))),
                Ok(Fork::Parent(pid)) => {
                    shared.set(FIFO_PIDS + index, i64::from(pid.as_raw_nonzero().get()));
                    *slot = Some(pid);
                }
                Err(_) => return 2,
            }
        }
        for pid in pids.into_iter().flatten() {
            match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
                Ok(Some((_, status))) if status.exit_status() == Some(0) => {}
                _ => return 3,
            }
        }
        0
    };
    // SAFETY: the child and its targets only make raw syscalls and write the shared page.
    let (child, listener) = unsafe { common::notify_on_target(FilterFlags::EMPTY, notify_then_fork_targets) };
    let first = common::recv_one(&listener);
    let base = first.id() + 1;
    answer_magic(&listener, first.id());
    let mut pids = Vec::new();
    for index in 0..TARGETS {
        shared.set(GO, index as i64 + 1);
        let pid = pid_of(wait_slot(&shared, FIFO_PIDS + index));
        wait_parked(pid);
        pids.push(pid);
    }
    for (index, pid) in pids.iter().enumerate() {
        let notification = listener.recv().expect("recv");
        assert_eq!(notification.id(), base + index as u64, "consecutive ids");
        assert_eq!(
            notification.pid(),
            Some(*pid),
            "received in the order the targets parked"
        );
        answer_magic(&listener, notification.id());
    }
    expect_magic_exit(child, &shared);
}

// ---------------------------------------------------------------------------------------------------------
// user_notification_wait_killable_pre_notification, user_notification_wait_killable_fatal

/// `user_notification_wait_killable_pre_notification`: with `WAIT_KILLABLE_RECV`, a non-fatal signal that
/// arrives before the supervisor received the notification still interrupts the syscall: the handler runs,
/// the syscall fails with `EINTR` (no `SA_RESTART`) and the notification is withdrawn.
#[test]
fn user_notification_wait_killable_pre_notification() {
    let _serial = common::serial();
    if !common::has_wait_killable_recv("user_notification_wait_killable_pre_notification") {
        return;
    }
    let shared = Shared::new();
    // SAFETY: the child makes raw syscalls only; its handler touches one atomic and returns.
    let (child, listener) = unsafe {
        common::notify_on_target(FilterFlags::WAIT_KILLABLE_RECV, || {
            if signals::count_and_return(nr::SIGUSR1, shared.slot(HANDLED)).is_err() {
                return 3;
            }
            shared.set(RESULT, common::encode(filters::target()));
            0
        })
    };
    assert!(
        common::wait_readable(listener.as_fd()),
        "the notification is pending"
    );
    wait_parked(child.pid());
    child.signal(Signal::USR1);
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(HANDLED), 1, "the handler ran");
    assert_eq!(shared.get(RESULT), -i64::from(Errno::INTR.raw_os_error()));
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    assert!(
        !listener.wait(Some(&now)).expect("poll").pending,
        "the notification was withdrawn"
    );
}

/// `user_notification_wait_killable_fatal`: with `WAIT_KILLABLE_RECV`, a fatal signal after the receive
/// still ends the target (here `SIGTERM` with its default action), and the notification is gone.
#[test]
fn user_notification_wait_killable_fatal() {
    let _serial = common::serial();
    if !common::has_wait_killable_recv("user_notification_wait_killable_fatal") {
        return;
    }
    let shared = Shared::new();
    let (child, listener) = notifying_child(&shared, FilterFlags::WAIT_KILLABLE_RECV);
    let notification = common::recv_one(&listener);
    child.signal(Signal::TERM);
    assert_eq!(child.wait(), Outcome::Signaled(Signal::TERM.as_raw()));
    assert_eq!(listener.id_valid(notification.id()), Ok(false));
    assert_eq!(
        listener.respond(Response::value(notification.id(), MAGIC)),
        Err(ReplyError::NotificationGone)
    );
    assert_eq!(shared.get(RESULT), 0, "the syscall never returned");
}
