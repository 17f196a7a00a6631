//! The writer's calls: `write` sends what the socket takes at once and
//! leaves the rest to the pump; `drain`, `write_eof`, `close`, `abort`,
//! the watermarks.

use std::sync::MutexGuard;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use portable_streams_core::server::Client;
use portable_streams_core::{DrainCall, Error, Wake};

use super::super::transport::Sink;
use super::{Conn, State};

/// Writes as much of `bytes` as the sink takes without waiting; returns
/// how much it took. On `Pending` the pump polls the socket again with
/// its own waker.
fn write_now(sink: &mut Sink, bytes: &[u8]) -> Result<usize, Error> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut taken = 0;
    while taken < bytes.len() {
        match sink.as_mut().poll_write(&mut cx, &bytes[taken..]) {
            Poll::Ready(Ok(0)) | Poll::Pending => break,
            Poll::Ready(Ok(n)) => taken += n,
            Poll::Ready(Err(e)) => return Err(Error::from(e)),
        }
    }
    Ok(taken)
}

impl Conn {
    /// `write(data)`: queue, then send what the socket takes at once.
    pub(crate) fn write(&self, data: Bytes) -> Result<(), Error> {
        let mut st = self.lock();
        // `send_now` wakes the pump for whatever it leaves.
        let _ = st.engine.write(data)?;
        self.send_now(st);
        Ok(())
    }

    /// `write(data)` for bytes only borrowed (a `write-from` stream's chunk
    /// in the component's memory): with nothing queued before them they go
    /// to the socket straight from there, and only what it refuses is
    /// copied into the buffer.
    pub(crate) fn write_through(&self, data: &[u8]) -> Result<(), Error> {
        let mut guard = self.lock();
        let State { engine, sink, .. } = &mut *guard;
        let sent = engine.write_through(data, sink.as_mut(), write_now)?;
        self.sent_now(guard, sent);
        Ok(())
    }

    /// `writelines(data)`.
    pub(crate) fn writelines(&self, data: Vec<Vec<u8>>) -> Result<(), Error> {
        let mut st = self.lock();
        let _ = st.engine.writelines(data)?;
        self.send_now(st);
        Ok(())
    }

    /// The engine's send at once, while no send is in flight (the sink is
    /// here): what the socket refuses goes back to the engine.
    fn send_now(&self, mut guard: MutexGuard<'_, State>) {
        let State { engine, sink, .. } = &mut *guard;
        let sent = engine.send_now_keeping_nothing(sink.as_mut(), write_now);
        self.sent_now(guard, sent);
    }

    /// Carries out what a send at once asked for: wakes, or the loss.
    fn sent_now(&self, guard: MutexGuard<'_, State>, sent: Result<Wake, Error>) {
        match sent {
            Ok(wake) => self.apply(guard, wake),
            Err(error) => {
                drop(guard);
                self.lost(Some(error));
            }
        }
    }

    /// `drain()`: waits while writing is paused.
    ///
    /// Cancellation safe: nothing is queued or taken by waiting.
    pub(crate) async fn drain(&self) -> Result<(), Error> {
        let mut call = DrainCall::default();
        self.wait_for_writers(|engine| engine.poll_drain(&mut call))
            .await
    }

    /// `try_drain()`: `drain`'s answer when it needs no wait.
    pub(crate) fn try_drain(&self) -> Option<Result<(), Error>> {
        self.lock().engine.try_drain()
    }

    /// `write_eof()`: the engine's rule (refused over TLS).
    pub(crate) fn write_eof(&self) -> Result<(), Error> {
        let mut st = self.lock();
        let wake = st.engine.write_eof()?;
        self.apply(st, wake);
        Ok(())
    }

    /// `is_closing()`.
    pub(crate) fn is_closing(&self) -> bool {
        self.lock().engine.writer().is_closing()
    }

    /// `wait_closed()`: waits until the connection is closed.
    ///
    /// Cancellation safe.
    pub(crate) async fn wait_closed(&self) -> Result<(), Error> {
        self.writers.until(|| self.try_wait_closed()).await
    }

    /// `try_wait_closed()`: `wait_closed`'s answer once closed, else `None`.
    pub(crate) fn try_wait_closed(&self) -> Option<Result<(), Error>> {
        self.lock().engine.closed_status()
    }

    /// `set_write_buffer_limits(high, low)`.
    pub(crate) fn set_write_buffer_limits(
        &self,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Result<(), Error> {
        let mut st = self.lock();
        let wake = st.engine.set_write_buffer_limits(high, low)?;
        self.apply(st, wake);
        Ok(())
    }

    /// `get_write_buffer_limits()`: `(low, high)`.
    pub(crate) fn write_buffer_limits(&self) -> (u64, u64) {
        let limits = self.lock().engine.writer().limits();
        (limits.low, limits.high)
    }

    /// `get_write_buffer_size()`.
    pub(crate) fn write_buffer_size(&self) -> u64 {
        self.lock().engine.writer().size()
    }
}

/// A connection as its server sees it, and `close()`, `abort()` and
/// whether it is closed for its writer.
impl Client for Conn {
    /// `close()`. With nothing left to send on a plain transport and no
    /// pump running, the transport is closed right here (a socket's
    /// shutdown does not wait): no task is started just to close.
    fn close(&self) {
        let mut st = self.lock();
        let wake = st.engine.close();
        let at_once = st.pump.is_none() && st.engine.closes_at_once();
        let sink = if at_once { st.sink.take() } else { None };
        let Some(mut sink) = sink else {
            return self.apply(st, wake);
        };
        let _ = self.wake(&mut st, wake);
        drop(st);
        let mut cx = Context::from_waker(Waker::noop());
        match sink.as_mut().poll_shutdown(&mut cx) {
            // The pump finishes what could not be done at once.
            Poll::Pending => {
                self.lock().sink = Some(sink);
                self.wake_pump();
            }
            // As the pump: closing goes on whether or not the peer is there.
            Poll::Ready(_) => {
                drop(sink);
                self.lost(None);
            }
        }
    }

    /// `abort()`: close now, discarding what is buffered.
    fn abort(&self) {
        self.lost(None);
    }

    /// Whether the connection is fully closed.
    fn is_closed(&self) -> bool {
        self.lock().engine.is_closed()
    }
}
