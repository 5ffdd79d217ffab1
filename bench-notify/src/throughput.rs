//! The throughput row (issue #10, section 5): 8 target processes calling a notified `getppid` in a loop,
//! against one `seccomp-supervisor` with 1 and then 2 threads: notifications answered per second, and the
//! scaling from 1 to 2 threads.
//!
//! The first target is this binary re-executed with `--throughput-target N` under a filter that notifies
//! `getppid` and allows everything else (spawned with `seccomp_sys::spawn`, which hands the listener over
//! before the exec); it forks the 7 others, which inherit the filter, so all 8 share one listener and
//! the supervisor's thread count is what limits them. The supervisor answers every notification with a value; a second handler also spins
//! for a few microseconds per notification, the cost of a handler that decodes and logs, where the worker
//! count matters most. Configurations are interleaved over rounds and the median rate is reported.

use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::{Answer, Call, Context, Reply, Supervisor};
use seccomp_sys::FilterFlags;
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec};
use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

/// How many target processes run at once.
pub const TARGETS: usize = 8;

/// The targets: fork `TARGETS - 1` children (sharing the filter), then each makes `iterations` notified
/// `getppid` calls; the first waits for the others and exits 0 if all did.
#[allow(unsafe_code)]
pub fn target(iterations: u64) -> ! {
    let mut children = Vec::new();
    for _ in 1..TARGETS {
        // SAFETY: this process is single-threaded (just exec'd); the child only loops over getppid and
        // exits.
        match unsafe { seccomp_sys::process::fork() } {
            Ok(seccomp_sys::process::Fork::Child) => {
                for _ in 0..iterations {
                    std::hint::black_box(rustix::process::getppid());
                }
                std::process::exit(0)
            }
            Ok(seccomp_sys::process::Fork::Parent(pid)) => children.push(pid),
            Err(_) => std::process::exit(2),
        }
    }
    for _ in 0..iterations {
        std::hint::black_box(rustix::process::getppid());
    }
    let mut ok = true;
    for pid in children {
        let status = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
        ok &= matches!(status, Ok(Some((_, status))) if status.exit_status() == Some(0));
    }
    std::process::exit(if ok { 0 } else { 1 })
}

/// The filter: notify `getppid`, allow the rest.
fn program() -> Result<Vec<seccomp_core::abi::SockFilter>, String> {
    let arch = Arch::native().ok_or("unsupported host architecture")?;
    let mut policy: Policy = Policy::new(arch, Action::ALLOW);
    policy
        .add_named_rule("getppid", Action::NOTIFY, &[])
        .map_err(|e| e.to_string())?;
    let mut out = vec![seccomp_core::abi::SockFilter::default(); 4096];
    let compiled = seccomp_core::policy::compile(&policy, &mut out).map_err(|e| e.to_string())?;
    Ok(compiled.program().insns().to_vec())
}

/// Spins for `work` (a handler's own cost).
fn busy(work: Duration) {
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

/// One measurement: `TARGETS` targets of `iterations` calls against `workers` workers; notifications/s.
fn measure(
    program: &[seccomp_core::abi::SockFilter],
    exe: &CStr,
    iterations: u64,
    workers: usize,
    work: Duration,
) -> Result<f64, String> {
    let supervisor = Supervisor::new(
        move |call: Call<'_>| -> Reply {
            if !work.is_zero() {
                busy(work);
            }
            call.answer(Answer::Value(7))
        },
        workers,
    );
    let count = CString::new(iterations.to_string()).map_err(|e| e.to_string())?;
    let argv_refs: [&CStr; 3] = [exe, c"--throughput-target", &count];
    let mut argv_storage = [std::ptr::null(); 4];
    let mut envp_storage = [std::ptr::null(); 1];
    let exec = Exec {
        path: exe,
        argv: CStrArray::new(&argv_refs, &mut argv_storage).ok_or("argv")?,
        envp: CStrArray::new(&[], &mut envp_storage).ok_or("envp")?,
    };
    let confinement = Confinement {
        program: seccomp_core::bpf::validate(program).map_err(|e| e.to_string())?,
        flags: FilterFlags::NEW_LISTENER,
        no_new_privs: true,
        restore: &[],
        signal_mask: None,
        die_with_parent: true,
    };
    let started = Instant::now();
    let mut children = Vec::new();
    for i in 0..TARGETS {
        let mut child = spawn::spawn(&exec, &confinement).map_err(|e| e.to_string())?;
        let ready = child.wait_ready().map_err(|e| e.to_string())?;
        let listener = ready.listener.ok_or("no listener")?;
        supervisor.add(
            listener,
            Context::new(format!("target-{i}")).with_pid(child.pid()),
        );
        children.push(child);
    }
    for child in &mut children {
        let status = child.wait().map_err(|e| e.to_string())?;
        if status != spawn::ExitStatus::Exited(0) {
            return Err(format!("a target ended with {status}"));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    supervisor.wait_all_hung_up_for(Duration::from_secs(5));
    supervisor.shutdown();
    Ok((TARGETS as u64 * iterations) as f64 / seconds)
}

/// The median of `samples`.
fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples
        .get(samples.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

/// Runs the row: `rounds` interleaved rounds of every configuration; returns the Markdown table.
pub fn run(iterations: u64, rounds: u64) -> Result<String, String> {
    let program = program()?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let exe = CString::new(exe.into_os_string().into_encoded_bytes()).map_err(|e| e.to_string())?;
    let configs: [(usize, Duration); 4] = [
        (1, Duration::ZERO),
        (2, Duration::ZERO),
        (1, Duration::from_micros(5)),
        (2, Duration::from_micros(5)),
    ];
    let mut samples = vec![Vec::new(); configs.len()];
    for round in 0..rounds as usize {
        for k in 0..configs.len() {
            let index = (k + round) % configs.len();
            let (workers, work) = configs[index];
            samples[index].push(measure(&program, &exe, iterations, workers, work)?);
        }
    }
    let rates: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    let mut out = format!(
        "throughput: {TARGETS} targets x {iterations} notified getppid, one supervisor, median of {rounds} interleaved rounds\n\n\
         | handler | threads | notifications/s | scaling 1 -> 2 |\n| --- | ---: | ---: | ---: |\n"
    );
    for (pair, label) in [(0, "answer at once"), (2, "5 us of work each")] {
        let (one, two) = (rates[pair], rates[pair + 1]);
        out.push_str(&format!("| {label} | 1 | {one:.0} | |\n"));
        out.push_str(&format!(
            "| {label} | 2 | {two:.0} | {:.2}x |\n",
            two / one.max(1.0)
        ));
    }
    Ok(out)
}

/// The latency probe's target: `iterations` calls of `lseek(0, T, SEEK_SET)` (notified, never run), T the
/// `CLOCK_MONOTONIC` nanoseconds just before the call, so the supervisor sees when it was made.
pub fn latency_target(iterations: u64) -> ! {
    let stdin = rustix::stdio::stdin();
    for _ in 0..iterations {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let ns = now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64;
        let _ = rustix::fs::seek(stdin, rustix::fs::SeekFrom::Start(ns));
        // A pause between calls, as a real program has, so each call finds the threads waiting.
        let pause = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 20_000,
        };
        let _ = rustix::thread::nanosleep(&pause);
    }
    std::process::exit(0)
}

/// Post-to-receive latency: from just before the target's syscall to the moment a serving thread has it,
/// for 1 and 2 threads per listener; nanoseconds (median, p99, max) over `iterations` calls.
pub fn latency(iterations: u64) -> Result<String, String> {
    use std::sync::{Arc, Mutex};
    let arch = Arch::native().ok_or("unsupported host architecture")?;
    let mut policy: Policy = Policy::new(arch, Action::ALLOW);
    policy
        .add_named_rule("lseek", Action::NOTIFY, &[])
        .map_err(|e| e.to_string())?;
    let mut out = vec![seccomp_core::abi::SockFilter::default(); 4096];
    let program = seccomp_core::policy::compile(&policy, &mut out)
        .map_err(|e| e.to_string())?
        .program()
        .insns()
        .to_vec();
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let exe = CString::new(exe.into_os_string().into_encoded_bytes()).map_err(|e| e.to_string())?;
    let count = CString::new(iterations.to_string()).map_err(|e| e.to_string())?;
    let mut table = format!(
        "post-to-receive latency: {iterations} notified lseek calls 20 us apart, one target\n\n\
         | threads | median ns | p99 ns | max ns |\n| ---: | ---: | ---: | ---: |\n"
    );
    for threads in [1usize, 2] {
        let samples = Arc::new(Mutex::new(Vec::with_capacity(iterations as usize)));
        let record = Arc::clone(&samples);
        let supervisor = Supervisor::new(
            move |call: Call<'_>| -> Reply {
                let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
                let ns = now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64;
                if let Ok(mut samples) = record.lock() {
                    samples.push(ns.saturating_sub(call.args()[1]));
                }
                call.answer(Answer::Value(0))
            },
            threads,
        );
        let argv_refs: [&CStr; 3] = [&exe, c"--latency-target", &count];
        let mut argv_storage = [std::ptr::null(); 4];
        let mut envp_storage = [std::ptr::null(); 1];
        let exec = Exec {
            path: &exe,
            argv: CStrArray::new(&argv_refs, &mut argv_storage).ok_or("argv")?,
            envp: CStrArray::new(&[], &mut envp_storage).ok_or("envp")?,
        };
        let confinement = Confinement {
            program: seccomp_core::bpf::validate(&program).map_err(|e| e.to_string())?,
            flags: FilterFlags::NEW_LISTENER,
            no_new_privs: true,
            restore: &[],
            signal_mask: None,
            die_with_parent: true,
        };
        let mut child = spawn::spawn(&exec, &confinement).map_err(|e| e.to_string())?;
        let ready = child.wait_ready().map_err(|e| e.to_string())?;
        supervisor.add(ready.listener.ok_or("no listener")?, Context::new("latency"));
        let status = child.wait().map_err(|e| e.to_string())?;
        supervisor.wait_all_hung_up_for(Duration::from_secs(5));
        supervisor.shutdown();
        if status != spawn::ExitStatus::Exited(0) {
            return Err(format!("the target ended with {status}"));
        }
        let mut samples = samples.lock().map_err(|_| "poisoned")?.clone();
        samples.sort_unstable();
        let at = |q: f64| {
            samples
                .get(((samples.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or(0)
        };
        table.push_str(&format!(
            "| {threads} | {} | {} | {} |\n",
            at(0.5),
            at(0.99),
            samples.last().copied().unwrap_or(0)
        ));
    }
    Ok(table)
}
