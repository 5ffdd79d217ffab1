//! Hand-built filters and raw syscalls for the children.

use linux_raw_sys::general as nr;
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};

/// `AUDIT_ARCH_*` of the architecture the tests run on.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_ARCH: u32 = abi::AUDIT_ARCH_X86_64;
/// `AUDIT_ARCH_*` of the architecture the tests run on.
#[cfg(target_arch = "aarch64")]
pub const NATIVE_ARCH: u32 = abi::AUDIT_ARCH_AARCH64;

/// The syscall the tests filter: harmless, no arguments, and its real value (the parent's pid) is known.
pub const TARGET_NR: u32 = nr::__NR_getppid;

/// A filter returning `action` for syscall `number` and ALLOW for every other native syscall; a foreign
/// arch is killed.
pub fn on_syscall(number: u32, action: u32) -> [SockFilter; 7] {
    [
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, number, 0, 1),
        SockFilter::ret(action),
        SockFilter::ret(abi::RET_ALLOW),
    ]
}

/// [`on_syscall`] for [`TARGET_NR`].
pub fn on_target(action: u32) -> [SockFilter; 7] {
    on_syscall(TARGET_NR, action)
}

/// A one-instruction filter that allows everything.
pub const ALLOW_ALL: [SockFilter; 1] = [SockFilter::ret(abi::RET_ALLOW)];

/// A filter of exactly `len` instructions (at least 1) that allows everything: `len - 1` loads of `nr`
/// and a final `ret ALLOW`.
pub fn allow_all_of_len(len: usize) -> Vec<SockFilter> {
    let mut insns = vec![SockFilter::load_data(offset::NR); len.saturating_sub(1)];
    insns.push(SockFilter::ret(abi::RET_ALLOW));
    insns
}

/// The filtered syscall, made raw: `getppid()`.
pub fn target() -> Result<usize, rustix::io::Errno> {
    // SAFETY: getppid takes no arguments and changes nothing.
    unsafe { seccomp_sys::raw::syscall0(TARGET_NR) }
}

/// Validates a test filter with seccomp-core's validator (before the fork); a test filter that does not
/// validate is a bug in the test.
pub fn valid(insns: &[SockFilter]) -> seccomp_core::bpf::Validated<'_> {
    seccomp_core::bpf::validate(insns)
        .unwrap_or_else(|error| panic!("test filter does not validate: {error}"))
}
