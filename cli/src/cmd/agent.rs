//! `seccompctl agent`: reads the handler rules, binds the socket and serves until killed.

use crate::agent::log::Log;
use crate::agent::server::{self, Server};
use crate::args::AgentArgs;
use crate::error::CliResult;
use crate::notify::act::RuleHandler;

/// Runs the agent; returns only when it cannot go on.
pub fn run(args: &AgentArgs) -> CliResult {
    let native = crate::supervise::native_arch()?;
    let rules = match &args.handlers {
        Some(path) => Some(crate::cmd::run::load_handlers(path, native)?),
        None => None,
    };
    raise_fd_limit();
    let log = Log::new(args.json);
    let socket = server::absolute(&args.socket);
    let handler = RuleHandler::new(rules, args.on_notify, native, None);
    let mut server = Server::bind(&socket, handler, usize::from(args.workers), log)?;
    log.listening(&socket, args.handlers.as_deref(), args.on_notify);
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
