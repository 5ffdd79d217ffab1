//! The container process state a runtime sends to a seccomp agent over `listenerPath`.
//!
//! When a profile uses `SCMP_ACT_NOTIFY` and sets `listenerPath`, runc and crun connect to that UNIX socket
//! and send one JSON document (the runtime spec's "container process state") with the notification fd as
//! `SCM_RIGHTS` ancillary data. The `fds` array names each passed fd in order; the seccomp notification fd
//! is called `seccompFd`.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::Error;
use crate::path::At;
use crate::spec::to_json_pretty;
use crate::walk::{self, Result};

/// The name of the seccomp notification fd in [`ContainerProcessState::fds`].
pub const SECCOMP_FD_NAME: &str = "seccompFd";

/// The document a runtime sends over the listener socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerProcessState {
    /// `ociVersion`: the runtime spec version the document follows.
    pub oci_version: String,
    /// `fds`: the names of the fds passed with `SCM_RIGHTS`, in the same order.
    pub fds: Vec<String>,
    /// `pid`: the container process, as the runtime sees it (a positive process ID).
    pub pid: i32,
    /// `metadata`: the profile's `listenerMetadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// `state`: the container's state.
    pub state: ContainerState,
}

/// The state of a container (the runtime spec's `state` document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerState {
    /// `ociVersion`.
    pub oci_version: String,
    /// `id`: the container ID.
    pub id: String,
    /// `status`: the runtime status.
    pub status: ContainerStatus,
    /// `pid`: the container process, when it exists (absent or 0 means none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// `bundle`: the absolute path of the bundle directory.
    pub bundle: String,
    /// `annotations`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A container's runtime status.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContainerStatus {
    /// `creating`: the runtime is creating the container (the status a seccomp agent sees).
    Creating,
    /// `created`: created, the user program not started yet.
    Created,
    /// `running`: the user program runs.
    Running,
    /// `stopped`: the container process has exited.
    Stopped,
    /// A status the spec does not define but runtimes use (runc reports `paused`), kept as written.
    Other(String),
}

impl ContainerStatus {
    /// The status as written in the document.
    pub fn as_str(&self) -> &str {
        match self {
            ContainerStatus::Creating => "creating",
            ContainerStatus::Created => "created",
            ContainerStatus::Running => "running",
            ContainerStatus::Stopped => "stopped",
            ContainerStatus::Other(status) => status,
        }
    }

    fn from_text(text: &str) -> ContainerStatus {
        match text {
            "creating" => ContainerStatus::Creating,
            "created" => ContainerStatus::Created,
            "running" => ContainerStatus::Running,
            "stopped" => ContainerStatus::Stopped,
            other => ContainerStatus::Other(other.to_owned()),
        }
    }
}

impl Serialize for ContainerStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl ContainerProcessState {
    /// Parses the document as received from the socket.
    pub fn from_json(input: impl AsRef<[u8]>) -> core::result::Result<ContainerProcessState, Error> {
        let document = walk::parse_document(input.as_ref())?;
        ContainerProcessState::from_value(&document)
    }

    /// Parses the document from a JSON value; error paths start at this value.
    pub fn from_value(value: &Value) -> core::result::Result<ContainerProcessState, Error> {
        parse_process_state(value, &At::ROOT)
    }

    /// The index in the `SCM_RIGHTS` array of the fd called `name`.
    pub fn fd_index(&self, name: &str) -> Option<usize> {
        self.fds.iter().position(|fd| fd == name)
    }

    /// The index in the `SCM_RIGHTS` array of the seccomp notification fd (`seccompFd`).
    pub fn seccomp_fd_index(&self) -> Option<usize> {
        self.fd_index(SECCOMP_FD_NAME)
    }

    /// The document as pretty-printed JSON.
    pub fn to_json_pretty(&self) -> String {
        to_json_pretty(self)
    }
}

const PID_RANGE: &str = "a process ID in 1..=2147483647";

fn parse_pid(value: &Value, at: &At<'_>) -> Result<i32> {
    walk::signed(value, at, 1, i64::from(i32::MAX), PID_RANGE).map(|pid| pid as i32)
}

fn parse_process_state(value: &Value, at: &At<'_>) -> Result<ContainerProcessState> {
    let map = walk::object(value, at)?;
    Ok(ContainerProcessState {
        oci_version: walk::required(map, at, "ociVersion", walk::owned_string)?,
        fds: walk::optional(map, at, "fds", walk::strings)?.unwrap_or_default(),
        pid: walk::required(map, at, "pid", parse_pid)?,
        metadata: walk::optional(map, at, "metadata", walk::owned_string)?,
        state: walk::required(map, at, "state", parse_state)?,
    })
}

fn parse_state(value: &Value, at: &At<'_>) -> Result<ContainerState> {
    let map = walk::object(value, at)?;
    let oci_version = walk::required(map, at, "ociVersion", walk::owned_string)?;
    let id = walk::required(map, at, "id", walk::owned_string)?;
    let status = walk::required(map, at, "status", |value, at| {
        walk::string(value, at).map(ContainerStatus::from_text)
    })?;
    let pid = walk::optional(map, at, "pid", |value, at| {
        // Go writes the state's pid with `omitempty`, and a 0 means "no process".
        walk::signed(
            value,
            at,
            0,
            i64::from(i32::MAX),
            "a process ID in 0..=2147483647",
        )
    })?
    .filter(|&pid| pid != 0)
    .map(|pid| pid as i32);
    let bundle = walk::required(map, at, "bundle", walk::owned_string)?;
    let annotations = walk::optional(map, at, "annotations", |value, at| {
        let members = walk::object(value, at)?;
        members
            .iter()
            .map(|(key, value)| Ok((key.clone(), walk::owned_string(value, &at.key(key))?)))
            .collect::<Result<BTreeMap<_, _>>>()
    })?
    .unwrap_or_default();
    Ok(ContainerState {
        oci_version,
        id,
        status,
        pid,
        bundle,
        annotations,
    })
}
