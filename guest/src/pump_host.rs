//! One task runs the pumps of the connections `open-connection` and
//! `accept` make. A pump spawned in the task of the call that made its
//! connection would keep that task alive as long as the connection, and
//! wit-bindgen gives every task that sleeps on a wake-up from Rust code a
//! stream of its own to be woken through; in one task, a thousand open
//! connections hold one such task and one stream.
//!
//! The task is spawned (wit-bindgen's `spawn_local`) by the first pump
//! that finds none, in the current task, and ends once it has no pumps
//! left. Only calls that return as soon as their connection is made
//! spawn here, so the task never runs inside a call that could be
//! cancelled. Should it be torn down anyway, each of its pumps goes on in
//! a task of its own, spawned in whichever task runs next.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use futures::stream::{FuturesUnordered, StreamExt};

use crate::conn::Conn;

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
    arriving: RefCell<Vec<Arrival>>,
    /// Wakes the host task for them.
    waker: RefCell<Option<Waker>>,
}

impl Host {
    /// The pumps spawned since the host last looked, ready to poll.
    fn take_arrivals(&self) -> impl Iterator<Item = Pump> {
        self.arriving.take().into_iter().map(Arrival::into_pump)
    }
}

/// A pump the host has not polled yet.
struct Arrival {
    pump: Pump,
    /// Its connection, whose pump signal was given the host's waker
    /// under this key instead of waking the host at once.
    bell: Option<(Rc<Conn>, u64)>,
}

impl Arrival {
    /// The pump, its connection's signal no longer holding the host's
    /// waker for it.
    fn into_pump(self) -> Pump {
        if let Some((conn, key)) = self.bell {
            conn.pump.unregister(key);
        }
        self.pump
    }
}

/// Runs `pump` in the host task, starting one if none runs. `idle` is
/// its connection when the pump has nothing to do until the connection's
/// pump signal is notified (a plain connection just made): a running host
/// is then not woken now, but when that signal is (one cross-task wake-up
/// less per connection).
pub(crate) fn spawn(pump: Pump, idle: Option<&Rc<Conn>>) {
    let host = HOST.with_borrow(Option::clone);
    let Some(host) = host else {
        let host = Rc::new(Host::default());
        host.arriving
            .borrow_mut()
            .push(Arrival { pump, bell: None });
        HOST.with_borrow_mut(|slot| *slot = Some(host.clone()));
        wit_bindgen::spawn_local(run(host));
        return;
    };
    let waker = host.waker.borrow().clone();
    let bell = match (idle, &waker) {
        (Some(conn), Some(waker)) => {
            let mut key = None;
            conn.pump.register(&mut key, waker);
            key.map(|key| (conn.clone(), key))
        }
        _ => None,
    };
    let ring_now = bell.is_none();
    host.arriving.borrow_mut().push(Arrival { pump, bell });
    // A host not polled yet has no waker: it takes its arrivals when it is.
    if ring_now && let Some(waker) = waker {
        waker.wake();
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

/// Polls every pump until none is left.
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
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    // Finished: `Running`'s drop has nothing to move and clears `HOST`.
}
