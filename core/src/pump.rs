//! The pump's loop, written once for every backend: the one task per
//! connection that carries out the engine's [`PumpStep`]s (send, shut the
//! write half down, close, fail) over a transport's byte moves, which each
//! backend supplies as a [`PumpIo`].
//!
//! Closing ends the same way on every backend: once everything written
//! was sent, the goodbye (a TLS connection's `close_notify`) is sent and
//! the transport closed whether or not the peer is still there, and the
//! connection ends as a clean close (asyncio's `_call_connection_lost(None)`
//! once its buffer is empty). A failure while flushing what was written
//! before that is the connection's error.

use std::future::Future;

use bytes::Bytes;

use crate::{Error, PumpStep};

/// A connection's transport as its pump drives it.
pub trait PumpIo {
    /// A wake-up for the pump, registered when this is called: a wake that
    /// comes before it is awaited is not lost.
    fn woken(&self) -> impl Future<Output = ()>;

    /// Finishes sending what an earlier send left with the transport (a
    /// write started outside the pump that the transport took in part).
    /// An error is the one to lose the connection with.
    fn finish_sending(&self) -> impl Future<Output = Result<(), Error>>;

    /// The engine's next step (see [`crate::Connection::pump_step`]).
    fn step(&self) -> PumpStep;

    /// Sends `bytes`, reporting to the engine what the transport takes
    /// ([`crate::Connection::sent`]); abandoned once the connection is
    /// closed. An error is the one to lose the connection with.
    fn send(&self, bytes: Bytes) -> impl Future<Output = Result<(), Error>>;

    /// Shuts the write half down and reports it to the engine
    /// ([`crate::Connection::eof_sent`]).
    fn shutdown_write(&self) -> impl Future<Output = Result<(), Error>>;

    /// Ends the transport for `close`; how that went is not the
    /// connection's concern any more.
    fn close(&self) -> impl Future<Output = ()>;

    /// The engine's loss (see [`crate::Connection::lost`]): releases the
    /// transport and wakes everyone.
    fn lost(&self, error: Option<Error>);
}

/// Runs the pump until the connection is closed.
pub async fn run(io: &impl PumpIo) {
    loop {
        let woken = io.woken();
        if let Err(error) = io.finish_sending().await {
            return io.lost(Some(error));
        }
        match io.step() {
            PumpStep::Send(bytes) => {
                if let Err(error) = io.send(bytes).await {
                    return io.lost(Some(error));
                }
            }
            PumpStep::ShutdownWrite => {
                if let Err(error) = io.shutdown_write().await {
                    return io.lost(Some(error));
                }
            }
            PumpStep::Close { goodbye } => {
                if let Some(goodbye) = goodbye {
                    let _ = io.send(goodbye).await;
                }
                io.close().await;
                return io.lost(None);
            }
            PumpStep::Fail(error) => return io.lost(Some(error)),
            PumpStep::Idle => woken.await,
            PumpStep::Stop => return,
        }
    }
}

#[cfg(test)]
#[path = "pump_tests.rs"]
mod tests;
