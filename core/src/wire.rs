//! What a connection's bytes are on the transport. A plain connection
//! sends and receives them as they are; a TLS one runs them through its
//! session ([`Sealed`], feature `tls`). The engine alone knows which, so a
//! backend only moves wire bytes: the TLS accounting below is written once.
//!
//! Over TLS the writer's bytes count as sent once the transport took all
//! of their ciphertext, as asyncio's SSL transport counts what its
//! outgoing buffer still holds (so `drain` and the watermarks see the
//! records not yet on the wire).

use std::time::Duration;

use bytes::Bytes;

use crate::{Error, TlsDetails};

#[cfg(feature = "tls")]
pub(crate) use sealed::Sealed;

/// Without the `tls` feature no connection carries TLS.
#[cfg(not(feature = "tls"))]
#[derive(Debug)]
pub(crate) enum Sealed {}

#[cfg(not(feature = "tls"))]
impl Sealed {
    pub(crate) fn details(&self) -> &TlsDetails {
        match *self {}
    }
    pub(crate) fn shutdown_timeout(&self) -> Duration {
        match *self {}
    }
    pub(crate) fn take_refused(&mut self) -> Option<Bytes> {
        match *self {}
    }
    pub(crate) fn has_refused(&self) -> bool {
        match *self {}
    }
    pub(crate) fn seal(&mut self, _chunk: &[u8]) -> Result<Bytes, Error> {
        match *self {}
    }
    pub(crate) fn taken(&mut self, _n: usize) -> usize {
        match *self {}
    }
    pub(crate) fn refuse(&mut self, _rest: Bytes) {
        match *self {}
    }
    pub(crate) fn open(&mut self, _data: &[u8], _plain: impl FnMut(&[u8])) -> Result<bool, Error> {
        match *self {}
    }
    pub(crate) fn goodbye(&mut self) -> Bytes {
        match *self {}
    }
}

#[cfg(feature = "tls")]
mod sealed {
    use super::*;
    use crate::tls::Layer;

    /// A connection's TLS session, and its records on their way out.
    #[derive(Debug)]
    pub(crate) struct Sealed {
        layer: Layer,
        /// `ssl_object`'s details, read once from the session.
        details: TlsDetails,
        /// Ciphertext handed to the transport that it has not taken yet.
        sending: usize,
        /// The writer's bytes that ciphertext stands for.
        stands_for: usize,
        /// Ciphertext the transport refused: it goes before anything else.
        refused: Option<Bytes>,
    }

    impl Sealed {
        /// The session `layer` under a connection.
        pub(crate) fn new(layer: Layer) -> Self {
            Self {
                details: layer.details(),
                layer,
                sending: 0,
                stands_for: 0,
                refused: None,
            }
        }

        /// The negotiated parameters.
        pub(crate) fn details(&self) -> &TlsDetails {
            &self.details
        }

        /// asyncio's `ssl_shutdown_timeout` for this connection.
        pub(crate) fn shutdown_timeout(&self) -> Duration {
            self.layer.shutdown_timeout()
        }

        /// Whether ciphertext the transport refused waits to go first.
        pub(crate) fn has_refused(&self) -> bool {
            self.refused.is_some()
        }

        /// Ciphertext the transport refused, to send first.
        pub(crate) fn take_refused(&mut self) -> Option<Bytes> {
            self.refused.take()
        }

        /// `chunk`'s ciphertext (with any record the protocol had
        /// waiting), now in the transport's hands.
        pub(crate) fn seal(&mut self, chunk: &[u8]) -> Result<Bytes, Error> {
            let ciphertext = self.layer.encrypt(chunk)?;
            self.sending = ciphertext.len();
            self.stands_for = chunk.len();
            Ok(Bytes::from(ciphertext))
        }

        /// The transport took `n` more bytes of ciphertext: the writer's
        /// bytes that are now sent (all the chunk's once its last record
        /// went, else none).
        pub(crate) fn taken(&mut self, n: usize) -> usize {
            self.sending = self.sending.saturating_sub(n);
            if self.sending == 0 {
                std::mem::take(&mut self.stands_for)
            } else {
                0
            }
        }

        /// The transport refused `rest` of the ciphertext.
        pub(crate) fn refuse(&mut self, rest: Bytes) {
            if !rest.is_empty() {
                self.refused = Some(rest);
            }
        }

        /// Received ciphertext: its plaintext to `plain`; whether the peer
        /// closed (`close_notify`). A failure loses the connection.
        pub(crate) fn open(
            &mut self,
            data: &[u8],
            plain: impl FnMut(&[u8]),
        ) -> Result<bool, Error> {
            self.layer.receive_with(data, plain)
        }

        /// The `close_notify` alert, to send before the transport ends.
        pub(crate) fn goodbye(&mut self) -> Bytes {
            Bytes::from(self.layer.close_notify())
        }
    }
}
