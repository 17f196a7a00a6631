//! One task runs the pumps of the connections `open-connection` and
//! `accept` make. A pump spawned in the task of the call that made its
//! connection would keep that task alive as long as the connection, and
//! wit-bindgen gives every task that sleeps on a wake-up from Rust code a
//! stream of its own to be woken through; in one task, a thousand open
//! connections hold one such task and one stream.
//!
//! The task is spawned (wit-bindgen's `spawn_local`) by the first
//! connection that finds none ([`join`]), in the task of the call that
//! made it, and ends once it has no pumps left and no connection that
//! may still start one. A connection's pump starts when first needed,
//! often in a synchronous call (`write`, `close`), which could not start
//! a task that runs before the next call into the component: it joins
//! the task its connection joined. Should the task be torn down anyway,
//! each of its pumps goes on in a task of its own, spawned in whichever
//! task runs next (a pump keeps its state in its connection: see
//! `pump.rs`).

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use futures::stream::{FuturesUnordered, StreamExt};

/// A pump, boxed.
pub(crate) type Pump = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    /// The running host, if any.
    static HOST: RefCell<Option<Rc<Host>>> = const { RefCell::new(None) };
}

/// What the host task and the spawners share.
#[derive(Default)]
struct Host {
    /// Pumps spawned since the host last looked.
    arriving: RefCell<Vec<Pump>>,
    /// Wakes the host task for them.
    waker: RefCell<Option<Waker>>,
    /// Connections that may still start their pump here: the host waits
    /// for them even with no pump to run, since a pump started in a
    /// synchronous call (`write`, `close`) could not start a task that
    /// runs before the next call into the component.
    members: Cell<usize>,
}

impl Host {
    /// The pumps spawned since the host last looked, ready to poll.
    fn take_arrivals(&self) -> Vec<Pump> {
        self.arriving.take()
    }

    /// Queues `pump` and wakes the host task for it.
    fn run_pump(&self, pump: Pump) {
        self.arriving.borrow_mut().push(pump);
        self.wake();
    }

    /// Wakes the host task (a host not polled yet has no waker: it looks
    /// when it is).
    fn wake(&self) {
        let waker = self.waker.borrow().clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The running host, or a new one spawned in the current task.
fn host() -> Rc<Host> {
    if let Some(host) = HOST.with_borrow(Option::clone) {
        return host;
    }
    let host = Rc::new(Host::default());
    HOST.with_borrow_mut(|slot| *slot = Some(host.clone()));
    wit_bindgen::spawn_local(run(host.clone()));
    host
}

/// A connection's place in the host task until its pump starts (see
/// [`join`]); leaving it (dropped) lets the host end once nothing else
/// holds it.
pub(crate) struct Membership {
    host: Rc<Host>,
}

/// Joins the host task, spawning one in the current task if none runs:
/// called by the asynchronous calls that make connections
/// (`open-connection`, `accept`), which return as soon as the connection
/// is made, so the host never starts in a call that could be cancelled.
pub(crate) fn join() -> Membership {
    let host = host();
    host.members.set(host.members.get() + 1);
    Membership { host }
}

impl Membership {
    /// Runs `pump` in the running host task: the one the connection
    /// joined, unless that one was torn down (only one runs at a time).
    pub(crate) fn spawn(self, pump: Pump) {
        host().run_pump(pump);
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let members = self.host.members.get().saturating_sub(1);
        self.host.members.set(members);
        if members == 0 {
            // The host may end now, if it has no pump either.
            self.host.wake();
        }
    }
}

/// The host task's pumps; each goes on alone if dropped with any left.
struct Running {
    host: Rc<Host>,
    pumps: FuturesUnordered<Pump>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let left: Vec<Pump> = std::mem::take(&mut self.pumps)
            .into_iter()
            .chain(self.host.take_arrivals())
            .collect();
        // No host runs from here on (unless this one was already replaced).
        let _ = HOST.try_with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_some_and(|h| Rc::ptr_eq(h, &self.host)) {
                *slot = None;
            }
        });
        for pump in left {
            wit_bindgen::spawn_local(pump);
        }
    }
}

/// Polls every pump until none is left and no connection may start one.
async fn run(host: Rc<Host>) {
    let mut running = Running {
        host,
        pumps: FuturesUnordered::new(),
    };
    poll_fn(|cx| {
        {
            let mut waker = running.host.waker.borrow_mut();
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
        }
        loop {
            running.pumps.extend(running.host.take_arrivals());
            let polled = running.pumps.poll_next_unpin(cx);
            // A pump spawned meanwhile is polled before the host rests.
            if !running.host.arriving.borrow().is_empty() {
                continue;
            }
            match polled {
                Poll::Ready(Some(())) => {}
                Poll::Ready(None) if running.host.members.get() == 0 => {
                    return Poll::Ready(());
                }
                Poll::Ready(None) => return Poll::Pending,
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    // Finished: `Running`'s drop has nothing to move and clears `HOST`.
}
