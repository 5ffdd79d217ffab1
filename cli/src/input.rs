//! Loading what the inspection commands read: raw BPF files, native policies and OCI profiles.
//!
//! Every error names the file and, where the format allows it, the byte offset, `line:column` or JSON path
//! of the problem. Input sizes are bounded so that a hostile file cannot make the tool read without limit.

use crate::args::OciOptions;
use crate::error::CliError;
use seccomp_core::ActionParseErrorKind;
use seccomp_core::abi::SockFilter;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::raw;
use seccomp_core::policy::ParseErrorKind;
use seccomp_core::policy::Policy;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

/// The largest BPF file read, in bytes: 16 times the kernel's limit of 4096 instructions, so that an
/// oversized file can still be shown by `disasm`, but a huge one is refused before it is read.
pub const MAX_BPF_BYTES: u64 = 16 * 4096 * raw::INSN_SIZE as u64;

/// The largest policy or profile text read, in bytes (far more than any real policy).
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// Reads at most `limit` bytes of `path` (`-`: standard input, as Unix tools read it, so that
/// `seccompctl disasm f.bpf | seccompctl asm -` works); a longer file is an error naming the limit.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    let name = path.display();
    let file: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| CliError::bad_input(format!("{name}: {e}")))?)
    };
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::bad_input(format!("{name}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(CliError::bad_input(format!(
            "{name}: the file is larger than the {limit} bytes accepted"
        )));
    }
    Ok(bytes)
}

/// Decodes the bytes of a raw BPF file: any non-empty whole number of little-endian `sock_filter`s, even
/// more than the kernel loads (the validator decides about those). The error names the file and, for a
/// cut-short instruction, its byte offset.
pub fn decode_bpf(path: &Path, bytes: &[u8]) -> Result<Vec<SockFilter>, CliError> {
    raw::check_length(bytes).map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    Ok(raw::instructions(bytes).collect())
}

/// Reads and decodes a raw BPF file (see [`decode_bpf`]).
///
/// Text is refused with a message that says so: real BPF always holds NUL bytes (small opcodes and jump
/// offsets), text never does, so a NUL-free UTF-8 file is assembly or a policy, not a truncated program.
pub fn read_bpf(path: &Path) -> Result<Vec<SockFilter>, CliError> {
    let bytes = read_bounded(path, MAX_BPF_BYTES)?;
    if looks_like_text(&bytes) {
        return Err(CliError::bad_input(format!(
            "{}: this is text, not raw BPF: assemble a listing with `seccompctl asm {0} -o FILE.bpf`, \
             compile a policy with `seccompctl compile {0} -o FILE.bpf`",
            path.display()
        )));
    }
    decode_bpf(path, &bytes)
}

/// Whether `bytes` are text: non-empty UTF-8 without a NUL byte (see [`read_bpf`]).
pub fn looks_like_text(bytes: &[u8]) -> bool {
    !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// What an input file of `sim` turned out to be.
#[derive(Debug)]
pub enum Loaded {
    /// A raw BPF program.
    Bpf(Vec<SockFilter>),
    /// Policy text (UTF-8, no NUL byte).
    Policy(String),
}

/// Reads a file that may be raw BPF or a native policy.
///
/// A `.bpf` extension means BPF. Otherwise the content decides: a policy is UTF-8 text, and text never holds
/// a NUL byte, while every real BPF program does (opcodes and jump offsets are small numbers); so bytes that
/// are not UTF-8 or that contain a NUL are read as BPF, anything else as a policy.
pub fn read_bpf_or_policy(path: &Path) -> Result<Loaded, CliError> {
    let bytes = read_bounded(path, MAX_BPF_BYTES.max(MAX_TEXT_BYTES))?;
    let is_bpf_name = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("bpf"));
    if is_bpf_name || bytes.contains(&0) {
        return bpf_within_limit(path, &bytes).map(Loaded::Bpf);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Loaded::Policy(text)),
        Err(error) => bpf_within_limit(path, error.as_bytes()).map(Loaded::Bpf),
    }
}

/// Decodes BPF bytes, refusing more than [`MAX_BPF_BYTES`].
fn bpf_within_limit(path: &Path, bytes: &[u8]) -> Result<Vec<SockFilter>, CliError> {
    if bytes.len() as u64 > MAX_BPF_BYTES {
        return Err(CliError::bad_input(format!(
            "{}: the file is larger than the {MAX_BPF_BYTES} bytes accepted for BPF",
            path.display()
        )));
    }
    decode_bpf(path, bytes)
}

/// Reads a text file (policy or profile) of at most [`MAX_TEXT_BYTES`]; the error names the byte offset of
/// bad UTF-8.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = read_bounded(path, MAX_TEXT_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::bad_input(format!(
            "{}: not UTF-8 text (byte offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A policy loaded for compilation, with what its import has to say.
pub struct PolicyInput {
    /// The policy.
    pub policy: Box<Policy>,
    /// Warnings to show on stderr, each naming the file (none under `-q`).
    pub warnings: Vec<String>,
    /// Details shown only under `-v` (the kernel version used, how many names the target lacks).
    pub notes: Vec<String>,
}

impl PolicyInput {
    /// Prints the warnings and notes on stderr.
    pub fn report(&self) {
        for warning in &self.warnings {
            crate::error::warn(warning);
        }
        for note in &self.notes {
            crate::error::report(note);
        }
    }
}

/// Parses native policy text read from `path`. `arch` is the target unless the text has an `arch` line.
pub fn parse_policy(path: &Path, text: &str, arch: Arch) -> Result<Box<Policy>, CliError> {
    Policy::parse(text, arch).map(Box::new).map_err(|error| {
        let mut message = format!("{}:{error}", path.display());
        if let ParseErrorKind::Action(kind) = error.kind
            && kind != ActionParseErrorKind::BadParenthesis
            && let Some(token) = token_at(text, error.line, error.column)
        {
            message.push_str(&format!(", found `{token}`"));
        }
        CliError::bad_input(message)
    })
}

/// The word of an action at `line:column` of `text` (both from 1, the column in characters): what an
/// action error is about (`EPERMX` in `errno(EPERMX)`), so that the message can name it.
fn token_at(text: &str, line: u32, column: u32) -> Option<&str> {
    let line = text
        .split('\n')
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let start = line
        .char_indices()
        .nth(usize::try_from(column).ok()?.checked_sub(1)?)
        .map(|(at, _)| at)?;
    let rest = line.get(start..)?;
    let end = rest
        .find(|ch: char| ch.is_whitespace() || matches!(ch, '(' | ')' | '#'))
        .unwrap_or(rest.len());
    let token = rest.get(..end)?;
    (!token.is_empty()).then_some(token)
}

/// Reads and parses a native policy (see [`parse_policy`]).
pub fn read_policy(path: &Path, arch: Arch) -> Result<Box<Policy>, CliError> {
    let text = read_text(path)?;
    parse_policy(path, &text, arch)
}

/// Loads a native policy (`policy`) or an OCI profile (`oci`) for `arch`.
///
/// When `arch_given` is true the policy must target `arch`: a native policy whose `arch` line names
/// another architecture is refused rather than silently compiled for the wrong one.
pub fn load_policy_source(
    policy: Option<&Path>,
    oci: Option<&Path>,
    arch: Arch,
    arch_given: bool,
    options: &OciOptions,
    quiet: bool,
) -> Result<PolicyInput, CliError> {
    match (policy, oci) {
        (Some(path), _) => {
            let policy = read_policy(path, arch)?;
            if arch_given && policy.arch() != arch {
                return Err(CliError::usage(format!(
                    "{}: the policy's `arch` line says {} but --arch {arch} was given",
                    path.display(),
                    policy.arch()
                )));
            }
            Ok(PolicyInput {
                policy,
                warnings: Vec::new(),
                notes: Vec::new(),
            })
        }
        (None, Some(path)) => load_oci(path, arch, options, quiet),
        (None, None) => Err(CliError::usage("a POLICY file or --oci PROFILE is needed")),
    }
}

/// Imports an OCI profile for `arch`: a runtime-spec `linux.seccomp` object, a whole `config.json`, or a
/// Docker profile file, with the decisions runc's filter makes (docs/oci.md). Docker's conditional rules
/// are resolved for `arch`, the capabilities of `--caps`/`--cap-add`/`--cap-drop` (Docker's default set
/// unless given) and `--kernel` (the running kernel unless given), so `compile --oci` can be made
/// independent of the machine. Names the target lacks are counted under `-v`; `--strict` refuses them and
/// contradictions; `-q` drops the warnings.
pub fn load_oci(path: &Path, arch: Arch, options: &OciOptions, quiet: bool) -> Result<PolicyInput, CliError> {
    let name = path.display();
    let bytes = read_bounded(path, MAX_TEXT_BYTES)?;
    let profile = seccomp_oci::DockerProfile::from_any_json(&bytes)
        .map_err(|error| CliError::bad_input(format!("{name}: {error}")))?;
    let scmp_arch = seccomp_oci::ScmpArch::from_arch(arch)
        .ok_or_else(|| CliError::usage(format!("{arch} has no OCI architecture name")))?;
    let mut notes = Vec::new();
    let kernel = match &options.kernel {
        Some(text) => seccomp_oci::KernelVersion::from_release(text)
            .ok_or_else(|| CliError::usage(format!("--kernel {text}: expected a version such as 6.8")))?,
        None => {
            let release = seccomp_sys::probe::kernel_release();
            let kernel = seccomp_oci::KernelVersion::from_release(release.as_str()).ok_or_else(|| {
                CliError::system(format!(
                    "cannot read a kernel version from the release `{release}`"
                ))
            })?;
            notes.push(format!(
                "{name}: minKernel is compared with the running kernel, {}.{} (set --kernel to choose)",
                kernel.kernel, kernel.major
            ));
            kernel
        }
    };
    let caps = capability_set(options)?;
    let mut target = seccomp_oci::DockerTarget::new(scmp_arch, kernel);
    target.caps = caps;
    let imported = profile
        .to_policy(&target)
        .map_err(|error| CliError::bad_input(format!("{name}: {error}")))?;
    if options.strict {
        imported
            .check_strict()
            .map_err(|error| CliError::bad_input(format!("{name}: {error}")))?;
    }
    if !imported.unknown_names.is_empty() {
        notes.push(format!(
            "{name}: {} syscall names do not exist on {arch} and are skipped, as runc skips them",
            imported.unknown_names.len()
        ));
    }
    let imported = match options.runtime {
        crate::args::OciRuntime::Runc => imported,
        crate::args::OciRuntime::Crun => imported.without_enosys_stub(),
    };
    let ceilings: Vec<String> = imported
        .policy
        .enosys_ceilings()
        .map(|(abi, ceiling)| match ceiling {
            0..4096 => format!("{abi} above {ceiling}"),
            _ => format!("{abi} above {ceiling:#x}"),
        })
        .collect();
    match options.runtime {
        crate::args::OciRuntime::Runc if ceilings.is_empty() => notes.push(format!(
            "{name}: no -ENOSYS stub (runc adds none when the default action allows, logs or traces)"
        )),
        crate::args::OciRuntime::Runc => notes.push(format!(
            "{name}: runc's -ENOSYS stub: syscall numbers {} fail with ENOSYS (--runtime crun has no stub)",
            ceilings.join(", ")
        )),
        crate::args::OciRuntime::Crun => notes.push(format!(
            "{name}: no -ENOSYS stub (--runtime crun): numbers above the profile's get the default action"
        )),
    }
    let warnings = if quiet {
        Vec::new()
    } else {
        imported
            .warnings
            .iter()
            .map(|warning| format!("{name}: {warning}"))
            .collect()
    };
    Ok(PolicyInput {
        policy: Box::new(imported.policy),
        warnings,
        notes: if options.verbose && !quiet {
            notes
        } else {
            Vec::new()
        },
    })
}

/// The capability set of `--caps`, `--cap-add` and `--cap-drop` (Docker's default set without `--caps`).
fn capability_set(options: &OciOptions) -> Result<BTreeSet<String>, CliError> {
    let names = |list: &[String], flag: &str| -> Result<Vec<&'static str>, CliError> {
        let mut names = Vec::new();
        for item in list
            .iter()
            .map(|item| item.trim())
            .filter(|item| !item.is_empty())
        {
            if item.eq_ignore_ascii_case("all") {
                names.extend(seccomp_oci::CAPABILITIES);
            } else {
                names.push(
                    seccomp_oci::capability(item)
                        .ok_or_else(|| CliError::usage(format!("{flag} {item}: unknown capability")))?,
                );
            }
        }
        Ok(names)
    };
    let mut caps: BTreeSet<String> = match options.caps.as_deref().map(str::trim) {
        None | Some("docker") => seccomp_oci::DOCKER_DEFAULT_CAPS.map(String::from).into(),
        Some("podman") => seccomp_oci::PODMAN_DEFAULT_CAPS.map(String::from).into(),
        Some("none") => BTreeSet::new(),
        Some(list) => {
            let list: Vec<String> = list.split(',').map(String::from).collect();
            names(&list, "--caps")?.into_iter().map(String::from).collect()
        }
    };
    caps.extend(
        names(&options.cap_add, "--cap-add")?
            .into_iter()
            .map(String::from),
    );
    for cap in names(&options.cap_drop, "--cap-drop")? {
        caps.remove(cap);
    }
    Ok(caps)
}
