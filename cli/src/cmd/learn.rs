//! `seccompctl learn`: run a command with every syscall notified and continued, record what it used, and
//! write the smallest allow-list policy under which it runs again.
//!
//! Everything from the command's `execve` on is recorded, the `execve` itself and the final `exit_group`
//! included (the filter is installed just before the exec, exactly as `run` installs the learned policy, so
//! the two runs see the same syscalls). The policy allows each native syscall seen, plus
//! `restart_syscall`, which the kernel makes by itself when a signal interrupts a sleeping syscall and
//! which a short run may not happen to show; everything else gets `--default`. Syscalls of another ABI
//! (i386 or x32 on x86_64) cannot be allowed by a native policy: they are listed in the file's header and
//! on stderr, and the policy's bad-arch action (kill-process) refuses them.
//!
//! Every syscall being a notification, a signal can interrupt one before seccompctl receives it (see the
//! `trace` module): the command then sees `EINTR` (or restarts the call), and learn warns that the policy
//! may lack that call and the run should be repeated.
//!
//! `--format oci` writes the same allow-list as a runtime-spec `linux.seccomp` object (JSON has no
//! comments: the notes of the native header go to stderr only).
//!
//! The learned policy only covers the paths the command took in this run; a run with other input may need
//! more. Arguments are not learned.

use crate::args::{LearnArgs, PolicyFormat};
use crate::error::{CliError, CliResult, Failure};
use crate::supervise::{self, Options, command};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::{Answer, Call};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Syscalls the kernel itself may make on the command's behalf, always allowed.
const ALWAYS: &[&str] = &["restart_syscall"];

/// What a run used: syscall numbers per ABI, and numbers of ABIs seccompctl does not know.
#[derive(Debug, Default)]
pub struct Usage {
    /// Per architecture, the numbers seen.
    pub by_arch: BTreeMap<Arch, BTreeSet<u32>>,
    /// `(audit arch, nr)` of syscalls of unknown ABIs.
    pub unknown: BTreeSet<(u32, i32)>,
}

impl Usage {
    /// Records one syscall.
    pub fn record(&mut self, audit: u32, nr: i32) {
        match Arch::from_seccomp_data(audit, nr as u32) {
            Some(arch) => {
                self.by_arch.entry(arch).or_default().insert(nr as u32);
            }
            None => {
                self.unknown.insert((audit, nr));
            }
        }
    }
}

/// The learned policy for `native`: allow what was used, `default` for the rest.
pub fn learned_policy(usage: &Usage, native: Arch, default: Action) -> Result<Policy, CliError> {
    let mut policy = Policy::new(native, default);
    let mut numbers: BTreeSet<u32> = usage.by_arch.get(&native).cloned().unwrap_or_default();
    numbers.extend(ALWAYS.iter().filter_map(|name| native.syscall_nr(name)));
    for nr in numbers {
        policy
            .add_rule(nr, Action::ALLOW, &[])
            .map_err(|error| CliError::new(Failure::Supervisor, format!("building the policy: {error}")))?;
    }
    Ok(policy)
}

/// The header comment of the learned policy file.
pub fn header(command: &[std::ffi::OsString], usage: &Usage, native: Arch, status: u8) -> String {
    let mut text = String::from("# Learned by `seccompctl learn` from:");
    for arg in command {
        let _ = write!(text, " {}", arg.to_string_lossy().replace('\n', " "));
    }
    text.push('\n');
    let count = usage.by_arch.get(&native).map_or(0, BTreeSet::len);
    let _ = writeln!(
        text,
        "# {count} {native} syscalls used; the command exited with status {status}."
    );
    for (arch, numbers) in usage.by_arch.iter().filter(|(arch, _)| **arch != native) {
        let names: Vec<String> = numbers
            .iter()
            .map(|&nr| {
                arch.syscall_name(nr)
                    .map_or_else(|| nr.to_string(), str::to_owned)
            })
            .collect();
        let _ = writeln!(
            text,
            "# Also used {} {arch} syscalls, which this {native} policy refuses (bad-arch): {}",
            names.len(),
            names.join(" ")
        );
    }
    for (audit, nr) in &usage.unknown {
        let _ = writeln!(
            text,
            "# Also used syscall {nr} of unknown architecture {audit:#x}"
        );
    }
    text
}

/// Runs `learn`.
pub fn run(args: &LearnArgs) -> CliResult {
    let native = supervise::native_arch()?;
    let default: Action = args
        .default
        .parse()
        .map_err(|error| CliError::usage(format!("--default `{}`: {error}", args.default)))?;
    // Notify everything, of every ABI the host runs.
    let mut everything = Policy::new(native, Action::NOTIFY);
    everything.set_bad_arch_action(Action::NOTIFY);
    let program = supervise::compile(&everything)?;
    let prepared = command::prepare(&args.command)?;
    // Fail before running the command if the policy cannot be written.
    let output_error =
        |e: std::io::Error| CliError::new(Failure::Supervisor, format!("{}: {e}", args.output.display()));
    let mut file = std::fs::File::create(&args.output).map_err(output_error)?;
    let mut session = supervise::launch(
        &prepared,
        &Options {
            program: supervise::validated(&program)?,
            listen: true,
            no_new_privs: true,
        },
    )?;
    let recorded = std::sync::Arc::new(std::sync::Mutex::new(Usage::default()));
    let record = std::sync::Arc::clone(&recorded);
    let served = session.serve(
        move |call: Call<'_>| {
            let notification = call.notification();
            if let Ok(mut usage) = record.lock() {
                usage.record(notification.arch(), notification.nr());
            }
            call.answer(Answer::Continue)
        },
        2,
    );
    if let Some(warning) = session.interrupted_warning() {
        crate::error::report(&format!(
            "{warning}; the learned policy may lack {}: run learn again",
            if session.interrupted() == 1 {
                "that syscall"
            } else {
                "those syscalls"
            }
        ));
    }
    let status = session.finish();
    drop(served?);
    let status = status?;
    let usage = std::sync::Arc::try_unwrap(recorded)
        .ok()
        .and_then(|usage| usage.into_inner().ok())
        .ok_or_else(|| {
            CliError::new(
                Failure::Supervisor,
                "internal error: the usage record is still in use",
            )
        })?;
    let policy = learned_policy(&usage, native, default)?;
    let text = match args.format {
        PolicyFormat::Native => format!("{}{policy}", header(&args.command, &usage, native, status)),
        PolicyFormat::Oci => {
            let exported = seccomp_oci::LinuxSeccomp::from_policy(&policy).map_err(|error| {
                CliError::new(
                    Failure::Supervisor,
                    format!("exporting the policy as OCI: {error}"),
                )
            })?;
            for warning in &exported.warnings {
                crate::error::report(&format!("warning: {}: {warning}", args.output.display()));
            }
            let mut json = exported.seccomp.to_json_pretty();
            json.push('\n');
            json
        }
    };
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(output_error)?;
    let count = usage.by_arch.get(&native).map_or(0, BTreeSet::len);
    crate::error::report(&format!(
        "learned {count} {native} syscalls into {}",
        args.output.display()
    ));
    for (arch, numbers) in usage.by_arch.iter().filter(|(arch, _)| **arch != native) {
        crate::error::report(&format!(
            "note: the command also made {} {arch} syscalls, which a {native} policy cannot allow (listed in the file's header)",
            numbers.len()
        ));
    }
    if status != 0 {
        crate::error::report(&format!(
            "warning: the command exited with status {status}; the policy covers what it did until then"
        ));
    }
    Ok(status)
}
