//! The two guest architectures and the kernels vm-test can boot, with everything that differs per arch.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// A guest architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// 64-bit Arm, booted on qemu's `virt` machine.
    Aarch64,
    /// x86-64, booted on qemu's default `pc` machine.
    X86_64,
}

impl Arch {
    /// Parses `aarch64`/`arm64` or `x86_64`/`amd64`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "aarch64" | "arm64" => Ok(Self::Aarch64),
            "x86_64" | "amd64" | "x86-64" => Ok(Self::X86_64),
            other => Err(format!("unknown arch `{other}`; expected aarch64 or x86_64")),
        }
    }

    /// The Rust name of the arch, used in directory names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aarch64 => "aarch64",
            Self::X86_64 => "x86_64",
        }
    }

    /// The static musl target the test binaries are built for.
    pub fn triple(self) -> &'static str {
        match self {
            Self::Aarch64 => "aarch64-unknown-linux-musl",
            Self::X86_64 => "x86_64-unknown-linux-musl",
        }
    }

    /// The Debian architecture name (`linux-image-<this>` is the kernel metapackage).
    pub fn debian(self) -> &'static str {
        match self {
            Self::Aarch64 => "arm64",
            Self::X86_64 => "amd64",
        }
    }

    /// The qemu-system binary.
    pub fn qemu_binary(self) -> &'static str {
        match self {
            Self::Aarch64 => "qemu-system-aarch64",
            Self::X86_64 => "qemu-system-x86_64",
        }
    }

    /// The Debian package that provides [`Self::qemu_binary`].
    pub fn qemu_package(self) -> &'static str {
        match self {
            Self::Aarch64 => "qemu-system-arm",
            Self::X86_64 => "qemu-system-x86",
        }
    }

    /// The prefix of cargo's per-target environment variables (`<prefix>_LINKER`, `<prefix>_RUSTFLAGS`).
    pub fn cargo_env_prefix(self) -> String {
        format!("CARGO_TARGET_{}", self.triple().to_uppercase().replace('-', "_"))
    }

    /// The qemu command-line arguments that boot `kernel` with `initrd` on an emulated (TCG) machine.
    ///
    /// No NIC (`-nic none`: no option ROM needed, none of the tests use the network), serial console on
    /// stdio, two CPUs for the multi-threaded filter-sync tests. `panic=-1` with `-no-reboot` turns a
    /// kernel panic (for example an init that exits instead of powering off) into a qemu exit.
    pub fn qemu_args(self, kernel: &Path, initrd: &Path) -> Vec<OsString> {
        let (machine, console): (&[&str], &str) = match self {
            // pauth-impdef: all Arm features, but cheap pointer authentication (plain `max` boots 3-4x slower).
            Self::Aarch64 => (&["-M", "virt", "-cpu", "max,pauth-impdef=on"], "ttyAMA0"),
            Self::X86_64 => (&["-M", "pc", "-cpu", "max"], "ttyS0"),
        };
        let mut args: Vec<OsString> = machine.iter().map(OsString::from).collect();
        let common = [
            "-accel",
            "tcg",
            "-smp",
            "2",
            "-m",
            "1024",
            "-nographic",
            "-nic",
            "none",
            "-no-reboot",
        ];
        args.extend(common.iter().map(OsString::from));
        args.push("-kernel".into());
        args.push(kernel.into());
        args.push("-initrd".into());
        args.push(initrd.into());
        args.push("-append".into());
        args.push(format!("console={console} panic=-1 quiet").into());
        args
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Debian release whose stock kernel vm-test can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// Debian 12, Linux 6.1.
    Bookworm,
    /// Debian 13, Linux 6.12.
    Trixie,
}

impl Suite {
    /// The suite name in the Debian archive.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bookworm => "bookworm",
            Self::Trixie => "trixie",
        }
    }
}

/// Which kernel to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelChoice {
    /// Debian's stock kernel of this suite, downloaded once and cached.
    Debian(Suite),
    /// A kernel image file given by the user.
    File(PathBuf),
}

impl KernelChoice {
    /// Parses `bookworm`, `trixie` or a path to an existing kernel image.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "bookworm" => Ok(Self::Debian(Suite::Bookworm)),
            "trixie" => Ok(Self::Debian(Suite::Trixie)),
            path if Path::new(path).is_file() => Ok(Self::File(PathBuf::from(path))),
            other => Err(format!(
                "--kernel `{other}` is neither bookworm, trixie nor an existing kernel image"
            )),
        }
    }

    /// A short label for directory names and reports (`bookworm`, `trixie`, `custom`).
    pub fn label(&self) -> &str {
        match self {
            Self::Debian(suite) => suite.name(),
            Self::File(_) => "custom",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arch_names_and_aliases() {
        assert_eq!(Arch::parse("aarch64"), Ok(Arch::Aarch64));
        assert_eq!(Arch::parse("arm64"), Ok(Arch::Aarch64));
        assert_eq!(Arch::parse("x86_64"), Ok(Arch::X86_64));
        assert!(Arch::parse("riscv64").unwrap_err().contains("riscv64"));
    }

    #[test]
    fn cargo_env_prefix_is_the_uppercased_triple() {
        assert_eq!(
            Arch::Aarch64.cargo_env_prefix(),
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL"
        );
        assert_eq!(
            Arch::X86_64.cargo_env_prefix(),
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL"
        );
    }

    #[test]
    fn qemu_args_name_the_console_of_each_machine() {
        let args = Arch::Aarch64.qemu_args(Path::new("/k"), Path::new("/i"));
        let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(text.windows(2).any(|w| w[0] == "-kernel" && w[1] == "/k"));
        assert!(text.windows(2).any(|w| w[0] == "-initrd" && w[1] == "/i"));
        assert!(text.contains(&"console=ttyAMA0 panic=-1 quiet".to_owned()));
        let args = Arch::X86_64.qemu_args(Path::new("/k"), Path::new("/i"));
        assert!(args.contains(&OsString::from("console=ttyS0 panic=-1 quiet")));
    }

    #[test]
    fn kernel_choice_accepts_suites_and_existing_files_only() {
        assert_eq!(
            KernelChoice::parse("trixie"),
            Ok(KernelChoice::Debian(Suite::Trixie))
        );
        let this_file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/vm/arch.rs");
        assert_eq!(
            KernelChoice::parse(this_file),
            Ok(KernelChoice::File(this_file.into()))
        );
        assert!(KernelChoice::parse("/nonexistent/vmlinuz").is_err());
        assert!(KernelChoice::parse("sid").is_err());
    }
}
