//! Decoding against a fake target memory: typed arguments, strings, argv of both pointer widths, and
//! hostile values that must decode to `<unreadable ...>` rather than fail.

use super::text::{call_text, value_json, value_text};
use super::*;

/// A log line as `run` and `trace` print it, without the arch (these tests decode the host arch or check
/// only the call).
fn text_line(pid: u32, call: &Call, _answer: Option<&str>) -> String {
    format!("[pid {pid}] {}", call_text(call))
}

/// A fake address space: readable regions at fixed addresses.
#[derive(Default)]
struct FakeMemory {
    regions: Vec<(u64, Vec<u8>)>,
    /// Pretend the notification went away before the check.
    gone: bool,
}

impl FakeMemory {
    fn with_region(mut self, addr: u64, bytes: &[u8]) -> Self {
        self.regions.push((addr, bytes.to_vec()));
        self
    }
}

impl Memory for FakeMemory {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        let values = read(&mut Regions(&self.regions));
        (!self.gone).then_some(values)
    }
}

fn data(arch: Arch, name: &str, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: arch.syscall_nr(name).expect("known syscall") as i32,
        arch: arch.audit(),
        instruction_pointer: 0,
        args,
    }
}

fn text(value: &Value) -> String {
    value_text(value)
}

fn bytes(s: &str) -> Value {
    Value::Bytes {
        bytes: s.as_bytes().to_vec(),
        truncated: false,
    }
}

#[test]
fn openat_shows_the_dirfd_the_path_and_the_flags_on_both_64_bit_arches() {
    for (arch, directory) in [(Arch::X86_64, 0o200000), (Arch::Aarch64, 0o40000)] {
        let mut memory = FakeMemory::default().with_region(0x1000, b"/etc/hostname\0junk");
        let call = decode(
            &data(
                arch,
                "openat",
                [(-100i64) as u64, 0x1000, 0o2000000 | directory, 0, 0, 0],
            ),
            &mut memory,
        );
        assert_eq!(call.name, Some("openat"));
        assert_eq!(
            call.args,
            vec![
                Value::Symbol("AT_FDCWD".to_owned()),
                bytes("/etc/hostname"),
                Value::Symbol("O_RDONLY|O_CLOEXEC|O_DIRECTORY".to_owned()),
            ],
            "{arch}"
        );
    }
}

#[test]
fn open_with_o_creat_keeps_its_mode() {
    let mut memory = FakeMemory::default().with_region(0x2000, b"/tmp/x\0");
    let call = decode(
        &data(Arch::X86_64, "openat", [3, 0x2000, 0o101, 0o644, 0, 0]),
        &mut memory,
    );
    assert_eq!(
        text_line(1, &call, None),
        "[pid 1] openat(3, \"/tmp/x\", O_WRONLY|O_CREAT, 0644)"
    );
}

#[test]
fn garbage_pointers_show_as_unreadable_and_null_as_null() {
    let mut memory = FakeMemory::default();
    let call = decode(
        &data(
            Arch::X86_64,
            "openat",
            [(-100i64) as u64, 0xdead_0000, 0, 0, 0, 0],
        ),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "<unreadable 0xdead0000>");
    let call = decode(&data(Arch::X86_64, "openat", [0, 0, 0, 0, 0, 0]), &mut memory);
    assert_eq!(call.args[1], Value::Null);
}

#[test]
fn a_notification_gone_before_the_check_discards_every_memory_argument() {
    let mut memory = FakeMemory {
        gone: true,
        ..FakeMemory::default()
    }
    .with_region(0x1000, b"/etc/passwd\0");
    let call = decode(
        &data(Arch::X86_64, "openat", [(-100i64) as u64, 0x1000, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(call.args[1], Value::Unreadable(0x1000));
    // Scalars need no memory and stay decoded.
    assert_eq!(call.args[0], Value::Symbol("AT_FDCWD".to_owned()));
}

#[test]
fn execve_argv_is_read_with_the_abis_pointer_width() {
    // 64-bit: pointers to "ls" and "-l", then NULL.
    let mut argv64 = Vec::new();
    for pointer in [0x3000u64, 0x3010, 0] {
        argv64.extend_from_slice(&pointer.to_le_bytes());
    }
    let mut memory = FakeMemory::default()
        .with_region(0x2000, &argv64)
        .with_region(0x3000, b"ls\0\0\0\0\0\0\0\0\0\0\0\0\0\0-l\0")
        .with_region(0x4000, b"/bin/ls\0");
    let call = decode(
        &data(Arch::X86_64, "execve", [0x4000, 0x2000, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "[\"ls\", \"-l\"]");
    assert_eq!(text(&call.args[0]), "\"/bin/ls\"");
    assert_eq!(call.args[2], Value::Null);

    // i386: 4-byte pointers.
    let mut argv32 = Vec::new();
    for pointer in [0x3000u32, 0x3010, 0] {
        argv32.extend_from_slice(&pointer.to_le_bytes());
    }
    let mut memory = FakeMemory::default()
        .with_region(0x2000, &argv32)
        .with_region(0x3000, b"ls\0\0\0\0\0\0\0\0\0\0\0\0\0\0-l\0")
        .with_region(0x4000, b"/bin/ls\0");
    // The upper register half is ignored for a 32-bit ABI.
    let call = decode(
        &data(Arch::I386, "execve", [0xffff_ffff_0000_4000, 0x2000, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(call.arch, Some(Arch::I386));
    assert_eq!(text(&call.args[1]), "[\"ls\", \"-l\"]");
    assert_eq!(text(&call.args[0]), "\"/bin/ls\"");
}

#[test]
fn argv_with_an_unreadable_tail_is_cut_and_marked() {
    let mut argv = Vec::new();
    argv.extend_from_slice(&0x3000u64.to_le_bytes());
    let mut memory = FakeMemory::default()
        .with_region(0x2000, &argv)
        .with_region(0x3000, b"sh\0");
    let call = decode(
        &data(Arch::X86_64, "execve", [0x3000, 0x2000, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "[\"sh\", <unreadable 0x2008>, ...]");
}

#[test]
fn write_shows_the_first_bytes_of_its_buffer() {
    let payload = [b'x'; 100];
    let mut memory = FakeMemory::default()
        .with_region(0x5000, b"hi\n")
        .with_region(0x6000, &payload);
    let call = decode(
        &data(Arch::Aarch64, "write", [1, 0x5000, 3, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(
        text_line(5, &call, None).split("] ").nth(1),
        Some("write(1, \"hi\\n\", 3)")
    );
    let call = decode(
        &data(Arch::Aarch64, "write", [1, 0x6000, 100, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(
        text(&call.args[1]),
        format!("\"{}\"...", "x".repeat(STRING_LIMIT))
    );
}

#[test]
fn paths_longer_than_path_max_are_cut_and_marked() {
    let long = vec![b'a'; PATH_MAX + 10];
    let mut memory = FakeMemory::default().with_region(0x7000, &long);
    let call = decode(&data(Arch::X86_64, "chdir", [0x7000, 0, 0, 0, 0, 0]), &mut memory);
    match &call.args[0] {
        Value::Bytes { bytes, truncated } => {
            assert!(*truncated);
            assert_eq!(bytes.len(), PATH_MAX);
        }
        other => panic!("expected bytes, got {other:?}"),
    }
}

#[test]
fn unknown_numbers_and_unknown_arches_show_six_hex_arguments() {
    let mut memory = FakeMemory::default();
    let unknown_nr = SeccompData {
        nr: 4000,
        arch: Arch::X86_64.audit(),
        instruction_pointer: 0,
        args: [1, 2, 3, 4, 5, 0xffff_ffff_ffff_ffff],
    };
    let call = decode(&unknown_nr, &mut memory);
    assert_eq!(call.name, None);
    assert_eq!(call.display_name(), "syscall_4000");
    assert_eq!(call.args.len(), 6);
    assert_eq!(text(&call.args[5]), "0xffffffffffffffff");
    let unknown_arch = SeccompData {
        arch: 0x1234,
        ..unknown_nr
    };
    let call = decode(&unknown_arch, &mut memory);
    assert_eq!(call.arch, None);
    assert!(call_text(&call).starts_with("syscall_4000(0x1, "));
}

#[test]
fn scalar_kinds_decode_by_the_abis_widths() {
    let mut memory = FakeMemory::default();
    let call = decode(
        &data(Arch::X86_64, "mmap", [0, 8192, 3, 0x22, u64::MAX, 0]),
        &mut memory,
    );
    assert_eq!(
        text_line(1, &call, None),
        "[pid 1] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
    );
    let call = decode(
        &data(Arch::X86_64, "kill", [u64::MAX, 9, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(
        call.args,
        vec![Value::Int(-1), Value::Symbol("SIGKILL".to_owned())]
    );
    let call = decode(
        &data(Arch::X86_64, "lseek", [3, u64::MAX, 2, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "-1");
    assert_eq!(text(&call.args[2]), "SEEK_END");
    // An i386 `long` is 32 bits: 0xffffffff is -1 there.
    let call = decode(
        &data(Arch::I386, "lseek", [3, 0xffff_ffff, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(call.args[1], Value::Int(-1));
    let call = decode(
        &data(Arch::X86_64, "socket", [10, 0o2000001, 0, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[0]), "AF_INET6");
    assert_eq!(text(&call.args[1]), "SOCK_STREAM|SOCK_CLOEXEC");
}

#[test]
fn every_syscall_of_every_arch_decodes_hostile_arguments_without_panicking() {
    let mut rng = seccomp_core::Rng::new(0x1234_5678_9abc_def0);
    // A little readable memory with and without NULs, at addresses the generator sometimes hits.
    let mut memory = FakeMemory::default()
        .with_region(0x1000, &[0xffu8; 64])
        .with_region(0x2000, b"a\0b\0c\0");
    let interesting = [0, 1, 0x1000, 0x2000, 0x1fff, u64::MAX, 0xffff_ffff, 1 << 63];
    for arch in Arch::ALL {
        for (_, nr) in arch.syscalls().iter() {
            for _ in 0..4 {
                let mut args = [0u64; 6];
                for arg in &mut args {
                    let r = rng.next_u64();
                    *arg = if r.is_multiple_of(3) {
                        interesting[(r >> 8) as usize % interesting.len()]
                    } else {
                        rng.next_u64()
                    };
                }
                let data = SeccompData {
                    nr: nr as i32,
                    arch: arch.audit(),
                    instruction_pointer: 0,
                    args,
                };
                let call = decode(&data, &mut memory);
                let line = text_line(1, &call, Some("continue"));
                assert!(line.contains(&call.display_name()), "{line}");
                let json = serde_json::Value::Array(call.args.iter().map(value_json).collect());
                let text = json.to_string();
                assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{text}");
            }
        }
    }
}

#[test]
fn socket_addresses_are_shown_by_family() {
    let inet = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        sockaddr(&inet),
        "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}"
    );
    let mut inet6 = vec![10u8, 0, 1, 0xbb, 0, 0, 0, 0];
    inet6.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    assert_eq!(
        sockaddr(&inet6),
        "{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), \
         inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}"
    );
    assert_eq!(
        sockaddr(b"\x01\x00/run/x.sock\0"),
        "{sa_family=AF_UNIX, sun_path=\"/run/x.sock\"}"
    );
    assert_eq!(
        sockaddr(b"\x01\x00\0abstract"),
        "{sa_family=AF_UNIX, sun_path=@\"abstract\"}"
    );
    assert_eq!(sockaddr(&[2, 0, 1]), "{sa_family=AF_INET, <short>}");
    // The port and the address without the 8 bytes of sin_zero: short for strace and the kernel.
    assert_eq!(sockaddr(&inet[..8]), "{sa_family=AF_INET, <short>}");
    assert_eq!(sockaddr(&inet[..15]), "{sa_family=AF_INET, <short>}");
    assert_eq!(sockaddr(&[7]), "{}");
    assert_eq!(
        sockaddr(&[40, 0, 1, 2]),
        "{sa_family=AF_VSOCK, sa_data=\"\\1\\2\"}"
    );
    // Through decode: connect's address is read with its length argument.
    let mut memory = FakeMemory::default().with_region(0x8000, &inet);
    let call = decode(
        &data(Arch::Aarch64, "connect", [3, 0x8000, 16, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(
        text(&call.args[1]),
        "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}"
    );
    let call = decode(
        &data(Arch::Aarch64, "connect", [3, 0x9000, 16, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "<unreadable 0x9000>");
}

/// Decodes `name(args)` on x86_64 against `memory` and renders the call.
fn shown(memory: &mut FakeMemory, name: &str, args: [u64; 6]) -> String {
    call_text(&decode(&data(Arch::X86_64, name, args), memory))
}

#[test]
fn signal_structures_are_read_as_strace_shows_them() {
    // struct sigaction: handler, flags, restorer, mask (8 bytes).
    let mut act = Vec::new();
    act.extend_from_slice(&0x5555_0000u64.to_le_bytes());
    act.extend_from_slice(&(0x0400_0000u64 | 0x1000_0000).to_le_bytes());
    act.extend_from_slice(&0x7f00_1000u64.to_le_bytes());
    act.extend_from_slice(&((1u64 << 1) | (1 << 14)).to_le_bytes());
    let ignore = [1u64.to_le_bytes(), [0; 8], [0; 8], [0; 8]].concat();
    let full_but_rt = (!(1u64 << 31) & !(1 << 32)).to_le_bytes();
    let mut memory = FakeMemory::default()
        .with_region(0x1000, &act)
        .with_region(0x2000, &ignore)
        .with_region(0x3000, &full_but_rt)
        .with_region(0x4000, &[0; 8]);
    assert_eq!(
        shown(&mut memory, "rt_sigaction", [17, 0x1000, 0, 8, 0, 0]),
        "rt_sigaction(SIGCHLD, {sa_handler=0x55550000, sa_mask=[INT TERM], \
         sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f001000}, NULL, 8)"
    );
    assert_eq!(
        shown(&mut memory, "rt_sigaction", [13, 0x2000, 0, 8, 0, 0]),
        "rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, NULL, 8)"
    );
    // Two thirds or more of the bits set: the complement, with the real-time names.
    assert_eq!(
        shown(&mut memory, "rt_sigprocmask", [2, 0x3000, 0, 8, 0, 0]),
        "rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], NULL, 8)"
    );
    assert_eq!(
        shown(&mut memory, "rt_sigprocmask", [0, 0x4000, 0x5000, 8, 0, 0]),
        "rt_sigprocmask(SIG_BLOCK, [], 0x5000, 8)"
    );
    assert_eq!(flags::signal(34), "SIGRT_2");
    assert_eq!(flags::signal(32), "SIGRTMIN");
    assert_eq!(flags::signal(65), "65");
}

#[test]
fn fcntl_and_ioctl_show_the_arguments_their_command_takes() {
    let mut memory = FakeMemory::default().with_region(0x1000, &1i32.to_le_bytes());
    assert_eq!(
        shown(&mut memory, "fcntl", [3, 1, 0x77, 0, 0, 0]),
        "fcntl(3, F_GETFD)"
    );
    assert_eq!(
        shown(&mut memory, "fcntl", [3, 2, 1, 0, 0, 0]),
        "fcntl(3, F_SETFD, FD_CLOEXEC)"
    );
    assert_eq!(
        shown(&mut memory, "fcntl", [1, 0, 10, 0, 0, 0]),
        "fcntl(1, F_DUPFD, 10)"
    );
    assert_eq!(
        shown(&mut memory, "fcntl", [4, 4, 0o4002, 0, 0, 0]),
        "fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK)"
    );
    assert_eq!(
        shown(&mut memory, "ioctl", [1, 0x5401, 0x7ffc_0000, 0, 0, 0]),
        "ioctl(1, TCGETS, 0x7ffc0000)"
    );
    assert_eq!(
        shown(&mut memory, "ioctl", [0, 0x5413, 0x7ffc_0000, 0, 0, 0]),
        "ioctl(0, TIOCGWINSZ, 0x7ffc0000)"
    );
    assert_eq!(
        shown(&mut memory, "ioctl", [3, 0x5451, 0, 0, 0, 0]),
        "ioctl(3, FIOCLEX)"
    );
    assert_eq!(
        shown(&mut memory, "ioctl", [3, 0x5421, 0x1000, 0, 0, 0]),
        "ioctl(3, FIONBIO, [1])"
    );
    assert_eq!(
        shown(&mut memory, "ioctl", [3, 0xdead, 0x10, 0, 0, 0]),
        "ioctl(3, 0xdead, 0x10)"
    );
}

#[test]
fn resources_masks_and_advice_have_their_names() {
    let limit = [(8192u64 * 1024).to_le_bytes(), u64::MAX.to_le_bytes()].concat();
    let mut memory = FakeMemory::default()
        .with_region(0x1000, &limit)
        .with_region(0x2000, b"dir\0")
        .with_region(0x3000, b"system.posix_acl_access\0")
        .with_region(0x4000, b"value");
    assert_eq!(
        shown(&mut memory, "prlimit64", [0, 3, 0x1000, 0, 0, 0]),
        "prlimit64(0, RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}, NULL)"
    );
    assert_eq!(
        shown(
            &mut memory,
            "statx",
            [u64::MAX - 99, 0x2000, 0x900, 0x25e, 0x5000, 0]
        ),
        "statx(AT_FDCWD, \"dir\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, \
         STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE, 0x5000)"
    );
    assert_eq!(
        shown(&mut memory, "getxattr", [0x2000, 0x3000, 0, 0, 0x77, 0x77]),
        "getxattr(\"dir\", \"system.posix_acl_access\", NULL, 0)"
    );
    assert_eq!(
        shown(&mut memory, "setxattr", [0x2000, 0x3000, 0x4000, 5, 1, 0]),
        "setxattr(\"dir\", \"system.posix_acl_access\", \"value\", 5, XATTR_CREATE)"
    );
    assert_eq!(
        shown(&mut memory, "fadvise64", [3, 0, 0, 2, 0, 0]),
        "fadvise64(3, 0, 0, POSIX_FADV_SEQUENTIAL)"
    );
    assert_eq!(
        shown(&mut memory, "rseq", [0x7f00_0060, 0x20, 0, 0x5305_3053, 0, 0]),
        "rseq(0x7f000060, 0x20, 0, 0x53053053)"
    );
    assert_eq!(shown(&mut memory, "umask", [0o22, 0, 0, 0, 0, 0]), "umask(022)");
}

#[test]
fn clone_names_its_arguments_and_execve_counts_the_environment() {
    let mut memory = FakeMemory::default();
    assert_eq!(
        shown(&mut memory, "clone", [0x0120_0011, 0, 0, 0x7f00_0a10, 0, 0]),
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, \
         child_tidptr=0x7f000a10)"
    );
    let mut envp = Vec::new();
    for pointer in [0x9000u64, 0x9000, 0] {
        envp.extend_from_slice(&pointer.to_le_bytes());
    }
    let argv = [0x9000u64.to_le_bytes(), [0; 8]].concat();
    let mut memory = FakeMemory::default()
        .with_region(0x1000, b"/bin/true\0")
        .with_region(0x2000, &argv)
        .with_region(0x3000, &envp)
        .with_region(0x9000, b"a-string-longer-than-thirty-two-bytes\0");
    assert_eq!(
        shown(&mut memory, "execve", [0x1000, 0x2000, 0x3000, 0, 0, 0]),
        "execve(\"/bin/true\", [\"a-string-longer-than-thirty-two-\"...], 0x3000 /* 2 vars */)"
    );
    // A longer string limit shows more (strace's -s).
    let call = decode_with(
        &data(Arch::X86_64, "execve", [0x1000, 0x2000, 0x3000, 0, 0, 0]),
        &mut memory,
        &Options { string_limit: 64 },
    );
    assert_eq!(text(&call.args[1]), "[\"a-string-longer-than-thirty-two-bytes\"]");
}

#[test]
fn unknown_signatures_show_as_many_words_as_the_syscall_takes() {
    // `kexec_load` has no signature here; strace shows its four arguments.
    let mut memory = FakeMemory::default();
    let call = decode(&data(Arch::X86_64, "kexec_load", [1, 2, 3, 4, 5, 6]), &mut memory);
    assert_eq!(call_text(&call), "kexec_load(0x1, 0x2, 0x3, 0x4)");
}

#[test]
fn futex_prctl_and_socket_options_take_the_arguments_their_operation_uses() {
    let timespec = [1u64.to_le_bytes(), 500u64.to_le_bytes()].concat();
    let mut memory = FakeMemory::default()
        .with_region(0x1000, &timespec)
        .with_region(0x2000, &1i32.to_le_bytes());
    assert_eq!(
        shown(&mut memory, "futex", [0x7f00, 0x89, 0, 0x1000, 0, 0xffff_ffff]),
        "futex(0x7f00, FUTEX_WAIT_BITSET_PRIVATE, 0, {tv_sec=1, tv_nsec=500}, FUTEX_BITSET_MATCH_ANY)"
    );
    assert_eq!(
        shown(&mut memory, "futex", [0x7f00, 0x81, 1, 0x55, 0x66, 0x77]),
        "futex(0x7f00, FUTEX_WAKE_PRIVATE, 1)"
    );
    assert_eq!(
        shown(&mut memory, "prctl", [23, 21, 0x55, 0x66, 0x77, 0]),
        "prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN)"
    );
    assert_eq!(
        shown(&mut memory, "prctl", [23, 48, 0, 0, 0, 0]),
        "prctl(PR_CAPBSET_READ, 0x30 /* CAP_??? */)"
    );
    assert_eq!(
        shown(&mut memory, "prctl", [38, 1, 0, 0, 0, 0]),
        "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)"
    );
    assert_eq!(
        shown(&mut memory, "prctl", [3, 9, 9, 9, 9, 0]),
        "prctl(PR_GET_DUMPABLE)"
    );
    assert_eq!(
        shown(&mut memory, "setsockopt", [3, 1, 2, 0x2000, 4, 0]),
        "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4)"
    );
    assert_eq!(
        shown(&mut memory, "socket", [2, 2 | 0o2000000, 0, 0, 0, 0]),
        "socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP)"
    );
    assert_eq!(
        shown(&mut memory, "socket", [1, 1, 0, 0, 0, 0]),
        "socket(AF_UNIX, SOCK_STREAM, 0)"
    );
    assert_eq!(
        shown(&mut memory, "clock_nanosleep", [0, 0, 0x1000, 0x3000, 0, 0]),
        "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=1, tv_nsec=500}, 0x3000)"
    );
    assert_eq!(
        shown(
            &mut memory,
            "renameat2",
            [u64::MAX - 99, 0, u64::MAX - 99, 0, 1, 0]
        ),
        "renameat2(AT_FDCWD, NULL, AT_FDCWD, NULL, RENAME_NOREPLACE)"
    );
    assert_eq!(
        shown(&mut memory, "epoll_create1", [0o2000000, 0, 0, 0, 0, 0]),
        "epoll_create1(EPOLL_CLOEXEC)"
    );
}

#[test]
fn input_arrays_and_structs_are_shown_with_their_fields() {
    let iov = [
        0x9000u64.to_le_bytes(),
        6u64.to_le_bytes(),
        0x9100u64.to_le_bytes(),
        1u64.to_le_bytes(),
    ]
    .concat();
    let pollfds = [3i32.to_le_bytes(), [1, 0, 0, 0], 4i32.to_le_bytes(), [3, 0, 0, 0]].concat();
    let stack = [0x7000u64.to_le_bytes(), [0; 8], 8192u64.to_le_bytes()].concat();
    let mut clone_args = [0u64; 11];
    clone_args[0] = 0x0001_0000 | 0x100 | 0x0008_0000 | 0x0010_0000 | 0x0020_0000;
    clone_args[2] = 0x7100;
    clone_args[3] = 0x7100;
    clone_args[5] = 0x7200;
    clone_args[6] = 0x7f_ff00;
    clone_args[7] = 0x7300;
    let clone_args: Vec<u8> = clone_args.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut memory = FakeMemory::default()
        .with_region(0x1000, &iov)
        .with_region(0x2000, &pollfds)
        .with_region(0x3000, &stack)
        .with_region(0x4000, &clone_args)
        .with_region(0x9000, b"hello\n")
        .with_region(0x9100, b"x")
        .with_region(0x9200, b"/dev/x\0");
    assert_eq!(
        shown(&mut memory, "writev", [1, 0x1000, 2, 0, 0, 0]),
        "writev(1, [{iov_base=\"hello\\n\", iov_len=6}, {iov_base=\"x\", iov_len=1}], 2)"
    );
    assert_eq!(
        shown(&mut memory, "poll", [0x2000, 2, 1000, 0, 0, 0]),
        "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLPRI}], 2, 1000)"
    );
    assert_eq!(
        shown(&mut memory, "sigaltstack", [0x3000, 0, 0, 0, 0, 0]),
        "sigaltstack({ss_sp=0x7000, ss_flags=0, ss_size=8192}, NULL)"
    );
    assert_eq!(
        shown(&mut memory, "clone3", [0x4000, 88, 0, 0, 0, 0]),
        "clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, \
         child_tid=0x7100, parent_tid=0x7100, exit_signal=0, stack=0x7200, stack_size=0x7fff00, \
         tls=0x7300}, 88)"
    );
    assert_eq!(
        shown(&mut memory, "mknod", [0x9200, 0o20666, 0x103, 0, 0, 0]),
        "mknod(\"/dev/x\", S_IFCHR|0666, makedev(0x1, 0x3))"
    );
    assert_eq!(
        shown(&mut memory, "umount2", [0x9200, 2, 0, 0, 0, 0]),
        "umount2(\"/dev/x\", MNT_DETACH)"
    );
}

#[test]
fn rt_sigreturn_shows_the_mask_of_its_signal_frame() {
    // The mask sits 296 bytes above the stack pointer on x86_64 (after uc_flags, uc_link, uc_stack and
    // uc_mcontext), 168 on aarch64 (after the siginfo and uc_flags, uc_link, uc_stack).
    let mask = ((1u64 << 0) | (1 << 11)).to_le_bytes();
    let mut memory = FakeMemory::default()
        .with_region(0x1000 + 296, &mask)
        .with_region(0x8000 + 168, &mask);
    let mut call = decode(&data(Arch::X86_64, "rt_sigreturn", [0; 6]), &mut memory);
    assert_eq!(call_text(&call), "rt_sigreturn()");
    add_sigreturn_mask(&mut call, 0x1000, &mut memory);
    assert_eq!(call_text(&call), "rt_sigreturn({mask=[HUP USR2]})");
    let mut call = decode(&data(Arch::Aarch64, "rt_sigreturn", [0; 6]), &mut memory);
    add_sigreturn_mask(&mut call, 0x8000, &mut memory);
    assert_eq!(call_text(&call), "rt_sigreturn({mask=[HUP USR2]})");
    // An unreadable frame leaves the call as it was.
    let mut call = decode(&data(Arch::X86_64, "rt_sigreturn", [0; 6]), &mut memory);
    add_sigreturn_mask(&mut call, 0x5000, &mut memory);
    assert_eq!(call_text(&call), "rt_sigreturn()");
}
