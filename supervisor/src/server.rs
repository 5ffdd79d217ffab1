//! Serving listeners: a receiving thread per listener, a pool of worker threads, delivery of answers.
//!
//! Each listener gets its own receiving thread, which does nothing but wait for the listener and receive:
//! it sleeps in `poll` on the listener and the supervisor's stop eventfd, and the kernel wakes it in the
//! same call that queues a notification (`seccomp_do_user_notification` raises the RECV semaphore and wakes
//! the poll queue together), so receiving starts as soon as a notification is posted, whatever the
//! workers are doing. That matters: until a notification is received, a non-fatal signal can interrupt the
//! target's syscall (with `WAIT_KILLABLE_RECV`, 5.19, only until then). The thread sleeps in `poll` rather
//! than in `RECV` itself because a `RECV` never returns once the listener hangs up (no task uses the filter
//! any more), so a thread blocked there could never be stopped without a signal handler; `poll` reports
//! the hang-up (`POLLHUP`, 5.9+) and the stop request.
//!
//! Received notifications go to a queue that the workers (as many as asked for) take from; each worker
//! calls the [`Handler`] and delivers its [`Reply`]. A listener whose tasks are all gone is dropped (its
//! fd closed) and reported to [`Observer::hung_up`].

use crate::answer::Answer;
use crate::call::{Call, Handler, Reply};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::Pid;
use seccomp_sys::listener::{RecvError, ReplyError};
use seccomp_sys::{AddFd, Listener, Notification, Response};
use std::sync::atomic::{AtomicBool, Ordering};
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
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

struct Entry {
    listener: Listener,
    context: Context,
    answered: std::sync::atomic::AtomicU64,
}

struct Job {
    entry: Arc<Entry>,
    notification: Notification,
}

struct Shared {
    handler: Box<dyn Handler>,
    observer: Box<dyn Observer>,
    stop: OwnedFd,
    active: Mutex<usize>,
    idle: Condvar,
    /// Cleared once the kernel refuses `ADDFD_FLAG_SEND` (before 5.14).
    addfd_send: AtomicBool,
}

/// A supervisor serving any number of listeners with one handler.
pub struct Supervisor {
    shared: Arc<Shared>,
    jobs: Option<mpsc::Sender<Job>>,
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
        let stop = rustix::event::eventfd(0, rustix::event::EventfdFlags::CLOEXEC)
            .unwrap_or_else(|_| std::process::abort());
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            observer: Box::new(observer),
            stop,
            active: Mutex::new(0),
            idle: Condvar::new(),
            addfd_send: AtomicBool::new(true),
        });
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..workers.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                let rx = Arc::clone(&rx);
                std::thread::Builder::new()
                    .name(format!("seccomp-worker-{i}"))
                    .spawn(move || work(&shared, &rx))
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
        let entry = Arc::new(Entry {
            listener,
            context,
            answered: std::sync::atomic::AtomicU64::new(0),
        });
        if let Ok(mut active) = self.shared.active.lock() {
            *active += 1;
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
        let Ok(mut active) = self.shared.active.lock() else {
            return;
        };
        while *active > 0 {
            match self.shared.idle.wait(active) {
                Ok(guard) => active = guard,
                Err(_) => return,
            }
        }
    }

    /// Stops receiving on every listener (dropping them: their targets' notified syscalls then fail with
    /// `ENOSYS`), lets the workers finish what was received, and joins every thread.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        let _ = rustix::io::write(&self.shared.stop, &1u64.to_ne_bytes());
        if let Ok(mut receivers) = self.receivers.lock() {
            for handle in receivers.drain(..) {
                let _ = handle.join();
            }
        }
        self.jobs = None;
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

/// The receiving thread of one listener (see the module documentation).
fn receive(shared: &Shared, entry: Arc<Entry>, jobs: &mpsc::Sender<Job>) {
    loop {
        let (pending, hangup, stopped) = {
            let mut fds = [
                PollFd::new(&entry.listener, PollFlags::IN),
                PollFd::new(&shared.stop, PollFlags::IN),
            ];
            match rustix::event::poll(&mut fds, None) {
                Ok(_) => {
                    let listener = fds[0].revents();
                    (
                        listener.contains(PollFlags::IN),
                        listener.intersects(PollFlags::HUP | PollFlags::ERR),
                        !fds[1].revents().is_empty(),
                    )
                }
                Err(Errno::INTR) => continue,
                Err(errno) => {
                    shared.observer.failed(&entry.context, &RecvError::Os(errno));
                    break;
                }
            }
        };
        if stopped {
            break;
        }
        if pending {
            match entry.listener.recv() {
                Ok(notification) => {
                    let job = Job {
                        entry: Arc::clone(&entry),
                        notification,
                    };
                    if jobs.send(job).is_err() {
                        break;
                    }
                }
                Err(RecvError::TargetGone) => {}
                Err(error) => {
                    shared.observer.failed(&entry.context, &error);
                    break;
                }
            }
        } else if hangup {
            shared
                .observer
                .hung_up(&entry.context, entry.answered.load(Ordering::Relaxed));
            break;
        }
    }
    if let Ok(mut active) = shared.active.lock() {
        *active = active.saturating_sub(1);
        shared.idle.notify_all();
    }
}

/// A worker thread: takes received notifications and answers them.
fn work(shared: &Shared, jobs: &Mutex<mpsc::Receiver<Job>>) {
    // Each worker's umask is its own (set to a target's for creating opens); without it the emulation
    // would still run, with the supervisor's umask.
    let _ = crate::creds::private_fs_state();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return;
        };
        let entry = &job.entry;
        let call = Call::new(&entry.listener, &entry.context, job.notification);
        let reply: Reply = shared.handler.handle(call);
        let result = deliver(
            &entry.listener,
            &job.notification,
            &reply.answer,
            &shared.addfd_send,
        );
        if result == Ok(Delivery::Answered) {
            entry.answered.fetch_add(1, Ordering::Relaxed);
        }
        shared
            .observer
            .delivered(&entry.context, &job.notification, &reply.answer, &result);
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
