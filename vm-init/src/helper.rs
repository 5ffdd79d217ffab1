//! `/init helper <what>`: a tiny static program for the CLI smoke test, so the initramfs needs no shell.
//!
//! Each mode makes a few well-known system calls that a policy can allow, deny or trace:
//! - `syscalls`: getppid three times, opens and reads `/proc/self/status`, calls uname; exits 0.
//! - `open <path>`: opens `path`; exits 0 on success, else with the errno (so `EPERM` gives status 1).
//! - `exit <code>`: exits with `code`.
//! - `sleep <seconds>`: sleeps, for testing timeouts.
//! - `finit <path>`: `finit_module(open(path), "", 0)`; exits 0 on success, else with the errno (the
//!   container side of the module handler's vm-test).
//! - `init <path>`: `init_module(bytes of path, len, "")`; exits as `finit`.
//! - `delete <name>`: `delete_module(name, O_NONBLOCK)`; exits as `finit`.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

/// Runs the helper mode named by `args[0]` and returns the exit status described in the module docs.
pub fn run(args: &[String]) -> ExitCode {
    match args {
        [mode] if mode == "syscalls" => syscalls(),
        [mode, path] if mode == "open" => open(path),
        [mode, path] if mode == "finit" => finit(path),
        [mode, path] if mode == "init" => init(path),
        [mode, name] if mode == "delete" => delete(name),
        [mode, code] if mode == "exit" => match code.parse::<u8>() {
            Ok(code) => ExitCode::from(code),
            Err(_) => usage(&format!("exit code `{code}` is not a number in 0..=255")),
        },
        [mode, seconds] if mode == "sleep" => match seconds.parse::<u64>() {
            Ok(seconds) => {
                std::thread::sleep(Duration::from_secs(seconds));
                ExitCode::SUCCESS
            }
            Err(_) => usage(&format!("`{seconds}` is not a number of seconds")),
        },
        _ => usage("unknown helper mode"),
    }
}

fn syscalls() -> ExitCode {
    let mut parents = Vec::new();
    for _ in 0..3 {
        parents.push(rustix::process::getppid().map_or(0, |pid| pid.as_raw_nonzero().get()));
    }
    let mut status = String::new();
    if let Err(error) =
        std::fs::File::open("/proc/self/status").and_then(|mut f| f.read_to_string(&mut status))
    {
        println!("helper: cannot read /proc/self/status: {error}");
        return ExitCode::from(2);
    }
    let seccomp_mode = status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .map_or("absent", str::trim);
    let uname = rustix::system::uname();
    println!(
        "helper: ok ppid={} seccomp={seccomp_mode} kernel={}",
        parents.first().copied().unwrap_or(0),
        uname.release().to_string_lossy()
    );
    ExitCode::SUCCESS
}

fn open(path: &str) -> ExitCode {
    match std::fs::File::open(path) {
        Ok(_) => {
            println!("helper: open {path}: ok");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("helper: open {path}: {error}");
            let errno = error.raw_os_error().unwrap_or(255);
            ExitCode::from(u8::try_from(errno).unwrap_or(255))
        }
    }
}

fn finit(path: &str) -> ExitCode {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => {
            println!("helper: open {path}: {error}");
            return ExitCode::from(2);
        }
    };
    match rustix::system::finit_module(&file, c"", 0) {
        Ok(()) => {
            println!("helper: finit_module {path}: ok");
            ExitCode::SUCCESS
        }
        Err(errno) => {
            println!("helper: finit_module {path}: {errno}");
            ExitCode::from(u8::try_from(errno.raw_os_error()).unwrap_or(255))
        }
    }
}

/// Exit status 0 for `Ok`, else the errno (so `EPERM` gives status 1), after a line saying which.
fn report(what: &str, result: Result<(), rustix::io::Errno>) -> ExitCode {
    match result {
        Ok(()) => {
            println!("helper: {what}: ok");
            ExitCode::SUCCESS
        }
        Err(errno) => {
            println!("helper: {what}: {errno}");
            ExitCode::from(u8::try_from(errno.raw_os_error()).unwrap_or(255))
        }
    }
}

fn init(path: &str) -> ExitCode {
    match std::fs::read(path) {
        Ok(image) => report(
            &format!("init_module {path}"),
            rustix::system::init_module(&image, c""),
        ),
        Err(error) => {
            println!("helper: read {path}: {error}");
            ExitCode::from(2)
        }
    }
}

fn delete(name: &str) -> ExitCode {
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return usage("a module name has no NUL");
    };
    let flags = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    report(
        &format!("delete_module {name}"),
        rustix::system::delete_module(&c_name, flags),
    )
}

/// A minimal cat(1): writes each file in `paths` (or stdin when there is none) to stdout; exits 1 if a
/// file could not be read.
pub fn cat(paths: &[String]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    if paths.is_empty() {
        return match std::io::copy(&mut std::io::stdin().lock(), &mut out) {
            Ok(_) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("cat: stdin: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let mut status = ExitCode::SUCCESS;
    for path in paths {
        if let Err(error) = std::fs::File::open(path).and_then(|mut file| std::io::copy(&mut file, &mut out))
        {
            eprintln!("cat: {path}: {error}");
            status = ExitCode::FAILURE;
        }
    }
    status
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "helper: {problem}; usage: helper syscalls | open PATH | finit PATH | init PATH | delete NAME | exit CODE | sleep SECONDS"
    );
    ExitCode::from(64)
}
