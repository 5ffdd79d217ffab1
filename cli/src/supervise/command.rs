//! Preparing the command to run: the `PATH` search a shell would do, and the C strings `execve` needs,
//! all built before the fork so the child never allocates.

use crate::error::{CliError, Failure};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The `PATH` used when the environment has none (what shells and `execvp` fall back to).
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A command ready to exec.
#[derive(Debug)]
pub struct Prepared {
    /// The command's name as the user typed it, for messages.
    pub display: String,
    /// The program's path after the `PATH` search.
    pub path: CString,
    /// The arguments, `argv[0]` as typed.
    pub argv: Vec<CString>,
    /// The environment to pass (seccompctl's own).
    pub envp: Vec<CString>,
}

/// Turns one argument into a C string; the error names it.
fn c_string(what: &str, value: OsString) -> Result<CString, CliError> {
    CString::new(value.into_vec()).map_err(|_| CliError::usage(format!("{what} contains a NUL byte")))
}

/// Whether `path` is a regular file with an execute bit.
fn is_executable(path: &Path) -> Option<bool> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// Finds `name` like `execvp`: a name with a `/` is used as is; otherwise the first executable regular file
/// of that name in a `PATH` directory (an empty entry is the current directory). When only non-executable
/// files exist, the first is returned so that exec reports the permission problem (exit 126).
pub fn search_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if name.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(name));
    }
    if name.is_empty() {
        return None;
    }
    let path_var = path_var.unwrap_or(OsStr::new(DEFAULT_PATH));
    let mut first_existing = None;
    for dir in path_var.as_bytes().split(|&b| b == b':') {
        let dir = if dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(OsStr::from_bytes(dir))
        };
        let candidate = dir.join(name);
        match is_executable(&candidate) {
            Some(true) => return Some(candidate),
            Some(false) if first_existing.is_none() => first_existing = Some(candidate),
            _ => {}
        }
    }
    first_existing
}

/// Prepares `command` (program and arguments) for exec, with seccompctl's environment.
pub fn prepare(command: &[OsString]) -> Result<Prepared, CliError> {
    let Some(program) = command.first() else {
        return Err(CliError::usage("no command given"));
    };
    let display = program.to_string_lossy().into_owned();
    let path_var = std::env::var_os("PATH");
    let Some(path) = search_path(program, path_var.as_deref()) else {
        return Err(CliError::new(
            Failure::NotFound,
            format!("{display}: command not found"),
        ));
    };
    let path = c_string("the command's path", path.into_os_string())?;
    let argv = command
        .iter()
        .enumerate()
        .map(|(i, arg)| c_string(&format!("argument {i} of the command"), arg.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let envp = std::env::vars_os()
        .map(|(name, value)| {
            let mut entry = name.into_vec();
            entry.push(b'=');
            entry.extend_from_slice(value.as_bytes());
            CString::new(entry).map_err(|_| CliError::usage("an environment variable contains a NUL byte"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared {
        display,
        path,
        argv,
        envp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_slash_are_not_searched() {
        assert_eq!(
            search_path(OsStr::new("./x"), Some(OsStr::new("/nonexistent"))),
            Some(PathBuf::from("./x"))
        );
    }

    #[test]
    fn the_path_search_finds_sh_and_misses_nonsense() {
        let found = search_path(OsStr::new("sh"), Some(OsStr::new("/nonexistent:/usr/bin:/bin")));
        assert!(found.is_some_and(|p| p.ends_with("sh")));
        assert_eq!(
            search_path(
                OsStr::new("no-such-command-seccompctl"),
                Some(OsStr::new("/usr/bin:/bin"))
            ),
            None
        );
        assert_eq!(search_path(OsStr::new(""), None), None);
    }

    #[test]
    fn unknown_commands_are_not_found_with_status_127() {
        let error = prepare(&[OsString::from("no-such-command-seccompctl")]).expect_err("not found");
        assert_eq!(error.failure.exit_status(), 127);
        assert!(error.message.contains("command not found"), "{}", error.message);
    }
}
