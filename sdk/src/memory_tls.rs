//! TLS over memory (Python's `ssl.MemoryBIO` with `SSLObject`): a session
//! whose ciphertext the caller moves itself, over any byte stream of its
//! own. No call waits.
//!
//! ```no_run
//! # fn demo(ca_pem: String, from_peer: &[u8]) -> Result<(), portable_streams::Error> {
//! use portable_streams::{ClientTls, MemoryTls};
//!
//! let tls = MemoryTls::client(ClientTls::new().server_name("localhost").add_root_certificate(ca_pem))?;
//! let hello = tls.take_outgoing(); // send it to the peer
//! let received = tls.receive(from_peer)?; // what the peer sent back
//! # Ok(()) }
//! ```

use crate::{ClientTls, Error, ServerTls, TlsInfo, wit};

/// What ciphertext taken in carried: its plaintext, and whether the peer
/// closed (`close_notify`).
pub use wit::TlsReceived;

/// One TLS session over memory.
#[derive(Debug)]
pub struct MemoryTls {
    raw: wit::TlsObject,
}

impl MemoryTls {
    /// The client side, verifying the server as `tls`'s
    /// [`server_name`](ClientTls::server_name), which it must have
    /// (`invalid-argument` otherwise).
    pub fn client(tls: ClientTls) -> Result<Self, Error> {
        Self::on(wit::TlsSide::Client(tls.into_wit()))
    }

    /// The server side.
    pub fn server(tls: ServerTls) -> Result<Self, Error> {
        Self::on(wit::TlsSide::Server(tls.into_wit()))
    }

    fn on(side: wit::TlsSide) -> Result<Self, Error> {
        Ok(Self {
            raw: wit::tls_over_memory(&side)?,
        })
    }

    /// Takes in ciphertext the peer sent. A protocol or certificate
    /// failure is [`Error::Tls`]; the alert telling the peer then waits in
    /// [`take_outgoing`](Self::take_outgoing).
    pub fn receive(&self, ciphertext: &[u8]) -> Result<TlsReceived, Error> {
        Ok(self.raw.receive(ciphertext)?)
    }

    /// The ciphertext to send to the peer now, in order.
    pub fn take_outgoing(&self) -> Vec<u8> {
        self.raw.take_outgoing()
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.raw.is_handshaking()
    }

    /// Encrypts `plaintext` (a client's waits for its handshake); the
    /// records wait in [`take_outgoing`](Self::take_outgoing).
    pub fn write(&self, plaintext: &[u8]) -> Result<(), Error> {
        Ok(self.raw.write(plaintext)?)
    }

    /// Starts closing: `close_notify` waits in
    /// [`take_outgoing`](Self::take_outgoing).
    pub fn close(&self) {
        self.raw.close();
    }

    /// The negotiated TLS, once the handshake is done.
    pub fn info(&self) -> Option<TlsInfo> {
        self.raw.info()
    }
}
