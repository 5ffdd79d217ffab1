//! `seccompctl run`: run a command under a policy, supervising its notify rules.
//!
//! The policy is compiled for the host's architecture (a policy written for another one is refused). The
//! child sets `no_new_privs` (unless `--no-nnp`, which then needs CAP_SYS_ADMIN), installs the filter and
//! execs the command. When any rule, the default or the bad-arch action is `notify`, seccompctl supervises:
//! each notification is logged (pid, syscall, decoded arguments, paths read from the target's memory) and
//! answered by the `--handlers` rules (see [`crate::notify::act`]; `--workers` threads) or the
//! `--on-notify` answer; each log line names the rule (`file:line`) that decided. With `no_new_privs` a set-user-ID
//! program (sudo, ping) runs without gaining its privileges. The exit status is the command's (128 +
//! N when signal N killed it).

use crate::args::RunArgs;
use crate::error::{CliError, CliResult, Failure};
use crate::input;
use crate::notify::act::RuleHandler;
use crate::notify::log::Sink;
use crate::notify::rules::Rules;
use crate::supervise::{self, Options, command};
use seccomp_core::abi::SeccompData;
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use std::path::Path;

/// Whether any action of `policy` is `notify`: then the filter needs a listener and a supervisor.
pub fn notifies(policy: &Policy) -> bool {
    let is_notify = |action: Action| action.kind() == ActionKind::Notify;
    is_notify(policy.default_action())
        || is_notify(policy.bad_arch_action())
        || policy.rules().any(|rule| is_notify(rule.action()))
}

/// Refuses a policy for another architecture than the host's.
pub fn require_arch(path: &Path, policy: &Policy, native: Arch) -> Result<(), CliError> {
    if policy.arch() == native {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "{}: the policy is for {}, but commands on this host run as {native}: write `arch {native}` \
         (or no arch line)",
        path.display(),
        policy.arch()
    )))
}

/// Runs `run`.
pub fn run(args: &RunArgs) -> CliResult {
    let native = supervise::native_arch()?;
    let source = args
        .source
        .policy
        .as_deref()
        .or(args.source.oci.as_deref())
        .unwrap_or(Path::new("policy"));
    let loaded = input::load_policy_source(
        args.source.policy.as_deref(),
        args.source.oci.as_deref(),
        native,
        false,
        &args.oci_options,
        args.quiet,
    )?;
    loaded.report();
    let policy = loaded.policy;
    require_arch(source, &policy, native)?;
    let handlers = match &args.handlers {
        Some(path) => Some(load_handlers(path, native)?),
        None => None,
    };
    let listen = notifies(&policy);
    if !listen && handlers.is_some() {
        crate::error::warn("the policy has no notify rule, so --handlers is never consulted");
    }
    let program = supervise::compile(&policy)?;
    let prepared = command::prepare(&args.command)?;
    let sink = match (listen, args.quiet) {
        (true, false) => Some(Sink::open(args.output.as_deref(), args.json)?),
        _ => None,
    };
    let handler = RuleHandler::new(handlers, args.on_notify, native, sink);
    let mut session = supervise::launch(
        &prepared,
        &Options {
            program: supervise::validated(&program)?,
            listen,
            no_new_privs: !args.no_nnp,
        },
    )?;
    let served = session.serve(handler, usize::from(args.workers));
    if let Some(warning) = session.interrupted_warning() {
        crate::error::report(&warning);
    }
    let status = session.finish();
    if let Some(sink) = served?.into_sink() {
        sink.finish()?;
    }
    status.map_err(|error| explain_exec_failure(error, &policy, native))
}

/// Reads and parses a handlers file (handler rules, see [`crate::notify::rules`]) for `native`.
pub fn load_handlers(path: &Path, native: Arch) -> Result<Rules, CliError> {
    let text = crate::cmd::common::read_text(path)?;
    let rules = Rules::parse(path, &text, native)?;
    require_arch(path, &rules.policy, native)?;
    Ok(rules)
}

/// Adds a hint to an exec failure when the policy itself refuses `execve` with that errno.
fn explain_exec_failure(mut error: CliError, policy: &Policy, native: Arch) -> CliError {
    if error.failure != Failure::CannotExecute {
        return error;
    }
    let Some(nr) = native.syscall_nr("execve") else {
        return error;
    };
    let data = SeccompData {
        nr: nr as i32,
        arch: native.audit(),
        instruction_pointer: 0,
        args: [0; 6],
    };
    if let Some(errno) = policy.evaluate(&data).effective_errno() {
        let name = seccomp_core::errno::name(errno).map_or_else(|| errno.to_string(), str::to_owned);
        error
            .message
            .push_str(&format!(" (the policy answers execve with errno({name}))"));
    }
    error
}
