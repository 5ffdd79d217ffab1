//! The container process state a runtime sends with the seccomp fd (runtime spec, config-linux.md,
//! "listenerPath"; specs-go `ContainerProcessState`), parsed from JSON with errors that name the JSON path.
//!
//! This is the agent's own small parser, kept to the fields the agent uses, with the same shape as the
//! `seccomp-oci` crate's `ContainerProcessState` so that it can be swapped for that one once the crate is
//! part of the workspace.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The name of the seccomp notification fd in [`ContainerProcessState::fds`] (specs-go `SeccompFdName`).
pub const SECCOMP_FD_NAME: &str = "seccompFd";

/// The document a runtime sends over the listener socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerProcessState {
    /// `ociVersion`: the runtime spec version the document follows.
    pub oci_version: String,
    /// `fds`: the names of the fds passed with `SCM_RIGHTS`, in the same order.
    pub fds: Vec<String>,
    /// `pid`: the container process, as the runtime sees it.
    pub pid: i32,
    /// `metadata`: the profile's `listenerMetadata`.
    pub metadata: Option<String>,
    /// `state`: the container's state.
    pub state: ContainerState,
}

/// The state of a container (the runtime spec's `state` document), as far as the agent reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerState {
    /// `ociVersion`.
    pub oci_version: String,
    /// `id`: the container ID.
    pub id: String,
    /// `status`: the runtime status as written (`creating`, `created`, `running`, `stopped`).
    pub status: String,
    /// `pid`: the container process, when present and not 0.
    pub pid: Option<i32>,
    /// `bundle`: the bundle directory.
    pub bundle: String,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// Why a document is not a container process state: the JSON path of the offending value and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateError {
    /// The path from the document root, `state.id`; empty for the root.
    pub path: String,
    /// What is wrong with the value there.
    pub kind: StateErrorKind,
}

/// What is wrong with a value of the document; see [`StateError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateErrorKind {
    /// The bytes are not JSON.
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// A required member is absent or `null`.
    Missing,
    /// The value has the wrong JSON type.
    WrongType {
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A number outside the accepted range.
    OutOfRange {
        /// The number as written.
        found: String,
        /// The accepted range.
        expected: &'static str,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StateErrorKind::Syntax {
                line,
                column,
                message,
            } => write!(f, "not JSON: {line}:{column}: {message}"),
            kind => {
                let path = if self.path.is_empty() {
                    "(root)"
                } else {
                    &self.path
                };
                match kind {
                    StateErrorKind::Missing => write!(f, "{path}: missing"),
                    StateErrorKind::WrongType { expected, found } => {
                        write!(f, "{path}: expected {expected}, found {found}")
                    }
                    StateErrorKind::OutOfRange { found, expected } => {
                        write!(f, "{path}: {found} is not {expected}")
                    }
                    StateErrorKind::Syntax { .. } => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for StateError {}

impl ContainerProcessState {
    /// Parses the document as received from the socket.
    pub fn from_json(input: &[u8]) -> Result<ContainerProcessState, StateError> {
        let value: Value = serde_json::from_slice(input).map_err(|e| syntax(&e))?;
        ContainerProcessState::from_value(&value)
    }

    /// Parses the document from a JSON value.
    pub fn from_value(value: &Value) -> Result<ContainerProcessState, StateError> {
        let root = object(value, "")?;
        let fds = match member(root, "fds") {
            None => Vec::new(),
            Some(value) => {
                let items = value
                    .as_array()
                    .ok_or_else(|| wrong_type(value, "fds", "an array"))?;
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| string(item, &format!("fds[{i}]")))
                    .collect::<Result<_, _>>()?
            }
        };
        let state = required(root, "", "state")?;
        Ok(ContainerProcessState {
            oci_version: string(required(root, "", "ociVersion")?, "ociVersion")?,
            fds,
            pid: pid(required(root, "", "pid")?, "pid", 1)?,
            metadata: member(root, "metadata")
                .map(|value| string(value, "metadata"))
                .transpose()?,
            state: parse_state(state)?,
        })
    }

    /// The index in the `SCM_RIGHTS` array of the fd called `name`.
    pub fn fd_index(&self, name: &str) -> Option<usize> {
        self.fds.iter().position(|fd| fd == name)
    }
}

fn parse_state(value: &Value) -> Result<ContainerState, StateError> {
    let map = object(value, "state")?;
    let annotations = match member(map, "annotations") {
        None => BTreeMap::new(),
        Some(value) => object(value, "state.annotations")?
            .iter()
            .map(|(key, value)| {
                Ok((
                    key.clone(),
                    string(value, &format!("state.annotations[{key:?}]"))?,
                ))
            })
            .collect::<Result<_, StateError>>()?,
    };
    Ok(ContainerState {
        oci_version: string(required(map, "state", "ociVersion")?, "state.ociVersion")?,
        id: string(required(map, "state", "id")?, "state.id")?,
        status: string(required(map, "state", "status")?, "state.status")?,
        // Go writes the state's pid with `omitempty`; 0 means "no process".
        pid: member(map, "pid")
            .map(|value| pid(value, "state.pid", 0))
            .transpose()?
            .filter(|&pid| pid != 0),
        bundle: string(required(map, "state", "bundle")?, "state.bundle")?,
        annotations,
    })
}

/// The error for bytes that are not JSON.
pub(crate) fn syntax(error: &serde_json::Error) -> StateError {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => message.get(..cut).unwrap_or(&message).to_owned(),
        None => message,
    };
    StateError {
        path: String::new(),
        kind: StateErrorKind::Syntax {
            line: error.line(),
            column: error.column(),
            message,
        },
    }
}

fn member<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|value| !value.is_null())
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn required<'v>(map: &'v Map<String, Value>, parent: &str, key: &str) -> Result<&'v Value, StateError> {
    member(map, key).ok_or_else(|| StateError {
        path: join(parent, key),
        kind: StateErrorKind::Missing,
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(value: &Value, path: &str, expected: &'static str) -> StateError {
    StateError {
        path: path.to_owned(),
        kind: StateErrorKind::WrongType {
            expected,
            found: type_name(value),
        },
    }
}

fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, StateError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(value, path, "an object"))
}

fn string(value: &Value, path: &str) -> Result<String, StateError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(value, path, "a string"))
}

fn pid(value: &Value, path: &str, min: i64) -> Result<i32, StateError> {
    let Value::Number(number) = value else {
        return Err(wrong_type(value, path, "a number"));
    };
    match number.as_i64().and_then(|n| i32::try_from(n).ok()) {
        Some(n) if i64::from(n) >= min => Ok(n),
        _ => Err(StateError {
            path: path.to_owned(),
            kind: StateErrorKind::OutOfRange {
                found: number.to_string(),
                expected: if min == 0 {
                    "a process ID in 0..=2147483647"
                } else {
                    "a process ID in 1..=2147483647"
                },
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNC: &str = r#"{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":4242,"metadata":"m1",
        "state":{"ociVersion":"1.0.2","id":"web-1","status":"creating","pid":4242,"bundle":"/b",
        "annotations":{"io.k8s/pod":"p"}}}"#;

    fn error(text: &str) -> String {
        match ContainerProcessState::from_json(text.as_bytes()) {
            Ok(state) => panic!("accepted: {state:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_runc_document_parses_with_every_field() {
        let state = ContainerProcessState::from_json(RUNC.as_bytes()).expect("valid");
        assert_eq!(state.fds, [SECCOMP_FD_NAME]);
        assert_eq!(state.fd_index(SECCOMP_FD_NAME), Some(0));
        assert_eq!(state.pid, 4242);
        assert_eq!(state.metadata.as_deref(), Some("m1"));
        assert_eq!(state.state.id, "web-1");
        assert_eq!(state.state.status, "creating");
        assert_eq!(state.state.pid, Some(4242));
        assert_eq!(state.state.bundle, "/b");
        assert_eq!(
            state.state.annotations.get("io.k8s/pod").map(String::as_str),
            Some("p")
        );
    }

    #[test]
    fn go_omitted_members_are_optional() {
        let text = r#"{"ociVersion":"1","pid":1,"state":{"ociVersion":"1","id":"x","status":"running","bundle":"/"}}"#;
        let state = ContainerProcessState::from_json(text.as_bytes()).expect("valid");
        assert!(state.fds.is_empty());
        assert_eq!(state.metadata, None);
        assert_eq!(state.state.pid, None);
    }

    #[test]
    fn errors_name_the_json_path() {
        assert_eq!(error("[1]"), "(root): expected an object, found an array");
        assert_eq!(
            error(
                r#"{"ociVersion":"1","pid":1,"state":{"ociVersion":"1","id":7,"status":"x","bundle":"/"}}"#
            ),
            "state.id: expected a string, found a number"
        );
        assert_eq!(error(r#"{"ociVersion":"1","pid":1}"#), "state: missing");
        assert_eq!(
            error(r#"{"ociVersion":"1","pid":0,"state":{}}"#),
            "pid: 0 is not a process ID in 1..=2147483647"
        );
        assert_eq!(
            error(r#"{"ociVersion":"1","fds":["seccompFd",3],"pid":1,"state":{}}"#),
            "fds[1]: expected a string, found a number"
        );
        assert!(
            error("{\"ociVersion\":").starts_with("not JSON: 1:14: "),
            "{}",
            error("{\"ociVersion\":")
        );
    }
}
