//! The `--json FILE` output, in one stable shape:
//!
//! ```text
//! {"machine": {"cpu": ..., "cores": ..., "kernel": ...},
//!  "results": [{"name": ..., "mechanism": "bare|errno|notify|ptrace_syscall|ret_trace|futex",
//!               "cpu": "same|diff|any", "sync_wakeup": bool, "continue": bool, "iterations": N,
//!               "median_ns": ..., "p90_ns": ..., "p99_ns": ..., "max_ns": ...}],
//!  "throughput": [{"handler": "getppid_value|openat_emulated", "threads": N, "sync_wakeup": bool,
//!                  "notifications_per_s": ..., "supervisor_cpu_ns": ..., "target_cpu_ns": ...}]}
//! ```
//!
//! `mechanism` is also `supervisor` (the engine's own round trip) or `supervisor_open` (its
//! path-checked `openat`; with `continue`, answered `CONTINUE`). The CPU times are per notification.
//!
//! serde_json writes every value (and escapes every string); this module only lays the document out: the
//! machine on one line and one result per line, each object compact with a space after `:` and `,`.
//! Only configurations that produced timings appear; failed ones are reported on the terminal.

use super::Machine;
use super::mechanisms::{Config, Measured, ThroughputConfig};
use super::stats::Summary;
use serde::Serialize;
use std::io;

/// The `machine` member.
#[derive(Serialize)]
struct MachineJson<'a> {
    cpu: &'a str,
    cores: usize,
    kernel: &'a str,
}

/// One member of `results`, in the documented key order.
#[derive(Serialize)]
struct ResultJson<'a> {
    name: String,
    mechanism: &'a str,
    cpu: &'a str,
    sync_wakeup: bool,
    #[serde(rename = "continue")]
    continue_syscall: bool,
    iterations: usize,
    median_ns: u64,
    p90_ns: u64,
    p99_ns: u64,
    max_ns: u64,
}

/// One member of `throughput`, in the documented key order.
#[derive(Serialize)]
struct ThroughputJson {
    handler: &'static str,
    threads: usize,
    sync_wakeup: bool,
    notifications_per_s: u64,
    supervisor_cpu_ns: u64,
    target_cpu_ns: u64,
}

/// serde_json's compact layout with a space after every `:` and `,` of an object.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// One value on one line, laid out by [`Spaced`].
fn line<T: Serialize>(value: &T) -> String {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, Spaced);
    // Serializing these plain structs into memory cannot fail, and serde_json writes UTF-8.
    let _ = value.serialize(&mut serializer);
    String::from_utf8(bytes).unwrap_or_default()
}

/// The JSON document for `machine`, `results` and `throughput`, one result per line, ending with a
/// newline.
pub fn render(
    machine: &Machine,
    results: &[(Config, Summary)],
    throughput: &[(ThroughputConfig, Measured)],
) -> String {
    let machine = MachineJson {
        cpu: &machine.cpu,
        cores: machine.cores,
        kernel: &machine.kernel,
    };
    let mut out = format!("{{\n  \"machine\": {},\n  \"results\": [\n", line(&machine));
    for (index, (config, summary)) in results.iter().enumerate() {
        let result = ResultJson {
            name: config.name(),
            mechanism: config.mechanism.name(),
            cpu: config.placement.name(),
            sync_wakeup: config.sync_wakeup,
            continue_syscall: config.continue_syscall,
            iterations: summary.iterations,
            median_ns: summary.median,
            p90_ns: summary.p90,
            p99_ns: summary.p99,
            max_ns: summary.max,
        };
        let comma = if index + 1 < results.len() { "," } else { "" };
        out.push_str(&format!("    {}{comma}\n", line(&result)));
    }
    out.push_str("  ],\n  \"throughput\": [\n");
    for (index, (config, measured)) in throughput.iter().enumerate() {
        let row = ThroughputJson {
            handler: config.work.name(),
            threads: config.threads,
            sync_wakeup: config.sync_wakeup,
            notifications_per_s: measured.rate.round() as u64,
            supervisor_cpu_ns: measured.supervisor_ns.round() as u64,
            target_cpu_ns: measured.target_ns.round() as u64,
        };
        let comma = if index + 1 < throughput.len() { "," } else { "" };
        out.push_str(&format!("    {}{comma}\n", line(&row)));
    }
    out.push_str("  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::mechanisms::{Mechanism, Placement};
    use super::*;
    use serde_json::Value;

    fn summary(median: u64) -> Summary {
        Summary {
            iterations: 2000,
            min: median / 2,
            p10: median - 1,
            median,
            p90: median + 1,
            p99: median + 2,
            max: median * 10,
        }
    }

    fn machine() -> Machine {
        Machine {
            cpu: "AMD \"EPYC\"\t7B13\\".to_owned(),
            cores: 2,
            kernel: "6.18.0".to_owned(),
        }
    }

    fn results() -> Vec<(Config, Summary)> {
        let notify = Config {
            mechanism: Mechanism::Notify,
            placement: Placement::Same,
            sync_wakeup: true,
            continue_syscall: false,
        };
        let futex = Config {
            mechanism: Mechanism::Futex,
            placement: Placement::Diff,
            sync_wakeup: false,
            continue_syscall: false,
        };
        vec![(notify, summary(1700)), (futex, summary(1600))]
    }

    fn throughput() -> Vec<(ThroughputConfig, Measured)> {
        vec![(
            ThroughputConfig {
                work: super::super::mechanisms::Work::Open,
                threads: 2,
                sync_wakeup: false,
            },
            Measured {
                rate: 41000.4,
                supervisor_ns: 9000.6,
                target_ns: 3500.0,
            },
        )]
    }

    #[test]
    fn the_document_is_exactly_the_stable_shape() {
        let text = render(&machine(), &results(), &throughput());
        let document: Value = serde_json::from_str(&text).unwrap();
        let keys = |value: &Value| {
            let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&document), ["machine", "results", "throughput"]);
        let throughput = &document["throughput"][0];
        assert_eq!(
            keys(throughput),
            [
                "handler",
                "notifications_per_s",
                "supervisor_cpu_ns",
                "sync_wakeup",
                "target_cpu_ns",
                "threads"
            ]
        );
        assert_eq!(throughput["handler"], "openat_emulated");
        assert_eq!(throughput["notifications_per_s"], 41000);
        assert_eq!(throughput["supervisor_cpu_ns"], 9001);
        assert_eq!(keys(&document["machine"]), ["cores", "cpu", "kernel"]);
        assert_eq!(document["machine"]["cpu"], "AMD \"EPYC\"\t7B13\\");
        assert_eq!(document["machine"]["cores"], 2);
        assert_eq!(document["machine"]["kernel"], "6.18.0");
        let results = document["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let mut expected_keys = [
            "name",
            "mechanism",
            "cpu",
            "sync_wakeup",
            "continue",
            "iterations",
            "median_ns",
            "p90_ns",
            "p99_ns",
            "max_ns",
        ];
        expected_keys.sort_unstable();
        for result in results {
            assert_eq!(keys(result), expected_keys);
        }
        let first = &results[0];
        assert_eq!(first["name"], "notify+sync/same");
        assert_eq!(first["mechanism"], "notify");
        assert_eq!(first["cpu"], "same");
        assert_eq!(first["sync_wakeup"], true);
        assert_eq!(first["continue"], false);
        assert_eq!(first["iterations"], 2000);
        assert_eq!(first["median_ns"], 1700);
        assert_eq!(first["p90_ns"], 1701);
        assert_eq!(first["p99_ns"], 1702);
        assert_eq!(first["max_ns"], 17000);
        assert_eq!(results[1]["mechanism"], "futex");
        assert_eq!(results[1]["cpu"], "diff");
    }

    #[test]
    fn no_results_is_still_a_valid_document() {
        let document: Value = serde_json::from_str(&render(&machine(), &[], &[])).unwrap();
        assert_eq!(document["results"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn the_layout_is_byte_for_byte_the_one_the_hand_written_writer_produced_plus_throughput() {
        // The text the writer before serde_json produced for these inputs, then the `throughput` member
        // (added with the engine's rows).
        let expected = concat!(
            "{\n",
            "  \"machine\": {\"cpu\": \"AMD \\\"EPYC\\\"\\t7B13\\\\\", \"cores\": 2, \"kernel\": \"6.18.0\"},\n",
            "  \"results\": [\n",
            "    {\"name\": \"notify+sync/same\", \"mechanism\": \"notify\", \"cpu\": \"same\", \"sync_wakeup\": true, ",
            "\"continue\": false, \"iterations\": 2000, \"median_ns\": 1700, \"p90_ns\": 1701, \"p99_ns\": 1702, ",
            "\"max_ns\": 17000},\n",
            "    {\"name\": \"futex/diff\", \"mechanism\": \"futex\", \"cpu\": \"diff\", \"sync_wakeup\": false, ",
            "\"continue\": false, \"iterations\": 2000, \"median_ns\": 1600, \"p90_ns\": 1601, \"p99_ns\": 1602, ",
            "\"max_ns\": 16000}\n",
            "  ],\n",
            "  \"throughput\": [\n",
            "    {\"handler\": \"openat_emulated\", \"threads\": 2, \"sync_wakeup\": false, ",
            "\"notifications_per_s\": 41000, \"supervisor_cpu_ns\": 9001, \"target_cpu_ns\": 3500}\n",
            "  ]\n",
            "}\n",
        );
        assert_eq!(render(&machine(), &results(), &throughput()), expected);
    }

    #[test]
    fn control_characters_are_escaped() {
        let machine = Machine {
            cpu: "a\u{1}b\nc".to_owned(),
            ..machine()
        };
        assert!(render(&machine, &[], &[]).contains("\"cpu\": \"a\\u0001b\\nc\""));
    }
}
