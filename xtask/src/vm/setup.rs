//! Installing what vm-test needs (qemu-system, the musl Rust targets), idempotently and quietly.

use crate::util::{describe, exec};
use std::process::Command;

/// Installs the Debian qemu package of `arch` unless its binary is already on `PATH`.
pub fn ensure_qemu(arch: super::arch::Arch) -> Result<(), String> {
    crate::util::ensure_debian_package(arch.qemu_package(), arch.qemu_binary())
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

#[cfg(test)]
mod tests {
    use crate::util::on_path;

    #[test]
    fn finds_programs_on_path_and_not_missing_ones() {
        assert!(on_path("sh"));
        assert!(!on_path("no-such-program-vm-test"));
    }
}
