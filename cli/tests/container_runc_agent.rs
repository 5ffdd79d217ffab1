//! The container handlers end to end: real runc, user-namespaced containers (container root is host uid
//! 100000), a seccomp profile whose `listenerPath` is the socket of a `seccompctl agent --handlers
//! images=FILE --handlers plain=FILE` process and which notifies mknod, mknodat, mount, umount2 and
//! sysinfo. Three containers of one bundle select what answers them with their `listenerMetadata`:
//! - `handlers=images` (the walk-through's set): `mknod /dev/mynull c 1 3` works (the node writable,
//!   owned by container root, the umask applied), an ext4 image made with mkfs.ext4 mounts at `/mnt/disk`
//!   read-only, nosuid, nodev, noexec and its file reads back, then unmounts; a bind of a listed host
//!   directory works; a device (1:1), a mount outside the allowlist, a symlink out of the target tree,
//!   an `umount2` of a mount the handler did not make, and a caller without the capability get EPERM;
//!   sysinfo(2) shows the cgroup's 256 MiB;
//! - `handlers=plain` (a set without those lines): the same mknod and mount fail with EPERM;
//! - no `handlers=` word and no default set: the agent lets every call continue and the kernel refuses
//!   (EPERM), as without any agent.
//!
//! The handlers files and the profile are read from docs/agent.md's walk-through (the blocks marked
//! `tested by cli/tests/container_runc_agent.rs`), so the document shows what runs here.
//!
//! Needs root, runc, perl and mkfs.ext4; skips visibly (SKIP and why) where any is missing or runc cannot
//! run a user-namespaced container here.

mod support;

use serde_json::Value;
use support::bundle::{self, Bundle, assert_refused, find, perl_mount, perl_umount, sh_quote, step, value};
use support::{Agent, Scratch};

const TEST: &str = "container_runc_agent";
/// The socket path the walk-through's profile names; the test puts its own socket there instead.
const DOC_SOCKET: &str = "/run/seccompctl-agent.sock";
const MS_RDONLY: u64 = 1;
const MS_BIND: u64 = 4096;

/// The fenced block after the line `<!-- tested by cli/tests/container_runc_agent.rs: NAME -->` in
/// docs/agent.md.
fn doc_block(name: &str) -> String {
    let doc = include_str!("../../docs/agent.md");
    let marker = format!("<!-- tested by cli/tests/container_runc_agent.rs: {name} -->");
    let after = doc
        .split_once(&marker)
        .unwrap_or_else(|| panic!("docs/agent.md has no block marked {marker}"))
        .1;
    let fence = after.find("```").expect("a fenced block after the marker");
    let body = &after[fence..];
    let start = body.find('\n').expect("a fence line") + 1;
    let end = body[start..].find("```").expect("the block's closing fence");
    body[start..start + end].to_owned()
}

/// What each container runs: one line `NAME: ok` or `NAME: failed: MESSAGE` per step, and a few
/// values to compare.
fn script() -> String {
    let mount = perl_mount("/srv/images/disk.img", "/mnt/disk", "ext4", MS_RDONLY);
    let mount_outside = perl_mount("/srv/images/disk.img", "/elsewhere", "ext4", MS_RDONLY);
    let mount_link = perl_mount("/srv/images/disk.img", "/mnt/to-proc", "ext4", MS_RDONLY);
    let bind = perl_mount("/srv/shared", "/data/shared", "-", MS_BIND);
    let bind_outside = perl_mount("/etc", "/data/shared", "-", MS_BIND);
    let umount = perl_umount("/mnt/disk", 0);
    let umount_proc = perl_umount("/proc", 0);
    [
        bundle::STEP,
        "echo uid-map $(cat /proc/self/uid_map)",
        "umask 027",
        "step mknod mknod /dev/mynull c 1 3",
        "step write sh -c 'echo x > /dev/mynull'",
        "echo node $(stat -c '%F %t:%T %a %u:%g' /dev/mynull)",
        "step mknod-unlisted mknod /dev/mem2 c 1 1",
        "step mknod-relative sh -c 'cd /dev && mknod zero2 c 1 5'",
        "echo zeros $(head -c 3 /dev/zero2 | od -An -tx1)",
        "step mknod-unprivileged setpriv --reuid 1000 --regid 1000 --clear-groups mknod /tmp/null2 c 1 3",
        "step mknod-user setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps +mknod --ambient-caps +mknod mknod /tmp/null3 c 1 3",
        "echo user-node $(stat -c '%a %u:%g' /tmp/null3)",
        &format!("step mount sh -c {}", sh_quote(&mount)),
        "echo image $(cat /mnt/disk/hello)",
        "echo flags $(busybox awk '$5 == \"/mnt/disk\" { print $6 }' /proc/self/mountinfo)",
        &format!("step mount-outside sh -c {}", sh_quote(&mount_outside)),
        "ln -sfn /proc /mnt/to-proc",
        &format!("step mount-symlink sh -c {}", sh_quote(&mount_link)),
        &format!("step bind-outside sh -c {}", sh_quote(&bind_outside)),
        &format!("step bind sh -c {}", sh_quote(&bind)),
        "echo shared $(cat /data/shared/note)",
        "echo bind-flags $(busybox awk '$5 == \"/data/shared\" { print $6 }' /proc/self/mountinfo)",
        &format!("step umount-other sh -c {}", sh_quote(&umount_proc)),
        &format!("step umount sh -c {}", sh_quote(&umount)),
        "test -e /mnt/disk/hello && echo still-mounted || echo unmounted",
        "echo free $(busybox free | busybox awk '$1 == \"Mem:\" { print substr($2, 1, 6) }')",
    ]
    .join("\n")
}

/// Runs the bundle as container `id` with the doc's profile (`listenerPath` the agent's socket,
/// `listenerMetadata` set to `metadata`); returns the container's output.
fn run(bundle: &Bundle, agent: &Agent, id: &str, metadata: &str) -> Result<String, String> {
    let profile = doc_block("profile").replace(DOC_SOCKET, &agent.socket.to_string_lossy());
    let mut profile: Value = serde_json::from_str(&profile).map_err(|e| format!("the doc's profile: {e}"))?;
    profile["listenerMetadata"] = Value::from(metadata);
    bundle.configure(
        &script(),
        &["CAP_MKNOD", "CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID"],
        &profile,
    )?;
    let output = bundle.run(id).map_err(|e| format!("runc: {e}"))?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[test]
fn runc_containers_get_what_their_handler_set_allows_through_the_agent() {
    if !rustix::process::geteuid().is_root() {
        skip!(TEST, "running runc needs root");
    }
    let (Some(runc), Some(mkfs)) = (find("runc"), find("mkfs.ext4")) else {
        skip!(
            TEST,
            "runc or mkfs.ext4 is missing (apt-get install runc e2fsprogs)"
        );
    };
    if find("perl").is_none() || find("busybox").is_none() || find("setpriv").is_none() {
        skip!(
            TEST,
            "perl, busybox or setpriv is missing (the container script uses them)"
        );
    }
    let bundle = match Bundle::prepare(&runc, &mkfs, "container-runc-agent") {
        Ok(bundle) => bundle,
        Err(why) => skip!(TEST, "cannot prepare the bundle: {why}"),
    };
    let scratch = Scratch::new("container-runc-agent-rules");
    let images = scratch.path("images.rules");
    let plain = scratch.path("plain.rules");
    std::fs::write(&images, doc_block("images.rules")).expect("write images.rules");
    std::fs::write(&plain, doc_block("plain.rules")).expect("write plain.rules");
    let images = images.to_str().expect("a UTF-8 path");
    let plain = plain.to_str().expect("a UTF-8 path");
    let agent = Agent::start(
        "container-runc-agent",
        &[
            "--handlers",
            &format!("images={images}"),
            "--handlers",
            &format!("plain={plain}"),
        ],
    );
    let id = |name: &str| format!("seccompctl-agent-{name}-{}", std::process::id());

    // No handlers= word and no default set: every call continues, and the kernel decides.
    let out = match run(&bundle, &agent, &id("kernel"), "tenant=c") {
        Ok(out) => out,
        Err(why) => skip!(TEST, "{why}"),
    };
    if !out.contains(&format!("uid-map 0 {} 65536", bundle::HOST_ROOT)) {
        skip!(
            TEST,
            "runc cannot run a user-namespaced container here: {}",
            out.trim()
        );
    }
    eprintln!("container without a handler set:\n{out}");
    // (A bind mount is the kernel's to allow in a user namespace: it is not compared here.)
    for name in ["mknod", "mknod-unlisted", "mount"] {
        assert_refused(&out, name);
    }
    agent.wait_for("the kernel-default container's exit", |line| {
        line.contains(&format!("container {}: exited", id("kernel")))
    });

    // The set without mknod and mount lines.
    let out = run(&bundle, &agent, &id("plain"), "handlers=plain").expect("runc");
    eprintln!("container with the plain set:\n{out}");
    for name in ["mknod", "mount"] {
        assert_refused(&out, name);
    }
    // It does have `emulate sysinfo`: the cgroup's limit is its total.
    assert_eq!(value(&out, "free"), "262144", "{out}");
    agent.wait_for("the plain container's set", |line| {
        line.contains(&format!(
            "container {}: handler set plain (from its metadata)",
            id("plain")
        ))
    });

    // The walk-through's set.
    let out = run(&bundle, &agent, &id("images"), "tenant=a handlers=images").expect("runc");
    let log = agent.log().join("\n");
    eprintln!("container with the images set:\n{out}\nthe agent's log:\n{log}");
    assert_eq!(step(&out, "mknod"), "ok", "{out}");
    assert_eq!(step(&out, "write"), "ok", "{out}");
    // 0666 & ~027, owned by container root (host uid 100000 seen through the mapping).
    assert_eq!(value(&out, "node"), "character special file 1:3 640 0:0", "{out}");
    assert_refused(&out, "mknod-unlisted");
    // A relative path, resolved against the caller's cwd: /dev/zero2 reads zeros.
    assert_eq!(step(&out, "mknod-relative"), "ok", "{out}");
    assert_eq!(value(&out, "zeros"), "00 00 00", "{out}");
    assert_refused(&out, "mknod-unprivileged");
    // A user with CAP_MKNOD (ambient): the node is its own, container uid 1000 = host uid 101000.
    assert_eq!(step(&out, "mknod-user"), "ok", "{out}");
    assert_eq!(value(&out, "user-node"), "640 1000:1000", "{out}");
    assert_eq!(step(&out, "mount"), "ok", "{out}");
    assert_eq!(value(&out, "image"), bundle::IMAGE_TEXT, "{out}");
    let flags = value(&out, "flags");
    for flag in ["ro", "nosuid", "nodev", "noexec"] {
        assert!(
            flags.split(',').any(|f| f == flag),
            "{flag} missing in `{flags}`: {out}"
        );
    }
    assert_refused(&out, "mount-outside");
    assert_refused(&out, "mount-symlink");
    assert_refused(&out, "bind-outside");
    assert_eq!(step(&out, "bind"), "ok", "{out}");
    assert_eq!(value(&out, "shared"), bundle::SHARED_TEXT, "{out}");
    let flags = value(&out, "bind-flags");
    for flag in ["nosuid", "nodev", "noexec"] {
        assert!(
            flags.split(',').any(|f| f == flag),
            "{flag} missing in the bind's `{flags}`: {out}"
        );
    }
    assert_refused(&out, "umount-other");
    assert_eq!(step(&out, "umount"), "ok", "{out}");
    assert!(out.contains("\nunmounted\n"), "{out}");
    assert_eq!(value(&out, "free"), "262144", "{out}");

    let container = format!("container {}:", id("images"));
    let rule = |line: usize| format!("(set images: {images}:{line}");
    for (what, needle, line) in [
        ("the mknod", "made c 1:3 at /dev/mynull", 2),
        ("the mount", "mounted ext4 /srv/images/disk.img on /mnt/disk", 3),
        ("the bind", "/srv/shared", 4),
        ("the sysinfo", "uptime", 5),
    ] {
        agent.wait_for(what, |l| {
            l.contains(&container) && l.contains(needle) && l.contains(&rule(line))
        });
    }
    agent.wait_for("the unprivileged caller's refusal", |l| {
        l.contains(&container) && l.contains("/tmp/null2") && l.contains("the caller lacks CAP_MKNOD")
    });
    agent.wait_for("the unlisted device's refusal", |l| {
        l.contains(&container) && l.contains("errno(EPERM)") && l.contains("device c 1:1 is not listed")
    });
}
