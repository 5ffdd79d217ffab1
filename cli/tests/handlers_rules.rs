//! Handler rules carried out by the supervisor for real targets (forked children under a notifying
//! filter, served by `RuleHandler`): the TOCTOU race, relative paths, dirfds, `..`, symlinks out of the
//! allowed tree, `/proc/self/root` and `/proc/self/fd` tricks, a chrooted target, a target in its own
//! mount namespace, an unprivileged target and a root-only file, and the log naming `file:line`.

#[path = "../../supervisor/tests/common/mod.rs"]
mod common;

use common::{AT_FDCWD, Op, Outcome, Shared, TempDir, ptr, thread};
use rustix::fd::AsRawFd;
use seccomp_supervisor::{Answer, Call, Errno, Handler, Reply};
use seccompctl::args::NotifyAnswer;
use seccompctl::notify::act::RuleHandler;
use seccompctl::notify::log::Sink;
use seccompctl::notify::rules::Rules;
use std::ffi::CString;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const EACCES: i64 = -13;
const EPERM: i64 = -1;

/// A rule handler for `text` (with `T` replaced by the test directory), logging to `log` when given.
fn handler(text: &str, t: &Path, log: Option<Arc<Mutex<Vec<u8>>>>) -> RuleHandler {
    let text = text.replace('T', &t.display().to_string());
    let rules = Rules::parse(Path::new("h.rules"), &text, common::native()).expect("the rules parse");
    let sink = log.map(|buf| Sink::new(Box::new(Shelf(buf)), false, "test"));
    RuleHandler::new(Some(rules), NotifyAnswer::Errno(38), common::native(), sink)
}

/// A `Write` into a shared buffer.
struct Shelf(Arc<Mutex<Vec<u8>>>);

impl Write for Shelf {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buf) = self.0.lock() {
            buf.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn notified() -> Vec<u32> {
    [
        "open", "openat", "mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "chmod",
        "fchmodat", "connect",
    ]
    .iter()
    .filter_map(|name| common::nr(name))
    .collect()
}

/// What one call came to: its result, and for an open the first 8 bytes read from the fd (0 if none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    result: i64,
    content: [u8; 8],
}

/// Runs `ops` under `rules` after `prepare`; for each successful open, reads 8 bytes and closes the fd.
fn run(rules: RuleHandler, ops: &[Op], prepare: impl FnOnce() -> i32) -> Vec<Seen> {
    let shared = Shared::with_slots(ops.len() * 2);
    let opens: Vec<bool> = ops
        .iter()
        .map(|op| Some(op.nr) == common::nr("openat") || Some(op.nr) == common::nr("open"))
        .collect();
    let read_nr = common::nr("read").expect("read");
    let close_nr = common::nr("close").expect("close");
    let mut scratch = [0u8; 8];
    let body = || {
        for (i, op) in ops.iter().enumerate() {
            let result = op.run();
            shared.set(2 * i, result);
            if opens[i] && result >= 0 {
                scratch = [0; 8];
                // SAFETY: reads into the prepared buffer, then closes the fd it just got.
                unsafe {
                    let _ = seccomp_sys::raw::syscall3(
                        read_nr,
                        result as usize,
                        scratch.as_mut_ptr() as usize,
                        8,
                    );
                    let _ = seccomp_sys::raw::syscall3(close_nr, result as usize, 0, 0);
                }
                shared.set(2 * i + 1, i64::from_le_bytes(scratch));
            }
        }
        0
    };
    let filter = common::notify_filter(&notified());
    // SAFETY: the child makes raw syscalls from the prepared table and writes the shared page.
    let outcome = unsafe { common::supervised(&filter, rules, prepare, body) };
    assert_eq!(outcome, Outcome::Exited(0), "the target");
    (0..ops.len())
        .map(|i| Seen {
            result: shared.get(2 * i),
            content: shared.get(2 * i + 1).to_le_bytes(),
        })
        .collect()
}

/// C strings kept alive for the child.
#[derive(Default)]
struct Strings(Vec<CString>);

impl Strings {
    fn s(&mut self, text: &str) -> usize {
        let c = CString::new(text).expect("no NUL");
        let p = ptr(&c);
        self.0.push(c);
        p
    }
}

fn openat(dirfd: usize, path: usize) -> Op {
    Op::new("openat", &[dirfd, path, 0, 0]).expect("openat")
}

/// `T/allowed/` with a file and symlinks leading out, `T/secret/f`, `T/allowedX/f`.
fn tree(t: &TempDir) {
    let p = t.path();
    for d in ["allowed", "allowed/sub", "secret", "allowedX"] {
        std::fs::create_dir(p.join(d)).expect("mkdir");
    }
    std::fs::write(p.join("allowed/f"), b"ALLOWED\n").expect("write");
    std::fs::write(p.join("secret/f"), b"SECRET!\n").expect("write");
    std::fs::write(p.join("allowedX/f"), b"SECRET!\n").expect("write");
    let link = |to: &str, at: &str| std::os::unix::fs::symlink(to, p.join(at)).expect("symlink");
    link("../secret/f", "allowed/up");
    link(&format!("{}/secret/f", p.display()), "allowed/abs");
    link("../secret", "allowed/dirlink");
    link("f", "allowed/inner");
    link("../../allowed/f", "allowed/sub/back");
}

const ALLOWED: [u8; 8] = *b"ALLOWED\n";

#[test]
fn paths_are_checked_as_resolved_and_symlinks_never_leave_the_tree() {
    let _serial = common::serial();
    let t = TempDir::new("rules-paths");
    tree(&t);
    let p = t.path().display().to_string();
    let allowed_dir = std::fs::File::open(t.path().join("allowed")).expect("open");
    let secret_dir = std::fs::File::open(t.path().join("secret")).expect("open");
    let (a, s) = (allowed_dir.as_raw_fd() as usize, secret_dir.as_raw_fd() as usize);
    let mut st = Strings::default();
    let cases: Vec<(&str, Op, i64, bool)> = vec![
        ("relative f", openat(AT_FDCWD, st.s("f")), 0, true),
        ("./sub/../f", openat(AT_FDCWD, st.s("./sub/../f")), EACCES, false),
        (
            "absolute",
            openat(AT_FDCWD, st.s(&format!("{p}/allowed/f"))),
            0,
            true,
        ),
        (
            "//./ spelled",
            openat(AT_FDCWD, st.s(&format!("/{p}//allowed/./f"))),
            0,
            true,
        ),
        ("symlink inside", openat(AT_FDCWD, st.s("inner")), 0, true),
        // RESOLVE_BENEATH: a `..` above the tree fails even when the walk would come back into it.
        (
            "symlink sub/back (leaves and returns)",
            openat(AT_FDCWD, st.s("sub/back")),
            EACCES,
            false,
        ),
        (
            "relative symlink out",
            openat(AT_FDCWD, st.s("up")),
            EACCES,
            false,
        ),
        (
            "absolute symlink out",
            openat(AT_FDCWD, st.s("abs")),
            EACCES,
            false,
        ),
        (
            "directory symlink out",
            openat(AT_FDCWD, st.s("dirlink/f")),
            EACCES,
            false,
        ),
        (
            "../secret/f",
            openat(AT_FDCWD, st.s("../secret/f")),
            EACCES,
            false,
        ),
        (
            "sibling allowedX",
            openat(AT_FDCWD, st.s("../allowedX/f")),
            EACCES,
            false,
        ),
        (
            "absolute allowedX",
            openat(AT_FDCWD, st.s(&format!("{p}/allowedX/f"))),
            EACCES,
            false,
        ),
        ("dirfd allowed", openat(a, st.s("f")), 0, true),
        ("dirfd secret", openat(s, st.s("f")), EACCES, false),
        (
            "dirfd allowed ../secret",
            openat(a, st.s("../secret/f")),
            EACCES,
            false,
        ),
        (
            "/proc/self/root",
            openat(AT_FDCWD, st.s(&format!("/proc/self/root{p}/secret/f"))),
            EACCES,
            false,
        ),
        (
            "/proc/self/fd",
            openat(AT_FDCWD, st.s(&format!("/proc/self/fd/{s}/f"))),
            EACCES,
            false,
        ),
        (
            "/proc/self/cwd",
            openat(AT_FDCWD, st.s("/proc/self/cwd/../secret/f")),
            EACCES,
            false,
        ),
        ("missing inside", openat(AT_FDCWD, st.s("nothere")), -2, false),
    ];
    let rules = handler(
        "default notify\nallow openat open if path under \"T/allowed\"\nerrno(EACCES) openat open\n",
        t.path(),
        None,
    );
    let cwd = common::cstr(&t.path().join("allowed"));
    let ops: Vec<Op> = cases.iter().map(|c| c.1).collect();
    let seen = run(rules, &ops, || match rustix::process::chdir(cwd.as_c_str()) {
        Ok(()) => 0,
        Err(_) => 91,
    });
    for ((label, _, want, reads_allowed), got) in cases.iter().zip(&seen) {
        if *want == 0 {
            assert!(got.result >= 0, "{label}: {}", common::show(got.result));
        } else {
            assert_eq!(got.result, *want, "{label}: {}", common::show(got.result));
        }
        if *reads_allowed {
            assert_eq!(got.content, ALLOWED, "{label}");
        }
        assert_ne!(&got.content, b"SECRET!\n", "{label}: a forbidden file was opened");
    }
}

#[test]
fn path_syscalls_act_only_inside_the_tree() {
    let _serial = common::serial();
    let t = TempDir::new("rules-fs");
    tree(&t);
    let mut st = Strings::default();
    let op = |name: &str, args: &[usize]| Op::new(name, args);
    let cases: Vec<(&str, Option<Op>, i64)> = vec![
        ("mkdirat new", op("mkdirat", &[AT_FDCWD, st.s("new"), 0o755]), 0),
        (
            "mkdirat through dirlink",
            op("mkdirat", &[AT_FDCWD, st.s("dirlink/new"), 0o755]),
            EPERM,
        ),
        (
            "mkdirat ../secret/new",
            op("mkdirat", &[AT_FDCWD, st.s("../secret/new"), 0o755]),
            EPERM,
        ),
        (
            "unlinkat up (the link itself)",
            op("unlinkat", &[AT_FDCWD, st.s("up"), 0]),
            0,
        ),
        (
            "unlinkat dirlink/f",
            op("unlinkat", &[AT_FDCWD, st.s("dirlink/f"), 0]),
            EPERM,
        ),
        (
            "renameat f out",
            op("renameat", &[AT_FDCWD, st.s("f"), AT_FDCWD, st.s("../secret/g")]),
            EPERM,
        ),
        (
            "renameat f g",
            op("renameat", &[AT_FDCWD, st.s("f"), AT_FDCWD, st.s("g")]),
            0,
        ),
        (
            "fchmodat abs (points out)",
            op("fchmodat", &[AT_FDCWD, st.s("abs"), 0o777]),
            EPERM,
        ),
        ("fchmodat g", op("fchmodat", &[AT_FDCWD, st.s("g"), 0o640]), 0),
        (
            "rmdir the tree itself",
            op("unlinkat", &[AT_FDCWD, st.s("../allowed"), 0x200]),
            EPERM,
        ),
    ];
    let rules = handler(
        "default notify\n\
         allow mkdir mkdirat unlink unlinkat rename renameat chmod fchmodat if path under \"T/allowed\"\n\
         errno(EPERM) mkdir mkdirat unlink unlinkat rename renameat chmod fchmodat\n",
        t.path(),
        None,
    );
    let cwd = common::cstr(&t.path().join("allowed"));
    let cases: Vec<(&str, Op, i64)> = cases
        .into_iter()
        .filter_map(|(l, o, w)| Some((l, o?, w)))
        .collect();
    let ops: Vec<Op> = cases.iter().map(|c| c.1).collect();
    let seen = run(rules, &ops, || match rustix::process::chdir(cwd.as_c_str()) {
        Ok(()) => 0,
        Err(_) => 91,
    });
    for ((label, _, want), got) in cases.iter().zip(&seen) {
        assert_eq!(got.result, *want, "{label}: {}", common::show(got.result));
    }
    use std::os::unix::fs::PermissionsExt as _;
    let p = t.path();
    assert!(p.join("allowed/new").is_dir());
    assert!(!p.join("secret/new").exists() && !p.join("secret/g").exists());
    assert!(
        p.join("secret/f").exists(),
        "unlinking the symlink left its target"
    );
    let mode = |f: &str| std::fs::metadata(p.join(f)).map(|m| m.permissions().mode() & 0o7777);
    assert_eq!(mode("allowed/g").ok(), Some(0o640));
    assert_ne!(
        mode("secret/f").ok(),
        Some(0o777),
        "chmod through a symlink out changed the secret"
    );
}

#[test]
fn connect_is_allowed_by_unix_path_and_by_inet_address_and_port() {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketType};
    let _serial = common::serial();
    let t = TempDir::new("rules-net");
    tree(&t);
    let server = rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
    let secret_server = rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
    for (sock, at) in [(&server, "allowed/s.sock"), (&secret_server, "secret/s.sock")] {
        rustix::net::bind(
            sock,
            &SocketAddrUnix::new(t.path().join(at).as_path()).expect("addr"),
        )
        .expect("bind");
        rustix::net::listen(sock, 8).expect("listen");
    }
    std::os::unix::fs::symlink("../secret/s.sock", t.path().join("allowed/out.sock")).expect("symlink");
    let tcp = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).expect("socket");
    rustix::net::bind(
        &tcp,
        &std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0),
    )
    .expect("bind");
    rustix::net::listen(&tcp, 8).expect("listen");
    let port = match rustix::net::getsockname(&tcp).map(std::net::SocketAddr::try_from) {
        Ok(Ok(std::net::SocketAddr::V4(addr))) => addr.port(),
        other => panic!("getsockname: {other:?}"),
    };
    let un = |path: &str| {
        let mut bytes = vec![0u8; 110];
        bytes[..2].copy_from_slice(&1u16.to_ne_bytes());
        bytes[2..2 + path.len()].copy_from_slice(path.as_bytes());
        (bytes, 3 + path.len())
    };
    let inet = |port: u16| {
        let mut bytes = vec![0u8; 16];
        bytes[..2].copy_from_slice(&2u16.to_ne_bytes());
        bytes[2..4].copy_from_slice(&port.to_be_bytes());
        bytes[4..8].copy_from_slice(&[127, 0, 0, 1]);
        bytes
    };
    let addrs = [un("s.sock"), un("out.sock"), un("../secret/s.sock")];
    let good = inet(port);
    let bad = inet(if port == 65535 { 1 } else { port + 1 });
    let sock = |family| rustix::net::socket(family, SocketType::STREAM, None).expect("socket");
    let socks = [
        sock(AddressFamily::UNIX),
        sock(AddressFamily::UNIX),
        sock(AddressFamily::UNIX),
        sock(AddressFamily::INET),
        sock(AddressFamily::INET),
    ];
    let fd = |i: usize| socks[i].as_raw_fd() as usize;
    let connect = |i: usize, addr: &[u8], len: usize| {
        Op::new("connect", &[fd(i), addr.as_ptr() as usize, len]).expect("connect")
    };
    let cases = [
        ("unix inside", connect(0, &addrs[0].0, addrs[0].1), 0),
        ("unix symlink out", connect(1, &addrs[1].0, addrs[1].1), EACCES),
        ("unix ../secret", connect(2, &addrs[2].0, addrs[2].1), EACCES),
        ("inet allowed port", connect(3, &good, 16), 0),
        ("inet other port", connect(4, &bad, 16), EACCES),
    ];
    let rules = handler(
        &format!(
            "default notify\nallow connect if path under \"T/allowed\"\n\
             allow connect if family == inet && addr in 127.0.0.0/8 && port == {port}\n\
             errno(EACCES) connect\n"
        ),
        t.path(),
        None,
    );
    let cwd = common::cstr(&t.path().join("allowed"));
    let ops: Vec<Op> = cases.iter().map(|c| c.1).collect();
    let seen = run(rules, &ops, || match rustix::process::chdir(cwd.as_c_str()) {
        Ok(()) => 0,
        Err(_) => 91,
    });
    for ((label, _, want), got) in cases.iter().zip(&seen) {
        assert_eq!(got.result, *want, "{label}: {}", common::show(got.result));
    }
}

#[test]
fn an_unprivileged_target_cannot_open_a_root_only_file_through_an_allow() {
    let _serial = common::serial();
    let t = TempDir::new("rules-uid");
    let p = t.path();
    std::fs::write(p.join("rootonly"), b"SECRET!\n").expect("write");
    std::fs::write(p.join("public"), b"ALLOWED\n").expect("write");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p.join("rootonly"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::set_permissions(p.join("public"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut st = Strings::default();
    let creat = (rustix::fs::OFlags::CREATE | rustix::fs::OFlags::WRONLY).bits() as usize;
    let ops = [
        openat(AT_FDCWD, st.s(&format!("{}/rootonly", p.display()))),
        openat(AT_FDCWD, st.s(&format!("{}/public", p.display()))),
        Op::new(
            "openat",
            &[AT_FDCWD, st.s(&format!("{}/created", p.display())), creat, 0o644],
        )
        .expect("openat"),
        Op::new(
            "mkdirat",
            &[AT_FDCWD, st.s(&format!("{}/newdir", p.display())), 0o755],
        )
        .expect("mkdirat"),
    ];
    let rules = handler(
        "default notify\nallow openat mkdirat if path under \"T\"\nerrno(EPERM) openat mkdirat\n",
        p,
        None,
    );
    let seen = run(rules, &ops, || {
        let id = 65534;
        let ok = rustix::thread::set_thread_groups(&[]).is_ok()
            && rustix::thread::set_thread_res_gid(
                Some(rustix::process::Gid::from_raw(id)),
                Some(rustix::process::Gid::from_raw(id)),
                Some(rustix::process::Gid::from_raw(id)),
            )
            .is_ok()
            && rustix::thread::set_thread_res_uid(
                Some(rustix::process::Uid::from_raw(id)),
                Some(rustix::process::Uid::from_raw(id)),
                Some(rustix::process::Uid::from_raw(id)),
            )
            .is_ok();
        if ok { 0 } else { 90 }
    });
    assert_eq!(
        seen[0].result,
        EACCES,
        "root-only file: {}",
        common::show(seen[0].result)
    );
    assert_ne!(&seen[0].content, b"SECRET!\n");
    assert!(
        seen[1].result >= 0,
        "public file: {}",
        common::show(seen[1].result)
    );
    assert_eq!(seen[1].content, ALLOWED);
    assert_eq!(seen[2].result, EACCES, "create in a root-owned directory");
    assert_eq!(seen[3].result, EACCES, "mkdir in a root-owned directory");
    assert!(!p.join("created").exists() && !p.join("newdir").exists());
}

#[test]
fn a_chrooted_target_is_resolved_in_its_root() {
    let _serial = common::serial();
    let t = TempDir::new("rules-chroot");
    let p = t.path();
    for d in ["jail", "jail/data", "data"] {
        std::fs::create_dir(p.join(d)).expect("mkdir");
    }
    std::fs::write(p.join("jail/data/f"), b"ALLOWED\n").expect("write");
    std::fs::write(p.join("data/f"), b"SECRET!\n").expect("write");
    std::fs::write(p.join("secret"), b"SECRET!\n").expect("write");
    // Absolute and `..`-heavy links: inside the jail they stay inside it.
    std::os::unix::fs::symlink(format!("{}/secret", p.display()), p.join("jail/data/abs")).expect("symlink");
    std::os::unix::fs::symlink("../../../../../secret", p.join("jail/data/up")).expect("symlink");
    let jail = common::cstr(&p.join("jail"));
    let mut st = Strings::default();
    let ops = [
        openat(AT_FDCWD, st.s("/data/f")),
        openat(AT_FDCWD, st.s("data/f")),
        openat(AT_FDCWD, st.s("/data/abs")),
        openat(AT_FDCWD, st.s("/data/up")),
        openat(AT_FDCWD, st.s(&format!("{}/data/f", p.display()))),
    ];
    // The rule names a path inside the target's root: the jail's /data.
    let rules = handler(
        "default notify\nallow openat if path under \"/data\"\nerrno(EACCES) openat\n",
        p,
        None,
    );
    let seen = run(rules, &ops, || {
        if rustix::process::chroot(jail.as_c_str()).is_err() || rustix::process::chdir(c"/").is_err() {
            return 92;
        }
        0
    });
    assert!(seen[0].result >= 0, "/data/f: {}", common::show(seen[0].result));
    assert_eq!(seen[0].content, ALLOWED, "/data/f is the jail's");
    assert_eq!(seen[1].content, ALLOWED, "data/f relative to the jail's /");
    for (i, label) in [(2, "absolute symlink"), (3, "`..` symlink")] {
        assert_ne!(&seen[i].content, b"SECRET!\n", "{label} left the jail");
    }
    assert!(
        seen[4].result < 0 && seen[4].content != *b"SECRET!\n",
        "the host path does not exist in the jail"
    );
}

#[test]
fn a_target_in_its_own_mount_namespace_sees_its_bind_mount() {
    let _serial = common::serial();
    let t = TempDir::new("rules-mntns");
    let p = t.path();
    for d in ["src", "mnt"] {
        std::fs::create_dir(p.join(d)).expect("mkdir");
    }
    std::fs::write(p.join("src/f"), b"ALLOWED\n").expect("write");
    let (src, mnt) = (common::cstr(&p.join("src")), common::cstr(&p.join("mnt")));
    let mut st = Strings::default();
    let ops = [openat(AT_FDCWD, st.s(&format!("{}/mnt/f", p.display())))];
    let rules = handler(
        "default notify\nallow openat if path under \"T/mnt\"\nerrno(EACCES) openat\n",
        p,
        None,
    );
    let seen = run(rules, &ops, || {
        use rustix::mount::{MountFlags, MountPropagationFlags};
        // SAFETY: unshares only this single-threaded child's mount namespace.
        let unshared = unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) };
        if unshared.is_err() {
            return 93;
        }
        if rustix::mount::mount_change(c"/", MountPropagationFlags::REC | MountPropagationFlags::PRIVATE)
            .is_err()
        {
            return 94;
        }
        if rustix::mount::mount_bind(src.as_c_str(), mnt.as_c_str()).is_err() {
            return 95;
        }
        let _ = MountFlags::empty();
        0
    });
    assert!(
        seen[0].result >= 0,
        "mnt/f exists only in the target's namespace: {}",
        common::show(seen[0].result)
    );
    assert_eq!(seen[0].content, ALLOWED);
    assert!(!p.join("mnt/f").exists(), "the bind mount is the target's only");
}

#[test]
fn each_log_line_names_the_deciding_rule() {
    let _serial = common::serial();
    let t = TempDir::new("rules-log");
    tree(&t);
    let mut st = Strings::default();
    let p = t.path().display().to_string();
    let ops = [
        openat(AT_FDCWD, st.s(&format!("{p}/allowed/f"))),
        openat(AT_FDCWD, st.s(&format!("{p}/secret/f"))),
    ];
    let log = Arc::new(Mutex::new(Vec::new()));
    let rules = handler(
        "default notify\n# comment\nallow openat if path under \"T/allowed\"\nerrno(EACCES) openat\n",
        t.path(),
        Some(log.clone()),
    );
    let seen = run(rules, &ops, || 0);
    assert!(seen[0].result >= 0 && seen[1].result == EACCES);
    let text = String::from_utf8_lossy(&log.lock().map(|l| l.clone()).unwrap_or_default()).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("openat")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("(h.rules:3)"), "{}", lines[0]);
    assert!(lines[1].contains("errno(EACCES) (h.rules:4)"), "{}", lines[1]);
}

/// The TOCTOU race: one thread of the target flips a path buffer between an allowed and a forbidden
/// file while another opens through it [`OPENS`] times under the handler `make` builds for the test
/// directory; returns (allowed opens, refused, forbidden opens).
fn race(name: &str, make: impl FnOnce(&Path) -> Made) -> (i64, i64, i64) {
    let t = TempDir::new(name);
    let p = t.path();
    for d in ["allowed", "secret_"] {
        std::fs::create_dir(p.join(d)).expect("mkdir");
    }
    std::fs::write(p.join("allowed/f"), b"ALLOWED\n").expect("write");
    std::fs::write(p.join("secret_/f"), b"SECRET!\n").expect("write");
    let allowed = format!("{}/allowed/f", p.display()).into_bytes();
    let secret = format!("{}/secret_/f", p.display()).into_bytes();
    assert_eq!(allowed.len(), secret.len());
    let buffer: Vec<AtomicU8> = (0..allowed.len() + 1).map(|_| AtomicU8::new(0)).collect();
    for (cell, &b) in buffer.iter().zip(&allowed) {
        cell.store(b, Ordering::Relaxed);
    }
    struct Flip<'a> {
        buffer: &'a [AtomicU8],
        paths: [&'a [u8]; 2],
        stop: AtomicU32,
    }
    extern "C" fn flipper(arg: usize) {
        // SAFETY: `arg` is the address of the `Flip` that outlives the thread (joined before it drops).
        let flip = unsafe { &*(arg as *const Flip<'_>) };
        let mut which = 0;
        while flip.stop.load(Ordering::Relaxed) == 0 {
            which ^= 1;
            for (cell, &b) in flip.buffer.iter().zip(flip.paths[which]) {
                cell.store(b, Ordering::Relaxed);
            }
        }
    }
    let flip = Flip {
        buffer: &buffer,
        paths: [&allowed, &secret],
        stop: AtomicU32::new(0),
    };
    let mut stack = vec![0u8; 256 * 1024];
    let tid = AtomicU32::new(0);
    let shared = Shared::with_slots(4);
    let (openat_nr, read_nr, close_nr) = (
        common::nr("openat").expect("openat"),
        common::nr("read").expect("read"),
        common::nr("close").expect("close"),
    );
    let path_addr = buffer.as_ptr() as usize;
    let body = || {
        // SAFETY: the stack and `flip` outlive the thread, which is joined below; the thread only
        // stores bytes.
        if unsafe { thread::spawn(&mut stack, flipper, &flip as *const Flip<'_> as usize, &tid) }.is_err() {
            return 96;
        }
        let (mut opened, mut refused, mut forbidden) = (0i64, 0i64, 0i64);
        for _ in 0..OPENS {
            // SAFETY: openat of the NUL-terminated buffer; read into a local buffer; close the fd.
            match unsafe { seccomp_sys::raw::syscall4(openat_nr, AT_FDCWD, path_addr, 0, 0) } {
                Ok(fd) => {
                    let mut scratch = [0u8; 8];
                    // SAFETY: reads into the local buffer, then closes the fd just opened.
                    unsafe {
                        let _ = seccomp_sys::raw::syscall3(read_nr, fd, scratch.as_mut_ptr() as usize, 8);
                        let _ = seccomp_sys::raw::syscall3(close_nr, fd, 0, 0);
                    }
                    if &scratch == b"SECRET!\n" {
                        forbidden += 1;
                    } else {
                        opened += 1;
                    }
                }
                Err(_) => refused += 1,
            }
        }
        thread::set_and_wake(&flip.stop, 1);
        thread::join(&tid);
        shared.set(0, opened);
        shared.set(1, refused);
        shared.set(2, forbidden);
        0
    };
    let rules = make(p);
    let filter = common::notify_filter(&[openat_nr]);
    // SAFETY: the child makes raw syscalls and writes prepared memory only.
    let outcome = unsafe { common::supervised(&filter, rules, || 0, body) };
    assert_eq!(outcome, Outcome::Exited(0));
    let counts = (shared.get(0), shared.get(1), shared.get(2));
    eprintln!(
        "{name}: {} allowed opens, {} refused, {} forbidden opens",
        counts.0, counts.1, counts.2
    );
    assert_eq!(counts.0 + counts.1 + counts.2, OPENS);
    counts
}

/// How many opens each race makes.
const OPENS: i64 = 100_000;

/// A handler made for the race's directory.
type Made = Box<dyn Fn(Call<'_>) -> Reply + Send + Sync>;

#[test]
fn a_path_flipped_by_another_thread_never_opens_the_forbidden_file() {
    let _serial = common::serial();
    let (opened, refused, forbidden) = race("rules-toctou", |p| {
        let rules = handler(
            "default notify\nallow openat if path under \"T/allowed\"\nerrno(EACCES) openat\n",
            p,
            None,
        );
        Box::new(move |call| Handler::handle(&rules, call))
    });
    assert_eq!(forbidden, 0, "the forbidden file was opened");
    assert!(opened > 0 && refused > 0, "the race flipped between both paths");
}

/// The control: the same race against a handler that checks the path and then lets the kernel re-read
/// it (`Continue`; the crate's types allow that only for a call that was not inspected, so it reads
/// through the display-only accessor, which is exactly the mistake the types are there to prevent).
/// The forbidden file is opened: the race the first test survives is real.
#[test]
fn the_same_race_against_check_then_continue_opens_the_forbidden_file() {
    let _serial = common::serial();
    let (_, _, forbidden) = race("rules-toctou-control", |p| {
        let allowed = format!("{}/allowed/", p.display()).into_bytes();
        Box::new(move |call: Call<'_>| {
            let addr = call.args()[1];
            let path = call.peek_for_log(|memory| {
                let mut buf = vec![0u8; 4096];
                Ok(memory.read_cstr(addr, &mut buf)?.to_bytes().to_vec())
            });
            let answer = match path {
                Ok(path) if path.starts_with(&allowed) => Answer::Continue,
                _ => Answer::Errno(Errno::ACCESS),
            };
            call.answer(answer)
        })
    });
    assert!(forbidden > 0, "check-then-continue never lost the race");
}

#[test]
fn stat_writes_the_files_own_struct_and_refuses_links_out_of_the_tree() {
    use std::os::unix::fs::MetadataExt as _;
    let _serial = common::serial();
    let t = TempDir::new("rules-stat");
    tree(&t);
    let mut st = Strings::default();
    let buf = Box::leak(Box::new([0u8; 256]));
    let buf_addr = buf.as_mut_ptr() as usize;
    let newfstatat = |path: usize, flags: usize| {
        Op::new("newfstatat", &[AT_FDCWD, path, buf_addr, flags]).expect("newfstatat")
    };
    let statx = Op::new("statx", &[AT_FDCWD, st.s("f"), 0, 0xfff, buf_addr]).expect("statx");
    let ops = [
        newfstatat(st.s("f"), 0),
        newfstatat(st.s("up"), 0),
        newfstatat(st.s("up"), 0x100),
        statx,
    ];
    let shared = Shared::with_slots(8);
    let body = || {
        for (i, op) in ops.iter().enumerate() {
            shared.set(2 * i, op.run());
            // st_ino is the second u64 of struct stat on x86_64 and aarch64; stx_ino is at 32.
            let at = if i == 3 { 32 } else { 8 };
            // SAFETY: the buffer is this child's copy, 256 bytes; an unaligned read of 8 of them.
            let ino = unsafe { core::ptr::read_unaligned((buf_addr + at) as *const u64) };
            shared.set(2 * i + 1, ino as i64);
        }
        0
    };
    let rules = handler(
        "default notify\nallow newfstatat statx if path under \"T/allowed\"\nerrno(EACCES) newfstatat statx\n",
        t.path(),
        None,
    );
    let cwd = common::cstr(&t.path().join("allowed"));
    let filter = common::notify_filter(&[
        common::nr("newfstatat").expect("newfstatat"),
        common::nr("statx").expect("statx"),
    ]);
    let prepare = || match rustix::process::chdir(cwd.as_c_str()) {
        Ok(()) => 0,
        Err(_) => 91,
    };
    // SAFETY: the child makes raw syscalls and writes prepared memory only.
    let outcome = unsafe { common::supervised(&filter, rules, prepare, body) };
    assert_eq!(outcome, Outcome::Exited(0));
    let ino = |p: &str| {
        std::fs::symlink_metadata(t.path().join(p))
            .map(|m| m.ino() as i64)
            .ok()
    };
    assert_eq!(shared.get(0), 0, "stat f: {}", common::show(shared.get(0)));
    assert_eq!(Some(shared.get(1)), ino("allowed/f"), "the struct is f's");
    assert_eq!(shared.get(2), EACCES, "stat through a link out of the tree");
    assert_eq!(shared.get(4), 0, "lstat of the link itself is inside");
    assert_eq!(Some(shared.get(5)), ino("allowed/up"), "the link's own struct");
    assert_eq!(shared.get(6), 0, "statx f: {}", common::show(shared.get(6)));
    assert_eq!(Some(shared.get(7)), ino("allowed/f"), "the statx struct is f's");
}
