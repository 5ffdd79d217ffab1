//! The emulated-open row: a path-checked `openat` answered by `seccomp-supervisor` opening the file for
//! the target and injecting it (`ADDFD` with `SEND`), against the plain notify round trip of the same
//! engine in the same run (a notified `getppid` answered with a value), an `openat` answered with
//! `CONTINUE` (the unsafe way, for scale), and the mechanism floor of any answer by opening: the path read
//! and re-validated, one `openat2` beneath a directory fd opened once, `ADDFD` with `SEND`, and nothing
//! else (no credentials, no root: unsafe, for scale), and below it `ADDFD` with `SEND` of an fd opened
//! once, the answer alone.
//!
//! One target process (forked, raw syscalls only) makes the five kinds of call in interleaved blocks and
//! times each one with the vDSO clock; the benchmark process itself is the supervisor, serving the
//! target's listener with a `Supervisor` of one thread. Every answer is checked: `getppid` must return
//! the handler's value, every `openat` an fd. These are the `supervisor*` rows of `cargo xtask
//! bench-notify` ([`crate::plan::engine_rows`]).

use crate::shared::Shared;
use rustix::fd::AsFd;
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_supervisor::emulate::{Request, RequestError, Scope};
use seccomp_supervisor::path::Lexical;
use seccomp_supervisor::{Answer, Call, CheckedAnswer, Context, Errno, Reply, Supervisor};
use std::ffi::CString;
use std::sync::atomic::Ordering;

const OPENAT: u32 = linux_raw_sys::general::__NR_openat;
const CLOSE: u32 = linux_raw_sys::general::__NR_close;

/// The kinds of call, in the order their samples are stored.
pub const KINDS: [&str; 5] = [
    "notify round trip (getppid -> value)",
    "openat path-checked, open + ADDFD_SEND",
    "openat -> CONTINUE (unchecked, for scale)",
    "openat mechanism floor: read, one openat2, ADDFD_SEND (no credentials or root, for scale)",
    "openat -> ADDFD_SEND of an fd opened once (nothing read or opened, for scale)",
];

/// `O_NOCTTY`: marks the `openat` calls the handler lets continue.
const CONTINUE_MARK: u32 = linux_raw_sys::general::O_NOCTTY;

/// `O_NONBLOCK`: marks the `openat` calls the handler answers with the mechanism floor.
const FLOOR_MARK: u32 = linux_raw_sys::general::O_NONBLOCK;

/// `O_APPEND`: marks the `openat` calls the handler answers by injecting the tree's fd, opened once.
const INJECT_MARK: u32 = linux_raw_sys::general::O_APPEND;

/// The timings (ns) of each kind, in the order of [`KINDS`], in measurement order.
pub type Samples = [Vec<u64>; 5];

fn filter() -> Vec<SockFilter> {
    vec![
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, crate::NATIVE_AUDIT_ARCH, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, OPENAT, 2, 0),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, crate::GETPPID, 1, 0),
        SockFilter::ret(abi::RET_ALLOW),
        SockFilter::ret(abi::RET_USER_NOTIF),
    ]
}

/// The handler: `getppid` gets a value; an `openat` with [`CONTINUE_MARK`] continues; one with
/// [`FLOOR_MARK`] gets the [`floor`]; one with [`INJECT_MARK`] gets a duplicate of the floor's file fd,
/// injected (the cost of `ADDFD` + `SEND` alone); any other is read, checked to lie under `tree`,
/// opened for the target and injected.
fn handler(tree: Lexical, floor_dir: Floor) -> impl Fn(Call<'_>) -> Reply + Send + Sync + 'static {
    move |call: Call<'_>| {
        if call.nr() as u32 == crate::GETPPID {
            return call.answer(Answer::Value(1));
        }
        let flags = call.args()[2] as u32;
        if flags & CONTINUE_MARK != 0 {
            return call.answer(Answer::Continue);
        }
        if flags & FLOOR_MARK != 0 {
            return floor(call, &floor_dir);
        }
        if flags & INJECT_MARK != 0 {
            return match rustix::io::fcntl_dupfd_cloexec(&floor_dir.file, 0) {
                Ok(fd) => call.answer(Answer::InjectFd { fd, cloexec: false }),
                Err(errno) => call.answer(Answer::Errno(errno)),
            };
        }
        open_beneath(call, &tree)
    }
}

/// What the floor rows use: an fd of the tree and one of the file, opened once by the benchmark (the
/// file read-only: `ADDFD` does not take `O_PATH` fds), and the tree's path with a trailing `/`, which
/// every path the target passes starts with.
pub(crate) struct Floor {
    dir: rustix::fd::OwnedFd,
    file: rustix::fd::OwnedFd,
    prefix: Vec<u8>,
}

impl Floor {
    /// Opens `tree` (a directory) and `file` for [`floor`].
    pub(crate) fn open(tree: &str, file: &str) -> Result<Floor, String> {
        let file = rustix::fs::open(
            file,
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| format!("open {file}: {e}"))?;
        let dir = rustix::fs::open(
            tree,
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| format!("open {tree}: {e}"))?;
        let mut prefix = tree.trim_end_matches('/').as_bytes().to_vec();
        prefix.push(b'/');
        Ok(Floor { dir, file, prefix })
    }
}

/// The mechanism floor of answering an `openat` by opening the file: what every such answer does
/// whatever else it checks. The path is read through the engine's checked accessor (`process_vm_readv`,
/// then `ID_VALID`), its part below the tree is opened with one `openat2` (`RESOLVE_BENEATH`) beneath the
/// tree's fd, with the benchmark's own credentials, and the fd is injected with `ADDFD` + `SEND`. What it
/// leaves out, the target's credentials (`/proc/TID/status`) and root (`/proc/TID/root`), and the check
/// that the file is not on procfs, is what makes the real row safe: this one is for scale only.
fn floor(call: Call<'_>, floor: &Floor) -> Reply {
    let mut call = call.inspect();
    let answer = match call.read_path(1) {
        Ok(path) => match path.as_bytes().strip_prefix(floor.prefix.as_slice()) {
            Some(below) => match rustix::fs::openat2(
                &floor.dir,
                below,
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
                rustix::fs::ResolveFlags::BENEATH | rustix::fs::ResolveFlags::NO_MAGICLINKS,
            ) {
                Ok(fd) => CheckedAnswer::InjectFd { fd, cloexec: false },
                Err(errno) => CheckedAnswer::Errno(errno),
            },
            None => CheckedAnswer::Errno(Errno::ACCESS),
        },
        Err(_) => CheckedAnswer::Errno(Errno::FAULT),
    };
    call.answer(answer)
}

/// The path-checked open both benchmarks measure: the path is read from the target, checked to lie
/// under `tree`, opened for the target with its credentials and injected (EACCES outside the tree).
pub(crate) fn open_beneath(call: Call<'_>, tree: &Lexical) -> Reply {
    let mut call = call.inspect();
    let answer = match Request::read(&mut call) {
        Ok(request) => request
            .perform(call.call(), Scope::Under(tree))
            .answer_or(Errno::ACCESS),
        Err(RequestError::Errno(errno)) => CheckedAnswer::Errno(errno),
        Err(_) => CheckedAnswer::Errno(Errno::NOSYS),
    };
    call.answer(answer)
}

/// Measures `blocks` blocks of `per_block` calls of each kind (after `warmup` calls of each) with the
/// file at `file` (which must lie under `tree`).
pub fn measure(
    tree: &str,
    file: &str,
    blocks: usize,
    per_block: usize,
    warmup: usize,
) -> Result<Samples, String> {
    let total = blocks * per_block;
    if total == 0 {
        return Err("at least one block of at least one call is needed".to_owned());
    }
    let shared = Shared::new(KINDS.len() * total).map_err(|e| format!("mmap: {e}"))?;
    let path = CString::new(file).map_err(|_| "the file name has a NUL")?;
    let insns = filter();
    let program = seccomp_core::bpf::validate(&insns).map_err(|e| format!("the filter: {e}"))?;
    let (parent_end, child_end) =
        seccomp_sys::fdpass::socketpair().map_err(|e| format!("socketpair: {e}"))?;
    let path_addr = path.as_ptr() as usize;
    let slots = shared.samples(KINDS.len() * total);
    let floor_dir = Floor::open(tree, file)?;
    let body = || {
        if seccomp_sys::set_no_new_privs().is_err() {
            return 10;
        }
        let Ok(Some(listener)) = seccomp_sys::install(&program, seccomp_sys::FilterFlags::NEW_LISTENER)
        else {
            return 11;
        };
        if seccomp_sys::fdpass::send_fd(child_end.as_fd(), listener.as_fd()).is_err() {
            return 12;
        }
        drop(listener);
        let one = |kind: usize| -> Result<u64, ()> {
            let start = crate::now_ns();
            match kind {
                0 => {
                    if crate::getppid() != Ok(1) {
                        return Err(());
                    }
                }
                _ => {
                    let flags = match kind {
                        2 => CONTINUE_MARK as usize,
                        3 => FLOOR_MARK as usize,
                        4 => INJECT_MARK as usize,
                        _ => 0,
                    };
                    // SAFETY: openat of the prepared NUL-terminated path; the fd is closed below.
                    let fd =
                        unsafe { seccomp_sys::raw::syscall4(OPENAT, -100i64 as usize, path_addr, flags, 0) }
                            .map_err(|_| ())?;
                    let end = crate::now_ns();
                    // SAFETY: closes the fd just opened.
                    let _ = unsafe { seccomp_sys::raw::syscall3(CLOSE, fd, 0, 0) };
                    return Ok(end - start);
                }
            }
            Ok(crate::now_ns() - start)
        };
        for _ in 0..warmup {
            for kind in 0..KINDS.len() {
                if one(kind).is_err() {
                    return 13;
                }
            }
        }
        for block in 0..blocks {
            for step in 0..KINDS.len() {
                let kind = (block + step) % KINDS.len();
                for i in 0..per_block {
                    match one(kind) {
                        Ok(ns) => slots[kind * total + block * per_block + i].store(ns, Ordering::Relaxed),
                        Err(()) => return 14,
                    }
                }
            }
        }
        0
    };
    // SAFETY: the child makes raw syscalls and writes the shared mapping only.
    let pid = unsafe { crate::fork_running(body) }.map_err(|e| format!("fork: {e}"))?;
    drop(child_end);
    let listener = seccomp_sys::fdpass::recv_fd(parent_end.as_fd())
        .map(seccomp_sys::Listener::from)
        .map_err(|e| format!("no listener from the target: {e:?}"))?;
    let supervisor = Supervisor::new(handler(Lexical::new(tree.as_bytes()), floor_dir), 1);
    supervisor.add(listener, Context::new("bench").with_pid(pid));
    let status = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
        .map_err(|e| format!("waitpid: {e}"))?
        .map(|(_, status)| status);
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    match status.and_then(|s| s.exit_status()) {
        Some(0) => {}
        other => return Err(format!("the target failed: {other:?}")),
    }
    let kind = |kind: usize| -> Vec<u64> {
        (0..total)
            .map(|i| slots[kind * total + i].load(Ordering::Relaxed))
            .collect()
    };
    Ok([kind(0), kind(1), kind(2), kind(3), kind(4)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_measures_all_five_kinds() {
        let dir = std::env::temp_dir().join(format!("seccomp-bench-emulated-test-{}", std::process::id()));
        let file = dir.join("data/f");
        std::fs::create_dir_all(dir.join("data")).expect("mkdir");
        std::fs::write(&file, b"x").expect("write");
        let figures = measure(
            &dir.join("data").display().to_string(),
            &file.display().to_string(),
            2,
            20,
            5,
        );
        let _ = std::fs::remove_dir_all(&dir);
        let samples = figures.expect("the row runs");
        assert!(
            samples
                .iter()
                .all(|kind| kind.len() == 40 && kind.iter().all(|&ns| ns > 0))
        );
    }
}
