//! [`Features`]: everything [`crate::probe`] can find out about the running kernel, in one struct whose
//! `Display` is what the CLI prints.

use crate::flags::FilterFlags;
use crate::probe::{self, ListenerIoctls, ProbeError, Release, Support};
use core::fmt;
use rustix::io::Errno;
use seccomp_core::abi::{self, SeccompNotifSizes};
use seccomp_core::action::Action;

/// The eight actions, by name, in the kernel's order of precedence.
pub const ACTIONS: [(&str, Action); 8] = [
    ("kill_process", Action::KILL_PROCESS),
    ("kill_thread", Action::KILL_THREAD),
    ("trap", Action::TRAP),
    ("errno", Action(abi::RET_ERRNO)),
    ("user_notif", Action::NOTIFY),
    ("trace", Action(abi::RET_TRACE)),
    ("log", Action::LOG),
    ("allow", Action::ALLOW),
];

/// What the running kernel supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// The kernel release from `uname`.
    pub release: Release,
    /// `SECCOMP_GET_ACTION_AVAIL` for each action of [`ACTIONS`], in the same order.
    pub actions: [Support; 8],
    /// The filter flag bits the kernel knows.
    pub filter_flags: Result<FilterFlags, Errno>,
    /// `SECCOMP_GET_NOTIF_SIZES`.
    pub notif_sizes: Result<SeccompNotifSizes, Errno>,
    /// The listener ioctls (probed in a forked child).
    pub listener_ioctls: Result<ListenerIoctls, ProbeError>,
}

impl Features {
    /// Probes everything. Forks one short-lived child for the listener ioctls; installs nothing in the
    /// caller.
    pub fn probe() -> Features {
        Features {
            release: probe::kernel_release(),
            actions: ACTIONS.map(|(_, action)| probe::action_available(action)),
            filter_flags: probe::known_filter_flags(),
            notif_sizes: probe::notif_sizes(),
            listener_ioctls: probe::listener_ioctls(),
        }
    }

    /// Whether the kernel has `action` (by its action bits).
    pub fn action(&self, action: Action) -> Support {
        ACTIONS
            .iter()
            .zip(self.actions)
            .find(|((_, known), _)| known.action_bits() == action.action_bits())
            .map_or(Support::No, |(_, support)| support)
    }

    /// Whether the kernel knows every bit of `flags`.
    pub fn knows_flags(&self, flags: FilterFlags) -> bool {
        self.filter_flags.is_ok_and(|known| known.contains(flags))
    }
}

/// One line per topic:
///
/// ```text
/// kernel: 6.18.0
/// actions: kill_process yes, kill_thread yes, trap yes, errno yes, user_notif yes, trace yes, log yes, allow yes
/// filter flags: tsync|log|spec_allow|new_listener|tsync_esrch|wait_killable_recv
/// notification sizes: seccomp_notif 80, seccomp_notif_resp 24, seccomp_data 64 (as this build expects)
/// listener ioctls: id_valid yes, id_valid (5.0 number) yes, addfd yes, addfd send yes, set_flags sync_wake_up yes
/// ```
impl fmt::Display for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kernel: {}", self.release)?;
        f.write_str("actions:")?;
        for (index, ((name, _), support)) in ACTIONS.iter().zip(self.actions).enumerate() {
            let separator = if index == 0 { " " } else { ", " };
            write!(f, "{separator}{name} {support}")?;
        }
        writeln!(f)?;
        match self.filter_flags {
            Ok(flags) => writeln!(f, "filter flags: {flags}")?,
            Err(errno) => writeln!(f, "filter flags: unknown ({errno})")?,
        }
        match self.notif_sizes {
            Ok(sizes) => {
                let verdict = if sizes == abi::NOTIF_SIZES {
                    "as this build expects"
                } else {
                    "DIFFERENT from this build's structs"
                };
                writeln!(
                    f,
                    "notification sizes: seccomp_notif {}, seccomp_notif_resp {}, seccomp_data {} ({verdict})",
                    sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data
                )?;
            }
            Err(errno) => writeln!(f, "notification sizes: unknown ({errno})")?,
        }
        match self.listener_ioctls {
            Ok(ioctls) => write!(
                f,
                "listener ioctls: id_valid {}, id_valid (5.0 number) {}, addfd {}, addfd send {}, \
                 set_flags sync_wake_up {}",
                ioctls.id_valid,
                ioctls.id_valid_legacy,
                ioctls.addfd,
                ioctls.addfd_send,
                ioctls.set_flags_sync_wake_up
            ),
            Err(error) => write!(f, "listener ioctls: unknown ({error})"),
        }
    }
}
