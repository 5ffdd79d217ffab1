//! Tests of the generated syscall tables and of `Arch`: known numbers from the kernel's tables, internal
//! consistency of every table, and cross-checks against `linux-raw-sys` (bindings generated from the
//! kernel's UAPI headers).

use std::collections::BTreeSet;

use seccomp_core::arch::{Arch, SyscallTable};

/// `__X32_SYSCALL_BIT`.
const X32_BIT: u32 = 0x4000_0000;

/// Asserts that `name` has number `nr` on `arch`, both ways.
fn check(arch: Arch, name: &str, nr: u32) {
    assert_eq!(arch.syscall_nr(name), Some(nr), "{arch}: number of `{name}`");
    assert_eq!(arch.syscall_name(nr), Some(name), "{arch}: name of {nr:#x}");
}

#[test]
fn well_known_numbers_match_the_kernel_tables() {
    check(Arch::X86_64, "read", 0);
    check(Arch::X86_64, "fstat", 5);
    check(Arch::X86_64, "newfstatat", 262);
    check(Arch::X86_64, "seccomp", 317);
    check(Arch::X86_64, "uselib", 134); // listed without an entry point
    check(Arch::X32, "read", X32_BIT);
    check(Arch::X32, "seccomp", X32_BIT | 317);
    check(Arch::X32, "rt_sigaction", X32_BIT | 512); // x32-specific entry, not the 64-bit 13
    check(Arch::X32, "pwritev2", X32_BIT | 547);
    check(Arch::I386, "restart_syscall", 0);
    check(Arch::I386, "read", 3);
    check(Arch::I386, "socketcall", 102);
    check(Arch::I386, "seccomp", 354);
    check(Arch::Aarch64, "io_setup", 0);
    check(Arch::Aarch64, "read", 63);
    check(Arch::Aarch64, "renameat", 38); // ABI `renameat`
    check(Arch::Aarch64, "getrlimit", 163); // ABI `rlimit`
    check(Arch::Aarch64, "newfstatat", 79); // ABI `64`
    check(Arch::Aarch64, "fstat", 80);
    check(Arch::Aarch64, "seccomp", 277);
    check(Arch::Aarch64, "memfd_secret", 447); // ABI `memfd_secret`
    check(Arch::Arm, "restart_syscall", 0);
    check(Arch::Arm, "read", 3);
    check(Arch::Arm, "getpid", 20);
    check(Arch::Arm, "arm_fadvise64_64", 270);
    check(Arch::Arm, "arm_sync_file_range", 341);
    check(Arch::Arm, "seccomp", 383);
    check(Arch::Arm, "cachestat", 451);
    check(Arch::Arm, "fchmodat2", 452);
    // The ARM-private calls, numbered as libseccomp's arm table numbers them.
    check(Arch::Arm, "breakpoint", 0x0f_0001);
    check(Arch::Arm, "cacheflush", 0x0f_0002);
    check(Arch::Arm, "usr26", 0x0f_0003);
    check(Arch::Arm, "usr32", 0x0f_0004);
    check(Arch::Arm, "set_tls", 0x0f_0005);
    check(Arch::Arm, "get_tls", 0x0f_0006);
    for arch in [Arch::X86_64, Arch::I386, Arch::Aarch64, Arch::Arm] {
        check(arch, "rseq_slice_yield", 471);
    }
}

#[test]
fn abis_an_arch_does_not_use_are_left_out() {
    // x32-only numbers are not x86_64 numbers, 64-bit-only entries are not x32 entries, and the generic
    // table's 32-bit entries are not aarch64 entries.
    assert_eq!(Arch::X86_64.syscall_name(512), None);
    assert_eq!(Arch::X86_64.syscall_nr("rt_sigaction"), Some(13));
    assert_eq!(Arch::X32.syscall_name(X32_BIT | 13), None);
    assert_eq!(Arch::X32.syscall_name(13), None);
    assert_eq!(Arch::Aarch64.syscall_nr("fstatat64"), None);
    assert_eq!(Arch::Aarch64.syscall_nr("open"), None);
    assert_eq!(Arch::Aarch64.syscall_nr("io_getevents"), Some(4));
    assert_eq!(Arch::I386.syscall_nr("newfstatat"), None);
    assert_eq!(Arch::I386.syscall_nr("fstatat64"), Some(300));
    // OABI-only entries are not EABI entries.
    assert_eq!(Arch::Arm.syscall_nr("time"), None);
    assert_eq!(Arch::Arm.syscall_nr("socketcall"), None);
    assert_eq!(Arch::Arm.syscall_name(13), None);
    assert_eq!(Arch::Arm.syscall_nr("socket"), Some(281));
}

#[test]
fn table_sizes_and_extremes() {
    // Entry counts agree with the checks recorded in data/kernel/SOURCES.md.
    let expected = [
        (Arch::X86_64, 385, 0, 471, "rseq_slice_yield"),
        (Arch::X32, 374, X32_BIT, X32_BIT | 547, "pwritev2"),
        (Arch::I386, 461, 0, 471, "rseq_slice_yield"),
        (Arch::Aarch64, 327, 0, 471, "rseq_slice_yield"),
        (Arch::Arm, 430, 0, 0x0f_0006, "get_tls"),
    ];
    for (arch, len, min, max, last) in expected {
        let table = arch.syscalls();
        assert_eq!(table.len(), len, "{arch}");
        assert!(!table.is_empty());
        assert_eq!(table.min_nr(), Some(min), "{arch}");
        assert_eq!(table.max_nr(), Some(max), "{arch}");
        assert_eq!(table.iter().next_back(), Some((last, max)), "{arch}");
        assert_eq!(table.iter().len(), len);
    }
}

/// Every entry of `table` is found by both lookups, numbers strictly increase, names are unique and
/// look like kernel syscall names.
fn check_consistent(arch: Arch, table: &SyscallTable) {
    let mut previous: Option<u32> = None;
    let mut names = BTreeSet::new();
    for (name, nr) in table {
        if let Some(previous) = previous {
            assert!(nr > previous, "{arch}: {nr} after {previous}");
        }
        previous = Some(nr);
        assert!(names.insert(name), "{arch}: duplicate name {name}");
        assert_eq!(table.nr(name), Some(nr), "{arch}: {name}");
        assert_eq!(table.name(nr), Some(name), "{arch}: {nr}");
        assert!(table.contains(nr));
        let valid = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        assert!(!name.is_empty() && valid, "{arch}: {name:?}");
    }
    assert_eq!(names.len(), table.len());
}

#[test]
fn every_entry_round_trips_and_tables_are_sorted_without_duplicates() {
    for arch in Arch::ALL {
        check_consistent(arch, arch.syscalls());
    }
}

#[test]
fn numbers_missing_from_a_table_are_not_found() {
    for arch in Arch::ALL {
        let table = arch.syscalls();
        let (Some(min), Some(max)) = (table.min_nr(), table.max_nr()) else {
            panic!("{arch}: empty table");
        };
        let present: BTreeSet<u32> = table.iter().map(|(_, nr)| nr).collect();
        assert!(
            present.len() < (max - min + 1) as usize,
            "{arch}: every table has gaps"
        );
        for nr in min..=max + 64 {
            assert_eq!(table.contains(nr), present.contains(&nr), "{arch}: {nr}");
        }
        assert_eq!(table.name(u32::MAX), None);
        assert_eq!(table.name(min.wrapping_sub(1)), None);
    }
    // x86_64 numbers never have the x32 bit, x32 numbers always have it.
    assert!(Arch::X86_64.syscalls().iter().all(|(_, nr)| nr & X32_BIT == 0));
    assert!(Arch::X32.syscalls().iter().all(|(_, nr)| nr & X32_BIT != 0));
    assert_eq!(Arch::X86_64.syscall_name(X32_BIT), None);
}

#[test]
fn unknown_names_give_none() {
    for arch in Arch::ALL {
        for name in [
            "",
            "READ",
            "read ",
            " read",
            "sys_read",
            "no_such_syscall",
            "zzzz",
            "a",
            "\0",
        ] {
            assert_eq!(arch.syscall_nr(name), None, "{arch}: {name:?}");
        }
    }
}

#[test]
fn arch_names_and_aliases_parse() {
    let cases = [
        ("x86_64", Arch::X86_64),
        ("amd64", Arch::X86_64),
        ("x86-64", Arch::X86_64),
        ("X86_64", Arch::X86_64),
        ("SCMP_ARCH_X86_64", Arch::X86_64),
        ("x32", Arch::X32),
        ("SCMP_ARCH_X32", Arch::X32),
        ("i386", Arch::I386),
        ("x86", Arch::I386),
        ("i686", Arch::I386),
        ("SCMP_ARCH_X86", Arch::I386),
        ("aarch64", Arch::Aarch64),
        ("arm64", Arch::Aarch64),
        ("ARM64", Arch::Aarch64),
        ("SCMP_ARCH_AARCH64", Arch::Aarch64),
        ("arm", Arch::Arm),
        ("armhf", Arch::Arm),
        ("SCMP_ARCH_ARM", Arch::Arm),
    ];
    for (name, arch) in cases {
        assert_eq!(Arch::from_name(name), Some(arch), "{name}");
    }
    for name in [
        "",
        "armeb",
        "SCMP_ARCH_ARMEB",
        "x86_32",
        "riscv64",
        "x86_64 ",
        "SCMP_ARCH_NATIVE",
    ] {
        assert_eq!(Arch::from_name(name), None, "{name:?}");
    }
    for arch in Arch::ALL {
        assert_eq!(Arch::from_name(arch.name()), Some(arch));
        assert_eq!(Arch::from_name(arch.oci_name()), Some(arch));
        assert_eq!(arch.aliases().first(), Some(&arch.name()));
        assert_eq!(arch.to_string(), arch.name());
    }
}

#[test]
fn audit_values_match_linux_audit_h() {
    use linux_raw_sys::ptrace::{AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};
    assert_eq!(Arch::X86_64.audit(), AUDIT_ARCH_X86_64);
    assert_eq!(Arch::X32.audit(), AUDIT_ARCH_X86_64);
    assert_eq!(Arch::I386.audit(), AUDIT_ARCH_I386);
    assert_eq!(Arch::Aarch64.audit(), AUDIT_ARCH_AARCH64);
    assert_eq!(Arch::from_audit(AUDIT_ARCH_X86_64), Some(Arch::X86_64));
    assert_eq!(Arch::from_audit(AUDIT_ARCH_I386), Some(Arch::I386));
    assert_eq!(Arch::from_audit(AUDIT_ARCH_AARCH64), Some(Arch::Aarch64));
    assert_eq!(Arch::Arm.audit(), AUDIT_ARCH_ARM);
    assert_eq!(Arch::from_audit(AUDIT_ARCH_ARM), Some(Arch::Arm));
    assert_eq!(Arch::from_audit(0), None);
    assert_eq!(Arch::from_audit(u32::MAX), None);
}

#[test]
fn x32_is_told_apart_by_bit_30_of_nr() {
    // linux-raw-sys defines the bit only when built for x86.
    #[cfg(target_arch = "x86_64")]
    assert_eq!(linux_raw_sys::general::__X32_SYSCALL_BIT, X32_BIT);
    let audit = Arch::X86_64.audit();
    assert_eq!(Arch::from_seccomp_data(audit, 0), Some(Arch::X86_64));
    assert_eq!(Arch::from_seccomp_data(audit, 471), Some(Arch::X86_64));
    assert_eq!(Arch::from_seccomp_data(audit, X32_BIT), Some(Arch::X32));
    assert_eq!(Arch::from_seccomp_data(audit, X32_BIT | 512), Some(Arch::X32));
    // The bit means nothing on the other architectures.
    assert_eq!(
        Arch::from_seccomp_data(Arch::I386.audit(), X32_BIT),
        Some(Arch::I386)
    );
    assert_eq!(
        Arch::from_seccomp_data(Arch::Aarch64.audit(), X32_BIT),
        Some(Arch::Aarch64)
    );
    assert_eq!(Arch::from_seccomp_data(0x4000_0028, 0), Some(Arch::Arm));
    assert_eq!(Arch::from_seccomp_data(0x4000_0028, X32_BIT), Some(Arch::Arm));
    assert_eq!(Arch::from_seccomp_data(0x4000_0029, 0), None);
}

#[test]
fn native_arch_follows_the_compile_target() {
    let expected = if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
        Some(Arch::X86_64)
    } else if cfg!(all(target_arch = "aarch64", target_endian = "little")) {
        Some(Arch::Aarch64)
    } else if cfg!(target_arch = "x86") {
        Some(Arch::I386)
    } else {
        None
    };
    assert_eq!(Arch::native(), expected);
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
#[test]
fn x86_64_table_agrees_with_linux_raw_sys() {
    use linux_raw_sys::general::*;
    // Every `__NR_` constant linux-raw-sys 0.12 has for x86_64; the kernel table is newer and has a few more.
    let expected = [
        ("read", __NR_read),
        ("write", __NR_write),
        ("open", __NR_open),
        ("close", __NR_close),
        ("stat", __NR_stat),
        ("fstat", __NR_fstat),
        ("lstat", __NR_lstat),
        ("poll", __NR_poll),
        ("lseek", __NR_lseek),
        ("mmap", __NR_mmap),
        ("mprotect", __NR_mprotect),
        ("munmap", __NR_munmap),
        ("brk", __NR_brk),
        ("rt_sigaction", __NR_rt_sigaction),
        ("rt_sigprocmask", __NR_rt_sigprocmask),
        ("rt_sigreturn", __NR_rt_sigreturn),
        ("ioctl", __NR_ioctl),
        ("pread64", __NR_pread64),
        ("pwrite64", __NR_pwrite64),
        ("readv", __NR_readv),
        ("writev", __NR_writev),
        ("access", __NR_access),
        ("pipe", __NR_pipe),
        ("select", __NR_select),
        ("sched_yield", __NR_sched_yield),
        ("mremap", __NR_mremap),
        ("msync", __NR_msync),
        ("mincore", __NR_mincore),
        ("madvise", __NR_madvise),
        ("shmget", __NR_shmget),
        ("shmat", __NR_shmat),
        ("shmctl", __NR_shmctl),
        ("dup", __NR_dup),
        ("dup2", __NR_dup2),
        ("pause", __NR_pause),
        ("nanosleep", __NR_nanosleep),
        ("getitimer", __NR_getitimer),
        ("alarm", __NR_alarm),
        ("setitimer", __NR_setitimer),
        ("getpid", __NR_getpid),
        ("sendfile", __NR_sendfile),
        ("socket", __NR_socket),
        ("connect", __NR_connect),
        ("accept", __NR_accept),
        ("sendto", __NR_sendto),
        ("recvfrom", __NR_recvfrom),
        ("sendmsg", __NR_sendmsg),
        ("recvmsg", __NR_recvmsg),
        ("shutdown", __NR_shutdown),
        ("bind", __NR_bind),
        ("listen", __NR_listen),
        ("getsockname", __NR_getsockname),
        ("getpeername", __NR_getpeername),
        ("socketpair", __NR_socketpair),
        ("setsockopt", __NR_setsockopt),
        ("getsockopt", __NR_getsockopt),
        ("clone", __NR_clone),
        ("fork", __NR_fork),
        ("vfork", __NR_vfork),
        ("execve", __NR_execve),
        ("exit", __NR_exit),
        ("wait4", __NR_wait4),
        ("kill", __NR_kill),
        ("uname", __NR_uname),
        ("semget", __NR_semget),
        ("semop", __NR_semop),
        ("semctl", __NR_semctl),
        ("shmdt", __NR_shmdt),
        ("msgget", __NR_msgget),
        ("msgsnd", __NR_msgsnd),
        ("msgrcv", __NR_msgrcv),
        ("msgctl", __NR_msgctl),
        ("fcntl", __NR_fcntl),
        ("flock", __NR_flock),
        ("fsync", __NR_fsync),
        ("fdatasync", __NR_fdatasync),
        ("truncate", __NR_truncate),
        ("ftruncate", __NR_ftruncate),
        ("getdents", __NR_getdents),
        ("getcwd", __NR_getcwd),
        ("chdir", __NR_chdir),
        ("fchdir", __NR_fchdir),
        ("rename", __NR_rename),
        ("mkdir", __NR_mkdir),
        ("rmdir", __NR_rmdir),
        ("creat", __NR_creat),
        ("link", __NR_link),
        ("unlink", __NR_unlink),
        ("symlink", __NR_symlink),
        ("readlink", __NR_readlink),
        ("chmod", __NR_chmod),
        ("fchmod", __NR_fchmod),
        ("chown", __NR_chown),
        ("fchown", __NR_fchown),
        ("lchown", __NR_lchown),
        ("umask", __NR_umask),
        ("gettimeofday", __NR_gettimeofday),
        ("getrlimit", __NR_getrlimit),
        ("getrusage", __NR_getrusage),
        ("sysinfo", __NR_sysinfo),
        ("times", __NR_times),
        ("ptrace", __NR_ptrace),
        ("getuid", __NR_getuid),
        ("syslog", __NR_syslog),
        ("getgid", __NR_getgid),
        ("setuid", __NR_setuid),
        ("setgid", __NR_setgid),
        ("geteuid", __NR_geteuid),
        ("getegid", __NR_getegid),
        ("setpgid", __NR_setpgid),
        ("getppid", __NR_getppid),
        ("getpgrp", __NR_getpgrp),
        ("setsid", __NR_setsid),
        ("setreuid", __NR_setreuid),
        ("setregid", __NR_setregid),
        ("getgroups", __NR_getgroups),
        ("setgroups", __NR_setgroups),
        ("setresuid", __NR_setresuid),
        ("getresuid", __NR_getresuid),
        ("setresgid", __NR_setresgid),
        ("getresgid", __NR_getresgid),
        ("getpgid", __NR_getpgid),
        ("setfsuid", __NR_setfsuid),
        ("setfsgid", __NR_setfsgid),
        ("getsid", __NR_getsid),
        ("capget", __NR_capget),
        ("capset", __NR_capset),
        ("rt_sigpending", __NR_rt_sigpending),
        ("rt_sigtimedwait", __NR_rt_sigtimedwait),
        ("rt_sigqueueinfo", __NR_rt_sigqueueinfo),
        ("rt_sigsuspend", __NR_rt_sigsuspend),
        ("sigaltstack", __NR_sigaltstack),
        ("utime", __NR_utime),
        ("mknod", __NR_mknod),
        ("uselib", __NR_uselib),
        ("personality", __NR_personality),
        ("ustat", __NR_ustat),
        ("statfs", __NR_statfs),
        ("fstatfs", __NR_fstatfs),
        ("sysfs", __NR_sysfs),
        ("getpriority", __NR_getpriority),
        ("setpriority", __NR_setpriority),
        ("sched_setparam", __NR_sched_setparam),
        ("sched_getparam", __NR_sched_getparam),
        ("sched_setscheduler", __NR_sched_setscheduler),
        ("sched_getscheduler", __NR_sched_getscheduler),
        ("sched_get_priority_max", __NR_sched_get_priority_max),
        ("sched_get_priority_min", __NR_sched_get_priority_min),
        ("sched_rr_get_interval", __NR_sched_rr_get_interval),
        ("mlock", __NR_mlock),
        ("munlock", __NR_munlock),
        ("mlockall", __NR_mlockall),
        ("munlockall", __NR_munlockall),
        ("vhangup", __NR_vhangup),
        ("modify_ldt", __NR_modify_ldt),
        ("pivot_root", __NR_pivot_root),
        ("_sysctl", __NR__sysctl),
        ("prctl", __NR_prctl),
        ("arch_prctl", __NR_arch_prctl),
        ("adjtimex", __NR_adjtimex),
        ("setrlimit", __NR_setrlimit),
        ("chroot", __NR_chroot),
        ("sync", __NR_sync),
        ("acct", __NR_acct),
        ("settimeofday", __NR_settimeofday),
        ("mount", __NR_mount),
        ("umount2", __NR_umount2),
        ("swapon", __NR_swapon),
        ("swapoff", __NR_swapoff),
        ("reboot", __NR_reboot),
        ("sethostname", __NR_sethostname),
        ("setdomainname", __NR_setdomainname),
        ("iopl", __NR_iopl),
        ("ioperm", __NR_ioperm),
        ("create_module", __NR_create_module),
        ("init_module", __NR_init_module),
        ("delete_module", __NR_delete_module),
        ("get_kernel_syms", __NR_get_kernel_syms),
        ("query_module", __NR_query_module),
        ("quotactl", __NR_quotactl),
        ("nfsservctl", __NR_nfsservctl),
        ("getpmsg", __NR_getpmsg),
        ("putpmsg", __NR_putpmsg),
        ("afs_syscall", __NR_afs_syscall),
        ("tuxcall", __NR_tuxcall),
        ("security", __NR_security),
        ("gettid", __NR_gettid),
        ("readahead", __NR_readahead),
        ("setxattr", __NR_setxattr),
        ("lsetxattr", __NR_lsetxattr),
        ("fsetxattr", __NR_fsetxattr),
        ("getxattr", __NR_getxattr),
        ("lgetxattr", __NR_lgetxattr),
        ("fgetxattr", __NR_fgetxattr),
        ("listxattr", __NR_listxattr),
        ("llistxattr", __NR_llistxattr),
        ("flistxattr", __NR_flistxattr),
        ("removexattr", __NR_removexattr),
        ("lremovexattr", __NR_lremovexattr),
        ("fremovexattr", __NR_fremovexattr),
        ("tkill", __NR_tkill),
        ("time", __NR_time),
        ("futex", __NR_futex),
        ("sched_setaffinity", __NR_sched_setaffinity),
        ("sched_getaffinity", __NR_sched_getaffinity),
        ("set_thread_area", __NR_set_thread_area),
        ("io_setup", __NR_io_setup),
        ("io_destroy", __NR_io_destroy),
        ("io_getevents", __NR_io_getevents),
        ("io_submit", __NR_io_submit),
        ("io_cancel", __NR_io_cancel),
        ("get_thread_area", __NR_get_thread_area),
        ("lookup_dcookie", __NR_lookup_dcookie),
        ("epoll_create", __NR_epoll_create),
        ("epoll_ctl_old", __NR_epoll_ctl_old),
        ("epoll_wait_old", __NR_epoll_wait_old),
        ("remap_file_pages", __NR_remap_file_pages),
        ("getdents64", __NR_getdents64),
        ("set_tid_address", __NR_set_tid_address),
        ("restart_syscall", __NR_restart_syscall),
        ("semtimedop", __NR_semtimedop),
        ("fadvise64", __NR_fadvise64),
        ("timer_create", __NR_timer_create),
        ("timer_settime", __NR_timer_settime),
        ("timer_gettime", __NR_timer_gettime),
        ("timer_getoverrun", __NR_timer_getoverrun),
        ("timer_delete", __NR_timer_delete),
        ("clock_settime", __NR_clock_settime),
        ("clock_gettime", __NR_clock_gettime),
        ("clock_getres", __NR_clock_getres),
        ("clock_nanosleep", __NR_clock_nanosleep),
        ("exit_group", __NR_exit_group),
        ("epoll_wait", __NR_epoll_wait),
        ("epoll_ctl", __NR_epoll_ctl),
        ("tgkill", __NR_tgkill),
        ("utimes", __NR_utimes),
        ("vserver", __NR_vserver),
        ("mbind", __NR_mbind),
        ("set_mempolicy", __NR_set_mempolicy),
        ("get_mempolicy", __NR_get_mempolicy),
        ("mq_open", __NR_mq_open),
        ("mq_unlink", __NR_mq_unlink),
        ("mq_timedsend", __NR_mq_timedsend),
        ("mq_timedreceive", __NR_mq_timedreceive),
        ("mq_notify", __NR_mq_notify),
        ("mq_getsetattr", __NR_mq_getsetattr),
        ("kexec_load", __NR_kexec_load),
        ("waitid", __NR_waitid),
        ("add_key", __NR_add_key),
        ("request_key", __NR_request_key),
        ("keyctl", __NR_keyctl),
        ("ioprio_set", __NR_ioprio_set),
        ("ioprio_get", __NR_ioprio_get),
        ("inotify_init", __NR_inotify_init),
        ("inotify_add_watch", __NR_inotify_add_watch),
        ("inotify_rm_watch", __NR_inotify_rm_watch),
        ("migrate_pages", __NR_migrate_pages),
        ("openat", __NR_openat),
        ("mkdirat", __NR_mkdirat),
        ("mknodat", __NR_mknodat),
        ("fchownat", __NR_fchownat),
        ("futimesat", __NR_futimesat),
        ("newfstatat", __NR_newfstatat),
        ("unlinkat", __NR_unlinkat),
        ("renameat", __NR_renameat),
        ("linkat", __NR_linkat),
        ("symlinkat", __NR_symlinkat),
        ("readlinkat", __NR_readlinkat),
        ("fchmodat", __NR_fchmodat),
        ("faccessat", __NR_faccessat),
        ("pselect6", __NR_pselect6),
        ("ppoll", __NR_ppoll),
        ("unshare", __NR_unshare),
        ("set_robust_list", __NR_set_robust_list),
        ("get_robust_list", __NR_get_robust_list),
        ("splice", __NR_splice),
        ("tee", __NR_tee),
        ("sync_file_range", __NR_sync_file_range),
        ("vmsplice", __NR_vmsplice),
        ("move_pages", __NR_move_pages),
        ("utimensat", __NR_utimensat),
        ("epoll_pwait", __NR_epoll_pwait),
        ("signalfd", __NR_signalfd),
        ("timerfd_create", __NR_timerfd_create),
        ("eventfd", __NR_eventfd),
        ("fallocate", __NR_fallocate),
        ("timerfd_settime", __NR_timerfd_settime),
        ("timerfd_gettime", __NR_timerfd_gettime),
        ("accept4", __NR_accept4),
        ("signalfd4", __NR_signalfd4),
        ("eventfd2", __NR_eventfd2),
        ("epoll_create1", __NR_epoll_create1),
        ("dup3", __NR_dup3),
        ("pipe2", __NR_pipe2),
        ("inotify_init1", __NR_inotify_init1),
        ("preadv", __NR_preadv),
        ("pwritev", __NR_pwritev),
        ("rt_tgsigqueueinfo", __NR_rt_tgsigqueueinfo),
        ("perf_event_open", __NR_perf_event_open),
        ("recvmmsg", __NR_recvmmsg),
        ("fanotify_init", __NR_fanotify_init),
        ("fanotify_mark", __NR_fanotify_mark),
        ("prlimit64", __NR_prlimit64),
        ("name_to_handle_at", __NR_name_to_handle_at),
        ("open_by_handle_at", __NR_open_by_handle_at),
        ("clock_adjtime", __NR_clock_adjtime),
        ("syncfs", __NR_syncfs),
        ("sendmmsg", __NR_sendmmsg),
        ("setns", __NR_setns),
        ("getcpu", __NR_getcpu),
        ("process_vm_readv", __NR_process_vm_readv),
        ("process_vm_writev", __NR_process_vm_writev),
        ("kcmp", __NR_kcmp),
        ("finit_module", __NR_finit_module),
        ("sched_setattr", __NR_sched_setattr),
        ("sched_getattr", __NR_sched_getattr),
        ("renameat2", __NR_renameat2),
        ("seccomp", __NR_seccomp),
        ("getrandom", __NR_getrandom),
        ("memfd_create", __NR_memfd_create),
        ("kexec_file_load", __NR_kexec_file_load),
        ("bpf", __NR_bpf),
        ("execveat", __NR_execveat),
        ("userfaultfd", __NR_userfaultfd),
        ("membarrier", __NR_membarrier),
        ("mlock2", __NR_mlock2),
        ("copy_file_range", __NR_copy_file_range),
        ("preadv2", __NR_preadv2),
        ("pwritev2", __NR_pwritev2),
        ("pkey_mprotect", __NR_pkey_mprotect),
        ("pkey_alloc", __NR_pkey_alloc),
        ("pkey_free", __NR_pkey_free),
        ("statx", __NR_statx),
        ("io_pgetevents", __NR_io_pgetevents),
        ("rseq", __NR_rseq),
        ("uretprobe", __NR_uretprobe),
        ("pidfd_send_signal", __NR_pidfd_send_signal),
        ("io_uring_setup", __NR_io_uring_setup),
        ("io_uring_enter", __NR_io_uring_enter),
        ("io_uring_register", __NR_io_uring_register),
        ("open_tree", __NR_open_tree),
        ("move_mount", __NR_move_mount),
        ("fsopen", __NR_fsopen),
        ("fsconfig", __NR_fsconfig),
        ("fsmount", __NR_fsmount),
        ("fspick", __NR_fspick),
        ("pidfd_open", __NR_pidfd_open),
        ("clone3", __NR_clone3),
        ("close_range", __NR_close_range),
        ("openat2", __NR_openat2),
        ("pidfd_getfd", __NR_pidfd_getfd),
        ("faccessat2", __NR_faccessat2),
        ("process_madvise", __NR_process_madvise),
        ("epoll_pwait2", __NR_epoll_pwait2),
        ("mount_setattr", __NR_mount_setattr),
        ("quotactl_fd", __NR_quotactl_fd),
        ("landlock_create_ruleset", __NR_landlock_create_ruleset),
        ("landlock_add_rule", __NR_landlock_add_rule),
        ("landlock_restrict_self", __NR_landlock_restrict_self),
        ("memfd_secret", __NR_memfd_secret),
        ("process_mrelease", __NR_process_mrelease),
        ("futex_waitv", __NR_futex_waitv),
        ("set_mempolicy_home_node", __NR_set_mempolicy_home_node),
        ("cachestat", __NR_cachestat),
        ("fchmodat2", __NR_fchmodat2),
        ("map_shadow_stack", __NR_map_shadow_stack),
        ("futex_wake", __NR_futex_wake),
        ("futex_wait", __NR_futex_wait),
        ("futex_requeue", __NR_futex_requeue),
        ("statmount", __NR_statmount),
        ("listmount", __NR_listmount),
        ("lsm_get_self_attr", __NR_lsm_get_self_attr),
        ("lsm_set_self_attr", __NR_lsm_set_self_attr),
        ("lsm_list_modules", __NR_lsm_list_modules),
        ("mseal", __NR_mseal),
        ("setxattrat", __NR_setxattrat),
        ("getxattrat", __NR_getxattrat),
        ("listxattrat", __NR_listxattrat),
        ("removexattrat", __NR_removexattrat),
        ("open_tree_attr", __NR_open_tree_attr),
        ("file_getattr", __NR_file_getattr),
        ("file_setattr", __NR_file_setattr),
    ];
    for (name, nr) in expected {
        assert_eq!(Arch::X86_64.syscall_nr(name), Some(nr), "{name}");
        // Where x32 has the same number (bit 30 set), it is the same syscall.
        let x32 = Arch::X32.syscall_name(nr | X32_BIT);
        assert!(x32.is_none_or(|x32| x32 == name), "{name}: x32 has {x32:?}");
    }
    let names: BTreeSet<&str> = expected.iter().map(|&(name, _)| name).collect();
    let only_in_table: Vec<&str> = Arch::X86_64
        .syscalls()
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !names.contains(name))
        .collect();
    assert!(
        only_in_table.len() < 10,
        "table entries unknown to linux-raw-sys: {only_in_table:?}"
    );
}
