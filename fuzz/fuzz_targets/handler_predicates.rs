//! Arbitrary bytes through the predicates the container handlers decide with
//! (`seccomp_supervisor::path::Lexical` for `under` rules, `handlers::mknod::decode_dev` and `allowed`).
//!
//! The input is split at its first NUL into a path the target named and a rule's directory.
//! Properties checked (any violation panics, which libFuzzer reports as a crash):
//! - lexical cleaning is idempotent: cleaning the cleaned text gives the same path;
//! - `under` means whole components: when `strip_prefix` accepts, the path's text is the directory's
//!   text, or the directory's text followed by `/`; and the directory's components are the path's first;
//! - a path with `..` after the directory keeps the `..` in the rest (the kernel, `RESOLVE_BENEATH`, then
//!   refuses it), so no rule can be satisfied by a `..` that leads out;
//! - `decode_dev` never panics and stays in the kernel's ranges (12-bit major, 20-bit minor), and a device
//!   list built from the input allows exactly the listed numbers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_supervisor::handlers::mknod::{allowed, decode_dev};
use seccomp_supervisor::handlers::{Device, DeviceKind};
use seccomp_supervisor::path::Lexical;

fuzz_target!(|data: &[u8]| {
    let (path, dir) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"/srv/data"[..]),
    };
    let path = Lexical::new(path);
    let dir = Lexical::new(dir);
    let cleaned = Lexical::new(&path.to_bytes());
    assert_eq!(
        cleaned.components(),
        path.components(),
        "cleaning is not idempotent"
    );
    assert_eq!(cleaned.to_bytes(), path.to_bytes(), "cleaning is not idempotent");
    if let Some(rest) = path.strip_prefix(&dir) {
        assert!(
            path.components().starts_with(dir.components()),
            "strip_prefix accepted a path not below the directory"
        );
        let (p, d) = (path.to_bytes(), dir.to_bytes());
        let d = d.strip_suffix(b"/").unwrap_or(&d);
        assert!(
            p.starts_with(d) && matches!(p.get(d.len()), None | Some(b'/')),
            "not whole components"
        );
        let below = &path.components()[dir.components().len()..];
        if below.iter().any(|c| c == b"..") {
            assert!(
                rest.split(|&b| b == b'/').any(|c| c == b".."),
                "a `..` was dropped"
            );
        }
    }
    if data.len() >= 4 {
        let dev = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let (major, minor) = decode_dev(dev);
        assert!(major < 1 << 12 && minor < 1 << 20, "out of the kernel's ranges");
        let listed = Device {
            kind: Some(DeviceKind::Char),
            major,
            minor,
        };
        assert!(allowed(&[listed], DeviceKind::Char, major, minor));
        assert!(!allowed(&[listed], DeviceKind::Block, major, minor));
        assert!(!allowed(&[listed], DeviceKind::Char, major, minor ^ 1));
    }
});
