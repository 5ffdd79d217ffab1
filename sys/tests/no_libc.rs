//! The crate's promise: no `libc` crate anywhere in its normal dependency tree, on both supported
//! architectures. Runs `cargo tree` (skips where cargo is not available, such as inside a test VM).

use std::process::Command;

const TARGETS: [&str; 2] = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-musl"];

#[test]
fn no_libc_in_the_normal_dependency_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for target in TARGETS {
        let output = Command::new(&cargo)
            .args([
                "tree",
                "-p",
                "seccomp-sys",
                "-e",
                "normal",
                "--prefix",
                "none",
                "--target",
                target,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIP: no_libc_in_the_normal_dependency_tree: cannot run cargo ({error})"
                );
                return;
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "cargo tree --target {target} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let crates: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert!(
            crates.contains(&"seccomp-sys"),
            "unexpected cargo tree output:\n{stdout}"
        );
        assert!(
            crates.contains(&"rustix"),
            "unexpected cargo tree output:\n{stdout}"
        );
        assert!(
            !crates.contains(&"libc"),
            "libc in the tree for {target}:\n{stdout}"
        );
    }
}
