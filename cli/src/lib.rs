//! `seccompctl`, the command-line tool, as a library: the clap definitions (for the man page and shell
//! completions), and one module per subcommand under `cmd`.
//!
//! The CLI contains no BPF logic of its own: it parses, reads files, calls `seccomp-core` and `seccomp-sys`,
//! and prints.

pub mod agent;
pub mod args;
pub mod cmd;
pub mod decode;
pub mod error;
pub mod input;
pub mod learn;
pub mod notify;
pub mod numbers;
pub mod output;
pub mod sigsys;
pub mod supervise;
