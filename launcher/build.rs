//! Link arguments for the `seccomp-launcher` binary, which brings its own entry point and no C runtime.
//!
//! The program is made static (no dynamic loader, no `PT_INTERP`), non-PIE (nothing would apply run-time
//! relocations: that is the C runtime's job) and starts at `seccomp_launcher_start` (`-e`). A C compiler as
//! linker (the default on `*-linux-gnu`) also gets `-nostartfiles`, so that it adds no `crt1.o`. A bare
//! `ld`-style linker (`rust-lld` with `-C linker-flavor=ld.lld`, the static musl recipe) never adds start
//! files itself; rustc may still pass musl's self-contained `crt1.o` & co. (with
//! `-C link-self-contained=yes`), which is why the entry point is not named `_start`: that one stays
//! unreferenced, and `--gc-sections` drops it.
//!
//! The arguments apply to the binary only (`rustc-link-arg-bins`): the integration tests link normally.

use std::env;
use std::path::Path;

/// The symbol of the entry point, defined in `src/start.rs`.
const ENTRY: &str = "seccomp_launcher_start";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let linker = env::var("RUSTC_LINKER").unwrap_or_default();
    let rustflags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let args: &[&str] = if linker_is_ld(&linker, &rustflags) {
        &["-static", "--no-pie", "-e", ENTRY]
    } else {
        &["-nostartfiles", "-static", "-no-pie", "-e", ENTRY]
    };
    for arg in args {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}

/// Whether rustc will call the linker directly (an `ld`-style flavor) rather than through a C compiler.
///
/// An explicit `-C linker-flavor` decides; otherwise rustc infers the flavor from the linker's name, as
/// here.
fn linker_is_ld(linker: &str, encoded_rustflags: &str) -> bool {
    let mut flags = encoded_rustflags.split('\x1f').peekable();
    let mut flavor = None;
    while let Some(flag) = flags.next() {
        let value = match flag {
            "-C" | "--codegen" => flags.peek().copied().unwrap_or_default(),
            _ => flag.strip_prefix("-C").unwrap_or_default(),
        };
        if let Some(name) = value.strip_prefix("linker-flavor=") {
            flavor = Some(name.to_owned());
        }
    }
    match flavor.as_deref() {
        Some(name) => matches!(name, "ld" | "ld.lld" | "gnu" | "gnu-lld"),
        None => {
            let stem = Path::new(linker)
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            matches!(stem, "rust-lld" | "ld.lld" | "lld" | "ld" | "ld.bfd" | "ld.gold")
        }
    }
}
