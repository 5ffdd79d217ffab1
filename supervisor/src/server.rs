//! Serving listeners: threads per listener that sit in `RECV`, handle what they receive, and deliver.
//!
//! Each listener gets its own threads (as many as asked for, at least one), each doing the whole cycle:
//! `SECCOMP_IOCTL_NOTIF_RECV`, the [`Handler`], the delivery of its [`Reply`], then `RECV` again. So a
//! thread is already waiting in the kernel when a notification is posted and takes it off the queue in the
//! wakeup itself; with two or more threads per listener one is still waiting while another handles.
//! That matters: until a notification is received, a non-fatal signal can interrupt the target's syscall
//! (with `WAIT_KILLABLE_RECV`, 5.19, only until then), which then fails with `EINTR` although it never
//! would unsupervised. And no notification is handed from one thread to another: with
//! `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6+, set on every listener where the kernel has it) the target's
//! wakeup of the receiving thread and the thread's wakeup of the target both stay on one CPU, where a
//! round trip costs about 2 µs on this machine's VM against about 40 µs across CPUs (docs/performance.md).
//!
//! Where the supervisor may (CAP_SYS_NICE), its serving threads run at nice -10, so that on a loaded
//! machine a posted notification does not wait behind ordinary tasks to be received.
//!
//! A `RECV` that finds nothing returns `ENOENT`: either a notification was withdrawn before it could be
//! received (a signal interrupted it, or its task was killed: counted and reported to
//! [`Observer::interrupted`], together with gaps in the notification ids, see [`crate::gaps`]), or no task
//! uses the filter any more (since 6.11 the kernel wakes `RECV` then: checked with `poll`, which reports
//! `POLLHUP` since 5.9). A listener whose tasks are all gone is dropped (its fd closed) and reported to
//! [`Observer::hung_up`] after its last answer. Kernels whose `RECV` sleeps on after the hang-up are
//! covered by [`Supervisor::wait_all_hung_up`], which polls the listeners for `POLLHUP` and drops those
//! whose threads stay blocked (the threads then end with the process; they hold the handler only weakly,
//! so it is freed with the supervisor).

use crate::answer::Answer;
use crate::call::{Call, Handler, Reply};
use crate::gaps::Gaps;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use rustix::process::Pid;
use seccomp_sys::listener::{RecvError, ReplyError};
use seccomp_sys::{AddFd, Listener, Notification, Response};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// What the supervisor knows about a listener: a label for logs (a container id) and the process it was
/// registered for.
#[derive(Debug, Clone, Default)]
pub struct Context {
    label: String,
    pid: Option<Pid>,
}

impl Context {
    /// A context with this label.
    pub fn new(label: impl Into<String>) -> Context {
        Context {
            label: label.into(),
            pid: None,
        }
    }

    /// Records the process the listener was registered for (the container's init, the spawned command).
    pub fn with_pid(mut self, pid: Pid) -> Context {
        self.pid = Some(pid);
        self
    }

    /// The label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The registered process, if given.
    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }
}

/// How a delivered answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The kernel took it.
    Answered,
    /// The notification was gone first (the target died, or a signal interrupted the syscall).
    Gone,
    /// The fd of an [`Answer::InjectFd`] could not be installed: `ADDFD` failed with this errno
    /// (`EMFILE` when the target has no free fd number, `EBADF` for an `O_PATH` fd, which `ADDFD` does
    /// not take), and the syscall was failed with the same errno rather than left waiting.
    FdRefused(Errno),
}

/// Events of the serving side, reported to [`Observer`].
pub trait Observer: Send + Sync + 'static {
    /// A reply was delivered (or failed to be).
    fn delivered(
        &self,
        context: &Context,
        notification: &Notification,
        answer: &Answer,
        result: &Result<Delivery, ReplyError>,
    ) {
        let _ = (context, notification, answer, result);
    }

    /// A listener hung up (no task uses its filter any more) and was dropped; `answered` notifications
    /// were answered on it.
    fn hung_up(&self, context: &Context, answered: u64) {
        let _ = (context, answered);
    }

    /// Receiving failed for good on a listener, which was dropped.
    fn failed(&self, context: &Context, error: &RecvError) {
        let _ = (context, error);
    }

    /// Notifications vanished before they were received (a signal interrupted the syscall, which the
    /// target then saw fail with `EINTR` or restarted, or its task was killed); `lost` is the total for
    /// this listener so far. Called from a serving thread each time the total grows.
    fn interrupted(&self, context: &Context, lost: u64) {
        let _ = (context, lost);
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

struct Entry {
    listener: Listener,
    context: Context,
    answered: AtomicU64,
    /// Set once a serving thread saw the hang-up or a failure: the others stop at their next turn.
    done: AtomicBool,
    /// How many times [`Supervisor::wait_all_hung_up`] saw it hung up while its threads still waited.
    stale: AtomicU64,
    /// The serving threads still running; the last to end reports the end (after its last answer), so a
    /// hang-up is reported after every answer.
    holders: AtomicU64,
    /// Why the listener was retired.
    reason: Mutex<Option<Reason>>,
    /// What is known of lost notifications.
    lost: Mutex<Lost>,
    /// Serving threads between a receipt and its delivery.
    busy: AtomicU64,
}

/// Lost notifications of one listener: id gaps, empty receives, and the total last reported.
#[derive(Debug, Default)]
struct Lost {
    gaps: Gaps,
    withdrawn: u64,
    reported: u64,
}

/// Why a listener left service.
#[derive(Debug, Clone, Copy)]
enum Reason {
    HungUp,
    Failed(RecvError),
    Stopped,
}

struct Shared {
    observer: Box<dyn Observer>,
    stopping: AtomicBool,
    active: Mutex<usize>,
    entries: Mutex<Vec<Arc<Entry>>>,
    idle: Condvar,
    /// Cleared once the kernel refuses `ADDFD_FLAG_SEND` (before 5.14).
    addfd_send: AtomicBool,
}

/// A supervisor serving any number of listeners with one handler.
pub struct Supervisor {
    shared: Arc<Shared>,
    handler: Arc<dyn Handler>,
    per_listener: usize,
    threads: Mutex<Vec<JoinHandle<()>>>,
    sync_wake_up: AtomicBool,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("threads_per_listener", &self.per_listener)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor answering with `handler`, serving each listener with `threads` threads (at least one;
    /// two keep one thread waiting in `RECV` while the other handles). Add listeners with
    /// [`Supervisor::add`].
    pub fn new(handler: impl Handler, threads: usize) -> Supervisor {
        Supervisor::with_observer(handler, Quiet, threads)
    }

    /// [`Supervisor::new`] with an [`Observer`] of deliveries, losses and hang-ups.
    pub fn with_observer(handler: impl Handler, observer: impl Observer, threads: usize) -> Supervisor {
        let shared = Arc::new(Shared {
            observer: Box::new(observer),
            stopping: AtomicBool::new(false),
            active: Mutex::new(0),
            entries: Mutex::new(Vec::new()),
            idle: Condvar::new(),
            addfd_send: AtomicBool::new(true),
        });
        Supervisor {
            shared,
            handler: Arc::new(handler),
            per_listener: threads.max(1),
            threads: Mutex::new(Vec::new()),
            sync_wake_up: AtomicBool::new(true),
        }
    }

    /// Whether listeners added from now on get `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6+; the default):
    /// it keeps one target and its serving thread on one CPU, which is what a round trip wants; many
    /// targets busy at once on several CPUs may do better without it (see docs/performance.md).
    pub fn set_sync_wake_up(&self, on: bool) {
        self.sync_wake_up.store(on, Ordering::SeqCst);
    }

    /// Serves `listener` from now on, with its own threads.
    pub fn add(&self, listener: Listener, context: Context) {
        if self.shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        // 6.6+: wakeups between the target and the serving thread stay on the current CPU; older kernels
        // refuse the flag, which only costs latency.
        if self.sync_wake_up.load(Ordering::SeqCst) {
            let _ = listener.set_flags(seccomp_sys::listener::ListenerFlags::SYNC_WAKE_UP);
        }
        let entry = Arc::new(Entry {
            listener,
            context,
            answered: AtomicU64::new(0),
            done: AtomicBool::new(false),
            stale: AtomicU64::new(0),
            holders: AtomicU64::new(self.per_listener as u64),
            reason: Mutex::new(None),
            lost: Mutex::new(Lost::default()),
            busy: AtomicU64::new(0),
        });
        if let Ok(mut active) = self.shared.active.lock() {
            *active += 1;
        }
        if let Ok(mut entries) = self.shared.entries.lock() {
            entries.push(Arc::clone(&entry));
        }
        let handles: Vec<JoinHandle<()>> = (0..self.per_listener)
            .map(|_| {
                let shared = Arc::clone(&self.shared);
                let handler = Arc::downgrade(&self.handler);
                let entry = Arc::clone(&entry);
                std::thread::Builder::new()
                    .name("seccomp-serve".to_owned())
                    .spawn(move || serve(&shared, &handler, entry))
                    .unwrap_or_else(|_| std::process::abort())
            })
            .collect();
        if let Ok(mut threads) = self.threads.lock() {
            threads.retain(|h| !h.is_finished());
            threads.extend(handles);
        }
    }

    /// The number of listeners still served.
    pub fn active(&self) -> usize {
        self.shared.active.lock().map_or(0, |active| *active)
    }

    /// Blocks until every listener added so far has hung up.
    pub fn wait_all_hung_up(&self) {
        while !self.wait_all_hung_up_for(std::time::Duration::from_secs(1)) {}
    }

    /// Like [`Supervisor::wait_all_hung_up`], for at most `timeout`; whether every listener hung up.
    pub fn wait_all_hung_up_for(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let Ok(mut active) = self.shared.active.lock() else {
            return true;
        };
        while *active > 0 {
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            // The slice only matters on kernels whose RECV sleeps through the hang-up (see
            // `drop_stuck_listeners`); elsewhere the last serving thread wakes this wait itself.
            let slice = (deadline - now).min(std::time::Duration::from_millis(25));
            match self.shared.idle.wait_timeout(active, slice) {
                Ok((guard, result)) => {
                    active = guard;
                    if result.timed_out() && *active > 0 {
                        drop(active);
                        self.drop_stuck_listeners();
                        active = match self.shared.active.lock() {
                            Ok(guard) => guard,
                            Err(_) => return true,
                        };
                    }
                }
                Err(_) => return true,
            }
        }
        true
    }

    /// Drops listeners that report `POLLHUP` while their threads stay in `RECV` (kernels before 6.11,
    /// whose `RECV` does not wake at the hang-up): seen hung up on two looks in a row, 25 ms apart.
    fn drop_stuck_listeners(&self) {
        let entries: Vec<Arc<Entry>> = match self.shared.entries.lock() {
            Ok(entries) => entries.clone(),
            Err(_) => return,
        };
        for entry in entries {
            let idle = entry.busy.load(Ordering::SeqCst) == 0;
            if idle && hung_up(&entry.listener) && entry.stale.fetch_add(1, Ordering::Relaxed) >= 1 {
                entry.done.store(true, Ordering::SeqCst);
                set_reason(&entry, Reason::HungUp);
                if entry.holders.swap(0, Ordering::SeqCst) > 0 {
                    finish(&self.shared, &entry);
                }
            }
        }
    }

    /// Stops serving: joins the threads that are not blocked in `RECV` and leaves the others, which
    /// answer the next notification they receive with `ENOSYS` and drop their listener (whose targets'
    /// notified syscalls then fail with `ENOSYS` too). The handler is dropped with the supervisor.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Ok(mut threads) = self.threads.lock() {
            for handle in threads.drain(..) {
                if handle.is_finished() {
                    let _ = handle.join();
                }
            }
        }
        if let Ok(mut entries) = self.shared.entries.lock() {
            entries.clear();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Whether no task uses the listener's filter any more (`POLLHUP`, 5.9+), without waiting.
fn hung_up(listener: &Listener) -> bool {
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(listener, PollFlags::IN)];
    match rustix::event::poll(&mut fds, Some(&now)) {
        Ok(_) => {
            let events = fds[0].revents();
            events.intersects(PollFlags::HUP | PollFlags::ERR) && !events.contains(PollFlags::IN)
        }
        Err(_) => false,
    }
}

/// Records why `entry` leaves service; the first reason given stays.
fn set_reason(entry: &Entry, why: Reason) {
    if let Ok(mut reason) = entry.reason.lock() {
        reason.get_or_insert(why);
    }
}

/// Ends one serving thread's hold on `entry`; the last one reports the end.
fn release(shared: &Shared, entry: &Arc<Entry>) {
    let last = entry
        .holders
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |holders| {
            holders.checked_sub(1)
        })
        == Ok(1);
    if last {
        finish(shared, entry);
    }
}

/// Reports the end of `entry` and wakes [`Supervisor::wait_all_hung_up`].
fn finish(shared: &Shared, entry: &Arc<Entry>) {
    let reason = entry.reason.lock().ok().and_then(|reason| *reason);
    match reason {
        Some(Reason::HungUp) => shared
            .observer
            .hung_up(&entry.context, entry.answered.load(Ordering::SeqCst)),
        Some(Reason::Failed(error)) => shared.observer.failed(&entry.context, &error),
        Some(Reason::Stopped) | None => {}
    }
    if let Ok(mut entries) = shared.entries.lock() {
        entries.retain(|other| !Arc::ptr_eq(other, entry));
    }
    if let Ok(mut active) = shared.active.lock() {
        *active = active.saturating_sub(1);
        shared.idle.notify_all();
    }
}

/// Records a received id or an empty receive, and reports the lost total when it grew.
fn account(shared: &Shared, entry: &Entry, received: Option<u64>) {
    let Ok(mut lost) = entry.lost.lock() else {
        return;
    };
    match received {
        Some(id) => lost.gaps.saw(id),
        None => lost.withdrawn += 1,
    }
    let total = lost.gaps.lost().max(lost.withdrawn);
    if total > lost.reported {
        lost.reported = total;
        drop(lost);
        shared.observer.interrupted(&entry.context, total);
    }
}

/// The nice value serving threads ask for (see [`serve`]).
const SERVING_NICE: i32 = -10;

/// One serving thread of a listener (see the module documentation).
fn serve(shared: &Shared, handler: &std::sync::Weak<dyn Handler>, entry: Arc<Entry>) {
    // Each serving thread's umask is its own (set to a target's for creating opens, see `creds`);
    // without it the emulation would still run, with the supervisor's umask.
    let _ = crate::creds::private_fs_state();
    // Where allowed (CAP_SYS_NICE, e.g. root), run ahead of ordinary tasks: on a loaded machine the time
    // a posted notification waits for this thread to be scheduled is the window in which a signal can
    // interrupt the target's syscall. Without the privilege the thread keeps its priority.
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), SERVING_NICE);
    let why = loop {
        if entry.done.load(Ordering::SeqCst) {
            break Reason::Stopped;
        }
        match entry.listener.recv() {
            Ok(notification) => {
                entry.busy.fetch_add(1, Ordering::SeqCst);
                account(shared, &entry, Some(notification.id()));
                let handler = match handler.upgrade() {
                    Some(handler) if !shared.stopping.load(Ordering::SeqCst) => handler,
                    _ => {
                        // Nobody serves this listener any more: answer as a closed listener would.
                        let _ = entry
                            .listener
                            .respond(Response::errno(notification.id(), Errno::NOSYS));
                        entry.busy.fetch_sub(1, Ordering::SeqCst);
                        break Reason::Stopped;
                    }
                };
                answer_one(shared, &*handler, &entry, notification);
                drop(handler);
                entry.busy.fetch_sub(1, Ordering::SeqCst);
            }
            Err(RecvError::TargetGone) => {
                if hung_up(&entry.listener) {
                    break Reason::HungUp;
                }
                account(shared, &entry, None);
            }
            Err(error) => break Reason::Failed(error),
        }
    };
    if !matches!(why, Reason::Stopped) {
        entry.done.store(true, Ordering::SeqCst);
    }
    set_reason(&entry, why);
    release(shared, &entry);
}

/// Runs the handler on one notification and delivers its reply.
fn answer_one(shared: &Shared, handler: &dyn Handler, entry: &Entry, notification: Notification) {
    let call = Call::new(&entry.listener, &entry.context, notification);
    let mut reply: Reply = handler.handle(call);
    let result = deliver(&entry.listener, &notification, &reply.answer, &shared.addfd_send);
    if matches!(result, Ok(Delivery::Answered | Delivery::FdRefused(_))) {
        entry.answered.fetch_add(1, Ordering::SeqCst);
    }
    if let Some(after) = reply.after.take() {
        after(result == Ok(Delivery::Answered));
    }
    shared
        .observer
        .delivered(&entry.context, &notification, &reply.answer, &result);
}

/// Delivers `answer` for `notification`: the one place answers turn into ioctls.
pub fn deliver(
    listener: &Listener,
    notification: &Notification,
    answer: &Answer,
    addfd_send: &AtomicBool,
) -> Result<Delivery, ReplyError> {
    let id = notification.id();
    let (response, delivered) = match answer {
        Answer::Continue => (Response::continue_syscall(id), Delivery::Answered),
        Answer::Errno(errno) | Answer::Emulated(Err(errno)) => {
            (Response::errno(id, *errno), Delivery::Answered)
        }
        Answer::Value(value) | Answer::Emulated(Ok(value)) => {
            (Response::value(id, *value), Delivery::Answered)
        }
        Answer::Kill => {
            if let Some(pid) = notification.pid() {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            (Response::errno(id, Errno::PERM), Delivery::Answered)
        }
        Answer::InjectFd { fd, cloexec } => match inject(listener, id, fd.as_fd(), *cloexec, addfd_send) {
            Ok(None) => return Ok(Delivery::Answered),
            Ok(Some(number)) => (Response::value(id, i64::from(number)), Delivery::Answered),
            Err(ReplyError::NotificationGone) => return Ok(Delivery::Gone),
            // A refused install leaves the notification unanswered (with SEND the kernel returns it to the
            // received state): fail the syscall with the same errno, never leave the target parked.
            Err(ReplyError::Os(errno)) => (Response::errno(id, errno), Delivery::FdRefused(errno)),
            Err(error) => return Err(error),
        },
    };
    match listener.respond(response) {
        Ok(()) => Ok(delivered),
        Err(ReplyError::NotificationGone) => Ok(Delivery::Gone),
        Err(error) => Err(error),
    }
}

/// Installs `fd` in the target of notification `id`: with `SEND` (5.14+), which also answers, `None`;
/// before 5.14 (the kernel refuses the flag, remembered in `addfd_send`) without it, the number to
/// answer with (the target may die in between; the fd then goes with it).
fn inject(
    listener: &Listener,
    id: u64,
    fd: BorrowedFd<'_>,
    cloexec: bool,
    addfd_send: &AtomicBool,
) -> Result<Option<i32>, ReplyError> {
    let how = AddFd {
        target: None,
        cloexec,
        send: true,
    };
    if addfd_send.load(Ordering::Relaxed) {
        match listener.add_fd(id, fd, how) {
            Err(ReplyError::Unsupported) => addfd_send.store(false, Ordering::Relaxed),
            other => return other.map(|_| None),
        }
    }
    listener.add_fd(id, fd, AddFd { send: false, ..how }).map(Some)
}
