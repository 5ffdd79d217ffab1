//! Output helpers the inspection commands share: writing results to a file or standard output, compact
//! number ranges, and (in [`emit`]) the C and Rust source forms of a program.

pub mod emit;

use crate::error::CliError;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Writes `bytes` to `path`, or to standard output when there is none.
///
/// `binary` output is refused when standard output is a terminal: raw BPF would only garble it.
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
            let mut lock = stdout.lock();
            lock.write_all(bytes)
                .and_then(|()| lock.flush())
                .map_err(|e| CliError::system(format!("standard output: {e}")))
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
