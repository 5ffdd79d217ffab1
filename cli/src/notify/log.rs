//! Formatting one notification as a line of text or of JSON: the pid, the syscall, its decoded arguments
//! (rendered by `decode::text`) and the answer.
//!
//! Text looks like strace's, with the answer in place of the return value (a notification is seen before
//! the syscall runs, so there is no return value yet):
//!
//! ```text
//! [pid 4242] openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) -> errno(EACCES)
//! [pid 4243 i386] open("/etc/passwd", O_RDONLY)
//! ```
//!
//! A JSON line holds the same facts with typed values:
//!
//! ```text
//! {"pid":4242,"arch":"x86_64","nr":257,"syscall":"openat","args":["AT_FDCWD","/etc/hostname","O_RDONLY|O_CLOEXEC"],"raw":[...],"answer":"errno(EACCES)"}
//! ```
//!
//! In JSON, numbers are numbers, pointers and modes strings (`"0x7ffd1000"`, `"0644"`), strings read from
//! the target are JSON strings (invalid UTF-8 replaced by U+FFFD), `{"str": ..., "truncated": true}` when
//! cut short, `{"unreadable": "0x..."}` when unreadable, and `argv` an array.

use crate::decode::Call;
use crate::error::{CliError, Failure};
use seccomp_core::arch::Arch;
use serde_json::{Map, Value as Json, json};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

pub use crate::decode::quote::quote;
pub use crate::decode::text::{call_text, value_json, value_text};

/// The text line for a notification from `pid` (without a newline). The arch is shown when it is not the
/// host's; the answer when given.
pub fn text_line(pid: u32, call: &Call, answer: Option<&str>) -> String {
    let mut line = pid_prefix(pid, call);
    line.push_str(&call_text(call));
    if let Some(answer) = answer {
        line.push_str(" -> ");
        line.push_str(answer);
    }
    line
}

/// `[pid N] ` (with the arch when it is not the host's: `[pid N i386] `).
pub fn pid_prefix(pid: u32, call: &Call) -> String {
    let mut line = format!("[pid {pid}");
    match call.arch {
        Some(arch) if Some(arch) != Arch::native() => {
            let _ = write!(line, " {arch}");
        }
        Some(_) => {}
        None => line.push_str(" unknown-arch"),
    }
    line.push_str("] ");
    line
}

/// The JSON line for a notification from `pid` (without a newline).
pub fn json_line(pid: u32, call: &Call, answer: Option<&str>) -> String {
    Json::Object(json_object(pid, call, answer)).to_string()
}

/// The JSON object of a notification from `pid`, for callers that add fields.
pub fn json_object(pid: u32, call: &Call, answer: Option<&str>) -> Map<String, Json> {
    let mut object = Map::new();
    object.insert("pid".to_owned(), json!(pid));
    object.insert(
        "arch".to_owned(),
        call.arch
            .map_or(Json::Null, |arch| Json::String(arch.name().to_owned())),
    );
    object.insert("nr".to_owned(), json!(call.nr));
    object.insert(
        "syscall".to_owned(),
        call.name.map_or(Json::Null, |name| Json::String(name.to_owned())),
    );
    object.insert(
        "args".to_owned(),
        Json::Array(call.args.iter().map(value_json).collect()),
    );
    object.insert("raw".to_owned(), json!(call.raw));
    if let Some(answer) = answer {
        object.insert("answer".to_owned(), Json::String(answer.to_owned()));
    }
    object
}

/// Where notification lines go: stderr or a file, as text or JSON lines.
///
/// A write error does not stop the supervision (the command still needs its answers): logging stops,
/// and [`Sink::finish`] reports the error.
pub struct Sink {
    out: Box<dyn Write + Send>,
    json: bool,
    name: String,
    error: Option<std::io::Error>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("name", &self.name)
            .field("json", &self.json)
            .finish()
    }
}

impl Sink {
    /// Opens the log: `path` (created or truncated) or stderr.
    pub fn open(path: Option<&Path>, json: bool) -> Result<Sink, CliError> {
        let (out, name): (Box<dyn Write + Send>, String) = match path {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .map_err(|e| CliError::new(Failure::Supervisor, format!("{}: {e}", path.display())))?;
                (
                    Box::new(std::io::BufWriter::new(file)),
                    path.display().to_string(),
                )
            }
            None => (Box::new(std::io::stderr()), "standard error".to_owned()),
        };
        Ok(Sink {
            out,
            json,
            name,
            error: None,
        })
    }

    /// A sink that writes into `out` (for tests and embedding).
    pub fn new(out: Box<dyn Write + Send>, json: bool, name: &str) -> Sink {
        Sink {
            out,
            json,
            name: name.to_owned(),
            error: None,
        }
    }

    /// Writes the line for one notification.
    pub fn record(&mut self, pid: u32, call: &Call, answer: Option<&str>) {
        if self.error.is_some() {
            return;
        }
        let mut line = if self.json {
            json_line(pid, call, answer)
        } else {
            text_line(pid, call, answer)
        };
        line.push('\n');
        if let Err(error) = self.out.write_all(line.as_bytes()) {
            self.error = Some(error);
        }
    }

    /// Writes one line as it is (a newline is added).
    pub fn write_line(&mut self, line: &str) {
        if self.error.is_some() {
            return;
        }
        let result = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(error) = result {
            self.error = Some(error);
        }
    }

    /// Flushes what was written so far (a buffered sink's lines reach their file); an error is kept for
    /// [`Sink::finish`].
    pub fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        if let Err(error) = self.out.flush() {
            self.error = Some(error);
        }
    }

    /// Flushes; the error of the first failed write, if any.
    pub fn finish(mut self) -> Result<(), CliError> {
        let flushed = self.out.flush();
        match self.error.take().map_or(flushed, Err) {
            Ok(()) => Ok(()),
            Err(error) => Err(CliError::new(
                Failure::Supervisor,
                format!("writing the log to {} failed: {error}", self.name),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Value;

    fn call(args: Vec<Value>) -> Call {
        Call {
            arch: Arch::native(),
            name: Some("openat"),
            nr: 257,
            args,
            raw: [1, 2, 3, 4, 5, 6],
        }
    }

    #[test]
    fn text_lines_read_like_strace() {
        let c = call(vec![
            Value::Symbol("AT_FDCWD".to_owned()),
            Value::Bytes {
                bytes: b"/etc/host\"name\n\xff".to_vec(),
                truncated: false,
            },
            Value::Symbol("O_RDONLY|O_CLOEXEC".to_owned()),
            Value::Mode(0o644),
        ]);
        assert_eq!(
            text_line(7, &c, Some("errno(EACCES)")),
            "[pid 7] openat(AT_FDCWD, \"/etc/host\\\"name\\n\\377\", O_RDONLY|O_CLOEXEC, 0644) -> errno(EACCES)"
        );
    }

    #[test]
    fn unusual_values_have_one_clear_rendering() {
        assert_eq!(value_text(&Value::Unreadable(0x10)), "<unreadable 0x10>");
        assert_eq!(value_text(&Value::Null), "NULL");
        assert_eq!(value_text(&Value::Mode(0)), "000");
        assert_eq!(value_text(&Value::Mode(0o22)), "022");
        assert_eq!(value_text(&Value::Mode(0o7)), "007");
        assert_eq!(value_text(&Value::Mode(0o4755)), "04755");
        assert_eq!(value_text(&Value::Int(-1)), "-1");
        assert_eq!(
            value_text(&Value::List {
                items: vec![Value::Bytes {
                    bytes: b"ls".to_vec(),
                    truncated: false
                }],
                truncated: true
            }),
            "[\"ls\", ...]"
        );
        assert_eq!(
            value_text(&Value::Bytes {
                bytes: b"abc".to_vec(),
                truncated: true
            }),
            "\"abc\"..."
        );
    }

    #[test]
    fn json_lines_are_typed() {
        let c = call(vec![
            Value::Int(-100),
            Value::Bytes {
                bytes: b"/tmp/x".to_vec(),
                truncated: false,
            },
            Value::Unreadable(0xdead),
            Value::Null,
        ]);
        let parsed: Json = serde_json::from_str(&json_line(9, &c, Some("continue"))).expect("valid JSON");
        assert_eq!(parsed["pid"], 9);
        assert_eq!(parsed["syscall"], "openat");
        assert_eq!(parsed["args"][0], -100);
        assert_eq!(parsed["args"][1], "/tmp/x");
        assert_eq!(parsed["args"][2]["unreadable"], "0xdead");
        assert_eq!(parsed["args"][3], Json::Null);
        assert_eq!(parsed["raw"][5], 6);
        assert_eq!(parsed["answer"], "continue");
    }
}
