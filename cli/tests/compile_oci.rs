//! `compile --oci`: what is said about a profile (`-q`, `-v`, `--strict`) and the Docker resolution knobs
//! (`--caps`, `--cap-add`, `--cap-drop`, `--kernel`), on the real binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A profile with one contradiction (setns), one name x86_64 lacks (chown32), a rule for CAP_SYS_ADMIN
/// and one for kernels from 9.0 on.
const PROFILE: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "syscalls": [
    {"names": ["read", "write", "setns", "chown32", "exit_group"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "9.0"}}
  ]
}"#;

fn profile() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seccompctl-compile-oci-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    // One file per thread: tests run in parallel and must not read a file another one is writing.
    let thread = format!("{:?}", std::thread::current().id());
    let path = dir.join(format!(
        "profile-{}.json",
        thread.trim_matches(|c: char| !c.is_ascii_digit())
    ));
    std::fs::write(&path, PROFILE).expect("profile written");
    path
}

fn compile(extra: &[&str]) -> Output {
    let profile = profile();
    let kernel: &[&str] = if extra.contains(&"--kernel") {
        &[]
    } else {
        &["--kernel", "6.1"]
    };
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["compile", "--arch", "x86_64", "--emit", "asm", "--oci"])
        .arg(&profile)
        .args(kernel)
        .args(extra)
        .output()
        .expect("seccompctl runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_contradiction_is_one_warning_naming_both_entries_and_unknown_names_are_not_listed() {
    let out = compile(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].ends_with(
            "syscalls[1].names[0]: setns: errno(EACCES) here contradicts syscalls[0].names[2] (allow); \
             libseccomp keeps the first unconditional rule added: setns gets allow"
        ),
        "{lines:#?}"
    );
}

#[test]
fn quiet_silences_and_verbose_counts_the_unknown_names() {
    let quiet = compile(&["-q"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "");
    let verbose = compile(&["-v"]);
    let text = stderr(&verbose);
    assert!(text.contains("1 syscall names do not exist on x86_64"), "{text}");
    assert!(!text.contains("chown32"), "{text}");
    assert!(
        text.contains("runc's -ENOSYS stub: syscall numbers x86_64 above 308 fail with ENOSYS"),
        "{text}"
    );
    let crun = stderr(&compile(&["-v", "--runtime", "crun"]));
    assert!(crun.contains("no -ENOSYS stub (--runtime crun)"), "{crun}");
}

#[test]
fn strict_refuses_unknown_names_and_contradictions() {
    let out = compile(&["--strict"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(r#"syscalls[0].names[3]: syscall "chown32" does not exist"#),
        "{}",
        stderr(&out)
    );
}

#[test]
fn caps_and_kernel_choose_the_docker_rules() {
    let asm = |extra: &[&str]| {
        let out = compile(extra);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let base = asm(&[]);
    assert_eq!(asm(&["--caps", "docker"]), base, "Docker's set is the default");
    assert_ne!(
        asm(&["--cap-add", "sys_admin"]),
        base,
        "mount is allowed with CAP_SYS_ADMIN"
    );
    assert_eq!(asm(&["--caps", "all", "--cap-drop", "CAP_SYS_ADMIN"]), base);
    assert_ne!(asm(&["--kernel", "9.1"]), base, "ptrace from 9.0 on");
    let bad = compile(&["--caps", "CAP_NOPE"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--caps CAP_NOPE: unknown capability"));
}
