//! `emulate` lines from the command line, the fallback form without a container runtime:
//! `seccompctl run --policy FILTER --handlers HANDLERS -- setpriv --reuid 1000 ... unshare -Urmpf sh -c
//! SCRIPT` (no `--mount-proc`: a mount of proc is one no `emulate` line can allow, so it would be refused;
//! `/proc/self` works without it). The command is root of its own user, mount and pid namespaces and host
//! uid 1000 (no privilege in the host); the filter notifies mknod, mknodat, mount, umount2 and sysinfo.
//! - Without `emulate` lines (every call continues) the kernel refuses mknod of a device and an ext4
//!   mount (EPERM).
//! - With them `mknod c 1 3` makes a writable node (the umask applied, owned by the command's uid as its
//!   namespace maps it), an ext4 image made with mkfs.ext4 mounts read-only, nosuid, nodev, noexec at the
//!   allowed target and its file reads back, then unmounts; a bind of a listed directory works; an
//!   unlisted device, a mount outside the allowed target and a bind of another directory get EPERM;
//!   sysinfo(2) (busybox `uptime`) shows the pid namespace's uptime.
//!
//! A second test races the mount target: its parent flips between a directory and a symlink to `/`
//! while the command binds onto `PARENT/tmp`; the kernel alone (the control) lands a bind on `/tmp`,
//! the handler never does.
//!
//! Needs root (to become uid 1000 and for the handlers' mounts), setpriv, unshare, perl, busybox and
//! mkfs.ext4; skips visibly without them or without unprivileged user namespaces.

mod support;

use std::process::{Command, Output};
use support::Scratch;
use support::bundle::{
    IMAGE_TEXT, SHARED_TEXT, STEP, assert_refused, find, make_image, make_shared, perl_mount, perl_umount,
    sh_quote, step, value,
};

const TEST: &str = "handlers_emulate";
const UID: u32 = 1000;
const MS_RDONLY: u64 = 1;
const MS_BIND: u64 = 4096;
const FILTER: &str = "default allow\nnotify mknod mknodat mount umount2 sysinfo\n";

/// The command, as host uid [`UID`], root of its own user, mount and pid namespaces.
fn unprivileged(script: &str) -> Vec<String> {
    let uid = UID.to_string();
    [
        "setpriv",
        "--reuid",
        &uid,
        "--regid",
        &uid,
        "--clear-groups",
        "unshare",
        "-Urmpf",
        "sh",
        "-c",
        script,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run(scratch: &Scratch, handlers: &str, command: &[String]) -> Output {
    let filter = scratch.path("filter.policy");
    let rules = scratch.path("h.rules");
    std::fs::write(&filter, FILTER).expect("write the filter");
    std::fs::write(&rules, handlers).expect("write the handlers");
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .arg("run")
        .arg("--policy")
        .arg(&filter)
        .arg("--handlers")
        .arg(&rules)
        .arg("--")
        .args(command)
        .output()
        .expect("run seccompctl")
}

/// Hostile calls: pointers into nothing and a path longer than PATH_MAX, made with perl's `syscall`
/// (numbers are passed as values, so `1` is the address 1). Each prints `NAME: failed: ERRNO TEXT`.
fn hostile() -> Vec<String> {
    let (mount, umount2, mknodat, sysinfo) = if cfg!(target_arch = "aarch64") {
        (40, 39, 33, 179)
    } else {
        (165, 166, 259, 99)
    };
    let call = |name: &str, body: &str| {
        format!("step {name} perl -e '{body} == 0 or do {{ print STDERR \"$!\\n\"; exit 3 }}'")
    };
    vec![
        call("mount-efault", &format!("syscall({mount}, 1, 2, 3, 1, 0)")),
        call(
            "mount-long",
            &format!("my $l = \"/\" . (\"x\" x 5000); my $f = \"ext4\"; syscall({mount}, $l, $l, $f, 1, 0)"),
        ),
        call("mknod-efault", &format!("syscall({mknodat}, -100, 1, 8630, 259)")),
        call("umount-efault", &format!("syscall({umount2}, 1, 0)")),
        call("sysinfo-efault", &format!("syscall({sysinfo}, 1)")),
    ]
}

fn script(root: &str) -> String {
    let image = format!("{root}/images/disk.img");
    let mount = perl_mount(&image, &format!("{root}/mnt/disk"), "ext4", MS_RDONLY);
    let outside = perl_mount(&image, &format!("{root}/elsewhere"), "ext4", MS_RDONLY);
    let bind = perl_mount(
        &format!("{root}/shared"),
        &format!("{root}/data/shared"),
        "-",
        MS_BIND,
    );
    let bind_other = perl_mount("/etc", &format!("{root}/data/shared"), "-", MS_BIND);
    let umount = perl_umount(&format!("{root}/mnt/disk"), 0);
    [
        STEP.to_owned(),
        "echo uid-map $(cat /proc/self/uid_map)".to_owned(),
        "umask 027".to_owned(),
        // (A run before this one may have left a file there.)
        format!("rm -f {root}/dev/null2"),
        format!("step mknod mknod {root}/dev/null2 c 1 3"),
        format!("step write sh -c 'echo x > {root}/dev/null2'"),
        format!("echo node $(stat -c '%F %t:%T %a %u:%g' {root}/dev/null2)"),
        format!("step mknod-unlisted mknod {root}/dev/mem c 1 1"),
        // mknodat relative to a directory fd (not the cwd): S_IFCHR | 0666, makedev(1, 5).
        format!("rm -f {root}/dev/dirzero"),
        format!(
            "step mknodat-dirfd perl -MFcntl -e 'sysopen(my $d, $ARGV[0], O_RDONLY | O_DIRECTORY) or die \"$!\\n\"; my $n = \"dirzero\"; syscall({mknodat}, fileno($d), $n, 8630, 261) == 0 or die \"$!\\n\"' {root}/dev",
            mknodat = if cfg!(target_arch = "aarch64") { 33 } else { 259 }
        ),
        format!("echo dirzero $(stat -c '%F %t:%T' {root}/dev/dirzero)"),
        format!("step mount sh -c {}", sh_quote(&mount)),
        format!("echo image $(cat {root}/mnt/disk/hello)"),
        format!("echo flags $(busybox awk '$5 == \"{root}/mnt/disk\" {{ print $6 }}' /proc/self/mountinfo)"),
        format!("step mount-outside sh -c {}", sh_quote(&outside)),
        format!("step umount sh -c {}", sh_quote(&umount)),
        format!("test -e {root}/mnt/disk/hello && echo still-mounted || echo unmounted"),
        format!("step bind-other sh -c {}", sh_quote(&bind_other)),
        format!("step bind sh -c {}", sh_quote(&bind)),
        format!("echo shared $(cat {root}/data/shared/note)"),
        "echo uptime $(busybox uptime)".to_owned(),
    ]
    .into_iter()
    .chain(hostile())
    .collect::<Vec<_>>()
    .join("\n")
}

/// The checks every test here makes, then a scratch directory with the image (`images/disk.img`), the
/// shared directory (`shared/note`) and the directories the scripts use; `Err` is a reason to skip.
fn prepared(name: &str) -> Result<(Scratch, String), String> {
    if !rustix::process::geteuid().is_root() {
        return Err(format!("becoming uid {UID} and the handlers' mounts need root"));
    }
    let mkfs = find("mkfs.ext4").ok_or("mkfs.ext4 is missing (apt-get install e2fsprogs)")?;
    for tool in ["setpriv", "unshare", "perl", "busybox", "stat"] {
        find(tool).ok_or(format!("{tool} is missing"))?;
    }
    let probe = unprivileged("true");
    let probe = Command::new(&probe[0]).args(&probe[1..]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Err(format!(
            "uid {UID} cannot make user, mount and pid namespaces here (unshare -Urmpf)"
        ));
    }
    let scratch = Scratch::new(name);
    let root = scratch.0.to_str().ok_or("a non-UTF-8 scratch path")?.to_owned();
    make_image(&mkfs, &scratch.0)
        .and_then(|_| make_shared(&scratch.0))
        .map_err(|why| format!("cannot make the image: {why}"))?;
    for dir in ["dev", "mnt/disk", "mnt/race/a", "elsewhere", "data/shared"] {
        std::fs::create_dir_all(scratch.path(dir)).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    for dir in ["dev", "mnt/race", "mnt/race/a"] {
        std::os::unix::fs::chown(scratch.path(dir), Some(UID), Some(UID))
            .map_err(|e| format!("chown {dir}: {e}"))?;
    }
    Ok((scratch, root))
}

#[test]
fn emulate_lines_make_devices_mounts_and_sysinfo_for_an_unprivileged_namespace_root() {
    let (scratch, root) = match prepared("handlers-emulate") {
        Ok(prepared) => prepared,
        Err(why) => skip!(TEST, "{why}"),
    };
    let command = unprivileged(&script(&root));

    // The kernel alone: a user namespace's root may not make devices nor mount ext4.
    let out = run(&scratch, "default notify\n", &command);
    let text = String::from_utf8_lossy(&out.stdout);
    let kernel = text.clone().into_owned();
    eprintln!(
        "without emulate lines:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("uid-map 0 {UID} 1")), "{text}");
    assert_refused(&text, "mknod");
    assert_refused(&text, "mount");

    let handlers = format!(
        "default notify\n\
         emulate mknod mknodat if dev in [1:3, 1:5, 1:7, 1:8, 1:9, 5:0]      # char devices null zero full random urandom tty\n\
         emulate mount if fstype == \"ext4\" && source under \"{root}/images\" && target under \"{root}/mnt\"\n\
         emulate mount if bind && source under \"{root}/shared\" && target under \"{root}/data\"\n\
         emulate sysinfo\n"
    );
    let out = run(&scratch, &handlers, &command);
    let text = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    eprintln!("with emulate lines:\n{text}{log}");
    assert_eq!(step(&text, "mknod"), "ok", "{text}{log}");
    assert_eq!(step(&text, "write"), "ok", "{text}{log}");
    // 0666 & ~027; owned by host uid 1000, which the namespace shows as its root.
    assert_eq!(
        value(&text, "node"),
        "character special file 1:3 640 0:0",
        "{text}"
    );
    assert_refused(&text, "mknod-unlisted");
    assert_eq!(step(&text, "mknodat-dirfd"), "ok", "{text}{log}");
    assert_eq!(value(&text, "dirzero"), "character special file 1:5", "{text}");
    assert_eq!(step(&text, "mount"), "ok", "{text}{log}");
    assert_eq!(value(&text, "image"), IMAGE_TEXT, "{text}");
    let flags = value(&text, "flags");
    for flag in ["ro", "nosuid", "nodev", "noexec"] {
        assert!(flags.split(',').any(|f| f == flag), "{flag} missing in `{flags}`");
    }
    assert_refused(&text, "mount-outside");
    assert_eq!(step(&text, "umount"), "ok", "{text}{log}");
    assert!(text.contains("\nunmounted\n"), "{text}");
    assert_refused(&text, "bind-other");
    assert_eq!(step(&text, "bind"), "ok", "{text}{log}");
    assert_eq!(value(&text, "shared"), SHARED_TEXT, "{text}");
    // Hostile pointers and paths: the kernel's own answers (EFAULT; EINVAL for a source longer than
    // a page), and seccompctl is still serving.
    for (name, errno) in [
        ("mount-efault", "Bad address"),
        ("mount-long", "Invalid argument"),
        ("mknod-efault", "Bad address"),
        ("umount-efault", "Bad address"),
        ("sysinfo-efault", "Bad address"),
    ] {
        let got = step(&text, name);
        assert_eq!(got, step(&kernel, name), "{name}: as the kernel answers\n{log}");
        assert!(
            got.starts_with("failed:") && got.contains(errno),
            "{name}: {got}\n{log}"
        );
    }
    assert!(out.status.success(), "seccompctl run: {:?}\n{log}", out.status);
    // The pid namespace started with the command: its uptime, not the host's.
    assert!(value(&text, "uptime").contains(" up 0 min,"), "{text}");
    // ... and the processes of that namespace (sh and busybox), not the host's hundreds.
    let procs = log
        .lines()
        .find_map(|l| l.split(", procs ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse::<u32>().ok());
    assert!(
        procs.is_some_and(|n| (1..10).contains(&n)),
        "procs {procs:?}: {log}"
    );
    for (needle, line) in [
        ("made c 1:3 at", 2),
        ("mounted ext4", 3),
        ("unmounted", 3),
        ("mounted bind", 4),
        ("uptime", 5),
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains(needle) && l.contains(&format!("h.rules:{line}"))),
            "no `{needle}` by h.rules:{line} in the log:\n{log}"
        );
    }
}

/// A target path whose parent flips between a directory and a symlink to `/` (renameat2
/// RENAME_EXCHANGE in a loop; the parent, unlike the mount point itself, can be renamed while mounts sit
/// below it) while the command binds a listed directory onto `PARENT/tmp` 200 times: every bind lands in
/// the rule's tree, none on `/tmp` (the target is opened beneath the rule's directory without following
/// a symlink out, and the mount is moved onto that fd, not onto the name).
#[test]
fn a_mount_target_flipped_to_a_symlink_never_mounts_outside_the_rule() {
    let test = "a_mount_target_flipped_to_a_symlink_never_mounts_outside_the_rule";
    let (scratch, root) = match prepared("handlers-emulate-race") {
        Ok(prepared) => prepared,
        Err(why) => skip!(test, "{why}"),
    };
    let renameat2 = if cfg!(target_arch = "aarch64") { 276 } else { 316 };
    let race = format!("{root}/mnt/race");
    let bind = perl_mount(&format!("{root}/shared"), &format!("{race}/a/tmp"), "-", MS_BIND);
    let on_tmp = "busybox awk '$5 == \"/tmp\"' /proc/self/mountinfo | wc -l";
    let script = [
        format!("mkdir {race}/a/tmp && ln -s / {race}/b"),
        format!("echo tmp-before $({on_tmp})"),
        format!(
            "perl -e 'my ($x, $y) = @ARGV; while (1) {{ syscall({renameat2}, -100, $x, -100, $y, 2) }}' {race}/a {race}/b &"
        ),
        "ok=0; refused=0".to_owned(),
        format!(
            "for i in $(seq 200); do if {bind} 2>/dev/null; then ok=$((ok+1)); else refused=$((refused+1)); fi; done"
        ),
        "kill $!; wait".to_owned(),
        "echo binds $ok refused $refused".to_owned(),
        format!("echo tmp-after $({on_tmp})"),
        "test -e /tmp/note && echo tmp-covered || echo tmp-intact".to_owned(),
    ]
    .join("\n");
    // Puts `race/a` back as an empty directory of the command's, without `race/b`.
    let reset = || {
        for name in ["a", "b"] {
            let path = scratch.path(&format!("mnt/race/{name}"));
            if path.is_symlink() {
                std::fs::remove_file(&path).expect("remove the symlink");
            } else if path.exists() {
                std::fs::remove_dir_all(&path).expect("remove the directory");
            }
        }
        std::fs::create_dir(scratch.path("mnt/race/a")).expect("mkdir race/a");
        std::os::unix::fs::chown(scratch.path("mnt/race/a"), Some(UID), Some(UID)).expect("chown");
    };
    // The control: the kernel alone (a bind is its to allow in a user namespace) follows the name, and
    // a bind lands on /tmp: the race is real. (A few tries: the flip must hit the window.)
    let raced = (0..5).any(|_| {
        reset();
        let out = run(&scratch, "default notify\n", &unprivileged(&script));
        let text = String::from_utf8_lossy(&out.stdout);
        eprintln!("the kernel alone:\n{text}");
        text.contains("\ntmp-covered\n")
    });
    assert!(raced, "no bind of the kernel's own landed on /tmp in 5 runs");
    reset();

    let handlers = format!(
        "default notify\nemulate mount if bind && source under \"{root}/shared\" && target under \"{root}/mnt\"\n"
    );
    let out = run(&scratch, &handlers, &unprivileged(&script));
    let text = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    eprintln!("{text}");
    let counts: Vec<u32> = value(&text, "binds")
        .split(' ')
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(counts.len(), 2, "{text}{log}");
    assert!(counts[0] > 0, "no bind landed at all: {text}{log}");
    assert_eq!(
        value(&text, "tmp-after"),
        value(&text, "tmp-before"),
        "a bind landed on /tmp: {text}"
    );
    assert!(text.contains("\ntmp-intact\n"), "{text}");
    // The refusals are the handler's: the target was the symlink when it looked.
    // The log names the errno as answers do (`EPERM`), never with the system's "(os error N)".
    assert!(counts[1] == 0 || log.contains("failed: EPERM"), "{log}");
    assert!(!log.contains("os error"), "{log}");
}
