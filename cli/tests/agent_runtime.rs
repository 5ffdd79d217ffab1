//! `seccompctl agent` with a real OCI runtime: a busybox container whose seccomp profile notifies `mkdir`
//! and names the agent's socket as `listenerPath`. The runtime sends the listener itself; the container's
//! `mkdir` then fails with the agent's answer.
//!
//! Needs root, `runc` or `crun`, and a static busybox (Debian: `apt-get install runc crun busybox-static`).
//! Where any is missing, or the runtime cannot run even a plain container in this environment (cgroups,
//! namespaces), the test prints `SKIP: <reason>` and returns.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{Agent, PATIENCE, Scratch};

/// The first executable called `name` in the usual system directories.
fn find(name: &str) -> Option<PathBuf> {
    [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ]
    .iter()
    .map(|dir| Path::new(dir).join(name))
    .find(|path| path.is_file())
}

/// Runs `command` to completion, killing it after twice [`PATIENCE`] (a hang, not a timing check).
fn run(mut command: Command) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let deadline = Instant::now() + 2 * PATIENCE;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                break;
            }
        }
    }
    child.wait_with_output().map_err(|e| format!("{command:?}: {e}"))
}

/// A bundle with a busybox rootfs and runc's default config, with `args` as the process and `seccomp` as
/// the profile.
fn bundle(
    scratch: &Scratch,
    runc: &Path,
    busybox: &Path,
    args: &[&str],
    seccomp: Option<Value>,
) -> Result<PathBuf, String> {
    let bundle = scratch.path("bundle");
    let bin = bundle.join("rootfs/bin");
    for dir in [
        "rootfs/bin",
        "rootfs/tmp",
        "rootfs/proc",
        "rootfs/dev",
        "rootfs/sys",
    ] {
        std::fs::create_dir_all(bundle.join(dir)).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    if !bin.join("busybox").exists() {
        std::fs::copy(busybox, bin.join("busybox")).map_err(|e| format!("copy busybox: {e}"))?;
        for applet in ["sh", "mkdir", "echo"] {
            std::os::unix::fs::symlink("busybox", bin.join(applet))
                .map_err(|e| format!("symlink {applet}: {e}"))?;
        }
    }
    let config_path = bundle.join("config.json");
    let _ = std::fs::remove_file(&config_path);
    let mut spec = Command::new(runc);
    spec.arg("spec").arg("--bundle").arg(&bundle);
    let output = run(spec)?;
    if !output.status.success() {
        return Err(format!(
            "runc spec failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = std::fs::read_to_string(&config_path).map_err(|e| format!("read config.json: {e}"))?;
    let mut config: Value = serde_json::from_str(&text).map_err(|e| format!("config.json: {e}"))?;
    config["process"]["terminal"] = json!(false);
    config["process"]["args"] = json!(args);
    config["root"]["readonly"] = json!(false);
    if let Some(seccomp) = seccomp {
        config["linux"]["seccomp"] = seccomp;
    }
    std::fs::write(&config_path, config.to_string()).map_err(|e| format!("write config.json: {e}"))?;
    Ok(bundle)
}

/// `RUNTIME [GLOBAL...] --root ROOT run --bundle BUNDLE ID`.
fn run_container(
    runtime: &Path,
    global: &[&str],
    root: &Path,
    bundle: &Path,
    id: &str,
) -> Result<Output, String> {
    let mut command = Command::new(runtime);
    command
        .args(global)
        .arg("--root")
        .arg(root)
        .arg("run")
        .arg("--bundle")
        .arg(bundle)
        .arg(id);
    run(command)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs the mkdir container under `runtime` with the agent as the profile's listener.
fn container_mkdir_is_answered_by_the_agent(test: &str, runtime_name: &str, global: &[&str]) {
    if !rustix::process::geteuid().is_root() {
        skip!(test, "running containers needs root");
    }
    let Some(runtime) = find(runtime_name) else {
        skip!(
            test,
            "{runtime_name} is not installed (apt-get install {runtime_name})"
        );
    };
    let Some(runc) = find("runc") else {
        skip!(
            test,
            "runc is not installed; its `runc spec` writes the bundle's config"
        );
    };
    let Some(busybox) = find("busybox") else {
        skip!(test, "busybox is not installed (apt-get install busybox-static)");
    };
    let scratch = Scratch::new(test);
    let root = scratch.path("state");
    let id = format!("seccompctl-{runtime_name}-{}", std::process::id());

    // First a plain container: if this fails, the environment cannot run containers at all.
    let plain = match bundle(
        &scratch,
        &runc,
        &busybox,
        &["/bin/echo", "plain container ran"],
        None,
    ) {
        Ok(bundle) => bundle,
        Err(why) => skip!(test, "cannot build a bundle: {why}"),
    };
    match run_container(&runtime, global, &root, &plain, &format!("{id}-plain")) {
        Ok(output) if output.status.success() && text(&output).contains("plain container ran") => {}
        Ok(output) => skip!(
            test,
            "{runtime_name} cannot run a plain container here ({}): {}",
            output.status,
            text(&output).trim()
        ),
        Err(why) => skip!(test, "{why}"),
    }

    let agent_scratch = Scratch::new(&format!("{test}-agent"));
    let socket = agent_scratch.path("agent.sock");
    let agent = Agent::start_at(agent_scratch, socket.clone(), &["--on-notify", "errno(EACCES)"]);
    let profile = json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": socket,
        "listenerMetadata": "made-by-test",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
    });
    let args = ["/bin/sh", "-c", "mkdir /tmp/made; echo mkdir-status=$?"];
    let bundle = bundle(&scratch, &runc, &busybox, &args, Some(profile)).expect("the seccomp bundle");
    let output = run_container(&runtime, global, &root, &bundle, &id).expect("run the container");
    let out = text(&output);
    assert!(output.status.success(), "{runtime_name} failed: {out}");
    assert!(out.contains("mkdir-status=1"), "mkdir must fail: {out}");
    assert!(
        out.contains("Permission denied"),
        "mkdir must fail with EACCES: {out}"
    );

    let registered = agent.wait_for("the runtime's registration", |line| {
        line.contains(&format!("container {id}: registered"))
    });
    assert!(registered.contains("metadata \"made-by-test\""), "{registered}");
    assert!(
        registered.contains(&format!("bundle {}", bundle.display())),
        "{registered}"
    );
    let answered = agent.wait_for("the mkdir notification", |line| {
        line.contains(&format!("container {id}: pid")) && line.contains("-> errno(EACCES)")
    });
    assert!(answered.contains("mkdir"), "{answered}");
    if support::kernel_version().is_some_and(|version| version >= (5, 9)) {
        agent.wait_for("the container's exit", |line| {
            line.contains(&format!("container {id}: exited"))
        });
    }
}

#[test]
fn runc_hands_the_container_listener_to_the_agent() {
    container_mkdir_is_answered_by_the_agent("runc_hands_the_container_listener_to_the_agent", "runc", &[]);
}

#[test]
fn crun_hands_the_container_listener_to_the_agent() {
    container_mkdir_is_answered_by_the_agent(
        "crun_hands_the_container_listener_to_the_agent",
        "crun",
        &["--cgroup-manager=disabled"],
    );
}
