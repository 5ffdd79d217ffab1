//! Reading a target's memory for a notification: path arguments with both access methods, strings at the
//! edge of a mapping, bounds, faults, and the re-validation that discards reads for a dead target.

mod common;

use common::{Outcome, Shared};
use linux_raw_sys::general as nr;
use rustix::io::Errno;
use rustix::mm::{MapFlags, ProtFlags};
use seccomp_core::abi;
use seccomp_sys::mem::{Access, CheckedReadError, MemError, PATH_MAX};
use seccomp_sys::{FilterFlags, Listener, Notification, Response};

const PAGE: usize = 4096;

/// A child that calls `openat(AT_FDCWD, path, O_RDONLY)` for each address in `paths` (openat notifies) and
/// stores each result in `shared[i]`.
fn openat_child(shared: &Shared, paths: &[usize]) -> (common::Child, Listener) {
    openat_child_with_hole(shared, paths, None)
}

/// [`openat_child`], but the child first unmaps the page at `hole` (in its own address space, where
/// nothing else can map it again).
fn openat_child_with_hole(
    shared: &Shared,
    paths: &[usize],
    hole: Option<usize>,
) -> (common::Child, Listener) {
    let filter = common::filters::on_syscall(nr::__NR_openat, abi::RET_USER_NOTIF);
    let body = || {
        if let Some(hole) = hole {
            // SAFETY: the page belongs to a test mapping that nothing in the child uses.
            if unsafe { rustix::mm::munmap(hole as *mut core::ffi::c_void, PAGE) }.is_err() {
                return 5;
            }
        }
        for (index, &path) in paths.iter().enumerate() {
            // SAFETY: openat only reads the path (the supervisor answers it; it never really runs).
            let result = unsafe {
                seccomp_sys::raw::syscall4(
                    nr::__NR_openat,
                    nr::AT_FDCWD as usize,
                    path,
                    nr::O_RDONLY as usize,
                    0,
                )
            };
            shared.set(index, common::encode(result));
        }
        0
    };
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    let (child, listener) = unsafe { common::spawn_with_listener(&filter, FilterFlags::EMPTY, body) };
    (child, listener.expect("listener"))
}

/// Reads the path argument of an openat notification with `access`.
fn read_path(
    listener: &Listener,
    notification: &Notification,
    access: Access,
) -> Result<Vec<u8>, CheckedReadError> {
    let addr = notification.args()[1];
    let mut buf = [0u8; PATH_MAX];
    listener.read_checked_with(notification, access, |memory| {
        memory
            .read_cstr(addr, &mut buf)
            .map(|path| path.to_bytes().to_vec())
    })
}

const ACCESSES: [Access; 3] = [Access::Auto, Access::VmReadv, Access::ProcMem];

#[test]
fn the_path_argument_of_openat_reads_back_with_every_access_method() {
    let _serial = common::serial();
    let long: Vec<u8> = (0..3000).map(|i| b'a' + (i % 26) as u8).collect();
    let paths: Vec<Vec<u8>> = vec![
        b"/etc/hostname\0".to_vec(),
        [b"/tmp/".as_slice(), &long, b"\0"].concat(),
    ];
    let addrs: Vec<usize> = paths.iter().map(|path| path.as_ptr() as usize).collect();
    for access in ACCESSES {
        let shared = Shared::new();
        let (child, listener) = openat_child(&shared, &addrs);
        for path in &paths {
            let notification = common::recv_one(&listener);
            assert_eq!(notification.nr(), nr::__NR_openat as i32);
            let read = read_path(&listener, &notification, access).expect("read path");
            assert_eq!(read, path[..path.len() - 1], "{access:?}");
            listener
                .respond(Response::errno(notification.id(), Errno::NOENT))
                .expect("respond");
        }
        assert_eq!(child.wait(), Outcome::Exited(0));
        let enoent = -i64::from(Errno::NOENT.raw_os_error());
        assert_eq!((shared.get(0), shared.get(1)), (enoent, enoent));
    }
}

/// Two fresh anonymous pages; the child unmaps the second one (see [`openat_child_with_hole`]).
fn two_pages() -> *mut u8 {
    // SAFETY: a fresh private mapping at a kernel-chosen address aliases nothing; it is never freed (leaked
    // on purpose for the test).
    let base = unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            2 * PAGE,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    };
    base.expect("mmap").cast()
}

#[test]
fn strings_ending_right_before_unmapped_memory_are_read_and_one_starting_there_faults() {
    let _serial = common::serial();
    let page = two_pages();
    let text = b"/end/of/page\0";
    // SAFETY: the first page is mapped read-write and exclusively ours; both writes stay inside it.
    let (at_end, unterminated) = unsafe {
        let at_end = page.add(PAGE - text.len());
        core::ptr::copy_nonoverlapping(text.as_ptr(), at_end, text.len());
        // Overwrite the NUL of a second copy further down so that it runs into the hole.
        let unterminated = page.add(PAGE - 2 * text.len());
        core::ptr::copy_nonoverlapping(text.as_ptr(), unterminated, text.len() - 1);
        *unterminated.add(text.len() - 1) = b'x';
        (at_end as usize, unterminated as usize)
    };
    for access in ACCESSES {
        let shared = Shared::new();
        // The second path starts in the hole; the third has no NUL of its own and runs on into the first,
        // which ends with a NUL right before the hole.
        let hole = page as usize + PAGE;
        let (child, listener) = openat_child_with_hole(&shared, &[at_end, hole, unterminated], Some(hole));
        let first = common::recv_one(&listener);
        assert_eq!(
            read_path(&listener, &first, access).expect("read"),
            b"/end/of/page",
            "{access:?}"
        );
        listener
            .respond(Response::errno(first.id(), Errno::NOENT))
            .expect("respond");

        let second = common::recv_one(&listener);
        assert_eq!(
            read_path(&listener, &second, access),
            Err(CheckedReadError::Memory(MemError::Fault { addr: hole as u64 })),
            "{access:?}"
        );
        listener
            .respond(Response::errno(second.id(), Errno::FAULT))
            .expect("respond");

        let third = common::recv_one(&listener);
        let mut joined = b"/end/of/pagex".to_vec();
        joined.extend_from_slice(b"/end/of/page");
        assert_eq!(
            read_path(&listener, &third, access).expect("read"),
            joined,
            "{access:?}"
        );
        listener
            .respond(Response::errno(third.id(), Errno::NOENT))
            .expect("respond");
        assert_eq!(child.wait(), Outcome::Exited(0));
    }
}

#[test]
fn a_string_without_nul_within_the_buffer_is_too_long() {
    let _serial = common::serial();
    let long = vec![b'z'; 2 * PATH_MAX];
    let shared = Shared::new();
    let (child, listener) = openat_child(&shared, &[long.as_ptr() as usize]);
    let notification = common::recv_one(&listener);
    let addr = notification.args()[1];
    assert_eq!(
        read_path(&listener, &notification, Access::Auto),
        Err(CheckedReadError::Memory(MemError::TooLong {
            addr,
            limit: PATH_MAX
        }))
    );
    // A buffer of any size is the bound.
    let mut small = [0u8; 10];
    let result = listener.read_checked(&notification, |memory| {
        memory.read_cstr(addr, &mut small).map(|_| ())
    });
    assert_eq!(
        result,
        Err(CheckedReadError::Memory(MemError::TooLong { addr, limit: 10 }))
    );
    listener
        .respond(Response::errno(notification.id(), Errno::NAMETOOLONG))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
    assert_eq!(shared.get(0), -i64::from(Errno::NAMETOOLONG.raw_os_error()));
}

#[test]
fn exact_reads_return_the_targets_bytes() {
    let _serial = common::serial();
    let data: Vec<u8> = (0..=255u8).cycle().take(3 * PAGE + 17).collect();
    let shared = Shared::new();
    let (child, listener) = openat_child(&shared, &[data.as_ptr() as usize]);
    let notification = common::recv_one(&listener);
    let addr = notification.args()[1];
    for access in ACCESSES {
        let mut buf = vec![0u8; data.len()];
        listener
            .read_checked_with(&notification, access, |memory| memory.read(addr, &mut buf))
            .expect("read");
        assert_eq!(buf, data, "{access:?}");
    }
    listener
        .respond(Response::value(notification.id(), 0))
        .expect("respond");
    assert_eq!(child.wait(), Outcome::Exited(0));
}

#[test]
fn memory_read_for_a_notification_whose_target_died_is_discarded() {
    let _serial = common::serial();
    let path = b"/etc/hostname\0";
    let shared = Shared::new();
    let (mut child, listener) = openat_child(&shared, &[path.as_ptr() as usize]);
    let notification = common::recv_one(&listener);
    child.kill_and_reap();
    for access in ACCESSES {
        assert_eq!(
            read_path(&listener, &notification, access),
            Err(CheckedReadError::NotificationGone),
            "{access:?}"
        );
    }
}
