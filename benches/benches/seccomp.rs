//! Criterion benchmarks of the kernel-free parts of seccompctl: decoding a notification, validating,
//! emulating, compiling, disassembling and assembling.
//!
//! Measurement times are kept short (see [`config`]) so the whole `cargo bench -p seccomp-benches` stays
//! within a few minutes on a shared two-core machine; `docs/performance.md` records the results and the goals
//! they are held against.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use seccomp_benches::{container_policy, long_program, sample_data, sample_notification, table_inputs};
use seccomp_core::abi::{SeccompNotif, SockFilter};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{assemble, disassemble, emulate, validate};
use seccomp_core::policy::Compiler;
use std::hint::black_box;
use std::time::Duration;

/// Short warm-up and measurement: enough for stable means of these sub-millisecond operations.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
}

/// Decoding one `seccomp_notif` from the bytes `SECCOMP_IOCTL_NOTIF_RECV` wrote.
fn decode_notification(c: &mut Criterion) {
    let bytes = sample_notification();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seccomp_notif", |b| {
        b.iter(|| SeccompNotif::decode(black_box(&bytes)))
    });
    group.finish();
}

/// Validation of programs of growing length (throughput per instruction shows whether it is linear).
fn validate_programs(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    for len in [64usize, 512, 4096] {
        let insns = long_program(len);
        group.throughput(Throughput::Elements(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(len), &insns, |b, insns| {
            b.iter(|| validate(black_box(insns)).is_ok())
        });
    }
    group.finish();
}

/// The emulator: raw speed on a 4096-instruction program that executes nearly all of it (throughput in
/// emulated instructions), and one decision of the compiled container profile, averaged over every syscall
/// of the x86_64 table (throughput in decisions).
fn emulate_programs(c: &mut Criterion) {
    let mut group = c.benchmark_group("emulate");

    let insns = long_program(4096);
    let program = validate(&insns).expect("the long program is valid");
    let data = sample_data();
    let executed = emulate(&program, &data).executed;
    group.throughput(Throughput::Elements(executed as u64));
    group.bench_function("straight_line_4096", |b| {
        b.iter(|| emulate(black_box(&program), black_box(&data)))
    });

    let policy = container_policy();
    let mut out = vec![SockFilter::default(); 4096];
    let mut compiler: Box<Compiler> = Box::default();
    let compiled = compiler
        .compile(&policy, &mut out)
        .expect("the container profile compiles");
    let program = compiled.program();
    let inputs = table_inputs(Arch::X86_64);
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("container_decision", |b| {
        b.iter(|| {
            for data in &inputs {
                black_box(emulate(&program, black_box(data)));
            }
        })
    });
    group.finish();
}

/// Compiling the container profile (parsed beforehand), with a reused compiler workspace and output buffer.
fn compile_policy(c: &mut Criterion) {
    let policy = container_policy();
    let mut out = vec![SockFilter::default(); 4096];
    let mut compiler: Box<Compiler> = Box::default();
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(1));
    group.bench_function("container", |b| {
        b.iter(|| {
            compiler
                .compile(black_box(&policy), &mut out)
                .map(|compiled| compiled.program().len())
        })
    });
    group.finish();
}

/// Disassembling the compiled container profile into a reused `String`, and assembling that listing back.
fn disassemble_and_assemble(c: &mut Criterion) {
    let policy = container_policy();
    let mut out = vec![SockFilter::default(); 4096];
    let mut compiler: Box<Compiler> = Box::default();
    let compiled = compiler
        .compile(&policy, &mut out)
        .expect("the container profile compiles");
    let insns = compiled.program().insns();
    let mut listing = String::with_capacity(64 * insns.len());
    disassemble(&mut listing, insns).expect("writing to a String cannot fail");

    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Elements(insns.len() as u64));
    let mut text = String::with_capacity(listing.len());
    group.bench_function("disassemble_container", |b| {
        b.iter(|| {
            text.clear();
            disassemble(&mut text, black_box(insns)).is_ok()
        })
    });
    let mut back = vec![SockFilter::default(); 4096];
    group.bench_function("assemble_container", |b| {
        b.iter(|| assemble(black_box(&listing), &mut back).map(<[SockFilter]>::len))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode_notification, validate_programs, emulate_programs, compile_policy, disassemble_and_assemble
}
criterion_main!(benches);
