//! `init_module(image, len, params)`, `finit_module(fd, params, flags)` and `delete_module(name, flags)`
//! for a container: the host's own copy of an allowlisted module is loaded, never the container's bytes.
//!
//! The image is read (from the target's memory, or from its fd taken with `pidfd_getfd` and read with
//! `pread`, so the target's file offset does not move), at most [`MAX_IMAGE`] bytes. Its name comes from
//! [`seccomp_core::elf_module::module_name`] (`.modinfo` `name=` and `.gnu.linkonce.this_module`, which
//! must agree). If a rule lists that name and the host has the module for the running kernel
//! (`/lib/modules/$(uname -r)/modules.dep`), the host's file and then the module are loaded with
//! `finit_module` (its dependencies from `modules.dep` first, as modprobe would), with the target's
//! parameters only if the rule says `params`. The answer is the kernel's (0, `EEXIST` if it is loaded
//! already). Anything else, including a compressed image (`MODULE_INIT_COMPRESSED_FILE`) or one whose
//! name cannot be read, is `EPERM`. `delete_module` is handled only for a module this handler loaded.

use super::{Handled, Handlers, ModuleRule, read_errno};
use crate::answer::{CheckedAnswer, ErrnoName};
use crate::call::{Call, Inspected};
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use seccomp_core::elf_module::{module_name, same_module};
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// The largest module image read from a target (the biggest in-tree modules are a few MiB).
pub const MAX_IMAGE: usize = 64 << 20;
/// `MODULE_INIT_COMPRESSED_FILE`.
const COMPRESSED_FILE: u32 = 4;

/// The host's modules directory for the running kernel.
pub fn default_modules_dir() -> PathBuf {
    let uname = rustix::system::uname();
    let release = uname.release().to_string_lossy().into_owned();
    PathBuf::from("/lib/modules").join(release)
}

/// The module `name` and its dependencies, from a `modules.dep` text: the files, dependencies first
/// (relative to the modules directory), or `None` if the host has no such module.
pub fn host_files(modules_dep: &str, name: &str) -> Option<Vec<String>> {
    let stem = |file: &str| -> String {
        let base = file.rsplit('/').next().unwrap_or(file);
        let base = base.split(".ko").next().unwrap_or(base);
        base.replace('-', "_")
    };
    let wanted = name.replace('-', "_");
    modules_dep.lines().find_map(|line| {
        let (file, deps) = line.split_once(':')?;
        if stem(file.trim()) != wanted {
            return None;
        }
        // modules.dep lists direct and indirect dependencies, the module's own first: load them from last.
        let mut files: Vec<String> = deps.split_whitespace().rev().map(str::to_owned).collect();
        files.push(file.trim().to_owned());
        Some(files)
    })
}

/// Reads the image a load call names.
fn read_image(call: &mut Inspected<'_>, finit: bool) -> Result<Vec<u8>, (Errno, String)> {
    let args = call.call().args();
    if finit {
        let pidfd = call
            .call()
            .pidfd()
            .map_err(|e| (e, "no pidfd for the target".to_owned()))?;
        let fd = seccomp_sys::fdpass::pidfd_getfd(pidfd.as_fd(), args[0] as i32)
            .map_err(|e| (e, format!("cannot take the target's fd {}", args[0] as i32)))?;
        let mut image = Vec::new();
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = match rustix::io::pread(&fd, &mut chunk, image.len() as u64) {
                Ok(n) => n,
                Err(Errno::INTR) => continue,
                Err(e) => return Err((e, "cannot read the module file".to_owned())),
            };
            if n == 0 {
                break;
            }
            image.extend_from_slice(&chunk[..n]);
            if image.len() > MAX_IMAGE {
                return Err((Errno::FBIG, format!("the module file is over {MAX_IMAGE} bytes")));
            }
        }
        Ok(image)
    } else {
        let len = args[1] as usize;
        if len > MAX_IMAGE {
            return Err((Errno::FBIG, format!("the module image is over {MAX_IMAGE} bytes")));
        }
        call.read_bytes(args[0], len)
            .map_err(|e| (read_errno(e), format!("cannot read the module image: {e}")))
    }
}

fn rule_for<'h>(handlers: &'h Handlers, syscall: &str, name: &str) -> Option<&'h ModuleRule> {
    handlers.modules.iter().find(|rule| {
        rule.syscalls.iter().any(|s| s == syscall) && rule.names.iter().any(|n| same_module(n, name))
    })
}

fn refuse(call: Inspected<'_>, rule: Option<&str>, why: String) -> Handled {
    Handled::new(call.answer(CheckedAnswer::Errno(Errno::PERM)), rule, why)
}

pub(super) fn handle_load(handlers: &Handlers, call: Call<'_>, finit: bool) -> Handled {
    let syscall = if finit { "finit_module" } else { "init_module" };
    let args = call.args();
    if finit && args[2] as u32 & COMPRESSED_FILE != 0 {
        return Handled::new(
            call.answer(crate::answer::Answer::Errno(Errno::PERM)),
            None,
            "compressed module files are not read (decompress first)",
        );
    }
    let mut call = call.inspect();
    let image = match read_image(&mut call, finit) {
        Ok(image) => image,
        Err((errno, why)) => {
            let answer = if errno == Errno::SRCH { errno } else { Errno::PERM };
            return Handled::new(call.answer(CheckedAnswer::Errno(answer)), None, why);
        }
    };
    let name = match module_name(&image) {
        Ok(name) => name.to_owned(),
        Err(error) => return refuse(call, None, error.to_string()),
    };
    let Some(rule) = rule_for(handlers, syscall, &name) else {
        return refuse(call, None, format!("module {name} is not allowed"));
    };
    let params_arg = if finit { 1 } else { 2 };
    let params = match call.read_cstr_at(args[params_arg], 4096) {
        Ok(params) => params,
        Err(e) => {
            return Handled::new(
                call.answer(CheckedAnswer::Errno(read_errno(e))),
                Some(&rule.origin),
                "cannot read the parameters",
            );
        }
    };
    if !params.to_bytes().is_empty() && !rule.params {
        return refuse(
            call,
            Some(&rule.origin),
            format!("module {name}: parameters are not allowed"),
        );
    }
    let dir = handlers.modules_dir.clone().unwrap_or_else(default_modules_dir);
    let result = load_host_module(&dir, &name, &params);
    let detail = match &result {
        Ok(files) => format!("loaded the host's {} (not the target's image)", files.join(", ")),
        Err((errno, why)) => format!("module {name}: {why}: {}", ErrnoName(*errno)),
    };
    let answer = match result {
        Ok(_) => {
            handlers.with_state(|state| state.modules.push(name));
            CheckedAnswer::Emulated(Ok(0))
        }
        Err((errno, _)) => CheckedAnswer::Errno(errno),
    };
    Handled::new(call.answer(answer), Some(&rule.origin), detail)
}

/// Loads `name` and its dependencies from `dir` with `finit_module`; parameters go to `name` only.
fn load_host_module(dir: &Path, name: &str, params: &CString) -> Result<Vec<String>, (Errno, String)> {
    let dep = std::fs::read_to_string(dir.join("modules.dep")).map_err(|_| {
        (
            Errno::PERM,
            format!("the host has no {}", dir.join("modules.dep").display()),
        )
    })?;
    let files = host_files(&dep, name).ok_or((Errno::PERM, "the host has no such module".to_owned()))?;
    let last = files.len() - 1;
    for (index, file) in files.iter().enumerate() {
        let path = dir.join(file);
        let fd = rustix::fs::open(&path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
            (
                Errno::PERM,
                format!("cannot open {}: {}", path.display(), ErrnoName(e)),
            )
        })?;
        let compressed = [".xz", ".zst", ".gz"].iter().any(|ext| file.ends_with(ext));
        let flags = if compressed { COMPRESSED_FILE as i32 } else { 0 };
        let own = if index == last { params.as_c_str() } else { c"" };
        match rustix::system::finit_module(&fd, own, flags) {
            Ok(()) => {}
            // A dependency that is loaded already is fine; the module itself answers EEXIST as the kernel.
            Err(Errno::EXIST) if index != last => {}
            Err(errno) => return Err((errno, format!("finit_module of the host's {file}"))),
        }
    }
    Ok(files)
}

pub(super) fn handle_delete(handlers: &Handlers, call: Call<'_>) -> Handled {
    let flags = call.args()[1] as i32;
    let mut call = call.inspect();
    let name = match call.read_cstr_at(call.call().args()[0], 64) {
        Ok(name) => name,
        Err(e) => {
            return Handled::new(
                call.answer(CheckedAnswer::Errno(read_errno(e))),
                None,
                "cannot read the name",
            );
        }
    };
    let text = String::from_utf8_lossy(name.to_bytes()).into_owned();
    let Some(rule) = rule_for(handlers, "delete_module", &text) else {
        return refuse(call, None, format!("unloading {text} is not allowed"));
    };
    if !handlers.with_state(|state| state.modules.iter().any(|m| same_module(m, &text))) {
        return refuse(
            call,
            Some(&rule.origin),
            format!("{text} was not loaded by this handler"),
        );
    }
    let result = rustix::system::delete_module(&name, flags & (rustix::fs::OFlags::NONBLOCK.bits() as i32));
    if result.is_ok() {
        handlers.with_state(|state| state.modules.retain(|m| !same_module(m, &text)));
    }
    let detail = match result {
        Ok(()) => format!("unloaded {text}"),
        Err(errno) => format!("delete_module {text}: {}", ErrnoName(errno)),
    };
    Handled::new(
        call.answer(CheckedAnswer::Emulated(result.map(|()| 0))),
        Some(&rule.origin),
        detail,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_dep_gives_the_module_after_its_dependencies() {
        let dep = "kernel/net/core/a.ko:\nkernel/drivers/net/veth.ko.xz: kernel/x/b.ko kernel/x/c.ko\n\
                   kernel/drivers/net/dummy.ko:\n";
        assert_eq!(
            host_files(dep, "dummy"),
            Some(vec!["kernel/drivers/net/dummy.ko".to_owned()])
        );
        assert_eq!(
            host_files(dep, "veth"),
            Some(vec![
                "kernel/x/c.ko".to_owned(),
                "kernel/x/b.ko".to_owned(),
                "kernel/drivers/net/veth.ko.xz".to_owned()
            ])
        );
        assert_eq!(host_files(dep, "dumm"), None);
    }
}
