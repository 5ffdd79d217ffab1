//! Container handlers: syscalls a container cannot make itself (in its user namespace the kernel refuses
//! them), done for it by the supervisor when a rule vouches for them.
//!
//! - [`mknod`]: `mknod`/`mknodat` of listed device numbers. The node is made on a filesystem the host owns
//!   (a private tmpfs of the supervisor, never attached in the host) and bind-mounted over the target
//!   path in the target's mount namespace, as Incus and LXD do (`forkmknod`): a node on a filesystem
//!   mounted inside a user namespace (runc's `/dev` tmpfs there) could not be opened.
//! - [`mount`]: `mount` of listed filesystem types, sources and targets, done with the new mount API in
//!   the host (`fsopen`/`fsconfig`/`fsmount`, or `open_tree` for a bind) and moved into the target's mount
//!   namespace at the resolved target (`move_mount` in a thread that `setns`es there); `umount2` of what
//!   it mounted.
//! - [`sysinfo`]: the container's values (uptime since its pid namespace's init started, memory from its
//!   cgroup's limits, procs in its pid namespace), written into its buffer.
//! - [`module`]: `init_module`/`finit_module`: the image's name is read ([`seccomp_core::elf_module`]), the
//!   image itself is never loaded; the host's own copy of an allowlisted module is. `delete_module` of
//!   modules it loaded.
//!
//! [`Handlers::handle`] takes a [`Call`] and either answers it ([`Handled`]: the reply, the rule's
//! `file:line` and what was done, for the log) or hands it back untouched when it is not a syscall any
//! rule names. Every decision that reads target memory is answered by doing the work (never continue);
//! whatever a rule does not cover is refused with `EPERM`, as the kernel answers these calls in a user
//! namespace. A caller without the capability the call needs on the host (`CAP_MKNOD`, `CAP_SYS_ADMIN`,
//! `CAP_SYS_MODULE`, in its own user namespace: see [`required_capability`]) is refused too: the
//! handlers do for a container what its kernel would do for a privileged caller, never for anyone.

mod loopdev;
pub mod mknod;
pub mod module;
pub mod mount;
pub mod sysinfo;

use crate::answer::{Answer, ErrnoName};
use crate::call::{Call, Reply};
use crate::path::Lexical;
use rustix::io::Errno;
use std::sync::Mutex;

/// A device type in a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// `S_IFCHR`.
    Char,
    /// `S_IFBLK`.
    Block,
}

/// One allowed device: `major:minor`, optionally of one kind only (`c 1:3`, `b 7:0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// Char or block; `None`: either.
    pub kind: Option<DeviceKind>,
    /// The major number.
    pub major: u32,
    /// The minor number.
    pub minor: u32,
}

/// `emulate mknod mknodat if dev in [...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MknodRule {
    /// Where the rule was written (`file:line`), for logs.
    pub origin: String,
    /// The devices it allows.
    pub devices: Vec<Device>,
}

/// What a mount rule mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A filesystem of this type (`fstype == "ext4"`).
    Fstype(String),
    /// A bind mount (`bind`).
    Bind,
}

/// Mount flags a rule allows; everything not allowed is forced off (`nosuid`, `nodev`, `noexec`) or on
/// (read-only for block devices and images).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MountAllow {
    /// `rw`: a block device or image may be mounted read-write (a bind keeps what the target asked).
    pub rw: bool,
    /// `suid`.
    pub suid: bool,
    /// `dev`.
    pub dev: bool,
    /// `exec`.
    pub exec: bool,
}

/// `emulate mount if ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountRule {
    /// Where the rule was written (`file:line`).
    pub origin: String,
    /// What it mounts.
    pub kind: MountKind,
    /// `source under "DIR"` (in the target's view); `None`: any source (only for filesystems without one,
    /// such as `tmpfs`).
    pub source_under: Option<Lexical>,
    /// `target under "DIR"` (in the target's view). Required: a mount anywhere could cover `/proc`.
    pub target_under: Lexical,
    /// The flags it allows.
    pub allow: MountAllow,
}

/// `emulate finit_module init_module if module in [...]` (with `delete_module` if named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRule {
    /// Where the rule was written (`file:line`).
    pub origin: String,
    /// The allowed module names (`-` and `_` alike).
    pub names: Vec<String>,
    /// Which of `init_module`, `finit_module`, `delete_module` the rule names.
    pub syscalls: Vec<String>,
    /// `params`: module parameters from the target are passed on; otherwise a call with parameters is
    /// refused.
    pub params: bool,
}

/// The handler set: rules for each handler, plus the state of what was done (mounts and modules that
/// may be undone).
#[derive(Debug, Default)]
pub struct Handlers {
    /// mknod rules.
    pub mknod: Vec<MknodRule>,
    /// mount rules, tried in order.
    pub mounts: Vec<MountRule>,
    /// `emulate sysinfo`, with its origin.
    pub sysinfo: Option<String>,
    /// module rules.
    pub modules: Vec<ModuleRule>,
    /// Where the host's modules live; `None`: `/lib/modules/$(uname -r)`.
    pub modules_dir: Option<std::path::PathBuf>,
    state: Mutex<State>,
}

/// What the handlers did that can be undone.
#[derive(Debug, Default)]
struct State {
    /// Mounts made: (target mount namespace inode, path inside the target's root).
    mounts: Vec<(u64, Vec<u8>)>,
    /// Modules loaded.
    modules: Vec<String>,
}

/// A handled call: the reply, and what the log should say.
#[derive(Debug)]
pub struct Handled {
    /// The reply to deliver.
    pub reply: Reply,
    /// The rule that decided (`file:line`), when one did.
    pub rule: Option<String>,
    /// What was done or why it was refused, in a few words.
    pub detail: String,
}

impl Handled {
    fn new(reply: Reply, rule: Option<&str>, detail: impl Into<String>) -> Handled {
        Handled {
            reply,
            rule: rule.map(str::to_owned),
            detail: detail.into(),
        }
    }
}

/// The errno for a failed read of target memory: `EFAULT` for unreadable memory, `ENAMETOOLONG` for a
/// string without NUL, `ESRCH` when the target is gone.
pub(crate) fn read_errno(error: seccomp_sys::mem::CheckedReadError) -> Errno {
    use seccomp_sys::mem::{CheckedReadError, MemError};
    match error {
        CheckedReadError::Memory(MemError::Fault { .. }) => Errno::FAULT,
        CheckedReadError::Memory(MemError::TooLong { .. }) => Errno::NAMETOOLONG,
        CheckedReadError::Memory(MemError::Os(errno)) | CheckedReadError::IdValid(errno) => errno,
        _ => Errno::SRCH,
    }
}

impl Handlers {
    /// An empty handler set (no rules: every call is handed back).
    pub fn new() -> Handlers {
        Handlers::default()
    }

    /// Whether any rule names the syscall `name`.
    pub fn names(&self, name: &str) -> bool {
        match name {
            "mknod" | "mknodat" => !self.mknod.is_empty(),
            "mount" | "umount2" | "umount" => !self.mounts.is_empty(),
            "sysinfo" => self.sysinfo.is_some(),
            "init_module" | "finit_module" | "delete_module" => self
                .modules
                .iter()
                .any(|rule| rule.syscalls.iter().any(|s| s == name)),
            _ => false,
        }
    }

    /// Handles `call` if a rule names its syscall; otherwise hands it back untouched.
    // Handing the call back by value is the point: the caller answers it another way.
    #[allow(clippy::result_large_err)]
    pub fn handle<'a>(&self, call: Call<'a>) -> Result<Handled, Call<'a>> {
        let Some(name) = call.name() else {
            return Err(call);
        };
        if !self.names(name) {
            return Err(call);
        }
        if let Some((capability, label)) = required_capability(name, call.args()) {
            let held = call
                .status()
                .map(|status| status.credentials.effective.contains(capability));
            match held {
                Ok(true) => {}
                Ok(false) => {
                    return Ok(Handled::new(
                        call.answer(Answer::Errno(Errno::PERM)),
                        None,
                        format!("the caller lacks {label} (in its own user namespace)"),
                    ));
                }
                Err(errno) => {
                    return Ok(Handled::new(
                        call.answer(Answer::Errno(errno)),
                        None,
                        format!("cannot read the caller's capabilities: {}", ErrnoName(errno)),
                    ));
                }
            }
        }
        Ok(match name {
            "mknod" | "mknodat" => mknod::handle(self, call, name == "mknodat"),
            "mount" => mount::handle_mount(self, call),
            "umount2" | "umount" => mount::handle_umount(self, call),
            "sysinfo" => sysinfo::handle(self, call),
            "delete_module" => module::handle_delete(self, call),
            _ => module::handle_load(self, call, name == "finit_module"),
        })
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut state)
    }
}

/// The capability a privileged kernel asks of the caller of `name` with these arguments: `CAP_MKNOD` for
/// a device node, `CAP_SYS_ADMIN` for mount and umount, `CAP_SYS_MODULE` for the module calls; `None`
/// for sysinfo and for mknod of a FIFO, socket or regular file.
///
/// The handlers act for a container as if its kernel trusted it with these calls, never for more: a
/// caller must hold the capability in its effective set (a capability of its own user namespace, which
/// container root has and an unprivileged user in the container has not), or it gets `EPERM`, as a
/// process without the capability gets from the kernel on the host.
pub fn required_capability(
    name: &str,
    args: [u64; 6],
) -> Option<(rustix::thread::CapabilitySet, &'static str)> {
    use rustix::thread::CapabilitySet;
    match name {
        "mknod" | "mknodat" => {
            let mode = if name == "mknodat" { args[2] } else { args[1] } as u32;
            let file_type = mode & 0o170_000;
            (file_type == 0o020_000 || file_type == 0o060_000).then_some((CapabilitySet::MKNOD, "CAP_MKNOD"))
        }
        "mount" | "umount2" | "umount" => Some((CapabilitySet::SYS_ADMIN, "CAP_SYS_ADMIN")),
        "init_module" | "finit_module" | "delete_module" => {
            Some((CapabilitySet::SYS_MODULE, "CAP_SYS_MODULE"))
        }
        _ => None,
    }
}

/// Runs `work` on a fresh thread that first joins the mount namespace `mnt_ns` (an fd of
/// `/proc/PID/ns/mnt`), so that mounts it attaches land in the target's namespace and nothing of the
/// supervisor's own threads changes; the thread ends afterwards.
pub(crate) fn in_mount_namespace<R: Send + 'static>(
    mnt_ns: rustix::fd::OwnedFd,
    work: impl FnOnce() -> Result<R, Errno> + Send + 'static,
) -> Result<R, Errno> {
    let thread = std::thread::Builder::new()
        .name("seccomp-mntns".into())
        .spawn(move || {
            // setns(CLONE_NEWNS) needs a thread whose fs_struct (root, cwd) is its own.
            crate::creds::private_fs_state()?;
            rustix::thread::move_into_link_name_space(
                rustix::fd::AsFd::as_fd(&mnt_ns),
                Some(rustix::thread::LinkNameSpaceType::Mount),
            )?;
            work()
        })
        .map_err(|_| Errno::AGAIN)?;
    thread.join().unwrap_or(Err(Errno::IO))
}

/// `/proc/PID/ns/mnt` of the call's target, opened and re-validated.
pub(crate) fn mount_namespace(call: &Call<'_>) -> Result<rustix::fd::OwnedFd, Errno> {
    let pid = call.pid().ok_or(Errno::SRCH)?;
    let fd = rustix::fs::open(
        format!("/proc/{pid}/ns/mnt"),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    call.check()?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::thread::CapabilitySet;

    #[test]
    fn each_handled_call_needs_the_capability_the_kernel_asks_for() {
        let char_dev = [0, 0o020_666, 0x103, 0, 0, 0];
        let fifo = [0, 0o010_666, 0, 0, 0, 0];
        let at_block = [0, 0, 0o060_600, 0x700, 0, 0];
        let cap = |name, args| required_capability(name, args).map(|(set, _)| set);
        assert_eq!(cap("mknod", char_dev), Some(CapabilitySet::MKNOD));
        assert_eq!(cap("mknodat", at_block), Some(CapabilitySet::MKNOD));
        assert_eq!(cap("mknod", fifo), None, "a FIFO is the kernel's to allow");
        assert_eq!(cap("mount", fifo), Some(CapabilitySet::SYS_ADMIN));
        assert_eq!(cap("umount2", fifo), Some(CapabilitySet::SYS_ADMIN));
        assert_eq!(cap("finit_module", fifo), Some(CapabilitySet::SYS_MODULE));
        assert_eq!(cap("delete_module", fifo), Some(CapabilitySet::SYS_MODULE));
        assert_eq!(cap("sysinfo", fifo), None);
    }
}
