//! Output helpers the inspection commands share: writing results to a file or standard output, compact
//! number ranges, and (in [`emit`]) the C and Rust source forms of a program.

pub mod emit;
pub mod listing;

use crate::error::CliError;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output turned out to be a pipe nobody reads any more (EPIPE).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to standard output met a closed pipe (see [`write_output`]).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `bytes` to `path`, or to standard output when there is none.
///
/// `binary` output is refused when standard output is a terminal: raw BPF would only garble it.
///
/// A closed pipe on standard output (`seccompctl disasm big.bpf | head -1`) is not an error: the reader
/// chose to stop, so the rest of the output is dropped quietly and the command ends with the status it
/// would have had (Rust ignores SIGPIPE, so the write fails with EPIPE instead of killing the process).
pub fn write_output(path: Option<&Path>, bytes: &[u8], binary: bool) -> Result<(), CliError> {
    match path {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| CliError::system(format!("{}: cannot write: {e}", path.display()))),
        None => {
            let stdout = std::io::stdout();
            if binary && stdout.is_terminal() {
                return Err(CliError::usage(
                    "refusing to write raw BPF to a terminal: use -o FILE, redirect the output, or --emit asm",
                ));
            }
            if stdout_closed() {
                return Ok(());
            }
            let mut lock = stdout.lock();
            match lock.write_all(bytes).and_then(|()| lock.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    STDOUT_CLOSED.store(true, Ordering::Relaxed);
                    Ok(())
                }
                Err(e) => Err(CliError::system(format!("standard output: {e}"))),
            }
        }
    }
}

/// Prints `text` on standard output; a closed pipe or other write error becomes a system error rather
/// than a panic (as `println!` would).
pub fn print(text: &str) -> Result<(), CliError> {
    write_output(None, text.as_bytes(), false)
}

/// Prints a JSON value, pretty-printed, followed by a newline.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::system(format!("cannot format JSON: {e}")))?;
    print(&(text + "\n"))
}

/// Groups increasing numbers into inclusive runs of consecutive values: `0 1 2 5 7 8` gives
/// `(0, 2), (5, 5), (7, 8)`. Numbers out of order start a new run.
pub fn compact_ranges(numbers: impl IntoIterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for number in numbers {
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(number) => *end = number,
            _ => ranges.push((number, number)),
        }
    }
    ranges
}

/// Writes runs as `0-2 5 7-8`.
pub fn format_ranges(ranges: &[(u32, u32)]) -> String {
    ranges
        .iter()
        .map(|&(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_numbers_collapse_into_runs() {
        let ranges = compact_ranges([0, 1, 2, 5, 7, 8, u32::MAX]);
        assert_eq!(ranges, [(0, 2), (5, 5), (7, 8), (u32::MAX, u32::MAX)]);
        assert_eq!(format_ranges(&ranges), format!("0-2 5 7-8 {}", u32::MAX));
        assert!(compact_ranges([]).is_empty());
        assert_eq!(compact_ranges([3, 2]), [(3, 3), (2, 2)]);
    }
}

/// Standard error as a log destination that treats a closed pipe as the reader's choice to stop: writes
/// after EPIPE are dropped quietly (`seccompctl trace -- make 2>&1 | head`), while other write errors
/// (a full disk) are still returned.
#[derive(Debug, Default)]
pub struct StderrLog {
    closed: bool,
}

impl Write for StderrLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match std::io::stderr().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stderr().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}
