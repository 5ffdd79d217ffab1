//! The container handlers end to end, through the Rust API: a real command in its own user namespace
//! (`setpriv` to an unprivileged uid, then `unshare -Ur -m`: container root is host uid 1000) under a
//! filter that notifies mknod, mknodat, mount, umount2 and sysinfo, served by a [`Supervisor`] whose
//! handler is [`Handlers`] and, for anything the handlers hand back, `continue` (the kernel decides).
//!
//! Without handler rules the kernel refuses the container's mknod and mount (EPERM); with them
//! `mknod DIR/mynull c 1 3` makes a node that `echo x >` writes to, an ext4 image made with mkfs.ext4
//! mounts at the allowed target and its file reads back, and devices or mounts outside the rules still
//! fail. busybox's `free` and `uptime` (which use sysinfo(2)) show the container's values. Each test
//! skips visibly (SKIP and the reason) when a tool or kernel feature is missing.

use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::handlers::{
    Device, Handlers, MknodRule, ModuleRule, MountAllow, MountKind, MountRule,
};
use seccomp_supervisor::path::Lexical;
use seccomp_supervisor::{Answer, Call, Context, Errno, Reply, Supervisor};
use seccomp_sys::FilterFlags;
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const UID: u32 = 1000;

fn skip(why: &str) -> bool {
    eprintln!("SKIP: {why}");
    true
}

/// Whether the machine can run these tests: root (to act for the target), the tools, user namespaces.
fn unavailable() -> bool {
    if !rustix::process::geteuid().is_root() {
        return skip("the handlers act as root (mount, mknod, setns): run as root");
    }
    for tool in ["/usr/bin/setpriv", "/usr/bin/unshare", "/usr/bin/perl", "/bin/sh"] {
        if !Path::new(tool).exists() {
            return skip(&format!("{tool} is missing"));
        }
    }
    let probe = std::process::Command::new("/usr/bin/setpriv")
        .args([
            &format!("--reuid={UID}"),
            &format!("--regid={UID}"),
            "--clear-groups",
        ])
        .args(["/usr/bin/unshare", "-Ur", "-m", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        return skip("an unprivileged uid cannot create a user namespace here");
    }
    false
}

/// A scratch directory owned by the container's host uid.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seccompctl-handlers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    rustix::fs::chown(
        &dir,
        Some(rustix::process::Uid::from_raw(UID)),
        Some(rustix::process::Gid::from_raw(UID)),
    )
    .expect("chown scratch");
    dir
}

/// Runs `script` with `sh -c` as container root (host uid 1000) in new user and mount namespaces, under
/// a filter notifying the handled syscalls, served by `handlers`; returns (exit code, log lines).
fn run(handlers: Handlers, script: &str) -> (i32, Vec<String>) {
    let arch = Arch::native().expect("native arch");
    let policy: Policy = Policy::parse(
        "default allow\nnotify mknod mknodat mount umount2 sysinfo init_module finit_module delete_module\n",
        arch,
    )
    .expect("policy");
    let mut out = vec![seccomp_core::abi::SockFilter::default(); 4096];
    let compiled = seccomp_core::policy::compile(&policy, &mut out).expect("compile");
    let args: Vec<CString> = [
        "/usr/bin/setpriv".to_owned(),
        format!("--reuid={UID}"),
        format!("--regid={UID}"),
        "--clear-groups".to_owned(),
        "/usr/bin/unshare".to_owned(),
        "-Ur".to_owned(),
        "-m".to_owned(),
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        script.to_owned(),
    ]
    .into_iter()
    .map(|a| CString::new(a).expect("no NUL"))
    .collect();
    let env = [CString::new("PATH=/usr/sbin:/usr/bin:/sbin:/bin").expect("env")];
    let argv: Vec<&std::ffi::CStr> = args.iter().map(|a| a.as_c_str()).collect();
    let envp: Vec<&std::ffi::CStr> = env.iter().map(|e| e.as_c_str()).collect();
    let mut argv_storage = vec![std::ptr::null(); argv.len() + 1];
    let mut envp_storage = vec![std::ptr::null(); envp.len() + 1];
    let exec = Exec {
        path: argv[0],
        argv: CStrArray::new(&argv, &mut argv_storage).expect("argv"),
        envp: CStrArray::new(&envp, &mut envp_storage).expect("envp"),
    };
    let confinement = Confinement {
        program: seccomp_core::bpf::validate(compiled.program().insns()).expect("a valid program"),
        flags: FilterFlags::NEW_LISTENER,
        no_new_privs: true,
        restore: &[],
        signal_mask: None,
        die_with_parent: false,
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler_log = Arc::clone(&log);
    let handle = move |call: Call<'_>| -> Reply {
        match handlers.handle(call) {
            Ok(handled) => {
                let line = format!(
                    "{} {} [{}]",
                    handled.reply.answer(),
                    handled.detail,
                    handled.rule.as_deref().unwrap_or("-")
                );
                handler_log.lock().expect("log").push(line);
                handled.reply
            }
            Err(call) => call.answer(Answer::Continue),
        }
    };
    let supervisor = Supervisor::new(handle, 2);
    let mut child = spawn::spawn(&exec, &confinement).expect("spawn");
    let ready = child.wait_ready().expect("ready");
    supervisor.add(
        ready.listener.expect("listener"),
        Context::new("e2e").with_pid(child.pid()),
    );
    let status = child.wait().expect("wait");
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    let code = match status {
        spawn::ExitStatus::Exited(code) => i32::from(code),
        other => panic!("the command ended with {other}"),
    };
    let lines = log.lock().expect("log").clone();
    (code, lines)
}

fn null_rule() -> Handlers {
    let mut handlers = Handlers::new();
    handlers.mknod.push(MknodRule {
        origin: "test:1".into(),
        devices: [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0)]
            .map(|(major, minor)| Device {
                kind: None,
                major,
                minor,
            })
            .to_vec(),
    });
    handlers
}

#[test]
fn mknod_of_a_listed_device_makes_a_usable_node_and_anything_else_is_eperm() {
    if unavailable() {
        return;
    }
    let dir = scratch("mknod");
    let d = dir.display();
    // The baseline: no rules, every call continues, and the kernel refuses mknod in a user namespace.
    let (code, _) = run(
        Handlers::new(),
        &format!("mknod {d}/mynull c 1 3 2>/dev/null && exit 9; exit 0"),
    );
    assert_eq!(code, 0, "without handlers the kernel must refuse mknod");

    let script = format!(
        "set -e; umask 022; mknod {d}/mynull c 1 3; echo x > {d}/mynull; stat -c '%F %t:%T %u %a' {d}/mynull; \
         if mknod {d}/mem c 1 1 2>/dev/null; then exit 7; fi; \
         if mknod {d}/mynull c 1 3 2>/dev/null; then exit 8; fi"
    );
    let (code, log) = run(null_rule(), &script);
    assert_eq!(code, 0, "handled mknod failed; log: {log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("emulated(0) made c 1:3") && l.ends_with("[test:1]")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains("device c 1:1 is not listed")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("emulated(errno(EEXIST))")),
        "{log:#?}"
    );
    // The placeholder the node was bound over stays in the host, owned by the container's host uid.
    let placeholder = std::fs::metadata(dir.join("mynull")).expect("placeholder");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&placeholder), UID);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Makes an ext4 image holding `hello` with "from the image", or `None` (and a SKIP) without mkfs.ext4.
fn ext4_image(dir: &Path) -> Option<PathBuf> {
    let mkfs = ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(mkfs) = mkfs else {
        skip("mkfs.ext4 is missing (e2fsprogs)");
        return None;
    };
    let content = dir.join("content");
    std::fs::create_dir_all(&content).expect("content");
    std::fs::write(content.join("hello"), "from the image\n").expect("hello");
    let image = dir.join("images").join("disk.img");
    std::fs::create_dir_all(image.parent().expect("parent")).expect("images");
    let made = std::process::Command::new(mkfs)
        .args(["-q", "-F", "-d"])
        .arg(&content)
        .arg(&image)
        .arg("4M")
        .status();
    if !made.is_ok_and(|s| s.success()) {
        skip("mkfs.ext4 -d failed");
        return None;
    }
    for path in [&image, &image.parent().expect("parent").to_path_buf()] {
        rustix::fs::chown(path, Some(rustix::process::Uid::from_raw(UID)), None).expect("chown");
    }
    Some(image)
}

/// `mount(2)` from the container with perl (util-linux and busybox would try to set up a loop device
/// themselves, which the container cannot).
fn perl_mount(source: &str, target: &str, fstype: &str, flags: u32) -> String {
    let nr = if cfg!(target_arch = "aarch64") { 40 } else { 165 };
    format!(
        "perl -e 'my ($s, $t, $f) = @ARGV; syscall({nr}, $s, $t, $f, {flags}, 0) == 0 or do {{ print STDERR \"$!\\n\"; exit 3 }}' '{source}' '{target}' '{fstype}'"
    )
}

#[test]
fn an_ext4_image_under_the_allowed_source_mounts_read_only_at_the_allowed_target_only() {
    if unavailable() {
        return;
    }
    if !Path::new("/dev/loop-control").exists() {
        skip("no /dev/loop-control: images cannot be attached");
        return;
    }
    let dir = scratch("mount");
    let Some(image) = ext4_image(&dir) else { return };
    let images = image.parent().expect("parent").display().to_string();
    let mnt = dir.join("mnt");
    let other = dir.join("elsewhere");
    for d in [&mnt.join("disk"), &other] {
        std::fs::create_dir_all(d).expect("mount points");
        rustix::fs::chown(d, Some(rustix::process::Uid::from_raw(UID)), None).expect("chown");
    }
    let (mnt, other, img) = (mnt.display(), other.display(), image.display());

    let baseline = format!(
        "{} 2>/dev/null && exit 9; exit 0",
        perl_mount(&img.to_string(), &format!("{mnt}/disk"), "ext4", 0)
    );
    let (code, _) = run(Handlers::new(), &baseline);
    assert_eq!(code, 0, "without handlers the kernel must refuse the ext4 mount");

    let mut handlers = Handlers::new();
    handlers.mounts.push(MountRule {
        origin: "test:2".into(),
        kind: MountKind::Fstype("ext4".into()),
        source_under: Some(Lexical::new(images.as_bytes())),
        target_under: Lexical::new(mnt.to_string().as_bytes()),
        allow: MountAllow::default(),
    });
    let script = format!(
        "set -e; {mount}; cat {mnt}/disk/hello; \
         if echo y > {mnt}/disk/new 2>/dev/null; then exit 5; fi; \
         grep -q ' {mnt}/disk ext4 ro,nosuid,nodev,noexec' /proc/self/mounts || {{ grep {mnt} /proc/self/mounts; exit 6; }}; \
         if {outside} 2>/dev/null; then exit 7; fi; \
         if {tmpfs} 2>/dev/null; then exit 8; fi; \
         umount {mnt}/disk; test ! -e {mnt}/disk/hello",
        mount = perl_mount(&img.to_string(), &format!("{mnt}/disk"), "ext4", 0),
        outside = perl_mount(&img.to_string(), &other.to_string(), "ext4", 0),
        tmpfs = perl_mount("none", &format!("{mnt}/disk"), "tmpfs", 0),
    );
    let (code, log) = run(handlers, &script);
    assert_eq!(code, 0, "handled mount failed; log: {log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("emulated(0) mounted ext4") && l.ends_with("[test:2]")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("no rule allows mount ext4") && l.contains("elsewhere")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("emulated(0) unmounted")),
        "{log:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bind_of_an_allowed_directory_is_nosuid_nodev_noexec_and_symlinks_cannot_leave_the_target_tree() {
    if unavailable() {
        return;
    }
    let dir = scratch("bind");
    let shared = dir.join("shared");
    let data = dir.join("data");
    std::fs::create_dir_all(shared.join("sub")).expect("shared");
    std::fs::write(shared.join("sub/file"), "shared\n").expect("file");
    std::fs::create_dir_all(data.join("in")).expect("data");
    std::os::unix::fs::symlink("/etc", data.join("escape")).expect("symlink");
    let mut handlers = Handlers::new();
    handlers.mounts.push(MountRule {
        origin: "test:3".into(),
        kind: MountKind::Bind,
        source_under: Some(Lexical::new(shared.display().to_string().as_bytes())),
        target_under: Lexical::new(data.display().to_string().as_bytes()),
        allow: MountAllow::default(),
    });
    let bind = 4096; // MS_BIND
    let (s, d) = (shared.display().to_string(), data.display().to_string());
    let script = format!(
        "set -e; {ok}; cat {d}/in/sub/file; grep -q ' {d}/in [a-z0-9]* rw,nosuid,nodev,noexec' /proc/self/mounts; \
         if {escape} 2>/dev/null; then exit 7; fi; if {proc} 2>/dev/null; then exit 8; fi",
        ok = perl_mount(&s, &format!("{d}/in"), "", bind),
        escape = perl_mount(&s, &format!("{d}/escape"), "", bind),
        proc = perl_mount("/proc", &format!("{d}/in"), "", bind),
    );
    let (code, log) = run(handlers, &script);
    assert_eq!(code, 0, "bind mount failed; log: {log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("emulated(0) mounted bind") && l.ends_with("[test:3]")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("emulated(errno(EPERM)) mount bind") && l.contains("escape")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains("no rule allows mount bind /proc")),
        "{log:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn free_and_uptime_in_the_container_show_its_own_values() {
    if unavailable() {
        return;
    }
    if !Path::new("/usr/bin/busybox").exists() && !Path::new("/bin/busybox").exists() {
        skip("busybox is missing (its free and uptime use sysinfo(2))");
        return;
    }
    let mut handlers = Handlers::new();
    handlers.sysinfo = Some("test:4".into());
    // unshare -p -f: a new pid namespace whose init starts now, so the uptime is a few seconds.
    let script =
        "exec unshare -p -f --mount-proc sh -c 'busybox uptime; busybox free; sleep 1; busybox uptime'";
    let (code, log) = run(handlers, script);
    assert_eq!(code, 0, "log: {log:#?}");
    let written: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("emulated(0) uptime"))
        .collect();
    assert!(written.len() >= 3, "{log:#?}");
    for line in &written {
        let uptime: i64 = line
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .expect("uptime in the log");
        assert!((0..60).contains(&uptime), "container uptime {uptime} s: {line}");
        assert!(line.ends_with("[test:4]"));
    }
}

/// The module image of the tests: Debian's dummy.ko (see core/tests/data/modules/PROVENANCE.md).
const DUMMY_KO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/data/modules/dummy.ko");

/// `finit_module(fd of FILE, "", 0)` and `init_module(bytes of FILE, len, PARAMS)` from the container
/// with perl, printing each result.
fn perl_load(file: &str, params: &str) -> String {
    let (finit, init) = if cfg!(target_arch = "aarch64") {
        (273, 105)
    } else {
        (313, 175)
    };
    format!(
        "perl -e 'open(my $f, \"<\", $ARGV[0]) or die; my $p = \"\"; \
         print \"finit=\", (syscall({finit}, fileno($f), $p, 0) == 0 ? 0 : $!+0), \"\\n\"; \
         local $/; my $img = <$f>; seek($f, 0, 0); $img = do {{ local $/; <$f> }}; my $q = $ARGV[1]; \
         print \"init=\", (syscall({init}, $img, length($img), $q) == 0 ? 0 : $!+0), \"\\n\"' '{file}' '{params}'"
    )
}

#[test]
fn module_loads_read_the_images_name_and_only_ever_load_the_hosts_copy_of_an_allowed_module() {
    if unavailable() {
        return;
    }
    let dir = scratch("module");
    // The container's file claims to be `dummy`; the host's modules directory has its own dummy.ko.
    let theirs = dir.join("theirs.ko");
    std::fs::copy(DUMMY_KO, &theirs).expect("copy");
    let host = dir.join("host-modules");
    std::fs::create_dir_all(host.join("kernel/drivers/net")).expect("host modules");
    std::fs::copy(DUMMY_KO, host.join("kernel/drivers/net/dummy.ko")).expect("copy");
    std::fs::write(host.join("modules.dep"), "kernel/drivers/net/dummy.ko:\n").expect("modules.dep");
    let eperm = Errno::PERM.raw_os_error();

    // Not on the list: EPERM for both calls, and nothing is loaded.
    let mut handlers = Handlers::new();
    handlers.modules.push(ModuleRule {
        origin: "test:5".into(),
        names: vec!["veth".into()],
        syscalls: vec!["finit_module".into(), "init_module".into()],
        params: false,
    });
    handlers.modules_dir = Some(host.clone());
    let (code, log) = run(
        handlers,
        &format!(
            "{} | grep -qx 'finit={eperm}'",
            perl_load(&theirs.display().to_string(), "")
        ),
    );
    assert_eq!(code, 0, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l == "errno(EPERM) module dummy is not allowed [-]"),
        "{log:#?}"
    );

    // Allowed: the host's copy goes to finit_module (this host's kernel refuses a Debian 6.1 module, or
    // has it: either way the errno, or 0, is the kernel's answer for the host's file), and parameters
    // without `params` are refused.
    let mut handlers = Handlers::new();
    handlers.modules.push(ModuleRule {
        origin: "test:6".into(),
        names: vec!["dummy".into()],
        syscalls: vec!["finit_module".into(), "init_module".into()],
        params: false,
    });
    handlers.modules_dir = Some(host.clone());
    let (code, log) = run(
        handlers,
        &format!(
            "{} >/dev/null",
            perl_load(&theirs.display().to_string(), "numdummies=9")
        ),
    );
    assert_eq!(code, 0, "{log:#?}");
    eprintln!("handler log:\n{}", log.join("\n"));
    let finit = log.first().expect("a finit_module line");
    assert!(
        finit.contains("the host's kernel/drivers/net/dummy.ko") && finit.ends_with("[test:6]"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l == "errno(EPERM) module dummy: parameters are not allowed [test:6]"),
        "{log:#?}"
    );

    // A malformed image: its name cannot be read, EPERM with the reader's reason.
    let broken = dir.join("broken.ko");
    std::fs::write(&broken, &std::fs::read(DUMMY_KO).expect("read")[..1000]).expect("write");
    let mut handlers = Handlers::new();
    handlers.modules.push(ModuleRule {
        origin: "test:7".into(),
        names: vec!["dummy".into()],
        syscalls: vec!["finit_module".into()],
        params: false,
    });
    handlers.modules_dir = Some(host);
    let (code, log) = run(
        handlers,
        &format!(
            "{} | grep -qx 'finit={eperm}'",
            perl_load(&broken.display().to_string(), "")
        ),
    );
    assert_eq!(code, 0, "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.starts_with("errno(EPERM) module image's section table")),
        "{log:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
