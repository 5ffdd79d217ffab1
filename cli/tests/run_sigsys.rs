//! `run` names the syscall seccomp refused when the command dies of SIGSYS (from the kernel's audit
//! record, where readable), or at least says seccomp killed it and how to find out.

mod supervise_common;

use supervise_common::*;

#[test]
fn a_command_killed_by_seccomp_is_explained() {
    if !can_continue("run sigsys") {
        return;
    }
    let tmp = TempDir::new("run-sigsys");
    let policy = tmp.write("kill.policy", "default allow\nkill-process uname\n");
    let output = run(&["run", "--policy", s(&policy), "--", "uname"]);
    assert_eq!(code(&output), 128 + 31, "{}", stderr(&output));
    let text = stderr(&output);
    let named = text.contains("seccompctl: the command was killed by SIGSYS: seccomp refused uname (");
    let general = text.contains("seccompctl: the command was killed by SIGSYS, most likely by seccomp");
    assert!(named || general, "{text}");
    if !named {
        // Not root, audit off, or the kernel's printk rate limit dropped the record.
        eprintln!("SKIP (part): the kernel's audit record was not readable; the general message was checked");
    }
    // Another signal is not explained as seccomp's.
    let output = run(&["run", "--policy", s(&policy), "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(code(&output), 128 + 15);
    assert!(!stderr(&output).contains("SIGSYS"), "{}", stderr(&output));
}
