//! The `--json FILE` output, written by hand in one stable shape:
//!
//! ```text
//! {"machine": {"cpu": ..., "cores": ..., "kernel": ...},
//!  "results": [{"name": ..., "mechanism": "bare|errno|notify|ptrace_syscall|ret_trace|futex",
//!               "cpu": "same|diff|any", "sync_wakeup": bool, "continue": bool, "iterations": N,
//!               "median_ns": ..., "p90_ns": ..., "p99_ns": ..., "max_ns": ...}]}
//! ```
//!
//! Only configurations that produced timings appear; failed ones are reported on the terminal.

use super::Machine;
use super::mechanisms::Config;
use super::stats::Summary;
use std::fmt::Write;

/// The JSON document for `machine` and `results`, one result per line, ending with a newline.
pub fn render(machine: &Machine, results: &[(Config, Summary)]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{{\n  \"machine\": {{\"cpu\": {}, \"cores\": {}, \"kernel\": {}}},\n  \"results\": [",
        string(&machine.cpu),
        machine.cores,
        string(&machine.kernel)
    );
    for (index, (config, summary)) in results.iter().enumerate() {
        let comma = if index + 1 < results.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "    {{\"name\": {}, \"mechanism\": {}, \"cpu\": {}, \"sync_wakeup\": {}, \"continue\": {}, \
             \"iterations\": {}, \"median_ns\": {}, \"p90_ns\": {}, \"p99_ns\": {}, \"max_ns\": {}}}{comma}",
            string(&config.name()),
            string(config.mechanism.name()),
            string(config.placement.name()),
            config.sync_wakeup,
            config.continue_syscall,
            summary.iterations,
            summary.median,
            summary.p90,
            summary.p99,
            summary.max,
        );
    }
    out.push_str("  ]\n}\n");
    out
}

/// `text` as a JSON string literal.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
    fn control_characters_are_escaped() {
        assert_eq!(string("a\u{1}b\nc"), "\"a\\u0001b\\nc\"");
    }
}
