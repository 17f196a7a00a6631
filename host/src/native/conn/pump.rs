//! The pump: the task that moves the write buffer into the sink (through
//! the TLS layer on a TLS connection), and carries out `write_eof` and
//! `close` (`close_notify` first over TLS).

use std::pin::pin;
use std::sync::Arc;

use bytes::Bytes;
use portable_streams_core::{Error, PumpStep, Wake};
use tokio::io::AsyncWriteExt;

use super::super::transport::Sink;
use super::{Conn, State};

/// What the pump does next, with the sink taken for the steps that use it.
enum Step {
    /// Send these bytes, which stand for this many of the writer's bytes.
    Send(Outgoing, usize, Sink),
    ShutdownWrite(Sink),
    /// Close, sending these bytes first (`close_notify` over TLS).
    Close(Option<Vec<u8>>, Sink),
    /// The TLS layer refused to encrypt.
    Fail(Error),
    Wait,
    Stop,
}

/// The bytes of a send.
enum Outgoing {
    /// Bytes as they are: a plain chunk, or ciphertext `write` left.
    Ready(Bytes),
    /// A chunk encrypted into the connection's ciphertext buffer, taken
    /// out for the send and put back after it.
    Sealed(Vec<u8>),
}

impl Outgoing {
    fn bytes(&self) -> &[u8] {
        match self {
            Outgoing::Ready(bytes) => bytes,
            Outgoing::Sealed(sealed) => sealed,
        }
    }
}

impl Conn {
    /// The pump's next step.
    fn pump_step(&self) -> Step {
        let mut guard = self.lock();
        let st = &mut *guard;
        // Only the pump and `start_tls` take the sink away across an
        // await: it is gone for good once the connection is closed.
        let Some(sink) = st.sink.take() else {
            return if st.engine.is_closed() {
                Step::Stop
            } else {
                Step::Wait
            };
        };
        // Ciphertext `write` left goes first.
        if let Some(unsent) = st.unsent.take() {
            return Step::Send(Outgoing::Ready(unsent.ciphertext), unsent.stands_for, sink);
        }
        let step = match st.engine.pump_step() {
            PumpStep::Send(chunk) => {
                let n = chunk.len();
                let Some(layer) = st.tls.as_mut() else {
                    return Step::Send(Outgoing::Ready(chunk), n, sink);
                };
                let mut sealed = std::mem::take(&mut st.sealed);
                sealed.clear();
                match layer.encrypt_into(&chunk, &mut sealed) {
                    Ok(()) => return Step::Send(Outgoing::Sealed(sealed), n, sink),
                    Err(error) => Step::Fail(error),
                }
            }
            PumpStep::ShutdownWrite => return Step::ShutdownWrite(sink),
            PumpStep::Close => {
                let alert = st.tls.as_mut().map(|layer| layer.close_notify());
                return Step::Close(alert, sink);
            }
            PumpStep::Idle => Step::Wait,
            PumpStep::Stop => Step::Stop,
        };
        st.sink = Some(sink);
        step
    }

    /// Gives the sink back after a step (dropped if the connection was lost
    /// meanwhile), applying `report` to the state first.
    fn give_back(&self, sink: Sink, report: impl FnOnce(&mut State) -> Wake) {
        let mut st = self.lock();
        let wake = report(&mut st);
        let _ = self.wake(&mut st, wake);
        if !st.engine.is_closed() {
            st.sink = Some(sink);
        }
    }
}

/// Moves the write buffer into the sink until the connection closes.
///
/// The writer's bytes count as sent once the sink took all that stands
/// for them (over TLS, their whole ciphertext), as asyncio's SSL
/// transport counts what is still in its outgoing buffer.
pub(super) async fn pump(conn: Arc<Conn>) {
    loop {
        let notified = conn.pump_wake.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        match conn.pump_step() {
            Step::Send(outgoing, n, mut sink) => match sink.write_all(outgoing.bytes()).await {
                Ok(()) => conn.give_back(sink, |st| {
                    if let Outgoing::Sealed(sealed) = outgoing {
                        st.sealed = sealed;
                    }
                    st.engine.sent(n)
                }),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::ShutdownWrite(mut sink) => match sink.shutdown().await {
                Ok(()) => conn.give_back(sink, |st| {
                    st.engine.eof_sent();
                    Wake::default()
                }),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::Close(alert, mut sink) => {
                // The peer may be gone already; closing goes on regardless,
                // bounded over TLS by the shutdown timer `close` started.
                if let Some(alert) = alert {
                    let _ = sink.write_all(&alert).await;
                }
                let _ = sink.shutdown().await;
                drop(sink);
                return conn.lost(None);
            }
            Step::Fail(error) => return conn.lost(Some(error)),
            Step::Wait => notified.await,
            Step::Stop => return,
        }
    }
}
