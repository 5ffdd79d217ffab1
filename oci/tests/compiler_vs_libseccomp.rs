//! The compiler against libseccomp on real-world profiles: the table of docs/compiler-vs-libseccomp.md.
//!
//! Each profile is compiled by us (imported as runc would load it, then `compile`) and by libseccomp 2.5.4 at
//! optimize level 2, its binary tree (`tests/libseccomp_ref.py`, through Debian's python3-seccomp); both
//! programs run in core's emulator. Per profile and arch it prints:
//! - the mean number of executed instructions over the arch's syscall table (all arguments zero),
//! - the longest path over the probes: every table syscall, with argument values at every boundary the
//!   profile names for those with conditions,
//! - the program length,
//! - how many syscalls are always-ALLOW on a path that reads only `nr` and `arch` (served by the kernel's
//!   action cache), against how many the profile allows without looking at arguments.
//!
//! and asserts the compiler's goals: mean at most [`MEAN_BOUND`] of libseccomp's, longest path and length
//! at most libseccomp's, and every argument-free ALLOW cacheable. Run with `--nocapture` to see the table.
//! The profiles: Docker's and Podman's from their Debian packages (golang-github-docker-docker-dev,
//! golang-github-containers-common, which `cargo xtask ci` installs), the others committed in
//! `tests/profiles/` (see `tests/profiles/SOURCES.md`). Without python3-seccomp the test prints SKIP.

mod common;

use std::collections::BTreeSet;

use common::{helper_arch, libseccomp_available, start_helper};

use seccomp_core::abi::{self, SeccompData, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{Validated, cache, emulate::emulate, raw, validate::validate};
use seccomp_core::policy::{Policy, compile, verify};
use seccomp_oci::{DockerProfile, DockerTarget, KernelVersion, LinuxSeccomp, ScmpArch, ScmpCompare};

const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/profiles");
const DOCKER_PROFILE: &str = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
const PODMAN_PROFILE: &str = "/usr/share/containers/seccomp.json";

/// The bound for the mean executed instructions, as a fraction of libseccomp's.
const MEAN_BOUND: f64 = 0.8;

fn run_helper(args: &[&str], profile_json: &str) -> Vec<u8> {
    let child = start_helper(args, profile_json);
    let output = child.wait_with_output().expect("helper output");
    assert!(
        output.status.success(),
        "libseccomp helper failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// libseccomp's program for the profile, at optimize level 2 (`--tree`).
fn reference(seccomp: &LinuxSeccomp, arch: Arch) -> Vec<SockFilter> {
    let bytes = run_helper(&["--tree", helper_arch(arch)], &seccomp.to_json_pretty());
    let mut out = vec![SockFilter::default(); abi::BPF_MAXINSNS];
    raw::decode(&bytes, &mut out)
        .expect("libseccomp's export decodes")
        .to_vec()
}

/// The profile without the names libseccomp 2.5.4 does not know on `arch` (runc skips them with it).
fn known_to_libseccomp(seccomp: &LinuxSeccomp, arch: Arch) -> LinuxSeccomp {
    let out = run_helper(&["--unknown", helper_arch(arch)], &seccomp.to_json_pretty());
    let unknown: BTreeSet<String> = String::from_utf8_lossy(&out).lines().map(str::to_owned).collect();
    let mut kept = seccomp.clone();
    for rule in &mut kept.syscalls {
        rule.names.retain(|name| !unknown.contains(name));
    }
    kept.syscalls.retain(|rule| !rule.names.is_empty());
    kept
}

/// Argument values at every boundary the profile names, per argument index.
fn boundary_values(seccomp: &LinuxSeccomp) -> [Vec<u64>; 6] {
    let mut sets: [BTreeSet<u64>; 6] = Default::default();
    for set in &mut sets {
        set.extend([0, 1, 0xffff_ffff, 1 << 32, u64::MAX]);
    }
    for rule in &seccomp.syscalls {
        for arg in &rule.args {
            let set = &mut sets[usize::from(arg.index) % 6];
            let mut add = |v: u64| {
                for w in [v, v.wrapping_sub(1), v.wrapping_add(1)] {
                    set.extend([w, w & 0xffff_ffff, (w & 0xffff_ffff) | (1 << 32)]);
                }
            };
            add(arg.value);
            if arg.op == ScmpCompare::MaskedEq {
                add(arg.value_two & arg.value);
                add(!arg.value);
            }
        }
    }
    sets.map(|set| set.into_iter().collect())
}

/// One row of the table.
struct Row {
    mean: f64,
    max: usize,
    len: usize,
    cached: usize,
}

fn executed(program: &Validated<'_>, arch: Arch, nr: u32, args: [u64; 6]) -> (Action, usize) {
    let data = SeccompData {
        nr: nr as i32,
        arch: arch.audit(),
        instruction_pointer: 0,
        args,
    };
    let outcome = emulate(program, &data);
    (outcome.action, outcome.executed)
}

fn measure(program: &[SockFilter], arch: Arch, conditional: &BTreeSet<u32>, values: &[Vec<u64>; 6]) -> Row {
    let program = validate(program).expect("valid program");
    let table: Vec<u32> = arch.syscalls().iter().map(|(_, nr)| nr).collect();
    let total: usize = table
        .iter()
        .map(|&nr| executed(&program, arch, nr, [0; 6]).1)
        .sum();
    let mut max = 0;
    for &nr in &table {
        max = max.max(executed(&program, arch, nr, [0; 6]).1);
        if conditional.contains(&nr) {
            for (index, set) in values.iter().enumerate() {
                for &value in set {
                    let mut args = [0; 6];
                    args[index] = value;
                    max = max.max(executed(&program, arch, nr, args).1);
                }
            }
        }
    }
    let cached = table
        .iter()
        .filter(|&&nr| cache::is_const_allow(&program, arch.audit(), nr as i32))
        .count();
    Row {
        mean: total as f64 / table.len() as f64,
        max,
        len: program.insns().len(),
        cached,
    }
}

/// The table syscalls the policy allows whatever the arguments say.
fn argument_free_allows(policy: &Policy, arch: Arch) -> BTreeSet<u32> {
    arch.syscalls()
        .iter()
        .map(|(_, nr)| nr)
        .filter(|&nr| {
            let conditional = policy
                .rules()
                .any(|rule| rule.nr() == nr && rule.is_conditional());
            let data = SeccompData {
                nr: nr as i32,
                arch: arch.audit(),
                instruction_pointer: 0,
                args: [0; 6],
            };
            !conditional && policy.evaluate(&data) == Action::ALLOW
        })
        .collect()
}

/// The least mean number of executed instructions a program of the usual shape can reach on the table
/// (all arguments zero): the prologue (`ld arch`, `jeq`, `ld nr`), the `ret`, and an optimal search tree
/// over the ranges of `nr` with one outcome (two-way tests: a `jge` per node, or a `jeq` isolating a single
/// number between two ranges of one outcome), weighted by the table syscalls. A syscall with conditions is
/// a range of its own whose argument block costs nothing here, so the figure is a lower bound for this
/// shape of program.
fn mean_bound(policy: &Policy, arch: Arch) -> f64 {
    let table: BTreeSet<u32> = arch.syscalls().iter().map(|(_, nr)| nr).collect();
    let last = table.iter().max().copied().unwrap_or(0);
    let conditional: BTreeSet<u32> = policy
        .rules()
        .filter(|rule| rule.is_conditional())
        .map(|rule| rule.nr())
        .collect();
    let outcome = |nr: u32| {
        let data = SeccompData {
            nr: nr as i32,
            arch: arch.audit(),
            instruction_pointer: 0,
            args: [0; 6],
        };
        if conditional.contains(&nr) {
            Err(nr)
        } else {
            Ok(policy.evaluate(&data))
        }
    };
    // (first number, outcome, weight) of each maximal range up to one past the table.
    let mut ranges: Vec<(u32, Result<Action, u32>, u64)> = Vec::new();
    for nr in 0..=last + 1 {
        let action = outcome(nr);
        let weight = u64::from(table.contains(&nr));
        match ranges.last_mut() {
            Some((_, last, w)) if *last == action => *w += weight,
            _ => ranges.push((nr, action, weight)),
        }
    }
    let n = ranges.len();
    let prefix: Vec<u64> = std::iter::once(0)
        .chain(ranges.iter().scan(0, |sum, r| {
            *sum += r.2;
            Some(*sum)
        }))
        .collect();
    let weight = |i: usize, j: usize| prefix[j + 1] - prefix[i];
    let mut cost = vec![vec![0u64; n]; n];
    for len in 2..=n {
        for i in 0..=n - len {
            let j = i + len - 1;
            let mut best = u64::MAX;
            if len == 3 && ranges[i].1 == ranges[j].1 && ranges[i + 1].0 + 1 == ranges[j].0 {
                best = weight(i, j);
            }
            for s in i + 1..=j {
                best = best.min(weight(i, j) + cost[i][s - 1] + cost[s][j]);
            }
            cost[i][j] = best;
        }
    }
    4.0 + cost[0][n - 1] as f64 / table.len() as f64
}

/// The profiles: name, arch, the runtime-spec profile.
fn profiles(test: &str) -> Vec<(String, Arch, LinuxSeccomp)> {
    let mut out = Vec::new();
    let kernel = KernelVersion::new(6, 8);
    for (label, path) in [("docker", DOCKER_PROFILE), ("podman", PODMAN_PROFILE)] {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => {
                println!(
                    "SKIP {test} for {label}: {path}: {err} (CI installs the Debian package that ships it)"
                );
                continue;
            }
        };
        let profile = DockerProfile::from_json(bytes).expect("the packaged profile parses");
        for arch in [ScmpArch::X86_64, ScmpArch::Aarch64] {
            let target = DockerTarget::docker_default(arch, kernel);
            let seccomp = profile.resolve(&target).seccomp;
            out.push((label.to_owned(), arch.to_arch().expect("table"), seccomp));
        }
    }
    let mut committed: Vec<_> = std::fs::read_dir(PROFILES)
        .expect("tests/profiles")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    committed.sort();
    for path in committed {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let (label, arch) = match stem.rsplit_once('-') {
            Some((label, "x86_64")) => (label, Arch::X86_64),
            Some((label, "aarch64")) => (label, Arch::Aarch64),
            _ => panic!("{stem}: profile names end in -x86_64 or -aarch64"),
        };
        let seccomp = LinuxSeccomp::from_json(std::fs::read(&path).expect("read")).expect("profile parses");
        out.push((label.to_owned(), arch, seccomp));
    }
    out
}

#[test]
fn compiled_real_profiles_beat_libseccomp_binary_tree() {
    let test = "compiled_real_profiles_beat_libseccomp_binary_tree";
    if !libseccomp_available(test) {
        return;
    }
    let mut failures = Vec::new();
    println!(
        "| profile | arch | mean ours | mean libseccomp | ratio | least mean possible (ratio) | max ours | max libseccomp | length ours | \
         length libseccomp | cacheable ALLOWs ours / libseccomp / argument-free ALLOWs |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (label, arch, seccomp) in profiles(test) {
        let seccomp = known_to_libseccomp(&seccomp, arch);
        let imported = seccomp.to_policy(arch).expect("imports");
        let policy = &imported.policy;
        let mut buf = vec![SockFilter::default(); abi::BPF_MAXINSNS];
        let compiled = compile(policy, &mut buf).expect("compiles");
        verify(policy, &compiled.program()).expect("the program decides as the policy");
        let ours_insns = compiled.program().insns().to_vec();
        let theirs_insns = reference(&seccomp, arch);
        let conditional: BTreeSet<u32> = policy
            .rules()
            .filter(|rule| rule.is_conditional())
            .map(|rule| rule.nr())
            .collect();
        let values = boundary_values(&seccomp);
        let ours = measure(&ours_insns, arch, &conditional, &values);
        let theirs = measure(&theirs_insns, arch, &conditional, &values);
        let free = argument_free_allows(policy, arch);
        let ratio = ours.mean / theirs.mean;
        let bound = mean_bound(policy, arch);
        println!(
            "| {label} | {} | {:.2} | {:.2} | {ratio:.2} | {bound:.2} ({:.2}) | {} | {} | {} | {} | {} / {} / {} |",
            arch.name(),
            ours.mean,
            theirs.mean,
            bound / theirs.mean,
            ours.max,
            theirs.max,
            ours.len,
            theirs.len,
            ours.cached,
            theirs.cached,
            free.len()
        );
        let name = format!("{label} {}", arch.name());
        if ratio > MEAN_BOUND {
            failures.push(format!("{name}: mean ratio {ratio:.2} above {MEAN_BOUND}"));
        }
        if ours.max > theirs.max {
            failures.push(format!(
                "{name}: longest path {} above libseccomp's {}",
                ours.max, theirs.max
            ));
        }
        if ours.len > theirs.len {
            failures.push(format!(
                "{name}: length {} above libseccomp's {}",
                ours.len, theirs.len
            ));
        }
        let program = compiled.program();
        let uncached: Vec<u32> = free
            .iter()
            .copied()
            .filter(|&nr| !cache::is_const_allow(&program, arch.audit(), nr as i32))
            .collect();
        if !uncached.is_empty() {
            failures.push(format!(
                "{name}: argument-free ALLOWs not cacheable: {uncached:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
