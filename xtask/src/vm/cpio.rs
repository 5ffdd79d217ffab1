//! A writer for the "newc" cpio format (the one the Linux kernel unpacks as an initramfs).
//!
//! Each entry is a 110-byte ASCII header (`070701` then thirteen 8-digit uppercase hex fields), the
//! NUL-terminated name padded to a multiple of 4 bytes (counting the header), then the data padded to a
//! multiple of 4. The archive ends with an entry named `TRAILER!!!`. Owners are root, times are zero and
//! inode numbers count up from 1, so the output depends only on the entries.

use std::io::{self, Write};

/// Mode bits of a directory, to be or-ed with the permissions.
pub const DIR: u32 = 0o040000;
/// Mode bits of a regular file, to be or-ed with the permissions.
pub const FILE: u32 = 0o100000;

/// Mode bits of a symbolic link, to be or-ed with the permissions.
pub const SYMLINK: u32 = 0o120000;

/// Streams cpio entries into `W`.
pub struct Writer<W: Write> {
    out: W,
    next_inode: u32,
    written: u64,
}

impl<W: Write> Writer<W> {
    /// Starts an archive that writes to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            next_inode: 1,
            written: 0,
        }
    }

    /// Adds a directory (`name` without a leading `/`, e.g. `proc`).
    pub fn dir(&mut self, name: &str, permissions: u32) -> io::Result<()> {
        self.entry(name, DIR | (permissions & 0o7777), 2, &[])
    }

    /// Adds a regular file with the given contents.
    pub fn file(&mut self, name: &str, permissions: u32, data: &[u8]) -> io::Result<()> {
        self.entry(name, FILE | (permissions & 0o7777), 1, data)
    }

    /// Adds a symbolic link `name` pointing at `target` (stored as the entry's data, without a NUL).
    pub fn symlink(&mut self, name: &str, target: &str) -> io::Result<()> {
        self.entry(name, SYMLINK | 0o777, 1, target.as_bytes())
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.next_inode = 0;
        self.entry("TRAILER!!!", 0, 1, &[])?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(&mut self, name: &str, mode: u32, nlink: u32, data: &[u8]) -> io::Result<()> {
        if name.is_empty() || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio entry name {name:?}"),
            ));
        }
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: file larger than 4 GiB"),
            )
        })?;
        let name_size = name.len() as u32 + 1;
        let inode = self.next_inode;
        self.next_inode += 1;
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        let fields = [inode, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, name_size, 0];
        let mut header = String::with_capacity(110);
        header.push_str("070701");
        for field in fields {
            header.push_str(&format!("{field:08X}"));
        }
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()?;
        self.put(data)?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let padding = (4 - (self.written % 4) as usize) % 4;
        self.put(&[0; 3][..padding])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ino: u32, mode: u32, nlink: u32, size: u32, namesize: u32) -> String {
        let fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0];
        let mut text = "070701".to_owned();
        for f in fields {
            text.push_str(&format!("{f:08X}"));
        }
        text
    }

    #[test]
    fn entries_have_newc_headers_and_four_byte_alignment() {
        let mut writer = Writer::new(Vec::new());
        writer.dir("proc", 0o755).unwrap();
        writer.file("init", 0o755, b"hello").unwrap();
        let bytes = writer.finish().unwrap();

        let mut expected = Vec::new();
        // 110-byte header + "proc\0" = 115, padded to 116; no data.
        expected.extend_from_slice(header(1, 0o040755, 2, 0, 5).as_bytes());
        expected.extend_from_slice(b"proc\0\0");
        // 116 + 110 + "init\0" = 231, padded to 232; then 5 data bytes = 237, padded to 240.
        expected.extend_from_slice(header(2, 0o100755, 1, 5, 5).as_bytes());
        expected.extend_from_slice(b"init\0\0");
        expected.extend_from_slice(b"hello\0\0\0");
        // 240 + 110 + "TRAILER!!!\0" (11) = 361, padded to 364.
        expected.extend_from_slice(header(0, 0, 1, 0, 11).as_bytes());
        expected.extend_from_slice(b"TRAILER!!!\0\0\0\0");
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(bytes.len(), 364);
        assert_eq!(bytes.len() % 4, 0);
    }

    #[test]
    fn header_is_110_ascii_bytes_with_uppercase_hex() {
        let mut writer = Writer::new(Vec::new());
        writer.file("x", 0o644, &[0xAB; 0xBC]).unwrap();
        let bytes = writer.finish().unwrap();
        assert_eq!(&bytes[..6], b"070701");
        // filesize is the 7th field: offset 6 + 6 * 8.
        assert_eq!(&bytes[54..62], b"000000BC");
        assert_eq!(&bytes[110..112], b"x\0");
    }

    #[test]
    fn symlinks_store_their_target_as_data() {
        let mut writer = Writer::new(Vec::new());
        writer.symlink("bin/cat", "/init").unwrap();
        let bytes = writer.finish().unwrap();
        let mut expected = header(1, 0o120777, 1, 5, 8).into_bytes();
        // 110 + "bin/cat\0" = 118, padded to 120; "/init" = 125, padded to 128.
        expected.extend_from_slice(b"bin/cat\0\0\0/init\0\0\0");
        assert_eq!(&bytes[..128], &expected[..]);
    }

    #[test]
    fn rejects_empty_and_nul_names() {
        let mut writer = Writer::new(Vec::new());
        assert!(writer.file("", 0o644, b"").is_err());
        assert!(writer.file("a\0b", 0o644, b"").is_err());
    }
}
