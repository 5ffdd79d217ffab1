//! The `--json FILE` output, in one stable shape:
//!
//! ```text
//! {"machine": {"cpu": ..., "cores": ..., "kernel": ...},
//!  "results": [{"name": ..., "mechanism": "bare|errno|notify|ptrace_syscall|ret_trace|futex",
//!               "cpu": "same|diff|any", "sync_wakeup": bool, "continue": bool, "iterations": N,
//!               "median_ns": ..., "p90_ns": ..., "p99_ns": ..., "max_ns": ...}]}
//! ```
//!
//! serde_json writes every value (and escapes every string); this module only lays the document out: the
//! machine on one line and one result per line, each object compact with a space after `:` and `,`.
//! Only configurations that produced timings appear; failed ones are reported on the terminal.

use super::Machine;
use super::mechanisms::Config;
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

/// The JSON document for `machine` and `results`, one result per line, ending with a newline.
pub fn render(machine: &Machine, results: &[(Config, Summary)]) -> String {
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

    #[test]
    fn the_document_is_exactly_the_stable_shape() {
        let text = render(&machine(), &results());
        let document: Value = serde_json::from_str(&text).unwrap();
        let keys = |value: &Value| {
            let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&document), ["machine", "results"]);
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
        let document: Value = serde_json::from_str(&render(&machine(), &[])).unwrap();
        assert_eq!(document["results"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn the_layout_is_byte_for_byte_the_one_the_hand_written_writer_produced() {
        // The text the writer before serde_json produced for these inputs.
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
            "  ]\n",
            "}\n",
        );
        assert_eq!(render(&machine(), &results()), expected);
    }

    #[test]
    fn control_characters_are_escaped() {
        let machine = Machine {
            cpu: "a\u{1}b\nc".to_owned(),
            ..machine()
        };
        assert!(render(&machine, &[]).contains("\"cpu\": \"a\\u0001b\\nc\""));
    }
}
