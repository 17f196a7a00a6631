//! The pump: the task that moves the write buffer into the sink, flushes
//! what a TLS sink holds, and carries out `write_eof` and `close`.

use std::pin::pin;
use std::sync::Arc;

use bytes::Bytes;
use portable_streams_core::{Connection, Error, PumpStep, Wake};
use tokio::io::AsyncWriteExt;

use super::super::transport::Sink;
use super::Conn;

/// What the pump does next, with the sink taken for the steps that use it.
enum Step {
    Send(Bytes, Sink),
    Flush(Sink),
    ShutdownWrite(Sink),
    Close(Sink),
    Wait,
    Stop,
}

impl Conn {
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
            PumpStep::Send(chunk) => return Step::Send(chunk, sink),
            PumpStep::ShutdownWrite => return Step::ShutdownWrite(sink),
            PumpStep::Close => return Step::Close(sink),
            PumpStep::Idle if st.unflushed => {
                st.unflushed = false;
                return Step::Flush(sink);
            }
            PumpStep::Idle => Step::Wait,
            PumpStep::Stop => Step::Stop,
        };
        st.sink = Some(sink);
        step
    }

    /// Gives the sink back after a step (dropped if the connection was lost
    /// meanwhile), applying `report` to the engine first.
    fn give_back(&self, sink: Sink, report: impl FnOnce(&mut Connection) -> Wake) {
        let mut st = self.lock();
        let wake = report(&mut st.engine);
        let _ = self.wake(&mut st, wake);
        if !st.engine.is_closed() {
            st.sink = Some(sink);
        }
    }
}

async fn write_and_flush(sink: &mut Sink, chunk: &[u8]) -> std::io::Result<()> {
    sink.write_all(chunk).await?;
    sink.flush().await
}

/// Moves the write buffer into the sink until the connection closes.
pub(super) async fn pump(conn: Arc<Conn>) {
    loop {
        let notified = conn.pump_wake.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        match conn.pump_step() {
            // A sink may hold what it accepted (TLS records): each send
            // ends with a flush, a no-op for a plain socket.
            Step::Send(chunk, mut sink) => match write_and_flush(&mut sink, &chunk).await {
                Ok(()) => conn.give_back(sink, |engine| engine.sent(chunk.len())),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::Flush(mut sink) => match sink.flush().await {
                Ok(()) => conn.give_back(sink, |_| Wake::default()),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::ShutdownWrite(mut sink) => match sink.shutdown().await {
                Ok(()) => conn.give_back(sink, |engine| {
                    engine.eof_sent();
                    Wake::default()
                }),
                Err(e) => return conn.lost(Some(Error::from(e))),
            },
            Step::Close(mut sink) => {
                // The peer may be gone already; closing goes on regardless.
                // A TLS sink sends `close_notify` here, bounded by the
                // shutdown timer that `close` started.
                let _ = sink.shutdown().await;
                drop(sink);
                return conn.lost(None);
            }
            Step::Wait => notified.await,
            Step::Stop => return,
        }
    }
}
