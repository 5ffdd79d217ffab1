//! Reading a notification's arguments from the target's memory.
//!
//! Every accessor is a method of [`Inspected`] and goes through `Listener::read_checked`
//! (`seccomp_sys::mem`): the bytes are handed back only if the notification was still outstanding after
//! they were read. The bytes are a snapshot: the target may change its memory right after, which is why an
//! [`Inspected`] call cannot be continued.

use crate::call::Inspected;
use seccomp_sys::mem::{CheckedReadError, MemError, PATH_MAX};
use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use zerocopy::FromBytes;

/// The longest sockaddr read (`sizeof(struct sockaddr_storage)`).
pub const SOCKADDR_MAX: usize = 128;

/// The length of an `AF_INET` address the kernel requires, `sizeof(struct sockaddr_in)`: it answers
/// `EINVAL` to a shorter one (`inet_bind_sk`, `tcp_v4_connect`, `ip4_datagram_connect`).
pub const SOCKADDR_IN_LEN: usize = 16;

/// The longest `AF_UNIX` address the kernel accepts, `sizeof(struct sockaddr_un)`: it answers `EINVAL`
/// to a longer one (`unix_validate_addr`).
pub const SOCKADDR_UN_LEN: usize = 110;

/// The shortest `AF_INET6` address the kernel accepts: `struct sockaddr_in6` of RFC 2133, without
/// `sin6_scope_id` (`SIN6_LEN_RFC2133`, include/uapi/linux/in6.h).
pub const SIN6_LEN_RFC2133: usize = 24;

/// A socket address read from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SockAddr {
    /// `AF_UNIX` with a path (up to the first NUL).
    UnixPath(Vec<u8>),
    /// `AF_UNIX` in the abstract namespace (the name after the leading NUL).
    UnixAbstract(Vec<u8>),
    /// `AF_UNIX` without a name (autobind).
    UnixUnnamed,
    /// `AF_INET`.
    Inet(SocketAddrV4),
    /// `AF_INET6`.
    Inet6(SocketAddrV6),
    /// Another family, or a length the kernel refuses for its family (`AF_INET` below
    /// [`SOCKADDR_IN_LEN`], `AF_INET6` below [`SIN6_LEN_RFC2133`], `AF_UNIX` above [`SOCKADDR_UN_LEN`]):
    /// the family and the raw bytes.
    Other {
        /// `sa_family`.
        family: u16,
        /// The bytes as read.
        bytes: Vec<u8>,
    },
}

impl SockAddr {
    /// Decodes the bytes of a `struct sockaddr` of `bytes.len()` bytes as the kernel would take them.
    pub fn parse(bytes: &[u8]) -> SockAddr {
        let family = match bytes {
            [a, b, ..] => u16::from_ne_bytes([*a, *b]),
            _ => {
                return SockAddr::Other {
                    family: 0,
                    bytes: bytes.to_vec(),
                };
            }
        };
        let rest = bytes.get(2..).unwrap_or(&[]);
        let other = || SockAddr::Other {
            family,
            bytes: bytes.to_vec(),
        };
        match family {
            // As unix_validate_addr: at most sizeof(struct sockaddr_un), else EINVAL.
            1 if bytes.len() > SOCKADDR_UN_LEN => other(),
            1 => match rest {
                [] => SockAddr::UnixUnnamed,
                [0, name @ ..] => SockAddr::UnixAbstract(name.to_vec()),
                path => {
                    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                    SockAddr::UnixPath(path.get(..end).unwrap_or(path).to_vec())
                }
            },
            // As the kernel takes a `sockaddr_in` (inet_bind_sk, tcp_v4_connect, ip4_datagram_connect):
            // all of its 16 bytes, else EINVAL.
            2 if bytes.len() < SOCKADDR_IN_LEN => other(),
            2 => match rest {
                [p0, p1, a, b, c, d, ..] => SockAddr::Inet(SocketAddrV4::new(
                    Ipv4Addr::new(*a, *b, *c, *d),
                    u16::from_be_bytes([*p0, *p1]),
                )),
                _ => other(),
            },
            // As the kernel takes a `sockaddr_in6` (inet6_bind, tcp_v6_connect, ip6_datagram_connect): at
            // least SIN6_LEN_RFC2133 bytes (the RFC 2133 struct without `sin6_scope_id`), else EINVAL;
            // the scope id is read only from a full 28-byte one and is 0 in a shorter one.
            10 => match rest {
                [p0, p1, f0, f1, f2, f3, address @ ..] => match address.first_chunk::<16>() {
                    Some(octets) => SockAddr::Inet6(SocketAddrV6::new(
                        Ipv6Addr::from(*octets),
                        u16::from_be_bytes([*p0, *p1]),
                        u32::from_be_bytes([*f0, *f1, *f2, *f3]),
                        address
                            .get(16..)
                            .and_then(<[u8]>::first_chunk::<4>)
                            .map_or(0, |scope| u32::from_ne_bytes(*scope)),
                    )),
                    None => other(),
                },
                _ => other(),
            },
            _ => other(),
        }
    }
}

impl Inspected<'_> {
    /// The NUL-terminated string argument `arg` (a path), at most [`PATH_MAX`] bytes with its NUL, as
    /// the kernel's `getname` takes it (longer: [`MemError::TooLong`], which the kernel answers
    /// `ENAMETOOLONG`).
    pub fn read_path(&mut self, arg: usize) -> Result<CString, CheckedReadError> {
        let addr = self.call().args().get(arg).copied().unwrap_or(0);
        self.read_cstr_at(addr, PATH_MAX)
    }

    /// The NUL-terminated string at `addr`, at most `limit` bytes with its NUL.
    pub fn read_cstr_at(&mut self, addr: u64, limit: usize) -> Result<CString, CheckedReadError> {
        let call = self.call();
        call.listener().read_checked(call.notification(), |memory| {
            let mut buf = vec![0u8; limit];
            let cstr = memory.read_cstr(addr, &mut buf)?;
            Ok(cstr.to_owned())
        })
    }

    /// `len` bytes at `addr`.
    pub fn read_bytes(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, CheckedReadError> {
        let call = self.call();
        call.listener().read_checked(call.notification(), |memory| {
            let mut buf = vec![0u8; len];
            memory.read(addr, &mut buf)?;
            Ok(buf)
        })
    }

    /// A fixed-size struct at `addr` (any `zerocopy::FromBytes` type, such as the ABI structs).
    pub fn read_struct<T: FromBytes>(&mut self, addr: u64) -> Result<T, CheckedReadError> {
        let bytes = self.read_bytes(addr, core::mem::size_of::<T>())?;
        T::read_from_bytes(&bytes).map_err(|_| CheckedReadError::Memory(MemError::Fault { addr }))
    }

    /// The socket address of `connect`/`bind`/`sendto` style arguments: the pointer in argument `addr_arg`
    /// and its length in `len_arg` (capped at [`SOCKADDR_MAX`], as the kernel refuses longer ones).
    pub fn read_sockaddr(&mut self, addr_arg: usize, len_arg: usize) -> Result<SockAddr, CheckedReadError> {
        let args = self.call().args();
        let addr = args.get(addr_arg).copied().unwrap_or(0);
        let len = (args.get(len_arg).copied().unwrap_or(0) as u32 as usize).min(SOCKADDR_MAX);
        let bytes = self.read_bytes(addr, len)?;
        Ok(SockAddr::parse(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_decode_per_family() {
        let mut unix = vec![1, 0];
        unix.extend_from_slice(b"/run/x.sock\0junk");
        assert_eq!(
            SockAddr::parse(&unix),
            SockAddr::UnixPath(b"/run/x.sock".to_vec())
        );
        assert_eq!(
            SockAddr::parse(&[1, 0, 0, b'a']),
            SockAddr::UnixAbstract(b"a".to_vec())
        );
        assert_eq!(SockAddr::parse(&[1, 0]), SockAddr::UnixUnnamed);
        let inet = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            SockAddr::parse(&inet),
            SockAddr::Inet(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080))
        );
        let mut inet6 = vec![10, 0, 0, 80, 0, 0, 0, 0];
        inet6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        inet6.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            SockAddr::parse(&inet6),
            SockAddr::Inet6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 80, 0, 0))
        );
        assert!(matches!(
            SockAddr::parse(&[2, 0, 1]),
            SockAddr::Other { family: 2, .. }
        ));
        assert!(matches!(SockAddr::parse(&[7]), SockAddr::Other { family: 0, .. }));
    }

    #[test]
    fn inet_takes_the_whole_sockaddr_in_as_the_kernel_does() {
        let inet = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0xaa, 0xbb, 0, 0, 0, 0, 0, 0];
        let address = SockAddr::Inet(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
        assert_eq!(SockAddr::parse(&inet), address);
        let mut storage = inet.to_vec();
        storage.resize(SOCKADDR_MAX, 0xff);
        assert_eq!(SockAddr::parse(&storage), address);
        // Shorter than sizeof(struct sockaddr_in): the kernel answers EINVAL, not an address (8 bytes
        // hold the port and the address, but the kernel does not take them).
        for len in 2..SOCKADDR_IN_LEN {
            assert_eq!(
                SockAddr::parse(&inet[..len]),
                SockAddr::Other {
                    family: 2,
                    bytes: inet[..len].to_vec()
                },
                "{len} bytes"
            );
        }
    }

    #[test]
    fn unix_takes_at_most_a_sockaddr_un_as_the_kernel_does() {
        let mut unix = [0u8; SOCKADDR_MAX];
        unix[..2].copy_from_slice(&1u16.to_ne_bytes());
        unix[2..8].copy_from_slice(b"/run/x");
        assert_eq!(
            SockAddr::parse(&unix[..SOCKADDR_UN_LEN]),
            SockAddr::UnixPath(b"/run/x".to_vec())
        );
        for len in SOCKADDR_UN_LEN + 1..=SOCKADDR_MAX {
            assert_eq!(
                SockAddr::parse(&unix[..len]),
                SockAddr::Other {
                    family: 1,
                    bytes: unix[..len].to_vec()
                },
                "{len} bytes"
            );
        }
    }

    #[test]
    fn inet6_takes_24_to_27_bytes_as_the_kernel_does_with_scope_id_0() {
        let mut full = vec![10, 0, 0x01, 0xbb, 0, 0x0a, 0xbc, 0xde];
        full.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        full.extend_from_slice(&7u32.to_ne_bytes());
        assert_eq!(full.len(), 28);
        let with_scope = |scope| SockAddr::Inet6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0xabcde, scope));
        assert_eq!(SockAddr::parse(&full), with_scope(7));
        // A longer buffer (sockaddr_storage) reads the same.
        let mut storage = full.clone();
        storage.resize(SOCKADDR_MAX, 0xff);
        assert_eq!(SockAddr::parse(&storage), with_scope(7));
        // SIN6_LEN_RFC2133 ..= 27: no scope id, which the kernel takes as 0.
        for len in SIN6_LEN_RFC2133..28 {
            assert_eq!(SockAddr::parse(&full[..len]), with_scope(0), "{len} bytes");
        }
        // Below it the kernel answers EINVAL: not an address.
        for len in 2..SIN6_LEN_RFC2133 {
            assert_eq!(
                SockAddr::parse(&full[..len]),
                SockAddr::Other {
                    family: 10,
                    bytes: full[..len].to_vec()
                },
                "{len} bytes"
            );
        }
    }
}
