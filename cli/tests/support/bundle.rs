//! A runc bundle for the container handlers' tests: a user namespace mapping container root to an
//! unprivileged host uid, the host's `/usr` bound read-only (so the container has `sh`, `perl`, `stat`,
//! `busybox`), an ext4 image made with mkfs.ext4 bound read-only at `/srv/images`, and a host directory
//! bound read-only at `/srv/shared`.
//!
//! Used by `cli/tests/container_runc.rs` (handlers through the Rust API) and
//! `cli/tests/container_runc_agent.rs` (handlers through `seccompctl agent`).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The host uid (and gid) of container root.
pub const HOST_ROOT: u32 = 100_000;
/// The container's cgroup memory limit: 256 MiB, which sysinfo(2) callers (busybox `free`) see as total.
pub const MEMORY_LIMIT: u64 = 256 << 20;
/// What the image's file `hello` holds.
pub const IMAGE_TEXT: &str = "from the image";
/// What `/srv/shared/note` holds.
pub const SHARED_TEXT: &str = "from the host";

/// The first of `/usr/sbin`, `/usr/bin`, `/sbin`, `/bin` that has `name`.
pub fn find(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

/// The scratch tree: `bundle/` (with `rootfs/`), `images/disk.img`, `shared/note`, runc's `state/`.
/// Removed on drop.
pub struct Bundle {
    /// The scratch directory.
    pub dir: PathBuf,
    runc: PathBuf,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn io(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Bundle {
    /// Makes the tree under `/tmp/seccompctl-<name>-<pid>` and writes `runc spec`'s config beside the one
    /// [`Bundle::configure`] rewrites. An error is a reason to skip.
    pub fn prepare(runc: &Path, mkfs: &Path, name: &str) -> Result<Bundle, String> {
        let dir = std::env::temp_dir().join(format!("seccompctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bundle = Bundle {
            dir: dir.clone(),
            runc: runc.to_owned(),
        };
        let rootfs = dir.join("bundle/rootfs");
        for sub in [
            "usr",
            "proc",
            "dev",
            "sys",
            "tmp",
            "mnt/disk",
            "srv/images",
            "srv/shared",
            "data/shared",
            "etc",
            "elsewhere",
        ] {
            std::fs::create_dir_all(rootfs.join(sub)).map_err(io(sub))?;
        }
        for (link, to) in [
            ("bin", "usr/bin"),
            ("sbin", "usr/sbin"),
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
        ] {
            if Path::new("/").join(to).exists() {
                std::os::unix::fs::symlink(to, rootfs.join(link)).map_err(io(link))?;
            }
        }
        // The container may write /tmp and /mnt (its root is owned by host root: make them its own);
        // /tmp is world-writable, for an unprivileged user in the container.
        for sub in ["tmp", "mnt"] {
            std::os::unix::fs::chown(rootfs.join(sub), Some(HOST_ROOT), Some(HOST_ROOT)).map_err(io(sub))?;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(rootfs.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .map_err(io("tmp"))?;
        make_image(mkfs, &dir)?;
        make_shared(&dir)?;
        let spec = Command::new(runc)
            .arg("spec")
            .arg("--bundle")
            .arg(dir.join("bundle"))
            .output()
            .map_err(io("runc spec"))?;
        if !spec.status.success() {
            return Err(format!("runc spec: {}", String::from_utf8_lossy(&spec.stderr)));
        }
        std::fs::copy(
            dir.join("bundle/config.json"),
            dir.join("bundle/config.spec.json"),
        )
        .map_err(io("config.json"))?;
        Ok(bundle)
    }

    /// Writes config.json from `runc spec`'s: a user namespace mapping 0 to [`HOST_ROOT`], the host's
    /// `/usr`, the image directory and the shared directory bound in, [`MEMORY_LIMIT`], `script` run by
    /// `/bin/sh -c`, `capabilities` added to runc's default set, and `seccomp` as the profile.
    pub fn configure(&self, script: &str, capabilities: &[&str], seccomp: &Value) -> Result<(), String> {
        let text = std::fs::read_to_string(self.dir.join("bundle/config.spec.json")).map_err(io("config"))?;
        let mut config: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        config["process"]["terminal"] = json!(false);
        config["process"]["args"] = json!(["/bin/sh", "-c", script]);
        config["process"]["env"] = json!(["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
        for set in ["bounding", "effective", "permitted"] {
            let list = config["process"]["capabilities"][set]
                .as_array_mut()
                .ok_or("no capability set")?;
            list.extend(capabilities.iter().map(|cap| json!(cap)));
        }
        config["root"]["readonly"] = json!(false);
        let namespaces = config["linux"]["namespaces"]
            .as_array_mut()
            .ok_or("no namespaces")?;
        namespaces.push(json!({"type": "user"}));
        let mapping = json!([{"containerID": 0, "hostID": HOST_ROOT, "size": 65536}]);
        config["linux"]["uidMappings"] = mapping.clone();
        config["linux"]["gidMappings"] = mapping;
        let mounts = config["mounts"].as_array_mut().ok_or("no mounts")?;
        mounts.push(
            json!({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]}),
        );
        mounts.push(json!({
            "destination": "/srv/images", "type": "bind",
            "source": self.dir.join("images"), "options": ["bind", "ro"]
        }));
        mounts.push(json!({
            "destination": "/srv/shared", "type": "bind",
            "source": self.dir.join("shared"), "options": ["bind", "ro"]
        }));
        // sysfs and cgroupfs are not needed here; leave them out.
        mounts.retain(|m| m["destination"] != "/sys" && m["destination"] != "/sys/fs/cgroup");
        config["linux"]["resources"]["memory"] = json!({"limit": MEMORY_LIMIT});
        config["linux"]["seccomp"] = seccomp.clone();
        std::fs::write(self.dir.join("bundle/config.json"), config.to_string()).map_err(io("config.json"))
    }

    /// `runc --root DIR/state run --bundle DIR/bundle ID`, stdin closed, output collected.
    pub fn run(&self, id: &str) -> std::io::Result<Output> {
        Command::new(&self.runc)
            .arg("--root")
            .arg(self.dir.join("state"))
            .arg("run")
            .arg("--bundle")
            .arg(self.dir.join("bundle"))
            .arg(id)
            .stdin(Stdio::null())
            .output()
    }
}

/// Makes `DIR/images/disk.img`: a 4 MiB ext4 image (mkfs.ext4 -d) holding `hello` with [`IMAGE_TEXT`].
pub fn make_image(mkfs: &Path, dir: &Path) -> Result<PathBuf, String> {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).map_err(io("content"))?;
    std::fs::write(content.join("hello"), format!("{IMAGE_TEXT}\n")).map_err(io("hello"))?;
    let images = dir.join("images");
    std::fs::create_dir_all(&images).map_err(io("images"))?;
    let image = images.join("disk.img");
    let made = Command::new(mkfs)
        .args(["-q", "-F", "-d"])
        .arg(&content)
        .arg(&image)
        .arg("4M")
        .stdout(Stdio::null())
        .status()
        .map_err(io("mkfs.ext4"))?;
    if !made.success() {
        return Err("mkfs.ext4 -d failed".into());
    }
    Ok(image)
}

/// Makes `DIR/shared/note` holding [`SHARED_TEXT`]: a host directory for bind mounts.
pub fn make_shared(dir: &Path) -> Result<PathBuf, String> {
    let shared = dir.join("shared");
    std::fs::create_dir_all(&shared).map_err(io("shared"))?;
    std::fs::write(shared.join("note"), format!("{SHARED_TEXT}\n")).map_err(io("note"))?;
    Ok(shared)
}

/// A shell command making a raw `mount(source, target, fstype, flags, NULL)` with perl (busybox and
/// util-linux `mount` would set up a loop device themselves, which the container cannot); on failure
/// it prints `mount: ERRNO TEXT` to stderr and exits 3. An `fstype` of `-` passes NULL (a bind).
pub fn perl_mount(source: &str, target: &str, fstype: &str, flags: u64) -> String {
    let nr = if cfg!(target_arch = "aarch64") { 40 } else { 165 };
    format!(
        "perl -e 'my ($s, $t, $f) = @ARGV; my $r = $f eq \"-\" ? syscall({nr}, $s, $t, 0, {flags}, 0) : syscall({nr}, $s, $t, $f, {flags}, 0); $r == 0 or do {{ print STDERR \"mount: $!\\n\"; exit 3 }}' {source} {target} {fstype}"
    )
}

/// A shell command making a raw `umount2(target, flags)` with perl; on failure it prints
/// `umount2: ERRNO TEXT` to stderr and exits 3.
pub fn perl_umount(target: &str, flags: u64) -> String {
    let nr = if cfg!(target_arch = "aarch64") { 39 } else { 166 };
    format!(
        "perl -e 'syscall({nr}, $ARGV[0], {flags}) == 0 or do {{ print STDERR \"umount2: $!\\n\"; exit 3 }}' {target}"
    )
}

/// A shell function for container scripts: `step NAME COMMAND...` runs the command and prints
/// `NAME: ok`, or `NAME: failed: OUTPUT` with what it printed. Read back with [`step`].
pub const STEP: &str = "step() { name=$1; shift; if out=$(\"$@\" 2>&1); then echo \"$name: ok\"; else echo \"$name: failed: $out\"; fi; }";

/// The step's line of `out`: `ok` or `failed: MESSAGE`.
pub fn step<'a>(out: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}: ");
    out.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no step {name} in the container's output:\n{out}"))
}

pub fn assert_refused(out: &str, name: &str) {
    let got = step(out, name);
    assert!(
        got.starts_with("failed:") && got.contains("Operation not permitted"),
        "{name} must fail with EPERM, got `{got}`; the container's output:\n{out}"
    );
}

/// The line starting with `key ` in `out`, without the key.
pub fn value<'a>(out: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key} ");
    out.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or("")
}

/// `text` as one single-quoted shell word.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
