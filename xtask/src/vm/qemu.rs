//! Booting the guest with qemu-system (TCG) and capturing its serial console.
//!
//! The console is echoed live to stdout, written to a log file and returned as text. qemu is killed if
//! the guest has not powered off within the timeout.

use super::arch::Arch;
use crate::util::describe;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What one boot produced.
#[derive(Debug)]
pub struct Boot {
    /// The whole serial console output (qemu's own stderr appended at the end).
    pub console: String,
    /// Whether qemu had to be killed because the timeout passed.
    pub timed_out: bool,
    /// Wall time from starting qemu to its exit.
    pub elapsed: Duration,
}

/// Boots `kernel` with `initrd` on `arch`, saving the console to `log` and killing qemu after `timeout`.
pub fn boot(arch: Arch, kernel: &Path, initrd: &Path, log: &Path, timeout: Duration) -> Result<Boot, String> {
    let mut command = Command::new(arch.qemu_binary());
    command.args(arch.qemu_args(kernel, initrd));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    eprintln!("$ {}", describe(&command));
    let mut log_file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&command)))?;
    let stdout = child.stdout.take().ok_or("qemu has no stdout pipe")?;
    let stderr = child.stderr.take().ok_or("qemu has no stderr pipe")?;

    let console_reader = thread::spawn(move || {
        let mut console = Vec::new();
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        let mut out = std::io::stdout();
        // Line by line (split on '\n' only), so partial lines still reach the log when qemu is killed.
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let _ = out.write_all(&line);
            let _ = out.flush();
            let _ = log_file.write_all(&line);
            console.extend_from_slice(&line);
            line.clear();
        }
        let _ = log_file.flush();
        (console, log_file)
    });
    let stderr_reader = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = BufReader::new(stderr).read_to_end(&mut text);
        text
    });

    let deadline = start + timeout;
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Err(e) => return Err(format!("waiting for qemu: {e}")),
        }
    }
    let elapsed = start.elapsed();
    let (console, mut log_file) = console_reader
        .join()
        .map_err(|_| "the console reader thread panicked")?;
    let stderr = stderr_reader
        .join()
        .map_err(|_| "the qemu stderr reader thread panicked")?;
    let mut console = String::from_utf8_lossy(&console).into_owned();
    if !stderr.is_empty() {
        let stderr = String::from_utf8_lossy(&stderr);
        eprint!("{stderr}");
        let _ = write!(log_file, "\n[qemu stderr]\n{stderr}");
        console.push_str("\n[qemu stderr]\n");
        console.push_str(&stderr);
    }
    Ok(Boot {
        console,
        timed_out,
        elapsed,
    })
}

/// The last `count` lines of `text` without terminal control sequences (SeaBIOS clears the screen on
/// the serial port), for error messages.
pub fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines[start..]
        .iter()
        .map(|l| strip_control(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` without ANSI escape sequences (`ESC [ params final` or `ESC x`) and other control characters
/// except tabs.
fn strip_control(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next_if_eq(&'[').is_some() {
                // Parameters and intermediates, then one final byte in '@'..='~'.
                while chars.next_if(|c| !('@'..='~').contains(c)).is_some() {}
            }
            chars.next();
        } else if !c.is_control() || c == '\t' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines_without_carriage_returns() {
        assert_eq!(tail("a\r\nb\r\nc\r\n", 2), "b\nc");
        assert_eq!(tail("a\nb", 5), "a\nb");
        assert_eq!(tail("", 3), "");
    }

    #[test]
    fn tail_drops_terminal_escape_sequences() {
        assert_eq!(
            tail("\u{1b}c\u{1b}[?7l\u{1b}[2J\u{1b}[0mSeaBIOS\r\nok\tdone", 5),
            "SeaBIOS\nok\tdone"
        );
    }
}
