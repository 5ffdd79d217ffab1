//! OCI runtime-spec and Docker seccomp profiles (JSON) through the importer, the compiler and the verifier.
//!
//! Properties (any violation is a crash):
//! - no reader panics (`DockerProfile::from_any_json`, `LinuxSeccomp::from_json`,
//!   `ContainerProcessState::from_json`);
//! - what a reader accepts serializes (`to_json_pretty`) to JSON that reads back equal;
//! - a profile imported for x86_64 or aarch64 (Docker's default target, kernel 6.8) compiles, unless it is
//!   too big, to a program that agrees with the imported policy on probes chosen from its numbers and
//!   constants (`seccomp_fuzz::probes`);
//! - exporting that policy back to OCI (`LinuxSeccomp::from_policy`) and importing the export again gives
//!   a policy the same program implements (the documented OCI -> policy -> OCI -> policy round trip),
//!   whenever the export reports no loss.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::arch::Arch;
use seccomp_fuzz::{check_program, compile_checked, seed};
use seccomp_oci::{
    ContainerProcessState, DockerProfile, DockerTarget, KernelVersion, LinuxSeccomp, ScmpArch,
};

/// The longest input looked at. Every input is read three times (process state, `linux.seccomp`, Docker
/// profile), then imported, compiled and checked for two arches and exported and re-imported: on the
/// 12.8 KB Docker profile and the inputs grown from it that held the target under 1,000 inputs per second.
/// A 4 KiB profile still has every member, every reader path and enough entries to reach every import
/// path (the seed `seed-docker-default-trimmed.json` is Docker's profile cut to 22 entries); the whole
/// Docker profile is checked in full by `oci/tests/policy.rs` and `oci/tests/docker_default.rs`.
const MAX_INPUT: usize = 4096;

fuzz_target!(|input: &[u8]| {
    if input.len() > MAX_INPUT {
        return;
    }
    if let Ok(state) = ContainerProcessState::from_json(input) {
        let text = state.to_json_pretty();
        let again = ContainerProcessState::from_json(&text)
            .unwrap_or_else(|e| panic!("process state's own JSON does not read back: {e}\n{text}"));
        assert_eq!(again, state, "process state JSON round trip differs\n{text}");
    }
    if let Ok(seccomp) = LinuxSeccomp::from_json(input) {
        let text = seccomp.to_json_pretty();
        let again = LinuxSeccomp::from_json(&text)
            .unwrap_or_else(|e| panic!("linux.seccomp's own JSON does not read back: {e}\n{text}"));
        assert_eq!(again, seccomp, "linux.seccomp JSON round trip differs\n{text}");
    }
    let Ok(profile) = DockerProfile::from_any_json(input) else {
        return;
    };
    let text = profile.to_json_pretty();
    let again = DockerProfile::from_any_json(&text)
        .unwrap_or_else(|e| panic!("the profile's own JSON does not read back: {e}\n{text}"));
    assert_eq!(again, profile, "Docker profile JSON round trip differs\n{text}");

    for (scmp, arch) in [
        (ScmpArch::X86_64, Arch::X86_64),
        (ScmpArch::Aarch64, Arch::Aarch64),
    ] {
        let target = DockerTarget::docker_default(scmp, KernelVersion::new(6, 8));
        let Ok(imported) = profile.to_policy(&target) else {
            continue;
        };
        let policy = &imported.policy;
        let Some(program) = compile_checked(policy, &[], seed(input), "imported profile") else {
            continue;
        };
        // Only a lossless export must round trip; warnings list what OCI cannot hold.
        let Ok(exported) = LinuxSeccomp::from_policy(policy) else {
            continue;
        };
        if !exported.warnings.is_empty() {
            continue;
        }
        let json = exported.seccomp.to_json_pretty();
        let reread = LinuxSeccomp::from_json(&json)
            .unwrap_or_else(|e| panic!("the exported profile does not read back: {e}\n{json}"));
        let reimported = reread
            .to_policy(arch)
            .unwrap_or_else(|e| panic!("the exported profile does not import: {e}\n{json}"));
        // The export drops runc's -ENOSYS ceilings (runc recomputes them from the names the exported
        // profile lists, which may differ), so the round trip is compared without the stub on both sides.
        let (reimported, program) = if exported.enosys_dropped.is_empty() {
            (reimported, program)
        } else {
            let plain = imported.clone().without_enosys_stub();
            let Some(plain_program) =
                compile_checked(&plain.policy, &[], seed(input), "imported profile, no stub")
            else {
                continue;
            };
            (reimported.without_enosys_stub(), plain_program)
        };
        check_program(
            &reimported.policy,
            &program,
            &[],
            seed(input),
            "policy re-imported from its OCI export, against the original's program",
        );
    }
});
