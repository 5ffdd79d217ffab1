//! The command-line surface: every subcommand, option and help text, as clap derive definitions.
//!
//! This module holds no behaviour; `cmd/` implements each subcommand. `cargo xtask man` and
//! `seccompctl completions` generate the man page and shell completions from [`Cli`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// seccompctl: run, supervise, trace, learn, compile and inspect seccomp filters.
#[derive(Debug, Parser)]
#[command(
    name = "seccompctl",
    version,
    about = "Run, supervise, trace, learn, compile and inspect seccomp filters",
    long_about = "seccompctl drives Linux seccomp end to end: it runs commands under a policy, supervises and \
                  traces their syscalls through user notifications (no ptrace), learns policies, compiles \
                  policies into minimal kernel-cacheable BPF, inspects and simulates filters, and serves as an \
                  OCI seccomp agent.",
    after_help = EXIT_STATUS_HELP,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit statuses, shown under every `--help` and in the man page.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0    success
  1    a check failed (check: invalid program; sim --expect: another action)
  2    usage error: a bad option or value on the command line (unknown syscall
       or arch name, bad number, unknown subcommand)
  3    bad input: an unreadable or malformed policy, profile, BPF or asm file
  4    the kernel refused or lacks a feature (install failed, permission denied)
  5    other system error (writing an output file failed)
  run, trace, learn: the command's own status (128 + N when killed by signal N),
  or 125 when seccompctl itself failed, 126 when the command cannot run, 127 when
  it is not found.
Errors are one line on stderr starting `seccompctl:`, control characters escaped.
A closed pipe on stdout (`| head`) ends the output quietly, with the status above.";

/// The values `--arch` accepts: every supported architecture under its canonical name (which the shell
/// completions offer), its other names (`amd64`, `arm64`, `SCMP_ARCH_X86_64`, ...) as hidden aliases.
pub fn arch_values() -> clap::builder::PossibleValuesParser {
    use clap::builder::PossibleValue;
    seccomp_core::arch::Arch::ALL
        .iter()
        .map(|arch| {
            let (name, aliases) = arch.aliases().split_first().unwrap_or((&"", &[]));
            PossibleValue::new(*name).aliases(aliases.iter().copied())
        })
        .collect::<Vec<_>>()
        .into()
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command under a policy, supervising its notify rules.
    #[command(after_help = "Example:\n  seccompctl run --policy sandbox.policy -- /bin/ls -l /tmp")]
    Run(RunArgs),
    /// Trace a command's syscalls through seccomp notifications (no ptrace).
    #[command(
        long_about = "Trace a command's syscalls through seccomp notifications (no ptrace): each call is shown \
                      decoded when it is made, then continued. Return values are not visible (the supervisor \
                      sees a call before the kernel runs it), so every line ends in `= ?`, as strace shows a \
                      call whose result it does not know.",
        after_help = "Examples:\n  seccompctl trace -- cat /etc/hostname\n  seccompctl trace -e trace=%file,%network -y -tt -- curl -s example.org\n  seccompctl trace -c -- make"
    )]
    Trace(TraceArgs),
    /// Learn the smallest allow-list policy under which a command runs.
    #[command(
        after_help = "Always allowed: rt_sigreturn, restart_syscall, exit, exit_group, futex. Not seen but with a glibc \
                      fallback (clone3, faccessat2, statx, close_range, rseq, ...): errno(ENOSYS). The file is \
                      written only after the command ran, atomically. Run it again with --merge on other input \
                      until nothing is added; see docs/learn.md.\n\n\
                      Example:\n  seccompctl learn -o ls.policy -- ls /\n  seccompctl learn --merge -o ls.policy -- ls -la /tmp\n  \
                      seccompctl run --policy ls.policy -- ls /"
    )]
    Learn(LearnArgs),
    /// Compile a policy or OCI profile into a seccomp filter.
    #[command(
        after_help = "Example:\n  seccompctl compile sandbox.policy --arch x86_64 -o sandbox.bpf\n  \
                            seccompctl compile --oci profile.json --arch aarch64 --emit stats"
    )]
    Compile(CompileArgs),
    /// Disassemble a raw BPF filter file, or the filters installed in a process, naming the syscalls and
    /// architectures it compares with (the listing reassembles with `asm`).
    #[command(
        after_help = "Example:\n  seccompctl disasm sandbox.bpf --hex\n  seccompctl disasm --pid 1234\n  \
                      seccompctl disasm sandbox.bpf > sandbox.asm; $EDITOR sandbox.asm; seccompctl asm sandbox.asm -o sandbox.bpf"
    )]
    Disasm(DisasmArgs),
    /// Assemble a listing (`disasm` or `compile --emit asm` output, edited or hand-written) into raw BPF.
    #[command(
        after_help = "The syntax is the disassembler's: `12: jeq #0, 13, 14` lines as disasm writes them, or \
                      labels (`allow: ret ALLOW`, `jeq #0, allow, deny`) and `;` comments; see docs/policy.md.\n\n\
                      Example:\n  seccompctl disasm sandbox.bpf > sandbox.asm\n  $EDITOR sandbox.asm\n  \
                      seccompctl asm sandbox.asm -o sandbox.bpf && seccompctl check sandbox.bpf"
    )]
    Asm(AsmArgs),
    /// Simulate one syscall against a filter or policy: the action and instructions executed.
    #[command(
        after_help = "Example:\n  seccompctl sim sandbox.bpf --arch x86_64 --syscall openat --args 0xffffff9c,0x1000,2\n  \
                      seccompctl sim sandbox.policy --syscall write --trace"
    )]
    Sim(SimArgs),
    /// Validate a raw BPF file with the kernel's rules and show its statistics and cacheable syscalls.
    #[command(after_help = "Example:\n  seccompctl check sandbox.bpf --arch x86_64")]
    Check(CheckArgs),
    /// List the seccomp actions the running kernel supports.
    #[command(after_help = "Example:\n  seccompctl actions --json")]
    Actions(JsonArgs),
    /// Show the notification struct sizes the running kernel reports.
    #[command(after_help = "Example:\n  seccompctl sizes")]
    Sizes(JsonArgs),
    /// Show everything the running kernel supports: actions, filter flags, notification ioctls.
    #[command(after_help = "Example:\n  seccompctl features --json")]
    Features(JsonArgs),
    /// Resolve a syscall name to its number or a number to its name.
    #[command(after_help = "Example:\n  seccompctl resolve openat --arch aarch64\n  seccompctl resolve 59")]
    Resolve(ResolveArgs),
    /// Serve as an OCI seccomp agent on a Unix socket (runc/crun `listenerPath`).
    #[command(
        after_help = "Example:\n  seccompctl agent --socket /run/seccomp-agent.sock --policy handlers.policy"
    )]
    Agent(AgentArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  seccompctl completions bash > /etc/bash_completion.d/seccompctl")]
    Completions(CompletionsArgs),
    /// Print the help of seccompctl or of a subcommand (the same text as `--help`).
    #[command(after_help = "Example:\n  seccompctl help compile")]
    Help(HelpArgs),
}

/// `help`.
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// The subcommand whose help to print (none: the overview).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// Where a policy comes from: a native policy file or an OCI profile.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
pub struct PolicySource {
    /// A policy in the native text format (see docs/policy.md).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// An OCI runtime-spec seccomp profile (JSON; Docker's profile extensions accepted).
    #[arg(long, value_name = "FILE")]
    pub oci: Option<PathBuf>,
}

/// How an OCI profile is imported: Docker's conditions, strictness and what is said about it. Ignored for
/// native policies.
#[derive(Debug, Args, Clone, Default)]
pub struct OciOptions {
    /// The container's capabilities for a Docker profile's includes/excludes: `docker` (Docker's 14
    /// default capabilities, the default), `podman` (Podman's 11), `none`, `all`, or a comma-separated
    /// list (`CAP_SYS_ADMIN,net_raw`).
    #[arg(long, value_name = "CAPS")]
    pub caps: Option<String>,
    /// Add capabilities to --caps (comma-separated; `all` adds every one), as `docker run --cap-add`.
    #[arg(long, value_name = "CAPS", value_delimiter = ',')]
    pub cap_add: Vec<String>,
    /// Remove capabilities from --caps (comma-separated; `all` removes every one), as `--cap-drop`.
    #[arg(long, value_name = "CAPS", value_delimiter = ',')]
    pub cap_drop: Vec<String>,
    /// The kernel version for a Docker profile's minKernel (`6.8`); default: the running kernel.
    #[arg(long, value_name = "VERSION")]
    pub kernel: Option<String>,
    /// Refuse a profile that names syscalls the target lacks or contradicts itself, instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// The runtime whose filter to reproduce: `runc` (the default) puts its -ENOSYS stub in front of
    /// libseccomp's filter, so syscall numbers above the largest the profile names (per ABI) fail with
    /// ENOSYS and a libc falls back; `crun` loads libseccomp's filter as it is (they get the default
    /// action). See docs/oci.md, rule 15.
    #[arg(long, value_enum, value_name = "RUNTIME", default_value_t = OciRuntime::Runc)]
    pub runtime: OciRuntime,
    /// Say more about the profile import: how many names the target lacks, the kernel version used,
    /// runc's -ENOSYS ceilings.
    #[arg(short, long)]
    pub verbose: bool,
}

/// The container runtime whose filter an OCI import reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OciRuntime {
    /// libseccomp's filter behind runc's -ENOSYS stub.
    #[default]
    Runc,
    /// libseccomp's filter alone.
    Crun,
}

/// How the supervisor answers a notification that no more specific rule answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyAnswer {
    /// Let the syscall run (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`).
    Continue,
    /// Fail the syscall with this errno.
    Errno(u16),
    /// Return this value without running the syscall.
    Value(i64),
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The policy.
    #[command(flatten)]
    pub source: PolicySource,
    /// How --oci profiles are imported.
    #[command(flatten)]
    pub oci_options: OciOptions,
    /// Handler rules deciding each notification, first match in file order (docs/policy.md): the native
    /// format plus `path under "DIR"` / `path == "FILE"` and (connect, bind) `family`, `addr`, `port`
    /// predicates; `allow` continues (an allow that read memory is done by seccompctl for the command:
    /// open and inject the fd, mkdir, unlink, rename, chmod, stat, connect, bind), `errno(N)` fails,
    /// `kill-process` kills, `notify` falls back to `--on-notify`; `emulate` lines make mknod, mount,
    /// sysinfo and module loads for a user-namespaced command (docs/policy.md, "Container handlers").
    #[arg(long, value_name = "FILE")]
    pub handlers: Option<PathBuf>,
    /// How many threads serve the listener, each receiving, deciding and answering (with 2 or more one is
    /// always waiting for the next notification while another decides).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// How to answer notifications no handler decides: `continue`, `errno(EPERM)` / `errno(N)`, or `value(N)`.
    #[arg(long, value_name = "ANSWER", default_value = "continue", value_parser = NotifyAnswerParser, hide_possible_values = true)]
    pub on_notify: NotifyAnswer,
    /// Do not set no_new_privs (needs CAP_SYS_ADMIN).
    #[arg(long)]
    pub no_nnp: bool,
    /// Log notifications as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the notification log to FILE instead of stderr.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not log notifications, nor warn about the --oci profile.
    #[arg(short, long)]
    pub quiet: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Comma-separated syscall names to trace (none given: every syscall, like strace).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with_all = ["all", "expr"],
        value_parser = SyscallNameParser,
        hide_possible_values = true
    )]
    pub syscalls: Vec<String>,
    /// Trace every syscall (the default when neither --syscalls nor -e is given).
    #[arg(long)]
    pub all: bool,
    /// strace's selection: `trace=LIST` (or just LIST) of syscall names, numbers and classes (%file,
    /// %desc, %process, %network, %signal, %memory, %ipc, %creds, %clock, %pure, %%stat, ...), `!` in
    /// front to trace all but those, `?` before a name to ignore it when unknown; a later -e replaces an
    /// earlier one.
    #[arg(
        short = 'e',
        value_name = "EXPR",
        conflicts_with = "all",
        allow_hyphen_values = true
    )]
    pub expr: Vec<String>,
    /// Count the calls per syscall and print a table at exit instead of the calls (like strace -c;
    /// no times or errors: a notification is seen before the call runs).
    #[arg(short = 'c', long = "summary-only")]
    pub summary: bool,
    /// Show the path of each fd argument, as strace -y: `3</etc/passwd>` (from /proc/PID/fd).
    #[arg(short = 'y', long = "decode-fds")]
    pub decode_fds: bool,
    /// Prefix each line with the time of day (UTC): -t seconds, -tt microseconds, -ttt seconds since the
    /// epoch.
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub timestamps: u8,
    /// Prefix each line with the time since the previous line (seconds.microseconds), as strace -r.
    #[arg(short = 'r', long = "relative-timestamps")]
    pub relative: bool,
    /// Show at most N bytes of strings and buffers (as strace -s); paths are shown whole.
    #[arg(short = 's', long = "string-limit", value_name = "N", default_value_t = 32)]
    pub string_limit: usize,
    /// Follow forks (accepted for strace compatibility: children are always traced).
    #[arg(short = 'f', long = "follow-forks")]
    pub follow_forks: bool,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the trace to FILE instead of stderr.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// The policy formats `learn` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// The native text format.
    Native,
    /// An OCI runtime-spec seccomp profile.
    Oci,
}

/// `learn`.
#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Where to write the learned policy.
    #[arg(short = 'o', long, value_name = "POLICY")]
    pub output: PathBuf,
    /// The policy format to write.
    #[arg(long, value_enum, default_value_t = PolicyFormat::Native)]
    pub format: PolicyFormat,
    /// The learned policy's default action for everything the command did not use.
    #[arg(long, value_name = "ACTION", default_value = "errno(EPERM)")]
    pub default: String,
    /// Grow the existing POLICY file instead of replacing it: its rules are kept and this run's syscalls
    /// added (a missing file starts a new policy). Its default and bad-arch actions are kept.
    #[arg(short = 'a', long, visible_alias = "append")]
    pub merge: bool,
    /// Also learn arguments where that tightens the policy cheaply: socket families, ioctl requests,
    /// prctl options, and mmap/mprotect never writable and executable at once (W^X).
    #[arg(long)]
    pub args: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What `compile` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// Raw little-endian `sock_filter` array, as libseccomp's `seccomp_export_bpf` writes.
    Bpf,
    /// Readable assembly (the disassembler's syntax, which `disasm` and the assembler read back).
    Asm,
    /// A C array of `struct sock_filter`.
    C,
    /// A Rust `const` array for embedding in a static binary.
    Rust,
    /// Statistics as JSON: length, executed instructions (mean, max), cacheable syscalls.
    Stats,
}

/// `compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// A policy in the native text format.
    #[arg(
        value_name = "POLICY",
        required_unless_present = "oci",
        conflicts_with = "oci"
    )]
    pub policy: Option<PathBuf>,
    /// An OCI seccomp profile instead of a native policy.
    #[arg(long, value_name = "PROFILE")]
    pub oci: Option<PathBuf>,
    /// How --oci profiles are imported.
    #[command(flatten)]
    pub oci_options: OciOptions,
    /// Do not warn about the --oci profile.
    #[arg(short, long)]
    pub quiet: bool,
    /// The target architecture; defaults to the policy's or the host's.
    #[arg(long, value_name = "ARCH", value_parser = arch_values(), ignore_case = true)]
    pub arch: Option<String>,
    /// The output file (default: standard output).
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// What to write.
    #[arg(long, value_enum, default_value_t = Emit::Bpf)]
    pub emit: Emit,
}

/// `disasm`.
#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// A raw BPF file (little-endian `sock_filter` array).
    #[arg(
        value_name = "FILE.bpf",
        required_unless_present = "pid",
        conflicts_with = "pid"
    )]
    pub file: Option<PathBuf>,
    /// Dump the filters installed in this process (PTRACE_SECCOMP_GET_FILTER; needs CAP_SYS_ADMIN).
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,
    /// The syscall table for `nr` comparisons on paths that did not check the architecture (default: the
    /// host's; after `jeq #AUDIT_ARCH_...` on `arch` the checked architecture's table is used).
    #[arg(long, value_name = "ARCH", value_parser = arch_values(), ignore_case = true)]
    pub arch: Option<String>,
    /// Add the raw instruction (`code jt jf k`, hex) to each line's comment.
    #[arg(long)]
    pub hex: bool,
    /// Print JSON: one object per instruction (index, code, jt, jf, k, hex, text, syscall, arch).
    #[arg(long, conflicts_with = "hex")]
    pub json: bool,
}

/// `asm`.
#[derive(Debug, Args)]
pub struct AsmArgs {
    /// The assembly text.
    #[arg(value_name = "FILE.asm")]
    pub file: PathBuf,
    /// The output file for the raw BPF (default: standard output, refused when it is a terminal).
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Write the program even when the kernel would refuse it (for experiments); a note says why.
    #[arg(long)]
    pub allow_invalid: bool,
}

/// `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A raw BPF file or a native policy.
    #[arg(value_name = "FILE.bpf|POLICY")]
    pub input: PathBuf,
    /// The architecture of the simulated syscall.
    #[arg(long, value_name = "ARCH", value_parser = arch_values(), ignore_case = true)]
    pub arch: Option<String>,
    /// The syscall, by name or number.
    #[arg(long, value_name = "NAME|NR", value_parser = SyscallNameParser, hide_possible_values = true)]
    pub syscall: String,
    /// Up to six comma-separated argument values (decimal, 0x hex, or negative).
    #[arg(
        long,
        value_name = "A0,A1,...",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
    /// The instruction pointer.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Show the executed path: every instruction run, with the accumulator it saw (as seccomp-tools' emu).
    #[arg(long)]
    pub trace: bool,
    /// Exit with status 1 unless the filter answers exactly this action (`allow`, `errno(EPERM)`, ...).
    #[arg(long, value_name = "ACTION")]
    pub expect: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A raw BPF file.
    #[arg(value_name = "FILE.bpf")]
    pub file: PathBuf,
    /// The architecture whose syscall table the statistics use (default: the host's).
    #[arg(long, value_name = "ARCH", value_parser = arch_values(), ignore_case = true)]
    pub arch: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Commands whose only option is `--json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// A syscall name or number.
    #[arg(value_name = "NAME|NR", value_parser = SyscallNameParser, hide_possible_values = true)]
    pub syscall: String,
    /// The architecture (default: the host's).
    #[arg(long, value_name = "ARCH", value_parser = arch_values(), ignore_case = true)]
    pub arch: Option<String>,
}

/// `agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The Unix socket to listen on (the profile's `listenerPath`).
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
    /// Handler rules deciding each notification (same format and meaning as `run --handlers`); without
    /// them every notification gets the `--on-notify` answer. `--policy` is an alias. Repeatable:
    /// `FILE` is the default set, `NAME=FILE` a named set; a container selects one with the annotation
    /// `org.seccompctl.handlers=NAME` or its profile's `listenerMetadata` (a word `handlers=NAME`);
    /// a container selecting an unknown name gets EPERM for every notification.
    #[arg(long, visible_alias = "policy", value_name = "[NAME=]HANDLERS", value_parser = crate::agent::sets::parse_set_arg)]
    pub handlers: Vec<crate::agent::sets::SetArg>,
    /// How many threads serve each container's listener, each receiving, deciding and answering.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// How to answer notifications no handler rule matches.
    #[arg(long, value_name = "ANSWER", default_value = "continue", value_parser = NotifyAnswerParser, hide_possible_values = true)]
    pub on_notify: NotifyAnswer,
    /// Log notifications as JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The `--on-notify` parser: [`parse_notify_answer`], offering the common answers to shell completion
/// (any `errno(NAME|N)` and `value(N)` is accepted).
#[derive(Clone, Copy, Debug)]
pub struct NotifyAnswerParser;

impl clap::builder::TypedValueParser for NotifyAnswerParser {
    type Value = NotifyAnswer;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<NotifyAnswer, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| invalid(cmd, arg, "not UTF-8".to_owned()))?;
        parse_notify_answer(text).map_err(|message| invalid(cmd, arg, message))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let common = [
            "continue",
            "errno(EPERM)",
            "errno(EACCES)",
            "errno(ENOSYS)",
            "value(0)",
        ];
        Some(Box::new(
            common.into_iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// A parser that takes any syscall name or number as text (the subcommand checks it against the right
/// table) and offers the host's syscall names to shell completion.
#[derive(Clone, Copy, Debug)]
pub struct SyscallNameParser;

impl clap::builder::TypedValueParser for SyscallNameParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(cmd, arg, "not UTF-8".to_owned()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let arch = seccomp_core::arch::Arch::native().unwrap_or(seccomp_core::arch::Arch::X86_64);
        Some(Box::new(
            arch.syscalls()
                .iter()
                .map(|(name, _)| clap::builder::PossibleValue::new(name)),
        ))
    }
}

/// A clap "invalid value" error carrying our message.
fn invalid(cmd: &clap::Command, arg: Option<&clap::Arg>, message: String) -> clap::Error {
    let name = arg.map_or_else(|| "value".to_owned(), |arg| format!("--{}", arg.get_id()));
    clap::Error::raw(
        clap::error::ErrorKind::ValueValidation,
        format!("invalid value for {}: {message}\n", name.replace('_', "-")),
    )
    .with_cmd(cmd)
}

/// Parses `continue`, `errno(EPERM)`, `errno(N)` or `value(N)`.
pub fn parse_notify_answer(text: &str) -> Result<NotifyAnswer, String> {
    let text = text.trim();
    if text == "continue" {
        return Ok(NotifyAnswer::Continue);
    }
    if let Some(inner) = text
        .strip_prefix("value(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return crate::numbers::parse_i64(inner)
            .map(NotifyAnswer::Value)
            .ok_or_else(|| format!("bad value `{inner}`: expected a decimal or 0x hexadecimal number"));
    }
    if text.starts_with("errno") {
        let action: seccomp_core::action::Action = text.parse().map_err(|e| format!("`{text}`: {e}"))?;
        if let seccomp_core::action::ActionKind::Errno(errno) = action.kind() {
            return Ok(NotifyAnswer::Errno(errno));
        }
    }
    Err(format!("`{text}`: expected continue, errno(NAME|N) or value(N)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn notify_answers_parse() {
        assert_eq!(parse_notify_answer("continue"), Ok(NotifyAnswer::Continue));
        assert_eq!(parse_notify_answer("errno(EPERM)"), Ok(NotifyAnswer::Errno(1)));
        assert_eq!(parse_notify_answer("errno(38)"), Ok(NotifyAnswer::Errno(38)));
        assert_eq!(parse_notify_answer("value(-1)"), Ok(NotifyAnswer::Value(-1)));
        assert_eq!(parse_notify_answer("value(0x10)"), Ok(NotifyAnswer::Value(16)));
        assert!(parse_notify_answer("errno(4096)").is_err());
        assert!(parse_notify_answer("allow").is_err());
        assert!(parse_notify_answer("value(x)").is_err());
    }

    #[test]
    fn run_takes_the_command_after_double_dash() {
        let cli =
            Cli::try_parse_from(["seccompctl", "run", "--policy", "p", "--", "ls", "-l"]).expect("parses");
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(run.command, ["ls", "-l"]);
        assert_eq!(run.on_notify, NotifyAnswer::Continue);
    }
}
