//! `seccompctl learn` on real programs: the learned allow-list runs the same command to the same output,
//! and refuses what the command did not use.

mod supervise_common;

use supervise_common::*;

/// Learns a policy for `command` into `tmp`, then runs `command` under it; both must exit 0 with `expected` on stdout. Returns the policy text.
fn learn_then_run(tmp: &TempDir, name: &str, command: &[&str], expected: &str) -> String {
    let policy = tmp.path(&format!("{name}.policy"));
    let mut learn = vec!["learn", "-o", s(&policy), "--"];
    learn.extend_from_slice(command);
    let mut again = vec!["run", "--policy", s(&policy), "--"];
    again.extend_from_slice(command);
    retry_disturbed(&format!("learn then run {command:?}"), || {
        let Some(output) = run_guarded(&learn, std::time::Duration::from_secs(20)) else {
            return Err("learn hung and was killed".to_owned());
        };
        let disturbed = stderr(&output).contains(INTERRUPTED);
        let learned_ok = code(&output) == 0 && stdout(&output) == expected;
        if !learned_ok && disturbed {
            return Err(format!("learn: {}", stderr(&output).trim()));
        }
        assert_eq!(code(&output), 0, "learn {command:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), expected, "learn {command:?}");
        assert!(
            stderr(&output).contains("seccompctl: learned "),
            "{}",
            stderr(&output)
        );
        let text = std::fs::read_to_string(&policy).expect("policy written");
        let run_output = run(&again);
        let ran_ok = code(&run_output) == 0 && stdout(&run_output) == expected;
        if !ran_ok && disturbed {
            // The interrupted syscall may be the one the policy lacks.
            return Err(format!("learn: {}", stderr(&output).trim()));
        }
        assert_eq!(
            code(&run_output),
            0,
            "run {command:?} under\n{text}\n{}",
            stderr(&run_output)
        );
        assert_eq!(stdout(&run_output), expected, "run {command:?}");
        Ok(text)
    })
}

/// The syscall names a policy allows unconditionally (`@group` lines expanded).
fn allowed(policy: &str) -> Vec<&'static str> {
    let arch = seccomp_core::arch::Arch::native().expect("a supported arch");
    let parsed: seccomp_core::policy::Policy =
        seccomp_core::policy::Policy::parse(policy, arch).unwrap_or_else(|e| panic!("{e}\n{policy}"));
    parsed
        .rules()
        .filter(|rule| rule.action() == seccomp_core::action::Action::ALLOW && !rule.is_conditional())
        .filter_map(|rule| arch.syscall_name(rule.nr()))
        .collect()
}

#[test]
fn a_policy_learned_from_cat_runs_cat_and_refuses_ls() {
    if !can_continue("learn cat") {
        return;
    }
    let tmp = TempDir::new("learn-cat");
    let data = tmp.write("data.txt", "some data\n");
    let policy = learn_then_run(&tmp, "cat", &["cat", s(&data)], "some data\n");
    let names = allowed(&policy);
    // The exec and the exit happen under the filter too and must be allowed.
    for needed in ["execve", "exit_group", "read", "write"] {
        assert!(names.contains(&needed), "{needed} missing from\n{policy}");
    }
    assert!(
        !names.contains(&"getdents64"),
        "cat lists no directory:\n{policy}"
    );
    assert!(
        policy.starts_with("# Learned by `seccompctl learn` from: cat "),
        "{policy}"
    );
    assert!(policy.contains("\ndefault errno(EPERM)\n"), "{policy}");
    // ls needs getdents64, which the policy refuses with EPERM.
    let output = run(&[
        "run",
        "--policy",
        s(&tmp.path("cat.policy")),
        "--",
        "ls",
        s(tmp.dir()),
    ]);
    assert_ne!(code(&output), 0);
    assert!(
        stderr(&output).contains("Operation not permitted"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_policy_learned_from_ls_runs_ls() {
    if !can_continue("learn ls") {
        return;
    }
    let tmp = TempDir::new("learn-ls");
    let listed = TempDir::new("learn-ls-dir");
    listed.write("b", "");
    listed.write("a", "");
    let policy = learn_then_run(&tmp, "ls", &["ls", s(listed.dir())], "a\nb\n");
    assert!(allowed(&policy).contains(&"getdents64"), "{policy}");
}

#[test]
fn a_policy_learned_from_a_shell_pipeline_runs_it() {
    if !can_continue("learn pipeline") {
        return;
    }
    let tmp = TempDir::new("learn-sh");
    let policy = learn_then_run(&tmp, "sh", &["sh", "-c", "echo hi | cat"], "hi\n");
    let names = allowed(&policy);
    assert!(names.contains(&"pipe2") || names.contains(&"pipe"), "{policy}");
    assert!(
        names
            .iter()
            .any(|n| ["clone", "clone3", "fork", "vfork"].contains(n)),
        "{policy}"
    );
}

#[test]
fn a_policy_learned_from_python_runs_python() {
    if !can_continue("learn python") {
        return;
    }
    let python = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join("python3").is_file()))
        .unwrap_or(false);
    if !python {
        eprintln!("SKIP: learn python: python3 is not installed");
        return;
    }
    let tmp = TempDir::new("learn-py");
    learn_then_run(&tmp, "python", &["python3", "-c", "print(1)"], "1\n");
}

#[test]
fn the_default_action_is_configurable_and_checked() {
    if !can_continue("learn default") {
        return;
    }
    let tmp = TempDir::new("learn-default");
    let policy = tmp.path("p");
    let output = run_until(
        &[
            "learn",
            "-o",
            s(&policy),
            "--default",
            "kill-process",
            "--",
            "true",
        ],
        |output| code(output) == 0,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = std::fs::read_to_string(&policy).expect("policy written");
    assert!(text.contains("\ndefault kill-process\n"), "{text}");
    let output = run(&["learn", "-o", s(&policy), "--default", "sometimes", "--", "true"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).starts_with("seccompctl: --default `sometimes`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_commands_failure_is_reported_and_its_status_kept() {
    if !can_continue("learn failure") {
        return;
    }
    let tmp = TempDir::new("learn-fail");
    let policy = tmp.path("p");
    let output = run_until(
        &["learn", "-o", s(&policy), "--", "sh", "-c", "exit 3"],
        |output| code(output) == 3,
    );
    assert_eq!(code(&output), 3);
    assert!(
        stderr(&output).contains("exited with status 3"),
        "{}",
        stderr(&output)
    );
    assert!(std::fs::read_to_string(&policy).is_ok_and(|text| text.contains("exit_group")));
    let output = run(&["learn", "-o", s(&policy), "--", "no-such-command-for-seccompctl"]);
    assert_eq!(code(&output), 127);
}

#[test]
fn an_oci_profile_learned_from_cat_runs_it_with_run_oci() {
    if !can_continue("learn oci") {
        return;
    }
    let tmp = TempDir::new("learn-oci");
    let data = tmp.write("data.txt", "oci\n");
    let profile = tmp.path("cat.json");
    let learn = [
        "learn",
        "--format",
        "oci",
        "-o",
        s(&profile),
        "--",
        "cat",
        s(&data),
    ];
    let output = run_until(&learn, |output| code(output) == 0);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = std::fs::read_to_string(&profile).expect("profile written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the profile is JSON");
    assert_eq!(json["defaultAction"], "SCMP_ACT_ERRNO");
    let names: Vec<&str> = json["syscalls"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["names"].as_array().into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(names.contains(&"execve") && names.contains(&"read"), "{text}");
    let output = run(&["run", "--oci", s(&profile), "--", "cat", s(&data)]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "oci\n");
}
