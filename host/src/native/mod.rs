//! The native backing of portable:streams: the interface implemented by the
//! host on tokio TCP and Unix sockets, under the sandbox [`Policy`].
//!
//! Every rule comes from `portable-streams-core` (the connection and server
//! engines, the connect pipeline); this module only moves bytes between
//! sockets and core's engines:
//!
//! * `host.rs`: the generated host traits, forwarding to the pieces below;
//! * `conn/`: one connection over a transport (reads in the waiting call,
//!   a pump task for writes); `transport.rs`: TCP, Unix and pipe transports;
//! * `connect.rs`, `unix.rs`, `server.rs`: sockets for core's pipeline and
//!   server engine; `wrap.rs`: `wrap`'s pipes; `tls_object.rs`:
//!   `tls-over-memory` (core's TLS over memory);
//! * `idle.rs`: `serve`'s idle timeout, a layer over a transport;
//! * `conv.rs`: `From` impls between core and the WIT types.
//!
//! Calls that wait (reads, `drain`, `accept`, connects) are concurrent host
//! functions, so a component waiting on one connection keeps serving the
//! others.
//!
//! An embedder gives its store data a [`NativeCtx`] and implements
//! [`NativeView`], then calls [`add_to_linker`].

pub(crate) mod bindings;
mod conn;
mod connect;
mod conv;
mod host;
mod idle;
pub(crate) mod reader;
pub(crate) mod server;
mod stream_in;
mod stream_out;
mod tls;
pub(crate) mod tls_object;
mod transport;
pub(crate) mod unix;
mod wrap;
pub(crate) mod writer;

use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};

pub use bindings::streams as wit;
pub(crate) use conv::accept_failure;
pub use portable_streams_core::ByteBudget;
pub use portable_streams_core::caps::{ConnectionCount, ListenerCount};
pub use transport::Accepted;

use crate::policy::Policy;

/// The native backing's per-store state: the policy, the counts of open
/// connections and listening sockets it caps, and the byte budget.
#[derive(Debug, Clone, Default)]
pub struct NativeCtx {
    policy: Arc<Policy>,
    open: ConnectionCount,
    listening: ListenerCount,
    budget: ByteBudget,
}

impl NativeCtx {
    /// A context enforcing `policy`, with counts of its own.
    pub fn new(policy: Arc<Policy>) -> Self {
        Self {
            budget: ByteBudget::new(policy.max_buffered()),
            policy,
            open: ConnectionCount::default(),
            listening: ListenerCount::default(),
        }
    }

    /// A context enforcing `policy` that counts its connections, listening
    /// sockets and held bytes in `account`, with every other door of the
    /// store.
    pub fn with_account(policy: Arc<Policy>, account: &crate::sockets::SocketAccount) -> Self {
        Self {
            policy,
            open: account.connections().clone(),
            listening: account.listeners().clone(),
            budget: account.budget().clone(),
        }
    }

    /// What a connection of this store is opened under.
    pub(crate) fn allowance(&self) -> conv::Allowance {
        conv::Allowance {
            policy: self.policy.clone(),
            count: self.open.clone(),
            budget: self.budget.clone(),
        }
    }

    /// The policy enforced.
    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    /// The connections open now (connected plus accepted).
    pub fn open_connections(&self) -> usize {
        self.open.get()
    }

    /// The listening sockets open now.
    pub fn listening_sockets(&self) -> usize {
        self.listening.get()
    }
}

/// What the native backing needs of a store: its context and the resource
/// table, borrowed together.
pub struct NativeCtxView<'a> {
    /// The backing's state.
    pub ctx: &'a mut NativeCtx,
    /// The store's resource table.
    pub table: &'a mut ResourceTable,
}

/// The seam an embedder implements: how to reach the native backing's state
/// in the store data.
pub trait NativeView: Send {
    /// The context and table of this store.
    fn native(&mut self) -> NativeCtxView<'_>;
}

/// The [`HasData`] marker the generated bindings are keyed on.
pub struct NativeStreams;

impl HasData for NativeStreams {
    type Data<'a> = NativeCtxView<'a>;
}

/// Adds the native portable:streams to `linker`.
pub fn add_to_linker<T: NativeView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, NativeStreams>(linker, T::native)
}

/// Hands a connection the host accepted itself (as `serve` does) to the
/// component in `view` as a reader and writer pair. With `idle_timeout`, a
/// read that waits that long for data closes the connection and fails
/// with `timeout`.
pub fn adopt(
    view: &mut NativeCtxView<'_>,
    accepted: Accepted,
    idle_timeout: Option<std::time::Duration>,
) -> wasmtime::Result<(
    wasmtime::component::Resource<reader::Reader>,
    wasmtime::component::Resource<writer::Writer>,
)> {
    // The read and write caps hold for connections the host accepted too.
    // The connection cap does not count them (the host bounds how many it
    // serves): a shared handler's own connections keep their allowance.
    let allowance = view.ctx.allowance();
    let read = conv::read_buffer(None, &allowance.policy)?;
    let mut transport = accepted.into_transport();
    if let Some(timeout) = idle_timeout {
        transport = idle::with_idle_timeout(transport, timeout);
    }
    let conn = conn::Conn::start(transport, allowance.engine(read), None, None);
    host::push_pair(view.table, conn)
}
