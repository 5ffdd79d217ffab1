//! Running a command under a filter and supervising its notifications: the common engine of `run`,
//! `trace` and `learn`.
//!
//! 1. [`command::prepare`] searches `PATH` and builds every C string before the fork.
//! 2. [`launch`] ignores SIGINT and SIGQUIT in seccompctl (as `system(3)` does, so a Ctrl-C reaches the
//!    command, which decides what it means, while seccompctl keeps answering and reports its status), and
//!    starts the command with [`seccomp_sys::spawn::spawn_guarded`]: a guard process (unfiltered, a child
//!    subreaper) forks the command, which shares seccompctl's fd table until its exec, installs the
//!    filter, publishes the listener's fd number in a shared page with an atomic store (no syscall, so
//!    nothing can block on a notification nobody receives yet), and execs. The child restores the two
//!    signals before installing. SIGTERM and SIGHUP are blocked in every thread of seccompctl and taken by
//!    a forwarding thread that sends them on to the command (as strace does), so seccompctl does not die
//!    of them and leave the command running unsupervised; the child gets the old mask back. The guard
//!    keeps its own copy of the listener and kills the command's whole tree when seccompctl dies (SIGKILL
//!    included), so no process of the tree runs on with notified syscalls failing (`ENOSYS`).
//! 3. [`Session::serve`] hands the listener to a [`seccomp_supervisor::Supervisor`]: its serving threads
//!    sit in `RECV` and run the caller's [`Handler`] (which decides, logs and answers each notification), and lost notifications are counted ([`Session::interrupted`]). It returns once no task
//!    uses the filter any more (the listener hangs up, Linux 5.9+): descendants that outlive the command are
//!    followed to their end, like `strace -f`, unless seccompctl was asked to terminate (SIGTERM, SIGHUP):
//!    then what the command leaves behind is killed once the command ended. On older kernels it returns
//!    when the command itself ends, and the rest of its tree is killed.
//! 4. [`Session::finish`] takes the command's status, ends the guard (killing anything left of the tree),
//!    and turns the command's end into the exit status: its own status, 128 + N when signal N killed it,
//!    127/126 when exec failed (with the reason on stderr, like a shell).

pub mod command;
pub mod ordered;

use crate::error::{CliError, CliResult, Failure};
use command::Prepared;
use rustix::io::Errno;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::Validated;
use seccomp_supervisor::{Answer, Context, Delivery, Handler, Observer, Supervisor};
use seccomp_sys::listener::{RecvError, ReplyError};
use seccomp_sys::spawn::{self, CStrArray, Child, Confinement, Exec, SavedSignal, SpawnError, Stage};
use seccomp_sys::{FilterFlags, Listener, Notification};
use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running command and, when its filter notifies, the listener.
#[derive(Debug)]
pub struct Session {
    child: Child,
    listener: Option<Listener>,
    saved: Vec<SavedSignal>,
    display: String,
    lost: u64,
    forwarder: Option<Forwarder>,
}

/// How long seccompctl waits for the guard to end the command's tree before it leaves (the guard then
/// finishes on its own).
const GUARD_PATIENCE: Duration = Duration::from_secs(5);

/// The termination signals seccompctl forwards to the command instead of dying of them.
const FORWARDED: [u32; 2] = [linux_signal::SIGHUP, linux_signal::SIGTERM];

/// The thread that takes SIGTERM and SIGHUP (blocked in every thread of seccompctl) and sends them on to
/// the command, as strace does, so that seccompctl keeps supervising while the command shuts down.
#[derive(Debug)]
struct Forwarder {
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// Set once a signal was forwarded: seccompctl was asked to terminate.
    forwarded: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Forwarder {
    fn start(child: rustix::process::Pid) -> Option<Forwarder> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let forwarded = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let told = Arc::clone(&forwarded);
        let pidfd = seccomp_sys::fdpass::pidfd_open(child).ok();
        let thread = std::thread::Builder::new()
            .name("seccompctl-signals".to_owned())
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    let Ok(Some(number)) = spawn::wait_signal(&FORWARDED, Duration::from_millis(100)) else {
                        continue;
                    };
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let signal = if number == linux_signal::SIGHUP {
                        rustix::process::Signal::HUP
                    } else {
                        rustix::process::Signal::TERM
                    };
                    let _ = match &pidfd {
                        Some(pidfd) => rustix::process::pidfd_send_signal(pidfd, signal),
                        None => rustix::process::kill_process(child, signal),
                    };
                    told.store(true, Ordering::SeqCst);
                }
            })
            .ok()?;
        Some(Forwarder {
            stop,
            forwarded,
            thread: Some(thread),
        })
    }

    /// Whether a termination signal was forwarded to the command.
    fn forwarded(&self) -> bool {
        self.forwarded.load(Ordering::SeqCst)
    }

    /// Stops forwarding. The thread is not joined: it may sit in `sigtimedwait` for up to 100 ms more,
    /// which every run would otherwise wait out at its end; it forwards nothing once stopped and ends
    /// by itself or with the process.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        drop(self.thread.take());
    }
}

/// How to confine the command.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The filter program, validated ([`validated`]).
    pub program: Validated<'a>,
    /// Install with `NEW_LISTENER` and supervise.
    pub listen: bool,
    /// Set `no_new_privs` in the child (else installing needs CAP_SYS_ADMIN).
    pub no_new_privs: bool,
}

/// Whether the running kernel reports `POLLHUP` on a listener nobody uses any more (Linux 5.9).
fn kernel_reports_hangup() -> bool {
    seccomp_sys::probe::kernel_release()
        .version()
        .is_none_or(|version| version >= (5, 9, 0))
}

/// `NEW_LISTENER`, with `WAIT_KILLABLE_RECV` when the kernel knows it (5.19): once seccompctl has received a
/// notification, only a fatal signal can interrupt the waiting syscall (see `seccomp_supervisor::server`).
fn listener_flags() -> FilterFlags {
    let killable = FilterFlags::WAIT_KILLABLE_RECV;
    match seccomp_sys::probe::filter_flag_known(killable) {
        seccomp_sys::probe::Support::Yes => FilterFlags::NEW_LISTENER | killable,
        _ => FilterFlags::NEW_LISTENER,
    }
}

/// The text of an errno, as `strerror` gives it.
pub fn strerror(errno: Errno) -> String {
    let text = std::io::Error::from_raw_os_error(errno.raw_os_error()).to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

/// The message for a child that failed before running the command.
fn spawn_error(error: SpawnError, options: &Options<'_>) -> CliError {
    let message = match error {
        SpawnError::Child {
            stage: Stage::Install,
            errno: Errno::ACCESS,
        } if !options.no_new_privs => "installing the filter was refused (EACCES): without no_new_privs \
                                       (--no-nnp) it needs CAP_SYS_ADMIN; drop --no-nnp or run with \
                                       CAP_SYS_ADMIN"
            .to_owned(),
        SpawnError::Child {
            stage: Stage::Install,
            errno: Errno::BUSY,
        } => "installing the filter failed (EBUSY): seccompctl already runs under a filter with a \
              notification listener, and a process may have only one in its filter chain"
            .to_owned(),
        SpawnError::Child {
            stage: Stage::Install,
            errno: Errno::INVAL,
        } if options.listen => "installing the filter failed (EINVAL): the kernel rejected the program or \
                                the NEW_LISTENER flag (user notifications need Linux 5.0)"
            .to_owned(),
        other => other.to_string(),
    };
    CliError::new(Failure::Supervisor, message)
}

/// Starts the prepared command under `options`. See the module documentation.
pub fn launch(prepared: &Prepared, options: &Options<'_>) -> Result<Session, CliError> {
    let argv_refs: Vec<&CStr> = prepared.argv.iter().map(|arg| arg.as_c_str()).collect();
    let envp_refs: Vec<&CStr> = prepared.envp.iter().map(|var| var.as_c_str()).collect();
    let mut argv_storage = vec![std::ptr::null(); argv_refs.len() + 1];
    let mut envp_storage = vec![std::ptr::null(); envp_refs.len() + 1];
    let internal = || CliError::new(Failure::Supervisor, "internal error: argument storage too small");
    let exec = Exec {
        path: &prepared.path,
        argv: CStrArray::new(&argv_refs, &mut argv_storage).ok_or_else(internal)?,
        envp: CStrArray::new(&envp_refs, &mut envp_storage).ok_or_else(internal)?,
    };
    let mut saved = Vec::new();
    for signal in [linux_signal::SIGINT, linux_signal::SIGQUIT] {
        match spawn::ignore_signal(signal) {
            Ok(old) => saved.push(old),
            Err(errno) => {
                restore(&saved);
                return Err(CliError::new(
                    Failure::Supervisor,
                    format!(
                        "cannot ignore signal {signal} while supervising: {}",
                        strerror(errno)
                    ),
                ));
            }
        }
    }
    let flags = if options.listen {
        listener_flags()
    } else {
        FilterFlags::EMPTY
    };
    // SIGTERM and SIGHUP are blocked in seccompctl from here on (every thread it starts inherits that)
    // and taken by the forwarding thread; the child gets the old mask back, and its tree dies with
    // seccompctl (the guard).
    let signal_mask = match spawn::block_signals(&FORWARDED) {
        Ok(old) => Some(old),
        Err(errno) => {
            restore(&saved);
            return Err(CliError::new(
                Failure::Supervisor,
                format!("cannot block SIGTERM and SIGHUP: {}", strerror(errno)),
            ));
        }
    };
    let confinement = Confinement {
        program: options.program,
        flags,
        no_new_privs: options.no_new_privs,
        restore: &saved,
        signal_mask,
        die_with_parent: true,
    };
    // A guard only where there is a listener to keep: a filter that never notifies leaves nothing
    // unsupervised behind when seccompctl dies.
    let start = if options.listen {
        spawn::spawn_guarded
    } else {
        spawn::spawn
    };
    let mut child = match start(&exec, &confinement) {
        Ok(child) => child,
        Err(error) => {
            restore(&saved);
            return Err(spawn_error(error, options));
        }
    };
    match child.wait_ready() {
        Ok(ready) => {
            let forwarder = Forwarder::start(child.pid());
            Ok(Session {
                child,
                listener: ready.listener,
                saved,
                display: prepared.display.clone(),
                lost: 0,
                forwarder,
            })
        }
        Err(error) => {
            restore(&saved);
            Err(spawn_error(error, options))
        }
    }
}

/// Signal numbers (the same on x86_64 and aarch64).
mod linux_signal {
    /// SIGHUP.
    pub const SIGHUP: u32 = 1;
    /// SIGTERM.
    pub const SIGTERM: u32 = 15;
    /// SIGINT.
    pub const SIGINT: u32 = 2;
    /// SIGQUIT.
    pub const SIGQUIT: u32 = 3;
}

/// Puts back signal dispositions; failures are ignored (nothing better can be done on the way out).
fn restore(saved: &[SavedSignal]) {
    for old in saved {
        let _ = spawn::restore_signal(old);
    }
}

impl Session {
    /// The command's pid.
    pub fn pid(&self) -> rustix::process::Pid {
        self.child.pid()
    }

    /// Serves the command's notifications with `handler` on `workers` threads until no task uses the
    /// filter any more (see the module documentation), and gives the handler back. Returns at once when the
    /// filter has no listener.
    ///
    /// When answering fails (the kernel refuses an answer, receiving fails) the command's whole tree is
    /// killed with SIGKILL, since nobody would answer its notifications any more, and the failure is
    /// returned. The tree is always ended before the serving threads stop, so no process of it ever gets
    /// the `ENOSYS` a listener nobody serves gives.
    pub fn serve<H: Handler>(&mut self, handler: H, workers: usize) -> Result<H, CliError> {
        let Some(listener) = self.listener.take() else {
            return Ok(handler);
        };
        let handler = Arc::new(handler);
        let watch = Arc::new(Watch::default());
        let supervisor =
            Supervisor::with_observer(Arc::clone(&handler), SessionObserver(Arc::clone(&watch)), workers);
        supervisor.add(
            listener,
            Context::new(self.display.clone()).with_pid(self.child.pid()),
        );
        let hangup_reported = kernel_reports_hangup();
        let mut child_done = self.child.status().is_some();
        let mut failure = None;
        loop {
            // The child is looked at every 50 ms until it ended (a child whose filter refuses to let it
            // exit after a failed exec is killed then, see `seccomp_sys::spawn`), then once a second.
            let slice = Duration::from_millis(if child_done { 1000 } else { 50 });
            if supervisor.wait_all_hung_up_for(slice) {
                break;
            }
            if let Some(message) = watch.failure() {
                failure = Some(CliError::new(Failure::Supervisor, message));
                break;
            }
            if !child_done {
                match self.child.try_wait() {
                    Ok(status) => child_done = status.is_some(),
                    Err(error) => {
                        failure = Some(CliError::new(Failure::Supervisor, error.to_string()));
                        break;
                    }
                }
            }
            let terminated = self.forwarder.as_ref().is_some_and(Forwarder::forwarded);
            if child_done && (terminated || !hangup_reported) {
                // Asked to terminate, the command is gone: what it left behind ends too. (Without the
                // hang-up nothing tells us when the last descendant is gone: stop with the command.)
                break;
            }
        }
        if failure.is_some() || !supervisor.wait_all_hung_up_for(Duration::ZERO) {
            // Before the serving threads stop: a notification they left would fail with ENOSYS.
            self.child.end(GUARD_PATIENCE);
        }
        supervisor.shutdown();
        self.lost = watch.lost.load(Ordering::SeqCst);
        if failure.is_none() {
            failure = watch
                .failure()
                .map(|message| CliError::new(Failure::Supervisor, message));
        }
        if let Some(error) = failure {
            self.child.end(GUARD_PATIENCE);
            return Err(error);
        }
        // A serving thread may still hold the handler for a moment after the hang-up was reported.
        let mut handler = handler;
        for _ in 0..200 {
            match Arc::try_unwrap(handler) {
                Ok(handler) => return Ok(handler),
                Err(shared) => handler = shared,
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(CliError::new(
            Failure::Supervisor,
            "internal error: the notification handler is still in use",
        ))
    }

    /// How many notifications vanished before seccompctl could receive them (see
    /// [`seccomp_supervisor::gaps`]): each is a syscall a signal interrupted, which the command saw fail
    /// with `EINTR` unless its handler restarts syscalls (or a task killed while it waited). Known once
    /// [`Session::serve`] returned.
    pub fn interrupted(&self) -> u64 {
        self.lost
    }

    /// The warning to print when notifications were interrupted, if any.
    pub fn interrupted_warning(&self) -> Option<String> {
        (self.lost > 0).then(|| {
            format!(
                "warning: {} notified syscall{} interrupted by a signal before seccompctl received {}: \
                 the command saw EINTR there (or restarted the call), a limit of seccomp user notifications",
                self.lost,
                if self.lost == 1 { " was" } else { "s were" },
                if self.lost == 1 { "it" } else { "them" },
            )
        })
    }

    /// Waits for the command to end and returns the exit status to leave with (see the module docs).
    pub fn finish(mut self) -> CliResult {
        // A listener never served (its tree is ended below, before anything could see ENOSYS).
        self.listener = None;
        let status = self
            .child
            .wait()
            .map_err(|error| CliError::new(Failure::Supervisor, error.to_string()));
        // Whatever is left of the command's tree ends now, and the guard with it.
        self.child.end(GUARD_PATIENCE);
        let status = status?;
        if let Some(forwarder) = self.forwarder.as_mut() {
            forwarder.stop();
        }
        restore(&std::mem::take(&mut self.saved));
        if let Some(errno) = self.child.exec_error() {
            let failure = if errno == Errno::NOENT {
                Failure::NotFound
            } else {
                Failure::CannotExecute
            };
            return Err(CliError::new(
                failure,
                format!("{}: {}", self.display, strerror(errno)),
            ));
        }
        if let spawn::ExitStatus::Signaled { signal, .. } = status
            && let Some(message) = crate::sigsys::explain(self.child.pid().as_raw_nonzero().get(), signal)
        {
            crate::error::report(&message);
        }
        Ok(status.shell_code())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(forwarder) = self.forwarder.as_mut() {
            forwarder.stop();
        }
        restore(&self.saved);
    }
}

/// What the supervisor's observer learned while serving.
#[derive(Debug, Default)]
struct Watch {
    /// Notifications lost so far.
    lost: AtomicU64,
    /// The first failure that stops the supervision.
    failure: Mutex<Option<String>>,
}

impl Watch {
    fn fail(&self, message: String) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(message);
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|failure| failure.clone())
    }
}

/// The session's [`Observer`]: records failures and lost notifications, and warns at the first loss.
struct SessionObserver(Arc<Watch>);

impl Observer for SessionObserver {
    fn delivered(
        &self,
        _context: &Context,
        _notification: &Notification,
        _answer: &Answer,
        result: &Result<Delivery, ReplyError>,
    ) {
        match result {
            Ok(Delivery::FdRefused(errno)) => crate::error::warn(&format!(
                "the kernel did not install the fd answered to a notified syscall; the command got {} \
                 instead",
                seccomp_supervisor::ErrnoName(*errno)
            )),
            Ok(_) => {}
            Err(ReplyError::Unsupported) => self.0.fail(
                "the kernel refused the answer to a notification (EINVAL): continuing a syscall \
                 (SECCOMP_USER_NOTIF_FLAG_CONTINUE) needs Linux 5.5"
                    .to_owned(),
            ),
            Err(error) => self.0.fail(error.to_string()),
        }
    }

    fn failed(&self, _context: &Context, error: &RecvError) {
        self.0.fail(error.to_string());
    }

    fn interrupted(&self, _context: &Context, lost: u64) {
        if self.0.lost.swap(lost, Ordering::SeqCst) == 0 {
            // Say it now: the command may hang or fail because of it before the summary.
            crate::error::warn(
                "a signal interrupted a notified syscall before seccompctl received it; the command saw \
                 EINTR there (or restarted the call)",
            );
        }
    }
}

/// Compiles `policy` for the kernel: the instructions to install.
pub fn compile(policy: &seccomp_core::policy::Policy) -> Result<Vec<SockFilter>, CliError> {
    let mut out = vec![SockFilter::default(); seccomp_core::abi::BPF_MAXINSNS];
    let mut compiler = Box::new(seccomp_core::policy::Compiler::<2048>::new());
    let compiled = compiler
        .compile(policy, &mut out)
        .map_err(|error| CliError::bad_input(format!("cannot compile the policy: {error}")))?;
    Ok(compiled.program().insns().to_vec())
}

/// The compiled program as the kernel will get it: validated (the compiler's output always is; this is the
/// proof the spawn takes).
pub fn validated(program: &[SockFilter]) -> Result<Validated<'_>, CliError> {
    seccomp_core::bpf::validate(program).map_err(|error| {
        CliError::new(
            Failure::Supervisor,
            format!("internal error: the compiled filter is invalid: {error}"),
        )
    })
}

/// The host's architecture, which every policy run here must target.
pub fn native_arch() -> Result<seccomp_core::arch::Arch, CliError> {
    seccomp_core::arch::Arch::native().ok_or_else(|| {
        CliError::new(
            Failure::Supervisor,
            "this host's architecture is not supported for running commands",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        assert_eq!(strerror(Errno::NOENT), "No such file or directory");
    }
}
