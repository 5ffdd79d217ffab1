//! `seccomp-oci`: OCI runtime-spec and Docker seccomp profiles.
//!
//! - [`LinuxSeccomp`]: the `linux.seccomp` object of the OCI runtime spec, as runc, crun, containerd and
//!   Podman consume it.
//! - [`DockerProfile`]: Docker's profile file format (`archMap`, conditional `includes`/`excludes`), resolved
//!   for a [`DockerTarget`] (architecture, capabilities, kernel version) exactly as moby's profile loader does.
//! - [`ContainerProcessState`]: the document a runtime sends to a seccomp agent over `listenerPath`.
//!
//! For a file of unknown kind (Docker profile, `linux.seccomp` object or whole `config.json`), use
//! [`DockerProfile::from_any_json`]: a runtime-spec object is a Docker profile without conditions.
//!
//! Every parser walks a `serde_json::Value`, so each [`Error`] names the JSON path of the offending value
//! (`syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"`). Unknown members are ignored, `null` counts as
//! absent, and no input makes the parsers panic. See `docs/oci.md` for the semantics chosen.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod docker;
pub mod error;
pub mod names;
pub mod path;
pub mod spec;
pub mod state;
mod walk;

pub use docker::{
    ArchMapEntry, CAPABILITIES, Condition, DOCKER_DEFAULT_CAPS, DockerProfile, DockerRule, DockerTarget,
    KernelVersion, Resolved, capability_names,
};
pub use error::{Error, ErrorKind, Warning, WarningKind};
pub use names::{FilterFlag, ScmpAction, ScmpArch, ScmpCompare};
pub use path::{JsonPath, PathSegment};
pub use spec::{ArgRule, LinuxSeccomp, SyscallRule};
pub use state::{ContainerProcessState, ContainerState, ContainerStatus};
