//! `cargo xtask vm-test --arch aarch64|x86_64 [--kernel bookworm|trixie|PATH]`: runs the test binaries on
//! a real Linux kernel under qemu-system (TCG), because qemu-user answers `seccomp(2)` with ENOSYS.
//!
//! Stages (modules under `vm/`): install qemu and the musl target if missing; fetch Debian's stock kernel
//! once into `target/vm/<arch>-<suite>/`; build the test executables, the init (`vm-init/`) and, when
//! the workspace has one, the CLI as static musl binaries; write an initramfs holding them plus
//! `/vm-plan`; boot it; parse the `VMTEST` lines from the serial console. The run fails if a step failed
//! or timed out, a test failed, the summary is missing or the kernel panicked. Lines containing `SKIP`
//! (tests that found a kernel feature missing) are collected and printed in the report.

use crate::util::workspace_root;
use crate::vm::arch::{Arch, KernelChoice, Suite};
use crate::vm::initramfs::{self, Contents, GuestFile};
use crate::vm::summary::Report;
use crate::vm::{build, kernel, plan, qemu, setup};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The default limit for one whole boot (kernel boot, every step, power-off).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(900);
/// How many console lines an error message quotes.
const TAIL_LINES: usize = 80;

/// What one `vm-test` run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The guest architecture.
    pub arch: Arch,
    /// The kernel to boot.
    pub kernel: KernelChoice,
    /// The packages whose test executables run in the guest.
    pub packages: Vec<String>,
    /// Single test targets run in the guest besides the packages' (`--test PACKAGE:TARGET`; in CI,
    /// [`ci_tests`]).
    pub tests: Vec<TestTarget>,
    /// The limit for the whole boot; each step gets two thirds of it.
    pub timeout: Duration,
    /// Whether to build the CLI and run its smoke steps (default: when the workspace has `cli/`).
    pub cli: bool,
}

/// One integration-test target of a package: `cargo test -p PACKAGE --test TARGET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestTarget {
    /// The package.
    pub package: String,
    /// The test target (the file name under `tests/`, without `.rs`).
    pub target: String,
}

impl TestTarget {
    /// Parses `PACKAGE:TARGET`.
    fn parse(text: &str) -> Result<TestTarget, String> {
        match text.split_once(':') {
            Some((package, target)) if !package.is_empty() && !target.is_empty() => Ok(TestTarget {
                package: package.to_owned(),
                target: target.to_owned(),
            }),
            _ => Err(format!(
                "`{text}` is not PACKAGE:TARGET (e.g. seccomp-supervisor:module_vm)"
            )),
        }
    }
}

/// The single test targets CI runs in every configuration besides the default packages': the module
/// handler's test (supervisor/tests/module_vm.rs), which needs a real kernel with modules (Debian's)
/// and its `dummy.ko`.
pub fn ci_tests(root: &Path) -> Vec<TestTarget> {
    if root.join("supervisor/tests/module_vm.rs").is_file() {
        vec![TestTarget {
            package: "seccomp-supervisor".to_owned(),
            target: "module_vm".to_owned(),
        }]
    } else {
        Vec::new()
    }
}

/// Wall times of the phases of one run.
#[derive(Debug, Clone, Copy, Default)]
struct Timings {
    setup: Duration,
    kernel: Duration,
    build: Duration,
    boot: Duration,
}

/// The outcome of one run that booted: what the console said and where the log is.
struct Outcome {
    report: Report,
    problems: Vec<String>,
    console_tail: String,
    log: PathBuf,
    kernel_image: PathBuf,
    downloaded: bool,
    timings: Timings,
}

/// Entry point from `main`: parses the options and runs one configuration (or, with `--all`, the CI set).
pub fn run(args: &[String]) -> Result<(), String> {
    let flags: Flags = crate::util::parse_task_args("vm-test", args)?;
    if flags.all {
        return run_all(cli_present() && !flags.no_cli);
    }
    let options = options_from(flags, &default_packages(&workspace_root()), cli_present())?;
    let outcome = run_one(&options)?;
    print_outcome(&options, &outcome);
    verdict(&options, &outcome)
}

/// Runs the configurations CI checks: aarch64 on bookworm (6.1) and trixie (6.12), x86_64 on bookworm.
///
/// Every configuration runs even if an earlier one failed; the error lists all failures.
pub fn run_all_for_ci() -> Result<(), String> {
    run_all(cli_present())
}

/// [`run_all_for_ci`], with or without the CLI smoke steps.
fn run_all(cli: bool) -> Result<(), String> {
    let start = Instant::now();
    let packages = default_packages(&workspace_root());
    let tests = ci_tests(&workspace_root());
    let configs = [
        (Arch::Aarch64, Suite::Bookworm),
        (Arch::Aarch64, Suite::Trixie),
        (Arch::X86_64, Suite::Bookworm),
    ];
    let mut failures = Vec::new();
    for (arch, suite) in configs {
        let options = Options {
            arch,
            kernel: KernelChoice::Debian(suite),
            packages: packages.clone(),
            tests: tests.clone(),
            timeout: DEFAULT_TIMEOUT,
            cli,
        };
        let result = run_one(&options).and_then(|outcome| {
            print_outcome(&options, &outcome);
            verdict(&options, &outcome)
        });
        if let Err(error) = result {
            eprintln!("vm-test: {error}");
            failures.push(format!("{arch} {}", options.kernel.label()));
        }
    }
    eprintln!(
        "\n==> vm-test: 3 configurations in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("vm-test failed on: {}", failures.join(", ")))
    }
}

/// The packages tested by default: `seccomp-sys` once the workspace has it, else `seccomp-core`.
pub fn default_packages(root: &Path) -> Vec<String> {
    let package = if root.join("sys/Cargo.toml").is_file() {
        "seccomp-sys"
    } else {
        "seccomp-core"
    };
    vec![package.to_owned()]
}

/// Whether the workspace has the CLI package.
fn cli_present() -> bool {
    workspace_root().join("cli/Cargo.toml").is_file()
}

/// The task's flags.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask vm-test",
    about = "Runs the test binaries on real Linux kernels under qemu-system."
)]
pub struct Flags {
    /// The guest architecture: aarch64 (arm64) or x86_64 (amd64).
    #[arg(long, value_name = "A", value_parser = Arch::parse, required_unless_present = "all")]
    arch: Option<Arch>,
    /// The kernel: a Debian suite (bookworm: 6.1, trixie: 6.12) or the path of a kernel image.
    #[arg(long, value_name = "K", value_parser = KernelChoice::parse, conflicts_with = "all")]
    kernel: Option<KernelChoice>,
    /// A package whose test executables run in the guest (repeatable; default: seccomp-sys).
    #[arg(long = "package", short = 'p', value_name = "P", conflicts_with = "all")]
    packages: Vec<String>,
    /// A single test target also run in the guest, as PACKAGE:TARGET (repeatable; `--all` runs
    /// seccomp-supervisor:module_vm).
    #[arg(long = "test", value_name = "PACKAGE:TARGET", value_parser = TestTarget::parse,
          conflicts_with = "all")]
    tests: Vec<TestTarget>,
    /// The limit for the whole boot in seconds (at least 30); each step gets two thirds of it.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(30..),
          conflicts_with = "all")]
    timeout: Option<u64>,
    /// Skip the CLI build and its smoke steps.
    #[arg(long)]
    no_cli: bool,
    /// The configurations CI runs: aarch64 6.1 and 6.12, x86_64 6.1, each with the default packages and
    /// seccomp-supervisor:module_vm.
    #[arg(long, conflicts_with = "arch")]
    all: bool,
}

/// The options of one run from the flags; `cli` is the default for `--no-cli`'s absence.
fn options_from(flags: Flags, default_packages: &[String], cli: bool) -> Result<Options, String> {
    let arch = flags
        .arch
        .ok_or("vm-test: --arch aarch64|x86_64 is required (or --all)")?;
    let packages = if flags.packages.is_empty() {
        default_packages.to_vec()
    } else {
        flags.packages
    };
    Ok(Options {
        arch,
        kernel: flags.kernel.unwrap_or(KernelChoice::Debian(Suite::Bookworm)),
        packages,
        tests: flags.tests,
        timeout: flags.timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs),
        cli: cli && !flags.no_cli,
    })
}

/// Parses `--arch A [--kernel K] [--package P]... [--test P:T]... [--timeout SECS] [--no-cli]` into one
/// run's options.
#[cfg(test)]
fn parse_args(args: &[String], default_packages: &[String], cli: bool) -> Result<Options, String> {
    let flags: Flags = crate::util::parse_task_args("vm-test", args)?;
    if flags.all {
        return Err("vm-test: --all runs several configurations, not one".to_owned());
    }
    options_from(flags, default_packages, cli)
}

/// Where vm-test keeps kernels, initramfs images and console logs.
fn vm_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    target.join("vm")
}

fn run_one(options: &Options) -> Result<Outcome, String> {
    let arch = options.arch;
    let label = options.kernel.label();
    let tests: Vec<String> = options
        .tests
        .iter()
        .map(|t| format!("{}:{}", t.package, t.target))
        .collect();
    eprintln!(
        "\n==> vm-test {arch} {label}: packages {}{}",
        options.packages.join(", "),
        if tests.is_empty() {
            String::new()
        } else {
            format!("; tests {}", tests.join(", "))
        }
    );
    let dir = vm_dir().join(format!("{arch}-{label}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut timings = Timings::default();

    let start = Instant::now();
    setup::ensure_qemu(arch)?;
    setup::ensure_rust_target(arch.triple())?;
    timings.setup = start.elapsed();

    let start = Instant::now();
    let (kernel_image, downloaded) = match &options.kernel {
        KernelChoice::File(path) => (path.clone(), false),
        KernelChoice::Debian(suite) => {
            let downloaded = kernel::cached(&dir).is_none();
            (kernel::fetch(arch, *suite, &dir)?, downloaded)
        }
    };
    timings.kernel = start.elapsed();

    let start = Instant::now();
    let (mut files, steps) = build_guest_programs(arch, options)?;
    let module_dirs = add_test_module(&dir, &mut files)?;
    let initrd = dir.join("initramfs.cpio");
    write_initramfs(&initrd, &module_dirs, &files, &steps)?;
    timings.build = start.elapsed();

    let log = dir.join("console.log");
    let boot = qemu::boot(arch, &kernel_image, &initrd, &log, options.timeout)?;
    timings.boot = boot.elapsed;
    let report = Report::parse(&boot.console);
    let expected: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    let mut problems = report.problems(&expected);
    if boot.timed_out {
        problems.insert(
            0,
            format!(
                "qemu did not exit within {} s and was killed",
                options.timeout.as_secs()
            ),
        );
    }
    Ok(Outcome {
        report,
        problems,
        console_tail: qemu::tail(&boot.console, TAIL_LINES),
        log,
        kernel_image,
        downloaded,
        timings,
    })
}

/// Builds the init, the test executables and (if present) the CLI for `arch`, and the plan that runs them.
fn build_guest_programs(arch: Arch, options: &Options) -> Result<(Vec<GuestFile>, Vec<plan::Step>), String> {
    let (packages, with_cli, timeout) = (&options.packages, options.cli, options.timeout);
    let step_timeout = (timeout.as_secs() * 2 / 3).max(20);
    let mut bin_args = vec!["build", "-p", "seccomp-vm-init"];
    if with_cli {
        bin_args.extend(["-p", "seccompctl"]);
    }
    let bins = build::build(arch, &bin_args)?;
    let find_bin = |package: &str| build::find_bin(&bins, package, arch);
    let mut files = vec![GuestFile::program("init", find_bin("seccomp-vm-init")?)];

    let mut test_args = vec!["test", "--no-run"];
    for package in packages {
        test_args.extend(["-p", package.as_str()]);
    }
    let mut tests: Vec<build::Artifact> = build::build(arch, &test_args)?
        .into_iter()
        .filter(|a| a.test)
        .collect();
    for extra in &options.tests {
        let args = ["test", "--no-run", "-p", &extra.package, "--test", &extra.target];
        let built: Vec<build::Artifact> = build::build(arch, &args)?
            .into_iter()
            .filter(|a| a.test && a.kind == "test" && a.target == extra.target)
            .collect();
        if built.is_empty() {
            return Err(format!(
                "`cargo test --no-run -p {} --test {}` built no test executable",
                extra.package, extra.target
            ));
        }
        for artifact in built {
            if !tests.iter().any(|t| t.path == artifact.path) {
                tests.push(artifact);
            }
        }
    }
    if tests.is_empty() {
        return Err(format!(
            "`cargo test --no-run` built no test executable for {}",
            packages.join(", ")
        ));
    }
    let mut steps = Vec::new();
    for test in &tests {
        let name = step_name(test);
        let guest_path = format!("/t/{name}");
        steps.push(plan::Step::new(
            &name,
            step_timeout,
            &[&guest_path, "--nocapture"],
        ));
        files.push(GuestFile::program(&guest_path[1..], test.path.clone()));
    }
    if with_cli {
        files.push(GuestFile::program("bin/seccompctl", find_bin("seccompctl")?));
        let (smoke_files, smoke_steps) = cli_smoke(step_timeout.min(120));
        files.extend(smoke_files);
        steps.extend(smoke_steps);
    }
    Ok((files, steps))
}

/// An OCI profile that fails `open` and `openat` with EPERM and allows everything else. Both names, because
/// musl opens with `open` on x86_64 (aarch64 has only `openat`; the importer skips `open` there with a
/// warning, as runc does).
const DENY_OPENAT: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["open","openat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#;
/// An OCI profile that kills the process on `getppid`.
const KILL_GETPPID: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#;

/// The CLI smoke test: the static `seccompctl` against the init's helper mode (`/init helper ...`, see
/// `vm-init/src/helper.rs`), with the policies it needs. Each line of the plan states the exit status
/// that proves the feature: `run` exits with the command's status, 128 + N when signal N killed it.
fn cli_smoke(timeout: u64) -> (Vec<GuestFile>, Vec<plan::Step>) {
    let policy = |name: &str, text: &str| GuestFile {
        name: format!("etc/vm-smoke/{name}"),
        mode: 0o644,
        contents: Contents::Inline(text.as_bytes().to_vec()),
    };
    let files = vec![
        policy("deny-openat.json", DENY_OPENAT),
        policy("kill-getppid.json", KILL_GETPPID),
    ];
    let step = |name: &str, expect: &str, argv: &[&str]| {
        let mut step = plan::Step::new(name, timeout, argv);
        step.expect = expect.to_owned();
        step
    };
    let ctl = "/bin/seccompctl";
    let steps = vec![
        step("cli.features", "0", &[ctl, "features"]),
        step(
            "cli.trace",
            "0",
            &[
                ctl,
                "trace",
                "--syscalls",
                "getppid,openat",
                "--",
                "/init",
                "helper",
                "syscalls",
            ],
        ),
        // The helper exits with the errno of its failed open: 1 is EPERM, the profile's errnoRet.
        step(
            "cli.run-errno",
            "1",
            &[
                ctl,
                "run",
                "--oci",
                "/etc/vm-smoke/deny-openat.json",
                "--",
                "/init",
                "helper",
                "open",
                "/proc/self/status",
            ],
        ),
        // 159 = 128 + SIGSYS (31): the kernel killed the helper at its first getppid.
        step(
            "cli.run-kill",
            "159",
            &[
                ctl,
                "run",
                "--oci",
                "/etc/vm-smoke/kill-getppid.json",
                "--",
                "/init",
                "helper",
                "syscalls",
            ],
        ),
    ];
    (files, steps)
}

/// The step name of a test executable: `<package>.lib`, `<package>.<kind>.<target>` otherwise.
fn step_name(artifact: &build::Artifact) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    if artifact.kind == "lib" {
        format!("{}.lib", clean(&artifact.package))
    } else {
        format!(
            "{}.{}.{}",
            clean(&artifact.package),
            clean(&artifact.kind),
            clean(&artifact.target)
        )
    }
}

/// The directories of the vm-test image: the mount points, `/t` (the test executables), `/bin` and the
/// smoke test's policies under `/etc/vm-smoke`.
const IMAGE_DIRS: [&str; 7] = ["dev", "proc", "sys", "t", "bin", "etc", "etc/vm-smoke"];

/// Writes the initramfs: the standard mount points (and `extra_dirs`), `/init`, `/vm-plan` and the guest
/// files.
fn write_initramfs(
    path: &Path,
    extra_dirs: &[String],
    files: &[GuestFile],
    steps: &[plan::Step],
) -> Result<(), String> {
    let mut dirs: Vec<&str> = IMAGE_DIRS.to_vec();
    dirs.extend(extra_dirs.iter().map(String::as_str));
    initramfs::write(path, &dirs, files, steps)
}

/// Puts the cached test module (Debian's `dummy.ko`, see `vm::kernel`) into the image as the guest
/// kernel's own module, `/lib/modules/<release>/kernel/drivers/net/dummy.ko*`, with a `modules.dep`
/// naming it, for the module handler's test (supervisor/tests/module_vm.rs). Returns the directories to
/// create; none when the cache holds no module (a kernel of your own, or a cache from before modules
/// were kept: that test then skips).
fn add_test_module(dir: &Path, files: &mut Vec<GuestFile>) -> Result<Vec<String>, String> {
    let Some((release, module)) = kernel::cached_test_module(dir) else {
        return Ok(Vec::new());
    };
    let name = module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("bad module path {}", module.display()))?;
    let base = format!("lib/modules/{release}");
    let dirs: Vec<String> = ["lib", "lib/modules", &base]
        .iter()
        .map(|d| d.to_string())
        .chain(
            ["kernel", "kernel/drivers", "kernel/drivers/net"]
                .iter()
                .map(|d| format!("{base}/{d}")),
        )
        .collect();
    files.push(GuestFile {
        name: format!("{base}/kernel/drivers/net/{name}"),
        mode: 0o644,
        contents: Contents::Host(module),
    });
    files.push(GuestFile {
        name: format!("{base}/modules.dep"),
        mode: 0o644,
        contents: Contents::Inline(format!("kernel/drivers/net/{name}:\n").into_bytes()),
    });
    Ok(dirs)
}

fn print_outcome(options: &Options, outcome: &Outcome) {
    let report = &outcome.report;
    let verdict = if outcome.problems.is_empty() {
        "PASSED"
    } else {
        "FAILED"
    };
    let mut text = format!(
        "\n==> vm-test {} {}: {verdict}\n",
        options.arch,
        options.kernel.label()
    );
    let _ = writeln!(
        text,
        "    kernel: {} ({})",
        report.kernel.as_deref().unwrap_or("unknown"),
        outcome.kernel_image.display()
    );
    let (steps_passed, steps_failed) = report.summary.unwrap_or((0, 0));
    let (passed, failed, ignored) = report.tests;
    let _ = writeln!(
        text,
        "    steps: {steps_passed} passed, {steps_failed} failed; tests: {passed} passed, {failed} failed, \
         {ignored} ignored in {} test binaries",
        report.test_binaries
    );
    if report.skips.is_empty() {
        let _ = writeln!(text, "    skips: none");
    } else {
        let _ = writeln!(
            text,
            "    skips / missing kernel features ({}):",
            report.skips.len()
        );
        for skip in &report.skips {
            let _ = writeln!(text, "      {skip}");
        }
    }
    let t = outcome.timings;
    let _ = writeln!(
        text,
        "    time: setup {:.1} s, kernel {:.1} s ({}), build {:.1} s, boot+run {:.1} s",
        t.setup.as_secs_f64(),
        t.kernel.as_secs_f64(),
        if outcome.downloaded {
            "downloaded"
        } else {
            "cached"
        },
        t.build.as_secs_f64(),
        t.boot.as_secs_f64()
    );
    let _ = writeln!(text, "    console log: {}", outcome.log.display());
    eprint!("{text}");
}

fn verdict(options: &Options, outcome: &Outcome) -> Result<(), String> {
    if outcome.problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "vm-test {} {} failed:\n  - {}\nlast {TAIL_LINES} console lines:\n{}\n(full console log: {})",
        options.arch,
        options.kernel.label(),
        outcome.problems.join("\n  - "),
        outcome.console_tail,
        outcome.log.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_options_with_defaults() {
        let defaults = args(&["seccomp-sys"]);
        let options = parse_args(&args(&["--arch", "aarch64"]), &defaults, true).unwrap();
        assert_eq!(
            options,
            Options {
                arch: Arch::Aarch64,
                kernel: KernelChoice::Debian(Suite::Bookworm),
                packages: defaults.clone(),
                tests: Vec::new(),
                timeout: DEFAULT_TIMEOUT,
                cli: true,
            }
        );
        let options = parse_args(
            &args(&[
                "--arch=x86_64",
                "--kernel",
                "trixie",
                "-p",
                "a",
                "--package=b",
                "--test",
                "seccomp-supervisor:module_vm",
                "--timeout",
                "60",
                "--no-cli",
            ]),
            &defaults,
            true,
        )
        .unwrap();
        assert_eq!(options.arch, Arch::X86_64);
        assert_eq!(options.kernel, KernelChoice::Debian(Suite::Trixie));
        assert_eq!(options.packages, args(&["a", "b"]));
        assert_eq!(
            options.tests,
            vec![TestTarget {
                package: "seccomp-supervisor".into(),
                target: "module_vm".into(),
            }]
        );
        assert_eq!(options.timeout, Duration::from_secs(60));
        assert!(!options.cli);
    }

    #[test]
    fn cli_smoke_policies_are_valid_json_and_the_plan_renders() {
        let (files, steps) = cli_smoke(60);
        for file in &files {
            let Contents::Inline(bytes) = &file.contents else {
                panic!("{} is not inline", file.name)
            };
            let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(
                value.get("defaultAction").and_then(|v| v.as_str()),
                Some("SCMP_ACT_ALLOW")
            );
        }
        let text = plan::render(&steps).unwrap();
        // Every policy a step names is in the initramfs.
        for file in &files {
            assert!(text.contains(&format!("/{}", file.name)), "{} unused", file.name);
        }
        assert!(
            text.contains("cli.run-kill\t60\t159\t/bin/seccompctl\trun\t--oci"),
            "{text}"
        );
    }

    #[test]
    fn rejects_missing_arch_bad_values_and_unknown_flags() {
        let defaults = args(&["x"]);
        assert!(parse_args(&[], &defaults, true).unwrap_err().contains("--arch"));
        assert!(parse_args(&args(&["--arch"]), &defaults, true).is_err());
        assert!(parse_args(&args(&["--all", "--arch", "x86_64"]), &defaults, true).is_err());
        assert!(parse_args(&args(&["--arch", "aarch64", "--timeout", "5"]), &defaults, true).is_err());
        assert!(parse_args(&args(&["--arch", "aarch64", "--kernel", "sid"]), &defaults, true).is_err());
        for bad in ["module_vm", ":module_vm", "seccomp-supervisor:"] {
            assert!(
                parse_args(&args(&["--arch", "aarch64", "--test", bad]), &defaults, true)
                    .unwrap_err()
                    .contains("PACKAGE:TARGET"),
                "{bad}"
            );
        }
        assert!(parse_args(&args(&["--all", "--test", "a:b"]), &defaults, true).is_err());
        assert!(
            parse_args(&args(&["--arch", "aarch64", "--fast"]), &defaults, true)
                .unwrap_err()
                .contains("--fast")
        );
    }

    #[test]
    fn step_names_are_unique_per_target_and_plan_safe() {
        let artifact = |kind: &str, target: &str| build::Artifact {
            package: "seccomp-sys".into(),
            target: target.into(),
            kind: kind.into(),
            test: true,
            path: PathBuf::from("/x"),
        };
        assert_eq!(step_name(&artifact("lib", "seccomp_sys")), "seccomp-sys.lib");
        assert_eq!(step_name(&artifact("test", "notify")), "seccomp-sys.test.notify");
        assert_eq!(
            step_name(&artifact("test", "odd name/x")),
            "seccomp-sys.test.odd_name_x"
        );
    }

    #[test]
    fn initramfs_holds_the_plan_and_the_files() {
        let dir = std::env::temp_dir().join(format!("xtask-vm-initramfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("prog");
        std::fs::write(&source, b"\x7fELF-ish").unwrap();
        let image = dir.join("initramfs.cpio");
        let files = [GuestFile::program("init", source)];
        let steps = [plan::Step::new("a", 5, &["/init", "helper", "syscalls"])];
        write_initramfs(&image, &[], &files, &steps).unwrap();
        let bytes = std::fs::read(&image).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("vm-plan\0"));
        assert!(text.contains("a\t5\t0\t/init\thelper\tsyscalls\n"));
        assert!(text.contains("init\0"));
        assert!(text.contains("\x7fELF-ish"));
        assert!(text.ends_with("TRAILER!!!\0\0\0\0"));
        assert_eq!(bytes.len() % 4, 0);
    }

    #[test]
    fn ci_runs_the_module_handlers_vm_test() {
        let root = workspace_root();
        assert_eq!(
            ci_tests(&root),
            vec![TestTarget {
                package: "seccomp-supervisor".into(),
                target: "module_vm".into(),
            }]
        );
        assert!(ci_tests(Path::new("/nonexistent")).is_empty());
    }

    #[test]
    fn default_packages_prefer_sys_when_it_exists() {
        let root = workspace_root();
        let expected = if root.join("sys/Cargo.toml").is_file() {
            "seccomp-sys"
        } else {
            "seccomp-core"
        };
        assert_eq!(default_packages(&root), vec![expected.to_owned()]);
        assert_eq!(
            default_packages(Path::new("/nonexistent")),
            vec!["seccomp-core".to_owned()]
        );
    }
}
