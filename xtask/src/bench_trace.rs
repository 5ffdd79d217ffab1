//! `cargo xtask bench-trace`: whole-process tracing overhead (issue #14).
//!
//! Runs a fork/exec/open-heavy shell loop bare, under `seccompctl trace` (all syscalls, and only
//! `openat,execve`) and under `strace -f` (all, and `--seccomp-bpf` with the same selection), plus the
//! notification mechanism's floor (`run` with every syscall notified and answered at once). The
//! configurations are interleaved round-robin, the order rotated each round, so that drift on the shared
//! machine hits all of them alike; the report is each configuration's median wall time and its ratio to
//! the bare run's median of the same run.

use crate::util;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The task's flags.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask bench-trace",
    about = "Tracing overhead of seccompctl trace vs strace on a fork/exec/open-heavy shell loop."
)]
struct Options {
    /// Rounds; every configuration runs once per round.
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
    /// Iterations of the shell loop (each runs `cat` and `ls`).
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Also write the results as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Another seccompctl binary (an older build) measured in the same rounds, as "baseline" rows.
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,
    /// Run the measured commands with the environment as inherited from cargo (its `LD_LIBRARY_PATH` of
    /// four directories makes every `ls` and `cat` look for each library there first: about 5.7 times
    /// the syscalls of the loop run from a shell), as bench-trace did before.
    #[arg(long)]
    cargo_env: bool,
    /// Instead of timing, run `dash -c 'echo hello | cat | cat | wc -c'` N times under `trace --all` and
    /// `learn` (and the baseline's) and count broken runs: wrong output, a failure, or a hang (10 s).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pipeline_runs: Option<u64>,
}

/// How a supervised pipeline run ended.
#[derive(Debug, Default, Clone, Copy)]
struct Broken {
    wrong: u64,
    failed: u64,
    hung: u64,
    lost_reported: u64,
}

/// Runs `argv` once with a 10 s limit: (stdout, success, hung, stderr mentions an interruption).
fn run_limited(argv: &[String]) -> Result<(String, bool, bool, bool), String> {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let output = child.wait_with_output().map_err(|e| e.to_string())?;
            let err = String::from_utf8_lossy(&output.stderr);
            let lost = err.contains("interrupted");
            return Ok((
                String::from_utf8_lossy(&output.stdout).into_owned(),
                status.success(),
                false,
                lost,
            ));
        }
        if started.elapsed().as_secs() >= 10 {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((String::new(), false, true, false));
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// The `--pipeline-runs` mode: broken runs per configuration, interleaved.
fn pipeline(tool: &str, baseline: Option<&str>, runs: u64) -> Result<(), String> {
    if !util::on_path("dash") {
        return Err("--pipeline-runs needs dash (Debian package dash)".to_owned());
    }
    let learned = std::env::temp_dir().join(format!("bench-trace-learn-{}.policy", std::process::id()));
    let learned = learned.to_string_lossy().into_owned();
    let mut configs: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |label: &str, bin: &str| {
        configs.push((
            format!("{label} trace --all"),
            vec![
                bin.to_owned(),
                "trace".into(),
                "--all".into(),
                "-o".into(),
                "/dev/null".into(),
                "--".into(),
            ],
        ));
        configs.push((
            format!("{label} learn"),
            vec![
                bin.to_owned(),
                "learn".into(),
                "-o".into(),
                learned.clone(),
                "--".into(),
            ],
        ));
    };
    add("seccompctl", tool);
    if let Some(baseline) = baseline {
        add("baseline", baseline);
    }
    let mut broken = vec![Broken::default(); configs.len()];
    for _ in 0..runs {
        for (k, (_, argv)) in configs.iter().enumerate() {
            let mut argv = argv.clone();
            argv.extend([
                "dash".to_owned(),
                "-c".to_owned(),
                "echo hello | cat | cat | wc -c".to_owned(),
            ]);
            let (out, ok, hung, lost) = run_limited(&argv)?;
            let b = &mut broken[k];
            if hung {
                b.hung += 1;
            } else if !ok {
                b.failed += 1;
            } else if out.trim() != "6" {
                b.wrong += 1;
            }
            if lost {
                b.lost_reported += 1;
            }
        }
    }
    let _ = std::fs::remove_file(&learned);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\npipeline: dash -c 'echo hello | cat | cat | wc -c', {runs} runs per configuration, interleaved; load average: {}\n",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("| configuration | broken | wrong output | failed | hung | interruption reported |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for ((name, _), b) in configs.iter().zip(&broken) {
        let total = b.wrong + b.failed + b.hung;
        println!(
            "| {name} | {total} ({:.2}%) | {} | {} | {} | {} |",
            100.0 * total as f64 / runs as f64,
            b.wrong,
            b.failed,
            b.hung,
            b.lost_reported
        );
    }
    Ok(())
}

/// Whether `name` is one of the variables `cargo run` (so `cargo xtask`) adds to the environment.
fn set_by_cargo(name: &str) -> bool {
    name == "LD_LIBRARY_PATH"
        || name == "RUST_RECURSION_COUNT"
        || name.starts_with("CARGO")
        || name.starts_with("RUSTUP_")
}

/// Removes from `command`'s environment what cargo added (see [`set_by_cargo`]), so that the loop runs
/// as it would from a shell.
fn without_cargo_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo) {
            command.env_remove(name);
        }
    }
}

/// The median of `samples` (the lower middle value of an even count), or `None` when empty.
fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len().checked_sub(1)? / 2).copied()
}

/// `value / base`, or `None` when `base` is not positive.
fn ratio(value: f64, base: f64) -> Option<f64> {
    (base > 0.0).then(|| value / base)
}

/// The Markdown table: name, median seconds, ratio to the first row (bare).
fn table(rows: &[(String, Option<f64>)]) -> String {
    let bare = rows.first().and_then(|(_, m)| *m);
    let mut out = String::from("| configuration | median s | / bare |\n| --- | ---: | ---: |\n");
    for (name, med) in rows {
        let (m, r) = match med {
            Some(m) => (
                format!("{m:.3}"),
                bare.and_then(|b| ratio(*m, b))
                    .map_or("-".to_owned(), |r| format!("{r:.2}x")),
            ),
            None => ("SKIP".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(out, "| {name} | {m} | {r} |");
    }
    out
}

/// Builds seccompctl in release, measures every configuration, and reports.
pub fn run(args: &[String]) -> Result<(), String> {
    let options: Options = util::parse_task_args("bench-trace", args)?;
    util::exec(util::cargo().args(["build", "--release", "--package", "seccompctl"]))?;
    let tool = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::workspace_root().join("target"))
        .join("release/seccompctl");
    let script = format!(
        "for i in $(seq {}); do cat /etc/hostname >/dev/null; ls / >/dev/null; done",
        options.iterations
    );
    let tool = tool.to_string_lossy().into_owned();
    let baseline = options
        .baseline
        .as_ref()
        .map(|path| path.to_string_lossy().into_owned());
    if let Some(runs) = options.pipeline_runs {
        return pipeline(&tool, baseline.as_deref(), runs);
    }
    let strace = util::on_path("strace");
    let floor_policy = util::workspace_root().join("target/tmp/bench-trace-notify-all.policy");
    std::fs::create_dir_all(floor_policy.parent().unwrap_or(&floor_policy))
        .and_then(|()| std::fs::write(&floor_policy, "default notify\n"))
        .map_err(|e| format!("{}: {e}", floor_policy.display()))?;
    let floor_policy = floor_policy.to_string_lossy().into_owned();
    let mut configs: Vec<(&str, Vec<String>)> = vec![
        ("bare", vec![]),
        (
            "seccompctl trace --all",
            vec![
                tool.clone(),
                "trace".into(),
                "--all".into(),
                "-o".into(),
                "/dev/null".into(),
                "--".into(),
            ],
        ),
        // The mechanism's floor: every syscall notified and answered CONTINUE at once by one serving
        // thread, nothing read, decoded or written. No tracer built on notifications gets below it.
        (
            "floor: run, every syscall notified, answered at once",
            vec![
                tool.clone(),
                "run".into(),
                "-q".into(),
                "--workers".into(),
                "1".into(),
                "--policy".into(),
                floor_policy.clone(),
                "--on-notify".into(),
                "continue".into(),
                "--".into(),
            ],
        ),
        (
            "strace -f",
            vec!["strace".into(), "-f".into(), "-o".into(), "/dev/null".into()],
        ),
        (
            "seccompctl trace --syscalls openat,execve",
            vec![
                tool.clone(),
                "trace".into(),
                "--syscalls".into(),
                "openat,execve".into(),
                "-o".into(),
                "/dev/null".into(),
                "--".into(),
            ],
        ),
        (
            "strace -f --seccomp-bpf -e trace=openat,execve",
            vec![
                "strace".into(),
                "-f".into(),
                "--seccomp-bpf".into(),
                "-e".into(),
                "trace=openat,execve".into(),
                "-o".into(),
                "/dev/null".into(),
            ],
        ),
    ];
    if let Some(baseline) = &baseline {
        configs.push((
            "baseline trace --all",
            vec![
                baseline.clone(),
                "trace".into(),
                "--all".into(),
                "-o".into(),
                "/dev/null".into(),
                "--".into(),
            ],
        ));
        configs.push((
            "baseline trace --syscalls openat,execve",
            vec![
                baseline.clone(),
                "trace".into(),
                "--syscalls".into(),
                "openat,execve".into(),
                "-o".into(),
                "/dev/null".into(),
                "--".into(),
            ],
        ));
    }
    if !strace {
        eprintln!("SKIP strace rows: strace is not installed (Debian package strace)");
    }
    configs.retain(|(name, _)| strace || !name.starts_with("strace"));
    let mut samples = vec![Vec::new(); configs.len()];
    for round in 0..options.rounds as usize {
        for k in 0..configs.len() {
            let index = (k + round) % configs.len();
            let mut argv = configs[index].1.clone();
            argv.extend(["sh".to_owned(), "-c".to_owned(), script.clone()]);
            let mut command = Command::new(&argv[0]);
            command
                .args(&argv[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if !options.cargo_env {
                without_cargo_env(&mut command);
            }
            let started = Instant::now();
            let status = command
                .status()
                .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
            let seconds = started.elapsed().as_secs_f64();
            if !status.success() {
                return Err(format!("`{}` failed: {status}", argv.join(" ")));
            }
            samples[index].push(seconds);
        }
    }
    let mut rows: Vec<(String, Option<f64>)> = configs
        .iter()
        .zip(&samples)
        .map(|((name, _), s)| ((*name).to_owned(), median(s)))
        .collect();
    if !strace {
        rows.push(("strace -f".to_owned(), None));
        rows.push(("strace -f --seccomp-bpf -e trace=openat,execve".to_owned(), None));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nloop: sh -c '{script}'\nrounds: {}; environment: {}; load average: {}\n\n{}",
        options.rounds,
        if options.cargo_env {
            "as inherited from cargo"
        } else {
            "without what cargo adds"
        },
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        table(&rows)
    );
    if let Some(path) = &options.json {
        let results: Vec<_> = rows
            .iter()
            .map(|(name, m)| serde_json::json!({"name": name, "median_s": m}))
            .collect();
        let text = serde_json::json!({"iterations": options.iterations, "rounds": options.rounds, "cargo_env": options.cargo_env, "results": results});
        std::fs::write(path, format!("{text:#}\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargos_variables_are_recognised() {
        assert!(set_by_cargo("LD_LIBRARY_PATH"));
        assert!(set_by_cargo("CARGO_PKG_NAME"));
        assert!(set_by_cargo("RUSTUP_TOOLCHAIN"));
        assert!(!set_by_cargo("PATH"));
        assert!(!set_by_cargo("LANG"));
    }

    #[test]
    fn medians_and_ratios_to_bare() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
        assert_eq!(ratio(1.5, 0.0), None);
        let rows = [
            ("bare".to_owned(), Some(0.5)),
            ("trace".to_owned(), Some(0.75)),
            ("strace".to_owned(), None),
        ];
        let text = table(&rows);
        assert!(text.contains("| bare | 0.500 | 1.00x |"), "{text}");
        assert!(text.contains("| trace | 0.750 | 1.50x |"), "{text}");
        assert!(text.contains("| strace | SKIP | - |"), "{text}");
    }
}
