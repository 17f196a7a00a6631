//! TLS as a layer over a byte transport, written once for every backend
//! (rustls; the crypto provider is the backend's choice):
//!
//! * `options.rs`: asyncio's `ssl=` options as neutral records, and the
//!   rustls configurations they make (web PKI roots plus extra ones, ALPN,
//!   certificate and key). Bad PEM or a bad name fails here, before any
//!   socket is touched, as asyncio builds its `SSLContext` first.
//! * `errors.rs`: every handshake failure as the typed `tls` error naming
//!   its cause, and the handshake timeout as asyncio words it.
//! * `session.rs`: a sans-I/O session: bytes in, plaintext out;
//! * `side.rs`: a client or server side, made once, a session per
//!   connection; `handshake.rs`: the handshake over any transport's byte
//!   moves, bounded; `layer.rs`: the established session a connection
//!   holds. Both backends run TLS through these: each only moves the
//!   ciphertext and picks the crypto provider.
//! * `memory.rs`: a session over memory whose caller moves the
//!   ciphertext (Python's `ssl.MemoryBIO` and `SSLObject`).
//!
//! asyncio's rules kept: certificates are verified by default (the name
//! is `server_hostname`, else the host connected to; an IP address is
//! checked against the certificate's IP addresses); the handshake is
//! bounded (60 s by default); a peer that closes without `close_notify`
//! reads as EOF (CPython's `suppress_ragged_eofs`).

mod errors;
mod handshake;
mod layer;
mod memory;
mod options;
mod session;
mod side;
mod wit_conv;

use std::time::Duration;

pub use crate::tls_info::shutdown_timed_out;
pub use errors::{handshake_error, handshake_timed_out, no_server_name};
pub use handshake::{HandshakeIo, handshake, peer_left, transport_failed};
pub use layer::Layer;
pub use memory::MemoryTls;
pub use options::{ClientOptions, ServerOptions, details};
#[cfg(test)]
pub(crate) use session::tests as testing;
pub use session::{Received, Session};
pub use side::{Client, Server, Side, Timeouts};

/// asyncio's `ssl_handshake_timeout` default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's `ssl_shutdown_timeout` default: how long closing a TLS
/// connection (flushing, then `close_notify`) may take.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The crypto provider a backend runs rustls with.
pub type Provider = std::sync::Arc<rustls::crypto::CryptoProvider>;
