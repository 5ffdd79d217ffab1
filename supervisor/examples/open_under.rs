//! Runs a command whose `openat` calls the supervisor decides: a file under DIR is opened for the command
//! (with its credentials, inside its root) and injected; anything else fails with EACCES.
//!
//! `cargo run -p seccomp-supervisor --example open_under -- /usr /bin/cat /usr/share/dict/words`
use seccomp_core::{abi::SockFilter, arch::Arch, policy::Compiler, policy::Policy};
use seccomp_supervisor::emulate::{Request, RequestError, Scope};
use seccomp_supervisor::{Call, CheckedAnswer, Context, Errno, Reply, Supervisor, path::Lexical};
use seccomp_sys::FilterFlags;
use seccomp_sys::spawn::{CStrArray, Confinement, Exec, spawn};
use std::ffi::{CStr, CString};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = std::env::args()
        .skip(1)
        .map(CString::new)
        .collect::<Result<Vec<_>, _>>()?;
    let [dir, command @ ..] = args.as_slice() else {
        return Err("usage: open_under DIR CMD [ARGS...]".into());
    };
    let tree = Lexical::new(dir.to_bytes());
    let handler = move |call: Call<'_>| -> Reply {
        let mut call = call.inspect(); // memory is read from here on: the answer cannot be `Continue`
        let answer = match Request::read(&mut call) {
            Ok(request) => request
                .perform(call.call(), Scope::Under(&tree))
                .answer_or(Errno::ACCESS),
            Err(RequestError::Errno(errno)) => CheckedAnswer::Errno(errno),
            Err(_) => CheckedAnswer::Errno(Errno::NOSYS),
        };
        call.answer(answer)
    };
    let policy: Policy = Policy::parse("default allow\nnotify openat\n", Arch::native().ok_or("arch")?)?;
    let mut insns = vec![SockFilter::default(); 4096];
    let program = Compiler::<64>::new().compile(&policy, &mut insns)?.program();
    let argv: Vec<&CStr> = command.iter().map(CString::as_c_str).collect();
    let (mut argv_storage, mut envp_storage) =
        (vec![std::ptr::null(); argv.len() + 1], [std::ptr::null(); 1]);
    let exec = Exec {
        path: argv.first().ok_or("no command")?,
        argv: CStrArray::new(&argv, &mut argv_storage).ok_or("argv")?,
        envp: CStrArray::new(&[], &mut envp_storage).ok_or("envp")?,
    };
    let confinement = Confinement {
        program,
        flags: FilterFlags::NEW_LISTENER,
        no_new_privs: true,
        restore: &[],
        signal_mask: None,
        die_with_parent: true,
    };
    let mut child = spawn(&exec, &confinement)?;
    let listener = child.wait_ready()?.listener.ok_or("no listener")?;
    let supervisor = Supervisor::new(handler, 2);
    supervisor.add(
        listener,
        Context::new(dir.to_string_lossy()).with_pid(child.pid()),
    );
    let status = child.wait()?;
    supervisor.shutdown();
    println!("exited: {status:?}");
    Ok(())
}
