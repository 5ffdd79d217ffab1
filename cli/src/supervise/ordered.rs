//! A notification log written in the order the notifications were taken, by a thread of its own, while
//! the threads that serve them finish in any order.
//!
//! With two threads per listener, one can finish the line of a later syscall before the other has
//! finished an earlier one, even of the same process. Each line therefore takes a ticket when its
//! notification is decoded, before the answer (so a process's next syscall, which comes only after that
//! answer, always gets a later ticket), and lines wait until every earlier ticket was written. Lines are
//! formatted when they are written, in ticket order, so a format that depends on the previous line
//! (`trace -r`) sees the lines in the order of their notifications.
//!
//! Formatting and writing happen on the log's own thread, not on the serving thread: a serving thread
//! shares its CPU with the target it answers (`SYNC_WAKE_UP`), so whatever it does after the answer
//! still delays the target's next syscall, while the log thread runs where a CPU is free. A serving
//! thread only appends the entry to a queue (a lock, no wakeup: waking another thread costs more than
//! the line); the log thread takes the queue every [`PERIOD`], writes the lines in ticket order and
//! flushes the sink after each batch, so lines reach their file or stderr at most about that much later,
//! whole and in order. It is woken early only when [`WAKE_AT`] entries wait, or by the first entry after a
//! period that brought none (then it sleeps until woken), and a serving thread waits (like a writer on a
//! full pipe) while [`CAPACITY`] do. [`OrderedLog::into_sink`] writes what is left
//! before the sink is closed: no line is lost when the command ends, whatever signal ended it.

use crate::decode::{self, Call, MemoryArgs};
use crate::notify::log::Sink;
use seccomp_core::abi::SeccompData;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// How often the log thread takes the waiting lines.
pub const PERIOD: Duration = Duration::from_millis(5);
/// Waiting lines at which a serving thread wakes the log thread before its period is over.
pub const WAKE_AT: usize = 4096;
/// Waiting lines at which serving threads wait for the log thread (bounded memory: a few MiB), as a
/// writer waits on a full pipe: a log that cannot keep up (stderr piped into a pager) slows the target.
pub const CAPACITY: usize = 16384;
/// The log thread's nice value: below the target and its serving threads where they share a CPU.
const LOG_NICE: i32 = 10;

/// One notification's line before it is formatted.
#[derive(Debug)]
pub struct Entry {
    /// The pid of the thread that made the syscall, as the notification gives it.
    pub pid: u32,
    /// The syscall.
    pub syscall: Syscall,
    /// When the notification was received.
    pub received: SystemTime,
}

/// The syscall of an [`Entry`]: decoded already, or only its memory arguments read (before the answer),
/// the rest to be decoded by the log thread when the line is formatted.
#[derive(Debug)]
pub enum Syscall {
    /// Decoded.
    Decoded(Call),
    /// The notification's data and the memory arguments read ([`decode::read_memory_args`]).
    Read(SeccompData, MemoryArgs),
}

impl Syscall {
    /// The decoded syscall.
    pub fn into_call(self) -> Call {
        match self {
            Syscall::Decoded(call) => call,
            Syscall::Read(data, read) => decode::decode_read(&data, read),
        }
    }
}

/// Turns an entry into its line; called in ticket order, on the log thread.
pub type Format = Box<dyn FnMut(Entry) -> String + Send>;

/// The ordered log around a [`Sink`], with its writing thread.
pub struct OrderedLog {
    tickets: AtomicU64,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What serving threads and the log thread share.
struct Shared {
    /// The entries not taken yet.
    queue: Mutex<Queue>,
    /// Wakes the log thread (early, or to stop).
    wake: Condvar,
    /// Wakes serving threads waiting for room.
    room: Condvar,
    /// The sink and its order; locked by whoever writes a batch.
    writer: Mutex<Writer>,
}

#[derive(Default)]
struct Queue {
    entries: Vec<(u64, Entry)>,
    stop: bool,
    /// The log thread sleeps until woken (nothing came for a whole period): the next entry wakes it.
    idle: bool,
}

/// The sink, the format, and the lines waiting for an earlier ticket.
struct Writer {
    sink: Sink,
    format: Format,
    next: u64,
    waiting: BTreeMap<u64, Entry>,
}

impl Writer {
    fn write(&mut self, entry: Entry) {
        let line = (self.format)(entry);
        self.sink.write_line(&line);
    }

    /// Takes `batch` and writes every line whose earlier tickets are all written.
    fn take(&mut self, batch: Vec<(u64, Entry)>) {
        self.waiting.extend(batch);
        while let Some(entry) = self.waiting.remove(&self.next) {
            self.write(entry);
            self.next += 1;
        }
    }
}

impl Shared {
    /// Writes `batch` and flushes.
    fn write(&self, batch: Vec<(u64, Entry)>) {
        if let Ok(mut writer) = self.writer.lock() {
            writer.take(batch);
            writer.sink.flush();
        }
    }

    /// The log thread: a batch every [`PERIOD`] (or when woken), until told to stop.
    fn run(&self) {
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), LOG_NICE);
        let mut quiet = false;
        loop {
            let Ok(mut queue) = self.queue.lock() else {
                return;
            };
            if quiet {
                // A whole period brought nothing (a command that sleeps): sleep until an entry comes
                // rather than every period.
                queue.idle = true;
                while queue.entries.is_empty() && !queue.stop {
                    queue = match self.wake.wait(queue) {
                        Ok(queue) => queue,
                        Err(_) => return,
                    };
                }
                queue.idle = false;
            } else if !queue.stop && queue.entries.len() < WAKE_AT {
                queue = match self.wake.wait_timeout(queue, PERIOD) {
                    Ok((queue, _)) => queue,
                    Err(_) => return,
                };
            }
            let batch = std::mem::take(&mut queue.entries);
            quiet = batch.is_empty();
            let stop = queue.stop;
            drop(queue);
            self.room.notify_all();
            self.write(batch);
            if stop {
                return;
            }
        }
    }
}

impl std::fmt::Debug for OrderedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderedLog")
            .field("tickets", &self.tickets)
            .finish_non_exhaustive()
    }
}

impl OrderedLog {
    /// An ordered log writing to `sink` the lines `format` makes, from a thread it starts (if no thread
    /// can be started, [`OrderedLog::record`] writes them itself).
    pub fn new(sink: Sink, format: Format) -> OrderedLog {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            room: Condvar::new(),
            writer: Mutex::new(Writer {
                sink,
                format,
                next: 0,
                waiting: BTreeMap::new(),
            }),
        });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("seccompctl-log".to_owned())
            .spawn(move || theirs.run())
            .ok();
        OrderedLog {
            tickets: AtomicU64::new(0),
            shared,
            thread,
        }
    }

    /// The next line's place; take it before answering the notification. Every ticket must be recorded.
    pub fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst)
    }

    /// Queues the line of `ticket`; the log thread writes it once all earlier ones are written.
    pub fn record(&self, ticket: u64, entry: Entry) {
        let Ok(mut queue) = self.shared.queue.lock() else {
            return;
        };
        if self.thread.is_none() {
            queue.entries.push((ticket, entry));
            let batch = std::mem::take(&mut queue.entries);
            drop(queue);
            self.shared.write(batch);
            return;
        }
        while queue.entries.len() >= CAPACITY && !queue.stop {
            self.shared.wake.notify_one();
            queue = match self.shared.room.wait(queue) {
                Ok(queue) => queue,
                Err(_) => return,
            };
        }
        queue.entries.push((ticket, entry));
        if queue.idle || queue.entries.len() == WAKE_AT {
            queue.idle = false;
            self.shared.wake.notify_one();
        }
    }

    /// The sink, once serving is over: the log thread writes what was queued and stops, and lines still
    /// waiting for an earlier ticket (one never recorded) are written after, in ticket order.
    pub fn into_sink(mut self) -> Option<Sink> {
        if let Some(thread) = self.thread.take() {
            if let Ok(mut queue) = self.shared.queue.lock() {
                queue.stop = true;
            }
            self.shared.wake.notify_one();
            thread.join().ok()?;
        }
        let shared = Arc::try_unwrap(self.shared).ok()?;
        let rest = shared.queue.into_inner().ok()?.entries;
        let mut writer = shared.writer.into_inner().ok()?;
        writer.take(rest);
        let waiting = std::mem::take(&mut writer.waiting);
        for entry in waiting.into_values() {
            writer.write(entry);
        }
        Some(writer.sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    /// A writer whose bytes the test can read afterwards.
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn entry(pid: u32, nr: i32) -> Entry {
        Entry {
            pid,
            syscall: Syscall::Decoded(call(nr)),
            received: SystemTime::now(),
        }
    }

    fn call(nr: i32) -> Call {
        Call {
            arch: None,
            name: None,
            nr,
            args: Vec::new(),
            raw: [0; 6],
        }
    }

    #[test]
    fn lines_come_out_in_ticket_order_whatever_order_they_are_recorded_in() {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink::new(Box::new(Shared(Arc::clone(&bytes))), false, "test");
        let log = OrderedLog::new(sink, Box::new(|entry: Entry| format!("pid {}", entry.pid)));
        let tickets: Vec<u64> = (0..4).map(|_| log.ticket()).collect();
        log.record(tickets[2], entry(3, 302));
        log.record(tickets[1], entry(2, 301));
        assert!(
            bytes.lock().expect("lock").is_empty(),
            "ticket 0 is still missing"
        );
        log.record(tickets[0], entry(1, 300));
        log.record(tickets[3], entry(4, 303));
        let sink = log.into_sink().expect("the sink");
        sink.finish().expect("flushed");
        let text = String::from_utf8(bytes.lock().expect("lock").clone()).expect("text");
        let pids: Vec<&str> = text.lines().filter_map(|line| line.split(' ').nth(1)).collect();
        assert_eq!(pids, ["1", "2", "3", "4"], "{text}");
    }

    #[test]
    fn every_line_of_many_threads_is_written_once_in_ticket_order() {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink::new(Box::new(Shared(Arc::clone(&bytes))), false, "test");
        let log = Arc::new(OrderedLog::new(
            sink,
            Box::new(|entry: Entry| format!("{}", entry.pid)),
        ));
        // More lines than wake the log thread early, recorded by 4 threads in an order of their own.
        let lines = 4 * WAKE_AT as u32 + 3;
        let tickets: Vec<u64> = (0..lines).map(|_| log.ticket()).collect();
        let workers: Vec<_> = (0..4u32)
            .map(|k| {
                let log = Arc::clone(&log);
                let mine: Vec<u64> = tickets
                    .iter()
                    .copied()
                    .filter(|t| t % 4 == u64::from(k))
                    .rev()
                    .collect();
                std::thread::spawn(move || {
                    for ticket in mine {
                        log.record(ticket, entry(u32::try_from(ticket).expect("small"), 0));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("recorded");
        }
        let log = Arc::try_unwrap(log).expect("the only owner");
        log.into_sink().expect("the sink").finish().expect("flushed");
        let text = String::from_utf8(bytes.lock().expect("lock").clone()).expect("text");
        let written: Vec<u32> = text.lines().map(|line| line.parse().expect("a pid")).collect();
        assert_eq!(written, (0..lines).collect::<Vec<_>>());
    }
}
