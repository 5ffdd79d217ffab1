//! The agent's log on stderr: one line per event, as text or as JSON lines (`--json`).
//!
//! Each line is written with a single `write` so that lines from a busy agent never interleave. Container
//! ids and metadata come from the runtime's message: text lines escape them (`escape_debug`) so that a
//! hostile id cannot forge log lines; JSON lines escape them as JSON strings.

use super::message::Reject;
use crate::args::NotifyAnswer;
use crate::notify::answer::{Decision, Delivery};
use seccomp_core::arch::Arch;
use seccomp_oci::state::ContainerProcessState;
use seccomp_sys::Notification;
use seccomp_sys::listener::{RecvError, ReplyError};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Who is on the other end of a connection to the agent socket (`SO_PEERCRED`), for log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The agent's number for the connection, counting from 1.
    pub connection: u64,
    /// The peer's process id when it connected, if the kernel reported one.
    pub pid: Option<i32>,
    /// The peer's user id.
    pub uid: Option<u32>,
}

impl Peer {
    fn text(&self) -> String {
        let mut text = format!("connection #{}", self.connection);
        match (self.pid, self.uid) {
            (Some(pid), Some(uid)) => {
                let _ = write!(text, " (peer pid {pid} uid {uid})");
            }
            _ => text.push_str(" (peer unknown)"),
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        json!({"connection": self.connection, "pid": self.pid, "uid": self.uid})
    }
}

/// The agent's log.
#[derive(Clone, Copy, Debug)]
pub struct Log {
    json: bool,
}

/// How an answer is written: `continue`, `errno(EPERM)`, `value(7)`, `kill`.
pub fn decision_text(decision: Decision) -> String {
    match decision {
        Decision::Answer(answer) => answer_text(answer),
        Decision::Kill => "kill".to_owned(),
    }
}

/// How a fallback answer is written: `continue`, `errno(EPERM)`, `value(7)`.
pub fn answer_text(answer: NotifyAnswer) -> String {
    match answer {
        NotifyAnswer::Continue => "continue".to_owned(),
        NotifyAnswer::Errno(errno) => match seccomp_core::errno::name(errno) {
            Some(name) => format!("errno({name})"),
            None => format!("errno({errno})"),
        },
        NotifyAnswer::Value(value) => format!("value({value})"),
    }
}

/// The syscall's name from the kernel's tables of its architecture, or `syscall#N` when unknown.
fn syscall_name(notification: &Notification) -> (Option<Arch>, String) {
    let nr = notification.nr() as u32;
    let arch = Arch::from_seccomp_data(notification.arch(), nr);
    let name = arch
        .and_then(|arch| arch.syscall_name(nr))
        .map_or_else(|| format!("syscall#{}", notification.nr()), str::to_owned);
    (arch, name)
}

impl Log {
    /// A log writing text lines, or JSON lines when `json` is set.
    pub fn new(json: bool) -> Log {
        Log { json }
    }

    fn emit(&self, text: impl FnOnce() -> String, json: impl FnOnce() -> serde_json::Value) {
        let mut line = if self.json {
            json().to_string()
        } else {
            format!("agent: {}", text())
        };
        line.push('\n');
        // Nothing sensible to do when stderr is gone; the agent keeps serving.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    /// The agent is ready: the socket accepts connections.
    pub fn listening(&self, socket: &Path, handlers: Option<&Path>, fallback: NotifyAnswer) {
        self.emit(
            || {
                format!(
                    "listening on {} (handlers: {}; otherwise {})",
                    socket.display(),
                    handlers.map_or_else(|| "none".to_owned(), |p| p.display().to_string()),
                    answer_text(fallback)
                )
            },
            || {
                json!({"event": "listening", "socket": socket.display().to_string(),
                       "handlers": handlers.map(|p| p.display().to_string()),
                       "fallback": answer_text(fallback)})
            },
        );
    }

    /// A runtime handed over a container's listener.
    pub fn registered(&self, peer: &Peer, state: &ContainerProcessState) {
        self.emit(
            || {
                let mut text = format!(
                    "container {}: registered from {}: pid {}, status {}, bundle {}",
                    state.state.id.escape_debug(),
                    peer.text(),
                    state.pid,
                    state.state.status.as_str().escape_debug(),
                    state.state.bundle.escape_debug()
                );
                if let Some(metadata) = &state.metadata {
                    let _ = write!(text, ", metadata \"{}\"", metadata.escape_debug());
                }
                text
            },
            || {
                json!({"event": "registered", "container": state.state.id, "peer": peer.json(),
                       "pid": state.pid, "status": state.state.status.as_str(), "bundle": state.state.bundle,
                       "metadata": state.metadata, "annotations": state.state.annotations})
            },
        );
    }

    /// A notification and what became of its answer.
    pub fn notification(
        &self,
        container: &str,
        notification: &Notification,
        decision: Decision,
        outcome: &Result<Delivery, ReplyError>,
    ) {
        let (arch, name) = syscall_name(notification);
        let args = notification.args();
        let pid = notification.raw().pid;
        let outcome_text = match outcome {
            Ok(Delivery::Answered) => "answered".to_owned(),
            Ok(Delivery::Gone) => "target gone".to_owned(),
            Err(error) => format!("failed: {error}"),
        };
        self.emit(
            || {
                let args = args.map(|arg| format!("{arg:#x}")).join(", ");
                let mut text = format!(
                    "container {}: pid {pid}: {name}({args}) -> {}",
                    container.escape_debug(),
                    decision_text(decision)
                );
                if !matches!(outcome, Ok(Delivery::Answered)) {
                    let _ = write!(text, " ({outcome_text})");
                }
                text
            },
            || {
                json!({"event": "notification", "container": container, "pid": pid,
                       "arch": arch.map(Arch::name), "nr": notification.nr(), "syscall": name,
                       "args": args, "answer": decision_text(decision), "delivery": outcome_text})
            },
        );
    }

    /// A pending notification vanished before it was received (its task was killed or interrupted).
    pub fn withdrawn(&self, container: &str) {
        self.emit(
            || {
                format!(
                    "container {}: a notification was withdrawn before it was received",
                    container.escape_debug()
                )
            },
            || json!({"event": "withdrawn", "container": container}),
        );
    }

    /// No task uses the container's filter any more; its listener is closed.
    pub fn exited(&self, container: &str, answered: u64) {
        self.emit(
            || {
                format!(
                    "container {}: exited (listener hung up after {answered} answered notifications); listener closed",
                    container.escape_debug()
                )
            },
            || json!({"event": "exited", "container": container, "answered": answered}),
        );
    }

    /// Receiving from a container's listener failed in a way that will not heal; its listener is closed.
    pub fn dropped(&self, container: &str, error: &RecvError) {
        self.emit(
            || {
                format!(
                    "container {}: listener closed after an error: {error}",
                    container.escape_debug()
                )
            },
            || json!({"event": "dropped", "container": container, "reason": error.to_string()}),
        );
    }

    /// A connection's message was refused and the connection closed.
    pub fn rejected(&self, peer: &Peer, reason: &Reject) {
        self.emit(
            || format!("rejected {}: {reason}", peer.text()),
            || json!({"event": "rejected", "peer": peer.json(), "reason": reason.to_string()}),
        );
    }

    /// Something went wrong that does not stop the agent.
    pub fn warning(&self, message: &str) {
        self.emit(
            || format!("warning: {message}"),
            || json!({"event": "warning", "message": message}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_written_as_on_the_command_line() {
        assert_eq!(answer_text(NotifyAnswer::Continue), "continue");
        assert_eq!(answer_text(NotifyAnswer::Errno(13)), "errno(EACCES)");
        assert_eq!(answer_text(NotifyAnswer::Errno(41)), "errno(41)");
        assert_eq!(answer_text(NotifyAnswer::Value(-2)), "value(-2)");
        assert_eq!(decision_text(Decision::Kill), "kill");
    }

    #[test]
    fn a_peer_names_the_connection_and_the_process() {
        let peer = Peer {
            connection: 3,
            pid: Some(42),
            uid: Some(0),
        };
        assert_eq!(peer.text(), "connection #3 (peer pid 42 uid 0)");
        let unknown = Peer {
            connection: 4,
            pid: None,
            uid: None,
        };
        assert_eq!(unknown.text(), "connection #4 (peer unknown)");
    }
}
