//! The allocation-free fork and exec path: fork, confine the child, execve; the filter and no_new_privs
//! survive exec, and a failed execve reports its errno.

mod common;

use common::{Outcome, Shared, filters};
use linux_raw_sys::general as nr;
use rustix::fd::AsRawFd;
use seccomp_core::abi;
use seccomp_sys::process::{self, MAX_EXEC_ARGS};
use seccomp_sys::{Errno, FilterFlags, install, set_no_new_privs};

#[test]
fn execve_of_a_missing_program_returns_enoent() {
    let _serial = common::serial();
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls.
    let child = unsafe {
        common::spawn(|| {
            let errno = process::execve(c"/nonexistent/program", &[c"program"], &[]);
            shared.set(0, i64::from(errno.raw_os_error()));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), i64::from(Errno::NOENT.raw_os_error()));
}

#[test]
fn a_filter_installed_before_execve_applies_to_execve_itself() {
    let _serial = common::serial();
    let filter = filters::on_syscall(nr::__NR_execve, abi::RET_ERRNO | 77);
    let program = filters::valid(&filter);
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() || install(&program, FilterFlags::EMPTY).is_err() {
                return 2;
            }
            let errno = process::execve(c"/proc/self/exe", &[c"exe"], &[]);
            shared.set(0, i64::from(errno.raw_os_error()));
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), 77);
}

#[test]
fn too_many_exec_arguments_are_refused_without_a_syscall() {
    let too_many = vec![c"x"; MAX_EXEC_ARGS + 1];
    assert_eq!(process::execve(c"/nonexistent", &too_many, &[]), Errno::TOOBIG);
    assert_eq!(process::execve(c"/nonexistent", &[], &too_many), Errno::TOOBIG);
}

#[test]
fn the_filter_and_no_new_privs_survive_execve() {
    let _serial = common::serial();
    let cat = c"/bin/cat";
    if !std::path::Path::new("/bin/cat").exists() {
        skip!("the_filter_and_no_new_privs_survive_execve", "/bin/cat to exec");
    }
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let filter = filters::on_target(abi::RET_ERRNO | 1);
    let program = filters::valid(&filter);
    let out = write_end.as_raw_fd() as usize;
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            // stdout := the pipe.
            if seccomp_sys::raw::syscall3(nr::__NR_dup3, out, 1, 0).is_err() {
                return 2;
            }
            if set_no_new_privs().is_err() || install(&program, FilterFlags::EMPTY).is_err() {
                return 3;
            }
            let _ = process::execve(cat, &[cat, c"/proc/self/status"], &[]);
            4
        })
    };
    drop(write_end);
    let mut status = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(&read_end, &mut buf) {
            Ok(0) => break,
            Ok(n) => status.extend_from_slice(&buf[..n]),
            Err(Errno::INTR) => {}
            Err(errno) => panic!("read: {errno}"),
        }
    }
    assert_eq!(child.wait(), Outcome::Exited(0));
    let status = String::from_utf8_lossy(&status);
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
            .map(str::to_owned)
    };
    assert_eq!(field("NoNewPrivs:").as_deref(), Some("1"), "{status}");
    assert_eq!(field("Seccomp:").as_deref(), Some("2"), "{status}");
    if let Some(count) = field("Seccomp_filters:") {
        assert_eq!(count, "1", "{status}");
    }
}
