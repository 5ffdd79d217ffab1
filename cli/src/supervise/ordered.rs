//! A notification log written in the order the notifications were taken, while the threads that serve
//! them finish (and write) in any order.
//!
//! With two threads per listener, one can write the line of a later syscall before the other has written
//! an earlier one, even of the same process. Each line therefore takes a ticket when its notification is
//! decoded, before the answer (so a process's next syscall, which comes only after that answer, always
//! gets a later ticket), and lines wait until every earlier ticket was written. Lines are formatted when
//! they are written, in ticket order, so a format that depends on the previous line (`trace -r`) sees the
//! lines in the order of their notifications.

use crate::decode::Call;
use crate::notify::log::Sink;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// One notification's line before it is formatted.
#[derive(Debug)]
pub struct Entry {
    /// The pid of the thread that made the syscall, as the notification gives it.
    pub pid: u32,
    /// The decoded syscall.
    pub call: Call,
    /// When the notification was received.
    pub received: SystemTime,
}

/// Turns an entry into its line; called in ticket order.
pub type Format = Box<dyn FnMut(&Entry) -> String + Send>;

/// The ordered log around a [`Sink`].
pub struct OrderedLog {
    tickets: AtomicU64,
    state: Mutex<State>,
}

struct State {
    sink: Sink,
    format: Format,
    next: u64,
    waiting: BTreeMap<u64, Entry>,
}

impl State {
    fn write(&mut self, entry: &Entry) {
        let line = (self.format)(entry);
        self.sink.write_line(&line);
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
    /// An ordered log writing to `sink` the lines `format` makes.
    pub fn new(sink: Sink, format: Format) -> OrderedLog {
        OrderedLog {
            tickets: AtomicU64::new(0),
            state: Mutex::new(State {
                sink,
                format,
                next: 0,
                waiting: BTreeMap::new(),
            }),
        }
    }

    /// The next line's place; take it before answering the notification. Every ticket must be recorded.
    pub fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst)
    }

    /// Writes the line of `ticket` once all earlier ones are written.
    pub fn record(&self, ticket: u64, entry: Entry) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.waiting.insert(ticket, entry);
        loop {
            let next = state.next;
            let Some(entry) = state.waiting.remove(&next) else {
                break;
            };
            state.write(&entry);
            state.next += 1;
        }
    }

    /// The sink, once serving is over (lines still waiting for an earlier ticket are written first).
    pub fn into_sink(self) -> Option<Sink> {
        let mut state = self.state.into_inner().ok()?;
        let waiting = std::mem::take(&mut state.waiting);
        for entry in waiting.into_values() {
            state.write(&entry);
        }
        Some(state.sink)
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
            call: call(nr),
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
        let log = OrderedLog::new(sink, Box::new(|entry: &Entry| format!("pid {}", entry.pid)));
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
}
