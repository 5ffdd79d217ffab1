//! `sysinfo(info)` answered with the container's values, written into the target's buffer.
//!
//! - `uptime`: seconds since the init of the target's pid namespace started (its `starttime` in
//!   `/proc/PID/stat`, against `CLOCK_BOOTTIME`); the host's uptime when the target shares the supervisor's
//!   pid namespace.
//! - `totalram`/`freeram`: from the target's cgroup when it or an ancestor sets a limit (v2 `memory.max`,
//!   v1 `memory.limit_in_bytes`): total = the tightest limit (never more than the host's RAM), free =
//!   total - usage (`memory.current`, `memory.usage_in_bytes`); on v2 the same for swap with
//!   `memory.swap.max` and `memory.swap.current`. With a limit, `sharedram` is clamped to the total and
//!   `bufferram` is 0. (`/proc/meminfo`, which procps `free` reads, is not a syscall: LXCFS's job.)
//! - `procs`: threads of the processes in the target's pid namespace.
//! - the load averages stay the host's (the kernel keeps none per container).
//!
//! The values are written with `process_vm_writev` after the notification is validated, and the call is
//! answered 0; an unwritable buffer gives `EFAULT`, as the kernel's `copy_to_user` would.

use super::{Handled, Handlers, read_errno};
use crate::answer::{Answer, CheckedAnswer, ErrnoName};
use crate::call::Call;
use rustix::io::Errno;
use seccomp_core::arch::Arch;
use zerocopy::{Immutable, IntoBytes};

/// `struct sysinfo` of the 64-bit ABIs (x86_64, aarch64): 112 bytes.
#[derive(Debug, Clone, Copy, Default, IntoBytes, Immutable)]
#[repr(C)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages (fixed point, 1 << 16).
    pub loads: [u64; 3],
    /// Total usable RAM.
    pub totalram: u64,
    /// Free RAM.
    pub freeram: u64,
    /// Shared memory.
    pub sharedram: u64,
    /// Buffers.
    pub bufferram: u64,
    /// Total swap.
    pub totalswap: u64,
    /// Free swap.
    pub freeswap: u64,
    /// Number of current processes (threads).
    pub procs: u16,
    /// Padding.
    pub pad: u16,
    /// Padding to 8 bytes.
    pub pad2: u32,
    /// High memory total.
    pub totalhigh: u64,
    /// High memory free.
    pub freehigh: u64,
    /// The unit of the memory sizes, in bytes.
    pub mem_unit: u32,
    /// Padding.
    pub tail: u32,
}

const _: () = assert!(size_of::<Sysinfo>() == 112);

/// The host's `sysinfo(2)`.
fn host() -> Sysinfo {
    let s = rustix::system::sysinfo();
    Sysinfo {
        uptime: s.uptime as i64,
        loads: s.loads,
        totalram: s.totalram as u64,
        freeram: s.freeram as u64,
        sharedram: s.sharedram as u64,
        bufferram: s.bufferram as u64,
        totalswap: s.totalswap as u64,
        freeswap: s.freeswap as u64,
        procs: s.procs,
        totalhigh: s.totalhigh as u64,
        freehigh: s.freehigh as u64,
        mem_unit: s.mem_unit.max(1),
        ..Sysinfo::default()
    }
}

fn pid_ns(pid: i32) -> Option<u64> {
    rustix::fs::stat(format!("/proc/{pid}/ns/pid"))
        .ok()
        .map(|st| st.st_ino)
}

/// The last `NSpid` entry of a status text (the pid inside its innermost namespace) and its thread count.
fn nspid_and_threads(status: &str) -> (Option<i32>, u64) {
    let mut nspid = None;
    let mut threads = 1;
    for line in status.lines() {
        if let Some(v) = line.strip_prefix("NSpid:") {
            nspid = v.split_whitespace().last().and_then(|n| n.parse().ok());
        } else if let Some(v) = line.strip_prefix("Threads:") {
            threads = v.trim().parse().unwrap_or(1);
        }
    }
    (nspid, threads)
}

/// The field after the command (`(comm)` may hold spaces and parentheses): `starttime` is field 22.
fn starttime(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Uptime and procs of the pid namespace `ns` (scanning `/proc`).
fn pid_namespace_facts(ns: u64) -> (Option<i64>, u64) {
    let mut procs = 0;
    let mut init_start = None;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (None, 0);
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if pid_ns(pid) != Some(ns) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let (nspid, threads) = nspid_and_threads(&status);
        procs += threads;
        if nspid == Some(1) {
            init_start = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| starttime(&stat));
        }
    }
    // USER_HZ is 100 on every architecture seccompctl supports.
    let uptime = init_start.map(|ticks| {
        // sysinfo's uptime is CLOCK_BOOTTIME in seconds, the clock starttime counts on.
        rustix::system::sysinfo().uptime as i64 - (ticks / 100) as i64
    });
    (uptime, procs)
}

/// A cgroup v2 limit file: `Some(bytes)`, or `None` for `max` or no file.
fn cgroup_value(dir: &str, file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("{dir}/{file}")).ok()?;
    text.trim().parse().ok()
}

/// Which memory files to read.
#[derive(Clone, Copy)]
enum Memory {
    Ram,
    Swap,
}

/// The target's memory cgroup directory and its (limit, usage) file names: cgroup v2 (`0::PATH` under a
/// unified `/sys/fs/cgroup`) or v1 (the `memory` controller's hierarchy; swap is not read there).
fn cgroup_files(cgroups: &str, memory: Memory) -> Option<(String, String, &'static str, &'static str)> {
    let unified = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let path = path.trim_end_matches('/');
        if unified && id == "0" && controllers.is_empty() {
            let (max, current) = match memory {
                Memory::Ram => ("memory.max", "memory.current"),
                Memory::Swap => ("memory.swap.max", "memory.swap.current"),
            };
            return Some(("/sys/fs/cgroup".into(), path.to_owned(), max, current));
        }
        if !unified && controllers.split(',').any(|c| c == "memory") {
            return match memory {
                Memory::Ram => Some((
                    "/sys/fs/cgroup/memory".into(),
                    path.to_owned(),
                    "memory.limit_in_bytes",
                    "memory.usage_in_bytes",
                )),
                Memory::Swap => None,
            };
        }
    }
    None
}

/// (limit, used) of the target's cgroup: the tightest limit along it and its ancestors, and its usage.
fn cgroup_memory(pid: i32, memory: Memory) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let (base, path, max_file, current_file) = cgroup_files(&text, memory)?;
    let mut dir = format!("{base}{path}");
    let current = cgroup_value(&dir, current_file).unwrap_or(0);
    let mut limit: Option<u64> = None;
    loop {
        if let Some(max) = cgroup_value(&dir, max_file) {
            limit = Some(limit.map_or(max, |l| l.min(max)));
        }
        match dir.rfind('/') {
            Some(at) if dir.len() > base.len() => dir.truncate(at),
            _ => break,
        }
    }
    limit.map(|limit| (limit, current))
}

/// The container's `struct sysinfo` for the target `pid` (see the module documentation).
pub fn for_target(pid: i32) -> Sysinfo {
    let mut info = host();
    let unit = u64::from(info.mem_unit);
    let own_ns = pid_ns(rustix::process::getpid().as_raw_nonzero().get());
    if let Some(ns) = pid_ns(pid).filter(|ns| Some(*ns) != own_ns) {
        let (uptime, procs) = pid_namespace_facts(ns);
        if let Some(uptime) = uptime {
            info.uptime = uptime.max(0);
        }
        info.procs = procs.min(u64::from(u16::MAX)) as u16;
    }
    if let Some((limit, used)) = cgroup_memory(pid, Memory::Ram) {
        let total = (limit / unit).min(info.totalram);
        info.totalram = total;
        info.freeram = total.saturating_sub(used / unit).min(info.freeram);
        info.sharedram = info.sharedram.min(total);
        // The host's buffers say nothing about the container; report none.
        info.bufferram = 0;
    }
    if let Some((limit, used)) = cgroup_memory(pid, Memory::Swap) {
        let total = (limit / unit).min(info.totalswap);
        info.totalswap = total;
        info.freeswap = total.saturating_sub(used / unit);
    }
    info
}

pub(super) fn handle(handlers: &Handlers, call: Call<'_>) -> Handled {
    let origin = handlers.sysinfo.as_deref();
    if !matches!(call.arch(), Some(Arch::X86_64 | Arch::Aarch64)) || call.nr() & 0x4000_0000 != 0 {
        // 32-bit layouts (i386, arm, x32) are not written: the kernel answers those itself.
        return Handled::new(
            call.answer(Answer::Continue),
            origin,
            "not a 64-bit ABI: the kernel answers",
        );
    }
    let Some(pid) = call.pid() else {
        return Handled::new(
            call.answer(Answer::Errno(Errno::PERM)),
            origin,
            "the target has no pid here",
        );
    };
    let info = for_target(pid);
    let addr = call.args()[0];
    let call = call.inspect();
    let inner = call.call();
    let written = inner
        .listener()
        .write_checked(inner.notification(), addr, info.as_bytes())
        .map_err(read_errno);
    let detail = match written {
        Ok(()) => format!(
            "uptime {} s, ram {}/{} x{} B, procs {}",
            info.uptime, info.freeram, info.totalram, info.mem_unit, info.procs
        ),
        Err(errno) => format!("writing struct sysinfo failed: {}", ErrnoName(errno)),
    };
    Handled::new(
        call.answer(CheckedAnswer::Emulated(written.map(|()| 0))),
        origin,
        detail,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_starttime_survives_a_command_with_spaces_and_parentheses() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10";
        assert_eq!(starttime(stat), Some(12345));
        assert_eq!(starttime("garbage"), None);
    }

    #[test]
    fn the_memory_cgroup_comes_from_the_v1_controller_line_or_the_v2_line() {
        let v1 = "12:pids:/x\n4:memory,foo:/process_api/abc\n0::/\n";
        let v2 = "0::/user.slice/session-1.scope\n";
        let unified = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        if unified {
            let (base, path, max, _) = cgroup_files(v2, Memory::Ram).expect("v2");
            assert_eq!(
                (base.as_str(), path.as_str(), max),
                ("/sys/fs/cgroup", "/user.slice/session-1.scope", "memory.max")
            );
        } else {
            let (base, path, max, _) = cgroup_files(v1, Memory::Ram).expect("v1");
            assert_eq!(
                (base.as_str(), path.as_str(), max),
                (
                    "/sys/fs/cgroup/memory",
                    "/process_api/abc",
                    "memory.limit_in_bytes"
                )
            );
            assert!(cgroup_files(v1, Memory::Swap).is_none());
            assert!(cgroup_files(v2, Memory::Ram).is_none());
        }
        assert!(cgroup_files("garbage", Memory::Ram).is_none());
    }

    #[test]
    fn nspid_takes_the_innermost_pid() {
        let status = "Name:\tsh\nThreads:\t3\nNSpid:\t4242\t17\t1\n";
        assert_eq!(nspid_and_threads(status), (Some(1), 3));
    }

    #[test]
    fn the_hosts_values_are_the_base() {
        let own = rustix::process::getpid().as_raw_nonzero().get();
        let info = for_target(own);
        assert!(info.totalram > 0 && info.freeram <= info.totalram);
        assert!(info.mem_unit >= 1);
    }
}
