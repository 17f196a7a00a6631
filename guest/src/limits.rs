//! The sandbox's caps inside the guest: read once from the environment the
//! host gives the composed component (the host sets them from its policy;
//! on plain `wasmtime run`, `--env NAME=VALUE` does), and applied with
//! core's rules, as the native backing applies its policy's:
//!
//! * `PORTABLE_STREAMS_MAX_CONNECTIONS`: connections open at once
//!   (connected plus accepted);
//! * `PORTABLE_STREAMS_MAX_READ_BUFFER`: the cap on a reader's limit (a
//!   connection then holds at most twice it);
//! * `PORTABLE_STREAMS_MAX_WRITE_BUFFER`: the bytes a writer buffers;
//! * `PORTABLE_STREAMS_MAX_LISTENERS`: listening sockets open at once;
//! * `PORTABLE_STREAMS_MAX_BUFFERED`: the bytes all connections hold at
//!   once (core's `ByteBudget`).
//!
//! The host holds the socket caps itself too (it counts every socket the
//! guest opens through `wasi:sockets`); these copies give the guest's
//! answers the same words as the native backing's.
//!
//! The client a guest is composed with cannot change them: the guest is an
//! instance of its own, with its own memory.

use std::sync::OnceLock;

use portable_streams_core::caps::env::{
    MAX_BUFFERED, MAX_CONNECTIONS, MAX_LISTENERS, MAX_READ_BUFFER, MAX_WRITE_BUFFER,
};
use portable_streams_core::caps::{self, Caps, ConnectionCount, ListenerCount, Permit};
use portable_streams_core::{ByteBudget, Connection, Error, ReadBuffer};

struct Limits {
    max_connections: Option<usize>,
    max_listeners: Option<usize>,
    max_read_buffer: Option<usize>,
    caps: Caps,
    budget: ByteBudget,
    open: ConnectionCount,
    listening: ListenerCount,
}

fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let number = |name: &str| std::env::var(name).ok()?.trim().parse::<u64>().ok();
        let count = |name: &str| number(name).and_then(|n| usize::try_from(n).ok());
        let max_read_buffer = count(MAX_READ_BUFFER);
        Limits {
            max_connections: count(MAX_CONNECTIONS),
            max_listeners: count(MAX_LISTENERS),
            max_read_buffer,
            caps: Caps::from_buffers(max_read_buffer, number(MAX_WRITE_BUFFER)),
            budget: ByteBudget::new(number(MAX_BUFFERED)),
            open: ConnectionCount::default(),
            listening: ListenerCount::default(),
        }
    })
}

/// A reader for a `limit` option under the cap on reader limits.
pub(crate) fn reader(limit: Option<u32>) -> Result<ReadBuffer, Error> {
    caps::reader(limit, limits().max_read_buffer)
}

/// An engine for `read` under the caps, charged to the byte budget.
pub(crate) fn engine(read: ReadBuffer) -> Connection {
    let limits = limits();
    Connection::with_caps(read, limits.caps).charging(limits.budget.clone())
}

/// Counts one more open connection, or refuses with `access-denied`.
pub(crate) fn permit() -> Result<Permit, Error> {
    let limits = limits();
    limits.open.try_permit(limits.max_connections)
}

/// Counts one more listening socket, or refuses with `access-denied`.
pub(crate) fn listener_permit() -> Result<Permit, Error> {
    let limits = limits();
    limits.listening.try_permit(limits.max_listeners)
}
