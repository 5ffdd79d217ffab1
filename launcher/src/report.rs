//! Error lines on stderr without allocation or libc: a line is formatted with `core::fmt` into a fixed
//! stack buffer and written by one raw `write(2)` to fd 2, then the process exits with `exit_group(2)`.

use core::fmt::{self, Write};
use rustix::fd::BorrowedFd;
use seccomp_sys::Errno;
use seccomp_sys::process::exit_group;

/// The program name at the start of every message.
const NAME: &str = "seccomp-launcher";

/// The longest line written; longer messages are cut and end with `...`.
const CAPACITY: usize = 512;

/// Writes `seccomp-launcher: <message>` and a newline to stderr, then exits with `code`.
pub fn fail(code: i32, message: fmt::Arguments<'_>) -> ! {
    let mut line = Line::new();
    // Errors are impossible (Line truncates) and would have nowhere to go.
    let _ = write!(line, "{NAME}: {message}");
    line.write_to_stderr();
    exit_group(code)
}

/// One line of text in a stack buffer; text past the capacity is dropped and marked.
struct Line {
    buf: [u8; CAPACITY],
    /// How many bytes of `buf` hold text; at most `CAPACITY - END.len()`, so the end always fits.
    len: usize,
    truncated: bool,
}

/// What ends a line that was cut.
const END: &[u8] = b"...\n";

impl Line {
    const fn new() -> Self {
        Line {
            buf: [0; CAPACITY],
            len: 0,
            truncated: false,
        }
    }

    /// Ends the line (with `...` if it was cut) and writes it to fd 2, retrying after partial writes.
    fn write_to_stderr(mut self) {
        let end: &[u8] = if self.truncated { END } else { b"\n" };
        let free = self.buf.get_mut(self.len..).unwrap_or_default();
        for (slot, byte) in free.iter_mut().zip(end) {
            *slot = *byte;
        }
        let mut rest = self.buf.get(..self.len + end.len()).unwrap_or_default();
        // SAFETY: fd 2 is only borrowed for the calls below, and `write` reads nothing but `rest`. If the
        // launcher was started with fd 2 closed, the kernel answers EBADF and the message is lost.
        let stderr = unsafe { BorrowedFd::borrow_raw(2) };
        while !rest.is_empty() {
            match rustix::io::write(stderr, rest) {
                Ok(0) => break,
                Ok(written) => rest = rest.get(written..).unwrap_or_default(),
                Err(Errno::INTR) => continue,
                Err(_) => break,
            }
        }
    }
}

impl Write for Line {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let limit = CAPACITY - END.len();
        let free = self.buf.get_mut(self.len..limit).unwrap_or_default();
        let taken = free.len().min(text.len());
        for (slot, byte) in free.iter_mut().zip(text.as_bytes()) {
            *slot = *byte;
        }
        self.len += taken;
        self.truncated |= taken < text.len();
        Ok(())
    }
}

/// Displays a byte string (an argument) as text, with each invalid UTF-8 sequence shown as U+FFFD.
pub struct Lossy<'a>(pub &'a [u8]);

impl fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }
}

/// Displays an errno as its `strerror` text and symbolic name, e.g. `No such file or directory (ENOENT)`,
/// for the errors `execve(2)` and `prctl(2)` document; any other value as `errno N`.
pub struct Describe(pub Errno);

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KNOWN: &[(Errno, &str, &str)] = &[
            (Errno::PERM, "EPERM", "Operation not permitted"),
            (Errno::NOENT, "ENOENT", "No such file or directory"),
            (Errno::IO, "EIO", "Input/output error"),
            (Errno::TOOBIG, "E2BIG", "Argument list too long"),
            (Errno::NOEXEC, "ENOEXEC", "Exec format error"),
            (Errno::NOMEM, "ENOMEM", "Cannot allocate memory"),
            (Errno::ACCESS, "EACCES", "Permission denied"),
            (Errno::FAULT, "EFAULT", "Bad address"),
            (Errno::NOTDIR, "ENOTDIR", "Not a directory"),
            (Errno::ISDIR, "EISDIR", "Is a directory"),
            (Errno::INVAL, "EINVAL", "Invalid argument"),
            (Errno::NFILE, "ENFILE", "Too many open files in system"),
            (Errno::MFILE, "EMFILE", "Too many open files"),
            (Errno::TXTBSY, "ETXTBSY", "Text file busy"),
            (Errno::NAMETOOLONG, "ENAMETOOLONG", "File name too long"),
            (Errno::LOOP, "ELOOP", "Too many levels of symbolic links"),
            (Errno::LIBBAD, "ELIBBAD", "Accessing a corrupted shared library"),
        ];
        match KNOWN.iter().find(|(errno, _, _)| *errno == self.0) {
            Some((_, name, text)) => write!(f, "{text} ({name})"),
            None => write!(f, "errno {}", self.0.raw_os_error()),
        }
    }
}
