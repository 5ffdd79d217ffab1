//! `seccomp-vm-init`: the `/init` of the initramfs that `cargo xtask vm-test` boots under qemu-system.
//!
//! As PID 1 it mounts `/proc`, `/sys`, `/dev` (devtmpfs) and `/tmp`, prints the kernel release, runs every
//! step of `/vm-plan` (see [`plan`]) with a timeout, prints one `VMTEST` line per step and a final
//! `VMTEST summary passed=N failed=M` line, waits for the console to drain and powers the machine off.
//! The host side parses those lines from the serial console.
//!
//! The same binary is the static helper program of the CLI smoke test (`/init helper <what>`, see
//! [`helper`]), and `seccomp-vm-init run-plan FILE` runs a plan outside a VM (for tests), exiting 1 if a
//! step failed. Invoked as `cat` (the initramfs has `/bin/cat -> /init`) it prints files, like cat(1).

mod helper;
mod plan;
mod run;

use std::process::ExitCode;

/// Where the plan lives in the initramfs.
const PLAN_PATH: &str = "/vm-plan";

fn main() -> ExitCode {
    let mut all = std::env::args();
    let argv0 = all.next().unwrap_or_default();
    let args: Vec<String> = all.collect();
    // Installed as `/bin/cat` too (a symlink to `/init`), for tests that exec a well-known program.
    if argv0.rsplit('/').next() == Some("cat") {
        return helper::cat(&args);
    }
    match args.split_first() {
        Some((mode, rest)) if mode == "helper" => helper::run(rest),
        Some((mode, [path])) if mode == "run-plan" => match load_and_run(path) {
            Ok(0) => ExitCode::SUCCESS,
            Ok(_) | Err(()) => ExitCode::FAILURE,
        },
        _ if rustix::process::getpid().is_init() => init(),
        _ => {
            eprintln!("usage: seccomp-vm-init run-plan FILE | helper MODE [ARG]  (or run as PID 1)");
            ExitCode::from(64)
        }
    }
}

/// The PID 1 path: mount, run the plan, power off. Only returns if power-off itself failed.
fn init() -> ExitCode {
    mount_filesystems();
    let uname = rustix::system::uname();
    println!(
        "VMTEST kernel release={} machine={}",
        uname.release().to_string_lossy(),
        uname.machine().to_string_lossy()
    );
    // An unreadable or malformed plan is reported as a failed summary so the host never sees a pass.
    if load_and_run(PLAN_PATH).is_err() {
        println!("VMTEST summary passed=0 failed=1");
    }
    run::flush();
    // Wait until the UART has sent everything: powering off drops whatever is still buffered.
    let _ = rustix::termios::tcdrain(std::io::stdout());
    let error = rustix::system::reboot(rustix::system::RebootCommand::PowerOff);
    println!("vm-init: power-off failed: {error:?}");
    ExitCode::FAILURE
}

/// Reads and runs the plan at `path`, printing the summary; returns the number of failed steps.
fn load_and_run(path: &str) -> Result<usize, ()> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        println!("VMTEST plan-error {path}: {error}");
    })?;
    let steps = plan::parse(&text).map_err(|error| {
        println!("VMTEST plan-error {path}: {error}");
    })?;
    let (_, failed) = run::run_plan(&steps);
    Ok(failed)
}

/// Mounts the pseudo file systems tests may need; a failure is printed and the run goes on.
fn mount_filesystems() {
    use rustix::mount::{MountFlags, mount};
    let nosuid_nodev = MountFlags::NOSUID | MountFlags::NODEV;
    let mounts = [
        ("proc", "/proc", "proc", nosuid_nodev | MountFlags::NOEXEC),
        ("sysfs", "/sys", "sysfs", nosuid_nodev | MountFlags::NOEXEC),
        ("devtmpfs", "/dev", "devtmpfs", MountFlags::NOSUID),
        ("tmpfs", "/tmp", "tmpfs", nosuid_nodev),
    ];
    for (source, target, fs, flags) in mounts {
        if let Err(error) = std::fs::create_dir_all(target) {
            println!("vm-init: cannot create {target}: {error}");
        }
        if let Err(error) = mount(source, target, fs, flags, None) {
            println!("vm-init: mounting {fs} on {target} failed: {error}");
        }
    }
}
