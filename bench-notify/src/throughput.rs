//! The throughput rows (issue #10, section 5): 8 target processes calling a notified syscall in a loop,
//! against one `seccomp-supervisor` with 1 and then 2 threads: notifications answered per second, the CPU
//! time each notification costs on the target side (T) and on the supervisor side (S), and the scaling
//! from 1 to 2 threads.
//!
//! The target is this binary re-executed with `--throughput-target N KIND [PATH]` under a filter that
//! notifies the one syscall and allows everything else (spawned with `seccomp_sys::spawn`, which hands the
//! listener over before the exec); it forks the 7 others, which inherit the filter, so all 8 share one
//! listener and the supervisor's thread count is what limits them. Two handlers ([`Work`]):
//! - [`Work::Value`]: `getppid` answered with a value at once (checked by the target);
//! - [`Work::Open`]: `openat` of a file read from the target, checked to lie beneath a directory, opened
//!   by the supervisor with the target's credentials in its root and injected (`ADDFD` + `SEND`): the
//!   path-checked open of the latency row, whose handler does real work.
//!
//! CPU time: the supervisor's from `CLOCK_PROCESS_CPUTIME_ID` (every thread of this process; the main
//! thread only waits), the targets' from `getrusage(RUSAGE_CHILDREN)` (the first target waits for its 7,
//! so all 8 are counted once it is reaped), both as differences over the measurement. On `C` CPUs the targets and the supervisor share, no thread count can answer more than
//! `C / (S + T)` notifications per second, and one thread no more than `1 / S`: so the scaling from 1 to 2
//! threads on 2 CPUs is at most `2 S / (S + T)` (when one thread is the limit).

use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, Width};
use seccomp_supervisor::path::Lexical;
use seccomp_supervisor::{Answer, Call, Context, Reply, Supervisor};
use seccomp_sys::FilterFlags;
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec};
use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

/// How many target processes run at once.
pub const TARGETS: usize = 8;

/// The flag that marks the targets' notified opens (`O_NOCTTY`, meaningless for a regular file).
const NOTIFIED_OPEN: u64 = linux_raw_sys::general::O_NOCTTY as u64;

/// The value `getppid` is answered with (the target checks it).
const ANSWER: i64 = 7;

/// What the handler does for each notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// `getppid` answered with a fixed value at once.
    Value,
    /// A path-checked `openat`, opened by the supervisor and injected.
    Open,
}

impl Work {
    /// The name in the raw output and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Work::Value => "getppid_value",
            Work::Open => "openat_emulated",
        }
    }

    /// The inverse of [`Work::name`].
    pub fn from_name(name: &str) -> Option<Work> {
        [Work::Value, Work::Open]
            .into_iter()
            .find(|work| work.name() == name)
    }

    fn syscall(self) -> &'static str {
        match self {
            Work::Value => "getppid",
            Work::Open => "openat",
        }
    }
}

/// One configuration's measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Notifications answered per second (all targets' calls over the wall time).
    pub rate: f64,
    /// Supervisor CPU time per notification, ns.
    pub supervisor_ns: f64,
    /// Target CPU time per notification, ns.
    pub target_ns: f64,
}

/// One throughput configuration: the handler's work, the serving threads, `SYNC_WAKE_UP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The handler.
    pub work: Work,
    /// Serving threads for the one listener.
    pub threads: usize,
    /// Whether the listener has `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`.
    pub sync_wakeup: bool,
}

/// The configurations, in table order: each handler with 1 and 2 threads, with and without
/// `SYNC_WAKE_UP`.
pub fn configs() -> Vec<Config> {
    let mut out = Vec::new();
    for work in [Work::Value, Work::Open] {
        for sync_wakeup in [true, false] {
            for threads in [1, 2] {
                out.push(Config {
                    work,
                    threads,
                    sync_wakeup,
                });
            }
        }
    }
    out
}

/// One target's loop: `iterations` calls of the work's syscall, each answer checked.
fn target_loop(iterations: u64, work: Work, path: &CStr) -> bool {
    for _ in 0..iterations {
        match work {
            Work::Value => {
                if crate::getppid() != Ok(ANSWER as usize) {
                    return false;
                }
            }
            Work::Open => {
                match rustix::fs::openat(
                    rustix::fs::CWD,
                    path,
                    rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NOCTTY,
                    rustix::fs::Mode::empty(),
                ) {
                    Ok(fd) => drop(fd),
                    Err(_) => return false,
                }
            }
        }
    }
    true
}

/// The targets: fork `TARGETS - 1` children (sharing the filter), then each makes `iterations` notified
/// calls; the first waits for the others and exits 0 if every answer of every target was right.
#[allow(unsafe_code)]
pub fn target(args: &[String]) -> ! {
    let iterations = args.first().and_then(|n| n.parse().ok()).unwrap_or(0);
    let Some(work) = args.get(1).and_then(|name| Work::from_name(name)) else {
        std::process::exit(4)
    };
    let Ok(path) = CString::new(args.get(2).cloned().unwrap_or_default()) else {
        std::process::exit(4)
    };
    let mut children = Vec::new();
    for _ in 1..TARGETS {
        // SAFETY: this process is single-threaded (just exec'd); the child only loops over the notified
        // syscall and exits.
        match unsafe { seccomp_sys::process::fork() } {
            Ok(seccomp_sys::process::Fork::Child) => {
                std::process::exit(if target_loop(iterations, work, &path) {
                    0
                } else {
                    3
                })
            }
            Ok(seccomp_sys::process::Fork::Parent(pid)) => children.push(pid),
            Err(_) => std::process::exit(2),
        }
    }
    let mut ok = target_loop(iterations, work, &path);
    for pid in children {
        let status = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
        ok &= matches!(status, Ok(Some((_, status))) if status.exit_status() == Some(0));
    }
    std::process::exit(if ok { 0 } else { 1 })
}

/// The filter: notify the work's syscall, allow the rest.
fn program(work: Work) -> Result<Vec<seccomp_core::abi::SockFilter>, String> {
    let arch = Arch::native().ok_or("unsupported host architecture")?;
    let mut policy: Policy = Policy::new(arch, Action::ALLOW);
    // Only the targets' own opens carry `O_NOCTTY` (the dynamic loader's must run unsupervised).
    let marked = Comparison::new(2, Width::Low, Op::MaskedEq(NOTIFIED_OPEN), NOTIFIED_OPEN)
        .map_err(|e| e.to_string())?;
    let alternatives: &[&[Comparison]] = match work {
        Work::Value => &[],
        Work::Open => &[&[marked]],
    };
    policy
        .add_named_rule(work.syscall(), Action::NOTIFY, alternatives)
        .map_err(|e| e.to_string())?;
    let mut out = vec![seccomp_core::abi::SockFilter::default(); 4096];
    let compiled = seccomp_core::policy::compile(&policy, &mut out).map_err(|e| e.to_string())?;
    Ok(compiled.program().insns().to_vec())
}

/// The handler of `work`; `tree` is the directory the opens must lie beneath.
fn handler(work: Work, tree: Lexical) -> impl Fn(Call<'_>) -> Reply + Send + Sync + 'static {
    move |call: Call<'_>| -> Reply {
        if work == Work::Value {
            return call.answer(Answer::Value(ANSWER));
        }
        crate::emulated::open_beneath(call, &tree)
    }
}

/// The CPU time (ns) of this process's reaped children and their reaped descendants
/// (`getrusage(RUSAGE_CHILDREN)`, microseconds; `/proc/self/stat` counts only 10 ms ticks).
#[allow(unsafe_code)]
fn children_cpu_ns() -> Result<f64, String> {
    // `struct rusage`: `ru_utime` and `ru_stime` (two `timeval`s: seconds, microseconds), then 14 longs.
    let mut usage = [0i64; 18];
    const RUSAGE_CHILDREN: isize = -1;
    // SAFETY: getrusage writes one `struct rusage` (144 bytes on 64-bit Linux) into the buffer, which
    // is that large and lives across the call.
    unsafe {
        seccomp_sys::raw::syscall3(
            linux_raw_sys::general::__NR_getrusage,
            RUSAGE_CHILDREN as usize,
            usage.as_mut_ptr() as usize,
            0,
        )
    }
    .map_err(|errno| format!("getrusage: {errno}"))?;
    let [user_s, user_us, system_s, system_us, ..] = usage;
    Ok(((user_s + system_s) as f64 * 1e6 + (user_us + system_us) as f64) * 1e3)
}

/// This process's CPU time (every thread), ns.
fn own_cpu_ns() -> f64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

/// One measurement of `config` with `iterations` calls per target.
fn measure(
    config: Config,
    program: &[seccomp_core::abi::SockFilter],
    exe: &CStr,
    iterations: u64,
    tree: &str,
    file: &str,
) -> Result<Measured, String> {
    let supervisor = Supervisor::new(
        handler(config.work, Lexical::new(tree.as_bytes())),
        config.threads,
    );
    supervisor.set_sync_wake_up(config.sync_wakeup);
    let count = CString::new(iterations.to_string()).map_err(|e| e.to_string())?;
    let file = CString::new(file).map_err(|e| e.to_string())?;
    let work = CString::new(config.work.name()).map_err(|e| e.to_string())?;
    let argv_refs: [&CStr; 5] = [exe, c"--throughput-target", &count, &work, &file];
    let mut argv_storage = [std::ptr::null(); 6];
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
    let (children_before, own_before) = (children_cpu_ns()?, own_cpu_ns());
    let started = Instant::now();
    let mut child = spawn::spawn(&exec, &confinement).map_err(|e| e.to_string())?;
    let ready = child.wait_ready().map_err(|e| e.to_string())?;
    let listener = ready.listener.ok_or("no listener")?;
    supervisor.add(listener, Context::new("targets").with_pid(child.pid()));
    let status = child.wait().map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let (children_after, own_after) = (children_cpu_ns()?, own_cpu_ns());
    supervisor.wait_all_hung_up_for(Duration::from_secs(5));
    supervisor.shutdown();
    if status != spawn::ExitStatus::Exited(0) {
        return Err(format!("{}: the targets ended with {status}", config.work.name()));
    }
    let notifications = (TARGETS as u64 * iterations) as f64;
    Ok(Measured {
        rate: notifications / seconds,
        supervisor_ns: (own_after - own_before) / notifications,
        target_ns: (children_after - children_before) / notifications,
    })
}

/// The median of `samples` by rate.
fn median(samples: &mut [Measured]) -> Option<Measured> {
    samples.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    samples.get(samples.len().saturating_sub(1) / 2).copied()
}

/// Runs every configuration in `rounds` interleaved rounds of `iterations` calls per target; the
/// median round of each (by rate). `tree` is a directory holding `file` for the open handler.
pub fn run(iterations: u64, rounds: u64, tree: &str, file: &str) -> Result<Vec<(Config, Measured)>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let exe = CString::new(exe.into_os_string().into_encoded_bytes()).map_err(|e| e.to_string())?;
    let configs = configs();
    let programs = [program(Work::Value)?, program(Work::Open)?];
    let mut samples = vec![Vec::new(); configs.len()];
    for round in 0..rounds as usize {
        for k in 0..configs.len() {
            let index = (k + round) % configs.len();
            let config = configs[index];
            let program = &programs[usize::from(config.work == Work::Open)];
            samples[index].push(measure(config, program, &exe, iterations, tree, file)?);
        }
    }
    configs
        .into_iter()
        .zip(samples.iter_mut())
        .map(|(config, samples)| Ok((config, median(samples).ok_or("no rounds")?)))
        .collect()
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
