//! `seccompctl agent`: an OCI seccomp agent.
//!
//! A container runtime (runc, crun) given a seccomp profile with `listenerPath` connects to the agent's Unix
//! socket and sends the container's seccomp listener fd with `SCM_RIGHTS`, along with the container process
//! state as JSON (runtime spec, config-linux.md, "listenerPath"). The agent serves any number of containers
//! from one epoll loop and one supervisor: it answers each notification by the handler rules ([`crate::notify::act`]),
//! logs it with the container's id, and closes a container's listener when the container exits.
//!
//! - [`message`]: one runtime's message on the socket and every way it can be malformed; the container
//!   process state itself is parsed by `seccomp_oci::state`.
//! - [`server`]: the event loop.
//! - [`sets`]: named handler sets and which one serves a container.
//! - [`log`]: the log lines.

pub mod log;
pub mod message;
pub mod server;
pub mod sets;
