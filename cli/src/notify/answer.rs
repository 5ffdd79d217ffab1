//! Choosing and sending the answer to a notification.
//!
//! A supervisor may be given a *handlers* policy: a native policy evaluated against each notification's
//! `seccomp_data`, whose action is read as the answer. `allow` and `log` continue the syscall, `errno(N)`
//! fails it with N, `kill-process` and `kill-thread` kill the calling process, and every other action
//! (`notify`, `trap`, `trace`) defers to the fallback answer given on the command line (`--on-notify`).

use crate::args::NotifyAnswer;
use seccomp_core::abi::SeccompData;
use seccomp_core::action::ActionKind;
use seccomp_core::policy::Policy;
use seccomp_sys::listener::ReplyError;
use seccomp_sys::{Errno, Listener, Notification, Response};

/// What the supervisor does with one notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer it: continue, fail with an errno, or return a value.
    Answer(NotifyAnswer),
    /// Kill the calling process with SIGKILL.
    Kill,
}

/// How a sent answer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The kernel took the answer.
    Answered,
    /// The notification was gone before the answer arrived (the target died or a signal interrupted the
    /// syscall); nothing is owed.
    Gone,
}

/// The answer policy: an optional handlers policy and the fallback answer.
#[derive(Debug)]
pub struct Answerer {
    handlers: Option<Box<Policy>>,
    fallback: NotifyAnswer,
}

impl Answerer {
    /// An answerer that consults `handlers` first (when given) and otherwise answers `fallback`.
    pub fn new(handlers: Option<Policy>, fallback: NotifyAnswer) -> Answerer {
        Answerer {
            handlers: handlers.map(Box::new),
            fallback,
        }
    }

    /// Decides the answer for a syscall.
    pub fn decide(&self, data: &SeccompData) -> Decision {
        let Some(handlers) = &self.handlers else {
            return Decision::Answer(self.fallback);
        };
        match handlers.evaluate(data).effect() {
            ActionKind::Allow | ActionKind::Log => Decision::Answer(NotifyAnswer::Continue),
            ActionKind::Errno(errno) => Decision::Answer(NotifyAnswer::Errno(errno.min(4095))),
            ActionKind::KillProcess | ActionKind::KillThread => Decision::Kill,
            ActionKind::Notify | ActionKind::Trap(_) | ActionKind::Trace(_) | ActionKind::Unknown(_) => {
                Decision::Answer(self.fallback)
            }
        }
    }

    /// Carries out `decision` for `notification` on `listener`.
    pub fn deliver(
        listener: &Listener,
        notification: &Notification,
        decision: Decision,
    ) -> Result<Delivery, ReplyError> {
        let id = notification.id();
        let response = match decision {
            Decision::Answer(NotifyAnswer::Continue) => Response::continue_syscall(id),
            Decision::Answer(NotifyAnswer::Errno(errno)) => {
                Response::errno(id, Errno::from_raw_os_error(i32::from(errno)))
            }
            Decision::Answer(NotifyAnswer::Value(value)) => Response::value(id, value),
            Decision::Kill => {
                if let Some(pid) = notification.pid() {
                    // The target may already be gone; the answer below then reports that.
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
                Response::errno(id, Errno::PERM)
            }
        };
        match listener.respond(response) {
            Ok(()) => Ok(Delivery::Answered),
            Err(ReplyError::NotificationGone) => Ok(Delivery::Gone),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_core::arch::Arch;

    fn data(arch: Arch, name: &str, args: [u64; 6]) -> SeccompData {
        let nr = arch.syscall_nr(name).expect("known syscall");
        SeccompData {
            nr: nr as i32,
            arch: arch.audit(),
            instruction_pointer: 0,
            args,
        }
    }

    #[test]
    fn handlers_policy_actions_map_to_answers() {
        let text =
            "default notify\nallow getpid\nerrno(EACCES) openat if args[2] == 1\nkill-process ptrace\n";
        let policy = Policy::parse(text, Arch::X86_64).expect("valid handlers");
        let answerer = Answerer::new(Some(policy), NotifyAnswer::Value(7));
        let x86 = Arch::X86_64;
        assert_eq!(
            answerer.decide(&data(x86, "getpid", [0; 6])),
            Decision::Answer(NotifyAnswer::Continue)
        );
        assert_eq!(
            answerer.decide(&data(x86, "openat", [0, 0, 1, 0, 0, 0])),
            Decision::Answer(NotifyAnswer::Errno(13))
        );
        assert_eq!(
            answerer.decide(&data(x86, "openat", [0; 6])),
            Decision::Answer(NotifyAnswer::Value(7))
        );
        assert_eq!(answerer.decide(&data(x86, "ptrace", [0; 6])), Decision::Kill);
    }

    #[test]
    fn without_handlers_the_fallback_answers_everything() {
        let answerer = Answerer::new(None, NotifyAnswer::Errno(1));
        assert_eq!(
            answerer.decide(&data(Arch::Aarch64, "openat", [0; 6])),
            Decision::Answer(NotifyAnswer::Errno(1))
        );
    }
}
