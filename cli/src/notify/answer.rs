//! The `--on-notify` answer: the command line's spelling of the few [`Answer`]s that need no handler.
//!
//! Every answer in the CLI is a [`seccomp_supervisor::Answer`] (one vocabulary from the handler to the
//! ioctl: `seccomp_supervisor::server::deliver` is the one place it becomes a `SECCOMP_IOCTL_NOTIF_*`
//! call). [`NotifyAnswer`] is only what `--on-notify` parses (it must be `Copy` for clap, which an
//! [`Answer`] holding an fd cannot be); [`answer`] turns it into the [`Answer`] once.

use crate::args::NotifyAnswer;
use seccomp_supervisor::{Answer, Errno};

/// The [`Answer`] a `--on-notify` value means.
pub fn answer(fallback: NotifyAnswer) -> Answer {
    match fallback {
        NotifyAnswer::Continue => Answer::Continue,
        NotifyAnswer::Errno(errno) => Answer::Errno(Errno::from_raw_os_error(i32::from(errno.min(4095)))),
        NotifyAnswer::Value(value) => Answer::Value(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_notify_values_become_answers_shown_as_the_logs_show_them() {
        assert_eq!(answer(NotifyAnswer::Continue).to_string(), "continue");
        assert_eq!(answer(NotifyAnswer::Errno(1)).to_string(), "errno(EPERM)");
        assert_eq!(answer(NotifyAnswer::Errno(9999)).to_string(), "errno(4095)");
        assert_eq!(answer(NotifyAnswer::Value(-2)).to_string(), "value(-2)");
    }
}
