//! The `writer` resource: every call is the engine's; `write` sends what
//! the socket takes at once and leaves the rest to the pump (`conn.rs`'s
//! `send_now`, `sink.rs`, `pump.rs`), `drain` and `wait-closed` sleep on
//! the connection's `writers` signal.

use std::rc::Rc;

use bytes::Bytes;
use portable_streams_core::server::Client;
use portable_streams_core::{DrainCall, Error};
use wit_bindgen::StreamReader;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conn::Conn;
use crate::settle::settled;

/// The `writer` resource.
pub struct Writer {
    conn: Rc<Conn>,
}

impl Writer {
    /// The writer half of `conn`.
    pub(crate) fn new(conn: Rc<Conn>) -> Self {
        Self { conn }
    }
}

/// A synchronous fast path's answer (`try-drain`, `try-wait-closed`) in
/// the WIT's types: none when the async call would wait.
fn fast_answer(answer: Option<Result<(), Error>>) -> Option<Result<(), wit::Error>> {
    answer.map(|result| result.map_err(Into::into))
}

impl wit::GuestWriter for Writer {
    fn write(&self, data: Vec<u8>) -> Result<(), wit::Error> {
        let wake = self.conn.state().engine.write(Bytes::from(data))?;
        self.conn.send_now(wake);
        Ok(())
    }

    async fn write_from(&self, data: StreamReader<u8>) -> Result<(), wit::Error> {
        settled(crate::stream_in::write_from(&self.conn, data))
            .await
            .map_err(Into::into)
    }

    fn writelines(&self, data: Vec<Vec<u8>>) -> Result<(), wit::Error> {
        let wake = self.conn.state().engine.writelines(data)?;
        self.conn.send_now(wake);
        Ok(())
    }

    async fn drain(&self) -> Result<(), wit::Error> {
        let mut call = DrainCall::default();
        settled(
            self.conn
                .wait_for_writers(|engine| engine.poll_drain(&mut call)),
        )
        .await
        .map_err(Into::into)
    }

    fn try_drain(&self) -> Option<Result<(), wit::Error>> {
        fast_answer(self.conn.state().engine.try_drain())
    }

    fn can_write_eof(&self) -> bool {
        self.conn.state().engine.can_write_eof()
    }

    fn write_eof(&self) -> Result<(), wit::Error> {
        let wake = self.conn.state().engine.write_eof()?;
        self.conn.wake(wake);
        Ok(())
    }

    fn close(&self) {
        self.conn.close();
    }

    fn abort(&self) {
        self.conn.abort();
    }

    fn is_closing(&self) -> bool {
        self.conn.state().engine.writer().is_closing()
    }

    async fn wait_closed(&self) -> Result<(), wit::Error> {
        let closed = self
            .conn
            .writers
            .until(|| self.conn.state().engine.closed_status());
        settled(closed).await.map_err(Into::into)
    }

    fn try_wait_closed(&self) -> Option<Result<(), wit::Error>> {
        fast_answer(self.conn.state().engine.closed_status())
    }

    async fn start_tls(&self, side: wit::TlsSide) -> Result<(), wit::Error> {
        settled(crate::start_tls::start_tls(&self.conn, side))
            .await
            .map_err(Into::into)
    }

    fn get_extra_info(&self) -> wit::ExtraInfo {
        wit::ExtraInfo {
            peername: self.conn.peer(),
            sockname: self.conn.local(),
            tls: self.conn.state().engine.tls().cloned().map(Into::into),
        }
    }

    fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), wit::Error> {
        let wake = self
            .conn
            .state()
            .engine
            .set_write_buffer_limits(high, low)?;
        self.conn.wake(wake);
        Ok(())
    }

    fn get_write_buffer_limits(&self) -> (u64, u64) {
        let limits = self.conn.state().engine.writer().limits();
        (limits.low, limits.high)
    }

    fn write_buffer_size(&self) -> u64 {
        self.conn.state().engine.writer().size()
    }
}

impl Drop for Writer {
    /// asyncio's `StreamWriter.__del__`: an unclosed writer is closed
    /// (buffered data is still flushed).
    fn drop(&mut self) {
        self.conn.close();
    }
}
