//! Cross-checks the ABI module against `linux-raw-sys` (bindgen output of the kernel's UAPI headers): every
//! constant, every struct size and every field offset must agree.

use core::mem::{offset_of, size_of};
use linux_raw_sys::ptrace as k;
use seccomp_core::abi::*;

#[test]
fn constants_match_the_uapi_headers() {
    let pairs: &[(&str, u32, u32)] = &[
        ("MODE_DISABLED", MODE_DISABLED, k::SECCOMP_MODE_DISABLED),
        ("MODE_STRICT", MODE_STRICT, k::SECCOMP_MODE_STRICT),
        ("MODE_FILTER", MODE_FILTER, k::SECCOMP_MODE_FILTER),
        ("SET_MODE_STRICT", SET_MODE_STRICT, k::SECCOMP_SET_MODE_STRICT),
        ("SET_MODE_FILTER", SET_MODE_FILTER, k::SECCOMP_SET_MODE_FILTER),
        ("GET_ACTION_AVAIL", GET_ACTION_AVAIL, k::SECCOMP_GET_ACTION_AVAIL),
        ("GET_NOTIF_SIZES", GET_NOTIF_SIZES, k::SECCOMP_GET_NOTIF_SIZES),
        (
            "FILTER_FLAG_TSYNC",
            FILTER_FLAG_TSYNC,
            k::SECCOMP_FILTER_FLAG_TSYNC,
        ),
        ("FILTER_FLAG_LOG", FILTER_FLAG_LOG, k::SECCOMP_FILTER_FLAG_LOG),
        (
            "FILTER_FLAG_SPEC_ALLOW",
            FILTER_FLAG_SPEC_ALLOW,
            k::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        ),
        (
            "FILTER_FLAG_NEW_LISTENER",
            FILTER_FLAG_NEW_LISTENER,
            k::SECCOMP_FILTER_FLAG_NEW_LISTENER,
        ),
        (
            "FILTER_FLAG_TSYNC_ESRCH",
            FILTER_FLAG_TSYNC_ESRCH,
            k::SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
        ),
        (
            "FILTER_FLAG_WAIT_KILLABLE_RECV",
            FILTER_FLAG_WAIT_KILLABLE_RECV,
            k::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        ),
        ("RET_KILL_PROCESS", RET_KILL_PROCESS, k::SECCOMP_RET_KILL_PROCESS),
        ("RET_KILL_THREAD", RET_KILL_THREAD, k::SECCOMP_RET_KILL_THREAD),
        ("RET_TRAP", RET_TRAP, k::SECCOMP_RET_TRAP),
        ("RET_ERRNO", RET_ERRNO, k::SECCOMP_RET_ERRNO),
        ("RET_USER_NOTIF", RET_USER_NOTIF, k::SECCOMP_RET_USER_NOTIF),
        ("RET_TRACE", RET_TRACE, k::SECCOMP_RET_TRACE),
        ("RET_LOG", RET_LOG, k::SECCOMP_RET_LOG),
        ("RET_ALLOW", RET_ALLOW, k::SECCOMP_RET_ALLOW),
        ("RET_ACTION_FULL", RET_ACTION_FULL, k::SECCOMP_RET_ACTION_FULL),
        ("RET_ACTION", RET_ACTION, k::SECCOMP_RET_ACTION),
        ("RET_DATA", RET_DATA, k::SECCOMP_RET_DATA),
        (
            "USER_NOTIF_FLAG_CONTINUE",
            USER_NOTIF_FLAG_CONTINUE,
            k::SECCOMP_USER_NOTIF_FLAG_CONTINUE,
        ),
        (
            "USER_NOTIF_FD_SYNC_WAKE_UP",
            USER_NOTIF_FD_SYNC_WAKE_UP as u32,
            k::SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
        ),
        ("ADDFD_FLAG_SETFD", ADDFD_FLAG_SETFD, k::SECCOMP_ADDFD_FLAG_SETFD),
        ("ADDFD_FLAG_SEND", ADDFD_FLAG_SEND, k::SECCOMP_ADDFD_FLAG_SEND),
        ("AUDIT_ARCH_X86_64", AUDIT_ARCH_X86_64, k::AUDIT_ARCH_X86_64),
        ("AUDIT_ARCH_I386", AUDIT_ARCH_I386, k::AUDIT_ARCH_I386),
        ("AUDIT_ARCH_AARCH64", AUDIT_ARCH_AARCH64, k::AUDIT_ARCH_AARCH64),
        ("AUDIT_ARCH_ARM", AUDIT_ARCH_ARM, k::AUDIT_ARCH_ARM),
        ("BPF_MAXINSNS", BPF_MAXINSNS as u32, k::BPF_MAXINSNS),
        ("BPF_MEMWORDS", BPF_MEMWORDS as u32, k::BPF_MEMWORDS),
        ("IOC_MAGIC", u32::from(IOC_MAGIC), u32::from(k::SECCOMP_IOC_MAGIC)),
    ];
    for &(name, ours, theirs) in pairs {
        assert_eq!(ours, theirs, "{name}: ours {ours:#x}, linux-raw-sys {theirs:#x}");
    }
    assert_eq!(FILTER_FLAGS_ALL, 0x3f);
}

#[test]
fn struct_sizes_and_offsets_match_the_uapi_headers() {
    assert_eq!(size_of::<SockFilter>(), size_of::<k::sock_filter>());
    assert_eq!(offset_of!(SockFilter, code), offset_of!(k::sock_filter, code));
    assert_eq!(offset_of!(SockFilter, jt), offset_of!(k::sock_filter, jt));
    assert_eq!(offset_of!(SockFilter, jf), offset_of!(k::sock_filter, jf));
    assert_eq!(offset_of!(SockFilter, k), offset_of!(k::sock_filter, k));

    assert_eq!(size_of::<SeccompData>(), size_of::<k::seccomp_data>());
    assert_eq!(offset_of!(SeccompData, nr), offset_of!(k::seccomp_data, nr));
    assert_eq!(offset_of!(SeccompData, arch), offset_of!(k::seccomp_data, arch));
    assert_eq!(
        offset_of!(SeccompData, instruction_pointer),
        offset_of!(k::seccomp_data, instruction_pointer)
    );
    assert_eq!(offset_of!(SeccompData, args), offset_of!(k::seccomp_data, args));

    assert_eq!(size_of::<SeccompNotif>(), size_of::<k::seccomp_notif>());
    assert_eq!(offset_of!(SeccompNotif, id), offset_of!(k::seccomp_notif, id));
    assert_eq!(offset_of!(SeccompNotif, pid), offset_of!(k::seccomp_notif, pid));
    assert_eq!(
        offset_of!(SeccompNotif, flags),
        offset_of!(k::seccomp_notif, flags)
    );
    assert_eq!(offset_of!(SeccompNotif, data), offset_of!(k::seccomp_notif, data));

    assert_eq!(size_of::<SeccompNotifResp>(), size_of::<k::seccomp_notif_resp>());
    assert_eq!(
        offset_of!(SeccompNotifResp, id),
        offset_of!(k::seccomp_notif_resp, id)
    );
    assert_eq!(
        offset_of!(SeccompNotifResp, val),
        offset_of!(k::seccomp_notif_resp, val)
    );
    assert_eq!(
        offset_of!(SeccompNotifResp, error),
        offset_of!(k::seccomp_notif_resp, error)
    );
    assert_eq!(
        offset_of!(SeccompNotifResp, flags),
        offset_of!(k::seccomp_notif_resp, flags)
    );

    assert_eq!(
        size_of::<SeccompNotifSizes>(),
        size_of::<k::seccomp_notif_sizes>()
    );
    assert_eq!(
        offset_of!(SeccompNotifSizes, seccomp_notif_resp),
        offset_of!(k::seccomp_notif_sizes, seccomp_notif_resp)
    );
    assert_eq!(
        offset_of!(SeccompNotifSizes, seccomp_data),
        offset_of!(k::seccomp_notif_sizes, seccomp_data)
    );

    assert_eq!(
        size_of::<SeccompNotifAddfd>(),
        size_of::<k::seccomp_notif_addfd>()
    );
    assert_eq!(
        offset_of!(SeccompNotifAddfd, id),
        offset_of!(k::seccomp_notif_addfd, id)
    );
    assert_eq!(
        offset_of!(SeccompNotifAddfd, flags),
        offset_of!(k::seccomp_notif_addfd, flags)
    );
    assert_eq!(
        offset_of!(SeccompNotifAddfd, srcfd),
        offset_of!(k::seccomp_notif_addfd, srcfd)
    );
    assert_eq!(
        offset_of!(SeccompNotifAddfd, newfd),
        offset_of!(k::seccomp_notif_addfd, newfd)
    );
    assert_eq!(
        offset_of!(SeccompNotifAddfd, newfd_flags),
        offset_of!(k::seccomp_notif_addfd, newfd_flags)
    );

    assert_eq!(NOTIF_SIZES.seccomp_notif, 80);
    assert_eq!(NOTIF_SIZES.seccomp_notif_resp, 24);
    assert_eq!(NOTIF_SIZES.seccomp_data, 64);
}

#[test]
fn ioctl_numbers_match_the_documented_values() {
    // The C macros are not in linux-raw-sys; these are the values `_IOWR('!', ...)` gives in C on x86_64
    // and aarch64 (asm-generic encoding), as listed in the kernel notes.
    assert_eq!(IOCTL_NOTIF_RECV, 0xc050_2100);
    assert_eq!(IOCTL_NOTIF_SEND, 0xc018_2101);
    assert_eq!(IOCTL_NOTIF_ID_VALID, 0x4008_2102);
    assert_eq!(IOCTL_NOTIF_ID_VALID_LEGACY, 0x8008_2102);
    assert_eq!(IOCTL_NOTIF_ADDFD, 0x4018_2103);
    assert_eq!(IOCTL_NOTIF_SET_FLAGS, 0x4008_2104);
    // And the generic encoder agrees with linux-raw-sys's own _IOC-derived constants for another ioctl.
    assert_eq!(
        ioc(IOC_READ, b'T', 0x30, size_of::<u32>()),
        linux_raw_sys::ioctl::TIOCGPTN,
        "_IOR('T', 0x30, unsigned int)"
    );
}
