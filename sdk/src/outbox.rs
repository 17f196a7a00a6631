//! A [`Writer`](crate::Writer)'s outbox: written bytes wait here, under
//! core's writer rules, and a pump task moves them to the backend through
//! the writer's `write-from` stream (one copy per chunk across the
//! component boundary). What ends the writing — `close`, `write_eof`, or
//! `start_tls` — is carried out by the pump after the backend took every
//! byte, so the order of bytes and calls is the order they were made in.
//!
//! The pump runs only while there is something to move or end: it starts
//! with the first write, and ends with the stream.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use futures::future::join;
use portable_streams_core::{Connection, DrainStatus, PumpStep, ReadBuffer, Wake};

use crate::bindings::wit_stream;
use crate::{Error, wit};

/// A set of waiters woken together.
#[derive(Default)]
struct Signal {
    generation: Cell<u64>,
    wakers: RefCell<Vec<Waker>>,
}

impl Signal {
    fn notify(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    /// Resolves at the next `notify` after this call.
    fn wait(&self) -> impl Future<Output = ()> + '_ {
        let start = self.generation.get();
        poll_fn(move |cx| {
            if self.generation.get() != start {
                return Poll::Ready(());
            }
            self.wakers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
    }
}

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

/// Waits until every writer's outbox reached its backend (ending the
/// streams of idle ones): what `main!` does after `main` returns, so no
/// written byte and no `close` is left behind when the component exits.
pub async fn settle_all() {
    let running: Vec<Rc<Outbox>> = RUNNING.with_borrow_mut(|running| {
        running.retain(|outbox| outbox.strong_count() > 0);
        running.iter().filter_map(Weak::upgrade).collect()
    });
    for outbox in running {
        outbox.detach().await;
    }
}

/// What the pump ended with.
enum Ending {
    /// `write_eof`: carried out once the stream's bytes were taken.
    WriteEof,
    /// `close`: likewise.
    Close,
    /// `abort`, or the outbox was lost: nothing more to do.
    Stop,
    /// `start_tls` asked for the stream to end.
    Detach,
    /// The backend refused a chunk.
    Refused,
}

/// The outbox shared by a writer's handles and its pump.
pub(crate) struct Outbox {
    pub(crate) raw: Rc<wit::Writer>,
    engine: RefCell<Connection>,
    running: Cell<bool>,
    detach: Cell<bool>,
    /// Wakes the pump.
    pump: Signal,
    /// Wakes `drain`, `wait_closed` and `start_tls` callers.
    waiters: Signal,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An empty outbox in front of `raw`.
    pub(crate) fn new(raw: wit::Writer) -> Rc<Self> {
        let (low, high) = raw.get_write_buffer_limits();
        let mut engine = Connection::new(
            ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT)
                .unwrap_or_else(|_| unreachable!("the default limit is valid")),
        );
        let _ = engine.set_write_buffer_limits(Some(high), Some(low));
        Rc::new(Self {
            raw: Rc::new(raw),
            engine: RefCell::new(engine),
            running: Cell::new(false),
            detach: Cell::new(false),
            pump: Signal::default(),
            waiters: Signal::default(),
        })
    }

    fn wake(&self, wake: Wake) {
        if wake.pump {
            self.pump.notify();
        }
        if wake.writers {
            self.waiters.notify();
        }
    }

    /// Applies `f` (a write) to the engine, then makes sure the pump runs.
    pub(crate) fn write(
        self: &Rc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<Wake, portable_streams_core::Error>,
    ) -> Result<(), Error> {
        let wake = f(&mut self.engine.borrow_mut())?;
        self.wake(wake);
        if self.engine.borrow().writer().has_pending() && !self.running.get() {
            self.running.set(true);
            self.detach.set(false);
            register(self);
            wit_bindgen::spawn_local(pump(self.clone()));
        }
        Ok(())
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
        self.raw.abort();
        self.closed();
    }

    fn closed(&self) {
        if let Some(wake) = self.engine.borrow_mut().lost(None) {
            self.wake(wake);
        }
    }

    /// Bytes in the outbox, not yet taken by the backend.
    pub(crate) fn size(&self) -> u64 {
        self.engine.borrow().writer().size()
    }

    /// `is_closing()` as far as the outbox knows (`close` or `abort`).
    pub(crate) fn is_closing(&self) -> bool {
        self.engine.borrow().writer().is_closing()
    }

    /// The watermarks, kept equal to the backend's.
    pub(crate) fn set_limits(&self, high: Option<u64>, low: Option<u64>) {
        let wake = self.engine.borrow_mut().set_write_buffer_limits(high, low);
        if let Ok(wake) = wake {
            self.wake(wake);
        }
    }

    /// Waits while the outbox is paused (above the high watermark until
    /// back at the low one); fails as `drain` does once closing.
    pub(crate) async fn drain(&self) -> Result<(), Error> {
        loop {
            let woken = self.waiters.wait();
            let status = self.engine.borrow().drain_status();
            match status {
                DrainStatus::Ready => return Ok(()),
                DrainStatus::Failed(error) => return Err(error),
                DrainStatus::Wait => woken.await,
            }
        }
    }

    /// Waits until the pump is done: the outbox's bytes were taken and
    /// its ending carried out.
    pub(crate) async fn settled(&self) {
        while self.running.get() {
            self.waiters.wait().await;
        }
    }

    /// Ends the stream once the outbox is empty (before `start_tls`) and
    /// waits for the pump to finish.
    pub(crate) async fn detach(&self) {
        self.detach.set(true);
        self.pump.notify();
        self.settled().await;
    }
}

/// Moves the outbox into one `write-from` stream until an ending.
async fn pump(outbox: Rc<Outbox>) {
    let (mut tx, rx) = wit_stream::new::<u8>();
    let taken = outbox.raw.write_from(rx);
    let feed = async {
        let ending = loop {
            let woken = outbox.pump.wait();
            let step = outbox.engine.borrow_mut().pump_step();
            match step {
                PumpStep::Send(chunk) => {
                    let n = chunk.len();
                    if !tx.write_all(chunk.to_vec()).await.is_empty() {
                        break Ending::Refused;
                    }
                    let wake = outbox.engine.borrow_mut().sent(n);
                    outbox.wake(wake);
                }
                PumpStep::ShutdownWrite => break Ending::WriteEof,
                PumpStep::Close => break Ending::Close,
                PumpStep::Stop => break Ending::Stop,
                PumpStep::Idle if outbox.detach.get() => break Ending::Detach,
                PumpStep::Idle => woken.await,
            }
        };
        // The stream's end: the backend's `write-from` returns.
        drop(tx);
        ending
    };
    let (taken, ending) = join(taken, feed).await;
    match (ending, taken) {
        (Ending::Refused, taken) | (_, taken @ Err(_)) => {
            let error = taken.err().map_or_else(Error::connection_lost, Error::from);
            if let Some(wake) = outbox.engine.borrow_mut().lost(Some(error)) {
                outbox.wake(wake);
            }
        }
        (Ending::WriteEof, Ok(())) => {
            // Refused only when the backend's state changed meanwhile (the
            // connection was lost): `drain` reports that.
            let _ = outbox.raw.write_eof();
            outbox.engine.borrow_mut().eof_sent();
        }
        (Ending::Close, Ok(())) => {
            outbox.raw.close();
            outbox.closed();
        }
        (Ending::Stop | Ending::Detach, Ok(())) => {}
    }
    outbox.running.set(false);
    outbox.waiters.notify();
}
