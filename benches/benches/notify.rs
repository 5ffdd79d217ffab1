//! The user-notification round trip on the running kernel: a forked child calls `getppid` with a filter
//! that sends it to a listener, and this process (the supervisor) receives each notification and answers
//! it with a value. One iteration is one complete round trip: the child's syscall, `NOTIF_RECV`,
//! `NOTIF_SEND`, and the child resuming.
//!
//! The filter is installed only in the forked child, never in the benchmark process. A fuller measurement
//! with percentiles is `cargo xtask bench-notify`; this one tracks the mean with criterion.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustix::fd::AsFd;
use rustix::process::{WaitOptions, waitpid};
use seccomp_core::abi::SockFilter;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::Validated;
use seccomp_core::policy::{Compiler, Policy};
use seccomp_sys::fdpass::{recv_fd, send_fd, socketpair};
use seccomp_sys::process::{self, Fork};
use seccomp_sys::{FilterFlags, Listener, Response, install, set_no_new_privs};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The value the supervisor makes every `getppid` return.
const ANSWER: i64 = 7;

/// Runs `iters` round trips and returns the time from the first `NOTIF_RECV` to the last `NOTIF_SEND`.
fn round_trips(program: &Validated<'_>, iters: u64) -> Duration {
    let (parent_end, child_end) = socketpair().expect("socketpair");
    // SAFETY: until `exit_group`, the child only makes raw syscalls (prctl, seccomp, sendmsg, close, getppid)
    // on memory prepared before the fork: it does not allocate, lock, print or unwind.
    match unsafe { process::fork() }.expect("fork") {
        Fork::Child => {
            drop(parent_end);
            if set_no_new_privs().is_err() {
                process::exit_group(120);
            }
            let Ok(Some(listener)) = install(program, FilterFlags::NEW_LISTENER) else {
                process::exit_group(121);
            };
            if send_fd(child_end.as_fd(), listener.as_fd()).is_err() {
                process::exit_group(122);
            }
            drop(listener);
            let mut wrong = 0;
            for _ in 0..iters {
                let ppid = rustix::process::getppid().map_or(0, |pid| i64::from(pid.as_raw_nonzero().get()));
                if ppid != ANSWER {
                    wrong = 123;
                }
            }
            process::exit_group(wrong)
        }
        Fork::Parent(pid) => {
            drop(child_end);
            let listener = match recv_fd(parent_end.as_fd()) {
                Ok(fd) => Listener::from(fd),
                Err(error) => {
                    let status = waitpid(Some(pid), WaitOptions::empty());
                    panic!("the child sent no listener ({error:?}); it ended with {status:?}");
                }
            };
            let start = Instant::now();
            for _ in 0..iters {
                let notification = listener.recv().expect("NOTIF_RECV");
                listener
                    .respond(Response::value(notification.id(), ANSWER))
                    .expect("NOTIF_SEND");
            }
            let elapsed = start.elapsed();
            let status = waitpid(Some(pid), WaitOptions::empty())
                .expect("waitpid")
                .map(|(_, status)| status.exit_status());
            assert_eq!(
                status,
                Some(Some(0)),
                "the child saw a wrong getppid result or failed"
            );
            elapsed
        }
    }
}

fn notify_round_trip(c: &mut Criterion) {
    let Some(arch) = Arch::native() else {
        eprintln!("notify: skipped, no seccomp architecture for this machine");
        return;
    };
    let policy: Policy = match Policy::parse("default allow\nnotify getppid\n", arch) {
        Ok(policy) => policy,
        Err(error) => panic!("the benchmark policy does not parse: {error}"),
    };
    let mut out = vec![SockFilter::default(); 64];
    let mut compiler: Box<Compiler> = Box::default();
    let program = compiler
        .compile(&policy, &mut out)
        .expect("the benchmark policy compiles")
        .program();

    let mut group = c.benchmark_group("notify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("getppid_round_trip", |b| {
        b.iter_custom(|iters| black_box(round_trips(&program, iters)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = notify_round_trip
}
criterion_main!(benches);
