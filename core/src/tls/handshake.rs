//! The TLS handshake over any transport, once for every backend: what is
//! sent and received when, its bound, and its errors. A backend supplies
//! its byte moves through [`HandshakeIo`].

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use super::{Layer, Received, Side, handshake_timed_out};
use crate::Error;

/// The byte moves a handshake needs from a transport.
pub trait HandshakeIo {
    /// Sends all of `flight`; an error when the peer is gone.
    fn send(&mut self, flight: Vec<u8>) -> impl Future<Output = Result<(), Error>>;

    /// What arrived next; empty at EOF.
    fn receive(&mut self) -> impl Future<Output = Result<Vec<u8>, Error>>;
}

/// The error of a handshake whose peer closed the connection.
pub fn peer_left() -> Error {
    Error::Tls("TLS handshake failed: the peer closed the connection".into())
}

/// How a transport failing under a handshake is reported: the socket's
/// error keeps its own case (a reset is `connection-reset`), with the
/// handshake named; a peer that closed (`None`) is the handshake's
/// failure ([`peer_left`]).
pub fn transport_failed(error: Option<Error>) -> Error {
    match error {
        Some(error) => error.context("TLS handshake"),
        None => peer_left(),
    }
}

/// Runs `side`'s handshake over `io`, bounded by its handshake timeout
/// (`sleep` waits that many nanoseconds): the established [`Layer`], and
/// any plaintext (or the peer's `close_notify`) that came with the
/// handshake's last flight. A rejected peer is told why (its alert is
/// sent, as far as it listens) before the `tls` error names the cause.
///
/// Cancellation: dropping the future abandons the handshake; the
/// transport is then half-way into TLS and good for nothing else.
pub async fn handshake<I, S, SF>(
    io: &mut I,
    side: &Side,
    sleep: S,
) -> Result<(Layer, Received), Error>
where
    I: HandshakeIo,
    S: FnOnce(u64) -> SF,
    SF: Future<Output = ()>,
{
    let timeouts = side.timeouts();
    let mut session = side.session()?;
    let mut early = Received::default();
    let nanos = u64::try_from(timeouts.handshake.as_nanos()).unwrap_or(u64::MAX);
    {
        let mut shaking = pin!(exchange(io, &mut session, &mut early));
        let mut expired = pin!(sleep(nanos));
        poll_fn(|cx| {
            if let Poll::Ready(done) = shaking.as_mut().poll(cx) {
                return Poll::Ready(done);
            }
            expired
                .as_mut()
                .poll(cx)
                .map(|()| Err(handshake_timed_out(timeouts.handshake)))
        })
        .await?;
    }
    Ok((Layer::new(session, timeouts.shutdown), early))
}

/// Sends what the session has to send and receives what it needs until
/// the handshake is done and its last flight sent.
async fn exchange<I: HandshakeIo>(
    io: &mut I,
    session: &mut super::Session,
    early: &mut Received,
) -> Result<(), Error> {
    loop {
        if session.wants_write() {
            io.send(session.take_outgoing()).await?;
        }
        if !session.is_handshaking() {
            return Ok(());
        }
        let data = io.receive().await?;
        if data.is_empty() {
            return Err(peer_left());
        }
        match session.receive(&data) {
            Ok(received) => {
                early.plaintext.extend(received.plaintext);
                early.peer_closed |= received.peer_closed;
            }
            Err(error) => {
                let alert = session.take_outgoing();
                let _ = io.send(alert).await;
                return Err(error);
            }
        }
    }
}
