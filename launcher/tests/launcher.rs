//! Tests of the `seccomp-launcher` binary: what the ELF file contains (static, no libc, no allocator) and
//! what it does on the running kernel (the embedded policy is in force in the program it execs, usage
//! errors are one clear line with a distinct status).
//!
//! The binary is `no_std` and links only with `panic = "abort"`, which the test profile does not have, so
//! it cannot come from `CARGO_BIN_EXE_*`: the first test that needs it builds it with the `dist` profile
//! (symbols kept) in a target directory of its own under `CARGO_TARGET_TMPDIR`, for the architecture the
//! tests run on. `SECCOMP_LAUNCHER_BIN=/path/to/binary` tests a binary built elsewhere instead (`cargo
//! xtask launcher` passes its static musl build).
//!
//! The launcher installs its filter in itself and then execs, so every kernel-facing test runs it as a
//! child process; the test harness is never filtered.

mod elf;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The binary under test, built once per test run.
fn launcher() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(build) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

/// Whether the binary under test came from `SECCOMP_LAUNCHER_BIN`.
fn external_binary() -> bool {
    std::env::var_os("SECCOMP_LAUNCHER_BIN").is_some()
}

/// Builds the launcher for the architecture of this test binary, or takes `SECCOMP_LAUNCHER_BIN`.
fn build() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SECCOMP_LAUNCHER_BIN") {
        return Ok(PathBuf::from(path));
    }
    let env = if cfg!(target_env = "musl") { "musl" } else { "gnu" };
    let target = format!("{}-unknown-linux-{env}", std::env::consts::ARCH);
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("seccomp-launcher");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--features", "bin", "--profile", "dist"])
        .args(["--config", "profile.dist.strip=false"])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .args(["--target", &target])
        .arg("--target-dir")
        .arg(&target_dir);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target_dir.join(target).join("dist").join("seccomp-launcher"))
}

/// Runs the launcher with `args` in the C locale and returns what it (or the program it became) did.
fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(launcher())
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("the launcher starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of `field` in a `/proc/PID/status` text.
fn status_field<'a>(status: &'a str, field: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

#[cfg(target_arch = "x86_64")]
mod nr {
    pub const UNAME: u32 = 63;
    pub const PTRACE: u32 = 101;
}
#[cfg(target_arch = "aarch64")]
mod nr {
    pub const UNAME: u32 = 160;
    pub const PTRACE: u32 = 117;
}

/// Symbols whose presence would mean libc, an allocator, std or unwinding made it into the binary.
const FORBIDDEN_SYMBOLS: &[&str] = &[
    "__libc_start_main",
    "__libc_start_call_main",
    "_dl_relocate_static_pie",
    "__libc_csu_init",
    "__errno_location",
    "malloc",
    "calloc",
    "realloc",
    "free",
    "strlen",
    "write",
    "execve",
    "syscall",
    "__rust_alloc",
    "__rust_alloc_zeroed",
    "__rust_realloc",
    "__rust_dealloc",
    "__rdl_alloc",
    "__rg_alloc",
    "__rust_alloc_error_handler",
    "_Unwind_Resume",
    "_Unwind_RaiseException",
    "rust_eh_personality",
];

/// Whether the mangled symbol `name` names an item of crate `krate` (or an impl involving one), in the
/// legacy (`_ZN`) or the v0 (`_R`) mangling.
fn mangled_in_crate(name: &str, krate: &str) -> bool {
    let segment = format!("{}{krate}", krate.len());
    if name.starts_with("_R") {
        // v0: a crate root is `C`, an optional disambiguator `s..._`, then the length-prefixed name.
        name.contains(&format!("C{segment}")) || name.contains(&format!("_{segment}"))
    } else {
        name.starts_with(&format!("_ZN{segment}"))
            || name.contains(&format!("$LT${krate}.."))
            || name.contains(&format!("$u20${krate}.."))
    }
}

#[test]
fn binary_is_static_and_has_no_libc_no_allocator_no_std() {
    let bytes = std::fs::read(launcher()).expect("the binary is readable");
    println!("seccomp-launcher: {} bytes", bytes.len());
    let elf = elf::parse(&bytes).expect("a valid ELF file");
    let machine = if cfg!(target_arch = "x86_64") {
        elf::EM_X86_64
    } else {
        elf::EM_AARCH64
    };
    assert_eq!(elf.machine, machine);
    // Not a PIE: nothing applies relocations before the entry point runs.
    assert_eq!(elf.file_type, elf::ET_EXEC, "expected a non-PIE executable");
    assert!(
        !elf.segment_types.contains(&elf::PT_INTERP),
        "has a dynamic loader (PT_INTERP): {:?}",
        elf.segment_types
    );
    assert!(
        !elf.segment_types.contains(&elf::PT_DYNAMIC),
        "has a dynamic section (PT_DYNAMIC)"
    );
    assert!(!elf.has_dynamic_symbols, "has a .dynsym section");

    let Some(symbols) = elf.symbols else {
        assert!(
            external_binary(),
            "the test build keeps its symbols, yet the binary has no .symtab"
        );
        println!("the binary from SECCOMP_LAUNCHER_BIN is stripped: symbol checks skipped");
        return;
    };
    let entry = symbols
        .iter()
        .find(|symbol| symbol.name == "seccomp_launcher_start" && !symbol.undefined)
        .expect("the entry point symbol is defined");
    assert_eq!(
        entry.value, elf.entry,
        "the ELF entry point is seccomp_launcher_start"
    );

    let forbidden: Vec<&str> = symbols
        .iter()
        .map(|symbol| symbol.name.as_str())
        .filter(|name| {
            FORBIDDEN_SYMBOLS.contains(name)
                || ["std", "alloc", "unwind", "panic_unwind"]
                    .iter()
                    .any(|krate| mangled_in_crate(name, krate))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "libc, std, alloc or unwinding symbols: {forbidden:?}"
    );
    // A static executable resolves everything at link time; only weak references (from start files that
    // rustc may add but the entry point bypasses) may stay unresolved.
    let unresolved: Vec<&str> = symbols
        .iter()
        .filter(|symbol| symbol.undefined && !symbol.weak && !symbol.name.is_empty())
        .map(|symbol| symbol.name.as_str())
        .collect();
    assert!(unresolved.is_empty(), "undefined symbols: {unresolved:?}");
}

#[test]
fn allowed_programs_run_and_their_exit_status_passes_through() {
    let output = run(&["/bin/true"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "{}", stderr(&output));

    let output = run(&["/bin/sh", "-c", "exit 7"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
}

#[test]
fn arguments_and_environment_reach_the_program_unchanged() {
    let output = run(&[
        "/bin/sh",
        "-c",
        r#"printf '[%s]' "$0" "$@""#,
        "zero",
        "a b",
        "",
        "c",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "[zero][a b][][c]");

    let vars = [("MARK", "launcher-test"), ("EMPTY", ""), ("SPACED", "x y=z")];
    let output = Command::new(launcher())
        .arg("/usr/bin/env")
        .env_clear()
        .envs(vars)
        .output()
        .expect("the launcher starts");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut printed: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    printed.sort();
    let mut expected: Vec<String> = vars.iter().map(|(key, value)| format!("{key}={value}")).collect();
    expected.sort();
    assert_eq!(printed, expected);
}

#[test]
fn filter_and_no_new_privs_are_in_force_in_the_program() {
    let own = std::fs::read_to_string("/proc/self/status").expect("own status");
    let output = run(&["/bin/cat", "/proc/self/status"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let status = stdout(&output);
    assert_eq!(status_field(&status, "NoNewPrivs"), Some("1"));
    assert_eq!(status_field(&status, "Seccomp"), Some("2"), "filter mode");
    // Seccomp_filters (Linux 5.9+) counts the filters: exactly one more than the harness has.
    if let (Some(theirs), Some(ours)) = (
        status_field(&status, "Seccomp_filters"),
        status_field(&own, "Seccomp_filters"),
    ) {
        let parse = |count: &str| count.parse::<u32>().expect("a filter count");
        assert_eq!(parse(theirs), parse(ours) + 1);
    }
}

#[test]
fn uname_program_fails_with_eperm_as_the_policy_says() {
    let direct = Command::new("/bin/uname").output().expect("uname runs");
    assert!(direct.status.success(), "uname works without the launcher");

    let output = run(&["/bin/uname"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("Operation not permitted"),
        "{}",
        stderr(&output)
    );
}

/// Runs `perl -e SCRIPT` directly and through the launcher, or returns `None` (and says so) without perl.
fn perl(script: &str) -> Option<(Output, Output)> {
    let perl = "/usr/bin/perl";
    if !Path::new(perl).exists() {
        println!("{perl} is missing: test skipped");
        return None;
    }
    let direct = Command::new(perl)
        .args(["-e", script])
        .output()
        .expect("perl runs");
    Some((direct, run(&[perl, "-e", script])))
}

#[test]
fn uname_syscall_returns_eperm_before_the_kernel_looks_at_its_argument() {
    // uname(NULL) is EFAULT (14) for the kernel; the filter answers EPERM (1) without running the call.
    let script = format!("syscall({}, 0); print $! + 0", nr::UNAME);
    let Some((direct, launched)) = perl(&script) else {
        return;
    };
    assert_eq!(stdout(&direct), "14", "{}", stderr(&direct));
    assert_eq!(launched.status.code(), Some(0), "{}", stderr(&launched));
    assert_eq!(stdout(&launched), "1");
}

#[test]
fn ptrace_kills_the_process_with_sigsys() {
    const SIGSYS: i32 = 31;
    // ptrace(PTRACE_TRACEME) is harmless without the filter; with it the process dies at the call.
    let script = format!("syscall({}, 0, 0, 0, 0); exit 3", nr::PTRACE);
    let Some((direct, launched)) = perl(&script) else {
        return;
    };
    assert_eq!(direct.status.code(), Some(3), "{}", stderr(&direct));
    assert_eq!(launched.status.signal(), Some(SIGSYS), "{:?}", launched.status);
}

/// Runs the launcher with `args` and checks its exit status and its exact, single-line stderr.
fn check_error<S: AsRef<OsStr>>(args: &[S], code: i32, message: &str) {
    let output = run(args);
    let shown: Vec<_> = args.iter().map(|arg| arg.as_ref().to_string_lossy()).collect();
    assert_eq!(output.status.code(), Some(code), "{shown:?}: {}", stderr(&output));
    assert!(output.stdout.is_empty(), "{shown:?}");
    assert_eq!(
        stderr(&output),
        format!("seccomp-launcher: {message}\n"),
        "{shown:?}"
    );
}

#[test]
fn usage_errors_are_one_line_with_a_distinct_status() {
    let none: [&str; 0] = [];
    check_error(
        &none,
        2,
        "usage: seccomp-launcher /ABSOLUTE/PATH/TO/PROGRAM [ARGS...]",
    );
    check_error(
        &["true"],
        2,
        "the program path must be absolute (there is no PATH search): `true`",
    );
    check_error(
        &["", "/bin/true"],
        2,
        "the program path must be absolute (there is no PATH search): ``",
    );
    check_error(
        &["/nonexistent/program", "arg"],
        127,
        "cannot execute `/nonexistent/program`: No such file or directory (ENOENT)",
    );
    check_error(&["/"], 126, "cannot execute `/`: Permission denied (EACCES)");
    check_error(
        &[OsStr::from_bytes(b"/nonexistent/\xff")],
        127,
        "cannot execute `/nonexistent/\u{fffd}`: No such file or directory (ENOENT)",
    );
}

#[test]
fn overlong_messages_are_cut_to_one_line() {
    let path = format!("/{}", "a".repeat(1000));
    let output = run(&[path.as_str()]);
    // One path component longer than NAME_MAX (255).
    assert_eq!(output.status.code(), Some(126), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.len() <= 512, "{} bytes", message.len());
    assert!(
        message.starts_with("seccomp-launcher: cannot execute `/aaa"),
        "{message}"
    );
    assert!(message.ends_with("...\n"), "{message}");
    assert_eq!(message.lines().count(), 1);
}
