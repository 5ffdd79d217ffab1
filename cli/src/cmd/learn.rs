//! `seccompctl learn`: run a command with every syscall notified and continued, record what it used, and
//! write an allow-list policy under which it runs again (the logic is in `cli/src/learn/`).
//!
//! Everything from the command's `execve` on is recorded, the `execve` itself and the final `exit_group`
//! included (the filter is installed just before the exec, exactly as `run` installs the learned policy, so
//! the two runs see the same syscalls). The policy allows each native syscall seen, the syscalls every
//! program needs without a short run showing them (`rt_sigreturn`, `restart_syscall`, `exit`,
//! `exit_group`, `futex`), answers `errno(ENOSYS)` to syscalls with a glibc fallback that were not seen, and gives
//! everything else `--default`. Syscalls of another ABI (i386 or x32 on x86_64) cannot be allowed by a
//! native policy: they are listed in the file's header and on stderr, and the policy's bad-arch action
//! (kill-process) refuses them.
//!
//! The output is written only once the command ran (whatever its exit status), atomically: a temporary
//! file in the same directory renamed over the destination, so a command that cannot start, or a failure
//! of seccompctl, leaves an existing file as it was. `--merge` grows an existing file instead.
//!
//! Every syscall being a notification, a signal can interrupt one before seccompctl receives it (see the
//! `trace` module): the command then sees `EINTR` (or restarts the call), and learn warns that the policy
//! may lack that call and the run should be repeated.
//!
//! `--format oci` writes the same policy as a runtime-spec `linux.seccomp` object (JSON has no comments:
//! the notes of the native header go to stderr only).

use crate::args::{LearnArgs, PolicyFormat};
use crate::error::{CliError, CliResult, Failure};
use crate::learn::atomic::Pending;
use crate::learn::existing;
use crate::learn::render::{Learned, Run, quote_command};
use crate::learn::usage::Usage;
use crate::supervise::{self, Options, command};
use seccomp_core::action::Action;
use seccomp_core::policy::Policy;
use seccomp_supervisor::{Answer, Call};

/// Runs `learn`.
pub fn run(args: &LearnArgs) -> CliResult {
    let native = supervise::native_arch()?;
    let default: Action = args
        .default
        .parse()
        .map_err(|error| CliError::usage(format!("--default `{}`: {error}", args.default)))?;
    let shown = args.output.display().to_string();
    let existing = if args.merge {
        if args.format != PolicyFormat::Native {
            return Err(CliError::usage(
                "--merge reads and writes the native policy format only".to_owned(),
            ));
        }
        match std::fs::read_to_string(&args.output) {
            Ok(text) => {
                let existing = existing::read(&text, &shown, native)
                    .map_err(|error| CliError::new(Failure::BadInput, error))?;
                if existing.arch != native {
                    return Err(CliError::new(
                        Failure::BadInput,
                        format!(
                            "{shown}: a policy for {}, which runs learned on {native} cannot grow",
                            existing.arch
                        ),
                    ));
                }
                Some(existing)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(CliError::new(Failure::BadInput, format!("{shown}: {error}"))),
        }
    } else {
        None
    };
    // Notify everything, of every ABI the host runs.
    let mut everything = Policy::new(native, Action::NOTIFY);
    everything.set_bad_arch_action(Action::NOTIFY);
    let program = supervise::compile(&everything)?;
    let prepared = command::prepare(&args.command)?;
    // Fail before running the command if the policy cannot be written; nothing replaces the file yet.
    let output_error = |e: std::io::Error| CliError::new(Failure::Supervisor, format!("{shown}: {e}"));
    let pending = Pending::create(&args.output).map_err(output_error)?;
    let usage = Usage::default();
    let mut session = supervise::launch(
        &prepared,
        &Options {
            program: supervise::validated(&program)?,
            listen: true,
            no_new_privs: true,
        },
    )?;
    let recorded = std::sync::Arc::new(std::sync::Mutex::new(usage));
    let record = std::sync::Arc::clone(&recorded);
    let learn_args = args.args;
    let served = session.serve(
        move |call: Call<'_>| {
            let notification = call.notification();
            if let Ok(mut usage) = record.lock() {
                usage.record(
                    notification.arch(),
                    notification.nr(),
                    &notification.args(),
                    native,
                    learn_args,
                );
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
    let command_line = quote_command(&args.command);
    let run = Run {
        command: &command_line,
        status,
        native,
        default,
        args: args.args,
    };
    let learned = Learned::new(&usage, &run, existing);
    let native_text = learned.render(&usage, &run);
    // The text must read back; the OCI form is exported from what it reads back to.
    let policy: Policy = Policy::parse(&native_text, native).map_err(|error| {
        CliError::new(
            Failure::Supervisor,
            format!("the learned policy does not parse ({error}); please report this"),
        )
    })?;
    let text = match args.format {
        PolicyFormat::Native => native_text,
        PolicyFormat::Oci => {
            let exported = seccomp_oci::LinuxSeccomp::from_policy(&policy).map_err(|error| {
                CliError::new(
                    Failure::Supervisor,
                    format!("exporting the policy as OCI: {error}"),
                )
            })?;
            for warning in &exported.warnings {
                crate::error::report(&format!("warning: {shown}: {warning}"));
            }
            if !exported.enosys_dropped.is_empty() {
                crate::error::report(&format!(
                    "note: {shown}: the policy's enosys-above ceilings are not exported (runc adds its own \
                     -ENOSYS stub from the profile's names; crun adds none)"
                ));
            }
            let mut json = exported.seccomp.to_json_pretty();
            json.push('\n');
            json
        }
    };
    pending.commit(text.as_bytes()).map_err(output_error)?;
    for note in &learned.notes {
        crate::error::report(&format!("note: {note}"));
    }
    if args.merge {
        crate::error::report(&format!(
            "learned {} {native} syscalls into {shown} ({} allowed in all)",
            usage.distinct(native),
            learned.len()
        ));
    } else {
        crate::error::report(&format!(
            "learned {} {native} syscalls into {shown}",
            usage.distinct(native)
        ));
    }
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
