//! Criterion benchmarks of the kernel-free parts of seccompctl.
//!
//! Measurement times are kept short (see [`config`]) so the whole `cargo bench -p seccomp-benches` stays
//! within a few minutes on a shared two-core machine; `docs/performance.md` records the results.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seccomp_benches::sample_notification;
use seccomp_core::abi::SeccompNotif;
use std::hint::black_box;
use std::time::Duration;

/// Short warm-up and measurement: enough for stable means of these sub-microsecond operations.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
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

criterion_group! {
    name = benches;
    config = config();
    targets = decode_notification
}
criterion_main!(benches);
