//! The kernel's seccomp ABI: structs, constants and ioctl numbers of `include/uapi/linux/seccomp.h`,
//! `linux/filter.h` and the `AUDIT_ARCH_*` values of `linux/audit.h`.
//!
//! Every struct is `#[repr(C)]` with explicit fields only (no implicit padding), derives the zerocopy traits
//! so it can be read from and written to bytes without `unsafe`, and carries compile-time assertions of its
//! size and of every field offset. The sizes are the ones the kernel reports through
//! `SECCOMP_GET_NOTIF_SIZES` on x86_64 and aarch64.
//!
//! Decoding from untrusted bytes goes through the `decode` functions (`SeccompNotif::decode`, ...) that
//! demand the exact length and say precisely what was wrong.

use core::fmt;
use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

// ---------------------------------------------------------------------------------------------------------
// Modes and operations.

/// `SECCOMP_MODE_DISABLED`: seccomp is not in use (the value `prctl(PR_GET_SECCOMP)` returns).
pub const MODE_DISABLED: u32 = 0;
/// `SECCOMP_MODE_STRICT`: only `read`, `write`, `_exit` and `sigreturn` are allowed.
pub const MODE_STRICT: u32 = 1;
/// `SECCOMP_MODE_FILTER`: a classic-BPF filter decides.
pub const MODE_FILTER: u32 = 2;

/// `SECCOMP_SET_MODE_STRICT`: the `seccomp(2)` operation that enters strict mode (3.17).
pub const SET_MODE_STRICT: u32 = 0;
/// `SECCOMP_SET_MODE_FILTER`: the `seccomp(2)` operation that installs a filter (3.17).
pub const SET_MODE_FILTER: u32 = 1;
/// `SECCOMP_GET_ACTION_AVAIL`: asks whether the kernel knows an action (4.14).
pub const GET_ACTION_AVAIL: u32 = 2;
/// `SECCOMP_GET_NOTIF_SIZES`: asks the sizes of the notification structs (5.0).
pub const GET_NOTIF_SIZES: u32 = 3;

// ---------------------------------------------------------------------------------------------------------
// Filter flags for SECCOMP_SET_MODE_FILTER.

/// `SECCOMP_FILTER_FLAG_TSYNC`: install the filter on every thread of the process (3.17).
pub const FILTER_FLAG_TSYNC: u32 = 1 << 0;
/// `SECCOMP_FILTER_FLAG_LOG`: log every action except ALLOW (4.14).
pub const FILTER_FLAG_LOG: u32 = 1 << 1;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: do not force speculative-store-bypass mitigation on (4.17).
pub const FILTER_FLAG_SPEC_ALLOW: u32 = 1 << 2;
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`: return a notification listener fd (5.0).
pub const FILTER_FLAG_NEW_LISTENER: u32 = 1 << 3;
/// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH`: report a TSYNC failure as ESRCH rather than a thread id, which makes
/// TSYNC usable together with NEW_LISTENER (5.7).
pub const FILTER_FLAG_TSYNC_ESRCH: u32 = 1 << 4;
/// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`: once a notification was received, only fatal signals interrupt
/// the target's wait (5.19).
pub const FILTER_FLAG_WAIT_KILLABLE_RECV: u32 = 1 << 5;
/// Every filter flag the mainline header defines, ORed.
pub const FILTER_FLAGS_ALL: u32 = FILTER_FLAG_TSYNC
    | FILTER_FLAG_LOG
    | FILTER_FLAG_SPEC_ALLOW
    | FILTER_FLAG_NEW_LISTENER
    | FILTER_FLAG_TSYNC_ESRCH
    | FILTER_FLAG_WAIT_KILLABLE_RECV;

// ---------------------------------------------------------------------------------------------------------
// Filter return values.

/// `SECCOMP_RET_KILL_PROCESS`: kill the whole process (4.14).
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
/// `SECCOMP_RET_KILL_THREAD` (also `SECCOMP_RET_KILL`): kill the calling thread.
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
/// `SECCOMP_RET_TRAP`: fail the syscall and send SIGSYS; the data becomes `si_errno`.
pub const RET_TRAP: u32 = 0x0003_0000;
/// `SECCOMP_RET_ERRNO`: fail the syscall with the data as errno (capped at [`MAX_ERRNO`]).
pub const RET_ERRNO: u32 = 0x0005_0000;
/// `SECCOMP_RET_USER_NOTIF`: park the syscall and notify the listener (5.0).
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
/// `SECCOMP_RET_TRACE`: hand the syscall to a ptrace tracer; the data is the event message.
pub const RET_TRACE: u32 = 0x7ff0_0000;
/// `SECCOMP_RET_LOG`: allow after logging (4.14).
pub const RET_LOG: u32 = 0x7ffc_0000;
/// `SECCOMP_RET_ALLOW`: allow the syscall.
pub const RET_ALLOW: u32 = 0x7fff_0000;
/// `SECCOMP_RET_ACTION_FULL`: the bits of a return value that select the action.
pub const RET_ACTION_FULL: u32 = 0xffff_0000;
/// `SECCOMP_RET_ACTION`: the legacy action mask, without the sign bit.
pub const RET_ACTION: u32 = 0x7fff_0000;
/// `SECCOMP_RET_DATA`: the bits of a return value that carry the action's data.
pub const RET_DATA: u32 = 0x0000_ffff;
/// `MAX_ERRNO`: the kernel caps the data of `SECCOMP_RET_ERRNO` at this value.
pub const MAX_ERRNO: u16 = 4095;

// ---------------------------------------------------------------------------------------------------------
// Notification flags.

/// `SECCOMP_USER_NOTIF_FLAG_CONTINUE`: in a response, let the syscall run as if allowed (5.5).
pub const USER_NOTIF_FLAG_CONTINUE: u32 = 1 << 0;
/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`: for `NOTIF_SET_FLAGS`, wake the other side on the current CPU (6.6).
pub const USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1 << 0;
/// `SECCOMP_ADDFD_FLAG_SETFD`: install the fd at `newfd` in the target (5.9).
pub const ADDFD_FLAG_SETFD: u32 = 1 << 0;
/// `SECCOMP_ADDFD_FLAG_SEND`: install the fd and answer the notification with its number, atomically (5.14).
pub const ADDFD_FLAG_SEND: u32 = 1 << 1;

// ---------------------------------------------------------------------------------------------------------
// Limits (linux/bpf_common.h, linux/filter.h, kernel/seccomp.c).

/// `BPF_MAXINSNS`: the longest classic-BPF program the kernel accepts.
pub const BPF_MAXINSNS: usize = 4096;
/// `BPF_MEMWORDS`: the number of 32-bit scratch memory cells.
pub const BPF_MEMWORDS: usize = 16;
/// `MAX_INSNS_PER_PATH`: the budget for a thread's whole filter chain; each filter costs its length plus 4.
pub const MAX_INSNS_PER_PATH: usize = 32768;
/// The cost the kernel adds per already-installed filter when checking [`MAX_INSNS_PER_PATH`].
pub const FILTER_PATH_OVERHEAD: usize = 4;

// ---------------------------------------------------------------------------------------------------------
// Audit architecture values (linux/audit.h) and the x32 marker.

const EM_386: u32 = 3;
const EM_ARM: u32 = 40;
const EM_X86_64: u32 = 62;
const EM_AARCH64: u32 = 183;
const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
const AUDIT_ARCH_LE: u32 = 0x4000_0000;

/// `AUDIT_ARCH_X86_64`: `seccomp_data.arch` for x86_64 (and x32) syscalls.
pub const AUDIT_ARCH_X86_64: u32 = EM_X86_64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE;
/// `AUDIT_ARCH_I386`: `seccomp_data.arch` for i386 syscalls, including `int 0x80` from a 64-bit process.
pub const AUDIT_ARCH_I386: u32 = EM_386 | AUDIT_ARCH_LE;
/// `AUDIT_ARCH_AARCH64`: `seccomp_data.arch` for arm64 syscalls.
pub const AUDIT_ARCH_AARCH64: u32 = EM_AARCH64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE;
/// `AUDIT_ARCH_ARM`: `seccomp_data.arch` for 32-bit arm syscalls (compat tasks on arm64).
pub const AUDIT_ARCH_ARM: u32 = EM_ARM | AUDIT_ARCH_LE;
/// `__X32_SYSCALL_BIT`: x32 syscalls arrive with `arch == AUDIT_ARCH_X86_64` and this bit set in `nr`.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

// ---------------------------------------------------------------------------------------------------------
// ioctl numbers.

const IOC_NRBITS: u32 = 8;
const IOC_TYPEBITS: u32 = 8;
const IOC_SIZEBITS: u32 = 14;
const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT: u32 = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT: u32 = IOC_SIZESHIFT + IOC_SIZEBITS;
/// `_IOC_WRITE`: userspace writes the argument (asm-generic encoding, used by x86_64 and aarch64).
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`: userspace reads the argument back.
pub const IOC_READ: u32 = 2;

/// `_IOC(dir, type, nr, size)` in the asm-generic encoding shared by x86_64 and aarch64.
///
/// Panics at compile time (it is only used in constants) if `size` does not fit the 14-bit size field.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    assert!(size < (1 << IOC_SIZEBITS), "ioctl argument too large for _IOC");
    (dir << IOC_DIRSHIFT)
        | ((ty as u32) << IOC_TYPESHIFT)
        | ((nr as u32) << IOC_NRSHIFT)
        | ((size as u32) << IOC_SIZESHIFT)
}

/// `SECCOMP_IOC_MAGIC`, the ioctl type byte `'!'`.
pub const IOC_MAGIC: u8 = b'!';
/// `SECCOMP_IOCTL_NOTIF_RECV = _IOWR('!', 0, struct seccomp_notif)` (5.0).
pub const IOCTL_NOTIF_RECV: u32 = ioc(IOC_READ | IOC_WRITE, IOC_MAGIC, 0, size_of::<SeccompNotif>());
/// `SECCOMP_IOCTL_NOTIF_SEND = _IOWR('!', 1, struct seccomp_notif_resp)` (5.0).
pub const IOCTL_NOTIF_SEND: u32 = ioc(IOC_READ | IOC_WRITE, IOC_MAGIC, 1, size_of::<SeccompNotifResp>());
/// `SECCOMP_IOCTL_NOTIF_ID_VALID = _IOW('!', 2, __u64)` (5.9; see [`IOCTL_NOTIF_ID_VALID_LEGACY`]).
pub const IOCTL_NOTIF_ID_VALID: u32 = ioc(IOC_WRITE, IOC_MAGIC, 2, size_of::<u64>());
/// The 5.0 number of ID_VALID, `_IOR('!', 2, __u64)`: still accepted, and the only one before 5.9.
pub const IOCTL_NOTIF_ID_VALID_LEGACY: u32 = ioc(IOC_READ, IOC_MAGIC, 2, size_of::<u64>());
/// `SECCOMP_IOCTL_NOTIF_ADDFD = _IOW('!', 3, struct seccomp_notif_addfd)` (5.9).
pub const IOCTL_NOTIF_ADDFD: u32 = ioc(IOC_WRITE, IOC_MAGIC, 3, size_of::<SeccompNotifAddfd>());
/// `SECCOMP_IOCTL_NOTIF_SET_FLAGS = _IOW('!', 4, __u64)`; the flags are passed by value (6.6).
pub const IOCTL_NOTIF_SET_FLAGS: u32 = ioc(IOC_WRITE, IOC_MAGIC, 4, size_of::<u64>());

const _: () = {
    assert!(IOCTL_NOTIF_RECV == 0xc050_2100);
    assert!(IOCTL_NOTIF_SEND == 0xc018_2101);
    assert!(IOCTL_NOTIF_ID_VALID == 0x4008_2102);
    assert!(IOCTL_NOTIF_ID_VALID_LEGACY == 0x8008_2102);
    assert!(IOCTL_NOTIF_ADDFD == 0x4018_2103);
    assert!(IOCTL_NOTIF_SET_FLAGS == 0x4008_2104);
};

// ---------------------------------------------------------------------------------------------------------
// Structs.

/// `struct sock_filter`: one classic-BPF instruction.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SockFilter {
    /// The opcode: class, size/operation, mode/source bits.
    pub code: u16,
    /// Jump offset when a conditional jump's condition holds.
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

/// `struct seccomp_data`: what a filter sees of a syscall.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SeccompData {
    /// The syscall number as the architecture numbers it (x32 calls carry [`X32_SYSCALL_BIT`]).
    pub nr: i32,
    /// The `AUDIT_ARCH_*` value of the calling convention.
    pub arch: u32,
    /// The address of the syscall instruction.
    pub instruction_pointer: u64,
    /// The six syscall arguments, as full 64-bit registers.
    pub args: [u64; 6],
}

/// `struct seccomp_notif`: one notification, as `SECCOMP_IOCTL_NOTIF_RECV` returns it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SeccompNotif {
    /// The cookie that identifies this notification in responses and `ID_VALID`.
    pub id: u64,
    /// The target's thread id in the listener's pid namespace (0 if it is not visible there).
    pub pid: u32,
    /// Currently always 0.
    pub flags: u32,
    /// The syscall as the filter saw it.
    pub data: SeccompData,
}

/// `struct seccomp_notif_resp`: the answer to a notification, sent with `SECCOMP_IOCTL_NOTIF_SEND`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SeccompNotifResp {
    /// The notification's id.
    pub id: u64,
    /// The syscall's return value when `error` is 0.
    pub val: i64,
    /// A negative errno to fail the syscall with, or 0.
    pub error: i32,
    /// [`USER_NOTIF_FLAG_CONTINUE`] or 0.
    pub flags: u32,
}

/// `struct seccomp_notif_sizes`: what `SECCOMP_GET_NOTIF_SIZES` fills in.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SeccompNotifSizes {
    /// `sizeof(struct seccomp_notif)` in the running kernel.
    pub seccomp_notif: u16,
    /// `sizeof(struct seccomp_notif_resp)` in the running kernel.
    pub seccomp_notif_resp: u16,
    /// `sizeof(struct seccomp_data)` in the running kernel.
    pub seccomp_data: u16,
}

/// `struct seccomp_notif_addfd`: the argument of `SECCOMP_IOCTL_NOTIF_ADDFD`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct SeccompNotifAddfd {
    /// The notification's id.
    pub id: u64,
    /// [`ADDFD_FLAG_SETFD`] and/or [`ADDFD_FLAG_SEND`].
    pub flags: u32,
    /// The supervisor's fd to install.
    pub srcfd: u32,
    /// The fd number to use in the target with [`ADDFD_FLAG_SETFD`], else 0.
    pub newfd: u32,
    /// `O_CLOEXEC` or 0; nothing else is accepted.
    pub newfd_flags: u32,
}

/// The sizes of the structs as this crate defines them, in the shape `SECCOMP_GET_NOTIF_SIZES` reports.
pub const NOTIF_SIZES: SeccompNotifSizes = SeccompNotifSizes {
    seccomp_notif: size_of::<SeccompNotif>() as u16,
    seccomp_notif_resp: size_of::<SeccompNotifResp>() as u16,
    seccomp_data: size_of::<SeccompData>() as u16,
};

const _: () = {
    assert!(size_of::<SockFilter>() == 8);
    assert!(offset_of!(SockFilter, code) == 0);
    assert!(offset_of!(SockFilter, jt) == 2);
    assert!(offset_of!(SockFilter, jf) == 3);
    assert!(offset_of!(SockFilter, k) == 4);

    assert!(size_of::<SeccompData>() == 64);
    assert!(offset_of!(SeccompData, nr) == offset::NR as usize);
    assert!(offset_of!(SeccompData, arch) == offset::ARCH as usize);
    assert!(offset_of!(SeccompData, instruction_pointer) == offset::IP_LO as usize);
    assert!(offset_of!(SeccompData, args) == offset::arg_lo(0) as usize);

    assert!(size_of::<SeccompNotif>() == 80);
    assert!(offset_of!(SeccompNotif, id) == 0);
    assert!(offset_of!(SeccompNotif, pid) == 8);
    assert!(offset_of!(SeccompNotif, flags) == 12);
    assert!(offset_of!(SeccompNotif, data) == 16);

    assert!(size_of::<SeccompNotifResp>() == 24);
    assert!(offset_of!(SeccompNotifResp, id) == 0);
    assert!(offset_of!(SeccompNotifResp, val) == 8);
    assert!(offset_of!(SeccompNotifResp, error) == 16);
    assert!(offset_of!(SeccompNotifResp, flags) == 20);

    assert!(size_of::<SeccompNotifSizes>() == 6);
    assert!(offset_of!(SeccompNotifSizes, seccomp_notif) == 0);
    assert!(offset_of!(SeccompNotifSizes, seccomp_notif_resp) == 2);
    assert!(offset_of!(SeccompNotifSizes, seccomp_data) == 4);

    assert!(size_of::<SeccompNotifAddfd>() == 24);
    assert!(offset_of!(SeccompNotifAddfd, id) == 0);
    assert!(offset_of!(SeccompNotifAddfd, flags) == 8);
    assert!(offset_of!(SeccompNotifAddfd, srcfd) == 12);
    assert!(offset_of!(SeccompNotifAddfd, newfd) == 16);
    assert!(offset_of!(SeccompNotifAddfd, newfd_flags) == 20);
};

/// Byte offsets of the fields of `seccomp_data` as a filter loads them (`LD|W|ABS k`), little-endian.
pub mod offset {
    /// `nr`.
    pub const NR: u32 = 0;
    /// `arch`.
    pub const ARCH: u32 = 4;
    /// The low 32 bits of `instruction_pointer`.
    pub const IP_LO: u32 = 8;
    /// The high 32 bits of `instruction_pointer`.
    pub const IP_HI: u32 = 12;
    /// The size of `seccomp_data`: loads must stay below it.
    pub const END: u32 = 64;

    /// The low 32 bits of `args[index]` (`index` below 6).
    pub const fn arg_lo(index: u8) -> u32 {
        16 + 8 * index as u32
    }

    /// The high 32 bits of `args[index]` (`index` below 6).
    pub const fn arg_hi(index: u8) -> u32 {
        20 + 8 * index as u32
    }
}

impl SeccompData {
    /// The 32-bit word a filter's `LD|W|ABS offset` reads, or `None` when `offset` is not a 4-aligned offset
    /// below 64 (the kernel refuses such a filter at install time).
    pub fn word_at(&self, offset: u32) -> Option<u32> {
        if !offset.is_multiple_of(4) || offset >= offset::END {
            return None;
        }
        let bytes = self.as_bytes();
        let start = offset as usize;
        let word = bytes.get(start..start + 4)?;
        Some(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding from untrusted bytes.

/// Why bytes could not be decoded as an ABI struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the struct needs.
    Short {
        /// The struct's C name.
        what: &'static str,
        /// Its size.
        expected: usize,
        /// The number of bytes given.
        got: usize,
    },
    /// More bytes than the struct holds.
    Long {
        /// The struct's C name.
        what: &'static str,
        /// Its size.
        expected: usize,
        /// The number of bytes given.
        got: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Short { what, expected, got } => {
                write!(f, "truncated {what}: {got} bytes, expected {expected}")
            }
            DecodeError::Long { what, expected, got } => {
                write!(f, "oversized {what}: {got} bytes, expected {expected}")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// Reads a `T` from exactly `size_of::<T>()` bytes.
fn decode_exact<T: FromBytes>(what: &'static str, bytes: &[u8]) -> Result<T, DecodeError> {
    let expected = size_of::<T>();
    match bytes.len() {
        got if got < expected => Err(DecodeError::Short { what, expected, got }),
        got if got > expected => Err(DecodeError::Long { what, expected, got }),
        _ => T::read_from_bytes(bytes).map_err(|_| DecodeError::Short {
            what,
            expected,
            got: bytes.len(),
        }),
    }
}

macro_rules! decodable {
    ($($ty:ident => $c_name:literal),* $(,)?) => {$(
        impl $ty {
            /// The C name of this struct, for messages.
            pub const C_NAME: &'static str = $c_name;

            /// Decodes the struct from exactly its size in bytes (native endianness, as the kernel wrote
            /// it); a shorter or longer slice is an error that says which.
            pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
                decode_exact($c_name, bytes)
            }
        }
    )*};
}

decodable! {
    SockFilter => "sock_filter",
    SeccompData => "seccomp_data",
    SeccompNotif => "seccomp_notif",
    SeccompNotifResp => "seccomp_notif_resp",
    SeccompNotifSizes => "seccomp_notif_sizes",
    SeccompNotifAddfd => "seccomp_notif_addfd",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_short_and_long_input_for_every_struct() {
        fn check<T: FromBytes + IntoBytes + Immutable + Default + PartialEq + core::fmt::Debug>(
            decode: fn(&[u8]) -> Result<T, DecodeError>,
        ) {
            let size = size_of::<T>();
            let mut buf = [0xa5u8; 128];
            for (i, b) in buf.iter_mut().enumerate() {
                *b = i as u8;
            }
            let value = decode(&buf[..size]).expect("exact size decodes");
            assert_eq!(value.as_bytes(), &buf[..size], "decode keeps every byte");
            assert!(
                matches!(decode(&buf[..size - 1]), Err(DecodeError::Short { got, expected, .. }) if got == size - 1 && expected == size)
            );
            assert!(
                matches!(decode(&buf[..size + 1]), Err(DecodeError::Long { got, expected, .. }) if got == size + 1 && expected == size)
            );
            assert!(matches!(decode(&[]), Err(DecodeError::Short { got: 0, .. })));
        }
        check(SockFilter::decode);
        check(SeccompData::decode);
        check(SeccompNotif::decode);
        check(SeccompNotifResp::decode);
        check(SeccompNotifSizes::decode);
        check(SeccompNotifAddfd::decode);
    }

    #[test]
    fn word_at_reads_little_endian_halves_of_every_field() {
        let data = SeccompData {
            nr: -2,
            arch: AUDIT_ARCH_X86_64,
            instruction_pointer: 0x1122_3344_5566_7788,
            args: [0x0000_0001_0000_0002, 0, 0, 0, 0, u64::MAX],
        };
        assert_eq!(data.word_at(offset::NR), Some(0xffff_fffe));
        assert_eq!(data.word_at(offset::ARCH), Some(0xc000_003e));
        assert_eq!(data.word_at(offset::IP_LO), Some(0x5566_7788));
        assert_eq!(data.word_at(offset::IP_HI), Some(0x1122_3344));
        assert_eq!(data.word_at(offset::arg_lo(0)), Some(2));
        assert_eq!(data.word_at(offset::arg_hi(0)), Some(1));
        assert_eq!(data.word_at(offset::arg_hi(5)), Some(u32::MAX));
        assert_eq!(data.word_at(64), None);
        assert_eq!(data.word_at(2), None);
    }

    #[test]
    fn decode_error_messages_name_the_struct_and_sizes() {
        let err = SeccompNotif::decode(&[0; 10]).unwrap_err();
        assert_eq!(
            std::format!("{err}"),
            "truncated seccomp_notif: 10 bytes, expected 80"
        );
    }
}
