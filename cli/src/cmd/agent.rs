//! `seccompctl agent`: reads the handler rules, binds the socket and serves until killed.

use crate::agent::log::Log;
use crate::agent::server::{self, Server};
use crate::agent::sets::HandlerSets;
use crate::args::AgentArgs;
use crate::error::CliResult;

/// Runs the agent; returns only when it cannot go on.
pub fn run(args: &AgentArgs) -> CliResult {
    let native = crate::supervise::native_arch()?;
    let sets = HandlerSets::load(
        &args.handlers,
        args.on_notify,
        native,
        crate::cmd::run::load_handlers,
    )?;
    raise_fd_limit();
    let log = Log::new(args.json);
    let socket = server::absolute(&args.socket);
    let given: Vec<(String, Option<std::path::PathBuf>)> = sets
        .given()
        .map(|(name, path)| (name.to_owned(), path.map(|p| p.to_path_buf())))
        .collect();
    let mut server = Server::bind(&socket, sets, usize::from(args.workers), log)?;
    log.listening(&socket, &given, args.on_notify);
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
