//! The plan file (`/vm-plan` in the initramfs): which programs the init runs, in order.
//!
//! One step per line, fields separated by a TAB character, so arguments may contain spaces:
//!
//! ```text
//! # comment
//! <name> TAB <timeout-seconds> TAB <expected-status> TAB <argv0> [TAB <argv1> ...]
//! ```
//!
//! `<expected-status>` is what the step must end with to pass: an exit code (`0`, `1`, ...) or
//! `signal-<N>` for a death by signal N. Empty lines and lines starting with `#` are ignored.
//! `cargo xtask vm-test` writes this file; the format is shared by convention, and both sides test it.

use std::fmt;
use std::time::Duration;

/// One program to run: its name in the summary, how long it may take, what it must end with and its argv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Short name printed in the `VMTEST step=` lines; contains no whitespace.
    pub name: String,
    /// Time after which the step's process group is killed and the step counts as `timeout`.
    pub timeout: Duration,
    /// The status that makes the step pass, in the form [`crate::run::Status`] displays.
    pub expect: String,
    /// Program path and arguments; never empty.
    pub argv: Vec<String>,
}

/// Why a plan line was rejected, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    /// The line has fewer than the four required fields.
    MissingFields {
        /// 1-based line number.
        line: usize,
    },
    /// The step name is empty or contains whitespace.
    BadName {
        /// 1-based line number.
        line: usize,
    },
    /// The timeout field is not a positive whole number of seconds.
    BadTimeout {
        /// 1-based line number.
        line: usize,
        /// The field as written.
        text: String,
    },
    /// The expected status is neither a number nor `signal-<N>`.
    BadExpect {
        /// 1-based line number.
        line: usize,
        /// The field as written.
        text: String,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingFields { line } => write!(
                f,
                "line {line}: expected `name TAB timeout TAB expected-status TAB program [TAB arg...]`"
            ),
            Self::BadName { line } => write!(f, "line {line}: the step name is empty or contains whitespace"),
            Self::BadTimeout { line, text } => {
                write!(
                    f,
                    "line {line}: timeout `{text}` is not a positive number of seconds"
                )
            }
            Self::BadExpect { line, text } => {
                write!(
                    f,
                    "line {line}: expected status `{text}` is neither a number nor `signal-N`"
                )
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Parses a whole plan file.
pub fn parse(text: &str) -> Result<Vec<Step>, PlanError> {
    let mut steps = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim_end_matches('\r');
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = content.split('\t').collect();
        let [name, timeout, expect, argv @ ..] = fields.as_slice() else {
            return Err(PlanError::MissingFields { line });
        };
        if argv.is_empty() || argv.iter().all(|a| a.is_empty()) {
            return Err(PlanError::MissingFields { line });
        }
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(PlanError::BadName { line });
        }
        let seconds = match timeout.parse::<u64>() {
            Ok(s) if s > 0 => s,
            _ => {
                return Err(PlanError::BadTimeout {
                    line,
                    text: (*timeout).to_owned(),
                });
            }
        };
        if !valid_expect(expect) {
            return Err(PlanError::BadExpect {
                line,
                text: (*expect).to_owned(),
            });
        }
        steps.push(Step {
            name: (*name).to_owned(),
            timeout: Duration::from_secs(seconds),
            expect: (*expect).to_owned(),
            argv: argv.iter().map(|a| (*a).to_owned()).collect(),
        });
    }
    Ok(steps)
}

fn valid_expect(text: &str) -> bool {
    let digits = text.strip_prefix("signal-").unwrap_or(text);
    !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_skips_comments_and_blank_lines() {
        let text =
            "# plan\n\nunit\t300\t0\t/t/core\t--nocapture\r\nkill\t5\tsignal-31\t/init\thelper\tsyscalls\n";
        let steps = parse(text).unwrap();
        assert_eq!(
            steps,
            vec![
                Step {
                    name: "unit".into(),
                    timeout: Duration::from_secs(300),
                    expect: "0".into(),
                    argv: vec!["/t/core".into(), "--nocapture".into()],
                },
                Step {
                    name: "kill".into(),
                    timeout: Duration::from_secs(5),
                    expect: "signal-31".into(),
                    argv: vec!["/init".into(), "helper".into(), "syscalls".into()],
                },
            ]
        );
    }

    #[test]
    fn arguments_may_contain_spaces() {
        let steps = parse("s\t1\t0\t/bin/x\ta b c\n").unwrap();
        assert_eq!(steps[0].argv, vec!["/bin/x".to_owned(), "a b c".to_owned()]);
    }

    #[test]
    fn rejects_bad_lines_with_their_line_number() {
        let check = |text: &str, expected: PlanError| assert_eq!(parse(text), Err(expected));
        check(
            "ok\t1\t0\t/x\nshort\t1\t0\n",
            PlanError::MissingFields { line: 2 },
        );
        check("a b\t1\t0\t/x\n", PlanError::BadName { line: 1 });
        check("\t1\t0\t/x\n", PlanError::BadName { line: 1 });
        check(
            "a\t0\t0\t/x\n",
            PlanError::BadTimeout {
                line: 1,
                text: "0".into(),
            },
        );
        check(
            "a\tsoon\t0\t/x\n",
            PlanError::BadTimeout {
                line: 1,
                text: "soon".into(),
            },
        );
        check(
            "a\t1\tok\t/x\n",
            PlanError::BadExpect {
                line: 1,
                text: "ok".into(),
            },
        );
        check(
            "a\t1\tsignal-\t/x\n",
            PlanError::BadExpect {
                line: 1,
                text: "signal-".into(),
            },
        );
    }

    #[test]
    fn error_messages_name_the_line() {
        let message = PlanError::BadTimeout {
            line: 7,
            text: "x".into(),
        }
        .to_string();
        assert!(message.starts_with("line 7:"), "{message}");
    }
}
