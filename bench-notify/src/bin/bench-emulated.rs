//! `seccomp-bench-emulated`: the emulated-open row of the notification benchmark (issue #10, section 5):
//! a path-checked `openat` answered by `seccomp-supervisor`'s open + `ADDFD_SEND`, against the plain notify
//! round trip of the same engine in the same run. Build it in release mode:
//! `cargo run --release -p seccomp-bench-notify --bin bench-emulated [-- BLOCKS PER_BLOCK]`.

use seccomp_bench_notify::emulated::{self, KINDS};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (blocks, per_block) = (
        args.first().copied().unwrap_or(20),
        args.get(1).copied().unwrap_or(1000),
    );
    let dir = std::env::temp_dir().join(format!("seccomp-bench-emulated-{}", std::process::id()));
    let file = dir.join("data/f");
    let prepared = std::fs::create_dir_all(dir.join("data")).and_then(|()| std::fs::write(&file, b"x"));
    if let Err(error) = prepared {
        eprintln!("seccomp-bench-emulated: {}: {error}", dir.display());
        return ExitCode::FAILURE;
    }
    let result = emulated::measure(
        &dir.join("data").display().to_string(),
        &file.display().to_string(),
        blocks,
        per_block,
        200,
    );
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(figures) => {
            let base = figures.kinds[0].0.max(1) as f64;
            println!(
                "| call ({} samples each, one run) | median ns | p90 ns | ratio to the round trip |",
                figures.samples
            );
            println!("| --- | ---: | ---: | ---: |");
            for (name, (median, p90)) in KINDS.iter().zip(figures.kinds) {
                println!("| {name} | {median} | {p90} | {:.2}x |", median as f64 / base);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("seccomp-bench-emulated: {message}");
            ExitCode::FAILURE
        }
    }
}
