//! Import of OCI and Docker profiles into the policy model, export back, and round trips. Behaviour is
//! checked through `Policy::evaluate`, the model's reference semantics.

use seccomp_core::abi::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, SeccompData};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, Width, X32, verify_with};
use seccomp_oci::{
    DockerProfile, DockerTarget, ErrorKind, Imported, KernelVersion, LinuxSeccomp, ScmpArch, WarningKind,
};

const DOCKER_DEFAULT: &str = include_str!("fixtures/docker-default.json");
const RUNTIME_SPEC: &str = include_str!("fixtures/runtime-spec.json");

fn docker_policy(target: &DockerTarget) -> Imported {
    DockerProfile::from_json(DOCKER_DEFAULT)
        .unwrap()
        .to_policy(target)
        .unwrap()
}

/// The action `policy` decides for syscall `name` of `arch` with `args`.
fn decide(policy: &Policy, arch: Arch, name: &str, args: [u64; 6]) -> Action {
    let nr = arch
        .syscall_nr(name)
        .unwrap_or_else(|| panic!("{name} on {arch}"));
    policy.evaluate(&SeccompData {
        nr: nr as i32,
        arch: arch.audit(),
        instruction_pointer: 0,
        args,
    })
}

fn data(arch: u32, nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch,
        instruction_pointer: 0,
        args,
    }
}

fn args(first: u64, second: u64) -> [u64; 6] {
    [first, second, 0, 0, 0, 0]
}

fn eperm() -> Action {
    Action::errno(1).unwrap()
}

#[test]
fn docker_default_on_x86_64_allows_what_docker_allows() {
    let target = DockerTarget::docker_default(ScmpArch::X86_64, KernelVersion::new(6, 8));
    let Imported {
        policy,
        warnings,
        unknown_names,
        ..
    } = docker_policy(&target);
    let x86 = Arch::X86_64;
    assert_eq!(policy.arch(), x86);
    assert_eq!(policy.default_action(), eperm());
    assert_eq!(
        policy.x32(),
        X32::Rules,
        "SCMP_ARCH_X32 is covered with rules of its own"
    );
    assert_eq!(
        policy.compat(),
        Some(Arch::I386),
        "SCMP_ARCH_X86 is the compat ABI"
    );
    assert_eq!(decide(&policy, Arch::I386, "getpid", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, Arch::I386, "socketcall", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, Arch::X32, "getpid", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "read", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "ptrace", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "arch_prctl", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "mount", [0; 6]), eperm());
    assert_eq!(decide(&policy, x86, "kexec_load", [0; 6]), eperm());
    assert_eq!(decide(&policy, x86, "clone3", [0; 6]), Action::errno(38).unwrap());
    // socket(AF_VSOCK) is refused, every other family allowed.
    assert_eq!(decide(&policy, x86, "socket", args(40, 1)), eperm());
    assert_eq!(decide(&policy, x86, "socket", args(2, 1)), Action::ALLOW);
    // personality: five exact values.
    for allowed in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
        assert_eq!(
            decide(&policy, x86, "personality", args(allowed, 0)),
            Action::ALLOW
        );
    }
    assert_eq!(decide(&policy, x86, "personality", args(3, 0)), eperm());
    assert_eq!(
        decide(&policy, x86, "personality", args(0x1_0000_0000, 0)),
        eperm(),
        "64-bit compare"
    );
    // clone without namespace flags is allowed; CLONE_NEWUSER (0x10000000) is not.
    assert_eq!(decide(&policy, x86, "clone", args(0x11, 0)), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "clone", args(0x1000_0011, 0)), eperm());
    // x32 and i386 syscalls follow their own ABI's rules of the same names; aarch64 is foreign.
    assert_eq!(decide(&policy, Arch::X32, "read", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, Arch::X32, "mount", [0; 6]), eperm());
    assert_eq!(decide(&policy, Arch::I386, "read", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, Arch::I386, "mount", [0; 6]), eperm());
    assert_eq!(
        decide(&policy, Arch::Aarch64, "read", [0; 6]),
        Action::KILL_THREAD
    );
    assert_eq!(
        policy.bad_arch_action(),
        Action::KILL_THREAD,
        "libseccomp's default"
    );

    assert!(
        !warnings
            .iter()
            .any(|w| matches!(w.kind(), WarningKind::UnsupportedArch { .. })),
        "every archMap entry of x86_64 is covered: {warnings:#?}"
    );
    // Unknown names are collected apart from the warnings, and only names no covered ABI has count:
    // chown32 (the 13th name of the base list) exists on i386, so it is an i386 rule.
    let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        !messages.iter().any(|m| m.contains("does not exist")),
        "{messages:#?}"
    );
    assert!(
        !unknown_names.iter().any(|w| w.to_string().contains("chown32")),
        "{unknown_names:#?}"
    );
    assert_eq!(decide(&policy, Arch::I386, "chown32", [0; 6]), Action::ALLOW);
    for warning in &unknown_names {
        if let WarningKind::UnknownSyscall { name, .. } = warning.kind() {
            assert_eq!(Arch::X86_64.syscall_nr(name), None, "{warning}");
        }
    }
}

#[test]
fn docker_default_on_aarch64_with_sys_admin() {
    let target = DockerTarget::docker_default(ScmpArch::Aarch64, KernelVersion::new(4, 4))
        .with_caps(["CAP_SYS_ADMIN"]);
    let Imported {
        policy,
        warnings,
        unknown_names,
        ..
    } = docker_policy(&target);
    let arm64 = Arch::Aarch64;
    assert_eq!(policy.arch(), arm64);
    assert_eq!(decide(&policy, arm64, "mount", [0; 6]), Action::ALLOW);
    assert_eq!(
        decide(&policy, arm64, "clone", args(0x1000_0011, 0)),
        Action::ALLOW
    );
    assert_eq!(decide(&policy, arm64, "clone3", [0; 6]), Action::ALLOW);
    assert_eq!(
        decide(&policy, arm64, "ptrace", [0; 6]),
        eperm(),
        "kernel 4.4 < 4.8"
    );
    assert_eq!(decide(&policy, Arch::X86_64, "read", [0; 6]), Action::KILL_THREAD);
    // SCMP_ARCH_ARM is the compat ABI now: no warning, and the arm-only names of the arm rule
    // (syscalls[9]) are arm rules, not unknown names.
    assert!(
        !warnings
            .iter()
            .any(|w| matches!(w.kind(), WarningKind::UnsupportedArch { .. })),
        "{warnings:#?}"
    );
    assert_eq!(policy.compat(), Some(Arch::Arm));
    assert_eq!(
        decide(&policy, Arch::Arm, "arm_fadvise64_64", [0; 6]),
        Action::ALLOW
    );
    assert_eq!(decide(&policy, Arch::Arm, "getpid", [0; 6]), Action::ALLOW);
    assert!(
        !unknown_names
            .iter()
            .any(|w| w.to_string().contains("arm_fadvise64_64")),
        "{unknown_names:#?}"
    );
}

#[test]
fn docker_target_without_a_syscall_table_is_an_error() {
    let profile = DockerProfile::from_json(DOCKER_DEFAULT).unwrap();
    let err = profile
        .to_policy(&DockerTarget::new(ScmpArch::Ppc64le, KernelVersion::new(6, 1)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "(root): no syscall table for the target architecture SCMP_ARCH_PPC64LE"
    );
}

#[test]
fn runtime_spec_rules_keep_runc_semantics_in_the_policy() {
    let seccomp = LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap();
    let Imported {
        policy,
        warnings,
        unknown_names,
        ..
    } = seccomp.to_policy(Arch::X86_64).unwrap();
    let x86 = Arch::X86_64;
    let enosys = Action::errno(38).unwrap();
    assert_eq!(policy.default_action(), enosys);
    assert_eq!(decide(&policy, x86, "mknod", [0; 6]), Action::NOTIFY);
    assert_eq!(decide(&policy, x86, "ptrace", [0; 6]), eperm());
    assert_eq!(decide(&policy, x86, "kexec_load", [0; 6]), Action::KILL_PROCESS);
    assert_eq!(
        decide(&policy, x86, "reboot", [0; 6]),
        Action::KILL_THREAD,
        "SCMP_ACT_KILL"
    );
    assert_eq!(decide(&policy, x86, "getpid", [0; 6]), Action::KILL_THREAD);
    assert_eq!(decide(&policy, x86, "uname", [0; 6]), Action::trace(4242));
    // socket: distinct indexes are ANDed; (type & SOCK_CLOEXEC) == 0.
    assert_eq!(decide(&policy, x86, "socket", args(1, 1)), Action::ALLOW);
    assert_eq!(decide(&policy, x86, "socket", args(1, 0x80001)), enosys);
    assert_eq!(decide(&policy, x86, "socket", args(2, 1)), enosys);
    // personality: index 0 repeated, so the three comparisons are alternatives.
    assert_eq!(decide(&policy, x86, "personality", args(8, 0)), Action::ALLOW);
    assert_eq!(
        decide(&policy, x86, "personality", args(0xffff_ffff, 0)),
        Action::ALLOW
    );
    assert_eq!(decide(&policy, x86, "personality", args(9, 0)), enosys);
    // setpriority: `>= 0` OR `<= 19` on the same index holds for every value.
    assert_eq!(
        decide(&policy, x86, "setpriority", [0, 0, u64::MAX, 0, 0, 0]),
        Action::ALLOW
    );
    // mprotect: (prot & PROT_EXEC) == PROT_EXEC is logged; anything else gets the default.
    assert_eq!(decide(&policy, x86, "mprotect", [0, 0, 7, 0, 0, 0]), Action::LOG);
    assert_eq!(decide(&policy, x86, "mprotect", [0, 0, 3, 0, 0, 0]), enosys);
    // kill: all three comparisons must hold.
    assert_eq!(decide(&policy, x86, "kill", [2, 15, 0, 0, 0, 0]), Action::TRAP);
    assert_eq!(decide(&policy, x86, "kill", [2, 9, 0, 0, 0, 0]), enosys);
    assert_eq!(decide(&policy, x86, "kill", [1, 15, 0, 0, 0, 0]), enosys);
    assert_eq!(decide(&policy, x86, "kill", [2, 15, u64::MAX, 0, 0, 0]), enosys);
    assert_eq!(decide(&policy, x86, "arch_prctl", [0; 6]), Action::ALLOW);
    assert_eq!(decide(&policy, Arch::X32, "read", [0; 6]), Action::ALLOW);

    // SCMP_ARCH_X86 is x86_64's compat ABI: covered, no warning.
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(policy.compat(), Some(Arch::I386));
    assert_eq!(
        unknown_names[0].to_string(),
        r#"syscalls[12].names[0]: syscall "no_such_syscall" does not exist on x86_64; skipped"#
    );
    assert_eq!(unknown_names.len(), 1);
    assert_eq!(seccomp.flag_bits(), 0b110);
}

#[test]
fn rules_with_the_default_action_are_skipped_like_runc() {
    let seccomp = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]},
            {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2}]}"#,
    )
    .unwrap();
    let Imported {
        policy,
        warnings,
        unknown_names,
        ..
    } = seccomp.to_policy(Arch::X86_64).unwrap();
    // runc drops the ERRNO(EPERM) rule, so read(3) stays allowed.
    assert_eq!(decide(&policy, Arch::X86_64, "read", args(3, 0)), Action::ALLOW);
    assert_eq!(
        decide(&policy, Arch::X86_64, "write", [0; 6]),
        Action::errno(2).unwrap()
    );
    assert_eq!(policy.len(), 2);
    // The skipped rule contradicts the one that decides: one warning naming both.
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        "syscalls[1].names[0]: read: errno(EPERM) here contradicts syscalls[0].names[0] (allow); runc skips \
         rules whose action is the default action, so the other rule decides: read gets allow"
    );
    assert!(unknown_names.is_empty());
}

#[test]
fn import_errors_name_the_offending_member() {
    let check = |json: &str, expected: &str| {
        let seccomp = LinuxSeccomp::from_json(json).unwrap();
        let err = seccomp.to_policy(Arch::X86_64).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert!(matches!(err.kind(), ErrorKind::Unrepresentable(_)));
    };
    check(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]}"#,
        "syscalls[0].errnoRet: errnoRet 5000 is above the kernel's maximum of 4095",
    );
    check(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}"#,
        "defaultErrnoRet: errnoRet 4096 is above the kernel's maximum of 4095",
    );
    // Capacity: a policy with room for two rules refuses the third, naming its profile rule.
    let seccomp = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["close"], "action": "SCMP_ACT_ALLOW"}]}"#,
    )
    .unwrap();
    let err = seccomp.to_policy_with_capacity::<2, 2>(Arch::X86_64).unwrap_err();
    assert_eq!(
        err.to_string(),
        "syscalls[1].names[0]: too many rules (the policy holds at most 2)"
    );
}

#[test]
fn oci_to_policy_to_oci_to_policy_is_stable() {
    let mut profiles = vec![(LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap(), Arch::X86_64)];
    let docker = DockerProfile::from_json(DOCKER_DEFAULT).unwrap();
    for (arch, scmp) in [
        (Arch::X86_64, ScmpArch::X86_64),
        (Arch::Aarch64, ScmpArch::Aarch64),
    ] {
        let target =
            DockerTarget::docker_default(scmp, KernelVersion::new(6, 1)).with_caps(["CAP_SYS_PTRACE"]);
        profiles.push((docker.resolve(&target).seccomp, arch));
    }
    for (profile, arch) in profiles {
        let first = profile.to_policy(arch).unwrap().policy;
        let exported = LinuxSeccomp::from_policy(&first).unwrap();
        assert!(exported.warnings.is_empty(), "{:?}", exported.warnings);
        // Through JSON text too, as a file would carry it.
        let reparsed = LinuxSeccomp::from_json(exported.seccomp.to_json_pretty()).unwrap();
        assert_eq!(reparsed, exported.seccomp);
        let second = reparsed.to_policy(arch).unwrap();
        // The same decisions on every arch value and boundary (the rule order of the ABIs other than the
        // target may differ: export writes the target's rules, which import expands per ABI).
        if let Err(mismatch) = verify_with(&first, |data| second.policy.evaluate(data)) {
            panic!("{arch}: {mismatch}");
        }
        assert_eq!(second.policy.compat(), first.compat(), "{arch}");
        assert_eq!(second.policy.x32(), first.x32(), "{arch}");
        assert!(second.warnings.is_empty(), "{:?}", second.warnings);
        // And the exported profile is a fixed point.
        assert_eq!(LinuxSeccomp::from_policy(&second.policy).unwrap(), exported);
    }
}

#[test]
fn exported_rules_group_names_and_split_alternatives() {
    let mut policy: Policy = Policy::new(Arch::X86_64, Action::KILL_PROCESS);
    for name in ["read", "write", "close"] {
        policy.add_named_rule(name, Action::ALLOW, &[]).unwrap();
    }
    let zero = Comparison::new(0, Width::Full, Op::Eq, 0).unwrap();
    let masked = Comparison::new(1, Width::Full, Op::MaskedEq(0xf0), 0x10).unwrap();
    let low = Comparison::new(2, Width::Low, Op::Eq, 0xffff_ffff).unwrap();
    policy
        .add_named_rule("ioctl", Action::errno(25).unwrap(), &[&[zero, masked], &[low]])
        .unwrap();
    let exported = LinuxSeccomp::from_policy(&policy).unwrap().seccomp;
    assert_eq!(exported.architectures, [ScmpArch::X86_64]);
    assert_eq!(exported.syscalls.len(), 3);
    assert_eq!(exported.syscalls[0].names, ["read", "write", "close"]);
    let json = exported.to_json_pretty();
    assert!(
        json.contains("\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\""),
        "{json}"
    );
    assert!(json.contains("\"valueTwo\": 16"), "{json}");
    assert!(json.contains("\"value\": 4294967295,\n          \"valueTwo\": 4294967295,\n          \"op\": \"SCMP_CMP_MASKED_EQ\""), "{json}");
    // The re-imported policy splits the alternatives into rules but decides every input the same way.
    let back = exported.to_policy(Arch::X86_64).unwrap().policy;
    assert_eq!(back.len(), 5);
    let samples = [0, 1, 0x10, 0x1f, 0xf0, 0xffff_ffff, 0x1_ffff_ffff, u64::MAX];
    for a in samples {
        for b in samples {
            for c in samples {
                let data = SeccompData {
                    nr: 16, // ioctl
                    arch: Arch::X86_64.audit(),
                    instruction_pointer: 0,
                    args: [a, b, c, 0, 0, 0],
                };
                assert_eq!(back.evaluate(&data), policy.evaluate(&data), "{data:?}");
            }
        }
    }
}

#[test]
fn policies_the_oci_format_cannot_express_are_refused_with_the_rule() {
    let refuse = |action: Action, condition: &[&[Comparison]], expected: &str| {
        let mut policy: Policy = Policy::new(Arch::X86_64, Action::ALLOW);
        policy.add_named_rule("read", Action::LOG, &[]).unwrap();
        policy.add_named_rule("write", action, condition).unwrap();
        let err = LinuxSeccomp::from_policy(&policy).unwrap_err();
        assert_eq!(err.to_string(), expected);
    };
    refuse(
        Action::trap(5),
        &[],
        "rules[1].action: action trap(5) has no OCI equivalent",
    );
    let low_lt = Comparison::new(0, Width::Low, Op::Lt, 3).unwrap();
    refuse(
        Action::KILL_PROCESS,
        &[&[low_lt]],
        "rules[1].alternatives[0][0]: a 32-bit `<` comparison (args[0].lo < 3) has no OCI equivalent (OCI compares 64 bits)",
    );
    let ge = Comparison::new(3, Width::Full, Op::Ge, 1).unwrap();
    let le = Comparison::new(3, Width::Full, Op::Le, 9).unwrap();
    refuse(
        Action::KILL_PROCESS,
        &[&[ge, le]],
        "rules[1].alternatives[0][1]: a second comparison of args[3] in one alternative cannot be exported: runc ORs comparisons that share an argument",
    );
    let mut policy: Policy = Policy::new(Arch::X86_64, Action::trap(1));
    policy.add_named_rule("read", Action::ALLOW, &[]).unwrap();
    assert_eq!(
        LinuxSeccomp::from_policy(&policy).unwrap_err().to_string(),
        "defaultAction: action trap(1) has no OCI equivalent"
    );
}

#[test]
fn a_bad_arch_action_other_than_kill_thread_is_dropped_with_a_warning() {
    let mut policy: Policy = Policy::new(Arch::Aarch64, Action::errno(1).unwrap());
    policy.set_bad_arch_action(Action::errno(38).unwrap());
    policy.add_named_rule("read", Action::ALLOW, &[]).unwrap();
    let exported = LinuxSeccomp::from_policy(&policy).unwrap();
    assert_eq!(exported.seccomp.architectures, [ScmpArch::Aarch64]);
    assert_eq!(exported.seccomp.default_errno_ret, Some(1));
    assert_eq!(exported.warnings.len(), 1);
    assert!(matches!(
        exported.warnings[0].kind(),
        WarningKind::BadArchActionDropped { action } if *action == Action::errno(38).unwrap()
    ));
}

/// Imported profiles compile, and the compiled programs agree with the policy in the emulator.
#[test]
fn imported_profiles_compile_and_verify_against_the_policy() {
    use seccomp_core::abi::{BPF_MAXINSNS, SockFilter};
    use seccomp_core::policy::{compile, verify};
    let docker = DockerProfile::from_json(DOCKER_DEFAULT).unwrap();
    let mut policies = Vec::new();
    for scmp in [ScmpArch::X86_64, ScmpArch::Aarch64, ScmpArch::X86] {
        let target = DockerTarget::docker_default(scmp, KernelVersion::new(6, 8));
        policies.push(docker.to_policy(&target).unwrap().policy);
    }
    let spec = LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap();
    policies.push(spec.to_policy(Arch::X86_64).unwrap().policy);
    for policy in &policies {
        let mut out = vec![SockFilter::default(); BPF_MAXINSNS];
        let compiled = compile(policy, &mut out).unwrap();
        assert!(compiled.program().len() <= BPF_MAXINSNS);
        if let Err(mismatch) = verify(policy, &compiled.program()) {
            panic!("{} policy: {mismatch:?}", policy.arch());
        }
    }
}

/// The cases of issue 13, each decided as runc's filter decides them (libseccomp's database semantics).
#[test]
fn runc_resolution_rules_on_the_cases_that_used_to_differ() {
    let import = |json: &str| {
        LinuxSeccomp::from_json(json)
            .unwrap()
            .to_policy(Arch::X86_64)
            .unwrap()
    };
    let x86 = Arch::X86_64;

    // Podman: setns in the ALLOW list and again as ERRNO(EPERM) = the default: runc skips the second.
    let setns = import(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
            {"names": ["read", "setns"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#,
    );
    assert_eq!(decide(&setns.policy, x86, "setns", [0; 6]), Action::ALLOW);
    assert_eq!(setns.warnings.len(), 1, "{:?}", setns.warnings);
    assert_eq!(setns.warnings[0].path().to_string(), "syscalls[1].names[0]");

    // Two unconditional rules with different actions: the first added wins.
    let first = import(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["setns"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["setns"], "action": "SCMP_ACT_KILL"}]}"#,
    );
    assert_eq!(decide(&first.policy, x86, "setns", [0; 6]), Action::ALLOW);
    assert!(
        first.warnings[0]
            .to_string()
            .contains("keeps the first unconditional rule")
    );
    assert!(first.check_strict().is_err());

    // MASKED_EQ masks the datum: mask 0xff00, datum 1000 (0x3e8) means (arg & 0xff00) == 0x300.
    let masked = import(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 65280, "valueTwo": 1000, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#,
    );
    assert_eq!(decide(&masked.policy, x86, "read", args(0x3ff, 0)), Action::ALLOW);
    assert_eq!(decide(&masked.policy, x86, "read", args(0x400, 0)), eperm());

    // libseccomp's test 43: errno(5) if a2 > 128, errno(6) if a2 > 256: the narrower test decides.
    let narrow = import(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 2, "value": 128, "op": "SCMP_CMP_GT"}]},
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 6, "args": [{"index": 2, "value": 256, "op": "SCMP_CMP_GT"}]}]}"#,
    );
    let read = |policy: &Policy, a2| decide(policy, x86, "read", [0, 0, a2, 0, 0, 0]);
    assert_eq!(read(&narrow.policy, 257), Action::errno(6).unwrap());
    assert_eq!(read(&narrow.policy, 200), Action::errno(5).unwrap());
    assert_eq!(read(&narrow.policy, 100), Action::ALLOW);

    // First match in libseccomp's order even against precedence: allow if a0 > 10 is tested before
    // kill if a0 > 5, so a0 = 20 is allowed, a0 = 7 killed.
    let order = import(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GT"}]},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_GT"}]}]}"#,
    );
    assert_eq!(decide(&order.policy, x86, "read", args(20, 0)), Action::ALLOW);
    assert_eq!(
        decide(&order.policy, x86, "read", args(7, 0)),
        Action::KILL_THREAD
    );
    assert_eq!(decide(&order.policy, x86, "read", args(3, 0)), eperm());

    // libseccomp 2.5.4's BPF allows read(1) here, but runc splits the two tests into two rules (OR), so
    // the profile means EPERM for every fd below 2^32.
    let split = import(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":0,"op":"SCMP_CMP_LT"},{"index":0,"value":4294967296,"op":"SCMP_CMP_LT"}]}]}"#,
    );
    assert_eq!(decide(&split.policy, x86, "read", args(1, 0)), eperm());
    assert_eq!(
        decide(&split.policy, x86, "read", args(1 << 32, 0)),
        Action::ALLOW
    );

    // ERRNO(4095), the kernel's largest errno, which libseccomp 2.5.4 refuses (EINVAL), is the profile's
    // meaning and imported as such.
    let max = import(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":4095}]}"#,
    );
    assert_eq!(
        decide(&max.policy, x86, "read", [0; 6]),
        Action::errno(4095).unwrap()
    );

    // The same conditions with two actions: libseccomp refuses the rule (EEXIST), so runc refuses.
    let err = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap()
    .to_policy(x86)
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("syscalls[1].names[0]: read: the same conditions as syscalls[0].names[0]"),
        "{err}"
    );

    // An unconditional rule after conditional ones replaces them; a conditional one after it is dropped.
    let replaced = import(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["read"], "action": "SCMP_ACT_LOG"},
            {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}"#,
    );
    assert_eq!(decide(&replaced.policy, x86, "read", args(1, 0)), Action::LOG);
    assert_eq!(decide(&replaced.policy, x86, "read", args(2, 0)), Action::LOG);
    assert_eq!(replaced.warnings.len(), 2, "{:?}", replaced.warnings);
}

#[test]
fn runcs_enosys_stub_is_applied_with_a_ceiling_per_abi() {
    let seccomp = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"], "syscalls": [
            {"names": ["read", "openat2", "no_such"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socketcall"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let imported = seccomp.to_policy(Arch::X86_64).unwrap();
    let policy = &imported.policy;
    assert_eq!(policy.enosys_above(Arch::X86_64), Some(437));
    assert_eq!(policy.enosys_above(Arch::X32), Some(0x4000_0000 | 437));
    // i386's own section: its largest is openat2 (437), not socketcall (102); an entry whose action is the
    // default still counts, as runc's findLastSyscalls reads every entry.
    assert_eq!(policy.enosys_above(Arch::I386), Some(437));
    let enosys = Action::errno(38).unwrap();
    let at = |arch: u32, nr: u32| policy.evaluate(&data(arch, nr, [0; 6]));
    assert_eq!(at(AUDIT_ARCH_X86_64, 438), enosys);
    assert_eq!(at(AUDIT_ARCH_X86_64, 437), Action::ALLOW);
    assert_eq!(at(AUDIT_ARCH_X86_64, 436), Action::errno(1).unwrap());
    assert_eq!(at(AUDIT_ARCH_X86_64, u32::MAX), enosys);
    assert_eq!(at(AUDIT_ARCH_X86_64, 0x8000_0000), enosys);
    assert_eq!(at(AUDIT_ARCH_X86_64, 0x4000_0000 | 438), enosys);
    assert_eq!(at(AUDIT_ARCH_I386, 438), enosys);
    // crun has no stub.
    let crun = seccomp.to_policy(Arch::X86_64).unwrap().without_enosys_stub();
    assert_eq!(crun.policy.enosys_ceilings().count(), 0);
    assert_eq!(
        crun.policy.evaluate(&data(AUDIT_ARCH_X86_64, 438, [0; 6])),
        Action::errno(1).unwrap()
    );
    // No stub when the default action allows, logs or traces; a ceiling of 0 makes no section.
    for default in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"] {
        let profile = format!(
            r#"{{"defaultAction": "{default}", "syscalls": [{{"names": ["openat2"], "action": "SCMP_ACT_KILL"}}]}}"#
        );
        let imported = LinuxSeccomp::from_json(&profile)
            .unwrap()
            .to_policy(Arch::X86_64)
            .unwrap();
        assert_eq!(imported.policy.enosys_ceilings().count(), 0, "{default}");
    }
    let only_read = LinuxSeccomp::from_json(r#"{"defaultAction": "SCMP_ACT_KILL", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#).unwrap();
    assert_eq!(
        only_read
            .to_policy(Arch::X86_64)
            .unwrap()
            .policy
            .enosys_ceilings()
            .count(),
        0
    );
    // An export drops the ceilings and says so.
    let exported = LinuxSeccomp::from_policy(policy).unwrap();
    assert_eq!(
        exported.enosys_dropped,
        [(Arch::X86_64, 437), (Arch::X32, 0x4000_01b5), (Arch::I386, 437)]
    );
}

#[test]
fn profiles_runc_refuses_are_warned_about_and_refused_under_strict() {
    // runc's InitSeccomp refuses a notifying default action and a notified `write`; the filter is still built
    // (crun and seccompctl's own supervisor can serve it), with one warning naming the place.
    let default = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_NOTIFY", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#,
    )
    .unwrap()
    .to_policy(Arch::X86_64)
    .unwrap();
    assert_eq!(default.warnings.len(), 1, "{:?}", default.warnings);
    assert_eq!(default.warnings[0].path().to_string(), "defaultAction");
    assert!(matches!(
        default.warnings[0].kind(),
        WarningKind::RuncRefuses { reason } if reason.contains("default action")
    ));
    assert!(default.check_strict().is_err());

    let write = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    )
    .unwrap()
    .to_policy(Arch::X86_64)
    .unwrap();
    assert_eq!(write.warnings.len(), 1, "{:?}", write.warnings);
    assert_eq!(write.warnings[0].path().to_string(), "syscalls[0].names[1]");
    assert!(
        write.warnings[0]
            .to_string()
            .contains("runc refuses this profile")
    );
    assert!(write.check_strict().is_err());
    assert_eq!(
        decide(&write.policy, Arch::X86_64, "write", [0; 6]),
        Action::NOTIFY
    );

    // A notified `read` is fine for runc.
    let read = LinuxSeccomp::from_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    )
    .unwrap()
    .to_policy(Arch::X86_64)
    .unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert!(read.check_strict().is_ok());
}
