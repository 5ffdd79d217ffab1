//! The module handler on a real kernel with real modules: run by `cargo xtask vm-test --package
//! seccomp-supervisor`, whose initramfs holds the guest kernel's own `dummy.ko` under
//! `/lib/modules/$(uname -r)` with a `modules.dep` (see xtask/src/vm_test.rs). Elsewhere it skips.
//!
//! The "container" is `/init helper finit FILE` (the vm-init helper: `finit_module(open(FILE), "", 0)`)
//! under a filter notifying finit_module. FILE is a handmade ELF that only *claims* to be `dummy` (a
//! `.modinfo` `name=dummy` and nothing else): the kernel itself refuses it (checked), so when the
//! handler answers 0 and `dummy` appears in /proc/modules, the module came from the host's file and the
//! container's bytes were never passed to the kernel. A name not on the list gets EPERM. The same for
//! `init_module` of the bytes (`/init helper init FILE`); `delete_module` (`/init helper delete NAME`)
//! unloads only a module that handler set loaded, and only with a rule naming delete_module.

use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::handlers::{Handlers, ModuleRule};
use seccomp_supervisor::{Answer, Call, Context, Reply, Supervisor};
use seccomp_sys::FilterFlags;
use seccomp_sys::spawn::{self, CStrArray, Confinement, Exec};
use std::ffi::CString;
use std::path::Path;
use std::sync::Arc;

/// A minimal ELF64 relocatable object whose only content is `.modinfo` = `name=NAME`.
fn claiming(name: &str) -> Vec<u8> {
    let modinfo = format!("name={name}\0").into_bytes();
    let names = b"\0.modinfo\0.shstrtab\0";
    let body_len = modinfo.len() + names.len();
    let shoff = (64 + body_len + 7) & !7;
    let mut out = vec![0u8; shoff + 3 * 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    out[16..18].copy_from_slice(&1u16.to_le_bytes());
    let machine: u16 = if cfg!(target_arch = "aarch64") { 183 } else { 62 };
    out[18..20].copy_from_slice(&machine.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
    out[0x34..0x36].copy_from_slice(&64u16.to_le_bytes());
    out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    out[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    out[64..64 + modinfo.len()].copy_from_slice(&modinfo);
    out[64 + modinfo.len()..64 + body_len].copy_from_slice(names);
    let section = |out: &mut Vec<u8>, index: usize, name: u32, kind: u32, offset: usize, size: usize| {
        let h = &mut out[shoff + index * 64..shoff + (index + 1) * 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&kind.to_le_bytes());
        h[24..32].copy_from_slice(&(offset as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(size as u64).to_le_bytes());
    };
    section(&mut out, 1, 1, 1, 64, modinfo.len());
    section(&mut out, 2, 10, 3, 64 + modinfo.len(), names.len());
    out
}

fn loaded(name: &str) -> bool {
    std::fs::read_to_string("/proc/modules")
        .is_ok_and(|text| text.lines().any(|l| l.split(' ').next() == Some(name)))
}

/// Runs `/init helper finit FILE` under a filter notifying the module calls, served by `handlers` (or,
/// with `None`, unsupervised by rules: every call continues); returns its exit status.
fn helper_finit(file: &Path, handlers: Option<Handlers>) -> u8 {
    let path = file.display().to_string();
    helper(&["finit", &path], Arc::new(handlers.unwrap_or_default()))
}

/// Runs `/init helper MODE ARG` under a filter notifying finit_module, init_module and delete_module,
/// served by `handlers`; returns its exit status.
fn helper(mode: &[&str], handlers: Arc<Handlers>) -> u8 {
    let arch = Arch::native().expect("native arch");
    let policy: Policy = Policy::parse(
        "default allow\nnotify finit_module init_module delete_module\n",
        arch,
    )
    .expect("policy");
    let mut out = vec![seccomp_core::abi::SockFilter::default(); 4096];
    let compiled = seccomp_core::policy::compile(&policy, &mut out).expect("compile");
    let args: Vec<CString> = ["/init", "helper"]
        .iter()
        .chain(mode)
        .map(|a| CString::new(*a).expect("no NUL"))
        .collect();
    let argv: Vec<&std::ffi::CStr> = args.iter().map(|a| a.as_c_str()).collect();
    let mut argv_storage = vec![std::ptr::null(); argv.len() + 1];
    let mut envp_storage = vec![std::ptr::null(); 1];
    let exec = Exec {
        path: argv[0],
        argv: CStrArray::new(&argv, &mut argv_storage).expect("argv"),
        envp: CStrArray::new(&[], &mut envp_storage).expect("envp"),
    };
    let confinement = Confinement {
        program: seccomp_core::bpf::validate(compiled.program().insns()).expect("a valid program"),
        flags: FilterFlags::NEW_LISTENER,
        no_new_privs: true,
        restore: &[],
        signal_mask: None,
        die_with_parent: false,
    };
    let supervisor = Supervisor::new(
        move |call: Call<'_>| -> Reply {
            match handlers.handle(call) {
                Ok(handled) => {
                    println!(
                        "handled: {} {} [{}]",
                        handled.reply.answer(),
                        handled.detail,
                        handled.rule.as_deref().unwrap_or("-")
                    );
                    handled.reply
                }
                Err(call) => call.answer(Answer::Continue),
            }
        },
        1,
    );
    let mut child = spawn::spawn(&exec, &confinement).expect("spawn");
    let ready = child.wait_ready().expect("ready");
    supervisor.add(
        ready.listener.expect("listener"),
        Context::new("vm").with_pid(child.pid()),
    );
    let status = child.wait().expect("wait");
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    match status {
        spawn::ExitStatus::Exited(code) => code,
        other => panic!("the helper ended with {other}"),
    }
}

fn rule(names: &[&str]) -> Handlers {
    rule_for(names, &["finit_module"])
}

fn rule_for(names: &[&str], syscalls: &[&str]) -> Handlers {
    let mut handlers = Handlers::new();
    handlers.modules.push(ModuleRule {
        origin: "vm:1".into(),
        names: names.iter().map(|n| n.to_string()).collect(),
        syscalls: syscalls.iter().map(|s| s.to_string()).collect(),
        params: false,
    });
    handlers
}

#[test]
fn a_file_claiming_an_allowed_name_loads_the_hosts_module_and_never_its_own_bytes() {
    let release = rustix::system::uname().release().to_string_lossy().into_owned();
    let dep = Path::new("/lib/modules").join(&release).join("modules.dep");
    if !dep.exists() || !Path::new("/init").exists() {
        eprintln!(
            "SKIP: no {} and /init helper (this test runs in cargo xtask vm-test)",
            dep.display()
        );
        return;
    }
    if !rustix::process::geteuid().is_root() {
        eprintln!("SKIP: loading modules needs root");
        return;
    }
    if loaded("dummy") {
        eprintln!("SKIP: dummy is loaded already");
        return;
    }
    let theirs = std::env::temp_dir().join("theirs-dummy.ko");
    std::fs::write(&theirs, claiming("dummy")).expect("write the container's file");

    // The kernel itself refuses the container's bytes (no handler: the call continues).
    let refused = helper_finit(&theirs, None);
    assert_ne!(refused, 0, "the kernel accepted the handmade image");
    assert!(!loaded("dummy"));

    // Not on the list: EPERM, nothing loaded.
    assert_eq!(helper_finit(&theirs, Some(rule(&["veth"]))), 1);
    assert!(!loaded("dummy"));

    // On the list: the host's dummy.ko is loaded.
    assert_eq!(helper_finit(&theirs, Some(rule(&["dummy"]))), 0);
    assert!(loaded("dummy"), "dummy is not in /proc/modules");
    let _ = rustix::system::delete_module(c"dummy", 0);
    assert!(!loaded("dummy"), "the test could not unload dummy");

    // init_module of the container's bytes (from its memory): the same.
    let theirs_path = theirs.display().to_string();
    let all = ["finit_module", "init_module", "delete_module"];
    assert_eq!(
        helper(&["init", &theirs_path], Arc::new(rule_for(&["veth"], &all))),
        1
    );
    assert!(!loaded("dummy"));
    let set = Arc::new(rule_for(&["dummy"], &all));
    assert_eq!(helper(&["init", &theirs_path], Arc::clone(&set)), 0);
    assert!(loaded("dummy"), "dummy is not in /proc/modules after init_module");

    // delete_module: not by a rule without delete_module, not by another handler set (it did not load
    // dummy), and by the set that loaded it.
    let no_delete = Arc::new(rule_for(&["dummy"], &["finit_module", "init_module"]));
    assert_eq!(
        helper(&["delete", "dummy"], no_delete),
        0,
        "without a delete_module rule the kernel decides"
    );
    assert!(!loaded("dummy"), "root in the guest may unload it itself");
    assert_eq!(helper(&["init", &theirs_path], Arc::clone(&set)), 0);
    assert!(loaded("dummy"));
    let other = Arc::new(rule_for(&["dummy"], &all));
    assert_eq!(
        helper(&["delete", "dummy"], other),
        1,
        "another set did not load dummy"
    );
    assert!(loaded("dummy"));
    assert_eq!(helper(&["delete", "dummy"], set), 0);
    assert!(
        !loaded("dummy"),
        "dummy is still in /proc/modules after delete_module"
    );
}
