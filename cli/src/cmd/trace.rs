//! `seccompctl trace`: a tracer built on seccomp notifications instead of ptrace.
//!
//! The command runs under a filter that notifies the selected syscalls (every syscall with `--all`);
//! seccompctl decodes each one (names, flags, paths read from the target's memory, fds), prints it, and lets
//! it run (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5+). Filters are inherited, so every descendant is
//! traced too, each line showing its pid. Because no ptrace is involved, gdb or strace can still attach to
//! the traced program.
//!
//! What cannot be seen: the return values (a notification arrives before the syscall runs), and the
//! syscalls the child makes before its filter exists (the fork, `prctl(PR_SET_NO_NEW_PRIVS)` and the
//! `seccomp` call itself); everything from the `execve` of the command on is traced. seccompctl itself is
//! not filtered, so its own syscalls are never notifications and the tracer cannot deadlock on itself.
//! A traced program cannot create a listener of its own (one per filter chain: it gets EBUSY), and it runs
//! with `no_new_privs`, so set-user-ID programs do not gain their privileges.
//!
//! Signals: a signal that reaches a traced process while one of its syscalls waits for seccompctl to
//! *receive* the notification interrupts that syscall (the kernel's rule for user notifications): it restarts
//! under an `SA_RESTART` handler and otherwise fails with `EINTR`, even a call such as `close` or `clone`
//! that never fails that way untraced. seccompctl keeps that window as short as it can (a dedicated
//! receiving thread; `SYNC_WAKE_UP` on 6.6+; `WAIT_KILLABLE_RECV` on 5.19+, after which a received
//! notification is no longer interruptible), detects every such interruption from the gaps in the kernel's
//! notification ids, and says so on stderr at once. Shells that catch SIGCHLD without `SA_RESTART` (dash)
//! meet it now and then in pipelines under `--all`; a short `--syscalls` list makes it rare.
//!
//! With `--syscalls`, syscalls of another ABI (i386 or x32 on x86_64) are all notified, since the filter
//! checks the native numbers only; seccompctl shows those whose names are selected and continues the rest.

use crate::args::TraceArgs;
use crate::decode;
use crate::error::{CliError, CliResult};
use crate::notify::Peek;
use crate::notify::log::Sink;
use crate::supervise::ordered::OrderedLog;
use crate::supervise::{self, Options, command};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::{Answer, Call};
use std::collections::BTreeSet;

/// The ABIs whose syscalls a process on this host can make: the native one and, on x86_64, i386 and x32.
pub fn host_arches(native: Arch) -> &'static [Arch] {
    match native {
        Arch::X86_64 => &[Arch::X86_64, Arch::I386, Arch::X32],
        Arch::Aarch64 => &[Arch::Aarch64],
        Arch::I386 => &[Arch::I386],
        _ => &[Arch::X32],
    }
}

/// The policy that notifies `selected` (every syscall when `None`) and allows the rest; foreign ABIs
/// notify. Unknown names are an error naming them.
pub fn trace_policy(native: Arch, selected: Option<&BTreeSet<String>>) -> Result<Policy, CliError> {
    let Some(selected) = selected else {
        let mut policy = Policy::new(native, Action::NOTIFY);
        policy.set_bad_arch_action(Action::NOTIFY);
        return Ok(policy);
    };
    let mut policy = Policy::new(native, Action::ALLOW);
    policy.set_bad_arch_action(Action::NOTIFY);
    let arches = host_arches(native);
    let unknown: Vec<&str> = selected
        .iter()
        .filter(|name| arches.iter().all(|arch| arch.syscall_nr(name).is_none()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = arches.iter().map(|arch| arch.name()).collect();
        return Err(CliError::usage(format!(
            "unknown syscall name{} in --syscalls: {} (not in the {} syscall table{})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            names.join("/"),
            if names.len() == 1 { "" } else { "s" },
        )));
    }
    for name in selected {
        if let Ok(nr) = policy.resolve(name) {
            policy
                .add_rule(nr, Action::NOTIFY, &[])
                .map_err(|error| CliError::usage(format!("--syscalls: {name}: {error}")))?;
        }
    }
    Ok(policy)
}

/// Runs `trace`.
pub fn run(args: &TraceArgs) -> CliResult {
    let native = supervise::native_arch()?;
    let selected: Option<BTreeSet<String>> = if args.all || args.syscalls.is_empty() {
        None
    } else {
        Some(
            args.syscalls
                .iter()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect(),
        )
    };
    if selected.as_ref().is_some_and(BTreeSet::is_empty) {
        return Err(CliError::usage("--syscalls names no syscall"));
    }
    let policy = trace_policy(native, selected.as_ref())?;
    let program = supervise::compile(&policy)?;
    let prepared = command::prepare(&args.command)?;
    let sink = match args.output.as_deref() {
        Some(path) => Sink::open(Some(path), args.json)?,
        None => Sink::new(
            Box::new(crate::output::StderrLog::default()),
            args.json,
            "standard error",
        ),
    };
    let mut session = supervise::launch(
        &prepared,
        &Options {
            program: supervise::validated(&program)?,
            listen: true,
            no_new_privs: true,
        },
    )?;
    let sink = std::sync::Arc::new(OrderedLog::new(sink));
    let log = std::sync::Arc::clone(&sink);
    let served = session.serve(
        move |call: Call<'_>| {
            let data = *call.notification().data();
            let shown = match &selected {
                None => true,
                Some(selected) => decode::name_of(&data).is_some_and(|name| selected.contains(name)),
            };
            if !shown {
                return call.answer(Answer::Continue);
            }
            // Read the memory arguments before answering (the target runs on after it); format and
            // write the line after, so the target does not wait for the log.
            let decoded = decode::decode(&data, &mut Peek(&call));
            let pid = call.notification().raw().pid;
            let log = std::sync::Arc::clone(&log);
            let ticket = log.ticket();
            call.answer(Answer::Continue)
                .then(move || log.record(ticket, pid, decoded))
        },
        2,
    );
    if let Some(warning) = session.interrupted_warning() {
        crate::error::report(&warning);
    }
    let status = session.finish();
    drop(served?);
    if let Some(sink) = std::sync::Arc::try_unwrap(sink)
        .ok()
        .and_then(OrderedLog::into_sink)
    {
        sink.finish()?;
    }
    status
}
