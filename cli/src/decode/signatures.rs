//! Per-syscall argument signatures, by syscall name, for the common syscalls.
//!
//! Names rather than numbers key the table, so one table serves every architecture (x86_64, x32, i386,
//! aarch64): a name means the same arguments wherever it exists. The few calls whose arguments differ by
//! architecture under one name (i386's `mmap` takes a pointer to a struct) are left out for that arch by
//! [`signature`].

use seccomp_core::arch::Arch;

/// How to show one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A signed `int`.
    Int,
    /// A signed `long` / `off_t` (register width).
    Long,
    /// An unsigned `int`.
    UInt,
    /// A `size_t` (register width).
    Size,
    /// An opaque value or pointer, in hex (`NULL` for 0).
    Ptr,
    /// A plain hex value (`0x0` for 0).
    Hex,
    /// A file descriptor.
    Fd,
    /// A directory fd of an `*at` call (`AT_FDCWD`).
    DirFd,
    /// A path (`const char *`), read from the target's memory.
    Path,
    /// Another string (`const char *`), read from the target's memory.
    Str,
    /// An input buffer whose length is the argument at this index: the first bytes are shown.
    Buf(u8),
    /// A NULL-terminated array of strings (`argv`), read from the target's memory.
    Argv,
    /// An input socket address whose length is the argument at this index, read from the target's
    /// memory and shown by family (`127.0.0.1:80`, `[::1]:443`, a Unix path).
    SockAddr(u8),
    /// A mode in octal (`0644`).
    Mode,
    /// A process id (signed; `-1` and `0` have meanings).
    Pid,
    /// `O_*` flags.
    OpenFlags,
    /// `AT_*` flags.
    AtFlags,
    /// `faccessat2` flags.
    AccessAtFlags,
    /// `access` mode.
    AccessMode,
    /// `PROT_*`.
    Prot,
    /// `MAP_*`.
    MapFlags,
    /// `CLONE_*` with the exit signal.
    CloneFlags,
    /// `AF_*`.
    Family,
    /// `SOCK_*` with `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
    SockType,
    /// `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
    SockFlags,
    /// `O_NONBLOCK`/`O_CLOEXEC` (pipe2, dup3, eventfd2, ...).
    CloexecFlags,
    /// A signal number.
    Signal,
    /// `SEEK_*`.
    Whence,
    /// `F_*` fcntl command.
    FcntlCmd,
    /// `SIG_BLOCK`/`SIG_UNBLOCK`/`SIG_SETMASK`.
    SigHow,
    /// `PR_*`.
    PrctlOption,
    /// `ARCH_*`.
    ArchPrctl,
    /// `FUTEX_*`.
    FutexOp,
    /// `MFD_*`.
    MfdFlags,
    /// `GRND_*`.
    GrndFlags,
    /// `W*` wait options.
    WaitOptions,
    /// `MADV_*`.
    Advice,
}

use Kind::*;

/// The table: names sharing a signature, and the signature.
const SIGNATURES: &[(&[&str], &[Kind])] = &[
    (&["read"], &[Fd, Ptr, Size]),
    (&["write"], &[Fd, Buf(2), Size]),
    (&["pread64"], &[Fd, Ptr, Size, Long]),
    (&["pwrite64"], &[Fd, Buf(2), Size, Long]),
    (&["readv", "writev"], &[Fd, Ptr, Int]),
    (
        &["preadv", "pwritev", "preadv2", "pwritev2"],
        &[Fd, Ptr, Int, Long, Long],
    ),
    (&["open"], &[Path, OpenFlags, Mode]),
    (&["openat"], &[DirFd, Path, OpenFlags, Mode]),
    (&["openat2"], &[DirFd, Path, Ptr, Size]),
    (&["creat"], &[Path, Mode]),
    (&["close"], &[Fd]),
    (&["close_range"], &[Fd, Fd, Hex]),
    (&["stat", "lstat", "stat64", "lstat64"], &[Path, Ptr]),
    (&["fstat", "fstat64"], &[Fd, Ptr]),
    (&["newfstatat", "fstatat64"], &[DirFd, Path, Ptr, AtFlags]),
    (&["statx"], &[DirFd, Path, AtFlags, Hex, Ptr]),
    (&["statfs", "statfs64"], &[Path, Ptr]),
    (&["fstatfs", "fstatfs64"], &[Fd, Ptr]),
    (&["access"], &[Path, AccessMode]),
    (&["faccessat"], &[DirFd, Path, AccessMode]),
    (&["faccessat2"], &[DirFd, Path, AccessMode, AccessAtFlags]),
    (&["readlink"], &[Path, Ptr, Size]),
    (&["readlinkat"], &[DirFd, Path, Ptr, Size]),
    (&["getdents", "getdents64"], &[Fd, Ptr, Size]),
    (&["lseek"], &[Fd, Long, Whence]),
    (&["mmap", "mmap2"], &[Ptr, Size, Prot, MapFlags, Fd, Hex]),
    (&["mprotect"], &[Ptr, Size, Prot]),
    (&["munmap"], &[Ptr, Size]),
    (&["mremap"], &[Ptr, Size, Size, Hex, Ptr]),
    (&["madvise"], &[Ptr, Size, Advice]),
    (&["brk"], &[Ptr]),
    (&["rt_sigaction"], &[Signal, Ptr, Ptr, Size]),
    (&["rt_sigprocmask"], &[SigHow, Ptr, Ptr, Size]),
    (&["rt_sigreturn", "sigreturn"], &[]),
    (&["sigaltstack"], &[Ptr, Ptr]),
    (&["ioctl"], &[Fd, Hex, Ptr]),
    (&["fcntl", "fcntl64"], &[Fd, FcntlCmd, Hex]),
    (&["flock"], &[Fd, Int]),
    (&["fsync", "fdatasync", "fchdir", "dup", "syncfs"], &[Fd]),
    (&["dup2"], &[Fd, Fd]),
    (&["dup3"], &[Fd, Fd, CloexecFlags]),
    (&["pipe"], &[Ptr]),
    (&["pipe2"], &[Ptr, CloexecFlags]),
    (&["ftruncate", "ftruncate64"], &[Fd, Long]),
    (&["truncate", "truncate64"], &[Path, Long]),
    (&["getcwd"], &[Ptr, Size]),
    (&["chdir", "chroot", "rmdir", "unlink", "acct"], &[Path]),
    (&["mkdir"], &[Path, Mode]),
    (&["mkdirat"], &[DirFd, Path, Mode]),
    (&["mknod"], &[Path, Mode, Hex]),
    (&["mknodat"], &[DirFd, Path, Mode, Hex]),
    (&["unlinkat"], &[DirFd, Path, AtFlags]),
    (&["rename", "link", "symlink"], &[Path, Path]),
    (&["renameat"], &[DirFd, Path, DirFd, Path]),
    (&["renameat2"], &[DirFd, Path, DirFd, Path, Hex]),
    (&["linkat"], &[DirFd, Path, DirFd, Path, AtFlags]),
    (&["symlinkat"], &[Path, DirFd, Path]),
    (&["chmod"], &[Path, Mode]),
    (&["fchmod"], &[Fd, Mode]),
    (&["fchmodat"], &[DirFd, Path, Mode]),
    (&["fchmodat2"], &[DirFd, Path, Mode, AtFlags]),
    (&["chown", "lchown", "chown32", "lchown32"], &[Path, Int, Int]),
    (&["fchown", "fchown32"], &[Fd, Int, Int]),
    (&["fchownat"], &[DirFd, Path, Int, Int, AtFlags]),
    (&["umask"], &[Mode]),
    (&["utimensat"], &[DirFd, Path, Ptr, AtFlags]),
    (&["sendfile", "sendfile64"], &[Fd, Fd, Ptr, Size]),
    (&["copy_file_range"], &[Fd, Ptr, Fd, Ptr, Size, Hex]),
    (&["execve"], &[Path, Argv, Ptr]),
    (&["execveat"], &[DirFd, Path, Argv, Ptr, AtFlags]),
    (&["exit", "exit_group"], &[Int]),
    (
        &[
            "fork",
            "vfork",
            "getpid",
            "getppid",
            "gettid",
            "getuid",
            "geteuid",
            "getgid",
            "getegid",
            "getuid32",
            "geteuid32",
            "getgid32",
            "getegid32",
            "getpgrp",
            "setsid",
            "sched_yield",
            "pause",
            "sync",
            "restart_syscall",
            "inotify_init",
            "munlockall",
        ],
        &[],
    ),
    (&["clone"], &[CloneFlags, Ptr, Ptr, Ptr, Ptr]),
    (&["clone3"], &[Ptr, Size]),
    (&["wait4"], &[Pid, Ptr, WaitOptions, Ptr]),
    (&["waitid"], &[Int, Pid, Ptr, WaitOptions, Ptr]),
    (&["kill"], &[Pid, Signal]),
    (&["tkill"], &[Pid, Signal]),
    (&["tgkill"], &[Pid, Pid, Signal]),
    (&["pidfd_open"], &[Pid, Hex]),
    (&["pidfd_send_signal"], &[Fd, Signal, Ptr, Hex]),
    (&["pidfd_getfd"], &[Fd, Int, Hex]),
    (&["setpgid"], &[Pid, Pid]),
    (&["getpgid", "getsid"], &[Pid]),
    (&["setuid", "setgid", "setuid32", "setgid32"], &[Int]),
    (&["uname", "sysinfo", "set_tid_address", "time", "times"], &[Ptr]),
    (&["prlimit64"], &[Pid, Int, Ptr, Ptr]),
    (&["getrlimit", "setrlimit", "ugetrlimit"], &[Int, Ptr]),
    (&["getrusage"], &[Int, Ptr]),
    (&["set_robust_list"], &[Ptr, Size]),
    (&["get_robust_list"], &[Pid, Ptr, Ptr]),
    (&["futex", "futex_time64"], &[Ptr, FutexOp, UInt, Ptr, Ptr, UInt]),
    (&["getrandom"], &[Ptr, Size, GrndFlags]),
    (&["arch_prctl"], &[ArchPrctl, Hex]),
    (&["prctl"], &[PrctlOption, Hex, Hex, Hex, Hex]),
    (&["rseq"], &[Ptr, UInt, Hex, Hex]),
    (&["seccomp"], &[UInt, Hex, Ptr]),
    (&["nanosleep"], &[Ptr, Ptr]),
    (
        &["clock_nanosleep", "clock_nanosleep_time64"],
        &[Int, Hex, Ptr, Ptr],
    ),
    (
        &[
            "clock_gettime",
            "clock_getres",
            "clock_gettime64",
            "clock_getres_time64",
        ],
        &[Int, Ptr],
    ),
    (&["gettimeofday"], &[Ptr, Ptr]),
    (&["poll"], &[Ptr, UInt, Int]),
    (&["ppoll", "ppoll_time64"], &[Ptr, UInt, Ptr, Ptr, Size]),
    (&["select", "_newselect"], &[Int, Ptr, Ptr, Ptr, Ptr]),
    (&["pselect6", "pselect6_time64"], &[Int, Ptr, Ptr, Ptr, Ptr, Ptr]),
    (&["epoll_create"], &[Int]),
    (&["epoll_create1"], &[CloexecFlags]),
    (&["epoll_ctl"], &[Fd, Int, Fd, Ptr]),
    (&["epoll_wait"], &[Fd, Ptr, Int, Int]),
    (&["epoll_pwait", "epoll_pwait2"], &[Fd, Ptr, Int, Ptr, Ptr, Size]),
    (&["eventfd"], &[UInt]),
    (&["eventfd2"], &[UInt, CloexecFlags]),
    (&["signalfd4"], &[Fd, Ptr, Size, CloexecFlags]),
    (&["timerfd_create"], &[Int, CloexecFlags]),
    (&["inotify_init1"], &[CloexecFlags]),
    (&["inotify_add_watch"], &[Fd, Path, Hex]),
    (&["memfd_create"], &[Str, MfdFlags]),
    (&["socket"], &[Family, SockType, Int]),
    (&["socketpair"], &[Family, SockType, Int, Ptr]),
    (&["connect", "bind"], &[Fd, SockAddr(2), UInt]),
    (&["listen"], &[Fd, Int]),
    (&["accept"], &[Fd, Ptr, Ptr]),
    (&["accept4"], &[Fd, Ptr, Ptr, SockFlags]),
    (&["getsockname", "getpeername"], &[Fd, Ptr, Ptr]),
    (&["sendto"], &[Fd, Buf(2), Size, Hex, SockAddr(5), UInt]),
    (&["recvfrom"], &[Fd, Ptr, Size, Hex, Ptr, Ptr]),
    (&["sendmsg", "recvmsg"], &[Fd, Ptr, Hex]),
    (&["sendmmsg", "recvmmsg"], &[Fd, Ptr, UInt, Hex, Ptr]),
    (&["shutdown"], &[Fd, Int]),
    (&["setsockopt", "getsockopt"], &[Fd, Int, Int, Ptr, Ptr]),
    (&["sched_getaffinity", "sched_setaffinity"], &[Pid, Size, Ptr]),
    (&["mount"], &[Str, Path, Str, Hex, Ptr]),
    (&["umount2"], &[Path, Hex]),
    (&["sethostname"], &[Buf(1), Size]),
    (&["capget", "capset"], &[Ptr, Ptr]),
    (&["setns"], &[Fd, CloneFlags]),
    (&["unshare"], &[CloneFlags]),
    (&["ptrace"], &[Int, Pid, Ptr, Ptr]),
    (&["alarm"], &[UInt]),
    (&["mlock", "munlock"], &[Ptr, Size]),
    (&["msync"], &[Ptr, Size, Hex]),
    (&["fadvise64"], &[Fd, Long, Long, Int]),
    (&["fallocate"], &[Fd, Int, Long, Long]),
];

/// The argument kinds of syscall `name` on `arch`, or `None` when it is not in the table (its six
/// arguments are then shown in hex).
pub fn signature(arch: Arch, name: &str) -> Option<&'static [Kind]> {
    if arch == Arch::I386 && name == "mmap" {
        // old_mmap(struct mmap_arg_struct *)
        return Some(&[Ptr]);
    }
    SIGNATURES
        .iter()
        .find(|(names, _)| names.contains(&name))
        .map(|(_, kinds)| *kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_syscall_exists_on_some_architecture() {
        // A misspelled name would silently never match; check the table against the syscall tables.
        for (names, kinds) in SIGNATURES {
            assert!(kinds.len() <= 6, "{names:?} has more than six arguments");
            for name in *names {
                assert!(
                    Arch::ALL.iter().any(|arch| arch.syscall_nr(name).is_some()),
                    "{name} is in no syscall table"
                );
            }
        }
    }

    #[test]
    fn common_syscalls_have_signatures_on_both_64_bit_architectures() {
        for name in [
            "openat",
            "execve",
            "read",
            "write",
            "close",
            "mmap",
            "clone",
            "exit_group",
        ] {
            assert!(signature(Arch::X86_64, name).is_some(), "{name}");
            assert!(signature(Arch::Aarch64, name).is_some(), "{name}");
        }
    }

    #[test]
    fn i386_mmap_is_the_old_struct_form() {
        assert_eq!(signature(Arch::I386, "mmap"), Some(&[Kind::Ptr][..]));
        assert_eq!(signature(Arch::X86_64, "mmap").map(<[Kind]>::len), Some(6));
    }
}
