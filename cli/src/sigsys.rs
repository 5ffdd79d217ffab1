//! When a command under `run` dies of SIGSYS, saying which syscall was refused.
//!
//! A process killed by a seccomp kill action (or by the default disposition of the SIGSYS a `trap` action
//! sends) tells its parent only the signal: the refused syscall is in the signal's `si_syscall`, which
//! only a handler in the process or a ptracer sees. The kernel does log kill actions, whatever the
//! filter's flags, as an audit record (`type=1326`, with `pid=`, `sig=31`, `arch=` and `syscall=`); with
//! no audit daemon running the record goes to the kernel log, which root can read from `/dev/kmsg`. So
//! seccompctl reads the kernel log after the death, takes the newest such record of the command's pid from
//! the last half minute, and names the syscall. Where there is none (not root, audit disabled, a `trap`
//! action of a filter without the log flag, records rate-limited away) it says that seccomp most likely
//! killed the command and how to find the syscall.

use seccomp_core::arch::Arch;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;

/// SIGSYS on x86_64 and aarch64.
pub const SIGSYS: u8 = 31;

/// `O_NONBLOCK` on x86_64 and aarch64.
const O_NONBLOCK: i32 = 0o4000;

/// How recent, in seconds, a kernel log record must be to be about this death.
const RECENT_SECS: u64 = 30;

/// A seccomp audit record: the refused syscall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Refusal {
    /// `seccomp_data.arch` of the call.
    pub audit_arch: u32,
    /// The syscall number.
    pub nr: u32,
    /// The record's time, in whole seconds since boot.
    pub seconds: u64,
}

/// The refusal one `/dev/kmsg` record describes, if it is a seccomp record of `pid` with `sig=31`.
pub fn parse_record(record: &str, pid: i32) -> Option<Refusal> {
    let (header, message) = record.split_once(';')?;
    if !message.contains("type=1326") {
        return None;
    }
    let micros: u64 = header.split(',').nth(2)?.parse().ok()?;
    let field = |name: &str| {
        message
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name))
    };
    if field("pid=")?.parse::<i32>().ok()? != pid || field("sig=")? != "31" {
        return None;
    }
    Some(Refusal {
        audit_arch: u32::from_str_radix(field("arch=")?, 16).ok()?,
        nr: field("syscall=")?.parse().ok()?,
        seconds: micros / 1_000_000,
    })
}

/// The newest recent refusal of `pid` in the kernel log, if the log can be read.
fn find_refusal(pid: i32) -> Option<Refusal> {
    // Whole seconds only: parsing a float would link the float parser into the static binary.
    let uptime: u64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split(['.', ' '])
        .next()?
        .parse()
        .ok()?;
    let mut kmsg = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open("/dev/kmsg")
        .ok()?;
    let mut found = None;
    let mut buffer = vec![0u8; 8192];
    // Each read returns one record; EAGAIN ends the log, EPIPE means records were overwritten meanwhile.
    for _ in 0..1_000_000 {
        match kmsg.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                let record = String::from_utf8_lossy(buffer.get(..n).unwrap_or(&[]));
                if let Some(refusal) = parse_record(&record, pid)
                    && uptime.saturating_sub(refusal.seconds) <= RECENT_SECS
                {
                    found = Some(refusal);
                }
            }
            Err(error) if error.raw_os_error() == Some(32) => continue,
            Err(_) => break,
        }
    }
    found
}

/// The message for a command that signal `signal` killed, if it is SIGSYS.
pub fn explain(pid: i32, signal: u8) -> Option<String> {
    if signal != SIGSYS {
        return None;
    }
    Some(match find_refusal(pid) {
        Some(refusal) => {
            let arch = Arch::from_seccomp_data(refusal.audit_arch, refusal.nr);
            let name = arch
                .and_then(|arch| arch.syscall_name(refusal.nr))
                .map_or_else(|| format!("syscall {}", refusal.nr), str::to_owned);
            let arch = arch.map_or_else(|| format!("arch {:#x}", refusal.audit_arch), |a| a.to_string());
            format!(
                "the command was killed by SIGSYS: seccomp refused {name} ({arch} syscall {}), \
                 according to the kernel's audit record",
                refusal.nr
            )
        }
        None => "the command was killed by SIGSYS, most likely by seccomp refusing a syscall; the kernel's \
                 audit record (`dmesg | grep type=1326`, as root) names it, or find it with \
                 `seccompctl trace --all -- CMD`, or learn a policy with `seccompctl learn`, or use \
                 `default log` to have the kernel log refused syscalls instead of killing"
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seccomp_kill_record_is_recognized_by_pid_and_signal() {
        let record = "5,17838,18924664613,-;audit: type=1326 audit(1796636788.552:17838): auid=4294967295 \
                      uid=0 gid=0 ses=4294967295 pid=13583 comm=\"python3\" exe=\"/usr/bin/python3\" \
                      sig=31 arch=c000003e syscall=202 compat=0 ip=0x7f445063ff16 code=0x80000000\n";
        assert_eq!(
            parse_record(record, 13583),
            Some(Refusal {
                audit_arch: 0xc000_003e,
                nr: 202,
                seconds: 18924
            })
        );
        assert_eq!(parse_record(record, 13584), None);
        assert_eq!(parse_record(&record.replace("sig=31", "sig=0"), 13583), None);
        assert_eq!(parse_record("6,1,2,-;hello", 13583), None);
    }
}
