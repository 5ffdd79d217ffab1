//! Decoding a notification's syscall for display: the architecture, the name, and each argument shown
//! by its type: fds, `AT_FDCWD`, flag sets (`O_*`, `AT_*`, `PROT_*`, `MAP_*`, `CLONE_*`, `SOCK_*`, ...),
//! signals, modes, and strings read from the target's memory (paths, `argv`, the first bytes of a `write`).
//!
//! Memory is read TOCTOU-safely: every read for one notification happens inside one
//! [`Listener::read_checked`], which hands the data back only if the notification is still outstanding
//! afterwards. An address that cannot be read shows as `<unreadable 0x...>`; decoding never fails and never
//! panics, whatever the target passes. Syscalls without a signature in [`signatures`] show their six
//! arguments in hex.

pub mod flags;
pub mod signatures;

use seccomp_core::abi::SeccompData;
use seccomp_core::arch::Arch;
use seccomp_sys::Listener;
use seccomp_sys::Notification;
use seccomp_sys::mem::{MemError, PATH_MAX, TargetMemory};
use signatures::Kind;

/// How many bytes of an input buffer (`write`) are shown.
pub const BUF_PREVIEW: usize = 32;
/// How many `argv` entries are shown.
pub const ARGV_MAX: usize = 32;
/// The longest string read for a non-path argument, NUL included.
const STR_MAX: usize = 1024;
/// The most bytes of a socket address read (`sizeof(struct sockaddr_storage)`).
const SOCKADDR_MAX: usize = 128;

/// One decoded argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A signed number.
    Int(i64),
    /// An unsigned number.
    UInt(u64),
    /// A pointer or opaque value, shown in hex.
    Hex(u64),
    /// The null pointer.
    Null,
    /// A mode, shown in octal.
    Mode(u64),
    /// A symbolic rendering: flag names, an enumeration's name, `AT_FDCWD`.
    Symbol(String),
    /// Bytes read from the target: a string (without its NUL) or a buffer's first bytes. `truncated` when
    /// there was more.
    Bytes {
        /// The bytes.
        bytes: Vec<u8>,
        /// More followed that is not shown.
        truncated: bool,
    },
    /// A list of strings (`argv`); `truncated` when there were more than [`ARGV_MAX`].
    List {
        /// The entries.
        items: Vec<Value>,
        /// More entries followed.
        truncated: bool,
    },
    /// Memory at this address could not be read (unmapped, or the notification was gone by the check).
    Unreadable(u64),
}

/// A decoded syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The ABI of the call (`None` for an audit value seccompctl does not know).
    pub arch: Option<Arch>,
    /// The syscall name, when the arch's table has the number.
    pub name: Option<&'static str>,
    /// The number as `seccomp_data.nr` carries it.
    pub nr: i32,
    /// The arguments the syscall takes (all six in hex for unknown syscalls).
    pub args: Vec<Value>,
    /// The raw registers.
    pub raw: [u64; 6],
}

impl Call {
    /// The name, or `syscall_N` for a number the table does not have.
    pub fn display_name(&self) -> String {
        match self.name {
            Some(name) => name.to_owned(),
            None => format!("syscall_{}", self.nr),
        }
    }
}

/// Where memory arguments come from: the real target through a listener, or (in tests) a closure.
pub trait Memory {
    /// Runs `read` against the target's memory; `Err` when nothing read can be trusted (the notification
    /// went away). The result of `read` holds one entry per memory argument.
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>>;
}

/// Reading target memory: the subset of [`TargetMemory`] decoding needs, so tests can fake it.
pub trait ReadMem {
    /// Reads the NUL-terminated string at `addr` (at most `limit` bytes with the NUL).
    fn cstr(&mut self, addr: u64, limit: usize) -> Result<(Vec<u8>, bool), MemError>;
    /// Reads up to `buf.len()` bytes at `addr`; fewer at the end of readable memory.
    fn partial(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, MemError>;
}

impl ReadMem for TargetMemory {
    fn cstr(&mut self, addr: u64, limit: usize) -> Result<(Vec<u8>, bool), MemError> {
        let mut buf = vec![0u8; limit];
        match self.read_cstr(addr, &mut buf) {
            Ok(s) => Ok((s.to_bytes().to_vec(), false)),
            Err(MemError::TooLong { .. }) => {
                // Show what fits; the string goes on.
                let n = self.read_partial(addr, &mut buf)?;
                buf.truncate(n);
                Ok((buf, true))
            }
            Err(error) => Err(error),
        }
    }

    fn partial(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, MemError> {
        self.read_partial(addr, buf)
    }
}

/// Memory made of byte regions at given addresses, read as [`TargetMemory`] reads a process: a string is
/// read up to its NUL, `limit` bytes without one are shown truncated, and a string that runs into
/// unmapped memory is a fault. For tests and the `target_memory` fuzz target, which build hostile memory
/// without a process.
#[derive(Clone, Copy, Debug)]
pub struct Regions<'a>(pub &'a [(u64, Vec<u8>)]);

impl ReadMem for Regions<'_> {
    fn cstr(&mut self, addr: u64, limit: usize) -> Result<(Vec<u8>, bool), MemError> {
        let mut buf = vec![0u8; limit];
        let n = self.partial(addr, &mut buf)?;
        if n == 0 {
            return Err(MemError::Fault { addr });
        }
        buf.truncate(n);
        match buf.iter().position(|&b| b == 0) {
            Some(nul) => {
                buf.truncate(nul);
                Ok((buf, false))
            }
            None if n == limit => Ok((buf, true)),
            None => Err(MemError::Fault {
                addr: addr.wrapping_add(n as u64),
            }),
        }
    }

    fn partial(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, MemError> {
        for (start, bytes) in self.0 {
            let Some(rest) = addr
                .checked_sub(*start)
                .and_then(|offset| usize::try_from(offset).ok())
                .and_then(|offset| bytes.get(offset..))
            else {
                continue;
            };
            if rest.is_empty() {
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            return Ok(n);
        }
        Ok(0)
    }
}

/// The real target: memory of the notification's process, re-validated with `ID_VALID`.
pub struct Target<'a> {
    /// The listener the notification came from.
    pub listener: &'a Listener,
    /// The notification.
    pub notification: &'a Notification,
}

impl Memory for Target<'_> {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        self.listener
            .read_checked(self.notification, |memory| Ok(read(memory)))
            .ok()
    }
}

/// The width of pointers and `long` for `arch` (4 for i386 and x32).
fn word_bytes(arch: Option<Arch>) -> usize {
    match arch {
        Some(Arch::I386 | Arch::X32) => 4,
        _ => 8,
    }
}

/// A register narrowed to the ABI's `int`.
fn int(raw: u64) -> i64 {
    i64::from(raw as u32 as i32)
}

/// A register narrowed to the ABI's `long` (signed).
fn long(arch: Option<Arch>, raw: u64) -> i64 {
    if word_bytes(arch) == 4 {
        int(raw)
    } else {
        raw as i64
    }
}

/// A register narrowed to the ABI's `size_t`/pointer width.
fn word(arch: Option<Arch>, raw: u64) -> u64 {
    if word_bytes(arch) == 4 {
        raw & 0xffff_ffff
    } else {
        raw
    }
}

/// The syscall's name, without decoding its arguments.
pub fn name_of(data: &SeccompData) -> Option<&'static str> {
    Arch::from_seccomp_data(data.arch, data.nr as u32).and_then(|arch| arch.syscall_name(data.nr as u32))
}

/// Decodes `data` (the syscall of a notification), reading memory arguments through `memory`.
pub fn decode(data: &SeccompData, memory: &mut dyn Memory) -> Call {
    let arch = Arch::from_seccomp_data(data.arch, data.nr as u32);
    let name = arch.and_then(|arch| arch.syscall_name(data.nr as u32));
    let kinds = match (arch, name) {
        (Some(arch), Some(name)) => signatures::signature(arch, name),
        _ => None,
    };
    let raw = data.args;
    let args = match kinds {
        Some(kinds) => {
            let kinds = trim_unused(name, kinds, &raw);
            decode_args(arch, kinds, &raw, memory)
        }
        None => raw.iter().map(|&value| Value::Hex(value)).collect(),
    };
    Call {
        arch,
        name,
        nr: data.nr,
        args,
        raw,
    }
}

/// Leaves out arguments the call ignores, as strace does: the mode of `open`/`openat` without `O_CREAT`
/// or `O_TMPFILE`.
fn trim_unused<'k>(name: Option<&str>, kinds: &'k [Kind], raw: &[u64; 6]) -> &'k [Kind] {
    const CREATES: u64 = 0o100 | 0o20000000; // O_CREAT | __O_TMPFILE
    let flags_index = match name {
        Some("open") => 1,
        Some("openat") => 2,
        _ => return kinds,
    };
    match raw.get(flags_index) {
        Some(flags) if flags & CREATES == 0 => kinds.get(..flags_index + 1).unwrap_or(kinds),
        _ => kinds,
    }
}

/// Whether an argument of this kind is read from memory.
fn reads_memory(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Path | Kind::Str | Kind::Buf(_) | Kind::Argv | Kind::SockAddr(_)
    )
}

fn decode_args(arch: Option<Arch>, kinds: &[Kind], raw: &[u64; 6], memory: &mut dyn Memory) -> Vec<Value> {
    let host = arch.unwrap_or(Arch::X86_64);
    // Every memory read of this call happens in one checked read.
    let wanted: Vec<(usize, Kind, u64)> = kinds
        .iter()
        .enumerate()
        .filter(|(_, kind)| reads_memory(**kind))
        .filter_map(|(i, kind)| raw.get(i).map(|&value| (i, *kind, word(arch, value))))
        .filter(|(_, _, addr)| *addr != 0)
        .collect();
    let mut from_memory: [Option<Value>; 6] = Default::default();
    if !wanted.is_empty() {
        let values = memory.with(&mut |mem| {
            wanted
                .iter()
                .map(|&(_, kind, addr)| read_arg(arch, kind, addr, raw, mem))
                .collect()
        });
        // `None` (the notification went away before the check): every memory argument stays unreadable.
        for ((index, _, _), value) in wanted.iter().zip(values.unwrap_or_default()) {
            if let Some(slot) = from_memory.get_mut(*index) {
                *slot = Some(value);
            }
        }
    }
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let value = raw.get(i).copied().unwrap_or(0);
            if !reads_memory(kind) {
                return scalar(host, arch, kind, value);
            }
            let addr = word(arch, value);
            if addr == 0 {
                return Value::Null;
            }
            from_memory
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or(Value::Unreadable(addr))
        })
        .collect()
}

/// Reads one memory argument.
fn read_arg(arch: Option<Arch>, kind: Kind, addr: u64, raw: &[u64; 6], mem: &mut dyn ReadMem) -> Value {
    match kind {
        Kind::Path => read_string(mem, addr, PATH_MAX),
        Kind::Str => read_string(mem, addr, STR_MAX),
        Kind::Buf(len_index) => {
            let len = raw.get(usize::from(len_index)).map_or(0, |&len| word(arch, len));
            let want = usize::try_from(len).unwrap_or(usize::MAX).min(BUF_PREVIEW);
            let mut buf = vec![0u8; want];
            match mem.partial(addr, &mut buf) {
                Ok(n) if n > 0 || want == 0 => {
                    buf.truncate(n);
                    Value::Bytes {
                        truncated: (n as u64) < len,
                        bytes: buf,
                    }
                }
                _ => Value::Unreadable(addr),
            }
        }
        Kind::Argv => read_argv(arch, addr, mem),
        Kind::SockAddr(len_index) => {
            let len = raw
                .get(usize::from(len_index))
                .map_or(0, |&len| len & 0xffff_ffff);
            let want = usize::try_from(len).unwrap_or(usize::MAX).min(SOCKADDR_MAX);
            let mut buf = vec![0u8; want];
            match mem.partial(addr, &mut buf) {
                Ok(n) if n >= 2 => {
                    buf.truncate(n);
                    Value::Symbol(sockaddr(&buf))
                }
                _ => Value::Unreadable(addr),
            }
        }
        _ => Value::Unreadable(addr),
    }
}

fn read_string(mem: &mut dyn ReadMem, addr: u64, limit: usize) -> Value {
    match mem.cstr(addr, limit) {
        Ok((bytes, truncated)) => Value::Bytes { bytes, truncated },
        Err(_) => Value::Unreadable(addr),
    }
}

/// Reads a NULL-terminated array of string pointers of the ABI's width.
fn read_argv(arch: Option<Arch>, addr: u64, mem: &mut dyn ReadMem) -> Value {
    let width = word_bytes(arch);
    let mut items = Vec::new();
    for index in 0..=ARGV_MAX {
        let Some(at) = (index as u64)
            .checked_mul(width as u64)
            .and_then(|offset| addr.checked_add(offset))
        else {
            return Value::Unreadable(addr);
        };
        let mut bytes = [0u8; 8];
        let Some(slot) = bytes.get_mut(..width) else {
            return Value::Unreadable(addr);
        };
        match mem.partial(at, slot) {
            Ok(n) if n == width => {}
            _ => {
                if index == 0 {
                    return Value::Unreadable(addr);
                }
                items.push(Value::Unreadable(at));
                return Value::List {
                    items,
                    truncated: true,
                };
            }
        }
        let pointer = u64::from_le_bytes(bytes);
        if pointer == 0 {
            return Value::List {
                items,
                truncated: false,
            };
        }
        if index == ARGV_MAX {
            break;
        }
        items.push(read_string(mem, pointer, STR_MAX));
    }
    Value::List {
        items,
        truncated: true,
    }
}

/// A socket address (at least its 2-byte family), shown as strace does: `{AF_INET, 127.0.0.1:80}`,
/// `{AF_INET6, [::1]:443}`, `{AF_UNIX, "/run/x.sock"}` (`@name` for the abstract namespace).
pub fn sockaddr(bytes: &[u8]) -> String {
    let family = match bytes {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => return "{}".to_owned(),
    };
    let rest = bytes.get(2..).unwrap_or(&[]);
    let port = |b: &[u8]| match b {
        [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
        _ => 0,
    };
    match family {
        1 => {
            let path = rest.split(|&b| b == 0).next().unwrap_or(&[]);
            match rest.first() {
                None => "{AF_UNIX}".to_owned(),
                Some(0) => {
                    let name = rest.get(1..).unwrap_or(&[]);
                    let quoted = crate::notify::log::quote(name, false);
                    format!("{{AF_UNIX, @{}}}", quoted.trim_matches('"'))
                }
                Some(_) => format!("{{AF_UNIX, {}}}", crate::notify::log::quote(path, false)),
            }
        }
        2 => match rest.get(2..6) {
            Some(&[a, b, c, d]) => format!(
                "{{AF_INET, {}:{}}}",
                std::net::Ipv4Addr::new(a, b, c, d),
                port(rest)
            ),
            _ => "{AF_INET, <short>}".to_owned(),
        },
        10 => match rest.get(6..22).and_then(|b| <[u8; 16]>::try_from(b).ok()) {
            Some(addr) => format!(
                "{{AF_INET6, [{}]:{}}}",
                std::net::Ipv6Addr::from(addr),
                port(rest)
            ),
            None => "{AF_INET6, <short>}".to_owned(),
        },
        16 => {
            let word = |range: std::ops::Range<usize>| {
                rest.get(range)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_le_bytes)
            };
            format!("{{AF_NETLINK, pid={}, groups={:#x}}}", word(2..6), word(6..10))
        }
        other => {
            let mut text = format!("{{{}, ", flags::enumeration(flags::AF, u64::from(other)));
            for byte in rest.iter().take(16) {
                text.push_str(&format!("{byte:02x}"));
            }
            text.push('}');
            text
        }
    }
}

/// Decodes an argument that needs no memory.
fn scalar(host: Arch, arch: Option<Arch>, kind: Kind, raw: u64) -> Value {
    let low = raw & 0xffff_ffff;
    match kind {
        Kind::Int => Value::Int(int(raw)),
        Kind::Long => Value::Int(long(arch, raw)),
        Kind::UInt => Value::UInt(low),
        Kind::Size => Value::UInt(word(arch, raw)),
        Kind::Ptr => match word(arch, raw) {
            0 => Value::Null,
            value => Value::Hex(value),
        },
        Kind::Hex => Value::Hex(word(arch, raw)),
        Kind::Fd | Kind::Pid => Value::Int(int(raw)),
        Kind::DirFd => match int(raw) {
            -100 => Value::Symbol("AT_FDCWD".to_owned()),
            fd => Value::Int(fd),
        },
        Kind::Mode => Value::Mode(low),
        Kind::OpenFlags => Value::Symbol(flags::open_flags(host, low)),
        Kind::AtFlags => Value::Symbol(flags::bits(flags::AT, low)),
        Kind::AccessAtFlags => Value::Symbol(flags::bits(flags::AT_ACCESS, low)),
        Kind::AccessMode => Value::Symbol(flags::access_mode(low)),
        Kind::Prot => Value::Symbol(flags::prot(word(arch, raw))),
        Kind::MapFlags => Value::Symbol(flags::map_flags(host, word(arch, raw))),
        Kind::CloneFlags => Value::Symbol(flags::clone_flags(word(arch, raw))),
        Kind::Family => Value::Symbol(flags::enumeration(flags::AF, low)),
        Kind::SockType => Value::Symbol(flags::socket_type(low)),
        Kind::SockFlags => Value::Symbol(flags::bits(flags::SOCK_FLAGS, low)),
        Kind::CloexecFlags => Value::Symbol(flags::bits(flags::CLOEXEC_NONBLOCK, low)),
        Kind::Signal => Value::Symbol(flags::signal(low)),
        Kind::Whence => Value::Symbol(flags::enumeration(flags::SEEK, low)),
        Kind::FcntlCmd => Value::Symbol(flags::enumeration(flags::FCNTL, low)),
        Kind::SigHow => Value::Symbol(flags::enumeration(flags::SIG_HOW, low)),
        Kind::PrctlOption => Value::Symbol(flags::enumeration(flags::PRCTL, low)),
        Kind::ArchPrctl => Value::Symbol(flags::enumeration(flags::ARCH_PRCTL, low)),
        Kind::FutexOp => Value::Symbol(flags::futex_op(low)),
        Kind::MfdFlags => Value::Symbol(flags::bits(flags::MFD, low)),
        Kind::GrndFlags => Value::Symbol(flags::bits(flags::GRND, low)),
        Kind::WaitOptions => Value::Symbol(flags::bits(flags::WAIT, low)),
        Kind::Advice => Value::Symbol(flags::enumeration(flags::MADV, low)),
        // Memory kinds are handled by the caller; a plain pointer is the honest fallback.
        Kind::Path | Kind::Str | Kind::Buf(_) | Kind::Argv | Kind::SockAddr(_) => Value::Hex(raw),
    }
}

#[cfg(test)]
mod tests;
