//! `cargo xtask dist`: static `seccompctl` binaries for x86_64 and aarch64 (musl, linked by rust-lld, so no
//! cross gcc is needed), built with the size-tuned `dist` profile (LTO, one codegen unit, `panic = "abort"`,
//! stripped). Fails if a binary is not static or is larger than 1 MiB.

use crate::util::{cargo, exec, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The musl targets built by `dist`.
pub const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];
/// The size budget for each binary.
const MAX_BYTES: u64 = 1024 * 1024;

/// Builds every target and copies the binaries to `target/dist/seccompctl-<arch>`.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("dist: unexpected argument `{arg}`"));
    }
    let out_dir = workspace_root().join("target/dist");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    for target in TARGETS {
        let binary = build_static(target, "seccompctl", "dist")?;
        let arch = target.split('-').next().unwrap_or(target);
        let dest = out_dir.join(format!("seccompctl-{arch}"));
        std::fs::copy(&binary, &dest).map_err(|e| format!("copying to {}: {e}", dest.display()))?;
        let size = std::fs::metadata(&dest)
            .map_err(|e| format!("{}: {e}", dest.display()))?
            .len();
        check_static(&dest)?;
        println!(
            "{}: {size} bytes ({:.0} KiB), static",
            dest.display(),
            size as f64 / 1024.0
        );
        if size > MAX_BYTES {
            return Err(format!(
                "{} is {size} bytes, over the 1 MiB budget",
                dest.display()
            ));
        }
    }
    Ok(())
}

/// Builds `package` for a musl `target` with `profile`, linked statically by rust-lld, and returns the
/// binary's path. Installs the rustup target first.
pub fn build_static(target: &str, package: &str, profile: &str) -> Result<PathBuf, String> {
    exec(Command::new("rustup").args(["target", "add", target]))?;
    let mut command = cargo();
    command.args([
        "build",
        "--package",
        package,
        "--profile",
        profile,
        "--target",
        target,
    ]);
    set_static_link_env(&mut command, target);
    exec(&mut command)?;
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    Ok(workspace_root()
        .join("target")
        .join(target)
        .join(profile_dir)
        .join(package))
}

/// Sets the environment that makes cargo link `target` with rust-lld and musl's self-contained start files,
/// for this command only (the host build is untouched).
pub fn set_static_link_env(command: &mut Command, target: &str) {
    let key = target.to_uppercase().replace('-', "_");
    command.env(format!("CARGO_TARGET_{key}_LINKER"), "rust-lld");
    command.env(
        format!("CARGO_TARGET_{key}_RUSTFLAGS"),
        "-C linker-flavor=ld.lld -C link-self-contained=yes",
    );
}

/// Fails unless `path` is an ELF executable without a `PT_INTERP` program header (a static binary).
fn check_static(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |offset: usize, len: usize| -> Result<u64, String> {
        let slice = bytes
            .get(offset..offset + len)
            .ok_or_else(|| format!("{}: truncated ELF", path.display()))?;
        let mut value = [0u8; 8];
        value[..len].copy_from_slice(slice);
        Ok(u64::from_le_bytes(value))
    };
    if bytes.get(..4) != Some(b"\x7fELF") || bytes.get(4) != Some(&2) {
        return Err(format!("{}: not a 64-bit ELF file", path.display()));
    }
    let phoff = field(0x20, 8)? as usize;
    let phentsize = field(0x36, 2)? as usize;
    let phnum = field(0x38, 2)? as usize;
    for index in 0..phnum {
        const PT_INTERP: u64 = 3;
        if field(phoff + index * phentsize, 4)? == PT_INTERP {
            return Err(format!("{}: dynamically linked (has PT_INTERP)", path.display()));
        }
    }
    Ok(())
}
