//! What is measured: one [`Config`] per row of the final table, and the list of them for this machine.

use std::fmt;

/// How the target's `getppid` is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// No filter: the syscall itself.
    Bare,
    /// A filter answers `SECCOMP_RET_ERRNO(EPERM)`.
    Errno,
    /// A filter answers `SECCOMP_RET_USER_NOTIF`; a supervisor process answers through the listener.
    Notify,
    /// No filter; a tracer stops the target at entry and exit of every syscall (`PTRACE_SYSCALL`) and
    /// rewrites the return value of `getppid` at its exit.
    PtraceSyscall,
    /// A filter answers `SECCOMP_RET_TRACE`; the tracer (`PTRACE_O_TRACESECCOMP`) gets one stop per call,
    /// skips the syscall and sets its return value.
    RetTrace,
    /// No syscall is intercepted: two processes hand a futex word back and forth, the lower bound of any
    /// blocking cross-process round trip.
    Futex,
    /// A filter answers `SECCOMP_RET_USER_NOTIF`; the benchmark process serves the listener with a
    /// `seccomp-supervisor` `Supervisor` whose handler answers `getppid` with a value: the round trip of
    /// the engine itself (measured by [`crate::emulated`], unpinned).
    Supervisor,
    /// The same engine, on a notified `openat`: the path read from the target, checked to lie beneath a
    /// directory, the file opened for the target and injected with `ADDFD` + `SEND`; with `continue`,
    /// answered `CONTINUE` unchecked instead (the unsafe way, for scale).
    SupervisorOpen,
    /// The same engine, on a notified `openat` answered by the mechanism floor of any answer by opening:
    /// the path read and re-validated, one `openat2` beneath a directory fd opened once, `ADDFD` + `SEND`,
    /// without the target's credentials or root (unsafe, for scale: [`crate::emulated`]).
    SupervisorOpenFloor,
    /// The same engine, on a notified `openat` answered with `ADDFD` + `SEND` of an fd opened once:
    /// nothing read, nothing opened, the cost of the answer alone (for scale: [`crate::emulated`]).
    SupervisorAddfd,
}

impl Mechanism {
    /// The name used in the raw output and the JSON (`bare`, `errno`, `notify`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Mechanism::Bare => "bare",
            Mechanism::Errno => "errno",
            Mechanism::Notify => "notify",
            Mechanism::PtraceSyscall => "ptrace_syscall",
            Mechanism::RetTrace => "ret_trace",
            Mechanism::Futex => "futex",
            Mechanism::Supervisor => "supervisor",
            Mechanism::SupervisorOpen => "supervisor_open",
            Mechanism::SupervisorOpenFloor => "supervisor_open_floor",
            Mechanism::SupervisorAddfd => "supervisor_addfd",
        }
    }

    /// Every mechanism.
    pub const ALL: [Mechanism; 10] = [
        Mechanism::Bare,
        Mechanism::Errno,
        Mechanism::Notify,
        Mechanism::PtraceSyscall,
        Mechanism::RetTrace,
        Mechanism::Futex,
        Mechanism::Supervisor,
        Mechanism::SupervisorOpen,
        Mechanism::SupervisorOpenFloor,
        Mechanism::SupervisorAddfd,
    ];

    /// The mechanism a [`Mechanism::name`] names.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a second process (supervisor, tracer or futex peer) takes part in each round trip.
    pub const fn has_peer(self) -> bool {
        !matches!(self, Mechanism::Bare | Mechanism::Errno)
    }

    /// Whether the row is served by `seccomp-supervisor` in the benchmark process ([`crate::emulated`])
    /// rather than by a peer process of [`crate::round`].
    pub const fn is_engine(self) -> bool {
        matches!(
            self,
            Mechanism::Supervisor
                | Mechanism::SupervisorOpen
                | Mechanism::SupervisorOpenFloor
                | Mechanism::SupervisorAddfd
        )
    }
}

/// Where the two processes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both pinned to the same CPU.
    Same,
    /// Pinned to two different CPUs.
    Diff,
    /// Not pinned: the scheduler decides.
    Any,
}

impl Placement {
    /// The name used in the raw output and the JSON (`same`, `diff`, `any`).
    pub const fn name(self) -> &'static str {
        match self {
            Placement::Same => "same",
            Placement::Diff => "diff",
            Placement::Any => "any",
        }
    }

    /// The placement a [`Placement::name`] names.
    pub fn from_name(name: &str) -> Option<Placement> {
        [Placement::Same, Placement::Diff, Placement::Any]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// One measured variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How the syscall is handled.
    pub mechanism: Mechanism,
    /// Where the processes run.
    pub placement: Placement,
    /// The listener has `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` set (notify only).
    pub sync_wakeup: bool,
    /// The supervisor answers `SECCOMP_USER_NOTIF_FLAG_CONTINUE`, so the real syscall runs (notify only).
    pub continue_syscall: bool,
}

impl Config {
    /// The row's name, as the xtask prints it: the mechanism, `+continue` and `+sync` when set, then
    /// `/` and the placement, such as `notify+sync/same`.
    pub fn name(&self) -> String {
        let mut name = self.mechanism.name().to_owned();
        if self.continue_syscall {
            name.push_str("+continue");
        }
        if self.sync_wakeup {
            name.push_str("+sync");
        }
        name.push('/');
        name.push_str(self.placement.name());
        name
    }

    /// For an engine row, the index of its kind in [`crate::emulated::KINDS`] (the order its samples are
    /// stored in); `None` for the other rows.
    pub fn engine_kind(&self) -> Option<usize> {
        match (self.mechanism, self.continue_syscall) {
            (Mechanism::Supervisor, _) => Some(0),
            (Mechanism::SupervisorOpen, false) => Some(1),
            (Mechanism::SupervisorOpen, true) => Some(2),
            (Mechanism::SupervisorOpenFloor, _) => Some(3),
            (Mechanism::SupervisorAddfd, _) => Some(4),
            _ => None,
        }
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The CPUs the pinned placements use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpus {
    /// The target's CPU (and the supervisor's too for [`Placement::Same`]).
    pub a: usize,
    /// The supervisor's CPU for [`Placement::Diff`]; `None` when only one CPU is available.
    pub b: Option<usize>,
}

/// What the running kernel offers, as far as the plan cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// `SECCOMP_RET_USER_NOTIF` and a listener (5.0).
    pub notify: bool,
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6).
    pub sync_wakeup: bool,
    /// `SECCOMP_USER_NOTIF_FLAG_CONTINUE` (5.5).
    pub continue_syscall: bool,
    /// `SECCOMP_RET_TRACE`.
    pub trace: bool,
}

/// Keeps the configurations named in `only` (all of them when it is empty); an unknown name is an error
/// that lists the names available on this machine.
pub fn select(configs: Vec<Config>, only: &[String]) -> Result<Vec<Config>, String> {
    if let Some(unknown) = only
        .iter()
        .find(|name| !configs.iter().any(|c| c.name() == **name))
    {
        let available: Vec<String> = configs.iter().map(Config::name).collect();
        return Err(format!(
            "--only: no configuration `{unknown}` on this machine; available: {}",
            available.join(", ")
        ));
    }
    Ok(configs
        .into_iter()
        .filter(|config| only.is_empty() || only.contains(&config.name()))
        .collect())
}

/// The rows of the engine ([`Mechanism::is_engine`]), measured together by [`crate::emulated`] (each
/// row's samples are the kind [`Config::engine_kind`] names): the plain round trip, the path-checked
/// open, the open answered `CONTINUE` (only where the kernel has it), the mechanism floor of the
/// open, and `ADDFD` + `SEND` alone. `SYNC_WAKE_UP` is the engine's default where the kernel has it.
pub fn engine_rows(support: Support) -> Vec<Config> {
    let engine = |mechanism, continue_syscall| Config {
        mechanism,
        placement: Placement::Any,
        sync_wakeup: support.sync_wakeup,
        continue_syscall,
    };
    let mut rows = vec![
        engine(Mechanism::Supervisor, false),
        engine(Mechanism::SupervisorOpen, false),
    ];
    if support.continue_syscall {
        rows.push(engine(Mechanism::SupervisorOpen, true));
    }
    rows.push(engine(Mechanism::SupervisorOpenFloor, false));
    rows.push(engine(Mechanism::SupervisorAddfd, false));
    rows
}

/// The rows to measure on this machine, in a fixed order; `notes` gets one line per skipped group.
pub fn plan(cpus: Cpus, support: Support, notes: &mut Vec<String>) -> Vec<Config> {
    let placements: &[Placement] = if cpus.b.is_some() {
        &[Placement::Same, Placement::Diff, Placement::Any]
    } else {
        notes.push("only one CPU is available: the diff-CPU rows are skipped".to_owned());
        &[Placement::Same, Placement::Any]
    };
    if !support.notify {
        notes.push(
            "the kernel has no SECCOMP_RET_USER_NOTIF listener: the notify rows are skipped".to_owned(),
        );
    } else if !support.sync_wakeup {
        notes.push(
            "the kernel lacks SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+): the sync-wakeup rows are skipped"
                .to_owned(),
        );
    }
    if support.notify && !support.continue_syscall {
        notes.push(
            "the kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5+): the continue rows are skipped"
                .to_owned(),
        );
    }
    if !support.trace {
        notes.push("the kernel has no SECCOMP_RET_TRACE: the ret_trace rows are skipped".to_owned());
    }
    let plain = |mechanism, placement| Config {
        mechanism,
        placement,
        sync_wakeup: false,
        continue_syscall: false,
    };
    let mut configs = vec![
        plain(Mechanism::Bare, Placement::Any),
        plain(Mechanism::Errno, Placement::Any),
    ];
    configs.extend(placements.iter().map(|&p| plain(Mechanism::Futex, p)));
    if support.notify {
        for continue_syscall in [false, true] {
            if continue_syscall && !support.continue_syscall {
                continue;
            }
            for sync_wakeup in [false, true] {
                if sync_wakeup && !support.sync_wakeup {
                    continue;
                }
                configs.extend(placements.iter().map(|&placement| Config {
                    mechanism: Mechanism::Notify,
                    placement,
                    sync_wakeup,
                    continue_syscall,
                }));
            }
        }
    }
    if support.notify {
        configs.extend(engine_rows(support));
    }
    configs.extend(placements.iter().map(|&p| plain(Mechanism::PtraceSyscall, p)));
    if support.trace {
        configs.extend(placements.iter().map(|&p| plain(Mechanism::RetTrace, p)));
    }
    configs
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Support = Support {
        notify: true,
        sync_wakeup: true,
        continue_syscall: true,
        trace: true,
    };

    #[test]
    fn two_cpus_and_every_feature_give_every_row_once() {
        let mut notes = Vec::new();
        let configs = plan(Cpus { a: 0, b: Some(1) }, ALL, &mut notes);
        // bare, errno, 3 futex, 12 notify (sync x continue x placement), 5 engine, 3 ptrace, 3 ret_trace.
        assert_eq!(configs.len(), 2 + 3 + 12 + 5 + 3 + 3);
        let engine: Vec<String> = configs
            .iter()
            .filter(|c| c.mechanism.is_engine())
            .map(Config::name)
            .collect();
        assert_eq!(
            engine,
            [
                "supervisor+sync/any",
                "supervisor_open+sync/any",
                "supervisor_open+continue+sync/any",
                "supervisor_open_floor+sync/any",
                "supervisor_addfd+sync/any"
            ]
        );
        assert!(notes.is_empty());
        for (index, config) in configs.iter().enumerate() {
            assert!(!configs[..index].contains(config), "{config} twice");
        }
    }

    #[test]
    fn select_keeps_the_named_rows_and_refuses_unknown_names() {
        let configs = plan(Cpus { a: 0, b: Some(1) }, ALL, &mut Vec::new());
        let only = ["notify+sync/same".to_owned(), "futex/same".to_owned()];
        let kept = select(configs.clone(), &only).unwrap();
        let names: Vec<String> = kept.iter().map(Config::name).collect();
        assert_eq!(names, ["futex/same", "notify+sync/same"]);
        assert_eq!(select(configs.clone(), &[]).unwrap(), configs);
        let error = select(configs, &["notify/moon".to_owned()]).unwrap_err();
        assert!(
            error.contains("`notify/moon`") && error.contains("ret_trace/diff"),
            "{error}"
        );
    }

    #[test]
    fn one_cpu_skips_the_diff_rows_with_a_note() {
        let mut notes = Vec::new();
        let configs = plan(Cpus { a: 3, b: None }, ALL, &mut notes);
        assert!(configs.iter().all(|c| c.placement != Placement::Diff));
        assert_eq!(configs.len(), 2 + 2 + 8 + 3 + 2 + 2 + 2);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("one CPU"));
    }

    #[test]
    fn a_kernel_without_sync_wakeup_loses_only_those_rows() {
        let mut notes = Vec::new();
        let support = Support {
            sync_wakeup: false,
            ..ALL
        };
        let configs = plan(Cpus { a: 0, b: Some(1) }, support, &mut notes);
        assert!(configs.iter().all(|c| !c.sync_wakeup));
        assert_eq!(configs.iter().filter(|c| c.mechanism.is_engine()).count(), 5);
        assert_eq!(
            configs
                .iter()
                .filter(|c| c.mechanism == Mechanism::Notify)
                .count(),
            6
        );
        assert!(notes.iter().any(|n| n.contains("SYNC_WAKE_UP")));
    }
}
