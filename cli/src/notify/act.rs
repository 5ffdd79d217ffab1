//! The handler `run` (and later `agent`) gives the supervisor crate: handler rules decide, path rules are
//! carried out by opening the file for the target, and each notification is logged with the rule that
//! decided it (`file:line`).

use crate::args::NotifyAnswer;
use crate::decode::{self, Memory, ReadMem, Value};
use crate::notify::log::Sink;
use crate::notify::rules::{PathPredicate, Rule, Rules};
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::arch::Arch;
use seccomp_supervisor::emulate::{self, OpenRequest, Opened, RequestError};
use seccomp_supervisor::path::Lexical;
use seccomp_supervisor::{Answer, Call, CheckedAnswer, Errno, Handler, Inspected, Reply};
use std::sync::Mutex;

/// Decides notifications with handler rules (or only the fallback) and logs them.
#[derive(Debug)]
pub struct RuleHandler {
    rules: Option<Rules>,
    fallback: NotifyAnswer,
    native: Arch,
    sink: Option<Mutex<Sink>>,
}

/// Which part of the configuration decided.
enum Origin {
    Rule(u32),
    Default,
    BadArch,
    Fallback,
}

/// A call on its way to a decision: not yet inspected, or inspected with its open request and the path
/// resolved for the target.
enum State<'a> {
    Plain(Call<'a>),
    Inspected(Inspected<'a>, OpenRequest, Result<Lexical, Errno>),
}

/// Reads target memory for the log line only.
struct Peek<'c, 'a>(&'c Call<'a>);

impl Memory for Peek<'_, '_> {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        self.0.peek_for_log(|memory| Ok(read(memory))).ok()
    }
}

impl RuleHandler {
    /// A handler deciding with `rules` (when given), else `fallback`, logging to `sink`.
    pub fn new(
        rules: Option<Rules>,
        fallback: NotifyAnswer,
        native: Arch,
        sink: Option<Sink>,
    ) -> RuleHandler {
        RuleHandler {
            rules,
            fallback,
            native,
            sink: sink.map(Mutex::new),
        }
    }

    /// The log, once serving is over.
    pub fn into_sink(self) -> Option<Sink> {
        self.sink.and_then(|sink| sink.into_inner().ok())
    }

    /// The answer an action means (before any inspection).
    fn action_answer(&self, action: Action) -> (Answer, bool) {
        match action.kind() {
            ActionKind::Allow | ActionKind::Log => (Answer::Continue, false),
            ActionKind::Errno(errno) => (
                Answer::Errno(Errno::from_raw_os_error(i32::from(errno.min(4095)))),
                false,
            ),
            ActionKind::KillProcess | ActionKind::KillThread => (Answer::Kill, false),
            _ => (crate::notify::answer::answer(self.fallback), true),
        }
    }

    /// Answers `state` with `answer`; an inspected call that would continue is opened for the target.
    fn finish(state: State<'_>, answer: Answer) -> Reply {
        match state {
            State::Plain(call) => call.answer(answer),
            State::Inspected(call, request, resolved) => {
                let checked = match answer {
                    Answer::Continue => match resolved {
                        Ok(path) => match emulate::open_resolved(call.call(), &request, &path) {
                            Opened::File(answer) => answer,
                            Opened::Failed(errno) => CheckedAnswer::Errno(errno),
                            Opened::Outside => CheckedAnswer::Errno(Errno::ACCESS),
                        },
                        Err(Errno::XDEV) => CheckedAnswer::Errno(Errno::ACCESS),
                        Err(errno) => CheckedAnswer::Errno(errno),
                    },
                    Answer::Errno(errno) => CheckedAnswer::Errno(errno),
                    Answer::Value(value) => CheckedAnswer::Value(value),
                    Answer::Kill => CheckedAnswer::Kill,
                    Answer::Emulated(result) => CheckedAnswer::Emulated(result),
                    Answer::InjectFd { fd, cloexec } => CheckedAnswer::InjectFd { fd, cloexec },
                };
                call.answer(checked)
            }
        }
    }

    /// Whether every path predicate of `rule` holds for `path`, lexically.
    fn lexically_matches(rule: &Rule, path: &Lexical) -> bool {
        !path.has_dot_dot()
            && rule.paths.iter().all(|predicate| match predicate {
                PathPredicate::Under(dir) => path.strip_prefix(dir).is_some(),
                PathPredicate::Exactly(file) => path == file,
            })
    }

    fn decide<'a>(&self, call: Call<'a>) -> (Reply, Origin) {
        let data = *call.notification().data();
        let Some(rules) = &self.rules else {
            return (
                call.answer(crate::notify::answer::answer(self.fallback)),
                Origin::Fallback,
            );
        };
        if data.arch != self.native.audit()
            || (self.native == Arch::X86_64 && data.nr as u32 & 0x4000_0000 != 0)
        {
            let (answer, fell) = self.action_answer(rules.policy.bad_arch_action());
            return (
                call.answer(answer),
                if fell { Origin::Fallback } else { Origin::BadArch },
            );
        }
        let nr = data.nr as u32;
        let mut state = State::Plain(call);
        for rule in &rules.rules {
            if !rule.applies(nr, &data.args) {
                continue;
            }
            if rule.paths.is_empty() {
                let (answer, fell) = self.action_answer(rule.action);
                let origin = if fell {
                    Origin::Fallback
                } else {
                    Origin::Rule(rule.line)
                };
                return (Self::finish(state, answer), origin);
            }
            if let State::Plain(call) = state {
                let mut inspected = call.inspect();
                match OpenRequest::read(&mut inspected) {
                    Ok(request) => {
                        let resolved = request.resolve(inspected.call());
                        state = State::Inspected(inspected, request, resolved);
                    }
                    Err(RequestError::Errno(errno)) => {
                        return (
                            inspected.answer(CheckedAnswer::Errno(errno)),
                            Origin::Rule(rule.line),
                        );
                    }
                    // Not an open (refused at load time), or the notification is gone: nobody reads
                    // this answer.
                    Err(RequestError::NotOpen | RequestError::Gone) => {
                        return (
                            inspected.answer(CheckedAnswer::Errno(Errno::NOSYS)),
                            Origin::Rule(rule.line),
                        );
                    }
                }
            }
            let State::Inspected(inspected, request, resolved) = &state else {
                continue;
            };
            let Ok(path) = resolved else {
                continue;
            };
            if matches!(rule.action.kind(), ActionKind::Allow | ActionKind::Log) {
                if !Self::lexically_matches(rule, path) {
                    continue;
                }
                let opened = match rule.paths.first() {
                    Some(PathPredicate::Under(dir)) => {
                        emulate::open_under(inspected.call(), request, path, dir)
                    }
                    Some(PathPredicate::Exactly(file)) => {
                        emulate::open_exact(inspected.call(), request, path, file)
                    }
                    None => continue,
                };
                let answer = match opened {
                    Opened::File(answer) => answer,
                    Opened::Failed(errno) => CheckedAnswer::Errno(errno),
                    Opened::Outside => continue,
                };
                let State::Inspected(inspected, ..) = state else {
                    continue;
                };
                return (inspected.answer(answer), Origin::Rule(rule.line));
            }
            if Self::lexically_matches(rule, path) {
                let (answer, fell) = self.action_answer(rule.action);
                let origin = if fell {
                    Origin::Fallback
                } else {
                    Origin::Rule(rule.line)
                };
                return (Self::finish(state, answer), origin);
            }
        }
        let (answer, fell) = self.action_answer(rules.policy.default_action());
        (
            Self::finish(state, answer),
            if fell { Origin::Fallback } else { Origin::Default },
        )
    }
}

impl RuleHandler {
    /// Decides `call` without logging it, and says what decided: `FILE:LINE` of the rule, `FILE: default`,
    /// `FILE: bad-arch` or `--on-notify` (for callers that log in their own format, such as the agent).
    pub fn decide_explained<'a>(&self, call: Call<'a>) -> (Reply, String) {
        let (reply, origin) = self.decide(call);
        let file = self.rules.as_ref().map_or("", |rules| rules.file.as_str());
        let why = match origin {
            Origin::Rule(line) => format!("{file}:{line}"),
            Origin::Default => format!("{file}: default"),
            Origin::BadArch => format!("{file}: bad-arch"),
            Origin::Fallback => "--on-notify".to_owned(),
        };
        (reply, why)
    }
}

impl Handler for RuleHandler {
    fn handle(&self, call: Call<'_>) -> Reply {
        let data = *call.notification().data();
        let pid = call.notification().raw().pid;
        let shown = self
            .sink
            .as_ref()
            .map(|_| decode::decode(&data, &mut Peek(&call)));
        let (reply, why) = self.decide_explained(call);
        if let (Some(sink), Some(shown)) = (&self.sink, shown) {
            let text = format!("{} ({why})", reply.answer());
            if let Ok(mut sink) = sink.lock() {
                sink.record(pid, &shown, Some(&text));
            }
        }
        reply
    }
}
