//! Symbolic names for flag sets and enumerations that syscall arguments carry.
//!
//! Values are those of the kernel UAPI headers. x86_64, x32 and i386 share the generic `fcntl.h` values;
//! aarch64 moves four `O_*` bits (`O_DIRECTORY`, `O_NOFOLLOW`, `O_DIRECT`, `O_LARGEFILE`), and `MAP_32BIT`
//! exists only on x86. Everything else here is the same on every supported architecture.

use seccomp_core::arch::Arch;
use std::fmt::Write as _;

/// A named bit or value.
pub type Named = (&'static str, u64);

/// The `O_*` bits that differ between architectures: (O_DIRECT, O_LARGEFILE, O_NOFOLLOW, O_DIRECTORY).
const OPEN_X86: [u64; 4] = [0o40000, 0o100000, 0o400000, 0o200000];
/// The same four bits on aarch64.
const OPEN_AARCH64: [u64; 4] = [0o200000, 0o400000, 0o100000, 0o40000];

/// `O_*` flags (without the access mode, a 2-bit field) of `arch`, in the order strace 6.1 prints them;
/// `O_SYNC` and `O_TMPFILE` are multi-bit names listed before their parts, as strace lists them.
fn open_table(arch: Arch) -> [Named; 19] {
    let [direct, largefile, nofollow, directory] = if arch == Arch::Aarch64 {
        OPEN_AARCH64
    } else {
        OPEN_X86
    };
    [
        ("O_CREAT", 0o100),
        ("O_EXCL", 0o200),
        ("O_NOCTTY", 0o400),
        ("O_TRUNC", 0o1000),
        ("O_APPEND", 0o2000),
        ("O_NONBLOCK", 0o4000),
        ("O_SYNC", 0o4010000),
        ("__O_SYNC", 0o4000000),
        ("O_DSYNC", 0o10000),
        ("O_DIRECT", direct),
        ("O_LARGEFILE", largefile),
        ("O_NOFOLLOW", nofollow),
        ("O_NOATIME", 0o1000000),
        ("O_CLOEXEC", 0o2000000),
        ("O_PATH", 0o10000000),
        ("O_TMPFILE", 0o20000000 | directory),
        ("__O_TMPFILE", 0o20000000),
        ("O_DIRECTORY", directory),
        ("FASYNC", 0o20000),
    ]
}

/// `AT_*` flags of the `*at` calls.
pub const AT: &[Named] = &[
    ("AT_SYMLINK_NOFOLLOW", 0x100),
    ("AT_REMOVEDIR", 0x200),
    ("AT_SYMLINK_FOLLOW", 0x400),
    ("AT_NO_AUTOMOUNT", 0x800),
    ("AT_EMPTY_PATH", 0x1000),
    ("AT_STATX_FORCE_SYNC", 0x2000),
    ("AT_STATX_DONT_SYNC", 0x4000),
    ("AT_RECURSIVE", 0x8000),
];

/// `AT_*` flags of `faccessat2` (0x200 is `AT_EACCESS` there).
pub const AT_ACCESS: &[Named] = &[
    ("AT_SYMLINK_NOFOLLOW", 0x100),
    ("AT_EACCESS", 0x200),
    ("AT_EMPTY_PATH", 0x1000),
];

/// `PROT_*`.
pub const PROT: &[Named] = &[
    ("PROT_READ", 1),
    ("PROT_WRITE", 2),
    ("PROT_EXEC", 4),
    ("PROT_SEM", 8),
    ("PROT_GROWSDOWN", 0x0100_0000),
    ("PROT_GROWSUP", 0x0200_0000),
];

/// `MAP_*` flags (without the 4-bit type field).
const MAP_COMMON: &[Named] = &[
    ("MAP_FIXED", 0x10),
    ("MAP_ANONYMOUS", 0x20),
    ("MAP_GROWSDOWN", 0x100),
    ("MAP_DENYWRITE", 0x800),
    ("MAP_EXECUTABLE", 0x1000),
    ("MAP_LOCKED", 0x2000),
    ("MAP_NORESERVE", 0x4000),
    ("MAP_POPULATE", 0x8000),
    ("MAP_NONBLOCK", 0x10000),
    ("MAP_STACK", 0x20000),
    ("MAP_HUGETLB", 0x40000),
    ("MAP_SYNC", 0x80000),
    ("MAP_FIXED_NOREPLACE", 0x10_0000),
    ("MAP_UNINITIALIZED", 0x400_0000),
];

/// The values of the `MAP_*` type field (`MAP_TYPE`, the low 4 bits).
const MAP_TYPES: &[Named] = &[
    ("MAP_SHARED", 1),
    ("MAP_PRIVATE", 2),
    ("MAP_SHARED_VALIDATE", 3),
    ("MAP_DROPPABLE", 8),
];

/// `CLONE_*` flags (the low byte is the exit signal).
pub const CLONE: &[Named] = &[
    ("CLONE_NEWTIME", 0x80),
    ("CLONE_VM", 0x100),
    ("CLONE_FS", 0x200),
    ("CLONE_FILES", 0x400),
    ("CLONE_SIGHAND", 0x800),
    ("CLONE_PIDFD", 0x1000),
    ("CLONE_PTRACE", 0x2000),
    ("CLONE_VFORK", 0x4000),
    ("CLONE_PARENT", 0x8000),
    ("CLONE_THREAD", 0x10000),
    ("CLONE_NEWNS", 0x20000),
    ("CLONE_SYSVSEM", 0x40000),
    ("CLONE_SETTLS", 0x80000),
    ("CLONE_PARENT_SETTID", 0x10_0000),
    ("CLONE_CHILD_CLEARTID", 0x20_0000),
    ("CLONE_DETACHED", 0x40_0000),
    ("CLONE_UNTRACED", 0x80_0000),
    ("CLONE_CHILD_SETTID", 0x100_0000),
    ("CLONE_NEWCGROUP", 0x200_0000),
    ("CLONE_NEWUTS", 0x400_0000),
    ("CLONE_NEWIPC", 0x800_0000),
    ("CLONE_NEWUSER", 0x1000_0000),
    ("CLONE_NEWPID", 0x2000_0000),
    ("CLONE_NEWNET", 0x4000_0000),
    ("CLONE_IO", 0x8000_0000),
];

/// Address families (`AF_*`).
pub const AF: &[Named] = &[
    ("AF_UNSPEC", 0),
    ("AF_UNIX", 1),
    ("AF_INET", 2),
    ("AF_AX25", 3),
    ("AF_IPX", 4),
    ("AF_APPLETALK", 5),
    ("AF_INET6", 10),
    ("AF_KEY", 15),
    ("AF_NETLINK", 16),
    ("AF_PACKET", 17),
    ("AF_CAN", 29),
    ("AF_BLUETOOTH", 31),
    ("AF_ALG", 38),
    ("AF_VSOCK", 40),
    ("AF_XDP", 44),
];

/// Socket types (`SOCK_*`, the low 4 bits of `socket`'s type argument).
const SOCK_TYPES: &[Named] = &[
    ("SOCK_STREAM", 1),
    ("SOCK_DGRAM", 2),
    ("SOCK_RAW", 3),
    ("SOCK_RDM", 4),
    ("SOCK_SEQPACKET", 5),
    ("SOCK_DCCP", 6),
    ("SOCK_PACKET", 10),
];

/// Flags accompanying a socket type, and `accept4`'s flags.
pub const SOCK_FLAGS: &[Named] = &[("SOCK_CLOEXEC", 0o2000000), ("SOCK_NONBLOCK", 0o4000)];

/// Signals (the same numbers on x86 and aarch64).
pub const SIGNALS: &[Named] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

/// `lseek` whence.
pub const SEEK: &[Named] = &[
    ("SEEK_SET", 0),
    ("SEEK_CUR", 1),
    ("SEEK_END", 2),
    ("SEEK_DATA", 3),
    ("SEEK_HOLE", 4),
];

/// `access` modes (0 is `F_OK`).
pub const ACCESS: &[Named] = &[("R_OK", 4), ("W_OK", 2), ("X_OK", 1)];

/// `fcntl` commands.
pub const FCNTL: &[Named] = &[
    ("F_DUPFD", 0),
    ("F_GETFD", 1),
    ("F_SETFD", 2),
    ("F_GETFL", 3),
    ("F_SETFL", 4),
    ("F_GETLK", 5),
    ("F_SETLK", 6),
    ("F_SETLKW", 7),
    ("F_SETOWN", 8),
    ("F_GETOWN", 9),
    ("F_SETSIG", 10),
    ("F_GETSIG", 11),
    ("F_SETOWN_EX", 15),
    ("F_GETOWN_EX", 16),
    ("F_OFD_GETLK", 36),
    ("F_OFD_SETLK", 37),
    ("F_OFD_SETLKW", 38),
    ("F_SETLEASE", 1024),
    ("F_GETLEASE", 1025),
    ("F_NOTIFY", 1026),
    ("F_DUPFD_CLOEXEC", 1030),
    ("F_SETPIPE_SZ", 1031),
    ("F_GETPIPE_SZ", 1032),
    ("F_ADD_SEALS", 1033),
    ("F_GET_SEALS", 1034),
];

/// `rt_sigprocmask` how.
pub const SIG_HOW: &[Named] = &[("SIG_BLOCK", 0), ("SIG_UNBLOCK", 1), ("SIG_SETMASK", 2)];

/// `prctl` options (the common ones).
pub const PRCTL: &[Named] = &[
    ("PR_SET_PDEATHSIG", 1),
    ("PR_GET_PDEATHSIG", 2),
    ("PR_GET_DUMPABLE", 3),
    ("PR_SET_DUMPABLE", 4),
    ("PR_GET_KEEPCAPS", 7),
    ("PR_SET_KEEPCAPS", 8),
    ("PR_SET_NAME", 15),
    ("PR_GET_NAME", 16),
    ("PR_GET_SECCOMP", 21),
    ("PR_SET_SECCOMP", 22),
    ("PR_CAPBSET_READ", 23),
    ("PR_CAPBSET_DROP", 24),
    ("PR_GET_SECUREBITS", 27),
    ("PR_SET_SECUREBITS", 28),
    ("PR_SET_TIMERSLACK", 29),
    ("PR_GET_TIMERSLACK", 30),
    ("PR_SET_MM", 35),
    ("PR_SET_CHILD_SUBREAPER", 36),
    ("PR_GET_CHILD_SUBREAPER", 37),
    ("PR_SET_NO_NEW_PRIVS", 38),
    ("PR_GET_NO_NEW_PRIVS", 39),
    ("PR_GET_TID_ADDRESS", 40),
    ("PR_SET_THP_DISABLE", 41),
    ("PR_GET_THP_DISABLE", 42),
    ("PR_CAP_AMBIENT", 47),
    ("PR_SVE_SET_VL", 50),
    ("PR_SVE_GET_VL", 51),
    ("PR_GET_SPECULATION_CTRL", 52),
    ("PR_SET_SPECULATION_CTRL", 53),
    ("PR_PAC_RESET_KEYS", 54),
    ("PR_SET_TAGGED_ADDR_CTRL", 55),
    ("PR_GET_TAGGED_ADDR_CTRL", 56),
    ("PR_SET_VMA", 0x53564d41),
];

/// `futex` operations (the low 7 bits; `FUTEX_PRIVATE_FLAG` 128 and `FUTEX_CLOCK_REALTIME` 256 above).
const FUTEX_OPS: &[Named] = &[
    ("FUTEX_WAIT", 0),
    ("FUTEX_WAKE", 1),
    ("FUTEX_FD", 2),
    ("FUTEX_REQUEUE", 3),
    ("FUTEX_CMP_REQUEUE", 4),
    ("FUTEX_WAKE_OP", 5),
    ("FUTEX_LOCK_PI", 6),
    ("FUTEX_UNLOCK_PI", 7),
    ("FUTEX_TRYLOCK_PI", 8),
    ("FUTEX_WAIT_BITSET", 9),
    ("FUTEX_WAKE_BITSET", 10),
    ("FUTEX_WAIT_REQUEUE_PI", 11),
    ("FUTEX_CMP_REQUEUE_PI", 12),
    ("FUTEX_LOCK_PI2", 13),
];

/// `*_CLOEXEC` / `*_NONBLOCK` flags of `pipe2`, `dup3`, `eventfd2`, `signalfd4`, `inotify_init1`,
/// `epoll_create1` (`EPOLL_CLOEXEC` is `O_CLOEXEC`), `timerfd_create` (same bits).
pub const CLOEXEC_NONBLOCK: &[Named] = &[("O_NONBLOCK", 0o4000), ("O_CLOEXEC", 0o2000000)];

/// `memfd_create` flags.
pub const MFD: &[Named] = &[
    ("MFD_CLOEXEC", 1),
    ("MFD_ALLOW_SEALING", 2),
    ("MFD_HUGETLB", 4),
    ("MFD_NOEXEC_SEAL", 8),
    ("MFD_EXEC", 0x10),
];

/// `getrandom` flags.
pub const GRND: &[Named] = &[("GRND_NONBLOCK", 1), ("GRND_RANDOM", 2), ("GRND_INSECURE", 4)];

/// `wait4`/`waitid` options.
pub const WAIT: &[Named] = &[
    ("WNOHANG", 1),
    ("WUNTRACED", 2),
    ("WEXITED", 4),
    ("WCONTINUED", 8),
    ("WNOWAIT", 0x0100_0000),
    ("__WNOTHREAD", 0x2000_0000),
    ("__WALL", 0x4000_0000),
    ("__WCLONE", 0x8000_0000),
];

/// `madvise` advice.
pub const MADV: &[Named] = &[
    ("MADV_NORMAL", 0),
    ("MADV_RANDOM", 1),
    ("MADV_SEQUENTIAL", 2),
    ("MADV_WILLNEED", 3),
    ("MADV_DONTNEED", 4),
    ("MADV_FREE", 8),
    ("MADV_REMOVE", 9),
    ("MADV_DONTFORK", 10),
    ("MADV_DOFORK", 11),
    ("MADV_MERGEABLE", 12),
    ("MADV_UNMERGEABLE", 13),
    ("MADV_HUGEPAGE", 14),
    ("MADV_NOHUGEPAGE", 15),
    ("MADV_DONTDUMP", 16),
    ("MADV_DODUMP", 17),
    ("MADV_WIPEONFORK", 18),
    ("MADV_KEEPONFORK", 19),
    ("MADV_COLD", 20),
    ("MADV_PAGEOUT", 21),
    ("MADV_POPULATE_READ", 22),
    ("MADV_POPULATE_WRITE", 23),
    ("MADV_DONTNEED_LOCKED", 24),
    ("MADV_COLLAPSE", 25),
    ("MADV_HWPOISON", 100),
];

/// `arch_prctl` codes (x86).
pub const ARCH_PRCTL: &[Named] = &[
    ("ARCH_SET_GS", 0x1001),
    ("ARCH_SET_FS", 0x1002),
    ("ARCH_GET_FS", 0x1003),
    ("ARCH_GET_GS", 0x1004),
    ("ARCH_GET_CPUID", 0x1011),
    ("ARCH_SET_CPUID", 0x1012),
    ("ARCH_GET_XCOMP_SUPP", 0x1021),
    ("ARCH_GET_XCOMP_PERM", 0x1022),
    ("ARCH_REQ_XCOMP_PERM", 0x1023),
    ("ARCH_SHSTK_ENABLE", 0x5001),
    ("ARCH_SHSTK_DISABLE", 0x5002),
    ("ARCH_SHSTK_STATUS", 0x5005),
];

/// The value of an enumeration, or the number when it is none of them.
pub fn enumeration(table: &[Named], value: u64) -> String {
    table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or_else(|| value.to_string(), |(name, _)| (*name).to_owned())
}

/// The bits of `value` as `A|B|C`, with unknown bits appended in hex; `0` when no bit is set.
pub fn bits(table: &[Named], value: u64) -> String {
    let mut out = String::new();
    let rest = push_bits(&mut out, table, value);
    finish(out, rest)
}

/// Appends the names of the known bits of `value` to `out` (`|`-separated) and returns the unknown rest.
fn push_bits(out: &mut String, table: &[Named], value: u64) -> u64 {
    let mut rest = value;
    for &(name, bit) in table {
        if bit != 0 && rest & bit == bit {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            rest &= !bit;
        }
    }
    rest
}

/// Appends an unknown rest in hex, and gives `0` for an empty result.
fn finish(mut out: String, rest: u64) -> String {
    if rest != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
    if out.is_empty() {
        out.push('0');
    }
    out
}

/// `open`/`openat` flags: the access mode, then the flag bits of `arch`.
pub fn open_flags(arch: Arch, value: u64) -> String {
    let mut out = String::from(match value & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    });
    let rest = push_bits(&mut out, &open_table(arch), value & !3);
    finish(out, rest)
}

/// `mmap` flags: the type, then the flag bits (`MAP_32BIT` on x86).
pub fn map_flags(arch: Arch, value: u64) -> String {
    let mut out = enumeration(MAP_TYPES, value & 0xf);
    if value & 0xf == 0 {
        out.clear();
    }
    let mut rest = push_bits(&mut out, MAP_COMMON, value & !0xf);
    if arch != Arch::Aarch64 && rest & 0x40 != 0 {
        out.push_str(if out.is_empty() { "MAP_32BIT" } else { "|MAP_32BIT" });
        rest &= !0x40;
    }
    finish(out, rest)
}

/// `mmap`/`mprotect` protection: `PROT_NONE` for 0.
pub fn prot(value: u64) -> String {
    if value == 0 {
        return "PROT_NONE".to_owned();
    }
    bits(PROT, value)
}

/// `clone` flags: the bits, and the exit signal in the low byte.
pub fn clone_flags(value: u64) -> String {
    let mut out = String::new();
    let rest = push_bits(&mut out, CLONE, value & !0xff);
    let signal = value & 0xff;
    if signal != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(&enumeration(SIGNALS, signal));
    }
    finish(out, rest)
}

/// `socket` type: the type and `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
pub fn socket_type(value: u64) -> String {
    let mut out = enumeration(SOCK_TYPES, value & 0xf);
    let rest = push_bits(&mut out, SOCK_FLAGS, value & !0xf);
    finish(out, rest)
}

/// `access` mode: `F_OK` for 0.
pub fn access_mode(value: u64) -> String {
    if value == 0 {
        return "F_OK".to_owned();
    }
    bits(ACCESS, value)
}

/// `futex` operation with its private and realtime flags.
pub fn futex_op(value: u64) -> String {
    let mut out = enumeration(FUTEX_OPS, value & 0x7f);
    if value & 128 != 0 {
        out.push_str("_PRIVATE");
    }
    if value & 256 != 0 {
        out.push_str("|FUTEX_CLOCK_REALTIME");
    }
    let rest = value & !0x1ff;
    if rest != 0 {
        let _ = write!(out, "|{rest:#x}");
    }
    out
}

/// The first real-time signal as the kernel numbers it (`SIGRTMIN`; glibc reserves 32 and 33 itself).
const SIGRTMIN: u64 = 32;
/// The last signal on the supported architectures (`_NSIG` is 64).
const SIGRTMAX: u64 = 64;

/// A signal's name as strace writes it (`SIGRTMIN` for 32, `SIGRT_n` for 32 + n), or its number.
pub fn signal(value: u64) -> String {
    match value {
        SIGRTMIN => "SIGRTMIN".to_owned(),
        n if n > SIGRTMIN && n <= SIGRTMAX => format!("SIGRT_{}", n - SIGRTMIN),
        n => enumeration(SIGNALS, n),
    }
}

/// A signal set of `bytes` (at most 8 used, as the kernel's `sigset_t` on these architectures) as strace
/// writes it: `[INT TERM]` (names without `SIG`, `RTMIN`, `RT_n`), and `~[...]` listing the signals *not*
/// in the set when two thirds or more of its bits are set.
pub fn sigset(bytes: &[u8]) -> String {
    let used = bytes.get(..bytes.len().min(8)).unwrap_or(&[]);
    let words = used.len().div_ceil(4);
    let mut raw = [0u8; 8];
    if let Some(slot) = raw.get_mut(..used.len()) {
        slot.copy_from_slice(used);
    }
    let bits = (words * 32) as u32;
    let mask = if bits == 0 {
        0
    } else {
        u64::from_le_bytes(raw) & (u64::MAX >> (64 - bits))
    };
    let (mask, mut out) = if words > 0 && mask.count_ones() >= bits * 2 / 3 {
        (!mask & (u64::MAX >> (64 - bits)), String::from("~["))
    } else {
        (mask, String::from("["))
    };
    let mut first = true;
    for bit in 0..bits {
        if mask & (1u64 << bit) == 0 {
            continue;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        let number = u64::from(bit) + 1;
        let name = signal(number);
        match name.strip_prefix("SIG") {
            Some(short) => out.push_str(short),
            None => out.push_str(&name),
        }
    }
    out.push(']');
    out
}

/// `sa_flags` of `struct sigaction`, in strace's order.
pub const SA: &[Named] = &[
    ("SA_RESTORER", 0x0400_0000),
    ("SA_ONSTACK", 0x0800_0000),
    ("SA_RESTART", 0x1000_0000),
    ("SA_NODEFER", 0x4000_0000),
    ("SA_RESETHAND", 0x8000_0000),
    ("SA_SIGINFO", 4),
    ("SA_NOCLDSTOP", 1),
    ("SA_NOCLDWAIT", 2),
];

/// The `SA_RESTORER` bit: `sa_restorer` is shown only when it is set.
pub const SA_RESTORER: u64 = 0x0400_0000;

/// `fcntl(F_SETFD)` flags.
pub const FD_FLAGS: &[Named] = &[("FD_CLOEXEC", 1)];

/// `fcntl(F_NOTIFY)` flags.
pub const DN: &[Named] = &[
    ("DN_ACCESS", 1),
    ("DN_MODIFY", 2),
    ("DN_CREATE", 4),
    ("DN_DELETE", 8),
    ("DN_RENAME", 0x10),
    ("DN_ATTRIB", 0x20),
    ("DN_MULTISHOT", 0x8000_0000),
];

/// `fcntl(F_ADD_SEALS)` seals.
pub const SEALS: &[Named] = &[
    ("F_SEAL_SEAL", 1),
    ("F_SEAL_SHRINK", 2),
    ("F_SEAL_GROW", 4),
    ("F_SEAL_WRITE", 8),
    ("F_SEAL_FUTURE_WRITE", 0x10),
    ("F_SEAL_EXEC", 0x20),
];

/// `fcntl(F_SETLEASE)` lease types.
pub const LEASE: &[Named] = &[("F_RDLCK", 0), ("F_WRLCK", 1), ("F_UNLCK", 2)];

/// `ioctl` requests seccompctl names: terminals, `FIO*`, and a few file system ones (the values are the
/// same on x86 and aarch64).
pub const IOCTL: &[Named] = &[
    ("TCGETS", 0x5401),
    ("TCSETS", 0x5402),
    ("TCSETSW", 0x5403),
    ("TCSETSF", 0x5404),
    ("TCGETA", 0x5405),
    ("TCSETA", 0x5406),
    ("TCSETAW", 0x5407),
    ("TCSETAF", 0x5408),
    ("TCSBRK", 0x5409),
    ("TCXONC", 0x540a),
    ("TCFLSH", 0x540b),
    ("TIOCEXCL", 0x540c),
    ("TIOCNXCL", 0x540d),
    ("TIOCSCTTY", 0x540e),
    ("TIOCGPGRP", 0x540f),
    ("TIOCSPGRP", 0x5410),
    ("TIOCOUTQ", 0x5411),
    ("TIOCSTI", 0x5412),
    ("TIOCGWINSZ", 0x5413),
    ("TIOCSWINSZ", 0x5414),
    ("TIOCMGET", 0x5415),
    ("TIOCMBIS", 0x5416),
    ("TIOCMBIC", 0x5417),
    ("TIOCMSET", 0x5418),
    ("TIOCGSOFTCAR", 0x5419),
    ("TIOCSSOFTCAR", 0x541a),
    ("FIONREAD", 0x541b),
    ("TIOCLINUX", 0x541c),
    ("TIOCCONS", 0x541d),
    ("TIOCGSERIAL", 0x541e),
    ("TIOCSSERIAL", 0x541f),
    ("TIOCPKT", 0x5420),
    ("FIONBIO", 0x5421),
    ("TIOCNOTTY", 0x5422),
    ("TIOCSETD", 0x5423),
    ("TIOCGETD", 0x5424),
    ("TCSBRKP", 0x5425),
    ("TIOCSBRK", 0x5427),
    ("TIOCCBRK", 0x5428),
    ("TIOCGSID", 0x5429),
    ("TCGETS2", 0x802c_542a),
    ("TCSETS2", 0x402c_542b),
    ("TIOCGPTN", 0x8004_5430),
    ("TIOCSPTLCK", 0x4004_5431),
    ("TIOCGDEV", 0x8004_5432),
    ("TIOCSIG", 0x4004_5436),
    ("TIOCVHANGUP", 0x5437),
    ("TIOCGPKT", 0x8004_5438),
    ("TIOCGPTLCK", 0x8004_5439),
    ("TIOCGEXCL", 0x8004_5440),
    ("TIOCGPTPEER", 0x5441),
    ("FIONCLEX", 0x5450),
    ("FIOCLEX", 0x5451),
    ("FIOASYNC", 0x5452),
    ("TIOCSERCONFIG", 0x5453),
    ("TIOCSERGWILD", 0x5454),
    ("TIOCSERSWILD", 0x5455),
    ("TIOCGLCKTRMIOS", 0x5456),
    ("TIOCSLCKTRMIOS", 0x5457),
    ("TIOCSERGSTRUCT", 0x5458),
    ("TIOCSERGETLSR", 0x5459),
    ("TIOCSERGETMULTI", 0x545a),
    ("TIOCSERSETMULTI", 0x545b),
    ("TIOCMIWAIT", 0x545c),
    ("TIOCGICOUNT", 0x545d),
    ("FIOQSIZE", 0x5460),
    ("FIGETBSZ", 2),
    ("FIBMAP", 1),
    ("BTRFS_IOC_CLONE or FICLONE", 0x4004_9409),
    ("FICLONERANGE", 0x4020_940d),
    ("FIDEDUPERANGE", 0xc018_9436),
    ("FS_IOC_GETFLAGS", 0x8008_6601),
    ("FS_IOC_SETFLAGS", 0x4008_6602),
    ("FS_IOC_GETVERSION", 0x8008_7601),
    ("FS_IOC_FIEMAP", 0xc020_660b),
    ("BLKGETSIZE64", 0x8008_1272),
    ("BLKSSZGET", 0x1268),
    ("SIOCGIFCONF", 0x8912),
    ("SIOCGIFFLAGS", 0x8913),
    ("SIOCSIFFLAGS", 0x8914),
    ("SIOCGIFADDR", 0x8915),
    ("SIOCGIFMTU", 0x8921),
    ("SIOCGIFHWADDR", 0x8927),
    ("SIOCGIFINDEX", 0x8933),
    ("SIOCGIFNAME", 0x8910),
];

/// `ioctl` requests that take no third argument (strace shows two).
pub const IOCTL_NO_ARG: &[u64] = &[0x5450, 0x5451, 0x540c, 0x540d, 0x5422, 0x5437];

/// The name of an `ioctl` request, or its number in hex.
pub fn ioctl_request(value: u64) -> String {
    IOCTL
        .iter()
        .find(|(_, v)| *v == value)
        .map_or_else(|| format!("{value:#x}"), |(name, _)| (*name).to_owned())
}

/// `RLIMIT_*` resources.
pub const RLIMIT: &[Named] = &[
    ("RLIMIT_CPU", 0),
    ("RLIMIT_FSIZE", 1),
    ("RLIMIT_DATA", 2),
    ("RLIMIT_STACK", 3),
    ("RLIMIT_CORE", 4),
    ("RLIMIT_RSS", 5),
    ("RLIMIT_NPROC", 6),
    ("RLIMIT_NOFILE", 7),
    ("RLIMIT_MEMLOCK", 8),
    ("RLIMIT_AS", 9),
    ("RLIMIT_LOCKS", 10),
    ("RLIMIT_SIGPENDING", 11),
    ("RLIMIT_MSGQUEUE", 12),
    ("RLIMIT_NICE", 13),
    ("RLIMIT_RTPRIO", 14),
    ("RLIMIT_RTTIME", 15),
];

/// One `rlim_t` as strace writes it: `RLIM64_INFINITY`, `8192*1024` for multiples of 1024, else decimal.
pub fn rlim(value: u64) -> String {
    if value == u64::MAX {
        "RLIM64_INFINITY".to_owned()
    } else if value > 0 && value.is_multiple_of(1024) {
        format!("{}*1024", value / 1024)
    } else {
        value.to_string()
    }
}

/// `statx` masks, in strace's order (the composite names first).
pub const STATX: &[Named] = &[
    ("STATX_ALL", 0xfff),
    ("STATX_BASIC_STATS", 0x7ff),
    ("STATX_TYPE", 1),
    ("STATX_MODE", 2),
    ("STATX_NLINK", 4),
    ("STATX_UID", 8),
    ("STATX_GID", 0x10),
    ("STATX_ATIME", 0x20),
    ("STATX_MTIME", 0x40),
    ("STATX_CTIME", 0x80),
    ("STATX_INO", 0x100),
    ("STATX_SIZE", 0x200),
    ("STATX_BLOCKS", 0x400),
    ("STATX_BTIME", 0x800),
    ("STATX_MNT_ID", 0x1000),
    ("STATX_DIOALIGN", 0x2000),
];

/// `statx` flags: the sync type (a 2-bit field, `AT_STATX_SYNC_AS_STAT` when 0), then the `AT_*` bits.
pub fn statx_flags(value: u64) -> String {
    let mut out = String::from(match value & 0x6000 {
        0 => "AT_STATX_SYNC_AS_STAT",
        0x2000 => "AT_STATX_FORCE_SYNC",
        0x4000 => "AT_STATX_DONT_SYNC",
        _ => "AT_STATX_SYNC_TYPE",
    });
    let rest = push_bits(&mut out, AT, value & !0x6000);
    finish(out, rest)
}

/// `posix_fadvise` advice (x86 and aarch64 values).
pub const FADV: &[Named] = &[
    ("POSIX_FADV_NORMAL", 0),
    ("POSIX_FADV_RANDOM", 1),
    ("POSIX_FADV_SEQUENTIAL", 2),
    ("POSIX_FADV_WILLNEED", 3),
    ("POSIX_FADV_DONTNEED", 4),
    ("POSIX_FADV_NOREUSE", 5),
];

/// `setxattr` flags.
pub const XATTR: &[Named] = &[("XATTR_CREATE", 1), ("XATTR_REPLACE", 2)];

/// `clock_*` clock ids.
pub const CLOCKS: &[Named] = &[
    ("CLOCK_REALTIME", 0),
    ("CLOCK_MONOTONIC", 1),
    ("CLOCK_PROCESS_CPUTIME_ID", 2),
    ("CLOCK_THREAD_CPUTIME_ID", 3),
    ("CLOCK_MONOTONIC_RAW", 4),
    ("CLOCK_REALTIME_COARSE", 5),
    ("CLOCK_MONOTONIC_COARSE", 6),
    ("CLOCK_BOOTTIME", 7),
    ("CLOCK_REALTIME_ALARM", 8),
    ("CLOCK_BOOTTIME_ALARM", 9),
    ("CLOCK_TAI", 11),
];

/// `getrusage` who.
pub const RUSAGE: &[Named] = &[
    ("RUSAGE_SELF", 0),
    ("RUSAGE_CHILDREN", u32::MAX as u64),
    ("RUSAGE_THREAD", 1),
];

/// `epoll_ctl` operations.
pub const EPOLL_CTL: &[Named] = &[("EPOLL_CTL_ADD", 1), ("EPOLL_CTL_DEL", 2), ("EPOLL_CTL_MOD", 3)];

/// Capabilities (`CAP_*`).
pub const CAPS: &[Named] = &[
    ("CAP_CHOWN", 0),
    ("CAP_DAC_OVERRIDE", 1),
    ("CAP_DAC_READ_SEARCH", 2),
    ("CAP_FOWNER", 3),
    ("CAP_FSETID", 4),
    ("CAP_KILL", 5),
    ("CAP_SETGID", 6),
    ("CAP_SETUID", 7),
    ("CAP_SETPCAP", 8),
    ("CAP_LINUX_IMMUTABLE", 9),
    ("CAP_NET_BIND_SERVICE", 10),
    ("CAP_NET_BROADCAST", 11),
    ("CAP_NET_ADMIN", 12),
    ("CAP_NET_RAW", 13),
    ("CAP_IPC_LOCK", 14),
    ("CAP_IPC_OWNER", 15),
    ("CAP_SYS_MODULE", 16),
    ("CAP_SYS_RAWIO", 17),
    ("CAP_SYS_CHROOT", 18),
    ("CAP_SYS_PTRACE", 19),
    ("CAP_SYS_PACCT", 20),
    ("CAP_SYS_ADMIN", 21),
    ("CAP_SYS_BOOT", 22),
    ("CAP_SYS_NICE", 23),
    ("CAP_SYS_RESOURCE", 24),
    ("CAP_SYS_TIME", 25),
    ("CAP_SYS_TTY_CONFIG", 26),
    ("CAP_MKNOD", 27),
    ("CAP_LEASE", 28),
    ("CAP_AUDIT_WRITE", 29),
    ("CAP_AUDIT_CONTROL", 30),
    ("CAP_SETFCAP", 31),
    ("CAP_MAC_OVERRIDE", 32),
    ("CAP_MAC_ADMIN", 33),
    ("CAP_SYSLOG", 34),
    ("CAP_WAKE_ALARM", 35),
    ("CAP_BLOCK_SUSPEND", 36),
    ("CAP_AUDIT_READ", 37),
    ("CAP_PERFMON", 38),
    ("CAP_BPF", 39),
    ("CAP_CHECKPOINT_RESTORE", 40),
];

/// `prctl(PR_SET_DUMPABLE)` values.
pub const DUMPABLE: &[Named] = &[
    ("SUID_DUMP_DISABLE", 0),
    ("SUID_DUMP_USER", 1),
    ("SUID_DUMP_ROOT", 2),
];

/// `futex` bitsets with a name.
pub const FUTEX_BITSET: &[Named] = &[("FUTEX_BITSET_MATCH_ANY", 0xffff_ffff)];

/// `renameat2` flags.
pub const RENAME: &[Named] = &[
    ("RENAME_NOREPLACE", 1),
    ("RENAME_EXCHANGE", 2),
    ("RENAME_WHITEOUT", 4),
];

/// `epoll_create1` flags.
pub const EPOLL_FLAGS: &[Named] = &[("EPOLL_CLOEXEC", 0o2000000)];

/// IP protocols (`socket`'s third argument for `AF_INET`/`AF_INET6`).
pub const IPPROTO: &[Named] = &[
    ("IPPROTO_IP", 0),
    ("IPPROTO_ICMP", 1),
    ("IPPROTO_IGMP", 2),
    ("IPPROTO_TCP", 6),
    ("IPPROTO_UDP", 17),
    ("IPPROTO_IPV6", 41),
    ("IPPROTO_GRE", 47),
    ("IPPROTO_ICMPV6", 58),
    ("IPPROTO_SCTP", 132),
    ("IPPROTO_UDPLITE", 136),
    ("IPPROTO_RAW", 255),
    ("IPPROTO_MPTCP", 262),
];

/// `SOL_SOCKET` options (the same numbers on x86 and aarch64).
pub const SO: &[Named] = &[
    ("SO_DEBUG", 1),
    ("SO_REUSEADDR", 2),
    ("SO_TYPE", 3),
    ("SO_ERROR", 4),
    ("SO_DONTROUTE", 5),
    ("SO_BROADCAST", 6),
    ("SO_SNDBUF", 7),
    ("SO_RCVBUF", 8),
    ("SO_KEEPALIVE", 9),
    ("SO_OOBINLINE", 10),
    ("SO_NO_CHECK", 11),
    ("SO_PRIORITY", 12),
    ("SO_LINGER", 13),
    ("SO_BSDCOMPAT", 14),
    ("SO_REUSEPORT", 15),
    ("SO_PASSCRED", 16),
    ("SO_PEERCRED", 17),
    ("SO_RCVLOWAT", 18),
    ("SO_SNDLOWAT", 19),
    ("SO_RCVTIMEO_OLD", 20),
    ("SO_SNDTIMEO_OLD", 21),
    ("SO_BINDTODEVICE", 25),
    ("SO_ATTACH_FILTER", 26),
    ("SO_DETACH_FILTER", 27),
    ("SO_PEERNAME", 28),
    ("SO_TIMESTAMP_OLD", 29),
    ("SO_ACCEPTCONN", 30),
    ("SO_PEERSEC", 31),
    ("SO_SNDBUFFORCE", 32),
    ("SO_RCVBUFFORCE", 33),
    ("SO_PASSSEC", 34),
    ("SO_MARK", 36),
    ("SO_PROTOCOL", 38),
    ("SO_DOMAIN", 39),
    ("SO_RXQ_OVFL", 40),
    ("SO_PEEK_OFF", 42),
    ("SO_BUSY_POLL", 46),
    ("SO_INCOMING_CPU", 49),
    ("SO_ZEROCOPY", 60),
];

/// `SOL_TCP` options (the common ones).
pub const TCP_OPTS: &[Named] = &[
    ("TCP_NODELAY", 1),
    ("TCP_MAXSEG", 2),
    ("TCP_CORK", 3),
    ("TCP_KEEPIDLE", 4),
    ("TCP_KEEPINTVL", 5),
    ("TCP_KEEPCNT", 6),
    ("TCP_SYNCNT", 7),
    ("TCP_LINGER2", 8),
    ("TCP_DEFER_ACCEPT", 9),
    ("TCP_WINDOW_CLAMP", 10),
    ("TCP_INFO", 11),
    ("TCP_QUICKACK", 12),
    ("TCP_CONGESTION", 13),
    ("TCP_FASTOPEN", 23),
    ("TCP_USER_TIMEOUT", 18),
];

/// `poll` events.
pub const POLL: &[Named] = &[
    ("POLLIN", 1),
    ("POLLPRI", 2),
    ("POLLOUT", 4),
    ("POLLERR", 8),
    ("POLLHUP", 0x10),
    ("POLLNVAL", 0x20),
    ("POLLRDNORM", 0x40),
    ("POLLRDBAND", 0x80),
    ("POLLWRNORM", 0x100),
    ("POLLWRBAND", 0x200),
    ("POLLMSG", 0x400),
    ("POLLRDHUP", 0x2000),
];

/// `sigaltstack` flags.
pub const SS: &[Named] = &[
    ("SS_ONSTACK", 1),
    ("SS_DISABLE", 2),
    ("SS_AUTODISARM", 0x8000_0000),
];

/// `mount` flags (`MS_*`).
pub const MS: &[Named] = &[
    ("MS_RDONLY", 1),
    ("MS_NOSUID", 2),
    ("MS_NODEV", 4),
    ("MS_NOEXEC", 8),
    ("MS_SYNCHRONOUS", 0x10),
    ("MS_REMOUNT", 0x20),
    ("MS_MANDLOCK", 0x40),
    ("MS_DIRSYNC", 0x80),
    ("MS_NOSYMFOLLOW", 0x100),
    ("MS_NOATIME", 0x400),
    ("MS_NODIRATIME", 0x800),
    ("MS_BIND", 0x1000),
    ("MS_MOVE", 0x2000),
    ("MS_REC", 0x4000),
    ("MS_SILENT", 0x8000),
    ("MS_POSIXACL", 0x10000),
    ("MS_UNBINDABLE", 0x20000),
    ("MS_PRIVATE", 0x40000),
    ("MS_SLAVE", 0x80000),
    ("MS_SHARED", 0x10_0000),
    ("MS_RELATIME", 0x20_0000),
    ("MS_KERNMOUNT", 0x40_0000),
    ("MS_I_VERSION", 0x80_0000),
    ("MS_STRICTATIME", 0x100_0000),
    ("MS_LAZYTIME", 0x200_0000),
];

/// `umount2` flags.
pub const UMOUNT: &[Named] = &[
    ("MNT_FORCE", 1),
    ("MNT_DETACH", 2),
    ("MNT_EXPIRE", 4),
    ("UMOUNT_NOFOLLOW", 8),
];

/// A mode with its file type as strace writes it: `S_IFCHR|0666`, `S_IFREG|0644`, `0600` without a type.
pub fn file_mode(value: u64) -> String {
    let kind = match value & 0o170000 {
        0o140000 => "S_IFSOCK|",
        0o120000 => "S_IFLNK|",
        0o100000 => "S_IFREG|",
        0o060000 => "S_IFBLK|",
        0o040000 => "S_IFDIR|",
        0o020000 => "S_IFCHR|",
        0o010000 => "S_IFIFO|",
        _ => "",
    };
    let perms = value & 0o7777;
    format!("{kind}{:0>3}", format!("0{perms:o}").trim_start_matches("00"))
}

/// A device number as strace writes it: `makedev(0x1, 0x3)` (the kernel's `new_encode_dev` layout).
pub fn dev(value: u64) -> String {
    let major = ((value >> 8) & 0xfff) | ((value >> 32) & !0xfff);
    let minor = (value & 0xff) | ((value >> 12) & !0xff);
    format!("makedev({:#x}, {:#x})", major, minor & 0xffff_ffff)
}

/// `socket` protocol levels of `setsockopt`/`getsockopt` (the common ones).
pub const SOL: &[Named] = &[("SOL_IP", 0), ("SOL_SOCKET", 1), ("SOL_TCP", 6), ("SOL_IPV6", 41)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_follow_each_architectures_bits() {
        assert_eq!(open_flags(Arch::X86_64, 0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(
            open_flags(Arch::X86_64, 0o200000 | 0o2000000 | 0o4000),
            "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY"
        );
        assert_eq!(
            open_flags(Arch::Aarch64, 0o40000 | 0o2000000),
            "O_RDONLY|O_CLOEXEC|O_DIRECTORY"
        );
        assert_eq!(open_flags(Arch::I386, 0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(Arch::X86_64, 1 << 40), "O_RDONLY|0x10000000000");
    }

    #[test]
    fn composite_flags_name_the_type_field_and_the_bits() {
        assert_eq!(map_flags(Arch::X86_64, 0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(map_flags(Arch::X86_64, 0x42), "MAP_PRIVATE|MAP_32BIT");
        assert_eq!(map_flags(Arch::Aarch64, 0x42), "MAP_PRIVATE|0x40");
        assert_eq!(prot(0), "PROT_NONE");
        assert_eq!(prot(5), "PROT_READ|PROT_EXEC");
        assert_eq!(
            clone_flags(0x0120_0011),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
        );
        assert_eq!(socket_type(0o2000001), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(access_mode(0), "F_OK");
        assert_eq!(access_mode(5), "R_OK|X_OK");
        assert_eq!(futex_op(0x80 | 9), "FUTEX_WAIT_BITSET_PRIVATE");
        assert_eq!(bits(AT, 0), "0");
        assert_eq!(enumeration(AF, 10), "AF_INET6");
        assert_eq!(enumeration(AF, 99), "99");
        assert_eq!(signal(9), "SIGKILL");
    }
}
