//! Helpers several subcommands share: choosing the architecture, reading input files.

use crate::error::CliError;
use seccomp_core::arch::Arch;
use std::path::Path;

/// The architecture named by `--arch`, or the host's when none is given.
pub fn parse_arch(name: Option<&str>) -> Result<Arch, CliError> {
    match name {
        Some(name) => Arch::from_name(name).ok_or_else(|| {
            CliError::usage(format!(
                "unknown architecture `{name}` (expected x86_64, x32, i386 or aarch64)"
            ))
        }),
        None => Arch::native().ok_or_else(|| {
            CliError::usage("this host's architecture is not supported: pass --arch".to_owned())
        }),
    }
}

/// Reads a whole input file; the error names the file.
pub fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
}

/// Reads a whole input file as UTF-8 text; the error names the file and the byte offset of bad UTF-8.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = read_file(path)?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::bad_input(format!(
            "{}: not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}
