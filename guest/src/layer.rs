//! An established TLS session as a connection holds it: the reader hands
//! it what it received and gives the engine the plaintext, the pump
//! encrypts each chunk before it sends it, and `close` sends
//! `close_notify` first.

use std::cell::RefCell;
use std::time::Duration;

use portable_streams_core::tls::{Received, Session};
use portable_streams_core::{Error, TlsDetails};

/// An established session, as the connection holds it.
pub(crate) struct Layer {
    session: RefCell<Session>,
    /// How long closing may take (asyncio's `ssl_shutdown_timeout`): the
    /// engine's shutdown timer.
    pub(crate) shutdown_timeout: Duration,
}

impl Layer {
    /// `session`, established, closing within `shutdown_timeout`.
    pub(crate) fn new(session: Session, shutdown_timeout: Duration) -> Self {
        Self {
            session: RefCell::new(session),
            shutdown_timeout,
        }
    }

    /// Ciphertext received: the plaintext it carried, and whether the
    /// peer closed.
    pub(crate) fn receive(&self, data: &[u8]) -> Result<Received, Error> {
        self.session.borrow_mut().receive(data)
    }

    /// The ciphertext for `plaintext`.
    pub(crate) fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.session.borrow_mut().encrypt(plaintext)
    }

    /// The `close_notify` alert to send.
    pub(crate) fn close_notify(&self) -> Vec<u8> {
        self.session.borrow_mut().close_notify()
    }

    /// The negotiated parameters.
    pub(crate) fn details(&self) -> TlsDetails {
        self.session.borrow().details()
    }
}
