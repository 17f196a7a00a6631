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
//! before that is the connection's error. A closing TLS connection is
//! bounded by the engine's shutdown timer ([`drive`]): a peer that stops
//! reading cannot hold it open (asyncio's `ssl_shutdown_timeout`).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

use crate::{Connection, Either, Error, PumpStep, Signal, race};

/// A connection's transport as its pump drives it.
pub trait PumpIo {
    /// A wake-up for the pump, registered when this is called: a wake that
    /// comes before it is awaited is not lost.
    fn woken(&self) -> impl Future<Output = ()>;

    /// Finishes sending what an earlier send left with the transport (a
    /// write started outside the pump that the transport took in part).
    /// An error is the one to lose the connection with. A backend whose
    /// refused bytes go back to the engine has nothing here.
    fn finish_sending(&self) -> impl Future<Output = Result<(), Error>> {
        async { Ok(()) }
    }

    /// Runs `f` on the connection's engine.
    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R;

    /// The engine's next step (see [`Connection::pump_step`]).
    fn step(&self) -> PumpStep {
        self.with_engine(Connection::pump_step)
    }

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

    /// A signal notified at least when `close` is called (its
    /// [`crate::Wake`] names everyone).
    fn closing(&self) -> &Signal;

    /// Waits `timeout`.
    fn sleep(&self, timeout: Duration) -> impl Future<Output = ()>;
}

/// Runs the pump until the connection is closed, within the engine's
/// shutdown timer once a TLS connection closes. After the timer the pump
/// runs once more on the lost connection: a backend may have a send to
/// cancel that only its pump can.
pub async fn drive(io: &impl PumpIo) {
    if let Either::Right(()) = race(run(io), shutdown_timer(io)).await {
        run(io).await;
    }
}

/// Once closing takes the shutdown timer, waits it out and loses the
/// connection with its timeout (unless it closed meanwhile).
async fn shutdown_timer(io: &impl PumpIo) {
    let timeout = io
        .closing()
        .until(|| io.with_engine(|engine| engine.shutdown_timer()))
        .await;
    io.sleep(timeout).await;
    if let Some(error) = io.with_engine(|engine| engine.shutdown_expired()) {
        io.lost(Some(error));
    }
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
