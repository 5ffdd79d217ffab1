//! `cargo xtask bench-notify`: the notification round-trip benchmark (issues #6 and #10).
//!
//! Measures, in one run and on whatever machine it runs on, how long a `getppid` takes when it is
//! bare, refused by an `ERRNO` filter, answered by a seccomp-notify supervisor in another process
//! (default, `SYNC_WAKE_UP`, `CONTINUE`; same CPU, different CPUs, unpinned), intercepted by a
//! `PTRACE_SYSCALL` tracer or by `RET_TRACE` with `PTRACE_O_TRACESECCOMP`, and the lower bound of any
//! such round trip: a futex ping-pong between two processes. Then the engine (`seccomp-supervisor`):
//! its own round trip, a path-checked `openat` it opens and injects (`ADDFD` + `SEND`), and the same
//! `openat` answered `CONTINUE`; and its throughput: 8 targets against one listener served by 1 and 2
//! threads, with the CPU time per notification on each side and the bound that puts on the scaling.
//!
//! The measuring is done by the `seccomp-bench-notify` helper, which this task builds in release mode
//! and runs (the xtask itself is a debug build, which must not be measured). The helper interleaves the
//! configurations in rounds so that machine noise hits all of them alike, times each call on its own
//! and checks every answer, and writes the raw timings; this task computes the percentiles and writes
//! the table, the goals, and optionally the JSON (`json`) and the SVG chart (`svg`).

mod json;
mod mechanisms;
mod stats;
mod svg;

use crate::util;
use mechanisms::{Config, Measured, Mechanism, Placement, RawRun, ThroughputConfig};
use stats::Summary;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The machine facts printed with the table and written to the JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// The number of CPUs the kernel lists in `/proc/cpuinfo`.
    pub cores: usize,
    /// The kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads the facts from `/proc`; what cannot be read is reported as `unknown`.
    fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cores = match processor_count(&cpuinfo) {
            0 => std::thread::available_parallelism().map_or(0, usize::from),
            count => count,
        };
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        Machine {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_owned()),
            cores,
            kernel,
        }
    }
}

/// The CPU model in `/proc/cpuinfo`: `model name` (x86), else the arm64 implementer and part numbers.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    field("model name").or_else(|| {
        let implementer = field("CPU implementer")?;
        let part = field("CPU part")?;
        Some(format!("CPU implementer {implementer}, part {part}"))
    })
}

/// The number of `processor` entries in `/proc/cpuinfo`.
fn processor_count(cpuinfo: &str) -> usize {
    cpuinfo
        .lines()
        .filter(|line| {
            line.split_once(':')
                .is_some_and(|(key, _)| key.trim() == "processor")
        })
        .count()
}

/// The task's flags.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask bench-notify",
    about = "Notification round-trip benchmark vs ptrace and a futex lower bound, plus the supervisor engine's emulated open and throughput rows (runs bench-notify/ in release)."
)]
struct Options {
    /// Timed calls per configuration, over all its rounds.
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Timed calls per round (the configurations are interleaved round by round).
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    round: u64,
    /// Untimed calls before the timed ones of each round.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    warmup: u64,
    /// Seconds one configuration may take.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Only these configurations (comma-separated names; `throughput` names the throughput rows).
    #[arg(long, value_name = "NAME,...")]
    only: Option<String>,
    /// Notified calls per target (8 targets) in each throughput measurement; 0 leaves the throughput
    /// rows out.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    throughput_iterations: u64,
    /// Interleaved rounds of the throughput configurations (the median round is reported).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    throughput_rounds: u64,
    /// Also write the results as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also draw the results as an SVG chart.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    util::parse_task_args("bench-notify", args)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::workspace_root().join("target"))
}

/// Builds the helper in release mode, runs it, and reports.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    util::exec(util::cargo().args(["build", "--release", "--package", "seccomp-bench-notify"]))?;
    let target = target_dir();
    let helper = target.join("release/seccomp-bench-notify");
    let raw_dir = target.join("bench-notify");
    std::fs::create_dir_all(&raw_dir).map_err(|e| format!("{}: {e}", raw_dir.display()))?;
    let raw_path = raw_dir.join("raw.txt");
    let started = Instant::now();
    let mut command = Command::new(&helper);
    if let Some(only) = &options.only {
        command.arg("--only").arg(only);
    }
    util::exec(
        command
            .arg("--iterations")
            .arg(options.iterations.to_string())
            .arg("--round")
            .arg(options.round.to_string())
            .arg("--warmup")
            .arg(options.warmup.to_string())
            .arg("--timeout")
            .arg(options.timeout.to_string())
            .arg("--throughput-iterations")
            .arg(options.throughput_iterations.to_string())
            .arg("--throughput-rounds")
            .arg(options.throughput_rounds.to_string())
            .arg("--out")
            .arg(&raw_path),
    )?;
    let elapsed = started.elapsed();
    let text = std::fs::read_to_string(&raw_path).map_err(|e| format!("{}: {e}", raw_path.display()))?;
    let raw = mechanisms::parse(&text).map_err(|e| format!("{}: {e}", raw_path.display()))?;
    let machine = Machine::probe();
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for row in &raw.rows {
        match &row.outcome {
            Ok(samples) => match stats::summarize(samples) {
                Some(summary) => results.push((row.config, summary)),
                None => failures.push(format!("{}: no timings", row.config)),
            },
            Err(message) => failures.push(format!("{}: {message}", row.config)),
        }
    }
    let command = std::iter::once("cargo xtask bench-notify".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    print!(
        "{}",
        report(
            &command,
            &machine,
            &raw,
            &options,
            &results,
            &failures,
            elapsed.as_secs_f64()
        )
    );
    if let Some(path) = &options.json {
        write(path, &json::render(&machine, &results, &raw.throughput))?;
    }
    if let Some(path) = &options.svg {
        let title = "getppid round trip: seccomp notify vs ptrace vs futex lower bound; the engine's rows";
        let subtitle = format!(
            "{}, {} CPUs, Linux {}; {} calls per row",
            machine.cpu, machine.cores, machine.kernel, options.iterations
        );
        write(
            path,
            &svg::render(title, &subtitle, &results, &raw.throughput, machine.cores),
        )?;
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} configuration(s) failed (see above)", failures.len()))
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The median of the configuration `name`, if it was measured.
fn median_of(results: &[(Config, Summary)], name: &str) -> Option<u64> {
    results
        .iter()
        .find(|(config, _)| config.name() == name)
        .map(|(_, summary)| summary.median)
}

/// The futex lower bound for `placement`.
fn futex_median(results: &[(Config, Summary)], placement: Placement) -> Option<u64> {
    results
        .iter()
        .find(|(config, _)| config.mechanism == Mechanism::Futex && config.placement == placement)
        .map(|(_, summary)| summary.median)
}

/// The table as Markdown (so that it can be pasted into the docs as is).
fn table(results: &[(Config, Summary)]) -> String {
    let mut out = String::from(
        "| configuration | median ns | p90 ns | p99 ns | max ns | median / futex (same placement) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (config, summary) in results {
        let ratio = futex_median(results, config.placement)
            .and_then(|futex| stats::ratio(summary.median, futex))
            .map_or_else(|| "-".to_owned(), |ratio| format!("{ratio:.2}x"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {ratio} |",
            config.name(),
            summary.median,
            summary.p90,
            summary.p99,
            summary.max
        );
    }
    out
}

/// The two goals of issue #6, judged on the medians of this run.
fn goals(results: &[(Config, Summary)]) -> String {
    let mut out = String::new();
    let verdict = |met: bool| if met { "MET" } else { "NOT MET" };
    let futex = futex_median(results, Placement::Same);
    for name in ["notify/same", "notify+sync/same"] {
        if let (Some(notify), Some(futex)) = (median_of(results, name), futex) {
            let over = stats::ratio(notify, futex).map_or(f64::NAN, |r| (r - 1.0) * 100.0);
            let _ = writeln!(
                out,
                "- {name} median {notify} ns vs futex/same {futex} ns: {over:+.1}% (goal: within +5%): {}",
                verdict(over <= 5.0)
            );
        }
    }
    if let (Some(notify), Some(ptrace)) = (
        median_of(results, "notify/same"),
        median_of(results, "ptrace_syscall/same"),
    ) {
        let speedup = stats::ratio(ptrace, notify).unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "- ptrace_syscall/same median {ptrace} ns / notify/same {notify} ns = {speedup:.2}x \
             (goal: at least 2.5x): {}",
            verdict(speedup >= 2.5)
        );
    }
    if out.is_empty() {
        out.push_str("- not judged: the same-CPU notify, futex or ptrace rows are missing\n");
    }
    out
}

/// The engine's latency goal of issue #10, judged on the medians of this run: the path-checked open
/// at most 2.0x the engine's plain round trip.
fn engine_goal(results: &[(Config, Summary)]) -> String {
    let find = |mechanism: Mechanism| {
        results
            .iter()
            .find(|(config, _)| config.mechanism == mechanism && !config.continue_syscall)
    };
    let Some((plain, plain_summary)) = find(Mechanism::Supervisor) else {
        return "- not judged: the supervisor rows are missing\n".to_owned();
    };
    let mut out = String::new();
    if let Some((open, open_summary)) = find(Mechanism::SupervisorOpen) {
        let ratio = stats::ratio(open_summary.median, plain_summary.median).unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "- {open} median {} ns / {plain} median {} ns = {ratio:.2}x (goal: at most 2.0x): {}",
            open_summary.median,
            plain_summary.median,
            if ratio <= 2.0 { "MET" } else { "NOT MET" }
        );
    }
    // The rows for scale: what the open cannot go below.
    let scale = [
        (
            Mechanism::SupervisorOpenFloor,
            "the least any answer by opening costs (read, one openat2, ADDFD_SEND; no credentials or root)",
        ),
        (
            Mechanism::SupervisorAddfd,
            "ADDFD_SEND of an fd opened once, the answer alone",
        ),
    ];
    for (mechanism, what) in scale {
        if let Some((row, summary)) = find(mechanism) {
            let ratio = stats::ratio(summary.median, plain_summary.median).unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "- {row} median {} ns / {plain} median {} ns = {ratio:.2}x: {what}",
                summary.median, plain_summary.median,
            );
        }
    }
    if out.is_empty() {
        out.push_str("- not judged: the supervisor_open rows are missing\n");
    }
    out
}

/// The ratio of throughput row `two` to the 1-thread row of the same handler and `SYNC_WAKE_UP`.
fn scaling(rows: &[(ThroughputConfig, Measured)], two: &ThroughputConfig) -> Option<(Measured, f64)> {
    let (_, one) = rows.iter().find(|(config, _)| {
        config.threads == 1 && config.work == two.work && config.sync_wakeup == two.sync_wakeup
    })?;
    let (_, measured) = rows.iter().find(|(config, _)| config == two)?;
    (one.rate > 0.0).then(|| (*one, measured.rate / one.rate))
}

/// The most a row's CPU times allow on `cpus` CPUs: `cpus / (S + T)` notifications per second.
fn cpu_bound(measured: &Measured, cpus: usize) -> f64 {
    let per = measured.supervisor_ns + measured.target_ns;
    if per > 0.0 {
        cpus as f64 * 1e9 / per
    } else {
        f64::INFINITY
    }
}

/// The most 2 threads can scale over 1, from the 1-thread row's CPU times on `cpus` CPUs:
/// `min(2, cpus S / (S + T))` (the 1-thread rate is at most `1 / S`, any rate at most `cpus / (S + T)`).
fn scaling_bound(one: &Measured, cpus: usize) -> f64 {
    let per = one.supervisor_ns + one.target_ns;
    if per > 0.0 {
        (cpus as f64 * one.supervisor_ns / per).min(2.0)
    } else {
        2.0
    }
}

/// The throughput table as Markdown.
fn throughput_table(rows: &[(ThroughputConfig, Measured)], cpus: usize) -> String {
    let mut out = format!(
        "| handler | SYNC_WAKE_UP | threads | notifications/s | S µs | T µs | CPUs busy | bound {cpus}/(S+T) /s | scaling 1 -> 2 | bound on the scaling |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    );
    for (config, measured) in rows {
        let (scale, bound) = match (config.threads, scaling(rows, config)) {
            (2, Some((one, ratio))) => (
                format!("{ratio:.2}x"),
                format!("{:.2}x", scaling_bound(&one, cpus)),
            ),
            _ => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {scale} | {bound} |",
            config.work.name(),
            if config.sync_wakeup { "on" } else { "off" },
            config.threads,
            measured.rate,
            measured.supervisor_ns / 1e3,
            measured.target_ns / 1e3,
            measured.rate * (measured.supervisor_ns + measured.target_ns) / 1e9,
            cpu_bound(measured, cpus),
        );
    }
    out
}

/// The throughput goal of issue #10: at least 1.6x from 1 to 2 threads, per handler, with the engine's
/// default `SYNC_WAKE_UP`.
fn throughput_goal(rows: &[(ThroughputConfig, Measured)], cpus: usize) -> String {
    let mut out = String::new();
    for (config, _) in rows.iter().filter(|(config, _)| config.threads == 2) {
        if let Some((one, ratio)) = scaling(rows, config) {
            let _ = writeln!(
                out,
                "- throughput {} (SYNC_WAKE_UP {}): 2 threads / 1 thread = {ratio:.2}x, CPU bound {:.2}x \
                 (goal: at least 1.6x): {}",
                config.work.name(),
                if config.sync_wakeup { "on" } else { "off" },
                scaling_bound(&one, cpus),
                if ratio >= 1.6 { "MET" } else { "NOT MET" }
            );
        }
    }
    if out.is_empty() {
        out.push_str("- not judged: no throughput rows\n");
    }
    out
}

/// The whole terminal report.
fn report(
    command: &str,
    machine: &Machine,
    raw: &RawRun,
    options: &Options,
    results: &[(Config, Summary)],
    failures: &[String],
    seconds: f64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\ncommand: {command}");
    let _ = writeln!(
        out,
        "machine: {}; {} CPUs; Linux {}",
        machine.cpu, machine.cores, machine.kernel
    );
    let diff = match raw.cpu_b {
        Some(b) => format!("target on CPU {}, supervisor/tracer/peer on CPU {b}", raw.cpu_a),
        None => "skipped (one CPU)".to_owned(),
    };
    let _ = writeln!(
        out,
        "pinning: same = both processes on CPU {}; diff = {diff}; any = unpinned",
        raw.cpu_a
    );
    let _ = writeln!(
        out,
        "iterations: {} timed calls per configuration, interleaved in rounds of {} (plus {} warm-up calls \
         per round); measured in {seconds:.1} s",
        options.iterations, options.round, options.warmup
    );
    for note in &raw.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "\n{}", table(results));
    for failure in failures {
        let _ = writeln!(out, "FAILED {failure}");
    }
    let _ = writeln!(out, "goals (issue #6):\n{}", goals(results));
    if !raw.throughput.is_empty() {
        let _ = writeln!(
            out,
            "throughput: {} targets, one listener, {} notified calls per target, median of {} interleaved \
             rounds; S and T: supervisor and target CPU time per notification\n\n{}",
            seccomp_bench_notify::throughput::TARGETS,
            options.throughput_iterations,
            options.throughput_rounds,
            throughput_table(&raw.throughput, machine.cores)
        );
    }
    let _ = writeln!(
        out,
        "goals (issue #10):\n{}{}",
        engine_goal(results),
        throughput_goal(&raw.throughput, machine.cores)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(
        mechanism: Mechanism,
        placement: Placement,
        sync_wakeup: bool,
        median: u64,
    ) -> (Config, Summary) {
        (
            Config {
                mechanism,
                placement,
                sync_wakeup,
                continue_syscall: false,
            },
            Summary {
                iterations: 10,
                min: median,
                p10: median,
                median,
                p90: median + 1,
                p99: median + 2,
                max: median + 3,
            },
        )
    }

    #[test]
    fn cpu_model_comes_from_model_name_or_the_arm64_ids() {
        let x86 =
            "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(x86).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(processor_count(x86), 2);
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n";
        assert_eq!(
            cpu_model(arm).as_deref(),
            Some("CPU implementer 0x41, part 0xd0c")
        );
        assert_eq!(processor_count(arm), 1);
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn ratios_are_taken_against_the_futex_of_the_same_placement() {
        let results = [
            result(Mechanism::Futex, Placement::Same, false, 1000),
            result(Mechanism::Futex, Placement::Diff, false, 4000),
            result(Mechanism::Notify, Placement::Same, false, 1020),
            result(Mechanism::Notify, Placement::Diff, false, 6000),
            result(Mechanism::Notify, Placement::Any, false, 1500),
        ];
        let table = table(&results);
        assert!(
            table.contains("| notify/same | 1020 | 1021 | 1022 | 1023 | 1.02x |"),
            "{table}"
        );
        assert!(
            table.contains("| notify/diff | 6000 | 6001 | 6002 | 6003 | 1.50x |"),
            "{table}"
        );
        // No futex/any row: no ratio rather than a wrong one.
        assert!(
            table.contains("| notify/any | 1500 | 1501 | 1502 | 1503 | - |"),
            "{table}"
        );
    }

    #[test]
    fn goals_are_judged_from_the_medians() {
        let results = [
            result(Mechanism::Futex, Placement::Same, false, 1000),
            result(Mechanism::Notify, Placement::Same, false, 1060),
            result(Mechanism::Notify, Placement::Same, true, 1040),
            result(Mechanism::PtraceSyscall, Placement::Same, false, 3000),
        ];
        let text = goals(&results);
        assert!(
            text.contains(
                "notify/same median 1060 ns vs futex/same 1000 ns: +6.0% (goal: within +5%): NOT MET"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "notify+sync/same median 1040 ns vs futex/same 1000 ns: +4.0% (goal: within +5%): MET"
            ),
            "{text}"
        );
        assert!(text.contains("= 2.83x (goal: at least 2.5x): MET"), "{text}");
        assert!(goals(&[]).contains("not judged"));
    }

    #[test]
    fn options_default_and_refuse_bad_values() {
        let options = parse_options(&[]).unwrap();
        assert_eq!(
            (options.iterations, options.round, options.json),
            (20_000, 2_000, None)
        );
        let args: Vec<String> = ["--iterations", "100", "--json", "out.json", "--svg", "out.svg"]
            .map(str::to_owned)
            .into();
        let options = parse_options(&args).unwrap();
        assert_eq!(options.iterations, 100);
        assert_eq!(options.json, Some(PathBuf::from("out.json")));
        assert_eq!(options.svg, Some(PathBuf::from("out.svg")));
        for bad in [
            &["--iterations", "0"][..],
            &["--iterations", "x"],
            &["--round"],
            &["--fast"],
        ] {
            let args: Vec<String> = bad.iter().map(|s| (*s).to_owned()).collect();
            assert!(parse_options(&args).is_err(), "{bad:?} accepted");
        }
    }
}
