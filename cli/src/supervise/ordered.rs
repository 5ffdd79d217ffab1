//! A notification log written in the order the notifications were taken, while the threads that serve
//! them finish (and write) in any order.
//!
//! With two threads per listener, one can write the line of a later syscall before the other has written
//! an earlier one, even of the same process. Each line therefore takes a ticket when its notification is
//! decoded, before the answer (so a process's next syscall, which comes only after that answer, always
//! gets a later ticket), and lines wait until every earlier ticket was written.

use crate::decode::Call;
use crate::notify::log::Sink;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The ordered log around a [`Sink`].
#[derive(Debug)]
pub struct OrderedLog {
    tickets: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    sink: Sink,
    next: u64,
    waiting: BTreeMap<u64, (u32, Call)>,
}

impl OrderedLog {
    /// An ordered log writing to `sink`.
    pub fn new(sink: Sink) -> OrderedLog {
        OrderedLog {
            tickets: AtomicU64::new(0),
            state: Mutex::new(State {
                sink,
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
    pub fn record(&self, ticket: u64, pid: u32, call: Call) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.waiting.insert(ticket, (pid, call));
        loop {
            let next = state.next;
            let Some((pid, call)) = state.waiting.remove(&next) else {
                break;
            };
            state.sink.record(pid, &call, None);
            state.next += 1;
        }
    }

    /// The sink, once serving is over (lines still waiting for an earlier ticket are written first).
    pub fn into_sink(self) -> Option<Sink> {
        let mut state = self.state.into_inner().ok()?;
        let waiting = std::mem::take(&mut state.waiting);
        for (pid, call) in waiting.into_values() {
            state.sink.record(pid, &call, None);
        }
        Some(state.sink)
    }
}
