//! `seccompctl disasm FILE.bpf | --pid PID`: the listing of a raw BPF file, or of every filter installed in
//! a live process.

use super::common::parse_arch;
use crate::args::DisasmArgs;
use crate::error::{CliError, CliResult};
use crate::input;
use crate::output::{self, listing};
use rustix::process::Pid;
use seccomp_core::abi::{BPF_MAXINSNS, SockFilter};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::validate;
use seccomp_sys::Errno;
use seccomp_sys::ptrace::{AttachError, Stopped};
use serde_json::json;

/// Prints the listing (in the syntax the assembler reads back; see `output::listing`). A program the kernel
/// would refuse is still listed, with a note on stderr saying why it would be refused.
pub fn run(args: &DisasmArgs) -> CliResult {
    let arch = parse_arch(args.arch.as_deref())?;
    let show = |insns: &[SockFilter]| listing::text(insns, arch, args.hex);
    match (&args.file, args.pid) {
        (Some(path), _) if args.json => {
            let insns = input::read_bpf(path)?;
            let valid = validate(&insns).err().map(|error| error.to_string());
            output::print_json(&json!({
                "file": path.display().to_string(),
                "length": insns.len(),
                "refused_by_kernel": valid,
                "instructions": listing::json(&insns, arch),
            }))?;
            Ok(0)
        }
        (Some(path), _) => {
            let insns = input::read_bpf(path)?;
            output::print(&show(&insns))?;
            if let Err(error) = validate(&insns) {
                crate::error::note(&format!(
                    "{}: the kernel would refuse this program: {error}",
                    path.display()
                ));
            }
            Ok(0)
        }
        (None, Some(pid)) => disasm_pid(pid, arch, args),
        (None, None) => Err(CliError::usage("disasm needs FILE.bpf or --pid PID")),
    }
}

/// `disasm --pid PID`: stops the process with ptrace, reads its filters with `PTRACE_SECCOMP_GET_FILTER`
/// and lists each one.
///
/// Index 0 is the *oldest* filter, the first installed and the last the kernel runs: `get_nth_filter` in
/// kernel/seccomp.c counts the chain and walks `count - index - 1` links back from the newest (ptrace(2)
/// says the opposite; the kernel, checked by the `inspect_pid` test, is the authority).
fn disasm_pid(pid: i32, arch: Arch, args: &DisasmArgs) -> CliResult {
    let target =
        Pid::from_raw(pid).ok_or_else(|| CliError::usage(format!("--pid {pid}: not a process id")))?;
    let stopped = Stopped::seize(target).map_err(|error| match error {
        AttachError::Seize(Errno::SRCH) => CliError::bad_input(format!("process {pid}: no such process")),
        AttachError::Seize(Errno::PERM) => CliError::kernel(format!(
            "process {pid}: cannot attach with ptrace: permission denied (it needs the right to trace the \
             process, CAP_SYS_PTRACE or the same user, and the process must not be traced already)"
        )),
        other => CliError::kernel(format!("process {pid}: {other}")),
    })?;
    let mut buf = Box::new([SockFilter::default(); BPF_MAXINSNS]);
    let mut filters: Vec<Vec<SockFilter>> = Vec::new();
    loop {
        match stopped.filter(filters.len(), &mut buf) {
            Ok(insns) => filters.push(insns.to_vec()),
            Err(Errno::NOENT) => break,
            Err(Errno::INVAL) if filters.is_empty() => break,
            Err(Errno::ACCESS | Errno::PERM) => {
                return Err(CliError::kernel(format!(
                    "process {pid}: PTRACE_SECCOMP_GET_FILTER: permission denied (it needs CAP_SYS_ADMIN, \
                     and seccompctl must not run under a seccomp filter itself)"
                )));
            }
            Err(errno) => {
                return Err(CliError::kernel(format!(
                    "process {pid}: PTRACE_SECCOMP_GET_FILTER of filter {}: {errno}",
                    filters.len()
                )));
            }
        }
        // A task holds at most MAX_INSNS_PER_PATH / (FILTER_PATH_OVERHEAD + 1) filters; stop well before
        // looping forever on a kernel that never answers ENOENT.
        if filters.len() > seccomp_core::abi::MAX_INSNS_PER_PATH {
            break;
        }
    }
    drop(stopped);
    if args.json {
        let listed: Vec<_> = filters.iter().map(|insns| listing::json(insns, arch)).collect();
        output::print_json(&json!({ "pid": pid, "filters_oldest_first": listed }))?;
        return Ok(0);
    }
    if filters.is_empty() {
        output::print(&format!("; process {pid} has no seccomp filter\n"))?;
        return Ok(0);
    }
    let count = filters.len();
    let mut text = String::new();
    for (index, insns) in filters.iter().enumerate() {
        let age = match index {
            0 if count == 1 => " (the only one)".to_owned(),
            0 => " (oldest: installed first, runs last)".to_owned(),
            _ if index + 1 == count => " (newest: installed last, runs first)".to_owned(),
            _ => String::new(),
        };
        if index > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "; process {pid}, filter {index} of {count}{age}: {} instructions\n{}",
            insns.len(),
            listing::text(insns, arch, args.hex)
        ));
    }
    output::print(&text)?;
    Ok(0)
}
