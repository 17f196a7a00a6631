//! A [`Writer`](crate::Writer)'s outbox: written bytes wait here, under
//! core's writer rules, and a pump task moves them to the backend through
//! the writer's `write-from` stream (one copy per chunk across the
//! component boundary). What ends the writing — `close`, `write_eof`, or
//! `start_tls` — is carried out by the pump after the backend took every
//! byte, so the order of bytes and calls is the order they were made in.
//!
//! The stream pays off for bulk data; for small writes a `write` call is
//! cheaper than keeping a stream per connection. So a write smaller than
//! [`STREAM_FROM`] made while no pump runs is a plain `write` call (nothing
//! can overtake it then), and a larger one starts the pump, which ends its
//! stream as soon as the outbox is empty: an idle connection holds no
//! stream.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use bytes::Bytes;
use futures::future::join;
use portable_streams_core::{Connection, DrainCall, PumpStep, ReadBuffer, Signal, Wake, front};

use crate::bindings::wit_stream;
use crate::{Error, wit};

thread_local! {
    /// The outboxes whose pump runs, for [`settle_all`].
    static RUNNING: RefCell<Vec<Weak<Outbox>>> = const { RefCell::new(Vec::new()) };
}

/// Registers `outbox` for [`settle_all`], pruning the ones gone whenever
/// the list doubled since the last pruning (amortized constant time, and
/// no growth on a long-running server).
fn register(outbox: &Rc<Outbox>) {
    RUNNING.with_borrow_mut(|running| {
        if running.len() >= 64 && running.len().is_power_of_two() {
            running.retain(|outbox| outbox.strong_count() > 0);
        }
        running.push(Rc::downgrade(outbox));
    });
}

/// Waits until every writer's outbox reached its backend: what `main!` does after `main` returns, so no
/// written byte and no `close` is left behind when the component exits.
pub async fn settle_all() {
    let running: Vec<Rc<Outbox>> = RUNNING.with_borrow_mut(|running| {
        running.retain(|outbox| outbox.strong_count() > 0);
        running.iter().filter_map(Weak::upgrade).collect()
    });
    for outbox in running {
        outbox.settled().await;
    }
}

/// The smallest write that goes through the stream when no pump runs.
pub(crate) const STREAM_FROM: usize = 16 * 1024;

/// The outbox shared by a writer's handles and its pump.
pub(crate) struct Outbox {
    pub(crate) raw: Rc<wit::Writer>,
    engine: RefCell<Connection>,
    running: Cell<bool>,
    /// `close` or `abort` was called: the backend has it, or the pump
    /// carries it (a writer dropped after `close` calls no more).
    close_asked: Cell<bool>,
    /// Wakes `drain`, `wait_closed` and `start_tls` callers.
    waiters: Signal,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An empty outbox in front of `raw`, its watermarks the backend's.
    pub(crate) fn new(raw: wit::Writer) -> Rc<Self> {
        let (low, high) = raw.get_write_buffer_limits();
        let outbox = Self::fresh(raw);
        let _ = outbox
            .engine
            .borrow_mut()
            .set_write_buffer_limits(Some(high), Some(low));
        outbox
    }

    /// An empty outbox in front of `raw`, a connection just opened or
    /// accepted: its watermarks are asyncio's defaults on every backend,
    /// so they are not asked for (one call less per connection).
    pub(crate) fn fresh(raw: wit::Writer) -> Rc<Self> {
        let engine = Connection::new(
            ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT)
                .unwrap_or_else(|_| unreachable!("the default limit is valid")),
        );
        Rc::new(Self {
            raw: Rc::new(raw),
            engine: RefCell::new(engine),
            running: Cell::new(false),
            close_asked: Cell::new(false),
            waiters: Signal::default(),
        })
    }

    /// Wakes the waiters `wake` names (the pump never waits: it runs
    /// while there is something to move, and is started by `queue`).
    fn wake(&self, wake: Wake) {
        if wake.writers {
            self.waiters.notify();
        }
    }

    /// `write(data)`: a plain `write` call when small and no pump runs,
    /// else through the outbox and its stream.
    pub(crate) fn write(self: &Rc<Self>, data: &[u8]) -> Result<(), Error> {
        if !self.running.get() && data.len() < STREAM_FROM {
            return Ok(self.raw.write(data)?);
        }
        self.queue(|engine| engine.write(Bytes::copy_from_slice(data)))
    }

    /// `writelines(lines)`, as [`write`](Self::write) for their total.
    pub(crate) fn writelines(self: &Rc<Self>, lines: Vec<&[u8]>) -> Result<(), Error> {
        let total: usize = lines.iter().map(|line| line.len()).sum();
        if !self.running.get() && total < STREAM_FROM {
            let lines: Vec<Vec<u8>> = lines.into_iter().map(<[u8]>::to_vec).collect();
            return Ok(self.raw.writelines(&lines)?);
        }
        self.queue(|engine| engine.writelines(lines.into_iter().map(Bytes::copy_from_slice)))
    }

    /// Applies `f` (a write) to the engine, then makes sure the pump runs.
    fn queue(
        self: &Rc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<Wake, portable_streams_core::Error>,
    ) -> Result<(), Error> {
        let wake = f(&mut self.engine.borrow_mut())?;
        self.wake(wake);
        self.start_pump_if_pending();
        Ok(())
    }

    /// Starts the pump for bytes in the outbox, unless it runs.
    fn start_pump_if_pending(self: &Rc<Self>) {
        if self.engine.borrow().writer().has_pending() && !self.running.get() {
            self.running.set(true);
            register(self);
            wit_bindgen::spawn_local(pump(self.clone()));
        }
    }

    /// `write_eof()`: after the outbox's bytes, through the pump when it
    /// runs, else at once.
    pub(crate) fn write_eof(&self) -> Result<(), Error> {
        if !self.raw.can_write_eof() || !self.running.get() {
            // The backend's rule and message (TLS has none), or nothing
            // left to move first.
            self.raw.write_eof()?;
            let mut engine = self.engine.borrow_mut();
            if engine.write_eof().is_ok() {
                engine.eof_sent();
            }
            return Ok(());
        }
        let wake = self.engine.borrow_mut().write_eof()?;
        self.wake(wake);
        Ok(())
    }

    /// `close()`: after the outbox's bytes, through the pump when it runs.
    pub(crate) fn close(&self) {
        // Already closing (a `close` or `abort` before, or the writer's
        // drop after `close`): the backend has it, or the pump carries it.
        if self.close_asked.replace(true) {
            return;
        }
        let wake = self.engine.borrow_mut().close();
        if self.running.get() {
            self.wake(wake);
        } else {
            self.raw.close();
            self.closed();
        }
    }

    /// `abort()`: the outbox is discarded with the connection.
    pub(crate) fn abort(&self) {
        self.close_asked.set(true);
        self.raw.abort();
        self.closed();
    }

    fn closed(&self) {
        if let Some(wake) = self.engine.borrow_mut().lost(None) {
            self.wake(wake);
        }
    }

    /// `get_write_buffer_size()`: the outbox's bytes plus the backend's
    /// unsent ones.
    pub(crate) fn size(&self) -> u64 {
        front::write_buffer_size(&self.engine.borrow(), self.raw.write_buffer_size())
    }

    /// `is_closing()`: the outbox's `close` or `abort`, or the backend's.
    pub(crate) fn is_closing(&self) -> bool {
        front::is_closing(&self.engine.borrow(), || self.raw.is_closing())
    }

    /// The watermarks, kept equal to the backend's.
    pub(crate) fn set_limits(&self, high: Option<u64>, low: Option<u64>) {
        let wake = self.engine.borrow_mut().set_write_buffer_limits(high, low);
        if let Ok(wake) = wake {
            self.wake(wake);
        }
    }

    /// `drain` as far as the outbox goes: core's rule over the outbox
    /// (waits while paused). Returns whether the backend must be asked
    /// too: not when the writer's own `close` or `abort` ended a drain
    /// that waited here (asyncio's waiting drain returns then).
    pub(crate) async fn drain(&self) -> Result<bool, Error> {
        let mut call = DrainCall::default();
        self.waiters
            .until(|| self.engine.borrow().poll_drain(&mut call))
            .await?;
        Ok(front::drain_asks_backend(&self.engine.borrow(), &call))
    }

    /// Waits until the pump is done: the outbox's bytes were taken and
    /// its ending carried out (before `start_tls`, `wait_closed`, and at
    /// exit).
    pub(crate) async fn settled(&self) {
        self.waiters
            .until(|| (!self.running.get()).then_some(()))
            .await
    }
}

/// Moves the outbox into one `write-from` stream until it is empty, then
/// ends the stream and carries out what the engine asks next (`close`,
/// `write_eof`); restarts itself for bytes written meanwhile.
async fn pump(outbox: Rc<Outbox>) {
    let (mut tx, rx) = wit_stream::new::<u8>();
    let taken = outbox.raw.write_from(rx);
    let feed = async {
        let mut refused = false;
        loop {
            let step = outbox.engine.borrow_mut().pump_step();
            // Whatever else the engine asks waits for the stream's end.
            let PumpStep::Send(chunk) = step else {
                break;
            };
            let n = chunk.len();
            // The outbox's own copy of a write is handed over whole, not
            // copied again.
            if !tx.write_all(Vec::from(chunk)).await.is_empty() {
                refused = true;
                break;
            }
            let wake = outbox.engine.borrow_mut().sent(n);
            outbox.wake(wake);
        }
        // The stream's end: the backend's `write-from` returns.
        drop(tx);
        refused
    };
    let (taken, refused) = join(taken, feed).await;
    if refused || taken.is_err() {
        let error = taken.err().map_or_else(Error::connection_lost, Error::from);
        if let Some(wake) = outbox.engine.borrow_mut().lost(Some(error)) {
            outbox.wake(wake);
        }
    } else {
        // Every byte is in the backend: what was asked meanwhile comes now.
        let step = outbox.engine.borrow_mut().pump_step();
        match step {
            PumpStep::Send(chunk) => outbox.engine.borrow_mut().requeue_unsent(chunk),
            PumpStep::ShutdownWrite => {
                // Refused only when the connection was lost meanwhile:
                // `drain` reports that.
                let _ = outbox.raw.write_eof();
                outbox.engine.borrow_mut().eof_sent();
            }
            // The outbox's engine carries no TLS: the backend's does.
            PumpStep::Close { .. } => {
                outbox.raw.close();
                outbox.closed();
            }
            PumpStep::Fail(_) | PumpStep::Idle | PumpStep::Stop => {}
        }
    }
    outbox.running.set(false);
    outbox.waiters.notify();
    outbox.start_pump_if_pending();
}
