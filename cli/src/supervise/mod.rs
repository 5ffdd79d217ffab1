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
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use seccomp_core::abi::SockFilter;
use seccomp_sys::listener::RecvError;
use seccomp_sys::spawn::{self, CStrArray, Child, Confinement, Exec, SavedSignal, SpawnError, Stage};
use seccomp_sys::{FilterFlags, Listener, Notification};
use std::ffi::CStr;
use std::sync::mpsc;

/// A running command and, when its filter notifies, the listener.
#[derive(Debug)]
pub struct Session {
    child: Child,
    listener: Option<Listener>,
    saved: Vec<SavedSignal>,
    display: String,
    lost: u64,
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

/// `NEW_LISTENER`, with `WAIT_KILLABLE_RECV` when the kernel knows it (5.19): once seccompctl has received a
/// notification, only a fatal signal can interrupt the waiting syscall (see [`receive`]).
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
            lost: 0,
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
        let result = serve(listener, &mut self.child, &mut handle, &mut self.lost);
        if result.is_err() {
            let _ = rustix::process::kill_process(self.child.pid(), rustix::process::Signal::KILL);
        }
        result
    }

    /// How many notifications vanished before seccompctl could receive them (see [`Gaps`]): each is a
    /// syscall a signal interrupted, which the command saw fail with `EINTR` unless its handler restarts
    /// syscalls. Known once [`Session::supervise`] returned.
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
        restore(&self.saved);
    }
}

/// What the receiving thread reports to the supervising one.
enum Event {
    /// A notification, already received (so, with `WAIT_KILLABLE_RECV`, no longer interruptible).
    Notification(Notification),
    /// The child may have ended (its pidfd is readable, or the periodic check without a pidfd is due).
    ChildReady,
    /// No task uses the filter any more.
    Hangup,
    /// The listener failed.
    Failed(CliError),
}

/// One `poll` of the listener, the stop eventfd and, when given, the child's pidfd: (listener readable,
/// listener hung up, stop requested, child readable).
fn poll_once(
    listener: &Listener,
    stop: &OwnedFd,
    pidfd: Option<&OwnedFd>,
    timeout: Option<&Timespec>,
) -> Result<(bool, bool, bool, bool), CliError> {
    loop {
        let mut fds = Vec::with_capacity(3);
        fds.push(PollFd::new(listener, PollFlags::IN));
        fds.push(PollFd::new(stop, PollFlags::IN));
        if let Some(pidfd) = pidfd {
            fds.push(PollFd::new(pidfd, PollFlags::IN));
        }
        match rustix::event::poll(&mut fds, timeout) {
            Ok(_) => {
                let events = |i: usize| fds.get(i).map_or(PollFlags::empty(), PollFd::revents);
                return Ok((
                    events(0).contains(PollFlags::IN),
                    events(0).intersects(PollFlags::HUP | PollFlags::ERR),
                    !events(1).is_empty(),
                    !events(2).is_empty(),
                ));
            }
            Err(Errno::INTR) => continue,
            Err(errno) => {
                return Err(CliError::new(
                    Failure::Supervisor,
                    format!("polling the listener failed: {}", strerror(errno)),
                ));
            }
        }
    }
}

/// The receiving thread: takes each notification off the listener as soon as it is queued and hands it
/// to the supervising thread, which decodes, logs and answers it.
///
/// Receiving early matters: with `WAIT_KILLABLE_RECV` (Linux 5.19) a received notification can no longer
/// be interrupted by a non-fatal signal, while one still waiting to be received can, and its syscall then
/// fails with `EINTR` (or restarts, for handlers with `SA_RESTART`), even a syscall such as `clone` or
/// `close` that never fails that way without a supervisor. Such a signal often comes exactly then:
/// answering one process's `exit_group` sends SIGCHLD to its parent, which may be in a notification of its
/// own. A dedicated thread keeps that window down to its wakeup latency, whatever the other thread is
/// doing.
fn receive(
    listener: &Listener,
    stop: &OwnedFd,
    pidfd: Option<&OwnedFd>,
    events: &mpsc::Sender<Event>,
    gaps: &mut Gaps,
) {
    let mut watch_child = true;
    loop {
        let watched = if watch_child { pidfd } else { None };
        // The child is looked at once a second even with a pidfd (a child whose filter refuses to let it
        // exit after a failed exec is killed then, see `seccomp_sys::spawn`), every 50 ms without one.
        let timeout = watch_child.then_some(Timespec {
            tv_sec: if pidfd.is_some() { 1 } else { 0 },
            tv_nsec: if pidfd.is_some() { 0 } else { 50_000_000 },
        });
        let (pending, hangup, stopped, child) = match poll_once(listener, stop, watched, timeout.as_ref()) {
            Ok(result) => result,
            Err(error) => {
                let _ = events.send(Event::Failed(error));
                return;
            }
        };
        if stopped {
            return;
        }
        let sent = if pending {
            match listener.recv() {
                Ok(notification) => {
                    let before = gaps.lost();
                    gaps.saw(notification.id());
                    if before == 0 && gaps.lost() > 0 {
                        // Say it now: the command may hang or fail because of it before the summary.
                        eprintln!(
                            "seccompctl: warning: a signal interrupted a notified syscall before seccompctl \
                             received it; the command saw EINTR there (or restarted the call)"
                        );
                    }
                    events.send(Event::Notification(notification))
                }
                // The target went away between the wakeup and the receive.
                Err(RecvError::TargetGone) => Ok(()),
                Err(error) => {
                    let _ = events.send(Event::Failed(CliError::new(
                        Failure::Supervisor,
                        error.to_string(),
                    )));
                    return;
                }
            }
        } else if hangup {
            let _ = events.send(Event::Hangup);
            return;
        } else if child {
            // The pidfd stays readable once the child ended: stop watching it.
            watch_child = false;
            events.send(Event::ChildReady)
        } else if watch_child {
            // The periodic look.
            events.send(Event::ChildReady)
        } else {
            Ok(())
        };
        if sent.is_err() {
            // The supervising thread is gone.
            return;
        }
    }
}

/// Notification ids the kernel handed out but seccompctl never received.
///
/// The kernel numbers a filter's notifications consecutively. A number that never arrives belongs to a
/// notification that vanished before it was received: a signal interrupted the waiting syscall (which then
/// failed with `EINTR`, or restarted under an `SA_RESTART` handler and came back with a new number), or the
/// task was killed. Notifications arrive in order since Linux 5.19; before, a late one fills its hole.
#[derive(Debug, Default)]
pub struct Gaps {
    next: Option<u64>,
    holes: std::collections::BTreeSet<u64>,
    overflow: u64,
}

impl Gaps {
    /// The most holes remembered individually; more are only counted.
    const MAX_HOLES: usize = 4096;

    /// Records a received id.
    pub fn saw(&mut self, id: u64) {
        let Some(next) = self.next else {
            self.next = Some(id.wrapping_add(1));
            return;
        };
        if id == next {
            self.next = Some(next.wrapping_add(1));
        } else if id > next {
            for hole in next..id {
                if self.holes.len() >= Self::MAX_HOLES {
                    self.overflow += id - hole;
                    break;
                }
                self.holes.insert(hole);
            }
            self.next = Some(id.wrapping_add(1));
        } else {
            self.holes.remove(&id);
        }
    }

    /// How many notifications were never received.
    pub fn lost(&self) -> u64 {
        self.holes.len() as u64 + self.overflow
    }
}

/// The notification loop: a receiving thread ([`receive`]) and this thread handling what it receives.
fn serve(
    listener: &Listener,
    child: &mut Child,
    handle: &mut dyn FnMut(&Listener, &Notification) -> Result<(), CliError>,
    lost: &mut u64,
) -> Result<(), CliError> {
    let pidfd = seccomp_sys::fdpass::pidfd_open(child.pid()).ok();
    // 6.6+: the target's CPU switches straight to the receiving thread (see `receive`); older kernels
    // refuse the flag, which only costs latency.
    let _ = listener.set_flags(seccomp_sys::listener::ListenerFlags::SYNC_WAKE_UP);
    let stop = rustix::event::eventfd(0, rustix::event::EventfdFlags::CLOEXEC)
        .map_err(|errno| CliError::new(Failure::Supervisor, format!("eventfd: {}", strerror(errno))))?;
    let hangup_reported = kernel_reports_hangup();
    let (sender, events) = mpsc::channel();
    std::thread::scope(|scope| {
        let (stop_ref, pidfd_ref) = (&stop, pidfd.as_ref());
        let receiver = std::thread::Builder::new()
            .name("seccompctl-recv".to_owned())
            .spawn_scoped(scope, move || {
                let mut gaps = Gaps::default();
                receive(listener, stop_ref, pidfd_ref, &sender, &mut gaps);
                gaps.lost()
            })
            .map_err(|e| CliError::new(Failure::Supervisor, format!("cannot start a thread: {e}")))?;
        let stop_receiver = || {
            let _ = rustix::io::write(&stop, &1u64.to_ne_bytes());
        };
        let mut result = Ok(());
        let mut child_done = child.status().is_some();
        while let Ok(event) = events.recv() {
            match event {
                Event::Notification(notification) => {
                    if let Err(error) = handle(listener, &notification) {
                        result = Err(error);
                        break;
                    }
                }
                Event::ChildReady if !child_done => match child.try_wait() {
                    Ok(status) => {
                        child_done = status.is_some();
                        if child_done && !hangup_reported {
                            // Nothing tells us when the last descendant is gone: stop with the command.
                            break;
                        }
                    }
                    Err(error) => {
                        result = Err(CliError::new(Failure::Supervisor, error.to_string()));
                        break;
                    }
                },
                Event::ChildReady => {}
                Event::Hangup => break,
                Event::Failed(error) => {
                    result = Err(error);
                    break;
                }
            }
        }
        stop_receiver();
        *lost = receiver.join().unwrap_or(0);
        // Answer what was received but not yet handled, then what is still queued in the kernel.
        for event in events.try_iter() {
            if let (Event::Notification(notification), Ok(())) = (event, &result) {
                result = handle(listener, &notification);
            }
        }
        if result.is_ok() && !hangup_reported {
            let now = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let idle = rustix::event::eventfd(0, rustix::event::EventfdFlags::CLOEXEC).map_err(|errno| {
                CliError::new(Failure::Supervisor, format!("eventfd: {}", strerror(errno)))
            })?;
            while poll_once(listener, &idle, None, Some(&now))?.0 {
                match listener.recv() {
                    Ok(notification) => handle(listener, &notification)?,
                    Err(RecvError::TargetGone) => {}
                    Err(error) => return Err(CliError::new(Failure::Supervisor, error.to_string())),
                }
            }
        }
        result
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count_ids_that_never_arrive() {
        let mut gaps = Gaps::default();
        for id in [u64::MAX - 1, u64::MAX, 0, 1] {
            gaps.saw(id);
        }
        assert_eq!(gaps.lost(), 0, "consecutive ids, wrapping included, leave no gap");
        gaps.saw(4);
        assert_eq!(gaps.lost(), 2, "2 and 3 are missing");
        gaps.saw(3);
        assert_eq!(
            gaps.lost(),
            1,
            "a late arrival (before 5.19's FIFO order) fills its hole"
        );
        gaps.saw(5);
        assert_eq!(gaps.lost(), 1);
    }

    #[test]
    fn huge_jumps_are_counted_without_remembering_every_hole() {
        let mut gaps = Gaps::default();
        gaps.saw(10);
        gaps.saw(10 + 1 + 100_000);
        assert_eq!(gaps.lost(), 100_000);
    }

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        assert_eq!(strerror(Errno::NOENT), "No such file or directory");
    }
}
