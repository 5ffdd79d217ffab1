//! Writing `/vm-plan`, the list of programs the guest's init runs (format documented in `vm-init`'s
//! `plan` module: `name TAB timeout TAB expected-status TAB argv...`, one step per line).

use std::fmt::Write as _;

/// One program for the guest to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Name in the `VMTEST` lines; no whitespace.
    pub name: String,
    /// Seconds before the init kills the step.
    pub timeout_secs: u64,
    /// The status that counts as a pass: an exit code or `signal-N`.
    pub expect: String,
    /// Program (an absolute path inside the initramfs) and arguments.
    pub argv: Vec<String>,
}

impl Step {
    /// A step that must exit with status 0.
    pub fn new(name: &str, timeout_secs: u64, argv: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            timeout_secs,
            expect: "0".to_owned(),
            argv: argv.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

/// Renders the plan file, rejecting what the init could not read back unchanged.
pub fn render(steps: &[Step]) -> Result<String, String> {
    let mut text = String::from("# vm-test plan: name TAB timeout-seconds TAB expected-status TAB argv...\n");
    for step in steps {
        if step.name.is_empty() || step.name.chars().any(char::is_whitespace) {
            return Err(format!(
                "plan step name {:?} is empty or contains whitespace",
                step.name
            ));
        }
        if step.timeout_secs == 0 {
            return Err(format!("plan step {}: the timeout must be positive", step.name));
        }
        if step.argv.is_empty() {
            return Err(format!("plan step {}: no program", step.name));
        }
        let fields = std::iter::once(&step.expect).chain(&step.argv);
        if let Some(bad) = fields.clone().find(|f| f.contains(['\t', '\n', '\r'])) {
            return Err(format!(
                "plan step {}: field {bad:?} contains a tab or line break",
                step.name
            ));
        }
        let _ = write!(text, "{}\t{}", step.name, step.timeout_secs);
        for field in fields {
            text.push('\t');
            text.push_str(field);
        }
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_tab_separated_line_per_step() {
        let mut kill = Step::new(
            "cli.kill",
            60,
            &["/bin/seccompctl", "run", "--", "/init", "helper", "syscalls"],
        );
        kill.expect = "signal-31".to_owned();
        let text = render(&[
            Step::new("seccomp-core.lib", 600, &["/t/seccomp-core.lib", "--nocapture"]),
            kill,
        ])
        .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with('#'));
        assert_eq!(
            lines[1],
            "seccomp-core.lib\t600\t0\t/t/seccomp-core.lib\t--nocapture"
        );
        assert_eq!(
            lines[2],
            "cli.kill\t60\tsignal-31\t/bin/seccompctl\trun\t--\t/init\thelper\tsyscalls"
        );
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn rejects_fields_the_init_would_misread() {
        assert!(
            render(&[Step::new("a b", 1, &["/x"])])
                .unwrap_err()
                .contains("whitespace")
        );
        assert!(
            render(&[Step::new("a", 0, &["/x"])])
                .unwrap_err()
                .contains("timeout")
        );
        assert!(
            render(&[Step::new("a", 1, &[])])
                .unwrap_err()
                .contains("no program")
        );
        assert!(
            render(&[Step::new("a", 1, &["/x", "1\t2"])])
                .unwrap_err()
                .contains("tab")
        );
        assert!(
            render(&[Step::new("a", 1, &["/x\n"])])
                .unwrap_err()
                .contains("line break")
        );
    }
}
