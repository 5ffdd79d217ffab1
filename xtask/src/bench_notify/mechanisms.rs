//! The configurations as the xtask sees them, read from the helper's raw output (see the helper's
//! `output` module for the format), with the names used in the table, the JSON and the SVG.

// The configuration types are the measuring helper's own, so the two sides cannot drift apart.
pub use seccomp_bench_notify::plan::{Config, Mechanism, Placement};
pub use seccomp_bench_notify::throughput::{Config as ThroughputConfig, Measured, Work};

/// One configuration's outcome in the raw output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The configuration.
    pub config: Config,
    /// Its timings in nanoseconds, or the failure the helper reported.
    pub outcome: Result<Vec<u64>, String>,
}

/// The whole raw output.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRun {
    /// The target's CPU (and the supervisor's for `same`).
    pub cpu_a: usize,
    /// The supervisor's CPU for `diff`, if there was a second CPU.
    pub cpu_b: Option<usize>,
    /// The helper's notes (skipped groups).
    pub notes: Vec<String>,
    /// The rows, in the helper's order.
    pub rows: Vec<Row>,
    /// The throughput rows, in the helper's order.
    pub throughput: Vec<(ThroughputConfig, Measured)>,
}

const HEADER: &str = seccomp_bench_notify::output::HEADER;

/// Parses the helper's raw output. Errors name the line (1-based) and what is wrong with it.
pub fn parse(text: &str) -> Result<RawRun, String> {
    let mut lines = text.lines().enumerate().map(|(index, line)| (index + 1, line));
    match lines.next() {
        Some((_, HEADER)) => {}
        Some((_, other)) => return Err(format!("line 1: expected `{HEADER}`, found `{}`", clip(other))),
        None => return Err("the raw output is empty".to_owned()),
    }
    let mut run = RawRun {
        cpu_a: 0,
        cpu_b: None,
        notes: Vec::new(),
        rows: Vec::new(),
        throughput: Vec::new(),
    };
    let mut saw_cpus = false;
    let mut pending: Option<(usize, Config)> = None;
    for (number, line) in lines {
        let at = |message: String| format!("line {number}: {message}");
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        match keyword {
            "cpus" => {
                let fields: Vec<&str> = rest.split(' ').collect();
                let [a, b] = fields.as_slice() else {
                    return Err(at(format!("`cpus` needs two fields, found `{}`", clip(rest))));
                };
                run.cpu_a = a
                    .parse()
                    .map_err(|_| at(format!("bad CPU number `{}`", clip(a))))?;
                run.cpu_b = match *b {
                    "-" => None,
                    b => Some(
                        b.parse()
                            .map_err(|_| at(format!("bad CPU number `{}`", clip(b))))?,
                    ),
                };
                saw_cpus = true;
            }
            "note" => run.notes.push(rest.to_owned()),
            "row" => {
                if let Some((row_line, _)) = pending {
                    return Err(at(format!(
                        "the row of line {row_line} has no `samples` or `failed` line"
                    )));
                }
                pending = Some((number, parse_config(rest).map_err(at)?));
            }
            "samples" | "failed" => {
                let Some((_, config)) = pending.take() else {
                    return Err(at(format!("`{keyword}` without a `row` line before it")));
                };
                let outcome = if keyword == "failed" {
                    Err(rest.to_owned())
                } else {
                    Ok(rest
                        .split_ascii_whitespace()
                        .map(|value| value.parse::<u64>())
                        .collect::<Result<Vec<u64>, _>>()
                        .map_err(|e| at(format!("a timing is not a whole number of nanoseconds ({e})")))?)
                };
                run.rows.push(Row { config, outcome });
            }
            "throughput" => run.throughput.push(parse_throughput(rest).map_err(at)?),
            other => return Err(at(format!("unknown line kind `{}`", clip(other)))),
        }
    }
    if let Some((row_line, _)) = pending {
        return Err(format!(
            "the row of line {row_line} has no `samples` or `failed` line"
        ));
    }
    if !saw_cpus {
        return Err("the raw output has no `cpus` line".to_owned());
    }
    Ok(run)
}

fn parse_config(fields: &str) -> Result<Config, String> {
    let fields: Vec<&str> = fields.split(' ').collect();
    let [mechanism, placement, sync, cont] = fields.as_slice() else {
        return Err(format!("`row` needs 4 fields, found {}", fields.len()));
    };
    let flag = |text: &str, what: &str| match text {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(format!("{what} must be 0 or 1, found `{}`", clip(other))),
    };
    Ok(Config {
        mechanism: Mechanism::from_name(mechanism)
            .ok_or_else(|| format!("unknown mechanism `{}`", clip(mechanism)))?,
        placement: Placement::from_name(placement)
            .ok_or_else(|| format!("unknown CPU placement `{}`", clip(placement)))?,
        sync_wakeup: flag(sync, "sync_wakeup")?,
        continue_syscall: flag(cont, "continue")?,
    })
}

fn parse_throughput(fields: &str) -> Result<(ThroughputConfig, Measured), String> {
    let fields: Vec<&str> = fields.split(' ').collect();
    let [work, threads, sync, rate, supervisor, target] = fields.as_slice() else {
        return Err(format!("`throughput` needs 6 fields, found {}", fields.len()));
    };
    let number = |text: &str, what: &str| {
        text.parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
            .ok_or_else(|| format!("{what} must be a number, found `{}`", clip(text)))
    };
    let config = ThroughputConfig {
        work: Work::from_name(work).ok_or_else(|| format!("unknown handler `{}`", clip(work)))?,
        threads: threads
            .parse()
            .map_err(|_| format!("bad thread count `{}`", clip(threads)))?,
        sync_wakeup: match *sync {
            "0" => false,
            "1" => true,
            other => return Err(format!("sync_wakeup must be 0 or 1, found `{}`", clip(other))),
        },
    };
    let measured = Measured {
        rate: number(rate, "the rate")?,
        supervisor_ns: number(supervisor, "the supervisor CPU time")?,
        target_ns: number(target, "the target CPU time")?,
    };
    Ok((config, measured))
}

/// At most 40 characters of `text`, for error messages about a bad line.
fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(40).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(text: &str, expected: &str) {
        match parse(text) {
            Err(message) => assert!(message.contains(expected), "`{message}` lacks `{expected}`"),
            Ok(run) => panic!("accepted: {run:?}"),
        }
    }

    #[test]
    fn a_complete_raw_output_parses_into_rows() {
        let text = "seccomp-bench-notify 2\ncpus 0 1\nnote one CPU\nrow notify same 1 0\nsamples 5 7 6\n\
                    row ret_trace diff 0 0\nfailed a ptrace request failed\n";
        let run = parse(text).unwrap();
        assert_eq!((run.cpu_a, run.cpu_b), (0, Some(1)));
        assert_eq!(run.notes, ["one CPU"]);
        assert_eq!(run.rows.len(), 2);
        assert_eq!(run.rows[0].config.name(), "notify+sync/same");
        assert_eq!(run.rows[0].outcome, Ok(vec![5, 7, 6]));
        assert_eq!(run.rows[1].config.name(), "ret_trace/diff");
        assert_eq!(run.rows[1].outcome, Err("a ptrace request failed".to_owned()));
        assert!(run.throughput.is_empty());
    }

    #[test]
    fn throughput_lines_parse_into_their_rows() {
        let text = "seccomp-bench-notify 2\ncpus 0 1\nthroughput openat_emulated 2 1 40000 9000 3500\n";
        let run = parse(text).unwrap();
        let (config, measured) = run.throughput[0];
        assert_eq!(
            config,
            ThroughputConfig {
                work: Work::Open,
                threads: 2,
                sync_wakeup: true
            }
        );
        assert_eq!(
            (measured.rate, measured.supervisor_ns, measured.target_ns),
            (40000.0, 9000.0, 3500.0)
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nthroughput teleport 1 1 1 1 1\n",
            "line 3: unknown handler",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nthroughput getppid_value 1 1 x 1 1\n",
            "the rate must be a number",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nthroughput getppid_value 1 1\n",
            "needs 6 fields",
        );
    }

    #[test]
    fn names_spell_out_continue_and_sync() {
        let config = Config {
            mechanism: Mechanism::Notify,
            placement: Placement::Any,
            sync_wakeup: true,
            continue_syscall: true,
        };
        assert_eq!(config.name(), "notify+continue+sync/any");
        let bare = Config {
            mechanism: Mechanism::Bare,
            sync_wakeup: false,
            continue_syscall: false,
            ..config
        };
        assert_eq!(bare.name(), "bare/any");
    }

    #[test]
    fn a_single_cpu_is_written_as_a_dash() {
        let run = parse("seccomp-bench-notify 2\ncpus 3 -\n").unwrap();
        assert_eq!((run.cpu_a, run.cpu_b), (3, None));
    }

    #[test]
    fn malformed_outputs_are_refused_with_the_line_and_the_reason() {
        check_error("", "empty");
        check_error("something else\n", "line 1: expected");
        check_error(
            "seccomp-bench-notify 2\nrow notify same 0 0\n",
            "line 2 has no `samples`",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nsamples 1 2\n",
            "line 3: `samples` without a `row`",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nrow teleport same 0 0\n",
            "line 3: unknown mechanism",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nrow notify far 0 0\n",
            "unknown CPU placement",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nrow notify same 2 0\n",
            "sync_wakeup must be 0 or 1",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nrow notify same 0\n",
            "needs 4 fields",
        );
        check_error(
            "seccomp-bench-notify 2\ncpus 0 1\nrow bare any 0 0\nsamples 1 -2\n",
            "line 4: a timing is not a whole number",
        );
        check_error("seccomp-bench-notify 2\ncpus x 1\n", "line 2: bad CPU number `x`");
        check_error(
            "seccomp-bench-notify 2\nrow bare any 0 0\nsamples 1\n",
            "no `cpus` line",
        );
        check_error(
            "seccomp-bench-notify 2\nbogus\n",
            "line 2: unknown line kind `bogus`",
        );
    }
}
