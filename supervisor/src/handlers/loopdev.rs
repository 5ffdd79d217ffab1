//! A loop device over an image file, for mounting a filesystem image the target named.
//!
//! `LOOP_CTL_GET_FREE` on `/dev/loop-control` picks a free device, `LOOP_CONFIGURE` (5.8+) binds the
//! image fd to it in one step, read-only unless asked otherwise, with `LO_FLAGS_AUTOCLEAR` so the device
//! detaches itself when its last user (the mount) goes away.
//!
//! # Safety
//!
//! The two `ioctl` calls are raw syscalls: `LOOP_CTL_GET_FREE` takes no argument, and `LOOP_CONFIGURE`
//! reads exactly one `struct loop_config` (304 bytes, the size of [`LoopConfig`], asserted below) from a
//! live local. Neither writes memory of ours.
#![allow(unsafe_code)]

use linux_raw_sys::general as nr;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

const LOOP_CTL_GET_FREE: usize = 0x4C82;
const LOOP_CONFIGURE: usize = 0x4C0A;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

/// `struct loop_config`: the image fd, a block size (0: default) and a `struct loop_info64`.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    /// `struct loop_info64`, of which only `lo_flags` (byte 52) is set.
    info: [u8; 232],
    reserved: [u64; 8],
}

const _: () = assert!(size_of::<LoopConfig>() == 304);

/// An attached loop device: its number and an open fd of it.
#[derive(Debug)]
pub struct Loop {
    /// `N` of `/dev/loopN`.
    pub number: u32,
    /// The open device (keep it until the filesystem is mounted).
    pub device: OwnedFd,
}

fn ioctl(fd: impl AsFd, request: usize, arg: usize) -> Result<usize, Errno> {
    // SAFETY: see the module documentation: each request made here reads at most a live local.
    unsafe { seccomp_sys::raw::syscall3(nr::__NR_ioctl, fd.as_fd().as_raw_fd() as usize, request, arg) }
}

/// Attaches `image` to a free loop device, read-only unless `writable`.
pub fn attach(image: &OwnedFd, writable: bool) -> Result<Loop, Errno> {
    let control = rustix::fs::open("/dev/loop-control", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
    let mut flags = LO_FLAGS_AUTOCLEAR;
    if !writable {
        flags |= LO_FLAGS_READ_ONLY;
    }
    let mut info = [0u8; 232];
    info[52..56].copy_from_slice(&flags.to_ne_bytes());
    let config = LoopConfig {
        fd: image.as_raw_fd() as u32,
        block_size: 0,
        info,
        reserved: [0; 8],
    };
    // Another process may take the free device between the two calls: try a few.
    for _ in 0..8 {
        let number = ioctl(&control, LOOP_CTL_GET_FREE, 0)? as u32;
        let mode = if writable { OFlags::RDWR } else { OFlags::RDONLY };
        let device = rustix::fs::open(
            format!("/dev/loop{number}"),
            mode | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        match ioctl(&device, LOOP_CONFIGURE, (&raw const config) as usize) {
            Ok(_) => return Ok(Loop { number, device }),
            Err(Errno::BUSY) => continue,
            Err(errno) => return Err(errno),
        }
    }
    Err(Errno::BUSY)
}
