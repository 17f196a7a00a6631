//! The pump: core's pump loop (`portable_streams_core::pump`) over this
//! connection's sink, in a task of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use portable_streams_core::pump::PumpIo;
use portable_streams_core::{Connection, Error, Signal, Wake};
use tokio::io::AsyncWriteExt;

use super::super::transport::Sink;
use super::{Conn, State};

impl PumpIo for Conn {
    fn woken(&self) -> impl Future<Output = ()> {
        self.pump_wake.notified()
    }

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.lock().engine)
    }

    async fn send(&self, bytes: Bytes) -> Result<(), Error> {
        let Some(mut sink) = self.take_sink() else {
            return Ok(());
        };
        sink.write_all(&bytes).await?;
        self.give_back(sink, |st| st.engine.sent(bytes.len()));
        Ok(())
    }

    async fn shutdown_write(&self) -> Result<(), Error> {
        let Some(mut sink) = self.take_sink() else {
            return Ok(());
        };
        sink.shutdown().await?;
        self.give_back(sink, |st| {
            st.engine.eof_sent();
            Wake::default()
        });
        Ok(())
    }

    async fn close(&self) {
        if let Some(mut sink) = self.take_sink() {
            let _ = sink.shutdown().await;
        }
    }

    fn lost(&self, error: Option<Error>) {
        Conn::lost(self, error);
    }

    /// `close` wakes the writers as well as the pump.
    fn closing(&self) -> &Signal {
        &self.writers
    }

    async fn sleep(&self, timeout: Duration) {
        tokio::time::sleep(timeout).await;
    }
}

impl Conn {
    /// The sink, taken out across a send (gone once the connection closed).
    fn take_sink(&self) -> Option<Sink> {
        self.lock().sink.take()
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

/// Runs core's pump loop over this connection until it closes.
pub(super) async fn pump(conn: Arc<Conn>) {
    portable_streams_core::pump::drive(&*conn).await;
}
