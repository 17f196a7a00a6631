//! An established session as a connection holds it: the transport's
//! received ciphertext goes through [`Layer::receive`] to the reader, the
//! pump encrypts each chunk with [`Layer::encrypt`] before it sends it,
//! and closing sends [`Layer::close_notify`] first. Both backends hold
//! one; neither has a TLS stack of its own.

use std::time::Duration;

use super::{Received, Session};
use crate::{Error, TlsDetails};

/// An established session under a connection.
#[derive(Debug)]
pub struct Layer {
    session: Session,
    shutdown_timeout: Duration,
}

impl Layer {
    /// `session`, established, closing within `shutdown_timeout`.
    pub fn new(session: Session, shutdown_timeout: Duration) -> Self {
        Self {
            session,
            shutdown_timeout,
        }
    }

    /// Ciphertext received: the plaintext it carried, and whether the
    /// peer closed. A failure is the `tls` error the connection is lost
    /// with.
    pub fn receive(&mut self, data: &[u8]) -> Result<Received, Error> {
        self.session.receive(data)
    }

    /// As [`receive`](Self::receive), handing the plaintext to `deliver`
    /// without a copy of its own; returns whether the peer closed.
    pub fn receive_with(&mut self, data: &[u8], deliver: impl FnMut(&[u8])) -> Result<bool, Error> {
        self.session.receive_with(data, deliver)
    }

    /// The ciphertext to send for `plaintext` (with any record the
    /// protocol had waiting).
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.session.encrypt(plaintext)
    }

    /// As [`encrypt`](Self::encrypt), appending the ciphertext to `out`
    /// (a buffer the caller reuses).
    pub fn encrypt_into(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.session.encrypt_into(plaintext, out)
    }

    /// The `close_notify` alert to send before the transport ends.
    pub fn close_notify(&mut self) -> Vec<u8> {
        self.session.close_notify()
    }

    /// `ssl_object`'s details.
    pub fn details(&self) -> TlsDetails {
        self.session.details()
    }

    /// asyncio's `ssl_shutdown_timeout` for this connection (the engine's
    /// shutdown timer).
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }
}
