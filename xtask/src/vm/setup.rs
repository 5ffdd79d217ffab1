//! Installing what vm-test needs (qemu-system, the musl Rust targets), idempotently and quietly.

use crate::util::{describe, exec};
use std::path::Path;
use std::process::{Command, Stdio};

/// Installs the Debian qemu package of `arch` unless its binary is already on `PATH`.
///
/// `apt-get update` runs only when the first install attempt fails (stale or missing package lists).
pub fn ensure_qemu(arch: super::arch::Arch) -> Result<(), String> {
    if on_path(arch.qemu_binary()) {
        return Ok(());
    }
    eprintln!(
        "vm-test: installing {} (provides {})",
        arch.qemu_package(),
        arch.qemu_binary()
    );
    let install = || {
        exec(
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "-qq",
                    "--no-install-recommends",
                    "-o",
                    "DPkg::Lock::Timeout=300",
                ])
                .arg(arch.qemu_package())
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null()),
        )
    };
    if install().is_err() {
        exec(Command::new("apt-get").args(["update", "-qq"]))?;
        install()?;
    }
    if on_path(arch.qemu_binary()) {
        Ok(())
    } else {
        Err(format!(
            "{} installed but {} is still not on PATH",
            arch.qemu_package(),
            arch.qemu_binary()
        ))
    }
}

/// Adds the rustup target `triple` unless it is already installed.
pub fn ensure_rust_target(triple: &str) -> Result<(), String> {
    let mut list = Command::new("rustup");
    list.args(["target", "list", "--installed"]);
    let output = list
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(&list)))?;
    if String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|line| line.trim() == triple)
    {
        return Ok(());
    }
    exec(Command::new("rustup").args(["target", "add", triple]))
}

/// Whether an executable named `program` is in one of the `PATH` directories.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program))))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_path_and_not_missing_ones() {
        assert!(on_path("sh"));
        assert!(!on_path("no-such-program-vm-test"));
    }
}
