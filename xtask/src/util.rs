//! Small helpers shared by the tasks: running commands and locating the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of the `xtask` package directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command using the same cargo binary that runs the xtask.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root());
    command
}

/// Runs `command`, echoing it first, and fails with its exit status when it does not succeed.
pub fn exec(command: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed: {status}", describe(command)))
    }
}

/// The command line of `command`, for messages.
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Installs the Debian package `package` (without recommends) unless `binary` is already on `PATH` (or,
/// for an absolute path, exists), and checks that it then is. `apt-get update` runs only when the first
/// install attempt fails (stale or missing package lists).
pub fn ensure_debian_package(package: &str, binary: &str) -> Result<(), String> {
    // An absolute path names a file the package ships (a library, a data file) instead of a binary.
    let installed = || {
        if binary.starts_with('/') {
            Path::new(binary).exists()
        } else {
            on_path(binary)
        }
    };
    if installed() {
        return Ok(());
    }
    eprintln!("xtask: installing {package} (provides {binary})");
    let install = || {
        exec(
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "-qq",
                    "--no-install-recommends",
                    "-o",
                    "DPkg::Lock::Timeout=300",
                ])
                .arg(package)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(std::process::Stdio::null()),
        )
    };
    if install().is_err() {
        exec(Command::new("apt-get").args(["update", "-qq"]))?;
        install()?;
    }
    if installed() {
        Ok(())
    } else {
        Err(format!("{package} installed but {binary} is still missing"))
    }
}

/// Whether an executable file named `program` is in one of the `PATH` directories.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program))))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Parses a task's arguments with its clap definition. `--help` prints the task's help and exits 0; any
/// other problem is the error message clap would print (usage included), for `main` to report.
pub fn parse_task_args<T: clap::Parser>(task: &str, args: &[String]) -> Result<T, String> {
    let argv = std::iter::once(format!("cargo xtask {task}")).chain(args.iter().cloned());
    T::try_parse_from(argv).map_err(|error| match error.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            let _ = error.print();
            std::process::exit(0)
        }
        _ => error.render().to_string().trim_end().to_owned(),
    })
}
