//! The raw text the xtask reads: every timing of every configuration, plus the facts the table needs.
//!
//! ```text
//! seccomp-bench-notify 2
//! cpus 0 1                      (the pinned CPUs: target/same, then diff-peer or "-")
//! note <text>                   (one per skipped group or caveat)
//! row notify same 1 0           (mechanism, placement, sync_wakeup, continue)
//! samples 812 790 ...           (nanoseconds per round trip, in measurement order)
//! failed <message>              (instead of `samples` when the configuration failed)
//! throughput getppid_value 2 1 181652 1484 1125
//!                               (handler, threads, sync_wakeup, notifications/s, supervisor and target
//!                                CPU ns per notification; after the rows)
//! ```

use crate::plan::{Config, Cpus};
use crate::throughput;
use std::io::{self, Write};

/// The first line, naming the format and its version.
pub const HEADER: &str = "seccomp-bench-notify 2";

/// One configuration's outcome: its timings, or why it has none.
pub type Outcome = Result<Vec<u64>, String>;

/// Writes the whole run in the format above.
pub fn write(
    out: &mut impl Write,
    cpus: Cpus,
    notes: &[String],
    rows: &[(Config, Outcome)],
    throughput: &[(throughput::Config, throughput::Measured)],
) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    match cpus.b {
        Some(b) => writeln!(out, "cpus {} {b}", cpus.a)?,
        None => writeln!(out, "cpus {} -", cpus.a)?,
    }
    for note in notes {
        writeln!(out, "note {}", one_line(note))?;
    }
    for (config, outcome) in rows {
        writeln!(
            out,
            "row {} {} {} {}",
            config.mechanism.name(),
            config.placement.name(),
            u8::from(config.sync_wakeup),
            u8::from(config.continue_syscall)
        )?;
        match outcome {
            Ok(samples) => {
                out.write_all(b"samples")?;
                for sample in samples {
                    write!(out, " {sample}")?;
                }
                out.write_all(b"\n")?;
            }
            Err(message) => writeln!(out, "failed {}", one_line(message))?,
        }
    }
    for (config, measured) in throughput {
        writeln!(
            out,
            "throughput {} {} {} {:.0} {:.0} {:.0}",
            config.work.name(),
            config.threads,
            u8::from(config.sync_wakeup),
            measured.rate,
            measured.supervisor_ns,
            measured.target_ns
        )?;
    }
    out.flush()
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Mechanism, Placement};

    #[test]
    fn rows_are_written_with_their_samples_or_their_failure() {
        let config = Config {
            mechanism: Mechanism::Notify,
            placement: Placement::Diff,
            sync_wakeup: true,
            continue_syscall: false,
        };
        let futex = Config {
            mechanism: Mechanism::Futex,
            sync_wakeup: false,
            ..config
        };
        let mut out = Vec::new();
        let rows = [(config, Ok(vec![5, 7])), (futex, Err("broken\npipe".to_owned()))];
        let throughput = [(
            throughput::Config {
                work: throughput::Work::Open,
                threads: 2,
                sync_wakeup: true,
            },
            throughput::Measured {
                rate: 1234.4,
                supervisor_ns: 5000.6,
                target_ns: 2000.0,
            },
        )];
        write(
            &mut out,
            Cpus { a: 0, b: Some(1) },
            &["a note".to_owned()],
            &rows,
            &throughput,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "seccomp-bench-notify 2\ncpus 0 1\nnote a note\nrow notify diff 1 0\nsamples 5 7\n\
             row futex diff 0 0\nfailed broken pipe\nthroughput openat_emulated 2 1 1234 5001 2000\n"
        );
    }
}
