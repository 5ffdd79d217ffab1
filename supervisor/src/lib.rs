//! `seccomp-supervisor`: a seccomp user-notification supervisor that *acts* for its targets.
//!
//! A filter that returns `SECCOMP_RET_USER_NOTIF` parks the syscall and hands it to whoever holds the
//! listener fd. This crate serves any number of listeners in one process: each listener has its own
//! serving threads, already blocked in `RECV` when a notification is posted, each running the [`Handler`]
//! on what it received and delivering its [`Reply`] (`SEND`, `ADDFD` + `SEND`, or a kill).
//!
//! Modules, in the order a notification flows through them:
//! - [`server`]: [`Supervisor`], the listeners and their serving threads.
//! - [`gaps`]: notifications that vanished before they were received (interrupted by a signal).
//! - [`call`]: the [`Call`] a handler gets, and [`Inspected`], the call once its memory has been read.
//! - [`target`]: the target process: pid, pidfd, root, cwd, credentials, namespaces.
//! - [`memory`]: reading arguments (C strings, sockaddrs, fixed structs, byte ranges), each read handed back
//!   only after the notification was re-validated.
//! - [`answer`]: [`Answer`] and [`CheckedAnswer`], the one vocabulary from handler to ioctl.
//! - [`path`]: a path argument resolved as the kernel would resolve it for the target.
//! - [`creds`]: per-thread credentials, so the supervisor acts with the target's permissions.
//! - [`emulate`]: syscalls done by the supervisor for the target (open and friends injected with `ADDFD`;
//!   mkdir, unlink, rmdir, rename, chmod; connect and bind on the target's socket). See docs/supervisor.md.
//!
//! # The threat model: why an inspected call can never continue
//!
//! The target is not trusted. Its memory can change at any moment: another of its threads can rewrite a
//! path buffer between the supervisor's read and the kernel's own read when the syscall runs
//! (seccomp_unotify(2), "Caveats": "a supervisor should not use `SECCOMP_USER_NOTIF_FLAG_CONTINUE` to ... allow a system call after
//! inspecting its arguments"). Its pid can be reused once it dies, so `/proc/PID` may describe another
//! process by the time it is read. Therefore:
//!
//! 1. Every read of target memory or `/proc/PID` is followed by `SECCOMP_IOCTL_NOTIF_ID_VALID`; the data is
//!    handed back only if the notification was still outstanding after the read (so the pid still named the
//!    target while it was read).
//! 2. A decision that depended on target memory is carried out by the supervisor itself: it opens the file
//!    with the target's credentials and injects the fd (`ADDFD` with `SEND`), so the kernel never reads the
//!    target's buffer again. The types enforce it: memory can only be read through an [`Inspected`] call,
//!    which [`Call::inspect`] makes by consuming the [`Call`], and an [`Inspected`] call is answered with a
//!    [`CheckedAnswer`], which has no `Continue`.
//! 3. Work done for the target uses the target's filesystem credentials (fsuid, fsgid, supplementary groups,
//!    effective capabilities) in the serving thread, and resolves paths inside the target's root, so a rule can
//!    only narrow what the target could do itself, never widen it.
//!
//! What this does not defend against: a handler that copies memory it read into its own state and uses it
//! for a later, unrelated `Continue` (the types cannot see that), and syscalls whose effect the supervisor
//! cannot reproduce (`execve`): allowing those after looking at their memory is refused by the CLI; use
//! Landlock or mount options for them.
//!
//! # Example
//!
//! ```no_run
//! use seccomp_supervisor::{Answer, Call, CheckedAnswer, Context, Errno, Reply, Supervisor};
//!
//! fn handle(call: Call<'_>) -> Reply {
//!     if call.name() != Some("openat") {
//!         return call.answer(Answer::Continue);
//!     }
//!     let mut call = call.inspect();
//!     match call.read_path(1) {
//!         Ok(path) if path.to_bytes().starts_with(b"/etc/") => call.answer(CheckedAnswer::Errno(Errno::ACCESS)),
//!         Ok(_) => match seccomp_supervisor::emulate::open(&mut call) {
//!             Ok(answer) => call.answer(answer),
//!             Err(errno) => call.answer(CheckedAnswer::Errno(errno)),
//!         },
//!         Err(_) => call.answer(CheckedAnswer::Errno(Errno::FAULT)),
//!     }
//! }
//!
//! # fn listener() -> seccomp_sys::Listener { unimplemented!() }
//! let supervisor = Supervisor::new(handle, 2);
//! supervisor.add(listener(), Context::new("demo"));
//! supervisor.wait_all_hung_up();
//! supervisor.shutdown();
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod answer;
pub mod call;
pub mod creds;
pub mod emulate;
pub mod gaps;
pub mod handlers;
pub mod memory;
pub mod path;
pub mod server;
pub mod target;

pub use answer::{Answer, CheckedAnswer, ErrnoName};
pub use call::{Call, Handler, Inspected, Reply};
pub use rustix::io::Errno;
pub use server::{Context, Delivery, Observer, Supervisor};
