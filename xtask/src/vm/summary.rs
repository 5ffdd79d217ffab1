//! Reading the guest's serial console: the init's `VMTEST` lines, the test harnesses' `test result:`
//! lines, failed test names, visible skips (lines containing `SKIP`) and kernel panics.
//!
//! Kernel messages can land in the middle of a line on a serial console, so markers are searched
//! anywhere in a line rather than only at its start.

/// One `VMTEST step=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    /// The step name.
    pub name: String,
    /// How it ended (`0`, `101`, `signal-9`, `timeout`, `spawn-error`).
    pub status: String,
    /// Whether the init counted it as a pass (the status matched the expected one).
    pub pass: bool,
}

/// Everything vm-test reads from one boot's console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The guest kernel release, from `VMTEST kernel release=...`.
    pub kernel: Option<String>,
    /// The finished steps, in order.
    pub steps: Vec<StepLine>,
    /// `(passed, failed)` from the final `VMTEST summary` line.
    pub summary: Option<(u64, u64)>,
    /// Sums over all `test result:` lines: passed, failed, ignored.
    pub tests: (u64, u64, u64),
    /// How many `test result:` lines were seen.
    pub test_binaries: usize,
    /// Names listed under `failures:` by the test harnesses.
    pub failed_tests: Vec<String>,
    /// Lines that report a skipped test or a missing kernel feature (contain `SKIP`), deduplicated.
    pub skips: Vec<String>,
    /// `VMTEST plan-error` lines and kernel panic lines.
    pub errors: Vec<String>,
}

impl Report {
    /// Parses a whole console log.
    pub fn parse(console: &str) -> Self {
        let mut report = Self::default();
        let mut in_failure_list = false;
        for raw in console.lines() {
            let line = raw.trim_end_matches('\r');
            if let Some(at) = line.find("VMTEST ") {
                report.vmtest_line(&line[at + "VMTEST ".len()..]);
                continue;
            }
            if let Some(at) = line.find("test result: ") {
                report.test_result(&line[at..]);
                in_failure_list = false;
                continue;
            }
            if line.trim() == "failures:" {
                in_failure_list = true;
                continue;
            }
            if in_failure_list {
                let name = line.trim();
                let listed = line.starts_with("    ") && !name.is_empty() && !name.contains(' ');
                if listed && !report.failed_tests.iter().any(|t| t == name) {
                    report.failed_tests.push(name.to_owned());
                }
            }
            if line.contains("SKIP") {
                let text = line.trim().to_owned();
                if !report.skips.contains(&text) {
                    report.skips.push(text);
                }
            }
            if line.contains("Kernel panic") {
                report.errors.push(line.trim().to_owned());
            }
        }
        report
    }

    fn vmtest_line(&mut self, rest: &str) {
        let field = |key: &str| {
            rest.split_whitespace()
                .find_map(|token| token.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let number = |key: &str| field(key).and_then(|v| v.parse::<u64>().ok());
        if rest.starts_with("kernel ") {
            self.kernel = field("release");
        } else if rest.starts_with("summary ")
            && let (Some(passed), Some(failed)) = (number("passed"), number("failed"))
        {
            self.summary = Some((passed, failed));
        } else if rest.starts_with("plan-error") {
            self.errors.push(format!("VMTEST {rest}"));
        } else if rest.starts_with("step=")
            && let (Some(name), Some(status)) = (field("step"), field("status"))
        {
            let pass = field("result").as_deref() == Some("pass");
            self.steps.push(StepLine { name, status, pass });
        }
    }

    fn test_result(&mut self, line: &str) {
        self.test_binaries += 1;
        let count = |what: &str| {
            line.split(';')
                .find_map(|part| {
                    part.trim()
                        .strip_suffix(what)?
                        .split_whitespace()
                        .last()?
                        .parse::<u64>()
                        .ok()
                })
                .unwrap_or(0)
        };
        self.tests.0 += count(" passed");
        self.tests.1 += count(" failed");
        self.tests.2 += count(" ignored");
        if line.starts_with("test result: FAILED") && count(" failed") == 0 {
            // A FAILED verdict whose counts did not parse must still count as a failure.
            self.tests.1 += 1;
        }
    }

    /// Checks the run: every expected step finished and passed, a summary with no failure was printed,
    /// no test harness reported a failure and the kernel did not panic. Returns every problem found.
    pub fn problems(&self, expected_steps: &[String]) -> Vec<String> {
        let mut problems = self.errors.clone();
        for name in expected_steps {
            match self.steps.iter().find(|s| &s.name == name) {
                None => problems.push(format!("step {name} did not finish (no VMTEST step line)")),
                Some(step) if !step.pass => {
                    problems.push(format!("step {name} failed: status {}", step.status))
                }
                Some(_) => {}
            }
        }
        match self.summary {
            None => problems.push("no `VMTEST summary` line: the guest did not finish the plan".to_owned()),
            Some((_, failed)) if failed > 0 => {
                problems.push(format!("the guest counted {failed} failed step(s)"))
            }
            Some(_) => {}
        }
        if self.tests.1 > 0 {
            let names = if self.failed_tests.is_empty() {
                String::new()
            } else {
                format!(": {}", self.failed_tests.join(", "))
            };
            problems.push(format!("{} test(s) failed{names}", self.tests.1));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSING: &str = "\
[    0.000000] Booting Linux on physical CPU 0x0\r
VMTEST kernel release=6.1.0-35-arm64 machine=aarch64\r
VMTEST begin step=seccomp-sys.lib\r
running 3 tests\r
test abi::sizes ... ok\r
SKIP notify_addfd: kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE\r
test notify::addfd ... ok\r
SKIP notify_addfd: kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE\r
test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.52s\r
\r
VMTEST step=seccomp-sys.lib status=0 expected=0 result=pass\r
VMTEST begin step=cli.features\r
VMTEST step=cli.features status=0 expected=0 result=pass\r
VMTEST summary passed=2 failed=0\r
[    3.1] reboot: Power down\r
";

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_passing_run_has_no_problems_and_keeps_its_skips() {
        let report = Report::parse(PASSING);
        assert_eq!(report.kernel.as_deref(), Some("6.1.0-35-arm64"));
        assert_eq!(report.summary, Some((2, 0)));
        assert_eq!(report.tests, (3, 0, 1));
        assert_eq!(report.test_binaries, 1);
        assert_eq!(
            report.skips,
            names(&["SKIP notify_addfd: kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE"])
        );
        assert_eq!(
            report.steps,
            vec![
                StepLine {
                    name: "seccomp-sys.lib".into(),
                    status: "0".into(),
                    pass: true
                },
                StepLine {
                    name: "cli.features".into(),
                    status: "0".into(),
                    pass: true
                },
            ]
        );
        assert_eq!(
            report.problems(&names(&["seccomp-sys.lib", "cli.features"])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_missing_step_or_summary_is_a_problem() {
        let cut = PASSING.split("VMTEST begin step=cli").next().unwrap();
        let problems = Report::parse(cut).problems(&names(&["seccomp-sys.lib", "cli.features"]));
        assert_eq!(
            problems,
            names(&[
                "step cli.features did not finish (no VMTEST step line)",
                "no `VMTEST summary` line: the guest did not finish the plan",
            ])
        );
    }

    #[test]
    fn failed_tests_are_named_and_counted() {
        let console = "\
VMTEST begin step=t\n\
test a ... FAILED\n\
failures:\n\
\n\
failures:\n    tests::a\n    tests::b\n\n\
test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
VMTEST step=t status=101 expected=0 result=fail\n\
VMTEST summary passed=0 failed=1\n";
        let report = Report::parse(console);
        assert_eq!(report.failed_tests, names(&["tests::a", "tests::b"]));
        assert_eq!(
            report.problems(&names(&["t"])),
            names(&[
                "step t failed: status 101",
                "the guest counted 1 failed step(s)",
                "2 test(s) failed: tests::a, tests::b",
            ])
        );
    }

    #[test]
    fn markers_inside_kernel_noise_and_panics_are_found() {
        let console = "[ 1.0] random: crng init doneVMTEST summary passed=1 failed=0\n\
                       [ 2.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n\
                       VMTEST plan-error /vm-plan: line 3: bad\n";
        let report = Report::parse(console);
        assert_eq!(report.summary, Some((1, 0)));
        assert_eq!(
            report.problems(&[]),
            names(&[
                "[ 2.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100",
                "VMTEST plan-error /vm-plan: line 3: bad",
            ])
        );
    }

    #[test]
    fn a_failed_verdict_without_counts_still_fails() {
        let report = Report::parse("test result: FAILED. garbled\nVMTEST summary passed=1 failed=0\n");
        assert_eq!(report.tests.1, 1);
        assert_eq!(report.problems(&[]), names(&["1 test(s) failed"]));
    }
}
