//! The guest's initramfs, one writer for `cargo xtask vm-test` and `cargo xtask launcher --vm`: the mount
//! points and directories a caller names, `/tmp`, `/bin/cat -> /init` (the init doubles as cat(1), for
//! tests that exec a well-known program), the plan `/vm-plan`, then the guest files, in that order.

use super::{cpio, plan};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// A file to put into the initramfs: its path inside (without the leading `/`), mode and contents.
pub struct GuestFile {
    /// The path inside the image, without the leading `/`.
    pub name: String,
    /// The permission bits.
    pub mode: u32,
    /// Where the bytes come from.
    pub contents: Contents,
}

/// Where a guest file's bytes come from.
pub enum Contents {
    /// A file on the host (an executable cargo built).
    Host(PathBuf),
    /// Bytes written by the xtask itself (policies for the smoke test).
    Inline(Vec<u8>),
}

impl GuestFile {
    /// An executable (mode 0755) copied from the host.
    pub fn program(name: &str, source: PathBuf) -> Self {
        Self {
            name: name.to_owned(),
            mode: 0o755,
            contents: Contents::Host(source),
        }
    }
}

/// Writes the image to `path`: `dirs` (mode 0755, in order), `tmp` (1777), the `bin/cat` symlink, the
/// plan of `steps` and `files`.
pub fn write(path: &Path, dirs: &[&str], files: &[GuestFile], steps: &[plan::Step]) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let file = File::create(path).map_err(io)?;
    let mut writer = cpio::Writer::new(BufWriter::new(file));
    for dir in dirs {
        writer.dir(dir, 0o755).map_err(io)?;
    }
    writer.dir("tmp", 0o1777).map_err(io)?;
    writer.symlink("bin/cat", "/init").map_err(io)?;
    writer
        .file("vm-plan", 0o644, plan::render(steps)?.as_bytes())
        .map_err(io)?;
    for file in files {
        let data = match &file.contents {
            Contents::Host(source) => {
                std::fs::read(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?
            }
            Contents::Inline(bytes) => bytes.clone(),
        };
        writer.file(&file.name, file.mode, &data).map_err(io)?;
    }
    writer.finish().map_err(io)?;
    Ok(())
}
