//! What a handler gets ([`Call`], then [`Inspected`] once it reads memory) and what it returns ([`Reply`]).
//!
//! The two call types carry the TOCTOU rule: [`Call::inspect`] consumes the [`Call`], memory can only be
//! read through the [`Inspected`] it returns, and an [`Inspected`] is answered with a
//! [`CheckedAnswer`], which cannot say `Continue`. A [`Reply`] can only be made by one of the two, so a
//! handler cannot read a path and then let the kernel re-read it.

use crate::answer::{Answer, CheckedAnswer};
use crate::server::Context;
use crate::target::{self, Namespaces, Status};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use seccomp_core::arch::Arch;
use seccomp_sys::{Listener, Notification};
use std::cell::OnceCell;

/// Decides notifications. Implemented for every `Fn(Call<'_>) -> Reply + Send + Sync`.
pub trait Handler: Send + Sync + 'static {
    /// Decides one notification. Runs on a serving thread of the listener; several calls may run at once.
    fn handle(&self, call: Call<'_>) -> Reply;
}

impl<F> Handler for F
where
    F: Fn(Call<'_>) -> Reply + Send + Sync + 'static,
{
    fn handle(&self, call: Call<'_>) -> Reply {
        self(call)
    }
}

impl<H: Handler> Handler for std::sync::Arc<H> {
    fn handle(&self, call: Call<'_>) -> Reply {
        H::handle(self, call)
    }
}

/// A handler's decision, made by [`Call::answer`] or [`Inspected::answer`].
pub struct Reply {
    pub(crate) answer: Answer,
    pub(crate) inspected: bool,
    pub(crate) after: Option<Box<dyn FnOnce(bool) + Send>>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("answer", &self.answer)
            .field("inspected", &self.inspected)
            .field("after", &self.after.is_some())
            .finish()
    }
}

impl Reply {
    /// Runs `work` on the serving thread right after the answer was delivered: what need not delay the target,
    /// such as formatting and writing a log line of what the handler read before answering.
    pub fn then(mut self, work: impl FnOnce() + Send + 'static) -> Reply {
        self.after = Some(Box::new(move |_| work()));
        self
    }

    /// Like [`Reply::then`], and tells `work` whether the kernel took the answer (`true`), that is whether
    /// the notification was still outstanding when it was delivered: what [`Call::peek_unvalidated`] read
    /// before is the target's own memory only then.
    pub fn then_delivered(mut self, work: impl FnOnce(bool) + Send + 'static) -> Reply {
        self.after = Some(Box::new(work));
        self
    }

    /// The answer that will be delivered.
    pub fn answer(&self) -> &Answer {
        &self.answer
    }

    /// Whether the decision read the target's memory (it then cannot be `Continue`).
    pub fn inspected(&self) -> bool {
        self.inspected
    }
}

/// One notification, before any of its memory was read.
#[derive(Debug)]
pub struct Call<'a> {
    listener: &'a Listener,
    context: &'a Context,
    notification: Notification,
    status: OnceCell<Result<Status, Errno>>,
}

/// Maps the outcome of `ID_VALID` to "still the target" (`Ok`) or `ESRCH` (gone: what was read may belong
/// to another process).
pub(crate) fn still_valid(listener: &Listener, id: u64) -> Result<(), Errno> {
    match listener.id_valid(id) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Errno::SRCH),
        Err(errno) => Err(errno),
    }
}

impl<'a> Call<'a> {
    pub(crate) fn new(listener: &'a Listener, context: &'a Context, notification: Notification) -> Call<'a> {
        Call {
            listener,
            context,
            notification,
            status: OnceCell::new(),
        }
    }

    /// The raw notification.
    pub fn notification(&self) -> &Notification {
        &self.notification
    }

    /// The listener's context (its label, the process it was registered for).
    pub fn context(&self) -> &Context {
        self.context
    }

    /// The notification id.
    pub fn id(&self) -> u64 {
        self.notification.id()
    }

    /// The syscall's ABI, when it is one core's tables know (x32 syscalls come as x86_64 with bit 30).
    pub fn arch(&self) -> Option<Arch> {
        Arch::from_seccomp_data(self.notification.arch(), self.notification.nr() as u32)
    }

    /// The syscall number as the filter saw it.
    pub fn nr(&self) -> i32 {
        self.notification.nr()
    }

    /// The syscall's name from the kernel table of its ABI.
    pub fn name(&self) -> Option<&'static str> {
        let arch = self.arch()?;
        let nr = (self.notification.nr() as u32) & !0x4000_0000;
        arch.syscall_name(nr)
    }

    /// The six raw argument registers.
    pub fn args(&self) -> [u64; 6] {
        self.notification.args()
    }

    /// The notifying thread's id in the supervisor's pid namespace (`None`: not visible there).
    pub fn pid(&self) -> Option<i32> {
        self.notification.pid().map(|pid| pid.as_raw_nonzero().get())
    }

    fn need_pid(&self) -> Result<i32, Errno> {
        self.pid().ok_or(Errno::SRCH)
    }

    /// Re-validates the notification: `Err(ESRCH)` once it is no longer outstanding.
    pub fn check(&self) -> Result<(), Errno> {
        still_valid(self.listener, self.id())
    }

    /// The target thread's `/proc/PID/status` (thread group, umask, credentials), read once and
    /// re-validated.
    pub fn status(&self) -> Result<&Status, Errno> {
        self.status
            .get_or_init(|| {
                let status = target::read_status(self.need_pid()?)?;
                self.check()?;
                Ok(status)
            })
            .as_ref()
            .map_err(|errno| *errno)
    }

    /// The target's namespaces (inode numbers of `/proc/PID/ns/*`), re-validated.
    pub fn namespaces(&self) -> Result<Namespaces, Errno> {
        let namespaces = target::read_namespaces(self.need_pid()?);
        self.check()?;
        Ok(namespaces)
    }

    /// A pidfd of the target's process (thread group), opened and then re-validated, so it names the
    /// target and not a process that reused its pid.
    pub fn pidfd(&self) -> Result<OwnedFd, Errno> {
        let tgid = self.status()?.tgid;
        let pid = rustix::process::Pid::from_raw(tgid).ok_or(Errno::SRCH)?;
        let pidfd = seccomp_sys::fdpass::pidfd_open(pid)?;
        self.check()?;
        Ok(pidfd)
    }

    /// The target's root directory (`/proc/PID/root`) as an `O_PATH` fd, re-validated.
    pub fn root(&self) -> Result<OwnedFd, Errno> {
        let fd = target::open_dir_link(self.need_pid()?, "root")?;
        self.check()?;
        Ok(fd)
    }

    /// The target's working directory (`/proc/PID/cwd`) as an `O_PATH` fd, re-validated.
    pub fn cwd(&self) -> Result<OwnedFd, Errno> {
        let fd = target::open_dir_link(self.need_pid()?, "cwd")?;
        self.check()?;
        Ok(fd)
    }

    /// Reads target memory for *display only* (a log line), re-validated like every read. A decision must
    /// never depend on what this returns: read through [`Call::inspect`] for that, so the answer cannot
    /// be `Continue`.
    pub fn peek_for_log<R>(
        &self,
        read: impl FnOnce(&mut seccomp_sys::mem::TargetMemory) -> Result<R, seccomp_sys::mem::MemError>,
    ) -> Result<R, seccomp_sys::mem::CheckedReadError> {
        self.listener.read_checked(&self.notification, read)
    }

    /// Reads target memory for *display only*, without re-validating: one `ID_VALID` ioctl less than
    /// [`Call::peek_for_log`]. What it returns may come from another process that reused the pid (the
    /// target killed meanwhile) until the answer given after the read is delivered: a notification still
    /// outstanding at delivery proves its task was waiting, alive, during the read. So use what it read
    /// only in [`Reply::then_delivered`] work that was told `true`; a decision must never depend on it.
    pub fn peek_unvalidated<R>(
        &self,
        read: impl FnOnce(&mut seccomp_sys::mem::TargetMemory) -> R,
    ) -> Result<R, seccomp_sys::mem::MemError> {
        let pid = self.notification.pid().ok_or(seccomp_sys::mem::MemError::NoPid)?;
        let mut memory = seccomp_sys::mem::TargetMemory::new(pid, seccomp_sys::mem::Access::Auto);
        Ok(read(&mut memory))
    }

    /// Answers without having read the target's memory.
    pub fn answer(self, answer: Answer) -> Reply {
        Reply {
            answer,
            inspected: false,
            after: None,
        }
    }

    /// Turns the call into one whose memory may be read, and which can no longer continue.
    pub fn inspect(self) -> Inspected<'a> {
        Inspected { call: self }
    }

    pub(crate) fn listener(&self) -> &'a Listener {
        self.listener
    }
}

/// A call whose memory may be read (see [`crate::memory`]); answered with a [`CheckedAnswer`].
#[derive(Debug)]
pub struct Inspected<'a> {
    call: Call<'a>,
}

impl<'a> Inspected<'a> {
    /// The call's facts (number, arguments, target). Only a reference: it cannot be answered any more.
    pub fn call(&self) -> &Call<'a> {
        &self.call
    }

    /// Answers. There is no `Continue`: see the crate documentation.
    pub fn answer(self, answer: CheckedAnswer) -> Reply {
        Reply {
            answer: answer.into(),
            inspected: true,
            after: None,
        }
    }
}
