//! The helper binary end to end for the rows of issue #10: `--only` with the engine rows and
//! `throughput` writes their samples and throughput lines (every answer checked by the targets), and
//! nothing else.

use std::process::Command;

fn raw_output(args: &[&str]) -> String {
    let out = std::env::temp_dir().join(format!("seccomp-bench-notify-raw-{}.txt", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_seccomp-bench-notify"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("the helper runs");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert!(status.success(), "the helper failed: {status}\n{text}");
    text
}

#[test]
fn the_engine_rows_and_the_throughput_rows_are_measured() {
    let text = raw_output(&[
        "--iterations",
        "60",
        "--round",
        "30",
        "--warmup",
        "5",
        "--only",
        "supervisor+sync/any,supervisor_open+sync/any,throughput",
        "--throughput-iterations",
        "100",
        "--throughput-rounds",
        "1",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    if lines
        .iter()
        .any(|line| line.starts_with("note") && line.contains("SYNC_WAKE_UP"))
    {
        println!("SKIP: the kernel lacks SYNC_WAKE_UP, so the +sync rows do not exist here");
        return;
    }
    let rows: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("row ")).collect();
    assert_eq!(
        rows,
        ["row supervisor any 1 0", "row supervisor_open any 1 0"],
        "{text}"
    );
    for samples in lines.iter().filter(|l| l.starts_with("samples ")) {
        let timings: Vec<u64> = samples
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().expect("a number"))
            .collect();
        assert_eq!(timings.len(), 60);
        assert!(timings.iter().all(|&ns| ns > 0));
    }
    let throughput: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("throughput "))
        .collect();
    assert_eq!(throughput.len(), 8, "{text}");
    for line in throughput {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 7, "{line}");
        let rate: f64 = fields[4].parse().expect("rate");
        let supervisor: f64 = fields[5].parse().expect("S");
        assert!(rate > 0.0 && supervisor > 0.0, "{line}");
    }
}
