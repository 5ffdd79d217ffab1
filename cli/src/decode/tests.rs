//! Decoding against a fake target memory: typed arguments, strings, argv of both pointer widths, and
//! hostile values that must decode to `<unreadable ...>` rather than fail.

use super::*;
use crate::notify::log::text_line;

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
    crate::notify::log::value_text(value)
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
    assert_eq!(text(&call.args[1]), format!("\"{}\"...", "x".repeat(BUF_PREVIEW)));
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
    assert!(text_line(3, &call, None).starts_with("[pid 3 unknown-arch] syscall_4000(0x1, "));
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
        "[pid 1] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0)"
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
                let json = crate::notify::log::json_line(1, &call, None);
                assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "{json}");
            }
        }
    }
}

#[test]
fn socket_addresses_are_shown_by_family() {
    let inet = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(sockaddr(&inet), "{AF_INET, 127.0.0.1:8080}");
    let mut inet6 = vec![10u8, 0, 1, 0xbb, 0, 0, 0, 0];
    inet6.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    assert_eq!(sockaddr(&inet6), "{AF_INET6, [::1]:443}");
    assert_eq!(sockaddr(b"\x01\x00/run/x.sock\0"), "{AF_UNIX, \"/run/x.sock\"}");
    assert_eq!(sockaddr(b"\x01\x00\0abstract"), "{AF_UNIX, @abstract}");
    assert_eq!(sockaddr(&[2, 0, 1]), "{AF_INET, <short>}");
    assert_eq!(sockaddr(&[7]), "{}");
    assert_eq!(sockaddr(&[40, 0, 1, 2]), "{AF_VSOCK, 0102}");
    // Through decode: connect's address is read with its length argument.
    let mut memory = FakeMemory::default().with_region(0x8000, &inet);
    let call = decode(
        &data(Arch::Aarch64, "connect", [3, 0x8000, 16, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "{AF_INET, 127.0.0.1:8080}");
    let call = decode(
        &data(Arch::Aarch64, "connect", [3, 0x9000, 16, 0, 0, 0]),
        &mut memory,
    );
    assert_eq!(text(&call.args[1]), "<unreadable 0x9000>");
}
