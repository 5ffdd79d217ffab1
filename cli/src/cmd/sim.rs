//! `seccompctl sim (FILE.bpf | POLICY) --syscall NAME|NR`: runs one syscall through a filter in the emulator
//! and prints the action and the number of instructions executed.

use super::common::parse_arch;
use crate::args::SimArgs;
use crate::error::{CliError, CliResult, Failure};
use crate::input::{self, Loaded};
use crate::numbers::parse_register;
use crate::output;
use seccomp_core::abi::{SeccompData, X32_SYSCALL_BIT};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::{Emulation, emulate, validate};
use serde_json::json;

/// What a simulation found.
struct Outcome {
    /// `bpf` or `policy`.
    kind: &'static str,
    /// The program's answer.
    emulation: Emulation,
    /// For a policy: its direct evaluation, which must agree with the compiled program.
    policy_action: Option<Action>,
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
            let outcome = Outcome {
                kind: "bpf",
                emulation: emulate(&program, &data),
                policy_action: None,
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
        }))?;
    } else {
        let mut text = format!(
            "action: {action} ({:#010x})\nexecuted: {} instructions\n",
            action.raw(),
            outcome.emulation.executed
        );
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
    let outcome = Outcome {
        kind: "policy",
        emulation: emulate(&compiled.program(), &data),
        policy_action: Some(policy.evaluate(&data)),
    };
    Ok((arch, (data, outcome)))
}
