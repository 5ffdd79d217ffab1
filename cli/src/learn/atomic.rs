//! Writing the learned policy in place atomically: a temporary file in the destination's directory,
//! created before the command runs (so an unwritable destination fails first), renamed over the
//! destination only after a successful run. On any failure the temporary file is removed and an existing
//! destination is left exactly as it was (`learn -o existing` never truncates it).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A temporary file next to the destination; dropped without [`Pending::commit`], it is removed.
#[derive(Debug)]
pub struct Pending {
    temp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl Pending {
    /// Creates `.NAME.learn-PID.tmp` in the directory of `dest`.
    pub fn create(dest: &Path) -> std::io::Result<Pending> {
        let dir = match dest.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".learn-{}.tmp", std::process::id()));
        let temp = dir.join(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(Pending {
            temp,
            dest: dest.to_path_buf(),
            file: Some(file),
        })
    }

    /// Writes `text`, flushes it to disk, and renames the temporary file over the destination.
    pub fn commit(mut self, text: &[u8]) -> std::io::Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("already committed"))?;
        file.write_all(text)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.dest)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // After a successful rename the temporary name no longer exists; removing it then fails harmlessly.
        let _ = std::fs::remove_file(&self.temp);
    }
}
