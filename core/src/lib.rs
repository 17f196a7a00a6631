//! The semantics of asyncio streams, with no I/O at all.
//!
//! Every observable rule of Python's `asyncio.StreamReader` (limit,
//! separators, partial data, EOF, stored errors, backpressure) and of the
//! `StreamWriter`'s flow control (watermarks, closing) lives here once.
//! Backends move bytes between a transport and these types:
//!
//! * [`ReadBuffer`]: feed it bytes ([`ReadBuffer::feed_data`]) and EOF
//!   ([`ReadBuffer::feed_eof`]); ask it whether a [`ReadRequest`] can be
//!   answered now ([`ReadBuffer::poll`]); if not, wait for more data.
//! * [`WriteBuffer`]: append with [`WriteBuffer::write`]; a pump takes
//!   chunks with [`WriteBuffer::take_chunk`] and reports them sent; `drain`
//!   asks [`WriteBuffer::drain_status`].
//! * [`Connection`] (`conn.rs`): one connection's engine over both buffers:
//!   read steps, the single waiter, drain, the pump's next step, closing,
//!   `write_eof`, loss, and (`wire.rs`) what its bytes are on the
//!   transport: plain, or a TLS layer's records (`Connection::secure`).
//!   Backends move bytes and wake waiters; nothing more.
//! * [`ServerState`] (`server/`): serving/closed, pending accepts, how
//!   many connections to take off the listeners and the queue of taken ones,
//!   admission under the cap, clients, `wait_closed`, and which addresses a
//!   server binds; [`server::ServerShell`] (`server/shell.rs`) carries out
//!   what needs no socket, the same on every backend.
//! * `tls` (feature `tls`): TLS as a layer: configurations from
//!   asyncio's `ssl=` options, a sans-I/O session, handshake errors; and
//!   [`TlsDetails`], which makes a connection refuse `write_eof`.
//! * [`pump`]: the pump's loop over the engine's steps, over the byte
//!   moves a backend supplies ([`pump::PumpIo`]).
//! * [`upgrade`]: `start_tls`'s procedure (what is checked when, what a
//!   failed or cancelled handshake does) over steps a backend supplies.
//! * [`connect`]: resolve → admit → order → staggered race with local
//!   binding and the connect timeout, over closures a backend supplies.
//! * [`wit_conversions!`] (and `wit_tls_conversions!` with `tls`): the
//!   `From` impls between these types and the WIT's generated ones,
//!   written once and expanded in each crate that holds bindings.
//!
//! Where each rule lives: reader rules in `reader.rs` (+ `request.rs`,
//! `separators.rs`), writer flow control in `writer.rs` (+
//! `watermarks.rs`), a connection's life in `conn.rs`, a server's in
//! `server/`, connecting in `connect/`, the error cases in `error.rs`;
//! `race.rs` races two futures, runtime-neutral as the signal;
//! `signal.rs` is the one wake-up point every waiting call waits on (the
//! guest backend and the SDK inside a component, native on tokio's
//! threads).
//!
//! ```
//! use portable_streams_core::{ReadBuffer, ReadRequest, Progress};
//!
//! let mut reader = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
//! let mut line = ReadRequest::readline();
//! reader.feed_data(b"hello ");
//! assert!(matches!(reader.poll(&mut line), Progress::NeedData));
//! reader.feed_data(b"world\nrest");
//! assert!(matches!(reader.poll(&mut line), Progress::Done(Ok(l)) if &l[..] == b"hello world\n"));
//! ```

mod budget;
pub mod caps;
mod conn;
pub mod connect;
mod error;
pub mod front;
pub mod pump;
mod race;
mod reader;
mod request;
mod separators;
pub mod server;
mod signal;
#[cfg(feature = "tls")]
pub mod tls;
mod tls_info;
pub mod upgrade;
mod watermarks;
mod wire;
mod wit_conv;
mod writer;

pub use budget::{ByteBudget, Charge};
pub use caps::Caps;
pub use conn::{
    Connection, DrainCall, MAX_RECV, MAX_SEND, PumpStep, ReadCall, ReadStep, SentNow, Wake,
};
pub use error::{Error, ReadResult};
pub use race::{Either, race};
pub use reader::{Progress, ReadBuffer, bytes_without_slack};
pub use request::{MAX_EXACT, ReadRequest};
pub use separators::Separators;
pub use server::{AcceptStep, ServerState};
pub use signal::{Signal, Wait};
pub use tls_info::{
    TlsDetails, start_tls_cancelled, upgrade_needs_both_directions, write_eof_unsupported,
};
pub use watermarks::WriteLimits;
pub use writer::{DrainStatus, WriteBuffer, WriterState};

/// asyncio's `_DEFAULT_LIMIT`: the default reader limit, 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;
