//! The JSON layer: runtime-spec objects, Docker profiles and the container process state, with the exact
//! error (path and reason) for each kind of malformed input.

use seccomp_oci::{
    ContainerProcessState, ContainerStatus, DockerProfile, ErrorKind, FilterFlag, LinuxSeccomp, ScmpAction,
    ScmpArch, ScmpCompare,
};

const RUNTIME_SPEC: &str = include_str!("fixtures/runtime-spec.json");
const PROCESS_STATE: &str = include_str!("fixtures/process-state.json");
const DOCKER_DEFAULT: &str = include_str!("fixtures/docker-default.json");

#[test]
fn runtime_spec_fixture_parses_with_every_member() {
    let seccomp = LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap();
    assert_eq!(seccomp.default_action, ScmpAction::Errno);
    assert_eq!(seccomp.effective_default_errno(), 38);
    assert_eq!(
        seccomp.architectures,
        [ScmpArch::X86_64, ScmpArch::X86, ScmpArch::X32]
    );
    assert_eq!(seccomp.flags, [FilterFlag::Log, FilterFlag::SpecAllow]);
    assert_eq!(seccomp.listener_path.as_deref(), Some("/run/seccomp-agent.sock"));
    assert_eq!(
        seccomp.listener_metadata.as_deref(),
        Some("MKNOD=/dev/null,/dev/net/tun")
    );
    assert_eq!(seccomp.syscalls.len(), 13);
    let kill = &seccomp.syscalls[9];
    assert_eq!(kill.action, ScmpAction::Trap);
    assert_eq!(kill.args[2].value, u64::MAX);
    assert_eq!(kill.args[2].op, ScmpCompare::Lt);
    assert_eq!(seccomp.syscalls[10].effective_errno(), 4242);
    assert_eq!(seccomp.syscalls[0].effective_errno(), 1, "EPERM when absent");
}

#[test]
fn runtime_spec_round_trips_through_json() {
    let seccomp = LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap();
    let json = seccomp.to_json_pretty();
    assert!(!json.contains("x-vendor-extension"));
    assert!(
        !json.contains("valueTwo\": 0"),
        "zero valueTwo is left out: {json}"
    );
    assert_eq!(LinuxSeccomp::from_json(&json).unwrap(), seccomp);
    // The Docker form of the same object says the same thing.
    let docker = DockerProfile::from_linux_seccomp(&seccomp);
    let back = DockerProfile::from_json(docker.to_json_pretty()).unwrap();
    assert_eq!(back, docker);
}

#[test]
fn seccomp_is_read_from_a_whole_runtime_config() {
    let config = format!(
        r#"{{"ociVersion": "1.2.0", "process": {{"args": ["sh"]}}, "linux": {{"seccomp": {RUNTIME_SPEC}}}}}"#
    );
    let seccomp = LinuxSeccomp::from_runtime_config(&config).unwrap().unwrap();
    assert_eq!(seccomp, LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap());
    assert_eq!(LinuxSeccomp::from_runtime_config(r#"{"linux": {}}"#), Ok(None));
    assert_eq!(
        LinuxSeccomp::from_runtime_config(r#"{"ociVersion": "1"}"#),
        Ok(None)
    );
    let err = LinuxSeccomp::from_runtime_config(
        r#"{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "NOPE"}]}}}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"linux.seccomp.syscalls[0].action: unknown action "NOPE""#
    );
}

/// One malformed `linux.seccomp` document and the exact error it must produce.
fn check_spec(input: &str, expected: &str) {
    match LinuxSeccomp::from_json(input) {
        Ok(parsed) => panic!("{input} parsed as {parsed:?}, expected `{expected}`"),
        Err(err) => assert_eq!(err.to_string(), expected, "input: {input}"),
    }
}

#[test]
fn malformed_runtime_spec_objects_name_the_path_and_the_problem() {
    let allow = r#""defaultAction": "SCMP_ACT_ALLOW""#;
    let cases: Vec<(String, &str)> = vec![
        // The root must be an object and defaultAction is required.
        ("[]".into(), "(root): expected an object, found an array"),
        ("{}".into(), "defaultAction: required member is missing"),
        (
            r#"{"defaultAction": null}"#.into(),
            "defaultAction: required member is missing",
        ),
        (
            r#"{"defaultAction": 3}"#.into(),
            "defaultAction: expected a string, found a number",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_allow"}"#.into(),
            r#"defaultAction: unknown action "SCMP_ACT_allow""#,
        ),
        // errnoRet only goes with ERRNO and TRACE, and must fit 16 bits.
        (
            format!(r#"{{{allow}, "defaultErrnoRet": 1}}"#),
            "defaultErrnoRet: an errno return code is only allowed with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 65536}"#.into(),
            "defaultErrnoRet: expected an integer in 0..=65535 (the 16 data bits of the action), found 65536",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}"#.into(),
            "defaultErrnoRet: expected an integer in 0..=65535 (the 16 data bits of the action), found -1",
        ),
        (
            format!(r#"{{{allow}, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}}"#),
            r#"architectures[1]: unknown architecture "SCMP_ARCH_VAX""#,
        ),
        (
            format!(r#"{{{allow}, "architectures": "SCMP_ARCH_X86_64"}}"#),
            "architectures: expected an array, found a string",
        ),
        (
            format!(r#"{{{allow}, "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}}"#),
            r#"flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER""#,
        ),
        (
            format!(r#"{{{allow}, "listenerMetadata": "x"}}"#),
            "listenerMetadata: must not be set without `listenerPath`",
        ),
        (
            format!(r#"{{{allow}, "listenerPath": 7}}"#),
            "listenerPath: expected a string, found a number",
        ),
        (
            format!(r#"{{{allow}, "syscalls": {{}}}}"#),
            "syscalls: expected an array, found an object",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [7]}}"#),
            "syscalls[0]: expected an object, found a number",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [{{"action": "SCMP_ACT_KILL"}}]}}"#),
            "syscalls[0].names: required member is missing",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [{{"names": [], "action": "SCMP_ACT_KILL"}}]}}"#),
            "syscalls[0].names: must contain at least one entry",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [{{"names": ["read", ""], "action": "SCMP_ACT_KILL"}}]}}"#),
            "syscalls[0].names[1]: the empty string is not a syscall name",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [{{"names": ["read", 5], "action": "SCMP_ACT_KILL"}}]}}"#),
            "syscalls[0].names[1]: expected a string, found a number",
        ),
        (
            format!(r#"{{{allow}, "syscalls": [{{"names": ["read"]}}]}}"#),
            "syscalls[0].action: required member is missing",
        ),
        (
            format!(
                r#"{{{allow}, "syscalls": [{{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 5}}]}}"#
            ),
            "syscalls[0].errnoRet: an errno return code is only allowed with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_KILL",
        ),
        (
            format!(
                r#"{{{allow}, "syscalls": [{{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1.5}}]}}"#
            ),
            "syscalls[0].errnoRet: expected an integer in 0..=65535 (the 16 data bits of the action), found 1.5",
        ),
    ];
    for (input, expected) in &cases {
        check_spec(input, expected);
    }
}

#[test]
fn malformed_args_name_the_rule_and_the_arg() {
    let with_args = |args: &str| {
        format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {{"names": ["read"], "action": "SCMP_ACT_KILL"}},
                {{"names": ["a"], "action": "SCMP_ACT_LOG"}},
                {{"names": ["b"], "action": "SCMP_ACT_LOG"}},
                {{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": {args}}}]}}"#
        )
    };
    let ok = r#"{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}"#;
    let cases = [
        (
            format!(r#"[{ok}, {{"index": 1, "value": 2, "op": "SCMP_CMP_FOO"}}]"#),
            r#"syscalls[3].args[1].op: unknown operator "SCMP_CMP_FOO""#,
        ),
        (
            r#"[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].index: expected an argument index in 0..=5, found 6",
        ),
        (
            r#"[{"index": -1, "value": 1, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].index: expected an argument index in 0..=5, found -1",
        ),
        (
            r#"[{"index": "0", "value": 1, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].index: expected a number, found a string",
        ),
        (
            r#"[{"value": 1, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].index: required member is missing",
        ),
        (
            r#"[{"index": 0, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].value: required member is missing",
        ),
        (
            r#"[{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].value: expected an unsigned 64-bit integer, found 1.8446744073709552e+19",
        ),
        (
            r#"[{"index": 0, "value": 1, "valueTwo": -5, "op": "SCMP_CMP_MASKED_EQ"}]"#.to_owned(),
            "syscalls[3].args[0].valueTwo: expected an unsigned 64-bit integer, found -5",
        ),
        (
            r#"[{"index": 0, "value": 1}]"#.to_owned(),
            "syscalls[3].args[0].op: required member is missing",
        ),
        (
            r#"[[]]"#.to_owned(),
            "syscalls[3].args[0]: expected an object, found an array",
        ),
        (
            r#"true"#.to_owned(),
            "syscalls[3].args: expected an array, found a boolean",
        ),
    ];
    for (args, expected) in cases {
        check_spec(&with_args(&args), expected);
    }
    // The same document with a valid arg list parses.
    assert!(LinuxSeccomp::from_json(with_args(&format!("[{ok}]"))).is_ok());
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = LinuxSeccomp::from_json("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [,]\n}")
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Syntax {
                line: 3,
                column: 16,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("invalid JSON at line 3 column 16: "),
        "{err}"
    );
    let err = LinuxSeccomp::from_json([0xff, 0xfe]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Syntax { .. }), "{err:?}");
    let err = LinuxSeccomp::from_json("").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Syntax { .. }), "{err:?}");
}

#[test]
fn nesting_beyond_the_recursion_limit_is_an_error() {
    let deep = format!(
        r#"{{"defaultAction": "SCMP_ACT_ALLOW", "x": {}{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let err = LinuxSeccomp::from_json(deep).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Syntax { message, .. } if message.contains("recursion limit")));
}

/// One malformed Docker profile and the exact error it must produce.
fn check_docker(input: &str, expected: &str) {
    match DockerProfile::from_json(input) {
        Ok(parsed) => panic!("{input} parsed as {parsed:?}, expected `{expected}`"),
        Err(err) => assert_eq!(err.to_string(), expected, "input: {input}"),
    }
}

#[test]
fn malformed_docker_profiles_name_the_path_and_the_problem() {
    let rule = |extra: &str| {
        format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{{"names": ["a"], "action": "SCMP_ACT_ALLOW"}}, {{"names": ["b"], "action": "SCMP_ACT_ALLOW"{extra}}}]}}"#
        )
    };
    check_docker(
        &rule(r#", "includes": {"minKernel": "4.x"}"#),
        r#"syscalls[1].includes.minKernel: invalid kernel version "4.x": expected "<kernel>.<major>" with numbers up to 255, not 0.0"#,
    );
    check_docker(
        &rule(r#", "excludes": {"minKernel": "0.0"}"#),
        r#"syscalls[1].excludes.minKernel: invalid kernel version "0.0": expected "<kernel>.<major>" with numbers up to 255, not 0.0"#,
    );
    check_docker(
        &rule(r#", "excludes": {"minKernel": 4.8}"#),
        "syscalls[1].excludes.minKernel: expected a string, found a number",
    );
    check_docker(
        &rule(r#", "includes": {"caps": "CAP_SYS_ADMIN"}"#),
        "syscalls[1].includes.caps: expected an array, found a string",
    );
    check_docker(
        &rule(r#", "includes": {"arches": ["amd64", null]}"#),
        "syscalls[1].includes.arches[1]: expected a string, found null",
    );
    check_docker(
        &rule(r#", "includes": []"#),
        "syscalls[1].includes: expected an object, found an array",
    );
    check_docker(
        &rule(r#", "name": "c""#),
        "syscalls[1].name: cannot be given together with `names`; use one of them",
    );
    check_docker(
        &rule(r#", "comment": 1"#),
        "syscalls[1].comment: expected a string, found a number",
    );
    check_docker(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}"#,
        "syscalls[0].names: required member is missing",
    );
    check_docker(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#,
        "archMap: cannot be given together with `architectures`; use one of them",
    );
    check_docker(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "x32"]}]}"#,
        r#"archMap[0].subArchitectures[1]: unknown architecture "x32""#,
    );
    check_docker(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"subArchitectures": []}]}"#,
        "archMap[0].architecture: required member is missing",
    );
}

#[test]
fn docker_accepts_the_deprecated_single_name_and_empty_min_kernel() {
    let profile = DockerProfile::from_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"name": "read", "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": ""}, "excludes": null}]}"#,
    )
    .unwrap();
    assert_eq!(profile.syscalls[0].names, ["read"]);
    assert!(profile.syscalls[0].includes.is_empty());
    assert!(profile.syscalls[0].excludes.is_empty());
}

#[test]
fn container_process_state_parses_and_finds_the_seccomp_fd() {
    let state = ContainerProcessState::from_json(PROCESS_STATE).unwrap();
    assert_eq!(state.oci_version, "1.0.2");
    assert_eq!(state.fds, ["pidFd", "seccompFd"]);
    assert_eq!(state.seccomp_fd_index(), Some(1));
    assert_eq!(state.fd_index("pidFd"), Some(0));
    assert_eq!(state.pid, 4422);
    assert_eq!(
        state.metadata.as_deref(),
        Some("MKNOD=/dev/null,/dev/net/tun;BPF_MAP_TYPES=hash,array")
    );
    assert_eq!(state.state.id, "oci-container1");
    assert_eq!(state.state.status, ContainerStatus::Creating);
    assert_eq!(state.state.pid, Some(4422));
    assert_eq!(state.state.bundle, "/containers/redis");
    assert_eq!(
        state
            .state
            .annotations
            .get("io.kubernetes.pod/name")
            .map(String::as_str),
        Some("redis-0")
    );
    let back = ContainerProcessState::from_json(state.to_json_pretty()).unwrap();
    assert_eq!(back, state);
}

#[test]
fn container_process_state_without_optional_members() {
    let state = ContainerProcessState::from_json(
        r#"{"ociVersion": "1.0.2", "pid": 1, "state": {"ociVersion": "1.0.2", "id": "c", "status": "paused", "pid": 0, "bundle": "/b"}}"#,
    )
    .unwrap();
    assert!(state.fds.is_empty());
    assert_eq!(state.seccomp_fd_index(), None);
    assert_eq!(state.metadata, None);
    assert_eq!(state.state.status, ContainerStatus::Other("paused".into()));
    assert_eq!(state.state.pid, None);
}

#[test]
fn malformed_container_process_states_name_the_path() {
    let with_state = |state: &str| {
        format!(r#"{{"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": 7, "state": {state}}}"#)
    };
    let good_state = r#"{"ociVersion": "1", "id": "c", "status": "creating", "bundle": "/b"}"#;
    let cases = [
        (
            r#"{"ociVersion": "1.0.2", "pid": 7}"#.to_owned(),
            "state: required member is missing",
        ),
        (
            r#"{"ociVersion": "1.0.2", "pid": 0, "state": {}}"#.to_owned(),
            "pid: expected a process ID in 1..=2147483647, found 0",
        ),
        (
            format!(r#"{{"ociVersion": "1.0.2", "pid": 4294967296, "state": {good_state}}}"#),
            "pid: expected a process ID in 1..=2147483647, found 4294967296",
        ),
        (
            format!(r#"{{"ociVersion": "1.0.2", "fds": ["seccompFd", 3], "pid": 7, "state": {good_state}}}"#),
            "fds[1]: expected a string, found a number",
        ),
        (
            format!(r#"{{"ociVersion": 1, "pid": 7, "state": {good_state}}}"#),
            "ociVersion: expected a string, found a number",
        ),
        (
            with_state(r#"{"ociVersion": "1", "status": "creating", "bundle": "/b"}"#),
            "state.id: required member is missing",
        ),
        (
            with_state(r#"{"ociVersion": "1", "id": "c", "status": "creating", "bundle": "/b", "pid": -4}"#),
            "state.pid: expected a process ID in 0..=2147483647, found -4",
        ),
        (
            with_state(
                r#"{"ociVersion": "1", "id": "c", "status": "creating", "bundle": "/b", "annotations": {"io.x/y": 1}}"#,
            ),
            r#"state.annotations["io.x/y"]: expected a string, found a number"#,
        ),
        (with_state("[]"), "state: expected an object, found an array"),
    ];
    for (input, expected) in cases {
        match ContainerProcessState::from_json(&input) {
            Ok(parsed) => panic!("{input} parsed as {parsed:?}"),
            Err(err) => assert_eq!(err.to_string(), expected, "input: {input}"),
        }
    }
    assert!(ContainerProcessState::from_json(with_state(good_state)).is_ok());
}

/// Every prefix of the fixtures, and every single-byte replacement at a stride, parses or fails without
/// panicking; the valid documents still parse afterwards.
#[test]
fn truncated_and_corrupted_documents_never_panic() {
    for document in [RUNTIME_SPEC, PROCESS_STATE, &DOCKER_DEFAULT[..4000]] {
        let bytes = document.as_bytes();
        for end in 0..bytes.len() {
            let prefix = &bytes[..end];
            let _ = LinuxSeccomp::from_json(prefix);
            let _ = DockerProfile::from_json(prefix);
            let _ = ContainerProcessState::from_json(prefix);
        }
        for (position, replacement) in (0..bytes.len())
            .step_by(7)
            .zip([b'0', b'"', b'}', b'-', b'9', b'[', b'n'].iter().cycle())
        {
            let mut corrupted = bytes.to_vec();
            corrupted[position] = *replacement;
            let _ = LinuxSeccomp::from_json(&corrupted);
            let _ = DockerProfile::from_json(&corrupted);
            let _ = ContainerProcessState::from_json(&corrupted);
        }
    }
    assert!(LinuxSeccomp::from_json(RUNTIME_SPEC).is_ok());
    assert!(DockerProfile::from_json(DOCKER_DEFAULT).is_ok());
}

#[test]
fn any_json_reads_docker_profiles_spec_objects_and_whole_configs() {
    use seccomp_oci::{DockerTarget, KernelVersion};
    let spec = LinuxSeccomp::from_json(RUNTIME_SPEC).unwrap();
    let target = DockerTarget::new(ScmpArch::X86_64, KernelVersion::new(6, 1));
    // A runtime-spec object read as a Docker profile resolves to itself.
    let as_docker = DockerProfile::from_any_json(RUNTIME_SPEC).unwrap();
    assert_eq!(as_docker.resolve(&target).seccomp, spec);
    let config = format!(r#"{{"ociVersion": "1.2.0", "linux": {{"seccomp": {RUNTIME_SPEC}}}}}"#);
    assert_eq!(DockerProfile::from_any_json(&config).unwrap(), as_docker);
    assert_eq!(
        DockerProfile::from_any_json(DOCKER_DEFAULT).unwrap(),
        DockerProfile::from_json(DOCKER_DEFAULT).unwrap()
    );
    assert_eq!(
        DockerProfile::from_any_json(r#"{"ociVersion": "1.2.0", "linux": {"namespaces": []}}"#)
            .unwrap_err()
            .to_string(),
        "linux.seccomp: required member is missing"
    );
    assert_eq!(
        DockerProfile::from_any_json(r#"{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOPE"}}}"#)
            .unwrap_err()
            .to_string(),
        r#"linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE""#
    );
    assert_eq!(
        DockerProfile::from_any_json(r#"{"syscalls": []}"#)
            .unwrap_err()
            .to_string(),
        "defaultAction: required member is missing"
    );
}

#[test]
fn capability_masks_map_to_names_by_bit() {
    use seccomp_oci::{CAPABILITIES, DockerTarget, KernelVersion, capability_names};
    assert_eq!(CAPABILITIES[21], "CAP_SYS_ADMIN");
    assert_eq!(CAPABILITIES[40], "CAP_CHECKPOINT_RESTORE");
    let names: Vec<_> = capability_names((1 << 0) | (1 << 21) | (1 << 39) | (1 << 63)).collect();
    assert_eq!(names, ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BPF"]);
    // A full bounding set as /proc/self/status shows it for root: 0x1ffffffffff.
    let all = DockerTarget::new(ScmpArch::X86_64, KernelVersion::new(6, 1)).with_cap_mask(0x1ff_ffff_ffff);
    assert_eq!(all.caps.len(), 41);
    // Docker's default set is a subset of the full set.
    let defaults = DockerTarget::docker_default(ScmpArch::X86_64, KernelVersion::new(6, 1));
    assert!(defaults.caps.is_subset(&all.caps));
    assert_eq!(defaults.caps.len(), 14);
}
