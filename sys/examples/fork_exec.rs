//! The allocation-free confinement path an init system uses: fork, set no_new_privs, install a filter,
//! execve. Everything the child needs is prepared before the fork; between fork and exec the child makes
//! only raw syscalls.
//!
//! `cargo run -p seccomp-sys --example fork_exec -- /bin/uname -a` runs `uname -a` with the `uname` syscall
//! failing with EPERM, so it reports an error instead of the kernel name.

use linux_raw_sys::general as nr;
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_sys::process::{self, Fork};
use seccomp_sys::{FilterFlags, install_unvalidated, set_no_new_privs};
use std::ffi::{CStr, CString};
use std::process::ExitCode;

#[cfg(target_arch = "x86_64")]
const ARCH: u32 = abi::AUDIT_ARCH_X86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: u32 = abi::AUDIT_ARCH_AARCH64;

/// uname(2) fails with EPERM; a foreign architecture is killed; everything else is allowed.
const FILTER: [SockFilter; 7] = [
    SockFilter::load_data(offset::ARCH),
    SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
    SockFilter::ret(abi::RET_KILL_PROCESS),
    SockFilter::load_data(offset::NR),
    SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr::__NR_uname, 0, 1),
    SockFilter::ret(abi::RET_ERRNO | seccomp_sys::Errno::PERM.raw_os_error() as u32),
    SockFilter::ret(abi::RET_ALLOW),
];

fn main() -> ExitCode {
    let args: Vec<CString> = match std::env::args_os()
        .skip(1)
        .map(|arg| CString::new(arg.into_encoded_bytes()))
        .collect()
    {
        Ok(args) => args,
        Err(error) => {
            eprintln!("fork_exec: an argument contains a NUL byte: {error}");
            return ExitCode::from(2);
        }
    };
    let Some(program) = args.first() else {
        eprintln!("usage: fork_exec PROGRAM [ARGS...]");
        return ExitCode::from(2);
    };
    let argv: Vec<&CStr> = args.iter().map(CString::as_c_str).collect();

    // SAFETY: the child only makes raw syscalls (prctl, seccomp, execve, exit_group) on memory prepared
    // above; it neither allocates nor takes locks.
    let child = match unsafe { process::fork() } {
        Ok(Fork::Child) => {
            if set_no_new_privs().is_err() {
                process::exit_group(126);
            }
            if install_unvalidated(&FILTER, FilterFlags::EMPTY).is_err() {
                process::exit_group(126);
            }
            let _errno = process::execve(program, &argv, &[]);
            process::exit_group(127)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(errno) => {
            eprintln!("fork_exec: fork failed: {errno}");
            return ExitCode::FAILURE;
        }
    };
    match rustix::process::waitpid(Some(child), rustix::process::WaitOptions::empty()) {
        Ok(Some((_, status))) => {
            if let Some(code) = status.exit_status() {
                println!("fork_exec: child exited with status {code}");
            } else if let Some(signal) = status.terminating_signal() {
                println!("fork_exec: child killed by signal {signal}");
            }
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::FAILURE,
        Err(errno) => {
            eprintln!("fork_exec: waitpid failed: {errno}");
            ExitCode::FAILURE
        }
    }
}
