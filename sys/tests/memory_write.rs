//! Writing into a target's memory for a notification (a handler filling a syscall's output buffer): bytes
//! land in the target with every access method, read-only memory faults with `process_vm_writev` as the
//! kernel's own `copy_to_user` would, and nothing is written for a notification whose target died.

mod common;

use common::{Outcome, Shared};
use linux_raw_sys::general as nr;
use rustix::mm::{MapFlags, ProtFlags};
use seccomp_core::abi;
use seccomp_sys::mem::{Access, CheckedReadError, MemError};
use seccomp_sys::{FilterFlags, Listener, Response};

const PAGE: usize = 4096;

/// A fresh anonymous page with protection `prot`, leaked on purpose.
fn page(prot: ProtFlags) -> *mut u8 {
    // SAFETY: a fresh private mapping at a kernel-chosen address aliases nothing; it is never freed.
    let base = unsafe { rustix::mm::mmap_anonymous(core::ptr::null_mut(), PAGE, prot, MapFlags::PRIVATE) };
    base.expect("mmap").cast()
}

/// A child that makes one notified `openat(AT_FDCWD, buf, 0)` and then stores `buf[..len]` (as read after
/// the answer) into the shared slots, one byte per slot.
fn child_reading_back(shared: &Shared, buf: usize, len: usize) -> (common::Child, Listener) {
    let filter = common::filters::on_syscall(nr::__NR_openat, abi::RET_USER_NOTIF);
    let body = || {
        // SAFETY: openat is answered by the supervisor; it never really runs.
        let result = unsafe { seccomp_sys::raw::syscall4(nr::__NR_openat, nr::AT_FDCWD as usize, buf, 0, 0) };
        if result != Ok(0) {
            return 3;
        }
        for index in 0..len {
            // SAFETY: `buf` points at `len` bytes of the child's own copy of a test mapping.
            let byte = unsafe { core::ptr::read_volatile((buf as *const u8).add(index)) };
            shared.set(index, i64::from(byte));
        }
        0
    };
    // SAFETY: the child only makes raw syscalls and reads its own memory and the shared page.
    let (child, listener) = unsafe { common::spawn_with_listener(&filter, FilterFlags::EMPTY, body) };
    (child, listener.expect("listener"))
}

#[test]
fn bytes_written_for_a_notification_are_seen_by_the_target_with_every_access_method() {
    let _serial = common::serial();
    for access in [Access::Auto, Access::VmReadv, Access::ProcMem] {
        let buf = page(ProtFlags::READ | ProtFlags::WRITE);
        // Straddle nothing, but start off-page-aligned to exercise the address arithmetic.
        let at = buf as usize + 100;
        let data: Vec<u8> = (1..=40u8).collect();
        let shared = Shared::new();
        let (child, listener) = child_reading_back(&shared, at, data.len());
        let notification = common::recv_one(&listener);
        listener
            .write_checked_with(&notification, access, notification.args()[1], &data)
            .expect("write");
        listener
            .respond(Response::value(notification.id(), 0))
            .expect("respond");
        assert_eq!(child.wait(), Outcome::Exited(0), "{access:?}");
        let back: Vec<u8> = (0..data.len()).map(|i| shared.get(i) as u8).collect();
        assert_eq!(back, data, "{access:?}");
    }
}

#[test]
fn writing_read_only_target_memory_with_process_vm_writev_faults_like_copy_to_user() {
    let _serial = common::serial();
    let buf = page(ProtFlags::READ);
    let shared = Shared::new();
    let (child, listener) = child_reading_back(&shared, buf as usize, 4);
    let notification = common::recv_one(&listener);
    let addr = notification.args()[1];
    assert_eq!(
        listener.write_checked_with(&notification, Access::VmReadv, addr, b"abcd"),
        Err(CheckedReadError::Memory(MemError::Fault { addr }))
    );
    listener
        .respond(Response::value(notification.id(), 0))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    // The page still reads as zeros in the target.
    assert_eq!((0..4).map(|i| shared.get(i)).collect::<Vec<_>>(), [0, 0, 0, 0]);
}

#[test]
fn nothing_is_written_for_a_notification_whose_target_died() {
    let _serial = common::serial();
    let buf = page(ProtFlags::READ | ProtFlags::WRITE);
    let shared = Shared::new();
    let (mut child, listener) = child_reading_back(&shared, buf as usize, 4);
    let notification = common::recv_one(&listener);
    child.kill_and_reap();
    for access in [Access::Auto, Access::VmReadv, Access::ProcMem] {
        assert_eq!(
            listener.write_checked_with(&notification, access, notification.args()[1], b"abcd"),
            Err(CheckedReadError::NotificationGone),
            "{access:?}"
        );
    }
}
