//! `seccompctl sim (FILE.bpf | POLICY) --syscall NAME|NR`: runs one syscall through a filter in the emulator
//! and prints the action and the number of instructions executed.

use super::common::parse_arch;
use crate::args::SimArgs;
use crate::error::{CliError, CliResult, Failure};
use crate::input::{self, Loaded};
use crate::numbers::parse_register;
use crate::output;
use crate::output::listing;
use seccomp_core::abi::{SeccompData, X32_SYSCALL_BIT};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{Emulation, Validated, emulate, trace, validate};
use serde_json::json;

/// What a simulation found.
struct Outcome {
    /// `bpf` or `policy`.
    kind: &'static str,
    /// The program's answer.
    emulation: Emulation,
    /// For a policy: its direct evaluation, which must agree with the compiled program.
    policy_action: Option<Action>,
    /// With `--trace`: the executed path, one entry per instruction run.
    path: Vec<PathStep>,
}

/// One executed instruction of `--trace`.
struct PathStep {
    /// The listing line (annotated as `disasm` annotates it).
    line: String,
    /// The instruction's index.
    pc: usize,
    /// A and X before it ran.
    a: u32,
    x: u32,
}

/// Runs the program on `data`, recording the path when `want_path`.
fn run_program(
    program: &Validated<'_>,
    data: &SeccompData,
    arch: Arch,
    want_path: bool,
) -> (Emulation, Vec<PathStep>) {
    if !want_path {
        return (emulate(program, data), Vec::new());
    }
    let lines = listing::lines(program.insns(), arch, false);
    let mut path = Vec::new();
    let emulation = trace(program, data, |step| {
        path.push(PathStep {
            line: lines.get(step.pc).cloned().unwrap_or_default(),
            pc: step.pc,
            a: step.a,
            x: step.x,
        });
    });
    (emulation, path)
}

/// Simulates and prints; exit status 1 when `--expect` names another action.
pub fn run(args: &SimArgs) -> CliResult {
    let file = args.input.display().to_string();
    let expect = args
        .expect
        .as_deref()
        .map(|text| {
            text.parse::<Action>()
                .map_err(|e| CliError::usage(format!("--expect `{text}`: {e}")))
        })
        .transpose()?;
    let loaded = input::read_bpf_or_policy(&args.input)?;
    let (arch, outcome) = match loaded {
        Loaded::Bpf(insns) => {
            let arch = parse_arch(args.arch.as_deref())?;
            let data = syscall_data(args, arch)?;
            let program = validate(&insns).map_err(|error| {
                CliError::bad_input(format!("{file}: the kernel would refuse this program: {error}"))
            })?;
            let (emulation, path) = run_program(&program, &data, arch, args.trace);
            let outcome = Outcome {
                kind: "bpf",
                emulation,
                policy_action: None,
                path,
            };
            (arch, (data, outcome))
        }
        Loaded::Policy(text) => simulate_policy(args, &args.input, &text)?,
    };
    let (data, outcome) = outcome;
    let action = outcome.emulation.action;
    let name = u32::try_from(data.nr)
        .ok()
        .and_then(|nr| arch.syscalls().name(nr));
    if args.json {
        output::print_json(&json!({
            "input": file,
            "kind": outcome.kind,
            "arch": arch.name(),
            "syscall": { "name": name, "nr": data.nr },
            "args": data.args.iter().map(|arg| format!("{arg:#x}")).collect::<Vec<_>>(),
            "ip": format!("{:#x}", data.instruction_pointer),
            "action": action.to_string(),
            "action_raw": format!("{:#010x}", action.raw()),
            "executed": outcome.emulation.executed,
            "policy_action": outcome.policy_action.map(|policy| policy.to_string()),
            "path": args.trace.then(|| outcome.path.iter().map(|step| json!({
                "pc": step.pc,
                "text": step.line.split_once(": ").map_or(step.line.as_str(), |(_, text)| text),
                "a": step.a,
                "x": step.x,
            })).collect::<Vec<_>>()),
        }))?;
    } else {
        let mut text = String::new();
        for step in &outcome.path {
            let width = step.line.chars().count();
            let pad = 56usize.saturating_sub(width).max(1);
            text.push_str(&format!(
                "{}{:pad$}| A = {:#010x}  X = {:#x}\n",
                step.line, "", step.a, step.x
            ));
        }
        if let Some(last) = outcome.path.last() {
            text.push_str(&format!("return {action} at {}\n", last.pc));
        }
        text.push_str(&format!(
            "action: {action} ({:#010x})\nexecuted: {} instructions\n",
            action.raw(),
            outcome.emulation.executed
        ));
        if let Some(policy) = outcome.policy_action {
            text.push_str(&format!("policy evaluation: {policy}\n"));
        }
        output::print(&text)?;
    }
    if let Some(policy) = outcome.policy_action
        && policy != action
    {
        return Err(CliError::system(format!(
            "{file}: the compiled program answers {action} but the policy says {policy} (a compiler bug)"
        )));
    }
    match expect {
        Some(expected) if expected != action => Err(CliError::new(
            Failure::CheckFailed,
            format!("expected {expected}, the filter answers {action}"),
        )),
        _ => Ok(0),
    }
}

/// The `seccomp_data` the command line describes, for a syscall of `arch`.
fn syscall_data(args: &SimArgs, arch: Arch) -> Result<SeccompData, CliError> {
    let query = args.syscall.trim();
    let nr = match parse_register(query) {
        Some(value) => {
            // Accept the number as an i32 or as its 32-bit two's-complement pattern.
            let nr = i32::try_from(value as i64)
                .ok()
                .or_else(|| u32::try_from(value).ok().map(|nr| nr as i32))
                .ok_or_else(|| CliError::usage(format!("--syscall {query}: not a 32-bit syscall number")))?;
            // x32 numbers carry the x32 bit; accept them written without it.
            if arch == Arch::X32 && nr >= 0 && (nr as u32) & X32_SYSCALL_BIT == 0 {
                (nr as u32 | X32_SYSCALL_BIT) as i32
            } else {
                nr
            }
        }
        None => arch
            .syscalls()
            .nr(query)
            .map(|nr| nr as i32)
            .ok_or_else(|| CliError::usage(format!("--syscall: unknown syscall `{query}` on {arch}")))?,
    };
    if args.args.len() > 6 {
        return Err(CliError::usage(format!(
            "--args: {} values given, a syscall has at most 6",
            args.args.len()
        )));
    }
    let mut values = [0u64; 6];
    for (index, (slot, text)) in values.iter_mut().zip(&args.args).enumerate() {
        *slot = parse_register(text).ok_or_else(|| {
            CliError::usage(format!(
                "--args: argument {index} `{text}` is not a number (decimal, 0x hex, or negative)"
            ))
        })?;
    }
    let ip = match args.ip.as_deref() {
        Some(text) => {
            parse_register(text).ok_or_else(|| CliError::usage(format!("--ip `{text}` is not a number")))?
        }
        None => 0,
    };
    Ok(SeccompData {
        nr,
        arch: arch.audit(),
        instruction_pointer: ip,
        args: values,
    })
}

/// Compiles the policy and runs the syscall through both the program and the policy's own evaluation.
///
/// The policy targets `--arch` (or the host's architecture) unless its text has an `arch` line; the
/// simulated syscall is of `--arch` when given, else of the policy's architecture, so a syscall of a
/// foreign architecture can be tried against a policy.
fn simulate_policy(
    args: &SimArgs,
    path: &std::path::Path,
    text: &str,
) -> Result<(Arch, (SeccompData, Outcome)), CliError> {
    let default_arch = parse_arch(args.arch.as_deref())?;
    let policy = input::parse_policy(path, text, default_arch)?;
    let arch = if args.arch.is_some() {
        default_arch
    } else {
        policy.arch()
    };
    let data = syscall_data(args, arch)?;
    let mut out = vec![seccomp_core::abi::SockFilter::default(); seccomp_core::abi::BPF_MAXINSNS];
    let compiled = super::compile::compile_policy(path, &policy, &mut out)?;
    let (emulation, path) = run_program(&compiled.program(), &data, arch, args.trace);
    let outcome = Outcome {
        kind: "policy",
        emulation,
        policy_action: Some(policy.evaluate(&data)),
        path,
    };
    Ok((arch, (data, outcome)))
}
