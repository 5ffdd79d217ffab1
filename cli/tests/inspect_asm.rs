//! `asm`, the annotated `disasm` listing (`--hex`, `--json`, `--arch`), text refused as BPF, and
//! `sim --trace`, on the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn seccompctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden"))
        .output()
        .expect("seccompctl runs")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seccompctl-inspect-asm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    dir.join(name)
}

#[test]
fn disasm_then_asm_gives_the_same_bytes_for_both_goldens() {
    for (bpf, flags) in [
        ("sandbox.bpf", &[][..]),
        ("libseccomp-default.bpf", &["--hex"][..]),
    ] {
        let mut args = vec!["disasm", bpf];
        args.extend_from_slice(flags);
        let listing = ok(&seccompctl(&args));
        let asm = scratch(&format!("{bpf}.asm"));
        std::fs::write(&asm, listing).expect("write");
        let out = scratch(&format!("{bpf}.out"));
        ok(&seccompctl(&[
            "asm",
            asm.to_str().expect("UTF-8"),
            "-o",
            out.to_str().expect("UTF-8"),
        ]));
        let golden = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden")
                .join(bpf),
        );
        assert_eq!(
            std::fs::read(&out).expect("read"),
            golden.expect("golden"),
            "{bpf}"
        );
    }
    // compile --emit asm output (with its header comment) reassembles too.
    let bytes = seccompctl(&["asm", "sandbox.asm"]);
    assert!(bytes.status.success());
    assert_eq!(
        bytes.stdout,
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sandbox.bpf"))
            .expect("golden")
    );
}

#[test]
fn edited_listings_reassemble_and_invalid_ones_are_refused_with_the_reason() {
    let asm = scratch("edited.asm");
    std::fs::write(
        &asm,
        "; hand-written\n ld [nr]\n jeq #0, allow, deny  ; read\nallow: ret ALLOW\ndeny: ret ERRNO(1)\n",
    )
    .expect("write");
    let out = seccompctl(&["asm", asm.to_str().expect("UTF-8")]);
    assert_eq!(
        out.stdout.len(),
        4 * 8,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = scratch("bad.asm");
    std::fs::write(&bad, "ld [nr]\njeq #0, 2, 9\nret ALLOW\n").expect("write");
    let out = seccompctl(&["asm", bad.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the kernel would refuse") && stderr.contains("--allow-invalid"),
        "{stderr}"
    );
    let out = seccompctl(&["asm", bad.to_str().expect("UTF-8"), "--allow-invalid"]);
    assert_eq!(out.stdout.len(), 3 * 8);
    let syntax = scratch("syntax.asm");
    std::fs::write(&syntax, "ld [nr]\nfrob #1\n").expect("write");
    let out = seccompctl(&["asm", syntax.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("syntax.asm:2:1: unknown instruction"));
}

#[test]
fn disasm_of_text_says_it_is_text() {
    let out = seccompctl(&["disasm", "sandbox.asm"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("this is text, not raw BPF") && stderr.contains("seccompctl asm"),
        "{stderr}"
    );
    assert!(!stderr.contains("truncated"), "{stderr}");
}

#[test]
fn disasm_names_syscalls_and_arches_per_checked_arch() {
    let listing = ok(&seccompctl(&["disasm", "sandbox.bpf", "--hex"]));
    assert!(
        listing
            .lines()
            .nth(1)
            .expect("line 1")
            .ends_with("; 0x0015 00 2c 0xc000003e  AUDIT_ARCH_X86_64"),
        "{listing}"
    );
    assert!(
        listing.contains("jge #231, 35, 4") && listing.contains("exit_group"),
        "{listing}"
    );
    // The same program compiled for aarch64 names aarch64's syscalls, whatever --arch says, because the
    // path checked AUDIT_ARCH_AARCH64 first.
    let bpf = scratch("aarch64.bpf");
    let policy = scratch("any-arch.policy");
    std::fs::write(&policy, "default errno(EPERM)\nallow openat exit_group read\n").expect("write");
    ok(&seccompctl(&[
        "compile",
        policy.to_str().expect("UTF-8"),
        "--arch",
        "aarch64",
        "-o",
        bpf.to_str().expect("UTF-8"),
    ]));
    let json = ok(&seccompctl(&[
        "disasm",
        bpf.to_str().expect("UTF-8"),
        "--json",
        "--arch",
        "x86_64",
    ]));
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let rows = json["instructions"].as_array().expect("rows");
    assert_eq!(rows[1]["arch"], "aarch64");
    let named: Vec<&str> = rows.iter().filter_map(|row| row["syscall"].as_str()).collect();
    assert!(
        named.contains(&"exit_group") && named.contains(&"openat"),
        "{named:?}"
    );
    assert!(
        rows.iter()
            .all(|row| row["arch"].is_null() || row["arch"] == "aarch64")
    );
    assert!(json["refused_by_kernel"].is_null());
    let bad = seccompctl(&["disasm", "sandbox.bpf", "--arch", "vax"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn sim_trace_shows_the_executed_path() {
    let out = ok(&seccompctl(&[
        "sim",
        "sandbox.bpf",
        "--arch",
        "x86_64",
        "--syscall",
        "write",
        "--trace",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("   0: ld [arch]") && lines[0].contains("| A = 0x00000000"),
        "{out}"
    );
    assert!(
        lines[3].contains("| A = 0x00000001"),
        "write's number is in A after ld [nr]: {out}"
    );
    let ret = lines
        .iter()
        .position(|line| line.starts_with("return allow at "))
        .expect("return line");
    let executed: usize = lines
        .iter()
        .find_map(|line| line.strip_prefix("executed: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("executed count");
    assert_eq!(ret, executed, "one line per executed instruction");
    let json = ok(&seccompctl(&[
        "sim",
        "sandbox.bpf",
        "--arch",
        "x86_64",
        "--syscall",
        "write",
        "--trace",
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["path"].as_array().expect("path").len(), executed);
    assert_eq!(json["path"][0]["text"], "ld [arch]");
}

#[test]
fn a_listing_piped_into_asm_dash_reassembles() {
    // `-` reads standard input, as Unix tools do: `seccompctl disasm f.bpf | seccompctl asm - -o g.bpf`.
    let listing = ok(&seccompctl(&["disasm", "sandbox.bpf"]));
    let out = scratch("piped.bpf");
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["asm", "-", "-o", out.to_str().expect("UTF-8")])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("seccompctl runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(listing.as_bytes()).expect("written");
    }
    let output = child.wait_with_output().expect("ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let golden = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sandbox.bpf"));
    assert_eq!(std::fs::read(&out).expect("read"), golden.expect("golden"));
}
