//! Docker's default profile (a data file reconstructed from moby's public `profiles/seccomp/default.json`)
//! resolved for several targets, with the rules Docker's loader keeps for each.

use seccomp_oci::{
    DOCKER_DEFAULT_CAPS, DockerProfile, DockerTarget, KernelVersion, LinuxSeccomp, ScmpAction, ScmpArch,
    ScmpCompare,
};

const DEFAULT_PROFILE: &str = include_str!("fixtures/docker-default.json");

fn profile() -> DockerProfile {
    DockerProfile::from_json(DEFAULT_PROFILE).unwrap()
}

/// The syscall names of a resolved profile whose action is ALLOW, without duplicates.
fn allowed_names(seccomp: &LinuxSeccomp) -> std::collections::BTreeSet<&str> {
    seccomp
        .syscalls
        .iter()
        .filter(|rule| rule.action == ScmpAction::Allow)
        .flat_map(|rule| rule.names.iter().map(String::as_str))
        .collect()
}

#[test]
fn default_profile_parses_with_its_rules_and_conditions() {
    let profile = profile();
    assert_eq!(profile.default_action, ScmpAction::Errno);
    assert_eq!(profile.default_errno_ret, Some(1));
    assert_eq!(profile.arch_map.len(), 8);
    assert_eq!(profile.syscalls.len(), 31);
    assert_eq!(profile.syscalls[0].names.len(), 349);
    // riscv64's `"subArchitectures": null` counts as none.
    let riscv = profile.arch_map.last().unwrap();
    assert_eq!(riscv.architecture, ScmpArch::Riscv64);
    assert!(riscv.sub_architectures.is_empty());
    let s390_clone = &profile.syscalls[17];
    assert_eq!(
        s390_clone.comment.as_deref(),
        Some("s390 parameter ordering for clone is different")
    );
    assert_eq!(s390_clone.args[0].op, ScmpCompare::MaskedEq);
    assert_eq!(s390_clone.args[0].index, 1);
    assert_eq!(
        profile.syscalls[1].includes.min_kernel,
        Some(KernelVersion::new(4, 8))
    );
    assert_eq!(profile.syscalls[18].errno_ret, Some(38));
}

#[test]
fn x86_64_with_docker_default_caps_on_a_new_kernel() {
    let target = DockerTarget::docker_default(ScmpArch::X86_64, KernelVersion::new(6, 8));
    let resolved = profile().resolve(&target);
    assert_eq!(
        resolved.seccomp.architectures,
        [ScmpArch::X86_64, ScmpArch::X86, ScmpArch::X32]
    );
    // Kept: the base list, ptrace (kernel >= 4.8), socket, five personality rules, arch_prctl, modify_ldt,
    // the clone flag check (no CAP_SYS_ADMIN), clone3 -> ENOSYS, chroot (CAP_SYS_CHROOT is a default cap).
    assert_eq!(resolved.origins, [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 16, 18, 20]);
    let allowed = allowed_names(&resolved.seccomp);
    for name in [
        "read",
        "ptrace",
        "arch_prctl",
        "modify_ldt",
        "chroot",
        "clone",
        "socket",
    ] {
        assert!(allowed.contains(name), "{name} should be allowed");
    }
    for name in [
        "mount",
        "reboot",
        "bpf",
        "open_by_handle_at",
        "set_tls",
        "init_module",
        "clone3",
    ] {
        assert!(!allowed.contains(name), "{name} should not be allowed");
    }
    let clone3 = &resolved.seccomp.syscalls[11];
    assert_eq!(clone3.names, ["clone3"]);
    assert_eq!((clone3.action, clone3.errno_ret), (ScmpAction::Errno, Some(38)));
}

#[test]
fn aarch64_with_sys_admin_on_an_old_kernel() {
    let target = DockerTarget::docker_default(ScmpArch::Aarch64, KernelVersion::new(4, 4))
        .with_caps(["CAP_SYS_ADMIN"]);
    let resolved = profile().resolve(&target);
    assert_eq!(resolved.seccomp.architectures, [ScmpArch::Aarch64, ScmpArch::Arm]);
    // ptrace's minKernel 4.8 rule is dropped; arm rules kept; CAP_SYS_ADMIN brings the admin list and drops
    // the clone flag check and clone3's ENOSYS.
    assert_eq!(resolved.origins, [0, 2, 3, 4, 5, 6, 7, 9, 15, 20]);
    let allowed = allowed_names(&resolved.seccomp);
    for name in ["set_tls", "cacheflush", "mount", "clone3", "unshare"] {
        assert!(allowed.contains(name), "{name} should be allowed");
    }
    for name in ["ptrace", "arch_prctl", "modify_ldt", "s390_runtime_instr"] {
        assert!(!allowed.contains(name), "{name} should not be allowed");
    }
}

#[test]
fn includes_need_every_cap_and_s390x_gets_its_own_clone_rule() {
    let target = DockerTarget::new(ScmpArch::S390x, KernelVersion::new(5, 15)).with_caps([
        "CAP_SYS_PTRACE",
        "CAP_SYS_BOOT",
        "CAP_BPF",
    ]);
    let resolved = profile().resolve(&target);
    assert_eq!(resolved.seccomp.architectures, [ScmpArch::S390x, ScmpArch::S390]);
    assert_eq!(resolved.origins, [0, 1, 2, 3, 4, 5, 6, 7, 12, 17, 18, 19, 23, 29]);
}

#[test]
fn an_arch_missing_from_the_arch_map_gets_no_architectures() {
    let target = DockerTarget::new(ScmpArch::Ppc64le, KernelVersion::new(6, 1));
    let resolved = profile().resolve(&target);
    assert!(resolved.seccomp.architectures.is_empty());
    assert!(resolved.origins.contains(&8), "ppc64le rule kept");
}

#[test]
fn resolved_profiles_round_trip_through_runtime_spec_json() {
    for target in [
        DockerTarget::docker_default(ScmpArch::X86_64, KernelVersion::new(6, 8)),
        DockerTarget::new(ScmpArch::Aarch64, KernelVersion::new(3, 10)).with_caps(DOCKER_DEFAULT_CAPS),
    ] {
        let resolved = profile().resolve(&target).seccomp;
        let json = resolved.to_json_pretty();
        assert!(json.contains("\"defaultErrnoRet\": 1"), "{json}");
        assert!(!json.contains("includes"), "conditions are resolved away: {json}");
        assert_eq!(LinuxSeccomp::from_json(&json).unwrap(), resolved);
    }
}

#[test]
fn docker_profile_round_trips_through_its_own_json() {
    let profile = profile();
    let json = profile.to_json_pretty();
    assert!(json.contains("\"minKernel\": \"4.8\""), "{json}");
    assert!(json.contains("\"subArchitectures\": []"), "{json}");
    assert_eq!(DockerProfile::from_json(&json).unwrap(), profile);
}
