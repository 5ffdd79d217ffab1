//! The handler `run` (and later `agent`) gives the supervisor crate: handler rules decide, rules whose
//! answer depends on memory are carried out by doing the syscall for the target
//! (`seccomp_supervisor::emulate`), and each notification is logged with the rule that decided it
//! (`file:line`).

use crate::args::NotifyAnswer;
use crate::decode::{self, Memory, ReadMem, Value};
use crate::notify::log::Sink;
use crate::notify::rules::{PathPredicate, Rule, Rules};
use seccomp_core::action::{Action, ActionKind};
use seccomp_core::arch::Arch;
use seccomp_supervisor::emulate::{Outcome, Request, RequestError, Scope};
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
    /// A container handler of an `emulate` line: its rule (`file:line`) and what it did.
    Handler(Option<String>, String),
    Default,
    BadArch,
    Fallback,
}

/// A call on its way to a decision: not yet inspected, or inspected with its request and its paths
/// resolved for the target.
enum State<'a> {
    Plain(Call<'a>),
    Inspected(Inspected<'a>, Request, Result<Vec<Lexical>, Errno>),
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

    /// Answers `state` with `answer`; an inspected call that would continue is done for the target
    /// anywhere in its root (it never continues: the kernel must not re-read what was decided on).
    fn finish(state: State<'_>, answer: Answer) -> Reply {
        match state {
            State::Plain(call) => call.answer(answer),
            State::Inspected(call, request, _) => {
                let checked = match answer {
                    Answer::Continue => request.perform(call.call(), Scope::Root).answer_or(Errno::ACCESS),
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

    /// Whether every memory predicate of `rule` holds, lexically: each path predicate for every path
    /// argument (both of a rename; a socket address that is no unix path has none, so it fails), each
    /// socket predicate for the address.
    fn lexically_matches(rule: &Rule, request: &Request, paths: &[Lexical]) -> bool {
        let paths_hold = rule.paths.is_empty()
            || (!paths.is_empty()
                && paths.iter().all(|path| {
                    !path.has_dot_dot()
                        && rule.paths.iter().all(|predicate| match predicate {
                            PathPredicate::Under(dir) => path.strip_prefix(dir).is_some(),
                            PathPredicate::Exactly(file) => path.components() == file.components(),
                        })
                }));
        let sockaddr_holds = rule.sockaddr.is_empty()
            || request
                .sockaddr()
                .is_some_and(|addr| rule.sockaddr.iter().all(|predicate| predicate.holds(addr)));
        paths_hold && sockaddr_holds
    }

    /// Where an `allow` of `rule` may act: its first path predicate, else anywhere in the root.
    fn scope(rule: &Rule) -> Scope<'_> {
        match rule.paths.first() {
            Some(PathPredicate::Under(dir)) => Scope::Under(dir),
            Some(PathPredicate::Exactly(file)) => Scope::Exactly(file),
            None => Scope::Root,
        }
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
        // The `emulate` lines (container handlers) come first: they do the syscall's work themselves, or
        // hand the call back when no line names its syscall.
        let call = match rules.emulate.handle(call) {
            Ok(handled) => return (handled.reply, Origin::Handler(handled.rule, handled.detail)),
            Err(call) => call,
        };
        let nr = data.nr as u32;
        let mut state = State::Plain(call);
        for rule in &rules.rules {
            if !rule.applies(nr, &data.args) {
                continue;
            }
            if !rule.reads_memory() {
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
                match Request::read(&mut inspected) {
                    Ok(request) => {
                        let paths = request.paths(inspected.call());
                        state = State::Inspected(inspected, request, paths);
                    }
                    // What the kernel would have answered (EFAULT, ENAMETOOLONG, EBADF, ...).
                    Err(RequestError::Errno(errno)) => {
                        return (
                            inspected.answer(CheckedAnswer::Errno(errno)),
                            Origin::Rule(rule.line),
                        );
                    }
                    // Not emulated (refused at load time), or the notification is gone: nobody reads
                    // this answer.
                    Err(RequestError::NotEmulated | RequestError::Gone) => {
                        return (
                            inspected.answer(CheckedAnswer::Errno(Errno::NOSYS)),
                            Origin::Rule(rule.line),
                        );
                    }
                }
            }
            let State::Inspected(inspected, request, paths) = &state else {
                continue;
            };
            let Ok(paths) = paths else {
                continue;
            };
            if !Self::lexically_matches(rule, request, paths) {
                continue;
            }
            if matches!(rule.action.kind(), ActionKind::Allow | ActionKind::Log) {
                let answer = match request.perform(inspected.call(), Self::scope(rule)) {
                    Outcome::Done(answer) => answer,
                    Outcome::Failed(errno) => CheckedAnswer::Errno(errno),
                    Outcome::Outside => continue,
                };
                let State::Inspected(inspected, ..) = state else {
                    continue;
                };
                return (inspected.answer(answer), Origin::Rule(rule.line));
            }
            let (answer, fell) = self.action_answer(rule.action);
            let origin = if fell {
                Origin::Fallback
            } else {
                Origin::Rule(rule.line)
            };
            return (Self::finish(state, answer), origin);
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
            Origin::Handler(Some(rule), detail) => format!("{rule}: {detail}"),
            Origin::Handler(None, detail) => format!("{file}: {detail}"),
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
