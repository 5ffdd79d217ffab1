//! `seccomp-bench-notify`: runs every configuration in interleaved rounds and writes the raw timings.
//!
//! Usually started by `cargo xtask bench-notify`, which builds it in release mode and reads its output.
//! Usage: `seccomp-bench-notify [--iterations N] [--round N] [--warmup N] [--timeout SECS]
//! [--only NAME,...] [--throughput-iterations N] [--throughput-rounds N] --out FILE` (`--only throughput`
//! names the throughput rows; `--throughput-iterations 0` leaves them out), or
//! `seccomp-bench-notify --latency [N]` for the post-to-receive latency (printed as a table).

use seccomp_bench_notify::output::{self, Outcome};
use seccomp_bench_notify::plan::{self, Cpus, Support};
use seccomp_bench_notify::round::{self, Round};
use seccomp_bench_notify::shared::Shared;
use seccomp_bench_notify::{emulated, throughput};
use seccomp_core::action::Action;
use seccomp_sys::probe;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

struct Options {
    iterations: u64,
    round: u64,
    warmup: u64,
    timeout: Duration,
    only: Vec<String>,
    throughput_iterations: u64,
    throughput_rounds: u64,
    out: PathBuf,
}

/// The `--only` name of the throughput rows.
const THROUGHPUT: &str = "throughput";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        iterations: 20_000,
        round: 2_000,
        warmup: 200,
        timeout: Duration::from_secs(60),
        only: Vec::new(),
        throughput_iterations: 10_000,
        throughput_rounds: 3,
        out: PathBuf::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .and_then(|text| {
                    text.parse::<u64>()
                        .map_err(|e| format!("{name} {text}: not a number ({e})"))
                })
        };
        match arg.as_str() {
            "--iterations" => options.iterations = value("--iterations")?,
            "--round" => options.round = value("--round")?,
            "--warmup" => options.warmup = value("--warmup")?,
            "--timeout" => options.timeout = Duration::from_secs(value("--timeout")?),
            "--throughput-iterations" => options.throughput_iterations = value("--throughput-iterations")?,
            "--throughput-rounds" => options.throughput_rounds = value("--throughput-rounds")?.max(1),
            "--only" => {
                let names = args.next().ok_or("--only needs a value")?;
                options.only.extend(names.split(',').map(str::to_owned));
            }
            "--out" => {
                options.out = args.next().ok_or("--out needs a value")?.into();
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.out.as_os_str().is_empty() {
        return Err("--out FILE is required".to_owned());
    }
    if options.iterations == 0 || options.round == 0 {
        return Err("--iterations and --round must be at least 1".to_owned());
    }
    Ok(options)
}

fn support(notes: &mut Vec<String>) -> Support {
    let listener = probe::listener_ioctls();
    if let Err(error) = &listener {
        notes.push(format!("probing the listener ioctls failed: {error}"));
    }
    let release = probe::kernel_release();
    Support {
        notify: probe::action_available(Action::NOTIFY).is_yes() && listener.is_ok(),
        sync_wakeup: listener.is_ok_and(|ioctls| ioctls.set_flags_sync_wake_up.is_yes()),
        continue_syscall: release.version().is_some_and(|version| version >= (5, 5, 0)),
        trace: probe::action_available(Action(seccomp_core::abi::RET_TRACE)).is_yes(),
    }
}

/// A temporary directory `data` holding the file `f`, for the rows that open a file beneath a tree;
/// removed on drop.
struct OpenTree {
    dir: PathBuf,
}

impl OpenTree {
    fn new() -> Result<OpenTree, String> {
        let dir = std::env::temp_dir().join(format!("seccomp-bench-notify-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data"))
            .and_then(|()| std::fs::write(dir.join("data/f"), b"x"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(OpenTree { dir })
    }

    fn tree(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn file(&self) -> String {
        self.dir.join("data/f").display().to_string()
    }
}

impl Drop for OpenTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One turn of a round: a configuration run by `round::run` in a peer process, or the engine rows, which
/// `emulated::measure` measures together in this process.
#[derive(Clone, Copy)]
enum Unit {
    Peer(usize),
    Engine,
}

fn run(options: &Options) -> Result<(), String> {
    let allowed = seccomp_bench_notify::allowed_cpus().map_err(|e| format!("sched_getaffinity: {e}"))?;
    let cpus = match allowed.as_slice() {
        [] => return Err("sched_getaffinity reported no CPU".to_owned()),
        [a] => Cpus { a: *a, b: None },
        [a, b, ..] => Cpus { a: *a, b: Some(*b) },
    };
    let mut notes = Vec::new();
    let support = support(&mut notes);
    let only: Vec<String> = options
        .only
        .iter()
        .filter(|name| *name != THROUGHPUT)
        .cloned()
        .collect();
    let throughput = options.throughput_iterations > 0
        && support.notify
        && (options.only.is_empty() || options.only.iter().any(|name| name == THROUGHPUT));
    let configs = if options.only.is_empty() || !only.is_empty() {
        plan::select(plan::plan(cpus, support, &mut notes), &only)?
    } else {
        Vec::new()
    };
    let engine_rows = plan::engine_rows(support);
    let mut units: Vec<Unit> = (0..configs.len())
        .filter(|&index| !configs[index].mechanism.is_engine())
        .map(Unit::Peer)
        .collect();
    if configs.iter().any(|config| config.mechanism.is_engine()) {
        units.push(Unit::Engine);
    }
    let open_tree = OpenTree::new()?;
    let shared =
        Shared::new(options.round as usize).map_err(|e| format!("mmap of the shared memory: {e}"))?;
    let mut outcomes: Vec<Outcome> = configs.iter().map(|_| Ok(Vec::new())).collect();
    let rounds = options.iterations.div_ceil(options.round);
    for index in 0..rounds {
        let iterations = options.round.min(options.iterations - index * options.round);
        eprint!(
            "\rround {}/{rounds} ({} configurations)",
            index + 1,
            configs.len()
        );
        // Rotate the order every round so that no configuration always follows the same one.
        for offset in 0..units.len() {
            match units.get((offset + index as usize) % units.len()) {
                Some(Unit::Peer(which)) => {
                    let (Some(config), Some(outcome)) = (configs.get(*which), outcomes.get_mut(*which))
                    else {
                        continue;
                    };
                    let Ok(samples) = outcome else { continue };
                    let round = Round {
                        config: *config,
                        cpus,
                        warmup: options.warmup,
                        iterations,
                        answer_offset: 0,
                    };
                    match round::run(&round, &shared, options.timeout) {
                        Ok(new) => samples.extend(new),
                        Err(error) => *outcome = Err(format!("{config}: {error}")),
                    }
                }
                Some(Unit::Engine) => {
                    let measured = emulated::measure(
                        &open_tree.tree(),
                        &open_tree.file(),
                        1,
                        iterations as usize,
                        options.warmup as usize,
                    );
                    for row in &engine_rows {
                        let Some(kind) = row.engine_kind() else { continue };
                        let Some(which) = configs.iter().position(|config| config == row) else {
                            continue;
                        };
                        let Some(outcome) = outcomes.get_mut(which) else {
                            continue;
                        };
                        let Ok(samples) = outcome else { continue };
                        match &measured {
                            Ok(kinds) => samples.extend(kinds.get(kind).into_iter().flatten()),
                            Err(error) => *outcome = Err(format!("{row}: {error}")),
                        }
                    }
                }
                None => {}
            }
        }
    }
    eprintln!();
    let throughput_rows = if throughput {
        eprintln!(
            "throughput: {} configurations x {} rounds",
            throughput::configs().len(),
            options.throughput_rounds
        );
        throughput::run(
            options.throughput_iterations,
            options.throughput_rounds,
            &open_tree.tree(),
            &open_tree.file(),
        )?
    } else {
        Vec::new()
    };
    let rows: Vec<_> = configs.into_iter().zip(outcomes).collect();
    let file = std::fs::File::create(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    output::write(&mut out, cpus, &notes, &rows, &throughput_rows)
        .and_then(|()| out.flush())
        .map_err(|e| format!("{}: {e}", options.out.display()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--throughput-target") => seccomp_bench_notify::throughput::target(&args[1..]),
        Some("--latency-target") => {
            let iterations = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            seccomp_bench_notify::throughput::latency_target(iterations)
        }
        Some("--latency") => {
            let iterations = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
            return match seccomp_bench_notify::throughput::latency(iterations) {
                Ok(table) => {
                    println!("{table}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("seccomp-bench-notify: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    match parse(&args).and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seccomp-bench-notify: {message}");
            ExitCode::FAILURE
        }
    }
}
