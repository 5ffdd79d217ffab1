//! Fetching Debian's stock kernel for a guest arch through a private apt state, cached under `target/vm/`.
//!
//! apt runs with `APT_CONFIG` pointing at a config in `<cache>/apt/` that redirects the source list, the
//! package lists, the dpkg status and the download cache into that directory, and sets the apt
//! architecture to the guest's. `/etc/apt` and the host's dpkg state are never written, and no foreign
//! dpkg architecture is added. The mirror is the one the host already uses. Only `/boot/vmlinuz-*` is
//! extracted from the image package; the apt state and the `.deb` are deleted afterwards, so the cache
//! holds just the kernel image and a second run downloads nothing.

use super::arch::{Arch, Suite};
use crate::util::{describe, exec};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the host's Debian sources are described (deb822 format).
const DEBIAN_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
/// The mirror used when the host names none.
const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// The cached kernel image in `dir` (a file named `vmlinuz-*`), if there is one.
pub fn cached(dir: &Path) -> Option<PathBuf> {
    let mut images: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .collect();
    images.sort();
    images.pop()
}

/// Returns the kernel image of `suite` for `arch`, downloading it into `dir` unless it is already there.
pub fn fetch(arch: Arch, suite: Suite, dir: &Path) -> Result<PathBuf, String> {
    if let Some(image) = cached(dir) {
        return Ok(image);
    }
    let apt = dir.join("apt");
    let download = dir.join("download");
    let _ = fs::remove_dir_all(&apt);
    let _ = fs::remove_dir_all(&download);
    for sub in ["lists/partial", "cache/archives/partial", "none.d"] {
        create_dir(&apt.join(sub))?;
    }
    create_dir(&download)?;
    let sources = fs::read_to_string(DEBIAN_SOURCES).unwrap_or_default();
    let mirror = mirror_from_sources(&sources).unwrap_or_else(|| DEFAULT_MIRROR.to_owned());
    let list = apt.join("sources.list");
    write(
        &list,
        &format!("deb [arch={}] {mirror} {} main\n", arch.debian(), suite.name()),
    )?;
    write(&apt.join("status"), "")?;
    let config = apt_config(&apt, arch.debian());
    let config_path = apt.join("apt.conf");
    write(&config_path, &config)?;

    let apt_command = |program: &str| {
        let mut command = Command::new(program);
        command
            .env("APT_CONFIG", &config_path)
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    eprintln!(
        "vm-test: fetching the {} {} kernel from {mirror}",
        suite.name(),
        arch.debian()
    );
    exec(apt_command("apt-get").args(["update", "-qq"]))?;

    let metapackage = format!("linux-image-{}", arch.debian());
    let mut depends = apt_command("apt-cache");
    depends.args(["depends", &metapackage]);
    let output = depends
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(&depends)))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let image = image_package(&text).ok_or_else(|| {
        format!(
            "`{}` names no linux-image-* dependency:\n{text}",
            describe(&depends)
        )
    })?;

    exec(
        apt_command("apt-get")
            .args(["download", "-qq", &image])
            .current_dir(&download),
    )?;
    let deb = fs::read_dir(&download)
        .map_err(|e| format!("cannot list {}: {e}", download.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .ok_or_else(|| format!("apt-get download {image} left no .deb in {}", download.display()))?;

    let extracted = download.join("x");
    create_dir(&extracted)?;
    extract_boot(&deb, &extracted)?;
    let boot = extracted.join("boot");
    let vmlinuz = cached(&boot).ok_or_else(|| format!("{} holds no boot/vmlinuz-*", deb.display()))?;
    let name = vmlinuz
        .file_name()
        .ok_or_else(|| format!("bad kernel path {}", vmlinuz.display()))?;
    // Copy under a temporary name and rename, so an interrupted copy is never taken for a cached kernel.
    let partial = dir.join("partial-kernel");
    fs::copy(&vmlinuz, &partial).map_err(|e| format!("cannot copy {}: {e}", vmlinuz.display()))?;
    let target = dir.join(name);
    fs::rename(&partial, &target).map_err(|e| format!("cannot rename to {}: {e}", target.display()))?;
    // Best effort: a kernel package without the module only makes the module test skip. Bookworm's
    // packages hold their modules under ./lib/modules, trixie's (merged /usr) under ./usr/lib/modules.
    let mut failures = Vec::new();
    let kept = TEST_MODULE_PREFIXES.iter().any(|prefix| {
        let pattern = format!("./{prefix}/modules/*/{TEST_MODULE_PATH}");
        match extract(&deb, &extracted, &[&pattern]) {
            Ok(()) => true,
            Err(why) => {
                failures.push(why);
                false
            }
        }
    });
    match TEST_MODULE_PREFIXES
        .iter()
        .find(|prefix| kept && extracted.join(prefix).join("modules").is_dir())
    {
        Some(prefix) => keep_test_module(&extracted.join(prefix), dir)?,
        None => eprintln!("vm-test: no test module kept ({})", failures.join("; ")),
    }
    write(
        &dir.join("package.txt"),
        &format!("{}\n", deb.file_name().unwrap_or_default().to_string_lossy()),
    )?;
    let _ = fs::remove_dir_all(&download);
    let _ = fs::remove_dir_all(&apt);
    Ok(target)
}

/// The one module kept for the module handler's test: `dummy` (drivers/net/dummy.ko, `.ko.xz` on
/// trixie), harmless and without dependencies; under `<prefix>/modules/<release>/`.
const TEST_MODULE_PATH: &str = "kernel/drivers/net/dummy.ko*";
/// Where a kernel package keeps its modules: `lib` (bookworm) or `usr/lib` (trixie, merged /usr).
const TEST_MODULE_PREFIXES: [&str; 2] = ["lib", "usr/lib"];

/// The test module kept in the cache: `<dir>/modules/<release>/kernel/drivers/net/<file>`, if any.
pub fn cached_test_module(dir: &Path) -> Option<(String, PathBuf)> {
    let modules = dir.join("modules");
    let release = fs::read_dir(&modules)
        .ok()?
        .filter_map(Result::ok)
        .next()?
        .file_name();
    let net = modules.join(&release).join("kernel/drivers/net");
    let file = fs::read_dir(&net).ok()?.filter_map(Result::ok).next()?.path();
    Some((release.to_string_lossy().into_owned(), file))
}

/// Copies the test module extracted under `<lib>/modules/` into `<dir>/modules/` (see
/// [`cached_test_module`]).
fn keep_test_module(lib: &Path, dir: &Path) -> Result<(), String> {
    let modules = lib.join("modules");
    let Some(release) = fs::read_dir(&modules)
        .ok()
        .and_then(|d| d.filter_map(Result::ok).next())
    else {
        return Ok(());
    };
    let net = release.path().join("kernel/drivers/net");
    let Some(file) = fs::read_dir(&net)
        .ok()
        .and_then(|d| d.filter_map(Result::ok).next())
    else {
        return Ok(());
    };
    let into = dir
        .join("modules")
        .join(release.file_name())
        .join("kernel/drivers/net");
    create_dir(&into)?;
    let target = into.join(file.file_name());
    fs::copy(file.path(), &target).map_err(|e| format!("cannot copy {}: {e}", target.display()))?;
    Ok(())
}

/// Extracts the `./boot` directory of the package `deb` into `into` (`dpkg-deb --fsys-tarfile | tar`):
/// skipping the ~350 MB of modules keeps it fast.
fn extract_boot(deb: &Path, into: &Path) -> Result<(), String> {
    extract(deb, into, &["./boot"])
}

/// Extracts the members `patterns` (tar wildcards) of the package `deb` into `into`.
fn extract(deb: &Path, into: &Path, patterns: &[&str]) -> Result<(), String> {
    let mut dpkg = Command::new("dpkg-deb");
    dpkg.arg("--fsys-tarfile").arg(deb).stdout(Stdio::piped());
    let mut producer = dpkg
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(&dpkg)))?;
    let stdout = producer.stdout.take().ok_or("dpkg-deb has no stdout pipe")?;
    let mut tar = Command::new("tar");
    tar.args(["-x", "-f", "-", "--wildcards", "-C"])
        .arg(into)
        .args(patterns)
        .stdin(stdout);
    let tar_status = tar
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(&tar)))?;
    let dpkg_status = producer
        .wait()
        .map_err(|e| format!("waiting for dpkg-deb: {e}"))?;
    if tar_status.success() && dpkg_status.success() {
        Ok(())
    } else {
        Err(format!(
            "extracting {} from {} failed (dpkg-deb: {dpkg_status}, tar: {tar_status})",
            patterns.join(" "),
            deb.display()
        ))
    }
}

/// The private apt configuration rooted at `apt` for the Debian architecture `debian_arch`.
fn apt_config(apt: &Path, debian_arch: &str) -> String {
    let a = apt.display();
    format!(
        "Dir::Etc::SourceList \"{a}/sources.list\";\n\
         Dir::Etc::SourceParts \"{a}/none.d\";\n\
         Dir::State::Lists \"{a}/lists\";\n\
         Dir::State::status \"{a}/status\";\n\
         Dir::Cache \"{a}/cache\";\n\
         APT::Architecture \"{debian_arch}\";\n\
         APT::Architectures {{ \"{debian_arch}\"; }};\n\
         APT::Sandbox::User \"root\";\n"
    )
}

/// The first `URIs:` of a deb822 sources file (the host's main Debian mirror).
pub fn mirror_from_sources(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("URIs:"))
        .find_map(|uris| uris.split_whitespace().next())
        .map(|uri| uri.trim_end_matches('/').to_owned())
}

/// The real kernel package named by `apt-cache depends linux-image-<arch>` (its first
/// `Depends: linux-image-...` line).
pub fn image_package(depends_output: &str) -> Option<String> {
    depends_output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|package| package.starts_with("linux-image-") && !package.starts_with('<'))
        .map(str::to_owned)
}

fn create_dir(path: &Path) -> Result<(), String> {
    fs::create_dir_all(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_is_the_first_uris_line() {
        let sources = "Types: deb\n# http://snapshot.debian.org/archive/debian/x\nURIs: http://deb.debian.org/debian/\n\
                       Suites: bookworm\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\n";
        assert_eq!(
            mirror_from_sources(sources),
            Some("http://deb.debian.org/debian".to_owned())
        );
        assert_eq!(mirror_from_sources("Types: deb\n"), None);
    }

    #[test]
    fn image_package_is_the_linux_image_dependency() {
        let output = "linux-image-arm64\n  Depends: linux-image-6.1.0-35-arm64\n  Recommends: apparmor\n";
        assert_eq!(
            image_package(output),
            Some("linux-image-6.1.0-35-arm64".to_owned())
        );
        let trixie = "linux-image-amd64\n  Depends: linux-image-6.12.38+deb13-amd64\n";
        assert_eq!(
            image_package(trixie),
            Some("linux-image-6.12.38+deb13-amd64".to_owned())
        );
        assert_eq!(image_package("linux-image-arm64\n  Depends: <virtual>\n"), None);
        assert_eq!(image_package(""), None);
    }

    #[test]
    fn cached_finds_only_vmlinuz_files() {
        let dir = std::env::temp_dir().join(format!("xtask-vm-kernel-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(cached(&dir), None);
        fs::write(dir.join("package.txt"), "x").unwrap();
        fs::write(dir.join("partial-kernel"), "x").unwrap();
        assert_eq!(cached(&dir), None);
        fs::write(dir.join("vmlinuz-6.1.0-35-arm64"), "x").unwrap();
        assert_eq!(cached(&dir), Some(dir.join("vmlinuz-6.1.0-35-arm64")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn apt_config_keeps_all_state_under_the_private_dir() {
        let config = apt_config(Path::new("/w/apt"), "arm64");
        for line in config.lines().filter(|l| l.starts_with("Dir::")) {
            assert!(line.contains("\"/w/apt/"), "{line}");
        }
        assert!(config.contains("APT::Architecture \"arm64\";"));
    }
}
