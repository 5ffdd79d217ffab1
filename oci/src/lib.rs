//! `seccomp-oci`: OCI runtime-spec and Docker seccomp profiles.
//!
//! - [`LinuxSeccomp`]: the `linux.seccomp` object of the OCI runtime spec, as runc, crun, containerd and
//!   Podman consume it.
//! - [`DockerProfile`]: Docker's profile file format (`archMap`, conditional `includes`/`excludes`), resolved
//!   for a [`DockerTarget`] (architecture, capabilities, kernel version) exactly as moby's profile loader does.
//! - [`ContainerProcessState`]: the document a runtime sends to a seccomp agent over `listenerPath`.
//! - [`convert`]: import into the policy model of `seccomp_core::policy` for one architecture
//!   ([`LinuxSeccomp::to_policy`], [`DockerProfile::to_policy`], with [`Warning`]s for what runc would skip)
//!   and export back ([`LinuxSeccomp::from_policy`]).
//!
//! For a file of unknown kind (Docker profile, `linux.seccomp` object or whole `config.json`), use
//! [`DockerProfile::from_any_json`]: a runtime-spec object is a Docker profile without conditions.
//!
//! Every parser walks a `serde_json::Value`, so each [`Error`] names the JSON path of the offending value
//! (`syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"`). Unknown members are ignored, `null` counts as
//! absent, and no input makes the parsers panic. See `docs/oci.md` for the semantics chosen.
//!
//! ```
//! use seccomp_core::arch::Arch;
//! use seccomp_oci::{DockerProfile, DockerTarget, KernelVersion, ScmpArch};
//!
//! let profile = DockerProfile::from_any_json(
//!     r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
//!         {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
//!         {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}"#,
//! )?;
//! let target = DockerTarget::docker_default(ScmpArch::X86_64, KernelVersion::new(6, 8));
//! assert_eq!(profile.resolve(&target).seccomp.syscalls.len(), 1); // no CAP_SYS_ADMIN: mount dropped
//! let imported = profile.to_policy(&target)?;
//! assert_eq!(imported.policy.len(), 3);
//! assert!(imported.warnings.is_empty());
//!
//! let err = DockerProfile::from_any_json(r#"{"defaultAction": "SCMP_ACT_NOPE"}"#).unwrap_err();
//! assert_eq!(err.to_string(), r#"defaultAction: unknown action "SCMP_ACT_NOPE""#);
//! # Ok::<(), seccomp_oci::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod convert;
pub mod docker;
pub mod error;
pub mod names;
pub mod path;
mod runc;
pub mod spec;
pub mod state;
mod walk;

pub use convert::{Exported, Imported};
pub use docker::{
    ArchMapEntry, CAPABILITIES, Condition, DOCKER_DEFAULT_CAPS, DockerProfile, DockerRule, DockerTarget,
    KernelVersion, PODMAN_DEFAULT_CAPS, Resolved, capability, capability_names,
};
pub use error::{Error, ErrorKind, Warning, WarningKind};
pub use names::{FilterFlag, ScmpAction, ScmpArch, ScmpCompare};
pub use path::{JsonPath, PathSegment};
pub use spec::{ArgRule, LinuxSeccomp, SyscallRule};
pub use state::{ContainerProcessState, ContainerState, ContainerStatus};
