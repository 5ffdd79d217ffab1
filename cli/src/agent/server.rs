//! The agent's event loop: one thread, one level-triggered epoll set over the listening socket, every
//! connection that has not delivered its message yet, and every container's seccomp listener.
//!
//! - The listening socket readable: accept every pending connection (non-blocking).
//! - A connection readable: gather its message ([`Inbox`]); once complete, register the container's
//!   listener and close the connection; if malformed, log one line naming the peer and the reason and close
//!   the connection with every fd that came with it. A connection that has not completed its message within
//!   [`MESSAGE_DEADLINE`] is refused the same way, so a stalled client cannot hold a slot forever.
//! - A registered container's listener goes to the [`Supervisor`] (`--workers` serving threads of its
//!   own, each blocked in `RECV`, deciding and answering what it receives): each notification is decided by the
//!   handler rules ([`RuleHandler`](crate::notify::act::RuleHandler)), logged with the container's id and the rule that decided, and
//!   answered. A listener that hangs up (Linux 5.9+: no task uses the filter any more) means the container
//!   has exited: the supervisor closes it and the exit is logged.
//!
//! Nothing a client sends can stop the loop: every failure tied to one connection or one listener closes
//! that one and the loop goes on. Only a failure of epoll itself or of the listening socket ends it.

use super::log::{Log, Peer};
use super::message::{Inbox, Registration, Reject};
use super::sets::{self, DEFAULT_NAME, HandlerSets, Selection};
use crate::decode;
use crate::error::CliError;
use crate::notify::Peek;
use rustix::event::{Timespec, epoll};
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use seccomp_supervisor::{Answer, Call, Context, Delivery, ErrnoName, Handler, Observer, Reply, Supervisor};
use seccomp_sys::Notification;
use seccomp_sys::listener::{RecvError, ReplyError};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a connection may take to deliver its complete message.
pub const MESSAGE_DEADLINE: Duration = Duration::from_secs(10);

/// How many connections may be waiting for their message at once; more are refused at once.
pub const MAX_PENDING: usize = 256;

/// The size of the receive buffer for one `recvmsg`.
const RECV_CHUNK: usize = 64 * 1024;

/// The epoll token of the listening socket; connections and listeners get the following numbers.
const LISTEN_TOKEN: u64 = 0;

/// Which set serves each registered listener, by (label, registered pid).
type Assigned = Arc<Mutex<HashMap<(String, Option<i32>), usize>>>;

/// The set lookup of [`HandlerSets::lookup`].
type SetLookup = Box<dyn Fn(&Selection) -> Result<usize, usize> + Send>;

/// A connection whose message is still arriving.
struct Connection {
    stream: OwnedFd,
    peer: Peer,
    inbox: Inbox,
    deadline: Instant,
}

/// The agent's handler: the container's handler set decides, and each notification is logged with its
/// container and set.
struct AgentHandler {
    sets: HandlerSets,
    /// Which set serves each registered listener, by (label, registered pid).
    assigned: Assigned,
    log: Log,
}

impl AgentHandler {
    fn set_of(&self, context: &Context) -> usize {
        let key = (
            context.label().to_owned(),
            context.pid().map(|p| p.as_raw_nonzero().get()),
        );
        let assigned = self
            .assigned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A listener is assigned before it is added to the supervisor; a missing entry cannot happen, and
        // would be served by the default set, which is what an unselected container gets.
        assigned.get(&key).copied().unwrap_or(0)
    }
}

impl Handler for AgentHandler {
    fn handle(&self, call: Call<'_>) -> Reply {
        // Decode (reading the target's memory) before answering: once answered, the target runs on and
        // its memory no longer says what the syscall was called with.
        let data = *call.notification().data();
        let pid = call.notification().raw().pid;
        let shown = decode::decode(&data, &mut Peek(&call));
        let container = call.context().label().to_owned();
        let set = self.sets.get(self.set_of(call.context()));
        let (reply, rule) = set.rules.decide_explained(call);
        let rule = if set.name == DEFAULT_NAME {
            rule
        } else {
            format!("set {}: {rule}", set.name)
        };
        self.log
            .notification(&container, pid, &shown, &reply.answer().to_string(), &rule);
        reply
    }
}

/// The agent's observer of deliveries, losses and exits.
struct AgentObserver {
    log: Log,
    assigned: Assigned,
}

impl Observer for AgentObserver {
    fn delivered(
        &self,
        context: &Context,
        notification: &Notification,
        _answer: &Answer,
        result: &Result<Delivery, ReplyError>,
    ) {
        self.log.undelivered(context.label(), notification, result);
    }

    fn hung_up(&self, context: &Context, answered: u64) {
        self.log.exited(context.label(), answered);
        let key = (
            context.label().to_owned(),
            context.pid().map(|p| p.as_raw_nonzero().get()),
        );
        self.assigned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&key);
    }

    fn failed(&self, context: &Context, error: &RecvError) {
        self.log.dropped(context.label(), error);
    }

    fn interrupted(&self, context: &Context, lost: u64) {
        self.log.interrupted(context.label(), lost);
    }
}

/// The agent: the socket, the connections and the supervisor serving every container.
pub struct Server {
    epoll: OwnedFd,
    socket: OwnedFd,
    supervisor: Supervisor,
    assigned: Assigned,
    /// The names of the sets by index, and the refusing set's name, for the registration log.
    set_names: Vec<String>,
    sets_index: SetLookup,
    log: Log,
    next_token: u64,
    connections: HashMap<u64, Connection>,
    scratch: Vec<u8>,
}

impl Server {
    /// Binds the agent socket at `path` and prepares the epoll set.
    ///
    /// A stale socket left at `path` by an agent that was killed is replaced; a socket some process still
    /// accepts on, or any other file, is an error (nothing is removed).
    pub fn bind(path: &Path, sets: HandlerSets, workers: usize, log: Log) -> Result<Server, CliError> {
        remove_stale_socket(path)?;
        let socket = listen(path)
            .map_err(|errno| CliError::system(format!("{}: cannot listen: {errno}", path.display())))?;
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)
            .map_err(|e| CliError::system(format!("epoll_create: {e}")))?;
        epoll::add(
            &epoll,
            &socket,
            epoll::EventData::new_u64(LISTEN_TOKEN),
            epoll::EventFlags::IN,
        )
        .map_err(|e| CliError::system(format!("epoll_ctl: {e}")))?;
        let assigned = Arc::new(Mutex::new(HashMap::new()));
        let set_names = sets.names();
        let lookup = sets.lookup();
        Ok(Server {
            epoll,
            socket,
            supervisor: Supervisor::with_observer(
                AgentHandler {
                    sets,
                    assigned: Arc::clone(&assigned),
                    log,
                },
                AgentObserver {
                    log,
                    assigned: Arc::clone(&assigned),
                },
                workers,
            ),
            assigned,
            set_names,
            sets_index: Box::new(lookup),
            log,
            next_token: LISTEN_TOKEN + 1,
            connections: HashMap::new(),
            scratch: vec![0; RECV_CHUNK],
        })
    }

    /// Serves until epoll or the listening socket fails; returns that failure.
    pub fn run(&mut self) -> CliError {
        let mut buffer = [MaybeUninit::<epoll::Event>::uninit(); 64];
        loop {
            let timeout = self.next_deadline().map(|deadline| {
                let left = deadline.saturating_duration_since(Instant::now());
                Timespec {
                    tv_sec: left.as_secs().min(i64::MAX as u64) as i64,
                    tv_nsec: i64::from(left.subsec_nanos()),
                }
            });
            let ready: Vec<u64> = match epoll::wait(&self.epoll, &mut buffer, timeout.as_ref()) {
                Ok((events, _)) => events.iter().map(|event| event.data.u64()).collect(),
                Err(Errno::INTR) => continue,
                Err(errno) => return CliError::system(format!("epoll_wait: {errno}")),
            };
            for token in ready {
                if token == LISTEN_TOKEN {
                    if let Err(error) = self.accept_all() {
                        return error;
                    }
                } else if self.connections.contains_key(&token) {
                    self.on_connection(token);
                }
            }
            self.expire_connections();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.connections.values().map(|c| c.deadline).min()
    }

    fn token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    fn accept_all(&mut self) -> Result<(), CliError> {
        loop {
            let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
            let stream = match rustix::net::accept_with(&self.socket, flags) {
                Ok(stream) => stream,
                Err(Errno::AGAIN) => return Ok(()),
                // Interrupted, or the peer gave up before the accept.
                Err(Errno::INTR | Errno::CONNABORTED) => continue,
                // Out of fds or memory: try again on the next readiness rather than stopping.
                Err(errno @ (Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM)) => {
                    self.log.warning(&format!("accept: {}", ErrnoName(errno)));
                    // The socket stays readable: pause so that running out of fds does not spin.
                    std::thread::sleep(Duration::from_millis(100));
                    return Ok(());
                }
                Err(errno) => return Err(CliError::system(format!("accept: {errno}"))),
            };
            let token = self.token();
            let credentials = rustix::net::sockopt::socket_peercred(&stream).ok();
            let peer = Peer {
                connection: token,
                pid: credentials.map(|c| c.pid.as_raw_nonzero().get()),
                uid: credentials.map(|c| c.uid.as_raw()),
            };
            if self.connections.len() >= MAX_PENDING {
                self.log.warning(&format!(
                    "refused connection #{token}: {MAX_PENDING} connections are already waiting for their message"
                ));
                continue;
            }
            let flags = epoll::EventFlags::IN | epoll::EventFlags::RDHUP;
            if let Err(errno) = epoll::add(&self.epoll, &stream, epoll::EventData::new_u64(token), flags) {
                self.log
                    .warning(&format!("connection #{token}: epoll_ctl: {}", ErrnoName(errno)));
                continue;
            }
            self.connections.insert(
                token,
                Connection {
                    stream,
                    peer,
                    inbox: Inbox::new(),
                    deadline: Instant::now() + MESSAGE_DEADLINE,
                },
            );
        }
    }

    fn on_connection(&mut self, token: u64) {
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        let outcome = connection
            .inbox
            .receive(connection.stream.as_fd(), &mut self.scratch)
            .and_then(|()| connection.inbox.finish());
        match outcome {
            Ok(None) => {}
            Ok(Some(registration)) => {
                if let Some(connection) = self.close_connection(token) {
                    self.register(&connection.peer, registration);
                }
            }
            Err(reject) => self.reject(token, &reject),
        }
    }

    fn close_connection(&mut self, token: u64) -> Option<Connection> {
        let connection = self.connections.remove(&token)?;
        // Closing the socket would remove it from the set too; deleting first keeps that explicit.
        let _ = epoll::delete(&self.epoll, &connection.stream);
        Some(connection)
    }

    fn reject(&mut self, token: u64, reason: &Reject) {
        if let Some(connection) = self.close_connection(token) {
            self.log.rejected(&connection.peer, reason);
        }
    }

    fn expire_connections(&mut self) {
        let now = Instant::now();
        let expired: Vec<u64> = self
            .connections
            .iter()
            .filter(|(_, connection)| connection.deadline <= now)
            .map(|(&token, _)| token)
            .collect();
        for token in expired {
            self.reject(
                token,
                &Reject::Stalled {
                    seconds: MESSAGE_DEADLINE.as_secs(),
                },
            );
        }
    }

    fn register(&mut self, peer: &Peer, registration: Registration) {
        let Registration { state, listener, .. } = registration;
        self.log.registered(peer, &state);
        let selection = sets::select(&state);
        let (index, known) = match (self.sets_index)(&selection) {
            Ok(index) => (index, true),
            Err(index) => (index, false),
        };
        let (name, source) = match &selection {
            Selection::Default => (self.set_names[index].clone(), None),
            Selection::Named(name, source) => (name.clone(), Some(*source)),
        };
        self.log.selected(&state.state.id, &name, source, known);
        let mut context = Context::new(state.state.id.clone());
        let pid = rustix::process::Pid::from_raw(state.pid);
        if let Some(pid) = pid {
            context = context.with_pid(pid);
        }
        let key = (state.state.id.clone(), pid.map(|p| p.as_raw_nonzero().get()));
        self.assigned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key, index);
        self.supervisor.add(listener, context);
    }
}

/// Removes a socket at `path` that nobody accepts on any more; refuses a live socket or another file.
fn remove_stale_socket(path: &Path) -> Result<(), CliError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CliError::system(format!("{}: {e}", path.display()))),
    };
    if !metadata.file_type().is_socket() {
        return Err(CliError::usage(format!(
            "{}: exists and is not a socket; not replacing it",
            path.display()
        )));
    }
    let address = unix_address(path)?;
    let probe = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|errno| CliError::system(format!("socket: {errno}")))?;
    match rustix::net::connect(&probe, &address) {
        Ok(()) => Err(CliError::system(format!(
            "{}: another process is accepting connections on this socket",
            path.display()
        ))),
        Err(Errno::CONNREFUSED) => std::fs::remove_file(path).map_err(|e| {
            CliError::system(format!("{}: cannot remove the stale socket: {e}", path.display()))
        }),
        Err(errno) => Err(CliError::system(format!("{}: {errno}", path.display()))),
    }
}

fn unix_address(path: &Path) -> Result<SocketAddrUnix, CliError> {
    SocketAddrUnix::new(path.as_os_str().as_bytes()).map_err(|errno| {
        CliError::usage(format!(
            "{}: not usable as a socket address ({errno}; at most 107 bytes)",
            path.display()
        ))
    })
}

/// `socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`, `bind(path)`, `listen`: runc and crun
/// connect with `SOCK_STREAM`.
fn listen(path: &Path) -> Result<OwnedFd, Errno> {
    let address = SocketAddrUnix::new(path.as_os_str().as_bytes())?;
    let socket = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )?;
    rustix::net::bind(&socket, &address)?;
    rustix::net::listen(&socket, 128)?;
    Ok(socket)
}

/// The path the agent listens on, made absolute so that the log shows what runtimes must use.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
