//! Serving listeners: a receiving thread per listener, a pool of worker threads, delivery of answers.
//!
//! Each listener gets its own receiving thread, which does nothing but sit in `SECCOMP_IOCTL_NOTIF_RECV`:
//! it is already waiting in the kernel when a notification is posted, so the notification is taken off the
//! queue in the wakeup itself, whatever the workers are doing. That matters: until a notification is
//! received, a non-fatal signal can interrupt the target's syscall (with `WAIT_KILLABLE_RECV`, 5.19, only
//! until then), which then fails with `EINTR` although it never would unsupervised. With
//! `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6+, set on every listener where the kernel has it) the wakeup
//! runs the receiving thread on the target's CPU at once.
//!
//! A `RECV` that finds nothing returns `ENOENT`: either a notification was withdrawn before it could be
//! received (a signal interrupted it, or its task was killed: counted and reported to
//! [`Observer::interrupted`], together with gaps in the notification ids, see [`crate::gaps`]), or no task
//! uses the filter any more (the kernel wakes `RECV` then: checked with `poll`, which reports `POLLHUP`
//! since 5.9). A listener whose tasks are all gone is dropped (its fd closed) and reported to
//! [`Observer::hung_up`]. Kernels whose `RECV` sleeps on after the hang-up are covered by
//! [`Supervisor::wait_all_hung_up`], which polls the listeners for `POLLHUP` and drops those whose
//! receiving thread stays blocked (the thread then ends with the process).
//!
//! Received notifications go to a queue that the workers (as many as asked for) take from; each worker
//! calls the [`Handler`] and delivers its [`Reply`].

use crate::answer::Answer;
use crate::call::{Call, Handler, Reply};
use crate::gaps::Gaps;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::process::Pid;
use seccomp_sys::listener::{RecvError, ReplyError};
use seccomp_sys::{AddFd, Listener, Notification, Response};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
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
    /// this listener so far. Called from the receiving thread each time the total grows.
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
    /// Set once the listener was dropped from service (hang-up, failure or stop); reported only once.
    done: AtomicBool,
    /// How many times [`Supervisor::wait_all_hung_up`] saw it hung up while its thread still received.
    stale: AtomicU64,
    /// The receiving thread (1 until it retires the listener) plus the notifications received and not yet
    /// answered; whoever brings it to 0 reports the end, so a hang-up is reported after the last answer.
    holders: AtomicU64,
    /// Why the listener was retired.
    reason: Mutex<Option<Reason>>,
}

/// Why a listener left service.
#[derive(Debug, Clone, Copy)]
enum Reason {
    HungUp,
    Failed(RecvError),
    Stopped,
}

/// What the workers take from the queue.
enum Work {
    Job(Job),
    /// Sent once per worker by [`Supervisor::shutdown`], after everything received.
    Stop,
}

struct Job {
    entry: Arc<Entry>,
    notification: Notification,
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
    jobs: Option<mpsc::Sender<Work>>,
    workers: Vec<JoinHandle<()>>,
    receivers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Starts `workers` worker threads (at least one) that answer with `handler`. Add listeners with
    /// [`Supervisor::add`].
    pub fn new(handler: impl Handler, workers: usize) -> Supervisor {
        Supervisor::with_observer(handler, Quiet, workers)
    }

    /// [`Supervisor::new`] with an [`Observer`] of deliveries and hang-ups.
    pub fn with_observer(handler: impl Handler, observer: impl Observer, workers: usize) -> Supervisor {
        let shared = Arc::new(Shared {
            observer: Box::new(observer),
            stopping: AtomicBool::new(false),
            active: Mutex::new(0),
            entries: Mutex::new(Vec::new()),
            idle: Condvar::new(),
            addfd_send: AtomicBool::new(true),
        });
        // Only the workers hold the handler (the receiving threads never call it), so it is dropped once
        // they are joined even if a receiving thread stays blocked.
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..workers.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                let handler = Arc::clone(&handler);
                let rx = Arc::clone(&rx);
                std::thread::Builder::new()
                    .name(format!("seccomp-worker-{i}"))
                    .spawn(move || work(&shared, &*handler, &rx))
                    .unwrap_or_else(|_| std::process::abort())
            })
            .collect();
        Supervisor {
            shared,
            jobs: Some(tx),
            workers,
            receivers: Mutex::new(Vec::new()),
        }
    }

    /// Serves `listener` from now on, with its own receiving thread.
    pub fn add(&self, listener: Listener, context: Context) {
        let Some(jobs) = self.jobs.clone() else {
            return;
        };
        // 6.6+: the posting target's CPU switches straight to the receiving thread; older kernels refuse
        // the flag, which only costs latency.
        let _ = listener.set_flags(seccomp_sys::listener::ListenerFlags::SYNC_WAKE_UP);
        let entry = Arc::new(Entry {
            listener,
            context,
            answered: AtomicU64::new(0),
            done: AtomicBool::new(false),
            stale: AtomicU64::new(0),
            holders: AtomicU64::new(1),
            reason: Mutex::new(None),
        });
        if let Ok(mut active) = self.shared.active.lock() {
            *active += 1;
        }
        if let Ok(mut entries) = self.shared.entries.lock() {
            entries.push(Arc::clone(&entry));
        }
        let shared = Arc::clone(&self.shared);
        let handle = std::thread::Builder::new()
            .name("seccomp-recv".to_owned())
            .spawn(move || receive(&shared, entry, &jobs))
            .unwrap_or_else(|_| std::process::abort());
        if let Ok(mut receivers) = self.receivers.lock() {
            receivers.retain(|h| !h.is_finished());
            receivers.push(handle);
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
            let slice = (deadline - now).min(std::time::Duration::from_millis(250));
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

    /// Drops listeners that report `POLLHUP` while their receiving thread stays in `RECV` (kernels whose
    /// `RECV` does not wake at the hang-up): seen hung up twice, a quarter of a second apart.
    fn drop_stuck_listeners(&self) {
        let entries: Vec<Arc<Entry>> = match self.shared.entries.lock() {
            Ok(entries) => entries.clone(),
            Err(_) => return,
        };
        for entry in entries {
            if hung_up(&entry.listener) && entry.stale.fetch_add(1, Ordering::Relaxed) >= 1 {
                retire(&self.shared, &entry, Reason::HungUp);
            }
        }
    }

    /// Stops receiving on every listener, lets the workers finish what was received, and joins every
    /// thread but the receiving threads still blocked in `RECV` (targets alive): those answer the next
    /// notification they receive with `ENOSYS` and drop their listener, whose targets' notified syscalls
    /// then fail with `ENOSYS`.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Ok(mut receivers) = self.receivers.lock() {
            for handle in receivers.drain(..) {
                if handle.is_finished() {
                    let _ = handle.join();
                }
            }
        }
        if let Ok(mut entries) = self.shared.entries.lock() {
            entries.clear();
        }
        if let Some(jobs) = self.jobs.take() {
            for _ in &self.workers {
                let _ = jobs.send(Work::Stop);
            }
        }
        for handle in self.workers.drain(..) {
            let _ = handle.join();
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

/// Takes `entry` out of service, once (the receiving thread's hold ends).
fn retire(shared: &Shared, entry: &Arc<Entry>, why: Reason) {
    if entry.done.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Ok(mut reason) = entry.reason.lock() {
        *reason = Some(why);
    }
    release(shared, entry);
}

/// Ends one hold on `entry`; the last one reports the end and wakes [`Supervisor::wait_all_hung_up`].
fn release(shared: &Shared, entry: &Arc<Entry>) {
    if entry.holders.fetch_sub(1, Ordering::SeqCst) != 1 {
        return;
    }
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

/// The receiving thread of one listener (see the module documentation).
fn receive(shared: &Shared, entry: Arc<Entry>, jobs: &mpsc::Sender<Work>) {
    let mut gaps = Gaps::default();
    let mut withdrawn = 0u64;
    let mut reported = 0u64;
    let why = loop {
        if entry.done.load(Ordering::SeqCst) {
            break Reason::Stopped;
        }
        match entry.listener.recv() {
            Ok(notification) => {
                if shared.stopping.load(Ordering::SeqCst) {
                    // Nobody serves this listener any more: answer as a closed listener would.
                    let _ = entry
                        .listener
                        .respond(Response::errno(notification.id(), Errno::NOSYS));
                    break Reason::Stopped;
                }
                gaps.saw(notification.id());
                entry.holders.fetch_add(1, Ordering::SeqCst);
                let job = Job {
                    entry: Arc::clone(&entry),
                    notification,
                };
                if let Err(mpsc::SendError(Work::Job(job))) = jobs.send(Work::Job(job)) {
                    release(shared, &job.entry);
                    break Reason::Stopped;
                }
            }
            Err(RecvError::TargetGone) => {
                if hung_up(&entry.listener) {
                    break Reason::HungUp;
                }
                withdrawn += 1;
            }
            Err(error) => break Reason::Failed(error),
        }
        let lost = gaps.lost().max(withdrawn);
        if lost > reported {
            reported = lost;
            shared.observer.interrupted(&entry.context, lost);
        }
    };
    retire(shared, &entry, why);
}

/// A worker thread: takes received notifications and answers them.
fn work(shared: &Shared, handler: &dyn Handler, jobs: &Mutex<mpsc::Receiver<Work>>) {
    // Each worker's umask is its own (set to a target's for creating opens); without it the emulation
    // would still run, with the supervisor's umask.
    let _ = crate::creds::private_fs_state();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(Work::Job(job)) = job else {
            return;
        };
        let entry = &job.entry;
        let call = Call::new(&entry.listener, &entry.context, job.notification);
        let reply: Reply = handler.handle(call);
        let result = deliver(
            &entry.listener,
            &job.notification,
            &reply.answer,
            &shared.addfd_send,
        );
        if result == Ok(Delivery::Answered) {
            entry.answered.fetch_add(1, Ordering::SeqCst);
        }
        shared
            .observer
            .delivered(&entry.context, &job.notification, &reply.answer, &result);
        release(shared, entry);
    }
}

/// Delivers `answer` for `notification`: the one place answers turn into ioctls.
pub fn deliver(
    listener: &Listener,
    notification: &Notification,
    answer: &Answer,
    addfd_send: &AtomicBool,
) -> Result<Delivery, ReplyError> {
    let id = notification.id();
    let response = match answer {
        Answer::Continue => Response::continue_syscall(id),
        Answer::Errno(errno) | Answer::Emulated(Err(errno)) => Response::errno(id, *errno),
        Answer::Value(value) | Answer::Emulated(Ok(value)) => Response::value(id, *value),
        Answer::Kill => {
            if let Some(pid) = notification.pid() {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            Response::errno(id, Errno::PERM)
        }
        Answer::InjectFd { fd, cloexec } => {
            let how = AddFd {
                target: None,
                cloexec: *cloexec,
                send: true,
            };
            if addfd_send.load(Ordering::Relaxed) {
                match listener.add_fd(id, fd.as_fd(), how) {
                    Ok(_) => return Ok(Delivery::Answered),
                    Err(ReplyError::NotificationGone) => return Ok(Delivery::Gone),
                    Err(ReplyError::Unsupported) => addfd_send.store(false, Ordering::Relaxed),
                    Err(error) => return Err(error),
                }
            }
            // Before 5.14: install, then answer with the number (the target may die in between; the fd
            // then goes with it).
            match listener.add_fd(id, fd.as_fd(), AddFd { send: false, ..how }) {
                Ok(number) => Response::value(id, i64::from(number)),
                Err(ReplyError::NotificationGone) => return Ok(Delivery::Gone),
                Err(error) => return Err(error),
            }
        }
    };
    match listener.respond(response) {
        Ok(()) => Ok(Delivery::Answered),
        Err(ReplyError::NotificationGone) => Ok(Delivery::Gone),
        Err(error) => Err(error),
    }
}
