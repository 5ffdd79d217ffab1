//! The container handlers under real runc with a user namespace: container root is host uid 100000, the
//! seccomp profile notifies mknod, mknodat, mount, umount2 and sysinfo, and its `listenerPath` is a socket
//! served by this test with `seccomp_supervisor::handlers::Handlers` (the agent's handler set, through
//! the Rust API: `seccompctl agent` does not serve `emulate` lines yet).
//!
//! The rootfs is the host's `/usr` bound read-only (so the container has `sh`, `perl`, `stat`), an ext4
//! image made with mkfs.ext4 is bound at `/srv/images`, and the handlers allow
//! `dev in [1:3]`, `fstype == "ext4" && source under "/srv/images" && target under "/mnt"` and
//! sysinfo, with a 256 MiB memory limit on the container's cgroup.
//! Without handlers (every call continues) the kernel refuses mknod and mount in the user namespace;
//! with them `mknod /dev/mynull c 1 3` and `echo x > /dev/mynull` work and the image's file reads back;
//! a device or mount outside the rules still fails; busybox `free` shows the 256 MiB limit as the total
//! and `uptime` the container's.
//!
//! Needs root, runc, perl and mkfs.ext4; skips visibly (SKIP and why) where any is missing or runc cannot
//! run a user-namespaced container here.

use seccomp_supervisor::handlers::{Device, Handlers, MknodRule, MountAllow, MountKind, MountRule};
use seccomp_supervisor::path::Lexical;
use seccomp_supervisor::{Answer, Call, Context, Reply, Supervisor};
use serde_json::json;
use std::os::unix::net::UnixListener;
use std::sync::{Arc, Mutex};
use support::bundle::{Bundle, find, perl_mount};

mod support;

fn skip(why: &str) {
    eprintln!("SKIP: {why}");
}

/// Runs the container once with `handlers` serving the profile's listener; returns (output, log).
fn run(
    scratch: &Bundle,
    script: &str,
    handlers: Handlers,
    id: &str,
) -> Result<(String, Vec<String>), String> {
    let socket = scratch.dir.join(format!("{id}.sock"));
    let listener = UnixListener::bind(&socket).map_err(|e| format!("bind {}: {e}", socket.display()))?;
    let profile = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": socket,
        "syscalls": [{"names": ["mknod", "mknodat", "mount", "umount2", "sysinfo"], "action": "SCMP_ACT_NOTIFY"}]
    });
    scratch.configure(script, &["CAP_MKNOD", "CAP_SYS_ADMIN"], &profile)?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler_log = Arc::clone(&log);
    let supervisor = Supervisor::new(
        move |call: Call<'_>| -> Reply {
            match handlers.handle(call) {
                Ok(handled) => {
                    let line = format!(
                        "{} {} [{}]",
                        handled.reply.answer(),
                        handled.detail,
                        handled.rule.as_deref().unwrap_or("-")
                    );
                    if let Ok(mut log) = handler_log.lock() {
                        log.push(line);
                    }
                    handled.reply
                }
                Err(call) => call.answer(Answer::Continue),
            }
        },
        2,
    );
    let output = std::thread::scope(|scope| {
        let supervisor = &supervisor;
        let listener = &listener;
        scope.spawn(move || {
            if let Ok((connection, _)) = listener.accept() {
                use std::os::fd::AsFd;
                if let Ok(fd) = seccomp_sys::fdpass::recv_fd(connection.as_fd()) {
                    supervisor.add(seccomp_sys::Listener::from(fd), Context::new(id));
                }
            }
        });
        let output = scratch.run(id);
        if output.as_ref().map_or(true, |o| !o.status.success()) {
            // Unblock the accept if runc never connected.
            let _ = std::os::unix::net::UnixStream::connect(&socket);
        }
        output
    });
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    let output = output.map_err(|e| format!("runc: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = log.lock().map(|l| l.clone()).unwrap_or_default();
    Ok((text, lines))
}

fn handlers() -> Handlers {
    let mut handlers = Handlers::new();
    handlers.mknod.push(MknodRule {
        origin: "container.policy:1".into(),
        devices: vec![Device {
            kind: None,
            major: 1,
            minor: 3,
        }],
    });
    handlers.sysinfo = Some("container.policy:3".into());
    handlers.mounts.push(MountRule {
        origin: "container.policy:2".into(),
        kind: MountKind::Fstype("ext4".into()),
        source_under: Some(Lexical::new(b"/srv/images")),
        target_under: Lexical::new(b"/mnt"),
        allow: MountAllow::default(),
    });
    handlers
}

#[test]
fn runc_user_namespace_container_gets_mknod_and_an_ext4_mount_only_through_the_handlers() {
    if !rustix::process::geteuid().is_root() {
        return skip("running runc needs root");
    }
    let (Some(runc), Some(mkfs)) = (find("runc"), find("mkfs.ext4")) else {
        return skip("runc or mkfs.ext4 is missing (apt-get install runc e2fsprogs)");
    };
    if find("perl").is_none() {
        return skip("perl is missing (the container makes mount(2) with it)");
    }
    let scratch = match Bundle::prepare(&runc, &mkfs, "container-runc") {
        Ok(scratch) => scratch,
        Err(why) => return skip(&format!("cannot prepare the bundle: {why}")),
    };
    let id = format!("seccompctl-handlers-{}", std::process::id());
    let script = format!(
        "if mknod /dev/mynull c 1 3; then echo x > /dev/mynull && echo mknod-ok; else echo mknod-refused; fi; \
         if mknod /dev/mem2 c 1 1 2>/dev/null; then echo other-mknod-ok; else echo other-mknod-refused; fi; \
         if {mount}; then cat /mnt/disk/hello; else echo mount-refused; fi; \
         if {outside} 2>/dev/null; then echo outside-mount-ok; else echo outside-mount-refused; fi; \
         echo uid-map $(cat /proc/self/uid_map); busybox free; busybox uptime",
        mount = perl_mount("/srv/images/disk.img", "/mnt/disk", "ext4", 0),
        outside = perl_mount("/srv/images/disk.img", "/elsewhere", "ext4", 0),
    );

    // The baseline: no rules. A runc that cannot run this container at all is a skip, not a failure.
    let (out, _) = match run(&scratch, &script, Handlers::new(), &format!("{id}-plain")) {
        Ok(result) => result,
        Err(why) => return skip(&why),
    };
    if !out.contains("uid-map 0 100000 65536") {
        return skip(&format!(
            "runc cannot run a user-namespaced container here: {}",
            out.trim()
        ));
    }
    assert!(
        out.contains("mknod-refused"),
        "without handlers mknod must fail: {out}"
    );
    assert!(
        out.contains("mount-refused"),
        "without handlers the mount must fail: {out}"
    );

    let (out, log) = run(&scratch, &script, handlers(), &id).expect("runc with handlers");
    eprintln!("container output:\n{out}handler log:\n{}", log.join("\n"));
    assert!(out.contains("mknod-ok"), "{out}\n{log:#?}");
    assert!(out.contains("other-mknod-refused"), "{out}\n{log:#?}");
    assert!(out.contains("from the image"), "{out}\n{log:#?}");
    assert!(out.contains("outside-mount-refused"), "{out}\n{log:#?}");
    // busybox free and uptime use sysinfo(2): the cgroup's 256 MiB (in KiB) and the container's uptime.
    let mem = out.lines().find(|l| l.starts_with("Mem:")).unwrap_or_default();
    // (busybox takes "cached" from the host's /proc/meminfo, so its `used` column can overflow into the
    // total's: compare the start of the line.)
    assert!(
        mem.trim_start_matches("Mem:").trim_start().starts_with("262144"),
        "{out}"
    );
    assert!(log.iter().any(|l| l.contains("/268435456 x1 B")), "{log:#?}");
    assert!(out.contains(" up 0 min,"), "{out}");
    assert!(
        log.iter()
            .any(|l| l.contains("made c 1:3 at /dev/mynull") && l.ends_with("[container.policy:1]")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("mounted ext4 /srv/images/disk.img on /mnt/disk")
                && l.ends_with("[container.policy:2]")),
        "{log:#?}"
    );
}
