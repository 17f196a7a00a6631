//! A sans-I/O TLS session, for transports that move the ciphertext
//! themselves: feed it what the peer sent, send what it hands back.
//!
//! Writes that the protocol asks for while reading (a TLS 1.3 key update's
//! answer) wait in the session until the next [`Session::encrypt`] or
//! [`Session::take_outgoing`]: the RFC only asks for them before the next
//! application data, so no reader ever has to write.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

use super::{details, handshake_error};
use crate::{Error, TlsDetails};

/// One connection's TLS state.
pub struct Session {
    conn: Connection,
}

/// What received ciphertext turned into.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// The plaintext it carried.
    pub plaintext: Vec<u8>,
    /// The peer sent `close_notify`: no more plaintext will come (EOF).
    pub peer_closed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("handshaking", &self.conn.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The client side, verifying the server as `name`.
    pub fn client(config: Arc<ClientConfig>, name: ServerName<'static>) -> Result<Self, Error> {
        let conn = ClientConnection::new(config, name).map_err(|e| handshake_error(&e))?;
        Ok(Self::new(conn.into()))
    }

    /// The server side.
    pub fn server(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let conn = ServerConnection::new(config).map_err(|e| handshake_error(&e))?;
        Ok(Self::new(conn.into()))
    }

    fn new(mut conn: Connection) -> Self {
        // Every encrypted byte is taken out at once (`encrypt` returns it),
        // so rustls's own send limit would only refuse plaintext.
        conn.set_buffer_limit(None);
        Self { conn }
    }

    /// Whether the handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether ciphertext is waiting to be sent.
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// The ciphertext waiting to be sent (handshake messages, alerts,
    /// encrypted data), taken out.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.take_outgoing_into(&mut out);
        out
    }

    /// As [`take_outgoing`](Self::take_outgoing), appending to `out` (a
    /// buffer the caller reuses).
    pub fn take_outgoing_into(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            // Writing into a Vec cannot fail.
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    /// Takes in ciphertext the peer sent; returns the plaintext it carried
    /// and whether the peer closed. A protocol or certificate failure is
    /// the `tls` error naming it (an alert for the peer then waits in
    /// [`Session::take_outgoing`]).
    pub fn receive(&mut self, data: &[u8]) -> Result<Received, Error> {
        let mut plaintext = Vec::new();
        let peer_closed = self.receive_with(data, |chunk| plaintext.extend_from_slice(chunk))?;
        Ok(Received {
            plaintext,
            peer_closed,
        })
    }

    /// As [`receive`](Self::receive), handing each piece of plaintext to
    /// `deliver` straight from the session's buffer (no copy of its own);
    /// returns whether the peer closed.
    pub fn receive_with(
        &mut self,
        mut data: &[u8],
        mut deliver: impl FnMut(&[u8]),
    ) -> Result<bool, Error> {
        let mut peer_closed = false;
        while !data.is_empty() {
            self.conn
                .read_tls(&mut data)
                .map_err(|e| Error::Tls(format!("TLS record rejected: {e}")))?;
            self.conn
                .process_new_packets()
                .map_err(|e| handshake_error(&e))?;
            peer_closed |= self.deliver_plaintext(&mut deliver);
        }
        Ok(peer_closed)
    }

    /// Hands the decrypted plaintext to `deliver`; true once the peer
    /// closed.
    fn deliver_plaintext(&mut self, deliver: &mut impl FnMut(&[u8])) -> bool {
        let mut reader = self.conn.reader();
        loop {
            match reader.fill_buf() {
                Ok([]) => return true,
                Ok(chunk) => {
                    deliver(chunk);
                    let n = chunk.len();
                    reader.consume(n);
                }
                // WouldBlock: nothing more for now. UnexpectedEof cannot
                // happen: the transport's EOF is never fed in.
                Err(_) => return false,
            }
        }
    }

    /// Encrypts `plaintext`; returns the ciphertext to send (with any
    /// record the protocol had waiting).
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.encrypt_into(plaintext, &mut out)?;
        Ok(out)
    }

    /// As [`encrypt`](Self::encrypt), appending the ciphertext to `out` (a
    /// buffer the caller reuses, so bulk sending allocates nothing).
    pub fn encrypt_into(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.conn
            .writer()
            .write_all(plaintext)
            .map_err(|e: io::Error| Error::Tls(format!("TLS write failed: {e}")))?;
        self.take_outgoing_into(out);
        Ok(())
    }

    /// Ends the session: the `close_notify` alert to send.
    pub fn close_notify(&mut self) -> Vec<u8> {
        self.conn.send_close_notify();
        self.take_outgoing()
    }

    /// The negotiated parameters (meaningful once the handshake is done).
    pub fn details(&self) -> TlsDetails {
        details(&self.conn)
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
pub(crate) mod tests;
