//! The agent's log on stderr: one line per event, as text or as JSON lines (`--json`).
//!
//! Each line is written with a single `write` so that lines from a busy agent never interleave. Container
//! ids and metadata come from the runtime's message: text lines escape them (`escape_debug`) so that a
//! hostile id cannot forge log lines; JSON lines escape them as JSON strings.

use super::message::Reject;
use crate::args::NotifyAnswer;
use crate::decode::Call;
use crate::notify::log as notify_log;
use seccomp_core::arch::Arch;
use seccomp_oci::state::ContainerProcessState;
use seccomp_supervisor::Delivery;
use seccomp_sys::Notification;
use seccomp_sys::listener::{RecvError, ReplyError};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

    /// The agent is ready: the socket accepts connections. `sets` are the handler sets by name
    /// (`default` first, with its file or none).
    pub fn listening(&self, socket: &Path, sets: &[(String, Option<PathBuf>)], fallback: NotifyAnswer) {
        let named = |path: &Option<PathBuf>| path.as_ref().map(|p| p.display().to_string());
        self.emit(
            || {
                let mut text = format!(
                    "listening on {} (handlers: {}",
                    socket.display(),
                    sets.first()
                        .and_then(|(_, path)| named(path))
                        .unwrap_or_else(|| "none".to_owned()),
                );
                for (name, path) in sets.iter().skip(1) {
                    let _ = write!(text, "; set {name}: {}", named(path).unwrap_or_default());
                }
                let _ = write!(text, "; otherwise {})", crate::notify::answer::answer(fallback));
                text
            },
            || {
                json!({"event": "listening", "socket": socket.display().to_string(),
                       "handlers": sets.first().and_then(|(_, path)| named(path)),
                       "sets": sets.iter().skip(1).map(|(name, path)| json!({"name": name, "file": named(path)})).collect::<Vec<_>>(),
                       "fallback": crate::notify::answer::answer(fallback).to_string()})
            },
        );
    }

    /// A container's handler set: which one serves it, or that the name it selected is unknown.
    pub fn selected(&self, container: &str, set: &str, source: Option<&str>, known: bool) {
        self.emit(
            || match (known, source) {
                (true, None) => format!("container {}: handler set {set}", container.escape_debug()),
                (true, Some(source)) => format!(
                    "container {}: handler set {} (from its {source})",
                    container.escape_debug(),
                    set.escape_debug()
                ),
                (false, source) => format!(
                    "container {}: unknown handler set \"{}\" (from its {}): every notification is refused with EPERM",
                    container.escape_debug(),
                    set.escape_debug(),
                    source.unwrap_or("selection")
                ),
            },
            || {
                json!({"event": "handler-set", "container": container, "set": set, "source": source,
                       "known": known})
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

    /// A notification, decoded, with its answer and what decided it (`FILE:LINE`, `--on-notify`, ...).
    /// Logged before the answer is delivered; a delivery that fails is logged by [`Log::undelivered`].
    pub fn notification(&self, container: &str, pid: u32, call: &Call, answer: &str, rule: &str) {
        self.emit(
            || {
                format!(
                    "container {}: {} ({rule})",
                    container.escape_debug(),
                    notify_log::text_line(pid, call, Some(answer))
                )
            },
            || {
                json!({"event": "notification", "container": container, "pid": pid,
                       "arch": call.arch.map(Arch::name), "nr": call.nr, "syscall": call.name,
                       "args": call.args.iter().map(notify_log::value_json).collect::<Vec<_>>(),
                       "raw": call.raw, "answer": answer, "rule": rule})
            },
        );
    }

    /// The answer to a notification did not reach its target: it was gone (killed, or interrupted by a
    /// signal), or the kernel refused the answer.
    pub fn undelivered(
        &self,
        container: &str,
        notification: &Notification,
        outcome: &Result<Delivery, ReplyError>,
    ) {
        let pid = notification.raw().pid;
        let outcome_text = match outcome {
            Ok(Delivery::Answered) => return,
            Ok(Delivery::Gone) => "target gone".to_owned(),
            Ok(Delivery::FdRefused(errno)) => format!(
                "the fd could not be installed ({}); the syscall failed with that errno",
                seccomp_supervisor::ErrnoName(*errno)
            ),
            Err(ReplyError::Os(errno)) => format!("failed: {}", seccomp_supervisor::ErrnoName(*errno)),
            Err(error) => format!("failed: {error}"),
        };
        self.emit(
            || {
                format!(
                    "container {}: [pid {pid}] the answer was not delivered ({outcome_text})",
                    container.escape_debug()
                )
            },
            || {
                json!({"event": "undelivered", "container": container, "pid": pid,
                       "id": notification.id(), "delivery": outcome_text})
            },
        );
    }

    /// Notifications vanished before they were received (a signal interrupted them, or their task was
    /// killed); `lost` is the container's total so far.
    pub fn interrupted(&self, container: &str, lost: u64) {
        self.emit(
            || {
                format!(
                    "container {}: {lost} notification{} withdrawn before {} received (interrupted by a signal, \
                     or the task was killed)",
                    container.escape_debug(),
                    if lost == 1 { " was" } else { "s were" },
                    if lost == 1 { "it was" } else { "they were" },
                )
            },
            || json!({"event": "interrupted", "container": container, "lost": lost}),
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
