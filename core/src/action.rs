//! Filter return values ("actions") and the order in which the kernel composes them.
//!
//! [`Action`] keeps the raw 32-bit return value, so a value this crate does not know survives intact;
//! [`Action::kind`] is a decoded view for display and matching. Precedence works on the raw value exactly as
//! `seccomp_run_filters` in kernel/seccomp.c does: every installed filter runs, starting with the most recently
//! installed one, and a filter's result replaces the current one only when `(s32)(ret & 0xffff0000)` is
//! strictly lower. The current result starts as `SECCOMP_RET_ALLOW`.

use crate::abi;
use core::cmp::Ordering;

/// A seccomp filter's return value: the action bits (`SECCOMP_RET_ACTION_FULL`) and 16 bits of data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action(pub u32);

/// The decoded view of an [`Action`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// `SECCOMP_RET_KILL_PROCESS`: the whole process dies with SIGSYS.
    KillProcess,
    /// `SECCOMP_RET_KILL_THREAD`: the calling thread dies.
    KillThread,
    /// `SECCOMP_RET_TRAP`: SIGSYS is delivered with this value as `si_errno`.
    Trap(u16),
    /// `SECCOMP_RET_ERRNO`: the syscall fails with this errno (the kernel caps it at 4095).
    Errno(u16),
    /// `SECCOMP_RET_USER_NOTIF`: the listener decides (its data bits are ignored by the kernel).
    Notify,
    /// `SECCOMP_RET_TRACE`: a ptrace tracer is notified with this event message.
    Trace(u16),
    /// `SECCOMP_RET_LOG`: allowed and logged.
    Log,
    /// `SECCOMP_RET_ALLOW`: allowed.
    Allow,
    /// An action value the kernel does not define; the kernel treats it as `KILL_PROCESS`.
    Unknown(u32),
}

/// Why an action could not be built from its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionError {
    /// An errno above `MAX_ERRNO` (4095): the kernel would silently cap it, so it is refused instead.
    ErrnoTooLarge(u32),
}

impl core::fmt::Display for ActionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ActionError::ErrnoTooLarge(value) => {
                write!(
                    f,
                    "errno {value} is above the kernel's maximum of {}",
                    abi::MAX_ERRNO
                )
            }
        }
    }
}

impl core::error::Error for ActionError {}

impl Action {
    /// Kill the process.
    pub const KILL_PROCESS: Action = Action(abi::RET_KILL_PROCESS);
    /// Kill the calling thread.
    pub const KILL_THREAD: Action = Action(abi::RET_KILL_THREAD);
    /// Deliver SIGSYS with `si_errno` 0.
    pub const TRAP: Action = Action(abi::RET_TRAP);
    /// Hand the syscall to the notification listener.
    pub const NOTIFY: Action = Action(abi::RET_USER_NOTIF);
    /// Allow the syscall and log it.
    pub const LOG: Action = Action(abi::RET_LOG);
    /// Allow the syscall.
    pub const ALLOW: Action = Action(abi::RET_ALLOW);

    /// `SECCOMP_RET_ERRNO | errno`; errno values above 4095 are refused rather than capped or truncated.
    pub const fn errno(errno: u32) -> Result<Action, ActionError> {
        if errno > abi::MAX_ERRNO as u32 {
            return Err(ActionError::ErrnoTooLarge(errno));
        }
        Ok(Action(abi::RET_ERRNO | errno))
    }

    /// `SECCOMP_RET_TRAP | data`: SIGSYS with `si_errno = data`.
    pub const fn trap(data: u16) -> Action {
        Action(abi::RET_TRAP | data as u32)
    }

    /// `SECCOMP_RET_TRACE | data`: the tracer sees `data` as the `PTRACE_EVENT_SECCOMP` message.
    pub const fn trace(data: u16) -> Action {
        Action(abi::RET_TRACE | data as u32)
    }

    /// The raw return value.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The action bits (`ret & SECCOMP_RET_ACTION_FULL`).
    pub const fn action_bits(self) -> u32 {
        self.0 & abi::RET_ACTION_FULL
    }

    /// The data bits (`ret & SECCOMP_RET_DATA`).
    pub const fn data(self) -> u16 {
        (self.0 & abi::RET_DATA) as u16
    }

    /// The kernel's `ACTION_ONLY(ret)`: the action bits as a signed number. Lower is less permissive.
    pub const fn precedence_key(self) -> i32 {
        self.action_bits() as i32
    }

    /// The decoded view of this value.
    pub const fn kind(self) -> ActionKind {
        let data = self.data();
        match self.action_bits() {
            abi::RET_KILL_PROCESS => ActionKind::KillProcess,
            abi::RET_KILL_THREAD => ActionKind::KillThread,
            abi::RET_TRAP => ActionKind::Trap(data),
            abi::RET_ERRNO => ActionKind::Errno(data),
            abi::RET_USER_NOTIF => ActionKind::Notify,
            abi::RET_TRACE => ActionKind::Trace(data),
            abi::RET_LOG => ActionKind::Log,
            abi::RET_ALLOW => ActionKind::Allow,
            _ => ActionKind::Unknown(self.0),
        }
    }

    /// What the kernel does with this value: like [`Action::kind`], except that an unknown action acts as
    /// `KILL_PROCESS` (the `default:` branch of `__seccomp_filter`).
    pub const fn effect(self) -> ActionKind {
        match self.kind() {
            ActionKind::Unknown(_) => ActionKind::KillProcess,
            kind => kind,
        }
    }

    /// The errno the syscall fails with for an ERRNO action, after the kernel's cap at `MAX_ERRNO`.
    pub const fn effective_errno(self) -> Option<u16> {
        match self.kind() {
            ActionKind::Errno(data) if data > abi::MAX_ERRNO => Some(abi::MAX_ERRNO),
            ActionKind::Errno(data) => Some(data),
            _ => None,
        }
    }

    /// Compares by kernel precedence: `Less` means `self` is less permissive (it wins over `other`).
    /// Values with the same action bits compare `Equal` whatever their data.
    pub fn cmp_precedence(self, other: Action) -> Ordering {
        self.precedence_key().cmp(&other.precedence_key())
    }

    /// Whether the syscall runs: ALLOW and LOG (USER_NOTIF and TRACE depend on the supervisor or tracer).
    pub const fn allows(self) -> bool {
        matches!(self.kind(), ActionKind::Allow | ActionKind::Log)
    }
}

impl From<ActionKind> for Action {
    /// Encodes a decoded view. `Errno` data above 4095 is kept as given (the kernel caps it at run time);
    /// data bits of actions whose view carries none (kill, notify, log, allow) are not represented.
    fn from(kind: ActionKind) -> Action {
        match kind {
            ActionKind::KillProcess => Action::KILL_PROCESS,
            ActionKind::KillThread => Action::KILL_THREAD,
            ActionKind::Trap(data) => Action::trap(data),
            ActionKind::Errno(data) => Action(abi::RET_ERRNO | data as u32),
            ActionKind::Notify => Action::NOTIFY,
            ActionKind::Trace(data) => Action::trace(data),
            ActionKind::Log => Action::LOG,
            ActionKind::Allow => Action::ALLOW,
            ActionKind::Unknown(raw) => Action(raw),
        }
    }
}

/// Composes the results of a filter stack as `seccomp_run_filters` does.
///
/// `results_newest_first` yields each filter's return value starting with the most recently installed
/// filter (the order in which the kernel runs them). The result starts as `SECCOMP_RET_ALLOW` and is replaced
/// only by a strictly lower [`Action::precedence_key`], so on a tie the newer filter's value (with its data)
/// wins, and an empty stack allows. Returns the winning value and the index (in the given order) of the
/// filter that produced it, `None` when no filter beat the initial ALLOW.
pub fn least_permissive<I>(results_newest_first: I) -> (Action, Option<usize>)
where
    I: IntoIterator<Item = Action>,
{
    let mut result = Action::ALLOW;
    let mut matched = None;
    for (index, current) in results_newest_first.into_iter().enumerate() {
        if current.precedence_key() < result.precedence_key() {
            result = current;
            matched = Some(index);
        }
    }
    (result, matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every defined action, least permissive first, as the kernel documents them.
    const ORDERED: [Action; 8] = [
        Action::KILL_PROCESS,
        Action::KILL_THREAD,
        Action(abi::RET_TRAP | 7),
        Action(abi::RET_ERRNO | 1),
        Action::NOTIFY,
        Action(abi::RET_TRACE | 3),
        Action::LOG,
        Action::ALLOW,
    ];

    #[test]
    fn every_pair_of_actions_orders_as_the_kernel_documents() {
        for (i, a) in ORDERED.iter().enumerate() {
            for (j, b) in ORDERED.iter().enumerate() {
                assert_eq!(a.cmp_precedence(*b), i.cmp(&j), "{a:?} vs {b:?}");
                let (winner, _) = least_permissive([*a, *b]);
                assert_eq!(winner, ORDERED[i.min(j)], "stack [{a:?}, {b:?}]");
            }
        }
    }

    #[test]
    fn tie_keeps_the_newest_filters_data() {
        let newer = Action(abi::RET_ERRNO | 13);
        let older = Action(abi::RET_ERRNO | 1);
        assert_eq!(least_permissive([newer, older]), (newer, Some(0)));
        assert_eq!(least_permissive([older, newer]), (older, Some(0)));
    }

    #[test]
    fn empty_stack_and_all_allow_stack_give_plain_allow() {
        assert_eq!(least_permissive([]), (Action::ALLOW, None));
        // ALLOW with data never beats the initial ALLOW, so the data is dropped, as in the kernel.
        assert_eq!(
            least_permissive([Action(abi::RET_ALLOW | 5)]),
            (Action::ALLOW, None)
        );
    }

    #[test]
    fn three_filter_stack_picks_the_least_permissive_wherever_it_is() {
        let stack = [Action::LOG, Action(abi::RET_TRAP | 2), Action(abi::RET_ERRNO | 9)];
        assert_eq!(least_permissive(stack), (Action(abi::RET_TRAP | 2), Some(1)));
    }

    #[test]
    fn unknown_actions_rank_by_their_signed_value_and_act_as_kill_process() {
        let low_unknown = Action(0x0001_0000); // between KILL_THREAD and TRAP
        assert_eq!(low_unknown.kind(), ActionKind::Unknown(0x0001_0000));
        assert_eq!(low_unknown.effect(), ActionKind::KillProcess);
        assert_eq!(low_unknown.cmp_precedence(Action::KILL_THREAD), Ordering::Greater);
        assert_eq!(low_unknown.cmp_precedence(Action::TRAP), Ordering::Less);
        let negative_unknown = Action(0x8001_0000); // just above KILL_PROCESS, below KILL_THREAD
        assert_eq!(
            negative_unknown.cmp_precedence(Action::KILL_PROCESS),
            Ordering::Greater
        );
        assert_eq!(
            negative_unknown.cmp_precedence(Action::KILL_THREAD),
            Ordering::Less
        );
        let between_log_and_allow = Action(0x7ffd_0000);
        assert_eq!(
            least_permissive([Action::ALLOW, between_log_and_allow]).0,
            between_log_and_allow
        );
        assert_eq!(
            least_permissive([between_log_and_allow, Action::LOG]).0,
            Action::LOG
        );
    }

    #[test]
    fn errno_above_max_is_refused_and_raw_values_are_capped_like_the_kernel() {
        assert_eq!(Action::errno(4095), Ok(Action(abi::RET_ERRNO | 4095)));
        assert_eq!(Action::errno(4096), Err(ActionError::ErrnoTooLarge(4096)));
        assert_eq!(Action(abi::RET_ERRNO | 0xffff).effective_errno(), Some(4095));
        assert_eq!(Action(abi::RET_ERRNO | 1).effective_errno(), Some(1));
        assert_eq!(Action::ALLOW.effective_errno(), None);
    }

    #[test]
    fn kind_round_trips_through_action() {
        for action in ORDERED
            .iter()
            .copied()
            .chain([Action(0x1234_5678), Action(abi::RET_ERRNO | 4096)])
        {
            assert_eq!(Action::from(action.kind()), action);
        }
    }
}
