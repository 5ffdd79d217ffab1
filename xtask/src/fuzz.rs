//! `cargo xtask fuzz [--seconds N] [--target T] [--no-sanitizer] [--long [--jobs J]] [--coverage]`: runs
//! the cargo-fuzz targets in `fuzz/` one after another.
//!
//! It installs cargo-fuzz when it is missing, builds every target once, then runs each for N seconds
//! (default 30). With a nightly toolchain it fuzzes under the address sanitizer (`cargo +nightly fuzz`);
//! without one it uses stable with `-s none` (still coverage-guided, no sanitizer). A crash fails the task;
//! libFuzzer keeps the reproducer under `fuzz/artifacts/<target>/` and the task prints its path and the
//! command that replays it. The task ends with a table of runs, executions per second and coverage, read
//! from libFuzzer's final `#N DONE cov: X ft: Y ... exec/s: Z` line. Each target's full libFuzzer output is
//! kept in `fuzz/target/xtask-logs/<target>.log`. A libFuzzer dictionary `fuzz/dict/<target>.dict`, where one
//! exists, is passed with `-dict=`.
//!
//! `--long` is the campaign mode: an hour per target by default, `J` libFuzzer workers (`-fork=J`), a 30 s
//! per-input timeout and a 4 GiB RSS limit, and afterwards the grown corpus is merged back down
//! (`-merge=1`) so it stays small; the committed `seed-*` files are kept as they are. `--coverage` fuzzes
//! nothing: it replays each target's corpus under `cargo fuzz coverage` and prints a line-coverage summary
//! per target from `llvm-cov export -summary-only` (installing the toolchain's `llvm-tools-preview` when
//! it is missing).
//!
//! [`ci_smoke`] is the same run with CI's time budget, for `cargo xtask ci`.

use crate::util::{describe, exec, workspace_root};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 30;

/// The environment variable that overrides the per-target time of [`ci_smoke`].
const SMOKE_SECONDS_VAR: &str = "SECCOMP_FUZZ_SECONDS";

/// What one `cargo xtask fuzz` run does.
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(
    name = "cargo xtask fuzz",
    about = "Builds the cargo-fuzz targets in fuzz/ once and runs each (or only --target) for --seconds, with \
             nightly and the address sanitizer when nightly is installed. See docs/fuzzing.md."
)]
struct Options {
    /// Seconds per target [default: 30; 3600 with --long].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seconds: Option<u64>,
    /// Only this target.
    #[arg(long, value_name = "T")]
    target: Option<String>,
    /// The default toolchain with -s none (several times faster, no address sanitizer).
    #[arg(long)]
    no_sanitizer: bool,
    /// A long campaign: --jobs workers, 30 s per-input timeout, 4 GiB RSS limit, and the grown corpus
    /// merged back down afterwards.
    #[arg(long, conflicts_with = "coverage")]
    long: bool,
    /// libFuzzer worker processes of a --long campaign (-fork=J).
    #[arg(long, value_name = "J", default_value_t = 2, requires = "long",
          value_parser = clap::value_parser!(u32).range(1..))]
    jobs: u32,
    /// Fuzz nothing: replay each corpus under `cargo fuzz coverage` and print line coverage per target.
    #[arg(long)]
    coverage: bool,
}

impl Options {
    /// Seconds per target, after the defaults.
    fn seconds(&self) -> u64 {
        self.seconds
            .unwrap_or(if self.long { LONG_SECONDS } else { DEFAULT_SECONDS })
    }
}

/// Seconds per target of a `--long` campaign when `--seconds` is not given.
const LONG_SECONDS: u64 = 3600;

/// The toolchain the targets are built and run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Toolchain {
    /// `cargo +nightly fuzz ...` with cargo-fuzz's default address sanitizer.
    NightlyAsan,
    /// `cargo fuzz ... -s none` with the default toolchain (stable here): no sanitizer.
    StableNoSanitizer,
}

impl Toolchain {
    fn describe(self) -> &'static str {
        match self {
            Toolchain::NightlyAsan => "nightly, address sanitizer",
            Toolchain::StableNoSanitizer => "default toolchain, no sanitizer (-s none)",
        }
    }

    /// The toolchain selector before `fuzz`, if any (without rustup there is no `+toolchain`).
    fn selector(self) -> Option<&'static str> {
        match self {
            Toolchain::NightlyAsan => Some("+nightly"),
            Toolchain::StableNoSanitizer => None,
        }
    }

    /// `cargo [+toolchain] fuzz <subcommand>`, from the workspace root.
    fn fuzz_command(self, root: &Path, subcommand: &str) -> Command {
        let mut command = proxy_cargo(root);
        command.args(self.selector());
        command.args(["fuzz", subcommand]);
        command
    }

    /// The sanitizer arguments of `cargo fuzz build` and `cargo fuzz run`.
    fn sanitizer_args(self) -> &'static [&'static str] {
        match self {
            Toolchain::NightlyAsan => &[],
            Toolchain::StableNoSanitizer => &["-s", "none"],
        }
    }
}

/// What libFuzzer reported for one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Stats {
    /// Executions (`#N`).
    runs: Option<u64>,
    /// Edge coverage (`cov:`).
    cov: Option<u64>,
    /// Features (`ft:`).
    ft: Option<u64>,
    /// Executions per second (`exec/s:`).
    exec_per_sec: Option<u64>,
}

/// How one target's run ended.
#[derive(Debug)]
struct Outcome {
    target: String,
    stats: Stats,
    seconds: f64,
    /// `None` when it ran clean; else what went wrong.
    failure: Option<Failure>,
}

#[derive(Debug)]
struct Failure {
    /// The reproducer libFuzzer wrote, if it wrote one.
    artifact: Option<PathBuf>,
    /// The status line for the report.
    what: String,
}

/// Entry point from `main`.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_args(args)?;
    if options.coverage {
        return coverage(&options);
    }
    fuzz(&options)
}

/// Seconds per target of [`ci_smoke`]: 25 s each, so the fourteen targets take about six minutes of the
/// CI run (plus the first replay of each committed corpus).
const CI_SECONDS: u64 = 25;

/// Runs every fuzz target for `SECCOMP_FUZZ_SECONDS` seconds ([`CI_SECONDS`] when unset), for CI. It fails on any crash,
/// printing where the reproducer is.
pub fn ci_smoke() -> Result<(), String> {
    let seconds = match std::env::var(SMOKE_SECONDS_VAR) {
        Ok(text) => parse_seconds(&text).map_err(|e| format!("{SMOKE_SECONDS_VAR}: {e}"))?,
        Err(_) => CI_SECONDS,
    };
    smoke(seconds)
}

/// Runs every fuzz target for `seconds` seconds each.
pub fn smoke(seconds: u64) -> Result<(), String> {
    fuzz(&Options {
        seconds: Some(seconds),
        target: None,
        no_sanitizer: false,
        long: false,
        jobs: 1,
        coverage: false,
    })
}

fn parse_seconds(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) | Err(_) => Err(format!(
            "expected a whole number of seconds above 0, got `{text}`"
        )),
        Ok(n) => Ok(n),
    }
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    crate::util::parse_task_args("fuzz", args)
}

/// A `cargo` command run through the rustup proxy on `PATH` (so `+toolchain` works), from the workspace
/// root, with the fuzz build's target dir kept in `fuzz/target`. The variables that cargo sets for the
/// xtask itself are removed so they do not pin the child to the xtask's toolchain.
fn proxy_cargo(root: &Path) -> Command {
    let mut command = Command::new("cargo");
    command.current_dir(root);
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET_DIR",
    ] {
        command.env_remove(var);
    }
    command.env("CARGO_TARGET_DIR", root.join("fuzz").join("target"));
    command
}

fn quiet_success(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ensure_cargo_fuzz(root: &Path) -> Result<(), String> {
    if quiet_success(proxy_cargo(root).args(["fuzz", "--version"])) {
        return Ok(());
    }
    eprintln!("==> cargo-fuzz is missing: installing it (about 80 s)");
    let mut install = proxy_cargo(root);
    install
        .env_remove("CARGO_TARGET_DIR")
        .args(["install", "cargo-fuzz", "--locked"]);
    exec(&mut install)
}

fn pick_toolchain(root: &Path) -> Toolchain {
    let mut probe = Command::new("rustup");
    probe
        .current_dir(root)
        .args(["run", "nightly", "rustc", "--version"]);
    if quiet_success(&mut probe) {
        Toolchain::NightlyAsan
    } else {
        Toolchain::StableNoSanitizer
    }
}

/// The targets cargo-fuzz knows, in the order `cargo fuzz list` prints them.
fn list_targets(root: &Path, toolchain: Toolchain) -> Result<Vec<String>, String> {
    let mut command = toolchain.fuzz_command(root, "list");
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&command)))?;
    if !output.status.success() {
        return Err(format!("`{}` failed: {}", describe(&command), output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The targets `options` asks for: `--target`, or every target `cargo fuzz list` prints.
fn selected_targets(root: &Path, toolchain: Toolchain, options: &Options) -> Result<Vec<String>, String> {
    let all = list_targets(root, toolchain)?;
    let targets = match &options.target {
        Some(wanted) if all.iter().any(|t| t == wanted) => vec![wanted.clone()],
        Some(wanted) => {
            return Err(format!(
                "fuzz: no target `{wanted}`; the targets are: {}",
                all.join(", ")
            ));
        }
        None => all,
    };
    if targets.is_empty() {
        return Err("fuzz: `cargo fuzz list` found no targets".to_owned());
    }
    Ok(targets)
}

fn fuzz(options: &Options) -> Result<(), String> {
    let root = workspace_root();
    ensure_cargo_fuzz(&root)?;
    let toolchain = if options.no_sanitizer {
        Toolchain::StableNoSanitizer
    } else {
        pick_toolchain(&root)
    };
    eprintln!("==> toolchain: {}", toolchain.describe());

    let targets = selected_targets(&root, toolchain, options)?;

    eprintln!("==> building {} fuzz target(s)", targets.len());
    let mut build = toolchain.fuzz_command(&root, "build");
    build.args(toolchain.sanitizer_args());
    if let [only] = targets.as_slice() {
        build.arg(only);
    }
    exec(&mut build)?;

    let log_dir = root.join("fuzz").join("target").join("xtask-logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;
    let mut outcomes = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        eprint!(
            "[{}/{}] {target}: fuzzing for {} s ... ",
            index + 1,
            targets.len(),
            options.seconds()
        );
        let _ = std::io::stderr().flush();
        let campaign = options.long.then_some(options.jobs);
        let outcome = run_target(&root, toolchain, target, options.seconds(), campaign, &log_dir)?;
        match &outcome.failure {
            None => eprintln!(
                "ok: {} runs, {} exec/s, cov {}",
                show(outcome.stats.runs),
                show(outcome.stats.exec_per_sec),
                show(outcome.stats.cov)
            ),
            Some(failure) => {
                eprintln!("FAILED: {}", failure.what);
                eprintln!("    log: {}", log_dir.join(format!("{target}.log")).display());
                if let Some(artifact) = &failure.artifact {
                    let shown = artifact.strip_prefix(&root).unwrap_or(artifact);
                    eprintln!("    reproducer: {}", shown.display());
                    let mut replay = toolchain.fuzz_command(&root, "run");
                    replay.args(toolchain.sanitizer_args());
                    replay.arg(target).arg(shown);
                    eprintln!("    reproduce: {}", describe(&replay));
                }
            }
        }
        if campaign.is_some() && outcome.failure.is_none() {
            merge_corpus_down(&root, toolchain, target)?;
        }
        outcomes.push(outcome);
    }

    print_table(&outcomes);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.failure.is_some())
        .map(|o| o.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz: {} target(s) failed: {} (reproducers under fuzz/artifacts/)",
            failed.len(),
            failed.join(", ")
        ))
    }
}

fn run_target(
    root: &Path,
    toolchain: Toolchain,
    target: &str,
    seconds: u64,
    campaign: Option<u32>,
    log_dir: &Path,
) -> Result<Outcome, String> {
    let log_path = log_dir.join(format!("{target}.log"));
    let mut log =
        File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut command = toolchain.fuzz_command(root, "run");
    command.args(toolchain.sanitizer_args());
    command.args([
        target,
        "--",
        &format!("-max_total_time={seconds}"),
        "-print_final_stats=1",
    ]);
    match campaign {
        None => {
            command.arg("-timeout=10");
        }
        Some(jobs) => {
            command.args(["-timeout=30", "-rss_limit_mb=4096", &format!("-fork={jobs}")]);
        }
    }
    let dict = root.join("fuzz").join("dict").join(format!("{target}.dict"));
    if dict.is_file() {
        command.arg(format!("-dict={}", dict.display()));
    }
    let _ = writeln!(log, "$ {}", describe(&command));
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&command)))?;

    // libFuzzer writes its status to stderr and the target's prints to stdout; keep both in the log, read
    // stdout on a thread so neither pipe can fill up and stall the fuzzer.
    let stdout = child.stdout.take();
    let stdout_thread = std::thread::spawn(move || {
        let mut lines = Vec::new();
        if let Some(stdout) = stdout {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.push(line);
            }
        }
        lines
    });
    let mut stats = Stats::default();
    let mut artifact = None;
    let mut deadly: Option<String> = None;
    let mut panic_message_follows = false;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
            if let Some(found) = parse_done_line(&line).or_else(|| parse_fork_line(&line)) {
                stats = found;
            } else if let Some(found) = parse_final_stat(&line, "stat::number_of_executed_units:") {
                stats.runs = stats.runs.or(Some(found));
            }
            if let Some(path) = parse_artifact_line(&line) {
                artifact = Some(root.join(path));
            }
            if panic_message_follows {
                // A Rust panic prints `panicked at FILE:LINE:COL:` and the message on the next line.
                if let Some(first) = &mut deadly {
                    first.push(' ');
                    first.push_str(line.trim());
                }
                panic_message_follows = false;
            } else if deadly.is_none() && is_deadly_line(&line) {
                deadly = Some(line.trim().to_owned());
                panic_message_follows = line.contains("panicked at");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{}`: {e}", describe(&command)))?;
    for line in stdout_thread.join().unwrap_or_default() {
        let _ = writeln!(log, "[stdout] {line}");
    }
    let seconds = started.elapsed().as_secs_f64();
    let failure = if status.success() && artifact.is_none() {
        None
    } else {
        Some(Failure {
            artifact,
            what: deadly.unwrap_or_else(|| format!("cargo fuzz run exited with {status}")),
        })
    };
    Ok(Outcome {
        target: target.to_owned(),
        stats,
        seconds,
        failure,
    })
}

/// Reads libFuzzer's closing line, `#123456\tDONE   cov: 87 ft: 301 corp: 40/1024b ... exec/s: 4115 ...`.
fn parse_done_line(line: &str) -> Option<Stats> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (runs, rest) = rest.split_once(char::is_whitespace)?;
    let rest = rest.trim_start().strip_prefix("DONE")?;
    Some(Stats {
        runs: runs.parse().ok(),
        cov: field(rest, "cov:"),
        ft: field(rest, "ft:"),
        exec_per_sec: field(rest, "exec/s:"),
    })
}

/// Reads the status line of libFuzzer's fork mode (`--long`), `#123456: cov: 87 ft: 301 corp: 40 exec/s:
/// 4115 oom/timeout/crash: 0/0/0 time: 10s job: 3 dft_time: 0`; the last one stands for the whole run.
fn parse_fork_line(line: &str) -> Option<Stats> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (runs, rest) = rest.split_once(": ")?;
    let runs = runs.parse().ok()?;
    Some(Stats {
        runs: Some(runs),
        cov: field(rest, "cov:"),
        ft: field(rest, "ft:"),
        exec_per_sec: field(rest, "exec/s:"),
    })
    .filter(|stats| stats.cov.is_some())
}

/// After a campaign: merges `fuzz/corpus/<target>` down to the inputs that add edge coverage (libFuzzer's
/// `-merge=1 -set_cover_merge=1 -use_counters=0`, what `cargo fuzz cmin` does, with a smaller result). The
/// committed `seed-*` files stay untouched; the other files are replaced by the merged set.
fn merge_corpus_down(root: &Path, toolchain: Toolchain, target: &str) -> Result<(), String> {
    let corpus = root.join("fuzz").join("corpus").join(target);
    let merged = root.join("fuzz").join("target").join("xtask-merge").join(target);
    let io = |what: &str, path: &Path, e: std::io::Error| format!("{what} {}: {e}", path.display());
    if merged.exists() {
        std::fs::remove_dir_all(&merged).map_err(|e| io("cannot remove", &merged, e))?;
    }
    std::fs::create_dir_all(&merged).map_err(|e| io("cannot create", &merged, e))?;
    let is_seed = |path: &Path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("seed-"))
    };
    let files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map_err(|e| io("cannot read", &corpus, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    for seed in files.iter().filter(|p| is_seed(p)) {
        let to = merged.join(seed.file_name().unwrap_or_default());
        std::fs::copy(seed, &to).map_err(|e| io("cannot copy", seed, e))?;
    }
    eprintln!(
        "==> {target}: merging the grown corpus ({} files) back down",
        files.len()
    );
    let mut merge = toolchain.fuzz_command(root, "run");
    merge.args(toolchain.sanitizer_args());
    merge.arg(target).arg(&merged).arg(&corpus);
    merge.args(["--", "-merge=1", "-set_cover_merge=1", "-use_counters=0"]);
    exec(merge.stdout(Stdio::null()).stderr(Stdio::null()))?;
    for grown in files.iter().filter(|p| !is_seed(p)) {
        std::fs::remove_file(grown).map_err(|e| io("cannot remove", grown, e))?;
    }
    let mut kept = 0usize;
    for entry in std::fs::read_dir(&merged).map_err(|e| io("cannot read", &merged, e))? {
        let path = entry.map_err(|e| io("cannot read", &merged, e))?.path();
        if !is_seed(&path) {
            let to = corpus.join(path.file_name().unwrap_or_default());
            std::fs::rename(&path, &to).map_err(|e| io("cannot move", &path, e))?;
            kept += 1;
        }
    }
    eprintln!("    kept {kept} inputs beside the committed seeds");
    Ok(())
}

/// What `llvm-cov` reported for one target's corpus.
struct LineCoverage {
    target: String,
    lines: u64,
    covered: u64,
}

/// `--coverage`: replays every selected target's corpus under `cargo fuzz coverage` and prints the line
/// coverage of the project's sources (the registry, the standard library and `fuzz/` itself left out).
fn coverage(options: &Options) -> Result<(), String> {
    let root = workspace_root();
    ensure_cargo_fuzz(&root)?;
    let toolchain = pick_toolchain(&root);
    let llvm_cov = ensure_llvm_cov(&root, toolchain)?;
    let targets = selected_targets(&root, toolchain, options)?;
    let build_dir = root.join("fuzz").join("target").join("coverage");
    let mut rows = Vec::new();
    for target in &targets {
        eprintln!("==> {target}: replaying its corpus under cargo fuzz coverage");
        let mut replay = toolchain.fuzz_command(&root, "coverage");
        replay.arg("--target-dir").arg(&build_dir).arg(target);
        exec(replay.stdout(Stdio::null()))?;
        let binary = find_file(&build_dir, target, "coverage").ok_or_else(|| {
            format!(
                "fuzz: no coverage binary for {target} under {}",
                build_dir.display()
            )
        })?;
        let profile = root
            .join("fuzz")
            .join("coverage")
            .join(target)
            .join("coverage.profdata");
        let output = Command::new(&llvm_cov)
            .arg("export")
            .arg("-summary-only")
            .arg(format!("-instr-profile={}", profile.display()))
            .arg("-ignore-filename-regex=/\\.cargo/|/rustc/|/fuzz/")
            .arg(&binary)
            .output()
            .map_err(|e| format!("cannot start {}: {e}", llvm_cov.display()))?;
        if !output.status.success() {
            return Err(format!(
                "llvm-cov export failed for {target}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let (lines, covered) = parse_llvm_cov_summary(&output.stdout)
            .ok_or_else(|| format!("llvm-cov export for {target}: no totals.lines in its JSON"))?;
        rows.push(LineCoverage {
            target: target.clone(),
            lines,
            covered,
        });
    }
    let width = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(0)
        .max("target".len());
    println!();
    println!(
        "{:<width$}  {:>8}  {:>8}  {:>7}",
        "target", "lines", "covered", "line %"
    );
    for row in &rows {
        let percent = if row.lines == 0 {
            0.0
        } else {
            100.0 * row.covered as f64 / row.lines as f64
        };
        println!(
            "{:<width$}  {:>8}  {:>8}  {:>6.1}%",
            row.target, row.lines, row.covered, percent
        );
    }
    Ok(())
}

/// `totals.lines.count` and `.covered` of `llvm-cov export -summary-only`.
fn parse_llvm_cov_summary(json: &[u8]) -> Option<(u64, u64)> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let lines = value.get("data")?.get(0)?.get("totals")?.get("lines")?;
    Some((lines.get("count")?.as_u64()?, lines.get("covered")?.as_u64()?))
}

/// The first file named `name` below `dir` whose path also contains a directory named `marker`.
fn find_file(dir: &Path, name: &str, marker: &str) -> Option<PathBuf> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == name)
                && path.components().any(|c| c.as_os_str() == marker)
            {
                return Some(path);
            }
        }
    }
    None
}

/// The `llvm-cov` of the toolchain that builds the coverage binaries, installing `llvm-tools-preview`
/// when it is missing.
fn ensure_llvm_cov(root: &Path, toolchain: Toolchain) -> Result<PathBuf, String> {
    let rustc_for = |toolchain: Toolchain| {
        let mut command = Command::new("rustup");
        command.current_dir(root).arg("run");
        command.arg(match toolchain {
            Toolchain::NightlyAsan => "nightly",
            Toolchain::StableNoSanitizer => "stable",
        });
        command.args(["rustc", "--print", "sysroot"]);
        command
    };
    let sysroot = rustc_for(toolchain)
        .output()
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let host = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
        .into_iter()
        .find(|triple| sysroot.join("lib/rustlib").join(triple).is_dir())
        .ok_or_else(|| format!("fuzz: no host rustlib under {}", sysroot.display()))?;
    let llvm_cov = sysroot.join("lib/rustlib").join(host).join("bin/llvm-cov");
    if !llvm_cov.is_file() {
        let name = match toolchain {
            Toolchain::NightlyAsan => "nightly",
            Toolchain::StableNoSanitizer => "stable",
        };
        eprintln!("==> llvm-cov is missing: rustup component add llvm-tools-preview --toolchain {name}");
        exec(Command::new("rustup").args(["component", "add", "llvm-tools-preview", "--toolchain", name]))
            .map_err(|e| format!("fuzz --coverage needs llvm-tools-preview, which did not install: {e}"))?;
    }
    if llvm_cov.is_file() {
        Ok(llvm_cov)
    } else {
        Err(format!(
            "fuzz --coverage: {} is still missing",
            llvm_cov.display()
        ))
    }
}

/// The number after `name` in a `name value name value ...` status line.
fn field(text: &str, name: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == name {
            return words.next()?.parse().ok();
        }
    }
    None
}

/// Reads a `-print_final_stats=1` line such as `stat::number_of_executed_units: 123`.
fn parse_final_stat(line: &str, name: &str) -> Option<u64> {
    line.trim().strip_prefix(name)?.trim().parse().ok()
}

/// The reproducer path from libFuzzer's `Test unit written to PATH` line.
fn parse_artifact_line(line: &str) -> Option<PathBuf> {
    let (_, path) = line.split_once("Test unit written to ")?;
    let path = path.trim();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// A line that says why libFuzzer stopped early: a panic, a sanitizer report, a timeout or OOM.
fn is_deadly_line(line: &str) -> bool {
    line.contains("panicked at")
        || line.contains("==ERROR:")
        || line.contains("deadly signal")
        || line.contains("ERROR: libFuzzer:")
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

fn print_table(outcomes: &[Outcome]) {
    let width = outcomes
        .iter()
        .map(|o| o.target.len())
        .max()
        .unwrap_or(0)
        .max("target".len());
    println!();
    println!(
        "{:<width$}  {:>6}  {:>12}  {:>9}  {:>6}  {:>7}  result",
        "target", "secs", "runs", "exec/s", "cov", "ft"
    );
    for o in outcomes {
        println!(
            "{:<width$}  {:>6.0}  {:>12}  {:>9}  {:>6}  {:>7}  {}",
            o.target,
            o.seconds,
            show(o.stats.runs),
            show(o.stats.exec_per_sec),
            show(o.stats.cov),
            show(o.stats.ft),
            if o.failure.is_some() { "CRASH" } else { "ok" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_options() {
        let parsed = parse_args(&args(&[])).unwrap();
        assert_eq!(parsed.seconds(), 30);
        assert_eq!(
            (parsed.target, parsed.no_sanitizer, parsed.long, parsed.coverage),
            (None, false, false, false)
        );
        let parsed = parse_args(&args(&[
            "--seconds",
            "5",
            "--target=notif_decode",
            "--no-sanitizer",
        ]))
        .unwrap();
        assert_eq!(parsed.seconds(), 5);
        assert_eq!(parsed.target.as_deref(), Some("notif_decode"));
        assert!(parsed.no_sanitizer);
        let long = parse_args(&args(&["--long", "--jobs", "4"])).unwrap();
        assert_eq!((long.seconds(), long.jobs), (3600, 4));
        assert!(parse_args(&args(&["--seconds", "0"])).is_err());
        assert!(parse_args(&args(&["--seconds"])).is_err());
        assert!(parse_args(&args(&["--bogus"])).is_err());
        assert!(
            parse_args(&args(&["--jobs", "2"])).is_err(),
            "--jobs needs --long"
        );
        assert!(parse_args(&args(&["--long", "--coverage"])).is_err());
    }

    #[test]
    fn reads_the_fork_mode_status_line() {
        let line = "#4821: cov: 1180 ft: 4102 corp: 300 exec/s: 9120 oom/timeout/crash: 0/0/0 time: 12s job: 3 dft_time: 0";
        assert_eq!(
            parse_fork_line(line),
            Some(Stats {
                runs: Some(4821),
                cov: Some(1180),
                ft: Some(4102),
                exec_per_sec: Some(9120),
            })
        );
        assert_eq!(parse_fork_line("#4096\tpulse  cov: 87 ft: 301"), None);
    }

    #[test]
    fn reads_the_llvm_cov_summary() {
        let json = br#"{"data":[{"totals":{"lines":{"count":7027,"covered":1143,"percent":16.2}}}],"type":"llvm.coverage.json.export"}"#;
        assert_eq!(parse_llvm_cov_summary(json), Some((7027, 1143)));
        assert_eq!(parse_llvm_cov_summary(b"{}"), None);
    }

    #[test]
    fn reads_the_done_line() {
        let line = "#2571939\tDONE   cov: 87 ft: 301 corp: 40/1024b lim: 4096 exec/s: 85731 rss: 61Mb";
        assert_eq!(
            parse_done_line(line),
            Some(Stats {
                runs: Some(2_571_939),
                cov: Some(87),
                ft: Some(301),
                exec_per_sec: Some(85_731),
            })
        );
        assert_eq!(parse_done_line("#4096\tpulse  cov: 87 ft: 301"), None);
        assert_eq!(parse_done_line("INFO: Seed: 12"), None);
    }

    #[test]
    fn reads_artifacts_and_final_stats() {
        assert_eq!(
            parse_artifact_line(
                "artifact_prefix='fuzz/artifacts/x/'; Test unit written to fuzz/artifacts/x/crash-ab12"
            ),
            Some(PathBuf::from("fuzz/artifacts/x/crash-ab12"))
        );
        assert_eq!(parse_artifact_line("INFO: Loaded 1 modules"), None);
        assert_eq!(
            parse_final_stat(
                "stat::number_of_executed_units: 991",
                "stat::number_of_executed_units:"
            ),
            Some(991)
        );
    }
}
