//! `seccompctl completions SHELL`: prints a completion script generated from the clap definitions.
//!
//! For bash, the generated script is extended with what clap cannot express: the value of `trace -e` and
//! `trace --syscalls` is a comma-separated list (`-e trace=openat,clo<TAB>`), so the element after the last
//! `,` or `=` is completed, with the host's syscall names and, for `-e`, strace's classes (`%file`, ...).

use crate::args::{Cli, CompletionsArgs};
use crate::error::CliResult;
use clap::CommandFactory;
use clap_complete::Shell;

/// Writes the completion script for the requested shell to standard output.
pub fn run(args: &CompletionsArgs) -> CliResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "seccompctl", &mut script);
    if args.shell == Shell::Bash {
        script = bash_with_syscall_lists(&String::from_utf8_lossy(&script)).into_bytes();
    }
    crate::output::write_output(None, &script, false)?;
    Ok(0)
}

/// The bash function that completes syscall lists, then hands every other word to clap's function
/// (renamed `_seccompctl_clap`). It reads the line up to the cursor itself (`COMP_LINE`, `COMP_POINT`),
/// because bash splits `trace=ope` at `=` into three words, and answers with the whole text bash replaces
/// (everything after the last `COMP_WORDBREAKS` character): `openat,close`, not `close`.
const BASH_SYSCALL_LISTS: &str = r#"
# `trace -e LIST` and `trace --syscalls LIST`: complete the element after the last `,` or `=`.
_seccompctl() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local arg="${line##*[[:space:]]}"
    local before="${line%"$arg"}"
    before="${before%"${before##*[![:space:]]}"}"
    local previous="${before##*[[:space:]]}"
    local value="" candidates=""
    if [[ "${COMP_WORDS[1]}" == trace && " ${before} " != *" -- "* ]]; then
        if [[ "$previous" == -e ]]; then
            value="$arg"
        elif [[ "$arg" == -e?* ]]; then
            value="${arg#-e}"
        fi
        if [[ -n "$value" || "$previous" == -e ]]; then
            candidates="${_seccompctl_syscalls} ${_seccompctl_classes}"
            [[ "$value" == *[,=]* ]] || candidates="trace= ${candidates}"
        elif [[ "$previous" == --syscalls ]]; then
            value="$arg" candidates="${_seccompctl_syscalls}"
        elif [[ "$arg" == --syscalls=* ]]; then
            value="${arg#--syscalls=}" candidates="${_seccompctl_syscalls}"
        fi
    fi
    if [[ -z "$candidates" ]]; then
        _seccompctl_clap "$@"
        return
    fi
    local element="${value##*[,=]}"
    local negation="${element%%[!!?]*}"
    local name="${element#"$negation"}"
    local start=${#line}
    while (( start > 0 )) && [[ "$COMP_WORDBREAKS" != *"${line:start-1:1}"* ]]; do
        (( start-- ))
    done
    local replaced="${line:start}"
    if [[ "$replaced" != *"$name" ]]; then
        _seccompctl_clap "$@"
        return
    fi
    COMPREPLY=( $(compgen -P "${replaced%"$name"}" -W "$candidates" -- "$name") )
    if [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}
"#;

/// clap's bash script with [`BASH_SYSCALL_LISTS`] in front of its function, and the word lists it uses.
fn bash_with_syscall_lists(clap_script: &str) -> String {
    let arch = seccomp_core::arch::Arch::native().unwrap_or(seccomp_core::arch::Arch::X86_64);
    let syscalls: Vec<&str> = arch.syscalls().iter().map(|(name, _)| name).collect();
    let classes: Vec<&str> = crate::decode::classes::CLASSES
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let renamed = clap_script.replacen("\n_seccompctl() {", "\n_seccompctl_clap() {", 1);
    let renamed = if renamed.starts_with("_seccompctl() {") {
        renamed.replacen("_seccompctl() {", "_seccompctl_clap() {", 1)
    } else {
        renamed
    };
    format!(
        "_seccompctl_syscalls=\"{}\"\n_seccompctl_classes=\"{}\"\n{}\n{}",
        syscalls.join(" "),
        classes.join(" "),
        BASH_SYSCALL_LISTS.trim_start(),
        renamed
    )
}
