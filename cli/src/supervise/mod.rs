//! Running a command under a filter and supervising its notifications: the common engine of `run`,
//! `trace` and `learn`.
//!
//! 1. [`command::prepare`] searches `PATH` and builds every C string before the fork.
//! 2. [`launch`] ignores SIGINT and SIGQUIT in seccompctl (as `system(3)` does, so a Ctrl-C reaches the
//!    command, which decides what it means, while seccompctl keeps answering and reports its status), and
//!    starts the child with [`seccomp_sys::spawn`]: the child shares seccompctl's fd table until its exec,
//!    installs the filter, publishes the listener's fd number in a shared page with an atomic store (no
//!    syscall, so nothing can block on a notification nobody receives yet), and execs. The child restores
//!    the two signals before installing.
//! 3. [`Session::supervise`] polls the listener and a pidfd of the child, receives each notification and
//!    passes it to the caller's handler, which decides and answers it. It returns once no task uses the
//!    filter any more (the listener reports `POLLHUP`, Linux 5.9+): descendants that outlive the command are
//!    followed to their end, like `strace -f`. On older kernels it returns when the command itself ends.
//! 4. [`Session::finish`] reaps the child and turns its end into the exit status: its own status, 128 + N
//!    when signal N killed it, 127/126 when exec failed (with the reason on stderr, like a shell).

pub mod command;

use crate::error::{CliError, CliResult, Failure};
use command::Prepared;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use seccomp_core::abi::SockFilter;
use seccomp_sys::listener::RecvError;
use seccomp_sys::spawn::{self, CStrArray, Child, Confinement, Exec, SavedSignal, SpawnError, Stage};
use seccomp_sys::{FilterFlags, Listener, Notification};
use std::ffi::CStr;

/// A running command and, when its filter notifies, the listener.
#[derive(Debug)]
pub struct Session {
    child: Child,
    listener: Option<Listener>,
    saved: Vec<SavedSignal>,
    display: String,
}

/// How to confine the command.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The filter program.
    pub program: &'a [SockFilter],
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
        FilterFlags::NEW_LISTENER
    } else {
        FilterFlags::EMPTY
    };
    let confinement = Confinement {
        program: options.program,
        flags,
        no_new_privs: options.no_new_privs,
        restore: &saved,
    };
    let mut child = match spawn::spawn(&exec, &confinement) {
        Ok(child) => child,
        Err(error) => {
            restore(&saved);
            return Err(spawn_error(error, options));
        }
    };
    match child.wait_ready() {
        Ok(ready) => Ok(Session {
            child,
            listener: ready.listener,
            saved,
            display: prepared.display.clone(),
        }),
        Err(error) => {
            restore(&saved);
            Err(spawn_error(error, options))
        }
    }
}

/// Signal numbers (the same on x86_64 and aarch64).
mod linux_signal {
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

    /// Receives notifications and hands each to `handle`, which must answer it, until no task uses the
    /// filter any more (see the module documentation). Returns at once when the filter has no listener.
    ///
    /// On an error (from `handle` or the listener) the command is killed with SIGKILL, since nobody would
    /// answer its notifications any more.
    pub fn supervise(
        &mut self,
        mut handle: impl FnMut(&Listener, &Notification) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        let Some(listener) = self.listener.as_ref() else {
            return Ok(());
        };
        let result = serve(listener, &mut self.child, &mut handle);
        if result.is_err() {
            let _ = rustix::process::kill_process(self.child.pid(), rustix::process::Signal::KILL);
        }
        result
    }

    /// Waits for the command to end and returns the exit status to leave with (see the module docs).
    pub fn finish(mut self) -> CliResult {
        // Close the listener first: a descendant still running gets ENOSYS instead of waiting forever.
        self.listener = None;
        let status = self
            .child
            .wait()
            .map_err(|error| CliError::new(Failure::Supervisor, error.to_string()))?;
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
        Ok(status.shell_code())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        restore(&self.saved);
    }
}

/// The notification loop.
fn serve(
    listener: &Listener,
    child: &mut Child,
    handle: &mut dyn FnMut(&Listener, &Notification) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let pidfd = seccomp_sys::fdpass::pidfd_open(child.pid()).ok();
    let hangup_reported = kernel_reports_hangup();
    let supervisor_error =
        |what: &str, errno: Errno| CliError::new(Failure::Supervisor, format!("{what}: {}", strerror(errno)));
    let mut child_done = child.status().is_some();
    loop {
        let watch_child = !child_done && pidfd.is_some();
        let timeout = if child_done && !hangup_reported {
            // Only drain what is already pending.
            Some(Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            })
        } else if !child_done && pidfd.is_none() {
            // No pidfd (before 5.3): look at the child every 50 ms.
            Some(Timespec {
                tv_sec: 0,
                tv_nsec: 50_000_000,
            })
        } else {
            None
        };
        let (pending, hangup, child_ready) = loop {
            let mut fds = Vec::with_capacity(2);
            fds.push(PollFd::new(listener, PollFlags::IN));
            if let (true, Some(pidfd)) = (watch_child, pidfd.as_ref()) {
                fds.push(PollFd::new(pidfd, PollFlags::IN));
            }
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(_) => {
                    let listener_events = fds.first().map_or(PollFlags::empty(), PollFd::revents);
                    let child_events = fds.get(1).map_or(PollFlags::empty(), PollFd::revents);
                    break (
                        listener_events.contains(PollFlags::IN),
                        listener_events.intersects(PollFlags::HUP | PollFlags::ERR),
                        !child_events.is_empty(),
                    );
                }
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(supervisor_error("polling the listener failed", errno)),
            }
        };
        if pending {
            match listener.recv() {
                Ok(notification) => handle(listener, &notification)?,
                // The target went away between the wakeup and the receive.
                Err(RecvError::TargetGone) => {}
                Err(error) => return Err(CliError::new(Failure::Supervisor, error.to_string())),
            }
            continue;
        }
        if hangup {
            break;
        }
        if !child_done && (child_ready || pidfd.is_none()) {
            child_done = child
                .try_wait()
                .map_err(|error| CliError::new(Failure::Supervisor, error.to_string()))?
                .is_some();
            continue;
        }
        if child_done && !hangup_reported {
            break;
        }
    }
    Ok(())
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

/// The host's architecture, which every policy run here must target.
pub fn native_arch() -> Result<seccomp_core::arch::Arch, CliError> {
    seccomp_core::arch::Arch::native().ok_or_else(|| {
        CliError::new(
            Failure::Supervisor,
            "this host's architecture is not supported for running commands",
        )
    })
}

/// Answers `notification` with `decision`; a notification that went away meanwhile is not an error.
pub fn answer(
    listener: &Listener,
    notification: &Notification,
    decision: crate::notify::answer::Decision,
) -> Result<(), CliError> {
    use seccomp_sys::listener::ReplyError;
    match crate::notify::answer::Answerer::deliver(listener, notification, decision) {
        Ok(_) => Ok(()),
        Err(ReplyError::Unsupported) => Err(CliError::new(
            Failure::Supervisor,
            "the kernel refused the answer to a notification (EINVAL): continuing a syscall \
             (SECCOMP_USER_NOTIF_FLAG_CONTINUE) needs Linux 5.5",
        )),
        Err(error) => Err(CliError::new(Failure::Supervisor, error.to_string())),
    }
}
