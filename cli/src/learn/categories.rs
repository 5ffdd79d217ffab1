//! The sections a learned policy is printed in, grouped the way people think about what a program does
//! (file system, network, processes, ...), in the order the file lists them. A syscall no list names is
//! printed under "other".

/// One section of the learned policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Paths, metadata, directories, mounts.
    FileSystem,
    /// Reading and writing file descriptors, polling, fd housekeeping.
    Io,
    /// Sockets.
    Network,
    /// Processes and threads: creation, exec, exit, waiting, scheduling, limits.
    Process,
    /// Signals.
    Signals,
    /// Memory mappings and the heap.
    Memory,
    /// Clocks, timers and sleeping.
    Time,
    /// Futexes, pipes, message queues, shared memory, eventfds.
    Ipc,
    /// User and group ids, capabilities.
    Identity,
    /// System information, randomness, process-wide settings.
    System,
    /// Everything else.
    Other,
}

impl Category {
    /// Every category, in file order.
    pub const ALL: [Category; 11] = [
        Category::FileSystem,
        Category::Io,
        Category::Network,
        Category::Process,
        Category::Signals,
        Category::Memory,
        Category::Time,
        Category::Ipc,
        Category::Identity,
        Category::System,
        Category::Other,
    ];

    /// The section heading.
    pub const fn title(self) -> &'static str {
        match self {
            Category::FileSystem => "file system",
            Category::Io => "reading, writing and file descriptors",
            Category::Network => "network",
            Category::Process => "processes and threads",
            Category::Signals => "signals",
            Category::Memory => "memory",
            Category::Time => "time",
            Category::Ipc => "inter-process communication and synchronization",
            Category::Identity => "users, groups and capabilities",
            Category::System => "system information and settings",
            Category::Other => "other",
        }
    }

    /// The section of syscall `name`.
    pub fn of(name: &str) -> Category {
        MEMBERS
            .iter()
            .find(|(_, names)| names.split_ascii_whitespace().any(|n| n == name))
            .map_or(Category::Other, |(category, _)| *category)
    }
}

/// The syscalls of each category, space-separated: one string each, kept as data (a `match` on some 400
/// string patterns compiles to a long chain of comparisons).
const MEMBERS: &[(Category, &str)] = &[
    (
        Category::FileSystem,
        concat!(
            "open openat openat2 creat stat lstat fstat newfstatat statx statfs fstatfs ",
            "access faccessat faccessat2 readlink readlinkat getcwd chdir fchdir mkdir ",
            "mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink ",
            "symlinkat chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat utime ",
            "utimes utimensat futimesat truncate ftruncate getdents getdents64 mknod mknodat ",
            "umask chroot pivot_root mount umount2 sync syncfs fsync fdatasync ",
            "sync_file_range fallocate fadvise64 getxattr lgetxattr fgetxattr setxattr ",
            "lsetxattr fsetxattr listxattr llistxattr flistxattr removexattr lremovexattr ",
            "fremovexattr inotify_init inotify_init1 inotify_add_watch inotify_rm_watch ",
            "fanotify_init fanotify_mark name_to_handle_at open_by_handle_at flock open_tree ",
            "move_mount fsopen fsconfig fsmount fspick mount_setattr quotactl statmount ",
            "listmount landlock_create_ruleset landlock_add_rule landlock_restrict_self ",
        ),
    ),
    (
        Category::Io,
        concat!(
            "read write pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2 close ",
            "close_range dup dup2 dup3 fcntl ioctl lseek sendfile splice tee vmsplice ",
            "copy_file_range poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl ",
            "epoll_wait epoll_pwait epoll_pwait2 io_setup io_destroy io_submit io_cancel ",
            "io_getevents io_pgetevents io_uring_setup io_uring_enter io_uring_register ",
        ),
    ),
    (
        Category::Network,
        concat!(
            "socket socketpair bind listen accept accept4 connect getsockname getpeername ",
            "sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown setsockopt ",
            "getsockopt ",
        ),
    ),
    (
        Category::Process,
        concat!(
            "fork vfork clone clone3 execve execveat exit exit_group wait4 waitid kill tkill ",
            "tgkill getpid getppid gettid getpgid setpgid getpgrp getsid setsid ",
            "set_tid_address set_robust_list get_robust_list rseq sched_yield ",
            "sched_getaffinity sched_setaffinity sched_getparam sched_setparam ",
            "sched_getscheduler sched_setscheduler sched_get_priority_max ",
            "sched_get_priority_min sched_getattr sched_setattr sched_rr_get_interval ",
            "getpriority setpriority prlimit64 getrlimit setrlimit getrusage times ",
            "pidfd_open pidfd_send_signal pidfd_getfd ptrace process_vm_readv ",
            "process_vm_writev unshare setns personality ioprio_get ioprio_set kcmp seccomp ",
            "restart_syscall ",
        ),
    ),
    (
        Category::Signals,
        concat!(
            "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending ",
            "rt_sigtimedwait rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack pause signalfd ",
            "signalfd4 alarm ",
        ),
    ),
    (
        Category::Memory,
        concat!(
            "brk mmap munmap mprotect pkey_mprotect pkey_alloc pkey_free mremap madvise ",
            "process_madvise mlock mlock2 munlock mlockall munlockall mincore msync ",
            "memfd_create memfd_secret membarrier mbind set_mempolicy get_mempolicy ",
            "migrate_pages move_pages remap_file_pages map_shadow_stack mseal ",
        ),
    ),
    (
        Category::Time,
        concat!(
            "clock_gettime clock_getres clock_settime clock_nanosleep clock_adjtime ",
            "gettimeofday settimeofday time nanosleep adjtimex timer_create timer_settime ",
            "timer_gettime timer_getoverrun timer_delete timerfd_create timerfd_settime ",
            "timerfd_gettime getitimer setitimer ",
        ),
    ),
    (
        Category::Ipc,
        concat!(
            "futex futex_waitv futex_wait futex_wake futex_requeue pipe pipe2 eventfd ",
            "eventfd2 mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr ",
            "shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv ",
            "msgctl ",
        ),
    ),
    (
        Category::Identity,
        concat!(
            "getuid geteuid getgid getegid getresuid getresgid setuid setgid setreuid ",
            "setregid setresuid setresgid setfsuid setfsgid getgroups setgroups capget ",
            "capset ",
        ),
    ),
    (
        Category::System,
        concat!(
            "uname sysinfo getrandom prctl arch_prctl getcpu sethostname setdomainname ",
            "syslog reboot bpf perf_event_open add_key request_key keyctl init_module ",
            "finit_module delete_module acct swapon swapoff vhangup kexec_load ",
            "kexec_file_load userfaultfd lookup_dcookie ustat sysfs uselib iopl ioperm ",
            "modify_ldt get_thread_area set_thread_area ",
        ),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscalls_are_found_in_their_category_and_others_are_other() {
        assert_eq!(Category::of("openat"), Category::FileSystem);
        assert_eq!(Category::of("socket"), Category::Network);
        assert_eq!(Category::of("rt_sigreturn"), Category::Signals);
        assert_eq!(Category::of("set_thread_area"), Category::System);
        assert_eq!(Category::of("open_tree"), Category::FileSystem);
        assert_eq!(Category::of("nosuchcall"), Category::Other);
        assert_eq!(Category::of("open"), Category::FileSystem);
    }
}
