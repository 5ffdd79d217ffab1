//! [`FilterFlags`]: the typed `flags` argument of `SECCOMP_SET_MODE_FILTER`.

use core::fmt;
use core::ops::{BitOr, BitOrAssign};
use seccomp_core::abi;

/// The flags of `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`, a set of `SECCOMP_FILTER_FLAG_*` bits.
///
/// Unknown bits are kept as given ([`FilterFlags::from_bits_retain`]) so that probing can ask the kernel
/// about flags newer than this crate; the kernel answers `EINVAL` for any bit it does not know.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FilterFlags(u32);

impl FilterFlags {
    /// No flags.
    pub const EMPTY: FilterFlags = FilterFlags(0);
    /// `SECCOMP_FILTER_FLAG_TSYNC`: install on every thread of the process, or fail (3.17).
    pub const TSYNC: FilterFlags = FilterFlags(abi::FILTER_FLAG_TSYNC);
    /// `SECCOMP_FILTER_FLAG_LOG`: log every action except ALLOW (4.14).
    pub const LOG: FilterFlags = FilterFlags(abi::FILTER_FLAG_LOG);
    /// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: leave the speculative-store-bypass mitigation alone (4.17).
    pub const SPEC_ALLOW: FilterFlags = FilterFlags(abi::FILTER_FLAG_SPEC_ALLOW);
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER`: return a user-notification listener fd (5.0).
    pub const NEW_LISTENER: FilterFlags = FilterFlags(abi::FILTER_FLAG_NEW_LISTENER);
    /// `SECCOMP_FILTER_FLAG_TSYNC_ESRCH`: report a TSYNC failure as `ESRCH`; required to combine TSYNC with
    /// NEW_LISTENER (5.7).
    pub const TSYNC_ESRCH: FilterFlags = FilterFlags(abi::FILTER_FLAG_TSYNC_ESRCH);
    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`: once received, only a fatal signal interrupts the target's
    /// wait; requires NEW_LISTENER (5.19).
    pub const WAIT_KILLABLE_RECV: FilterFlags = FilterFlags(abi::FILTER_FLAG_WAIT_KILLABLE_RECV);

    /// Every flag this crate knows, with its name, in bit order.
    pub const NAMED: [(FilterFlags, &'static str); 6] = [
        (FilterFlags::TSYNC, "tsync"),
        (FilterFlags::LOG, "log"),
        (FilterFlags::SPEC_ALLOW, "spec_allow"),
        (FilterFlags::NEW_LISTENER, "new_listener"),
        (FilterFlags::TSYNC_ESRCH, "tsync_esrch"),
        (FilterFlags::WAIT_KILLABLE_RECV, "wait_killable_recv"),
    ];

    /// The flags from raw bits, keeping bits this crate does not know.
    pub const fn from_bits_retain(bits: u32) -> FilterFlags {
        FilterFlags(bits)
    }

    /// The raw bits passed to the kernel.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: FilterFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` with the bits of `other` added.
    pub const fn union(self, other: FilterFlags) -> FilterFlags {
        FilterFlags(self.0 | other.0)
    }

    /// `self` with the bits of `other` removed.
    pub const fn difference(self, other: FilterFlags) -> FilterFlags {
        FilterFlags(self.0 & !other.0)
    }
}

impl BitOr for FilterFlags {
    type Output = FilterFlags;

    fn bitor(self, rhs: FilterFlags) -> FilterFlags {
        self.union(rhs)
    }
}

impl BitOrAssign for FilterFlags {
    fn bitor_assign(&mut self, rhs: FilterFlags) {
        *self = self.union(rhs);
    }
}

/// Lists the flag names separated by `|` (`tsync|new_listener`), unknown bits as hex, `empty` for none.
impl fmt::Display for FilterFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("empty");
        }
        let mut rest = *self;
        let mut first = true;
        for (flag, name) in FilterFlags::NAMED {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
                rest = rest.difference(flag);
            }
        }
        if !rest.is_empty() {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{:#x}", rest.0)?;
        }
        Ok(())
    }
}

impl fmt::Debug for FilterFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FilterFlags({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn display_names_known_bits_and_keeps_unknown_ones() {
        assert_eq!(FilterFlags::EMPTY.to_string(), "empty");
        assert_eq!(
            (FilterFlags::TSYNC | FilterFlags::NEW_LISTENER).to_string(),
            "tsync|new_listener"
        );
        assert_eq!(
            FilterFlags::from_bits_retain(abi::FILTER_FLAG_LOG | 0x100).to_string(),
            "log|0x100"
        );
    }

    #[test]
    fn named_flags_cover_exactly_the_headers_flags() {
        let all = FilterFlags::NAMED
            .iter()
            .fold(FilterFlags::EMPTY, |acc, (flag, _)| acc | *flag);
        assert_eq!(all.bits(), abi::FILTER_FLAGS_ALL);
    }
}
