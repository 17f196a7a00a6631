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
    /// Send these wire bytes (over TLS, records).
    Send(Bytes, Sink),
    ShutdownWrite(Sink),
    /// Close, sending these bytes first (`close_notify` over TLS).
    Close(Option<Bytes>, Sink),
    /// The TLS layer refused to encrypt.
    Fail(Error),
    Wait,
    Stop,
}

impl Conn {
    /// The pump's next step: the engine's, with the sink taken out for it.
    fn pump_step(&self) -> Step {
        let mut st = self.lock();
        // Only the pump and `start_tls` take the sink away across an
        // await: it is gone for good once the connection is closed.
        let Some(sink) = st.sink.take() else {
            return if st.engine.is_closed() {
                Step::Stop
            } else {
                Step::Wait
            };
        };
        let step = match st.engine.pump_step() {
            PumpStep::Send(bytes) => return Step::Send(bytes, sink),
            PumpStep::ShutdownWrite => return Step::ShutdownWrite(sink),
            PumpStep::Close { goodbye } => return Step::Close(goodbye, sink),
            PumpStep::Fail(error) => Step::Fail(error),
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

/// Moves the write buffer into the sink until the connection closes
/// (over TLS the engine hands out records, and counts the writer's bytes
/// as sent once all of their ciphertext was).
pub(super) async fn pump(conn: Arc<Conn>) {
    loop {
        let notified = conn.pump_wake.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        match conn.pump_step() {
            Step::Send(bytes, mut sink) => match sink.write_all(&bytes).await {
                Ok(()) => conn.give_back(sink, |st| st.engine.sent(bytes.len())),
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
