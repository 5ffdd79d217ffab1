//! Errno parity: every emulated syscall gives the target what the kernel would have given it.
//!
//! Each test prepares the same directory tree twice and runs the same table of raw syscalls in a forked
//! child: once unsupervised, once with every one of those syscalls notified and done by the supervisor
//! (`Request::read` + `Request::perform` in the target's root). The results (value or errno) must be
//! equal call by call, and the trees left behind (names, types, modes) must be equal too, which checks
//! that the supervisor created entries with the target's umask and ids.

mod common;

use common::{AT_FDCWD, Op, Outcome, Shared, TempDir, cstr, ptr};
use rustix::fd::AsRawFd;
use seccomp_supervisor::emulate::{Request, RequestError, Scope};
use seccomp_supervisor::{Call, CheckedAnswer, Errno, Reply};
use std::ffi::CString;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

/// The handler: every notified syscall is read and done for the target anywhere in its root.
fn emulate_all(call: Call<'_>) -> Reply {
    let mut call = call.inspect();
    let answer = match Request::read(&mut call) {
        Ok(request) => request.perform(call.call(), Scope::Root).answer_or(Errno::ACCESS),
        Err(RequestError::Errno(errno)) => CheckedAnswer::Errno(errno),
        Err(_) => CheckedAnswer::Errno(Errno::NOSYS),
    };
    call.answer(answer)
}

/// The syscalls the tests notify: every one the emulation module does (those this architecture has).
fn notified() -> Vec<u32> {
    seccomp_supervisor::emulate::EMULATED
        .iter()
        .filter_map(|name| common::nr(name))
        .collect()
}

/// The identity a target runs as.
#[derive(Clone, Copy)]
struct As {
    uid: u32,
    umask: u32,
}

/// Becomes `who` (in the single-threaded child: the thread's ids are the process's) and sets the umask.
fn become_target(who: As) -> i32 {
    rustix::process::umask(rustix::fs::Mode::from_bits_retain(who.umask));
    if who.uid == 0 {
        return 0;
    }
    let id = who.uid;
    if rustix::thread::set_thread_groups(&[]).is_err()
        || rustix::thread::set_thread_res_gid(
            Some(rustix::process::Gid::from_raw(id)),
            Some(rustix::process::Gid::from_raw(id)),
            Some(rustix::process::Gid::from_raw(id)),
        )
        .is_err()
        || rustix::thread::set_thread_res_uid(
            Some(rustix::process::Uid::from_raw(id)),
            Some(rustix::process::Uid::from_raw(id)),
            Some(rustix::process::Uid::from_raw(id)),
        )
        .is_err()
    {
        return 90;
    }
    0
}

/// Runs `ops` in a child (after `chdir(cwd)` and becoming `who`), unsupervised or supervised; returns
/// the results.
fn run(ops: &[(String, Op)], cwd: &CString, who: As, supervise: bool) -> Vec<i64> {
    let shared = Shared::with_slots(ops.len());
    let table: Vec<Op> = ops.iter().map(|(_, op)| *op).collect();
    let prepare = || {
        if rustix::process::chdir(cwd.as_c_str()).is_err() {
            return 91;
        }
        become_target(who)
    };
    let body = || {
        for (i, op) in table.iter().enumerate() {
            shared.set(i, op.run());
        }
        0
    };
    let outcome = if supervise {
        let filter = common::notify_filter(&notified());
        // SAFETY: the child makes raw syscalls from the prepared table and writes the shared page.
        unsafe { common::supervised(&filter, emulate_all, prepare, body) }
    } else {
        // SAFETY: as above.
        let child = unsafe {
            common::spawn(|| {
                let code = prepare();
                if code != 0 {
                    return code;
                }
                body()
            })
        };
        child.wait_within(common::CHILD_TIMEOUT)
    };
    assert_eq!(
        outcome,
        Outcome::Exited(0),
        "the target (supervised: {supervise})"
    );
    (0..ops.len()).map(|i| shared.get(i)).collect()
}

/// Names, types, modes and owners of everything below `root`, sorted.
fn snapshot(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            out.push(format!("{rel} {:o} {}:{}", meta.mode(), meta.uid(), meta.gid()));
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Compares the two runs op by op and the trees they left.
fn compare(
    name: &str,
    ops: &[(String, Op)],
    kernel: &[i64],
    emulated: &[i64],
    trees: (Vec<String>, Vec<String>),
) {
    let mut mismatches = Vec::new();
    for (i, (label, _)) in ops.iter().enumerate() {
        if kernel[i] != emulated[i] {
            mismatches.push(format!(
                "{label}: kernel {} emulated {}",
                common::show(kernel[i]),
                common::show(emulated[i])
            ));
        }
    }
    assert!(mismatches.is_empty(), "{name}: {mismatches:#?}");
    assert_eq!(trees.0, trees.1, "{name}: the trees differ");
    // The table must have exercised errors, not only successes.
    assert!(kernel.iter().any(|&r| r < 0) && kernel.iter().any(|&r| r >= 0));
}

/// The tree: `dir/` (owned by `owner`) with a file, a non-empty and an empty directory, a symlink to
/// the file, a dangling one and a loop; `ro/` and `rootfile` owned by root.
fn populate(t: &TempDir, owner: u32) {
    let p = t.path();
    for d in ["dir", "dir/sub", "dir/empty", "ro"] {
        std::fs::create_dir(p.join(d)).expect("mkdir");
        std::fs::set_permissions(p.join(d), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::write(p.join("dir/file"), b"x").expect("write");
    std::fs::write(p.join("dir/sub/x"), b"x").expect("write");
    std::fs::write(p.join("rootfile"), b"x").expect("write");
    std::os::unix::fs::symlink("file", p.join("dir/link")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", p.join("dir/dangling")).expect("symlink");
    std::os::unix::fs::symlink("loop", p.join("dir/loop")).expect("symlink");
    for d in ["dir", "dir/sub", "dir/empty", "dir/file", "dir/sub/x"] {
        std::os::unix::fs::lchown(p.join(d), Some(owner), Some(owner)).expect("chown");
    }
}

/// The path syscalls' table. `strings` keeps the C strings alive; `dirfd` is `dir/`, `filefd` a file.
fn path_ops(t: &TempDir, strings: &mut Vec<CString>, dirfd: usize, filefd: usize) -> Vec<(String, Op)> {
    // A writable buffer for `struct stat` (written in the children's copies only).
    let statbuf = Box::leak(Box::new([0u8; 256])).as_mut_ptr() as usize;
    let mut s = |text: &str| -> usize {
        let c = CString::new(text).expect("no NUL");
        let p = ptr(&c);
        strings.push(c);
        p
    };
    let ro_x = s(&format!("{}/ro/x", t.path().display()));
    let rootfile = s(&format!("{}/rootfile", t.path().display()));
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as usize;
    let o_path = rustix::fs::OFlags::PATH.bits() as usize;
    let o_directory = rustix::fs::OFlags::DIRECTORY.bits() as usize;
    let creat_excl =
        (rustix::fs::OFlags::CREATE | rustix::fs::OFlags::EXCL | rustix::fs::OFlags::WRONLY).bits() as usize;
    let table: Vec<(&str, &str, Vec<usize>)> = vec![
        ("mkdir newdir", "mkdir", vec![s("newdir"), 0o777]),
        ("mkdir newdir again", "mkdir", vec![s("newdir"), 0o777]),
        ("mkdir nothere/x", "mkdir", vec![s("nothere/x"), 0o755]),
        ("mkdir file/x", "mkdir", vec![s("file/x"), 0o755]),
        ("mkdir loop/x", "mkdir", vec![s("loop/x"), 0o755]),
        ("mkdir link", "mkdir", vec![s("link"), 0o755]),
        ("mkdir dangling", "mkdir", vec![s("dangling"), 0o755]),
        ("mkdir empty path", "mkdir", vec![s(""), 0o755]),
        ("mkdir bad pointer", "mkdir", vec![8, 0o755]),
        ("mkdir /", "mkdir", vec![s("/"), 0o755]),
        ("mkdir ro/x", "mkdir", vec![ro_x, 0o755]),
        ("mkdir ../dir/up/", "mkdir", vec![s("../dir/up/"), 0o700]),
        ("mkdirat dirfd d2/", "mkdirat", vec![dirfd, s("d2/"), 0o777]),
        ("mkdirat filefd x", "mkdirat", vec![filefd, s("x"), 0o777]),
        ("mkdirat 999 x", "mkdirat", vec![999, s("x"), 0o777]),
        (
            "mkdirat cwd newdir",
            "mkdirat",
            vec![AT_FDCWD, s("newdir"), 0o777],
        ),
        ("unlink nothere", "unlink", vec![s("nothere")]),
        ("unlink sub", "unlink", vec![s("sub")]),
        ("unlink file/", "unlink", vec![s("file/")]),
        ("unlink link", "unlink", vec![s("link")]),
        ("unlink ro/x", "unlink", vec![ro_x]),
        (
            "unlinkat dirfd empty REMOVEDIR",
            "unlinkat",
            vec![dirfd, s("empty"), 0x200],
        ),
        (
            "unlinkat dirfd sub REMOVEDIR",
            "unlinkat",
            vec![dirfd, s("sub"), 0x200],
        ),
        ("unlinkat bad flags", "unlinkat", vec![dirfd, s("file"), 0x1]),
        (
            "unlinkat dirfd dangling",
            "unlinkat",
            vec![dirfd, s("dangling"), 0],
        ),
        ("rmdir file", "rmdir", vec![s("file")]),
        ("rmdir .", "rmdir", vec![s(".")]),
        ("rmdir sub/..", "rmdir", vec![s("sub/..")]),
        ("rmdir /", "rmdir", vec![s("/")]),
        ("rmdir newdir", "rmdir", vec![s("newdir")]),
        ("rename file renamed", "rename", vec![s("file"), s("renamed")]),
        ("rename nothere x", "rename", vec![s("nothere"), s("x")]),
        ("rename renamed sub", "rename", vec![s("renamed"), s("sub")]),
        ("rename sub renamed", "rename", vec![s("sub"), s("renamed")]),
        ("rename sub sub/x/y", "rename", vec![s("sub"), s("sub/inside")]),
        (
            "renameat2 NOREPLACE",
            "renameat2",
            vec![dirfd, s("renamed"), dirfd, s("d2"), 1],
        ),
        (
            "renameat2 bad flags",
            "renameat2",
            vec![dirfd, s("renamed"), dirfd, s("zz"), 0xf0],
        ),
        (
            "renameat back",
            "renameat",
            vec![dirfd, s("renamed"), dirfd, s("file")],
        ),
        ("renameat 999", "renameat", vec![999, s("file"), dirfd, s("zz")]),
        ("chmod file 0600", "chmod", vec![s("file"), 0o600]),
        ("chmod nothere", "chmod", vec![s("nothere"), 0o600]),
        ("chmod dangling", "chmod", vec![s("dangling"), 0o600]),
        ("chmod loop", "chmod", vec![s("loop"), 0o600]),
        ("chmod rootfile", "chmod", vec![rootfile, 0o600]),
        (
            "fchmodat dirfd file 04755",
            "fchmodat",
            vec![dirfd, s("file"), 0o4755],
        ),
        ("fchmodat filefd x", "fchmodat", vec![filefd, s("x"), 0o600]),
        ("fchmodat dirfd file/", "fchmodat", vec![dirfd, s("file/"), 0o600]),
        ("openat dirfd file", "openat", vec![dirfd, s("file"), 0, 0]),
        ("openat nothere", "openat", vec![AT_FDCWD, s("nothere"), 0, 0]),
        ("openat loop", "openat", vec![AT_FDCWD, s("loop"), 0, 0]),
        ("openat file/", "openat", vec![AT_FDCWD, s("file/"), 0, 0]),
        (
            "openat link NOFOLLOW",
            "openat",
            vec![AT_FDCWD, s("link"), nofollow, 0],
        ),
        ("openat sub WRONLY", "openat", vec![AT_FDCWD, s("sub"), 1, 0]),
        // O_PATH: the emulation hands over the file opened read-only (ADDFD does not take O_PATH
        // files); where the target may read, the result is the kernel's.
        ("openat sub PATH", "openat", vec![AT_FDCWD, s("sub"), o_path, 0]),
        (
            "openat dirfd file PATH",
            "openat",
            vec![dirfd, s("file"), o_path, 0],
        ),
        (
            "openat rootfile PATH",
            "openat",
            vec![AT_FDCWD, rootfile, o_path, 0],
        ),
        (
            "openat nothere PATH",
            "openat",
            vec![AT_FDCWD, s("nothere"), o_path, 0],
        ),
        ("openat loop PATH", "openat", vec![AT_FDCWD, s("loop"), o_path, 0]),
        (
            "openat file/ PATH",
            "openat",
            vec![AT_FDCWD, s("file/"), o_path, 0],
        ),
        (
            "openat dangling PATH|NOFOLLOW|DIRECTORY",
            "openat",
            vec![AT_FDCWD, s("dangling"), o_path | nofollow | o_directory, 0],
        ),
        (
            "openat new CREAT|EXCL",
            "openat",
            vec![AT_FDCWD, s("new"), creat_excl, 0o666],
        ),
        (
            "openat new CREAT|EXCL again",
            "openat",
            vec![AT_FDCWD, s("new"), creat_excl, 0o666],
        ),
        ("openat rootfile WRONLY", "openat", vec![AT_FDCWD, rootfile, 1, 0]),
        (
            "openat ro/x CREAT",
            "openat",
            vec![AT_FDCWD, ro_x, creat_excl, 0o600],
        ),
        ("stat file", "stat", vec![s("file"), statbuf]),
        ("stat nothere", "stat", vec![s("nothere"), statbuf]),
        ("stat dangling", "stat", vec![s("dangling"), statbuf]),
        ("lstat dangling", "lstat", vec![s("dangling"), statbuf]),
        ("stat loop", "stat", vec![s("loop"), statbuf]),
        ("stat file/", "stat", vec![s("file/"), statbuf]),
        ("stat bad buffer", "stat", vec![s("file"), 8]),
        ("stat empty path", "stat", vec![s(""), statbuf]),
        (
            "newfstatat dirfd link NOFOLLOW",
            "newfstatat",
            vec![dirfd, s("link"), statbuf, 0x100],
        ),
        (
            "newfstatat bad flags",
            "newfstatat",
            vec![dirfd, s("file"), statbuf, 0x4],
        ),
        (
            "newfstatat filefd x",
            "newfstatat",
            vec![filefd, s("x"), statbuf, 0],
        ),
        (
            "newfstatat fstat filefd",
            "newfstatat",
            vec![filefd, s(""), statbuf, 0x1000],
        ),
        (
            "newfstatat fstat 999",
            "newfstatat",
            vec![999, s(""), statbuf, 0x1000],
        ),
        ("newfstatat ro/x", "newfstatat", vec![AT_FDCWD, ro_x, statbuf, 0]),
        ("statx file", "statx", vec![dirfd, s("file"), 0, 0xfff, statbuf]),
        (
            "statx dangling",
            "statx",
            vec![dirfd, s("dangling"), 0, 0xfff, statbuf],
        ),
        (
            "statx dangling NOFOLLOW",
            "statx",
            vec![dirfd, s("dangling"), 0x100, 0xfff, statbuf],
        ),
        ("statx loop", "statx", vec![dirfd, s("loop"), 0, 0xfff, statbuf]),
        (
            "statx both sync flags",
            "statx",
            vec![dirfd, s("file"), 0x6000, 0xfff, statbuf],
        ),
        (
            "statx reserved mask",
            "statx",
            vec![dirfd, s("file"), 0, 0x8000_0000, statbuf],
        ),
        ("statx bad buffer", "statx", vec![dirfd, s("file"), 0, 0xfff, 8]),
        (
            "statx fstat filefd",
            "statx",
            vec![filefd, s(""), 0x1000, 0xfff, statbuf],
        ),
        (
            "statx NULL path EMPTY_PATH",
            "statx",
            vec![filefd, 0, 0x1000, 0xfff, statbuf],
        ),
        ("statx ro/x", "statx", vec![AT_FDCWD, ro_x, 0, 0xfff, statbuf]),
    ];
    table
        .into_iter()
        .filter_map(|(label, name, args)| Some((label.to_owned(), Op::new(name, &args)?)))
        .collect()
}

fn path_parity(who: As, name: &str) {
    let _serial = common::serial();
    let mut results = Vec::new();
    let mut trees = Vec::new();
    let mut labels = Vec::new();
    for supervise in [false, true] {
        let t = TempDir::new(&format!("errno-{name}-{supervise}"));
        populate(&t, who.uid);
        let dir = std::fs::File::open(t.path().join("dir")).expect("open dir");
        let file = std::fs::File::open(t.path().join("rootfile")).expect("open file");
        let mut strings = Vec::new();
        let ops = path_ops(
            &t,
            &mut strings,
            dir.as_raw_fd() as usize,
            file.as_raw_fd() as usize,
        );
        let cwd = cstr(&t.path().join("dir"));
        results.push(run(&ops, &cwd, who, supervise));
        trees.push(snapshot(t.path()));
        labels = ops;
    }
    let emulated_tree = trees.pop().unwrap_or_default();
    let kernel_tree = trees.pop().unwrap_or_default();
    compare(
        name,
        &labels,
        &results[0],
        &results[1],
        (kernel_tree, emulated_tree),
    );
}

#[test]
fn path_syscalls_give_the_kernels_errno_as_root() {
    path_parity(As { uid: 0, umask: 0o027 }, "root");
}

#[test]
fn path_syscalls_give_the_kernels_errno_as_an_unprivileged_uid() {
    path_parity(
        As {
            uid: 65534,
            umask: 0o002,
        },
        "nobody",
    );
}

/// `struct sockaddr_un` for `path`, with its length.
fn sockaddr_un(path: &[u8]) -> (Vec<u8>, usize) {
    let mut bytes = vec![0u8; 110];
    bytes[..2].copy_from_slice(&1u16.to_ne_bytes());
    bytes[2..2 + path.len()].copy_from_slice(path);
    (bytes, 2 + path.len() + 1)
}

/// `struct sockaddr_in` for `ip:port`.
fn sockaddr_in(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut bytes = vec![0u8; 16];
    bytes[..2].copy_from_slice(&2u16.to_ne_bytes());
    bytes[2..4].copy_from_slice(&port.to_be_bytes());
    bytes[4..8].copy_from_slice(&ip);
    bytes
}

/// `struct sockaddr_in6` for `[::1]:port`, scope id 0 (28 bytes).
fn sockaddr_in6_loopback(port: u16) -> Vec<u8> {
    let mut bytes = vec![0u8; 28];
    bytes[..2].copy_from_slice(&10u16.to_ne_bytes());
    bytes[2..4].copy_from_slice(&port.to_be_bytes());
    bytes[8..24].copy_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    bytes
}

/// A `sockaddr_storage`-sized buffer holding `AF_UNIX` and `path`, for lengths up to 128.
fn sockaddr_un_storage(path: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; 128];
    bytes[..2].copy_from_slice(&1u16.to_ne_bytes());
    bytes[2..2 + path.len()].copy_from_slice(path);
    bytes
}

fn socket_parity(who: As, name: &str) {
    use rustix::net::{AddressFamily, SocketType};
    let _serial = common::serial();
    let mut results = Vec::new();
    let mut trees = Vec::new();
    let mut labels = Vec::new();
    for supervise in [false, true] {
        let t = TempDir::new(&format!("sock-{name}-{supervise}"));
        populate(&t, who.uid);
        let server = rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
        let srv_path = t.path().join("dir/srv.sock");
        rustix::net::bind(
            &server,
            &rustix::net::SocketAddrUnix::new(srv_path.as_path()).expect("addr"),
        )
        .expect("bind");
        rustix::net::listen(&server, 16).expect("listen");
        std::os::unix::fs::symlink("srv.sock", t.path().join("dir/srv.link")).expect("symlink");
        // Fresh sockets for each call, made before the fork so their numbers are known.
        let unix =
            |_: u8| rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
        let inet = || rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).expect("socket");
        let socks = [
            unix(0),
            unix(1),
            unix(2),
            unix(3),
            unix(4),
            unix(5),
            unix(6),
            unix(7),
        ];
        let inets = [inet(), inet(), inet(), inet(), inet(), inet(), inet()];
        let inet6 = || rustix::net::socket(AddressFamily::INET6, SocketType::STREAM, None).ok();
        let inet6s = [inet6(), inet6()];
        let udp = || rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None).expect("socket");
        let udps = [udp(), udp()];
        let shorts = [unix(8), unix(9), unix(10), unix(11), unix(12)];
        let file = std::fs::File::open(t.path().join("rootfile")).expect("open");
        let addr = |p: &str| sockaddr_un(p.as_bytes());
        let addrs = [
            addr("srv.sock"),
            addr("srv.link"),
            addr("nothere.sock"),
            addr("file"),
            addr("new.sock"),
            addr("srv.sock"),
            addr("nothere/x.sock"),
            (
                {
                    let mut a = vec![0u8; 110];
                    a[..2].copy_from_slice(&1u16.to_ne_bytes());
                    a[3..7].copy_from_slice(b"abst");
                    a
                },
                7,
            ),
            addr(&format!("{}/ro/r.sock", t.path().display())),
        ];
        let inet_closed = sockaddr_in([127, 0, 0, 1], 1);
        let inet_any = sockaddr_in([127, 0, 0, 1], 0);
        let inet_low = sockaddr_in([127, 0, 0, 1], 80);
        let inet6_closed = sockaddr_in6_loopback(1);
        let unspec = [0u8; 16];
        let long_srv = sockaddr_un_storage(b"srv.sock");
        let long_new = sockaddr_un_storage(b"long.sock");
        let unix_on_inet = sockaddr_un_storage(b"inet.sock");
        let fd = |s: &rustix::fd::OwnedFd| s.as_raw_fd() as usize;
        let a = |i: usize| ptr_of(&addrs[i].0);
        // The kernel's own length rules come before anything else it does with an address: AF_INET
        // needs sizeof(struct sockaddr_in) = 16 bytes (inet_bind_sk, tcp_v4_connect,
        // ip4_datagram_connect), AF_INET6 SIN6_LEN_RFC2133 = 24 (inet6_bind_sk, tcp_v6_connect), and a
        // unix socket takes 3 to sizeof(struct sockaddr_un) = 110 (unix_validate_addr; 2 is autobind
        // for bind, EINVAL for connect). A unix path given to an inet socket is never looked up.
        let mut short_cases: Vec<(&str, &str, Vec<usize>)> = vec![
            (
                "connect inet 15 bytes",
                "connect",
                vec![fd(&inets[3]), ptr_of(&inet_closed), 15],
            ),
            (
                "bind inet short",
                "bind",
                vec![fd(&inets[3]), ptr_of(&inet_any), 8],
            ),
            (
                "connect udp inet short",
                "connect",
                vec![fd(&udps[0]), ptr_of(&inet_closed), 8],
            ),
            (
                "connect udp AF_UNSPEC (a disconnect)",
                "connect",
                vec![fd(&udps[1]), ptr_of(&unspec), 2],
            ),
            ("connect unix 2 bytes", "connect", vec![fd(&shorts[0]), a(0), 2]),
            ("connect unix 1 byte", "connect", vec![fd(&shorts[0]), a(0), 1]),
            (
                "connect unix addrlen 111",
                "connect",
                vec![fd(&shorts[1]), ptr_of(&long_srv), 111],
            ),
            (
                "bind unix addrlen 111",
                "bind",
                vec![fd(&shorts[2]), ptr_of(&long_new), 111],
            ),
            (
                "bind unix 2 bytes (autobind)",
                "bind",
                vec![fd(&shorts[3]), a(0), 2],
            ),
            (
                "connect a unix path on an inet socket, short",
                "connect",
                vec![fd(&inets[4]), a(0), addrs[0].1],
            ),
            (
                "connect a unix path on an inet socket",
                "connect",
                vec![fd(&inets[4]), a(2), 110],
            ),
            (
                "bind a unix path on an inet socket, short",
                "bind",
                vec![fd(&inets[5]), ptr_of(&unix_on_inet), 12],
            ),
            (
                "bind a unix path on an inet socket",
                "bind",
                vec![fd(&inets[6]), ptr_of(&unix_on_inet), 110],
            ),
        ];
        match &inet6s {
            [Some(connecting), Some(binding)] => short_cases.extend([
                (
                    "connect inet6 23 bytes",
                    "connect",
                    vec![fd(connecting), ptr_of(&inet6_closed), 23],
                ),
                (
                    "connect inet6 inet short",
                    "connect",
                    vec![fd(connecting), ptr_of(&inet_closed), 8],
                ),
                (
                    "bind inet6 23 bytes",
                    "bind",
                    vec![fd(binding), ptr_of(&inet6_closed), 23],
                ),
                (
                    "bind inet6 on a unix socket",
                    "bind",
                    vec![fd(&shorts[4]), ptr_of(&inet6_closed), 28],
                ),
            ]),
            _ => eprintln!("SKIP the AF_INET6 cases: no IPv6 socket on this machine"),
        }
        let mut table: Vec<(&str, &str, Vec<usize>)> = vec![
            (
                "connect srv.sock",
                "connect",
                vec![fd(&socks[0]), a(0), addrs[0].1],
            ),
            (
                "connect srv.sock again",
                "connect",
                vec![fd(&socks[0]), a(0), addrs[0].1],
            ),
            (
                "connect through a symlink",
                "connect",
                vec![fd(&socks[1]), a(1), addrs[1].1],
            ),
            (
                "connect nothere",
                "connect",
                vec![fd(&socks[2]), a(2), addrs[2].1],
            ),
            ("connect a file", "connect", vec![fd(&socks[2]), a(3), addrs[3].1]),
            (
                "connect nothere/x",
                "connect",
                vec![fd(&socks[2]), a(6), addrs[6].1],
            ),
            ("connect addrlen 200", "connect", vec![fd(&socks[2]), a(0), 200]),
            ("connect bad pointer", "connect", vec![fd(&socks[2]), 8, 16]),
            ("connect fd 999", "connect", vec![999, a(0), addrs[0].1]),
            (
                "connect a file fd",
                "connect",
                vec![file.as_raw_fd() as usize, a(0), addrs[0].1],
            ),
            (
                "connect abstract",
                "connect",
                vec![fd(&socks[2]), a(7), addrs[7].1],
            ),
            ("bind new.sock", "bind", vec![fd(&socks[3]), a(4), addrs[4].1]),
            (
                "bind srv.sock (in use)",
                "bind",
                vec![fd(&socks[4]), a(5), addrs[5].1],
            ),
            ("bind nothere/x", "bind", vec![fd(&socks[5]), a(6), addrs[6].1]),
            ("bind ro/r.sock", "bind", vec![fd(&socks[6]), a(8), addrs[8].1]),
            (
                "bind a file fd",
                "bind",
                vec![file.as_raw_fd() as usize, a(4), addrs[4].1],
            ),
            ("bind abstract", "bind", vec![fd(&socks[7]), a(7), addrs[7].1]),
            (
                "connect inet closed port",
                "connect",
                vec![fd(&inets[0]), ptr_of(&inet_closed), 16],
            ),
            (
                "connect inet short",
                "connect",
                vec![fd(&inets[1]), ptr_of(&inet_closed), 8],
            ),
            (
                "bind inet port 0",
                "bind",
                vec![fd(&inets[1]), ptr_of(&inet_any), 16],
            ),
            (
                "bind inet again",
                "bind",
                vec![fd(&inets[1]), ptr_of(&inet_any), 16],
            ),
            (
                "bind inet port 80",
                "bind",
                vec![fd(&inets[2]), ptr_of(&inet_low), 16],
            ),
            (
                "connect inet on a unix socket",
                "connect",
                vec![fd(&socks[5]), ptr_of(&inet_closed), 16],
            ),
        ];
        table.extend(short_cases);
        let ops: Vec<(String, Op)> = table
            .into_iter()
            .filter_map(|(label, name, args)| Some((label.to_owned(), Op::new(name, &args)?)))
            .collect();
        let cwd = cstr(&t.path().join("dir"));
        results.push(run(&ops, &cwd, who, supervise));
        // The abstract name is per network namespace: free it for the second run.
        drop(socks);
        trees.push(snapshot(t.path()));
        labels = ops;
    }
    let emulated_tree = trees.pop().unwrap_or_default();
    let kernel_tree = trees.pop().unwrap_or_default();
    compare(
        name,
        &labels,
        &results[0],
        &results[1],
        (kernel_tree, emulated_tree),
    );
}

fn ptr_of(bytes: &[u8]) -> usize {
    bytes.as_ptr() as usize
}

#[test]
fn connect_and_bind_give_the_kernels_errno_as_root() {
    socket_parity(As { uid: 0, umask: 0o022 }, "root");
}

#[test]
fn connect_and_bind_give_the_kernels_errno_as_an_unprivileged_uid() {
    socket_parity(
        As {
            uid: 65534,
            umask: 0o077,
        },
        "nobody",
    );
}

/// `ADDFD` refuses an `O_PATH` fd (`EBADF`): the engine must fail the syscall with that errno, never leave
/// the target waiting for an answer that will not come (it did before: the target hung).
#[test]
fn an_fd_the_kernel_will_not_install_fails_the_syscall_instead_of_hanging() {
    let _serial = common::serial();
    let t = TempDir::new("addfd-refused");
    let dir = t.path().display().to_string();
    let handler = move |call: Call<'_>| {
        let answer = match rustix::fs::open(
            dir.as_str(),
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        ) {
            Ok(fd) => seccomp_supervisor::Answer::InjectFd { fd, cloexec: false },
            Err(errno) => seccomp_supervisor::Answer::Errno(errno),
        };
        call.answer(answer)
    };
    let shared = Shared::with_slots(1);
    let Some(getppid) = common::nr("getppid") else {
        return;
    };
    let filter = common::notify_filter(&[getppid]);
    // SAFETY: the child makes one raw syscall and writes the shared page.
    let outcome = unsafe {
        common::supervised(
            &filter,
            handler,
            || 0,
            || {
                shared.set(0, Op::new("getppid", &[]).map_or(0, |op| op.run()));
                0
            },
        )
    };
    assert_eq!(outcome, Outcome::Exited(0), "the target ends");
    assert_eq!(
        shared.get(0),
        -i64::from(Errno::BADF.raw_os_error()),
        "the kernel's EBADF for an O_PATH source, got {}",
        common::show(shared.get(0))
    );
}

/// An emulated open past the target's `RLIMIT_NOFILE` gets the kernel's `EMFILE`: the supervisor opens
/// the file, the kernel refuses to install it in the target's full table, and the engine answers that
/// errno. The limit is lowered by the table's first call (`prlimit64`, not notified): installing the
/// filter needs an fd for the listener.
#[test]
fn an_open_past_the_fd_limit_gets_emfile_as_from_the_kernel() {
    let _serial = common::serial();
    let t = TempDir::new("emfile");
    std::fs::write(t.path().join("f"), b"x").expect("write");
    let path = cstr(&t.path().join("f"));
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap_or(u64::MAX);
    // struct rlimit64 { rlim_cur, rlim_max }: no fd numbers at all, the hard limit kept.
    let no_fds: [u64; 2] = [0, hard];
    let nofile = rustix::process::Resource::Nofile as usize;
    let ops: Vec<(String, Op)> = [
        (
            "prlimit64 NOFILE 0",
            "prlimit64",
            vec![0, nofile, no_fds.as_ptr() as usize, 0],
        ),
        ("openat f", "openat", vec![AT_FDCWD, ptr(&path), 0, 0]),
    ]
    .into_iter()
    .filter_map(|(label, name, args)| Some((label.to_owned(), Op::new(name, &args)?)))
    .collect();
    if ops.len() != 2 {
        eprintln!(
            "SKIP an_open_past_the_fd_limit_gets_emfile_as_from_the_kernel: no prlimit64 or openat here"
        );
        return;
    }
    let root = As { uid: 0, umask: 0o022 };
    let cwd = cstr(t.path());
    let kernel = run(&ops, &cwd, root, false);
    let emulated = run(&ops, &cwd, root, true);
    let emfile = -i64::from(Errno::MFILE.raw_os_error());
    assert_eq!(kernel, [0, emfile], "kernel: {}", common::show(kernel[1]));
    assert_eq!(emulated, kernel, "emulated: {}", common::show(emulated[1]));
}
