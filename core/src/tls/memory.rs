//! TLS over memory (Python's `ssl.MemoryBIO` with `SSLContext.wrap_bio`'s
//! `SSLObject`): a session whose caller moves the ciphertext itself, in
//! calls that never wait. Written once; each backend's `tls-object`
//! resource only converts its arguments.

use super::{Received, Session, Side};
use crate::{Error, TlsDetails};

/// A session over memory: ciphertext in through [`MemoryTls::receive`],
/// out through [`MemoryTls::take_outgoing`].
#[derive(Debug)]
pub struct MemoryTls {
    session: Session,
    /// Ciphertext made by `write` and `close` and not taken yet.
    outgoing: Vec<u8>,
    /// `close_notify` was queued: nothing more is encrypted.
    closed: bool,
}

impl MemoryTls {
    /// A new session on `side`.
    pub fn new(side: &Side) -> Result<Self, Error> {
        Ok(Self {
            session: side.session()?,
            outgoing: Vec::new(),
            closed: false,
        })
    }

    /// Takes in ciphertext the peer sent: the plaintext it carried, and
    /// whether the peer closed. A protocol or certificate failure is the
    /// `tls` error naming it; the alert telling the peer waits in
    /// [`take_outgoing`](Self::take_outgoing).
    pub fn receive(&mut self, ciphertext: &[u8]) -> Result<Received, Error> {
        self.session.receive(ciphertext)
    }

    /// The ciphertext waiting to be sent (handshake messages, alerts,
    /// records), taken out, in the order it was made.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        self.session.take_outgoing_into(&mut self.outgoing);
        std::mem::take(&mut self.outgoing)
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.session.is_handshaking()
    }

    /// Encrypts `plaintext` (a client's is held until its handshake is
    /// done); the records wait in [`take_outgoing`](Self::take_outgoing).
    /// After [`close`](Self::close) it is the `closed` error.
    pub fn write(&mut self, plaintext: &[u8]) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed("the TLS session was closed".into()));
        }
        self.session.encrypt_into(plaintext, &mut self.outgoing)
    }

    /// Starts closing: `close_notify` waits in
    /// [`take_outgoing`](Self::take_outgoing) (once, however often this is
    /// called).
    pub fn close(&mut self) {
        if !std::mem::replace(&mut self.closed, true) {
            self.session.take_outgoing_into(&mut self.outgoing);
            let goodbye = self.session.close_notify();
            self.outgoing.extend_from_slice(&goodbye);
        }
    }

    /// The negotiated parameters, once the handshake is done.
    pub fn details(&self) -> Option<TlsDetails> {
        (!self.session.is_handshaking()).then(|| self.session.details())
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
