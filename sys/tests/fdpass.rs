//! Passing fds between processes: SCM_RIGHTS over a socket pair, and pidfd_getfd where the kernel has it.

mod common;

use common::{Outcome, Shared};
use rustix::fd::AsFd;
use rustix::io::Errno;
use seccomp_sys::fdpass::{self, RecvFdError};

#[test]
fn an_fd_sent_with_scm_rights_refers_to_the_same_open_file() {
    let _serial = common::serial();
    let (parent_end, child_end) = fdpass::socketpair().expect("socketpair");
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    // SAFETY: the child only makes raw syscalls on fds opened before the fork.
    let child = unsafe {
        common::spawn(|| match fdpass::send_fd(child_end.as_fd(), write_end.as_fd()) {
            Ok(()) => 0,
            Err(_) => 2,
        })
    };
    drop(child_end);
    assert!(common::wait_readable(parent_end.as_fd()));
    let received = fdpass::recv_fd(parent_end.as_fd()).expect("recv_fd");
    assert_eq!(child.wait(), Outcome::Exited(0));
    drop(write_end);
    assert_eq!(rustix::io::write(&received, b"via scm_rights"), Ok(14));
    drop(received);
    let mut buf = [0u8; 32];
    assert_eq!(rustix::io::read(&read_end, &mut buf), Ok(14));
    assert_eq!(&buf[..14], b"via scm_rights");
}

#[test]
fn recv_fd_reports_a_closed_peer_and_a_message_without_an_fd() {
    let _serial = common::serial();
    let (a, b) = fdpass::socketpair().expect("socketpair");
    rustix::net::send(&b, b"x", rustix::net::SendFlags::empty()).expect("send");
    assert_eq!(fdpass::recv_fd(a.as_fd()).err(), Some(RecvFdError::NoFd));
    drop(b);
    assert_eq!(fdpass::recv_fd(a.as_fd()).err(), Some(RecvFdError::Closed));
}

#[test]
fn received_fds_are_close_on_exec() {
    let _serial = common::serial();
    let (a, b) = fdpass::socketpair().expect("socketpair");
    let (read_end, _write_end) = rustix::pipe::pipe().expect("pipe");
    fdpass::send_fd(b.as_fd(), read_end.as_fd()).expect("send_fd");
    let received = fdpass::recv_fd(a.as_fd()).expect("recv_fd");
    let flags = rustix::io::fcntl_getfd(&received).expect("fcntl_getfd");
    assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
}

#[test]
fn take_fd_copies_an_fd_out_of_another_process() {
    let _serial = common::serial();
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let (go_read, go_write) = rustix::pipe::pipe().expect("pipe");
    let shared = Shared::new();
    let raw_write = rustix::fd::AsRawFd::as_raw_fd(&write_end);
    // SAFETY: the child only makes raw syscalls on fds opened before the fork.
    let child = unsafe {
        common::spawn(|| {
            // Wait until the parent has taken the fd, then exit (closing the child's copies).
            let mut byte = [0u8; 1];
            shared.set(0, i64::from(rustix::io::read(&go_read, &mut byte) == Ok(1)));
            0
        })
    };
    drop(write_end);
    let taken = match fdpass::take_fd(child.pid(), raw_write) {
        Ok(fd) => fd,
        Err(Errno::NOSYS) => {
            let _ = rustix::io::write(&go_write, b"g");
            skip!(
                "take_fd_copies_an_fd_out_of_another_process",
                "pidfd_open/pidfd_getfd (5.6)"
            );
        }
        Err(errno) => panic!("take_fd: {errno}"),
    };
    assert_eq!(rustix::io::write(&taken, b"t"), Ok(1));
    assert_eq!(rustix::io::write(&go_write, b"g"), Ok(1));
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), 1);
    drop(taken);
    let mut buf = [0u8; 4];
    assert_eq!(rustix::io::read(&read_end, &mut buf), Ok(1));
    assert_eq!(buf[0], b't');
}
