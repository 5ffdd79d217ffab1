//! Runs the real `seccomp-vm-init` binary on a plan outside a VM (`run-plan FILE`) and checks the
//! `VMTEST` lines it prints, with the binary itself as the step programs (`helper` modes).

use std::process::Command;

/// The binary under test: cargo's build output, or `/init` when this test itself runs inside the
/// `cargo xtask vm-test` guest (where cargo's path does not exist and the same binary is the init).
fn init_path() -> String {
    let built = env!("CARGO_BIN_EXE_seccomp-vm-init");
    if std::path::Path::new(built).exists() {
        built.to_owned()
    } else {
        "/init".to_owned()
    }
}

fn run_plan(name: &str, plan: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("seccomp-vm-init-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plan");
    std::fs::write(&path, plan).unwrap();
    let output = Command::new(init_path())
        .arg("run-plan")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn vmtest_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("VMTEST ")).collect()
}

#[test]
fn passing_steps_report_their_status_and_a_clean_summary() {
    let init = init_path();
    let plan = format!(
        "# two passing steps\nsys\t30\t0\t{init}\thelper\tsyscalls\nthree\t30\t3\t{init}\thelper\texit\t3\n\
         enoent\t30\t2\t{init}\thelper\topen\t/nonexistent/vm-init-test\n"
    );
    let (success, stdout) = run_plan("pass", &plan);
    assert!(success, "{stdout}");
    assert!(stdout.contains("helper: ok ppid="), "{stdout}");
    assert_eq!(
        vmtest_lines(&stdout),
        vec![
            "VMTEST begin step=sys",
            "VMTEST step=sys status=0 expected=0 result=pass",
            "VMTEST begin step=three",
            "VMTEST step=three status=3 expected=3 result=pass",
            "VMTEST begin step=enoent",
            "VMTEST step=enoent status=2 expected=2 result=pass",
            "VMTEST summary passed=3 failed=0",
        ]
    );
}

#[test]
fn timeouts_missing_programs_and_wrong_statuses_fail() {
    let init = init_path();
    let plan = format!(
        "slow\t1\t0\t{init}\thelper\tsleep\t600\nmissing\t30\t0\t/nonexistent/program\n\
         wrong\t30\t0\t{init}\thelper\texit\t1\n"
    );
    let (success, stdout) = run_plan("fail", &plan);
    assert!(!success, "{stdout}");
    let lines = vmtest_lines(&stdout);
    assert!(
        lines.contains(&"VMTEST step=slow status=timeout expected=0 result=fail"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"VMTEST step=missing status=spawn-error expected=0 result=fail"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"VMTEST step=wrong status=1 expected=0 result=fail"),
        "{stdout}"
    );
    assert_eq!(
        lines.last(),
        Some(&"VMTEST summary passed=0 failed=3"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_plan_is_an_error_naming_the_line() {
    let (success, stdout) = run_plan("bad", "ok\t1\t0\t/x\nbroken line\n");
    assert!(!success);
    assert!(
        stdout.contains("VMTEST plan-error") && stdout.contains("line 2:"),
        "{stdout}"
    );
}

#[test]
fn invoked_as_cat_it_prints_files_and_fails_on_missing_ones() {
    let dir = std::env::temp_dir().join(format!("seccomp-vm-init-cat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.txt");
    std::fs::write(&file, "first\nsecond\n").unwrap();
    let cat = dir.join("cat");
    std::os::unix::fs::symlink(init_path(), &cat).unwrap();
    let output = Command::new(&cat).arg(&file).arg(&file).output().unwrap();
    let missing = Command::new(&cat).arg(dir.join("missing")).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "first\nsecond\nfirst\nsecond\n"
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("cat: "));
}
