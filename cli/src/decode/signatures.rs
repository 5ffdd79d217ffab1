//! Per-syscall argument signatures, by syscall name, for the common syscalls.
//!
//! Names rather than numbers key the table, so one table serves every architecture (x86_64, x32, i386,
//! aarch64): a name means the same arguments wherever it exists. The few calls whose arguments differ by
//! architecture under one name (i386's `mmap` takes a pointer to a struct) are left out for that arch by
//! [`signature`].

use super::Value;
use seccomp_core::arch::Arch;
use std::borrow::Cow;

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
    /// An unsigned `int` in hex (`0` for zero).
    UHex,
    /// `envp`: the pointer and how many entries it has (`/* 35 vars */`).
    Envp,
    /// An input `struct sigaction`; the `sigset_t` size is the argument at this index.
    SigAction(u8),
    /// An input `sigset_t` whose size is the argument at this index.
    SigSet(u8),
    /// An input `struct rlimit64`.
    Rlimit,
    /// An input `int *` (`[1]`).
    IntPtr,
    /// `POSIX_FADV_*`.
    FadvAdvice,
    /// `FD_CLOEXEC` (`fcntl(F_SETFD)`).
    FdFlags,
    /// `DN_*` (`fcntl(F_NOTIFY)`).
    DnFlags,
    /// `F_SEAL_*` (`fcntl(F_ADD_SEALS)`).
    Seals,
    /// `F_RDLCK`/`F_WRLCK`/`F_UNLCK` (`fcntl(F_SETLEASE)`).
    Lease,
    /// An `ioctl` request (`TCGETS`, `FIONREAD`, ...).
    IoctlReq,
    /// `RLIMIT_*`.
    Resource,
    /// `statx` flags (`AT_STATX_SYNC_AS_STAT|...`).
    StatxFlags,
    /// `STATX_*`.
    StatxMask,
    /// `XATTR_CREATE`/`XATTR_REPLACE`.
    XattrFlags,
    /// `CLOCK_*`.
    Clock,
    /// `RUSAGE_*`.
    Rusage,
    /// `EPOLL_CTL_*`.
    EpollOp,
    /// `SOL_*`.
    SockLevel,
    /// A register the call does not use in this form: decoded, but not shown.
    Omit,
    /// An input `struct timespec` (`{tv_sec=1, tv_nsec=0}`).
    Timespec,
    /// A `futex` bitset (`FUTEX_BITSET_MATCH_ANY`).
    FutexBitset,
    /// A capability (`CAP_SYS_ADMIN`).
    Capability,
    /// `SUID_DUMP_*`.
    Dumpable,
    /// A `SOL_SOCKET` option (`SO_REUSEADDR`).
    SoOption,
    /// A `SOL_TCP` option (`TCP_NODELAY`).
    TcpOption,
    /// An IP protocol (`IPPROTO_TCP`).
    IpProto,
    /// `RENAME_*`.
    RenameFlags,
    /// `EPOLL_CLOEXEC`.
    EpollFlags,
    /// An unsigned `long` in decimal.
    ULong,
    /// An input `struct iovec` array whose length is the argument at this index (`writev`).
    Iovec(u8),
    /// An input `struct pollfd` array whose length is the argument at this index.
    PollFds(u8),
    /// An input `stack_t` (`sigaltstack`).
    StackT,
    /// An input `struct clone_args` (`clone3`).
    CloneArgs,
    /// `MS_*` mount flags.
    MountFlags,
    /// `MNT_*`/`UMOUNT_*` flags of `umount2`.
    UmountFlags,
    /// A file type and mode (`S_IFCHR|0666`).
    FileMode,
    /// A device number (`makedev(0x1, 0x3)`).
    Dev,
}

use Kind::*;

/// The table: names sharing a signature, and the signature.
const SIGNATURES: &[(&[&str], &[Kind])] = &[
    (&["read"], &[Fd, Ptr, Size]),
    (&["write"], &[Fd, Buf(2), Size]),
    (&["pread64"], &[Fd, Ptr, Size, Long]),
    (&["pwrite64"], &[Fd, Buf(2), Size, Long]),
    (&["readv"], &[Fd, Ptr, Int]),
    (&["writev"], &[Fd, Iovec(2), Int]),
    (&["preadv"], &[Fd, Ptr, Int, Long]),
    (&["pwritev"], &[Fd, Iovec(2), Int, Long]),
    (&["preadv2", "pwritev2"], &[Fd, Ptr, Int, Long, Hex, UHex]),
    (&["open"], &[Path, OpenFlags, Mode]),
    (&["openat"], &[DirFd, Path, OpenFlags, Mode]),
    (&["openat2"], &[DirFd, Path, Ptr, Size]),
    (&["creat"], &[Path, Mode]),
    (&["close"], &[Fd]),
    (&["close_range"], &[Fd, Fd, UHex]),
    (&["stat", "lstat", "stat64", "lstat64"], &[Path, Ptr]),
    (&["fstat", "fstat64"], &[Fd, Ptr]),
    (&["newfstatat", "fstatat64"], &[DirFd, Path, Ptr, AtFlags]),
    (&["statx"], &[DirFd, Path, StatxFlags, StatxMask, Ptr]),
    (&["statfs"], &[Path, Ptr]),
    (&["statfs64"], &[Path, Size, Ptr]),
    (&["fstatfs"], &[Fd, Ptr]),
    (&["fstatfs64"], &[Fd, Size, Ptr]),
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
    (&["rt_sigaction"], &[Signal, SigAction(3), Ptr, Size]),
    (&["rt_sigprocmask"], &[SigHow, SigSet(3), Ptr, Size]),
    (&["rt_sigreturn", "sigreturn"], &[]),
    (&["sigaltstack"], &[StackT, Ptr]),
    (&["ioctl"], &[Fd, IoctlReq, Ptr]),
    (&["fcntl", "fcntl64"], &[Fd, FcntlCmd, Ptr]),
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
    (&["mknod"], &[Path, FileMode, Dev]),
    (&["mknodat"], &[DirFd, Path, FileMode, Dev]),
    (&["unlinkat"], &[DirFd, Path, AtFlags]),
    (&["rename", "link", "symlink"], &[Path, Path]),
    (&["renameat"], &[DirFd, Path, DirFd, Path]),
    (&["renameat2"], &[DirFd, Path, DirFd, Path, RenameFlags]),
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
    (&["execve"], &[Path, Argv, Envp]),
    (&["execveat"], &[DirFd, Path, Argv, Envp, AtFlags]),
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
    (&["clone3"], &[CloneArgs, Size]),
    (&["wait4"], &[Pid, Ptr, WaitOptions, Ptr]),
    (&["waitid"], &[Int, Pid, Ptr, WaitOptions, Ptr]),
    (&["kill"], &[Pid, Signal]),
    (&["tkill"], &[Pid, Signal]),
    (&["tgkill"], &[Pid, Pid, Signal]),
    (&["pidfd_open"], &[Pid, UHex]),
    (&["pidfd_send_signal"], &[Fd, Signal, Ptr, UHex]),
    (&["pidfd_getfd"], &[Fd, Int, UHex]),
    (&["setpgid"], &[Pid, Pid]),
    (
        &["getgroups", "setgroups", "getgroups32", "setgroups32"],
        &[Int, Ptr],
    ),
    (&["getpgid", "getsid"], &[Pid]),
    (&["setuid", "setgid", "setuid32", "setgid32"], &[Int]),
    (&["uname", "sysinfo", "set_tid_address", "time", "times"], &[Ptr]),
    (&["prlimit64"], &[Pid, Resource, Rlimit, Ptr]),
    (&["getrlimit", "setrlimit", "ugetrlimit"], &[Resource, Ptr]),
    (&["getrusage"], &[Rusage, Ptr]),
    (&["set_robust_list"], &[Ptr, Size]),
    (&["get_robust_list"], &[Pid, Ptr, Ptr]),
    (&["futex", "futex_time64"], &[Ptr, FutexOp, UInt, Ptr, Ptr, UHex]),
    (&["getrandom"], &[Ptr, Size, GrndFlags]),
    (&["arch_prctl"], &[ArchPrctl, Hex]),
    (&["prctl"], &[PrctlOption, Hex, Hex, Hex, Hex]),
    (&["rseq"], &[Ptr, UHex, UHex, UHex]),
    (&["seccomp"], &[UInt, Hex, Ptr]),
    (&["nanosleep"], &[Timespec, Ptr]),
    (
        &["clock_nanosleep", "clock_nanosleep_time64"],
        &[Clock, UHex, Timespec, Ptr],
    ),
    (
        &[
            "clock_gettime",
            "clock_getres",
            "clock_gettime64",
            "clock_getres_time64",
        ],
        &[Clock, Ptr],
    ),
    (&["gettimeofday"], &[Ptr, Ptr]),
    (&["poll"], &[PollFds(1), UInt, Int]),
    (
        &["ppoll", "ppoll_time64"],
        &[PollFds(1), UInt, Timespec, SigSet(4), Size],
    ),
    (&["select", "_newselect"], &[Int, Ptr, Ptr, Ptr, Ptr]),
    (&["pselect6", "pselect6_time64"], &[Int, Ptr, Ptr, Ptr, Ptr, Ptr]),
    (&["epoll_create"], &[Int]),
    (&["epoll_create1"], &[EpollFlags]),
    (&["epoll_ctl"], &[Fd, EpollOp, Fd, Ptr]),
    (&["epoll_wait"], &[Fd, Ptr, Int, Int]),
    (&["epoll_pwait", "epoll_pwait2"], &[Fd, Ptr, Int, Ptr, Ptr, Size]),
    (&["eventfd"], &[UInt]),
    (&["eventfd2"], &[UInt, CloexecFlags]),
    (&["signalfd4"], &[Fd, Ptr, Size, CloexecFlags]),
    (&["timerfd_create"], &[Int, CloexecFlags]),
    (&["inotify_init1"], &[CloexecFlags]),
    (&["inotify_add_watch"], &[Fd, Path, UHex]),
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
    (&["sendmmsg"], &[Fd, Ptr, UInt, UHex]),
    (&["recvmmsg"], &[Fd, Ptr, UInt, UHex, Ptr]),
    (&["shutdown"], &[Fd, Int]),
    (&["setsockopt", "getsockopt"], &[Fd, SockLevel, Int, Ptr, Ptr]),
    (&["sched_getaffinity", "sched_setaffinity"], &[Pid, Size, Ptr]),
    (&["mount"], &[Str, Path, Str, MountFlags, Str]),
    (&["umount2"], &[Path, UmountFlags]),
    (&["sethostname"], &[Buf(1), Size]),
    (&["capget", "capset"], &[Ptr, Ptr]),
    (&["setns"], &[Fd, CloneFlags]),
    (&["unshare"], &[CloneFlags]),
    (&["ptrace"], &[Int, Pid, Ptr, Ptr]),
    (&["alarm"], &[UInt]),
    (&["mlock", "munlock"], &[Ptr, Size]),
    (&["msync"], &[Ptr, Size, UHex]),
    (&["fadvise64"], &[Fd, Long, Long, FadvAdvice]),
    (&["getxattr", "lgetxattr"], &[Path, Str, Ptr, Size]),
    (&["fgetxattr"], &[Fd, Str, Ptr, Size]),
    (&["setxattr", "lsetxattr"], &[Path, Str, Buf(3), Size, XattrFlags]),
    (&["fsetxattr"], &[Fd, Str, Buf(3), Size, XattrFlags]),
    (&["listxattr", "llistxattr"], &[Path, Ptr, Size]),
    (&["flistxattr"], &[Fd, Ptr, Size]),
    (&["removexattr", "lremovexattr"], &[Path, Str]),
    (&["fremovexattr"], &[Fd, Str]),
    (&["sched_getparam", "sched_setparam"], &[Pid, Ptr]),
    (&["sched_getscheduler"], &[Pid]),
    (&["getpriority"], &[Int, Int]),
    (&["setpriority"], &[Int, Int, Int]),
    (&["utime", "utimes"], &[Path, Ptr]),
    (&["futimesat"], &[DirFd, Path, Ptr]),
    (&["timerfd_settime"], &[Fd, Int, Ptr, Ptr]),
    (&["timerfd_gettime"], &[Fd, Ptr]),
    (&["splice"], &[Fd, Ptr, Fd, Ptr, Size, UHex]),
    (&["tee"], &[Fd, Fd, Size, UHex]),
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

/// The argument kinds of this call of `name`: `kinds`, adjusted where the arguments a syscall takes depend
/// on another argument, as strace shows them. `open`/`openat` without `O_CREAT` or `O_TMPFILE` drop the
/// mode; `fcntl` takes a third argument only for the commands that use one, and shows it by command
/// (`F_SETFD` takes `FD_CLOEXEC`, `F_DUPFD` a number, `F_SETFL` `O_*` flags); `ioctl` requests without an
/// argument drop the third, and `FIONBIO`/`FIOASYNC` show the `int` they point to.
pub fn layout(arch: Arch, name: &str, kinds: &'static [Kind], raw: &[u64; 6]) -> Cow<'static, [Kind]> {
    const CREATES: u64 = 0o100 | 0o20000000; // O_CREAT | __O_TMPFILE
    let arg = |index: usize| raw.get(index).copied().unwrap_or(0) & 0xffff_ffff;
    let _ = arch;
    match name {
        // The device number only for character and block devices, as strace shows it.
        "mknod" if !matches!(arg(1) & 0o170000, 0o020000 | 0o060000) => {
            Cow::Borrowed(kinds.get(..2).unwrap_or(kinds))
        }
        "mknodat" if !matches!(arg(2) & 0o170000, 0o020000 | 0o060000) => {
            Cow::Borrowed(kinds.get(..3).unwrap_or(kinds))
        }
        "open" if arg(1) & CREATES == 0 => Cow::Borrowed(kinds.get(..2).unwrap_or(kinds)),
        "openat" if arg(2) & CREATES == 0 => Cow::Borrowed(kinds.get(..3).unwrap_or(kinds)),
        "fcntl" | "fcntl64" => {
            let third = match arg(1) {
                // F_GETFD, F_GETFL, F_GETOWN, F_GETSIG, F_GETLEASE, F_GETPIPE_SZ, F_GET_SEALS
                1 | 3 | 9 | 11 | 1025 | 1032 | 1034 => None,
                // F_DUPFD, F_SETOWN, F_DUPFD_CLOEXEC, F_SETPIPE_SZ
                0 | 8 | 1030 | 1031 => Some(Int),
                2 => Some(FdFlags),
                4 => Some(OpenFlags),
                10 => Some(Signal),
                1024 => Some(Lease),
                1026 => Some(DnFlags),
                1033 => Some(Seals),
                _ => Some(Ptr),
            };
            Cow::Owned([Fd, FcntlCmd].into_iter().chain(third).collect())
        }
        "futex" | "futex_time64" => Cow::Owned(match arg(1) & 127 {
            0 => vec![Ptr, FutexOp, UInt, Timespec],
            1 | 2 => vec![Ptr, FutexOp, UInt],
            3 => vec![Ptr, FutexOp, UInt, UInt, Ptr],
            4 | 12 => vec![Ptr, FutexOp, UInt, UInt, Ptr, UInt],
            6 | 13 => vec![Ptr, FutexOp, Omit, Timespec],
            7 | 8 => vec![Ptr, FutexOp],
            9 => vec![Ptr, FutexOp, UInt, Timespec, Omit, FutexBitset],
            10 => vec![Ptr, FutexOp, UInt, Omit, Omit, FutexBitset],
            11 => vec![Ptr, FutexOp, UInt, Timespec, Ptr],
            _ => kinds.to_vec(),
        }),
        "prctl" => Cow::Owned(match arg(0) {
            // PR_GET_DUMPABLE, PR_GET_KEEPCAPS, PR_GET_TIMING, PR_GET_SECCOMP, PR_GET_SECUREBITS,
            // PR_GET_TIMERSLACK: the option alone.
            3 | 7 | 13 | 21 | 27 | 30 => vec![PrctlOption],
            // PR_GET_PDEATHSIG, PR_GET_NAME, PR_GET_CHILD_SUBREAPER, PR_GET_TID_ADDRESS: an output pointer.
            2 | 16 | 37 | 40 => vec![PrctlOption, Ptr],
            1 => vec![PrctlOption, Signal],
            4 => vec![PrctlOption, Dumpable],
            8 | 29 | 36 => vec![PrctlOption, ULong],
            15 => vec![PrctlOption, Str],
            23 | 24 => vec![PrctlOption, Capability],
            38 | 41 => vec![PrctlOption, ULong, Hex, Hex, Hex],
            _ => kinds.to_vec(),
        }),
        "socket" | "socketpair" => match arg(0) {
            // AF_INET, AF_INET6: the protocol by name.
            2 | 10 => Cow::Owned(
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, &kind)| if i == 2 { IpProto } else { kind })
                    .collect(),
            ),
            _ => Cow::Borrowed(kinds),
        },
        "setsockopt" | "getsockopt" => {
            let option = match arg(1) {
                1 => SoOption,
                6 => TcpOption,
                _ => Int,
            };
            let value = if name == "setsockopt" && arg(4) == 4 {
                IntPtr
            } else {
                Ptr
            };
            let len = if name == "setsockopt" { UInt } else { Ptr };
            Cow::Owned(vec![Fd, SockLevel, option, value, len])
        }
        "ioctl" if arg(1) == 0x4004_9409 => Cow::Owned(vec![Fd, IoctlReq, Fd]),
        "ioctl" => match arg(1) {
            request if super::flags::IOCTL_NO_ARG.contains(&request) => Cow::Owned(vec![Fd, IoctlReq]),
            // FIONBIO, FIOASYNC
            0x5421 | 0x5452 => Cow::Owned(vec![Fd, IoctlReq, IntPtr]),
            _ => Cow::Borrowed(kinds),
        },
        _ => Cow::Borrowed(kinds),
    }
}

/// Names the arguments of the calls strace shows with names: `clone(child_stack=NULL,
/// flags=CLONE_VM|...|SIGCHLD, child_tidptr=0x...)`, the thread-id and TLS pointers shown only when the
/// flags use them. `args` are the decoded arguments in register order.
pub fn name_fields(arch: Arch, name: &str, raw: &[u64; 6], args: Vec<Value>) -> Vec<Value> {
    if name != "clone" || args.len() < 5 {
        return args;
    }
    const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
    const CLONE_PIDFD: u64 = 0x1000;
    const CLONE_SETTLS: u64 = 0x0008_0000;
    const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
    const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
    let flags = raw[0];
    // x86_64 and x32 pass the child tid before TLS; i386 and aarch64 the other way round.
    let (ctid, tls) = match arch {
        Arch::X86_64 | Arch::X32 => (3, 4),
        _ => (4, 3),
    };
    let mut args: Vec<Option<Value>> = args.into_iter().map(Some).collect();
    let mut take = |index: usize| args.get_mut(index).and_then(Option::take).unwrap_or(Value::Null);
    let field = |name: &'static str, value: Value| Value::Field {
        name,
        value: Box::new(value),
    };
    let mut out = vec![field("child_stack", take(1)), field("flags", take(0))];
    if flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
        out.push(field("parent_tid", take(2)));
    }
    if flags & CLONE_SETTLS != 0 {
        out.push(field("tls", take(tls)));
    }
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
        out.push(field("child_tidptr", take(ctid)));
    }
    out
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
    fn argument_counts_are_straces() {
        // Each signature shows as many arguments as strace 6.1 shows for the call (its syscallent.h).
        let mut wrong = Vec::new();
        for (names, kinds) in SIGNATURES {
            for name in *names {
                // i386 splits a 64-bit length into two registers that strace counts and shows as one.
                if ["ftruncate64", "truncate64"].contains(name) {
                    continue;
                }
                match super::super::classes::nargs(name) {
                    Some(count) if count != kinds.len() => {
                        wrong.push(format!("{name}: {} (strace {count})", kinds.len()))
                    }
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn i386_mmap_is_the_old_struct_form() {
        assert_eq!(signature(Arch::I386, "mmap"), Some(&[Kind::Ptr][..]));
        assert_eq!(signature(Arch::X86_64, "mmap").map(<[Kind]>::len), Some(6));
    }
}
