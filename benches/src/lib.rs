//! Inputs shared by the criterion benchmarks in `benches/`: realistic, deterministic fixtures built once per
//! benchmark so that the measured loop contains only the operation under test.
//!
//! Run the benchmarks with `cargo bench -p seccomp-benches`; `docs/performance.md` records the figures.
#![forbid(unsafe_code)]

use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData, SeccompNotif};
use zerocopy::IntoBytes;

/// The `seccomp_data` of `openat(AT_FDCWD, path, O_RDONLY)` on x86_64.
pub fn sample_data() -> SeccompData {
    SeccompData {
        nr: 257,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0x7f3a_1c2b_4d5e,
        args: [(-100i64) as u64, 0x5600_1234_5678, 0, 0, 0, 0],
    }
}

/// A notification for [`sample_data`] from pid 4242, as the bytes the kernel writes for
/// `SECCOMP_IOCTL_NOTIF_RECV` (native byte order): what a supervisor decodes.
pub fn sample_notification() -> [u8; size_of::<SeccompNotif>()] {
    let notif = SeccompNotif {
        id: 0x1d2c_3b4a_5968_7788,
        pid: 4242,
        flags: 0,
        data: sample_data(),
    };
    let mut out = [0u8; size_of::<SeccompNotif>()];
    out.copy_from_slice(notif.as_bytes());
    out
}
