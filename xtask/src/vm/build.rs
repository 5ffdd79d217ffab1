//! Building static musl binaries for the guest: test executables, the init and the CLI.
//!
//! The child cargo links with `rust-lld` through the per-target environment variables
//! (`CARGO_TARGET_<TRIPLE>_LINKER`, `..._RUSTFLAGS`), so no cross gcc is needed and host builds in the
//! same target directory keep their flags. Executables are found from `--message-format=json`.

use super::arch::Arch;
use crate::util::{cargo, describe};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Flags that make rustc link a fully static musl executable with rust-lld and musl's own crt objects,
/// without debug info: the initramfs shrinks from about 120 MB to 16 MB and panics still name their
/// file and line.
pub const RUSTFLAGS: &str =
    "-C linker-flavor=ld.lld -C link-self-contained=yes -C debuginfo=0 -C strip=debuginfo";

/// A compiled executable reported by cargo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The package it belongs to.
    pub package: String,
    /// The target name (`seccomp_core` for a lib, the file stem for an integration test).
    pub target: String,
    /// The target kind: `lib`, `bin`, `test`, ...
    pub kind: String,
    /// Whether it is a test harness (built with the test profile) rather than a plain binary.
    pub test: bool,
    /// The executable on disk.
    pub path: PathBuf,
}

/// A `cargo` command for `arch`'s musl target, linking statically with rust-lld.
pub fn cross_cargo(arch: Arch) -> Command {
    let prefix = arch.cargo_env_prefix();
    let mut command = cargo();
    command
        .env(format!("{prefix}_LINKER"), "rust-lld")
        .env(format!("{prefix}_RUSTFLAGS"), RUSTFLAGS);
    command
}

/// Runs `cargo <args> --target <triple> --message-format=json` and returns the executables it built.
pub fn build(arch: Arch, args: &[&str]) -> Result<Vec<Artifact>, String> {
    let mut command = cross_cargo(arch);
    command
        .args(args)
        .args(["--target", arch.triple(), "--message-format=json"]);
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    eprintln!("$ {}", describe(&command));
    let output = command
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&command)))?;
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let errors = compiler_errors(&stdout);
        return Err(format!(
            "`{}` failed: {}\n{errors}",
            describe(&command),
            output.status
        ));
    }
    artifacts(&String::from_utf8_lossy(&output.stdout))
}

/// The executables among cargo's JSON messages (one JSON object per line).
pub fn artifacts(messages: &str) -> Result<Vec<Artifact>, String> {
    let mut found = Vec::new();
    for (index, line) in messages.lines().enumerate().filter(|(_, l)| l.starts_with('{')) {
        let message: Value =
            serde_json::from_str(line).map_err(|e| format!("cargo message line {}: {e}", index + 1))?;
        if message.get("reason").and_then(Value::as_str) != Some("compiler-artifact") {
            continue;
        }
        let Some(path) = message.get("executable").and_then(Value::as_str) else {
            continue;
        };
        let target = message.get("target");
        let name = target
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let kind = target
            .and_then(|t| t.get("kind"))
            .and_then(Value::as_array)
            .and_then(|kinds| kinds.first())
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let test = message
            .get("profile")
            .and_then(|p| p.get("test"))
            .and_then(Value::as_bool)
            == Some(true);
        let package_id = message.get("package_id").and_then(Value::as_str).unwrap_or("");
        found.push(Artifact {
            package: package_name(package_id).unwrap_or_else(|| "unknown".to_owned()),
            target: name.to_owned(),
            kind: kind.to_owned(),
            test,
            path: PathBuf::from(path),
        });
    }
    Ok(found)
}

/// The package name in a cargo package id, in either the current format
/// (`path+file:///w/core#seccomp-core@0.1.0`, or `path+file:///w/xtask#0.1.0` when the name is the
/// directory name) or the old one (`seccomp-core 0.1.0 (path+file:///w/core)`).
pub fn package_name(id: &str) -> Option<String> {
    if let Some((url, fragment)) = id.rsplit_once('#') {
        return match fragment.split_once('@') {
            Some((name, _)) => Some(name.to_owned()),
            None => url
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
    }
    id.split_whitespace()
        .next()
        .filter(|_| id.contains(' '))
        .map(str::to_owned)
}

/// The rendered compiler errors among cargo's JSON messages, for the error report.
fn compiler_errors(messages: &str) -> String {
    let mut text = String::new();
    for line in messages.lines().filter(|l| l.starts_with('{')) {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message.get("reason").and_then(Value::as_str) != Some("compiler-message") {
            continue;
        }
        let inner = message.get("message");
        if inner.and_then(|m| m.get("level")).and_then(Value::as_str) != Some("error") {
            continue;
        }
        if let Some(rendered) = inner.and_then(|m| m.get("rendered")).and_then(Value::as_str) {
            text.push_str(rendered);
        }
    }
    text
}

/// The executable (not a test binary) that [`build`] produced for `package`, or an error naming it.
pub fn find_bin(artifacts: &[Artifact], package: &str, arch: Arch) -> Result<PathBuf, String> {
    artifacts
        .iter()
        .find(|a| a.package == package && a.kind == "bin" && !a.test)
        .map(|a| a.path.clone())
        .ok_or(format!(
            "cargo built no {package} executable for {}",
            arch.triple()
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_name_handles_both_id_formats() {
        assert_eq!(
            package_name("path+file:///w/core#seccomp-core@0.1.0").as_deref(),
            Some("seccomp-core")
        );
        assert_eq!(
            package_name("path+file:///w/xtask#0.1.0").as_deref(),
            Some("xtask")
        );
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#rustix@1.1.6").as_deref(),
            Some("rustix")
        );
        assert_eq!(
            package_name("seccomp-core 0.1.0 (path+file:///w/core)").as_deref(),
            Some("seccomp-core")
        );
        assert_eq!(package_name(""), None);
    }

    #[test]
    fn artifacts_keeps_executables_and_skips_libraries_and_other_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","package_id":"registry+https://x#rustix@1.1.6","target":{"kind":["lib"],"name":"rustix","test":true},"profile":{"test":false},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/core#seccomp-core@0.1.0","target":{"kind":["lib"],"name":"seccomp_core","test":true},"profile":{"test":true},"executable":"/t/deps/seccomp_core-1"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/sys#seccomp-sys@0.1.0","target":{"kind":["test"],"name":"notify","test":true},"profile":{"test":true},"executable":"/t/deps/notify-2"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/vm-init#seccomp-vm-init@0.1.0","target":{"kind":["bin"],"name":"seccomp-vm-init","test":true},"profile":{"test":false},"executable":"/t/seccomp-vm-init"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\n   Compiling noise that is not JSON\n"
        );
        let found = artifacts(messages).unwrap();
        let summary: Vec<(&str, &str, &str, bool, &str)> = found
            .iter()
            .map(|a| {
                (
                    a.package.as_str(),
                    a.target.as_str(),
                    a.kind.as_str(),
                    a.test,
                    a.path.to_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "seccomp-core",
                    "seccomp_core",
                    "lib",
                    true,
                    "/t/deps/seccomp_core-1"
                ),
                ("seccomp-sys", "notify", "test", true, "/t/deps/notify-2"),
                (
                    "seccomp-vm-init",
                    "seccomp-vm-init",
                    "bin",
                    false,
                    "/t/seccomp-vm-init"
                ),
            ]
        );
    }

    #[test]
    fn artifacts_reports_a_malformed_message_with_its_line() {
        let error = artifacts("{\"reason\":\"compiler-artifact\"}\n{\"reason\":").unwrap_err();
        assert!(error.starts_with("cargo message line 2:"), "{error}");
    }

    #[test]
    fn compiler_errors_collects_rendered_error_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-message","message":{"level":"warning","rendered":"warning: unused\n"}}"#,
            "\n",
            r#"{"reason":"compiler-message","message":{"level":"error","rendered":"error[E0308]: mismatched\n"}}"#,
        );
        assert_eq!(compiler_errors(messages), "error[E0308]: mismatched\n");
    }
}
