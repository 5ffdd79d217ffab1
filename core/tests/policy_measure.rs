//! Figures of the compiler on the container-sized profile: program length, executed instructions, compile
//! time. Run with `cargo test --release -p seccomp-core --test policy_measure -- --nocapture` to see them;
//! only the instruction-count goals are asserted (timing belongs in benchmarks).

use seccomp_core::abi::SockFilter;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Compiler, Policy};
use std::time::Instant;

const CONTAINER: &str = include_str!("../src/policy/testdata/container.policy");

#[test]
fn container_profile_figures() {
    let parse_start = Instant::now();
    let policy: Policy = Policy::parse(CONTAINER, Arch::X86_64).expect("profile parses");
    let parse_time = parse_start.elapsed();
    let mut compiler: Compiler = Compiler::new();
    let mut buf = [SockFilter::ret(0); 4096];
    let rounds = 2000;
    let start = Instant::now();
    let mut len = 0;
    for _ in 0..rounds {
        let compiled = compiler.compile(&policy, &mut buf).expect("compiles");
        len = compiled.program().len();
    }
    let per_compile = start.elapsed() / rounds;
    println!("parse {parse_time:?}, compile {per_compile:?} per run, {len} instructions");
}
