//! Acting with the target's permissions: per-thread credentials in a worker thread.
//!
//! On Linux, uids, gids, supplementary groups and capabilities belong to each thread (glibc and musl make
//! `setuid` process-wide by signalling every thread; the raw syscalls, which rustix makes, do not). A
//! worker sets its own thread's effective uid and gid (and with them the filesystem uid and gid the kernel
//! checks file access with) to the target's fsuid and fsgid, its groups to the target's, and lowers its
//! effective capabilities to those the target has, does the work, and puts everything back.
//! The saved uid stays the supervisor's, which is what allows the way back.
//!
//! A thread that creates files for a target first calls `unshare(CLONE_FS)` once ([`private_fs_state`],
//! done by `emulate` the first time a thread needs it), so that its umask (set to the
//! target's for a creating open) is its own and not the whole supervisor's.
//!
//! # Safety
//!
//! The one `unsafe` call is `unshare(CLONE_FS)`, which rustix marks unsafe because unsharing state that
//! other threads of the process rely on can break them. `CLONE_FS` gives only the calling thread a copy of
//! the root, the working directory and the umask; no other thread's view changes, and no memory or fd
//! ownership is affected.
#![allow(unsafe_code)]

use crate::target::Credentials;
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use rustix::thread::{self, CapabilitySets};

/// `unshare(CLONE_FS)` for the calling thread: from now on its umask, root and cwd are its own.
pub fn private_fs_state() -> Result<(), Errno> {
    // SAFETY: CLONE_FS only gives this thread its own copy of the fs_struct (root, cwd, umask); see the
    // module documentation.
    unsafe { thread::unshare_unsafe(thread::UnshareFlags::FS) }
}

/// The calling thread's identity while it acts for a target; [`Assumed::restore`] (or dropping it) puts
/// the thread's own credentials back.
#[derive(Debug)]
pub struct Assumed {
    euid: Uid,
    egid: Gid,
    groups: Option<Vec<Gid>>,
    caps: CapabilitySets,
    /// Whether anything was changed (a target with the supervisor's own identity changes nothing, and
    /// then nothing is put back).
    changed: bool,
}

/// Switches the calling thread to the target's filesystem identity: groups, fsgid, fsuid (as effective
/// ids), and effective capabilities no larger than the target's. Fails (leaving the thread as it was) if
/// the supervisor lacks the privilege to become the target: it then must not act for it.
pub fn assume(target: &Credentials) -> Result<Assumed, Errno> {
    let caps = thread::capabilities(None)?;
    let euid = rustix::process::geteuid();
    let egid = rustix::process::getegid();
    let own_groups = rustix::process::getgroups()?;
    let wanted: Vec<Gid> = target.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let mut assumed = Assumed {
        euid,
        egid,
        groups: None,
        caps,
        changed: false,
    };
    let mut sorted_own = own_groups.clone();
    sorted_own.sort_unstable_by_key(|g| g.as_raw());
    let mut sorted_wanted = wanted.clone();
    sorted_wanted.sort_unstable_by_key(|g| g.as_raw());
    if sorted_own != sorted_wanted {
        assumed.changed = true;
        thread::set_thread_groups(&wanted)?;
        assumed.groups = Some(own_groups);
    }
    let fsgid = Gid::from_raw(target.fsgid());
    if fsgid != egid {
        assumed.changed = true;
        thread::set_thread_res_gid(None, Some(fsgid), None)?;
    }
    let fsuid = Uid::from_raw(target.fsuid());
    if fsuid != euid {
        assumed.changed = true;
        thread::set_thread_res_uid(None, Some(fsuid), None)?;
    }
    // Leaving uid 0 already cleared the effective set; for a root target, keep only what it has.
    let now = if assumed.changed {
        thread::capabilities(None)?
    } else {
        caps
    };
    let lowered = CapabilitySets {
        effective: now.effective & target.effective,
        permitted: now.permitted,
        inheritable: now.inheritable,
    };
    if lowered.effective != now.effective {
        assumed.changed = true;
        thread::set_capabilities(None, lowered)?;
    }
    Ok(assumed)
}

impl Assumed {
    /// Puts the thread's own credentials back: uid first (which returns the capabilities uid 0 had), then
    /// gid, groups and the exact capability sets. If that fails the process aborts (see [`Drop`]).
    pub fn restore(self) {
        drop(self);
    }

    fn put_back(&mut self) -> Result<(), Errno> {
        if !self.changed {
            return Ok(());
        }
        thread::set_thread_res_uid(None, Some(self.euid), None)?;
        thread::set_thread_res_gid(None, Some(self.egid), None)?;
        if let Some(groups) = self.groups.take() {
            thread::set_thread_groups(&groups)?;
        }
        thread::set_capabilities(None, self.caps)?;
        Ok(())
    }
}

impl Drop for Assumed {
    fn drop(&mut self) {
        if self.put_back().is_err() {
            // A worker left with a target's identity would act for the next target with the wrong
            // permissions; there is no safe way on.
            std::process::abort();
        }
    }
}
