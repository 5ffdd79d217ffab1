//! `seccompctl agent`: reads the handlers policy, binds the socket and serves until killed.

use crate::agent::log::Log;
use crate::agent::server::{self, Server};
use crate::args::AgentArgs;
use crate::cmd::common;
use crate::error::{CliError, CliResult};
use crate::notify::answer::Answerer;
use seccomp_core::policy::Policy;

/// Runs the agent; returns only when it cannot go on.
pub fn run(args: &AgentArgs) -> CliResult {
    let handlers = match &args.policy {
        Some(path) => {
            let arch = common::parse_arch(None)?;
            let text = common::read_text(path)?;
            let policy = Policy::parse(&text, arch)
                .map_err(|e| CliError::bad_input(format!("{}:{e}", path.display())))?;
            Some(policy)
        }
        None => None,
    };
    raise_fd_limit();
    let log = Log::new(args.json);
    let socket = server::absolute(&args.socket);
    let mut server = Server::bind(&socket, Answerer::new(handlers, args.on_notify), log)?;
    log.listening(&socket, args.policy.as_deref(), args.on_notify);
    Err(server.run())
}

/// Raises the soft limit on open fds to the hard limit: each container holds one listener fd.
fn raise_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        // Keeping the old limit only lowers how many containers can be served at once.
        let _ = setrlimit(Resource::Nofile, limit);
    }
}
