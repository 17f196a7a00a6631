//! Wake-ups between the tasks of one thread (a component's): a [`Signal`]
//! that waiters await and state changes notify. Runtime-free, so every
//! side that runs inside a component (the guest backend, the SDK) waits
//! the same way.
//!
//! A waiting future removes its waker when it is dropped: wit-bindgen's
//! cross-task wakers must not be woken once their task was cancelled, and
//! a waiter polled many times keeps one entry.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A notification point: [`wait`](Self::wait) returns a future that
/// resolves after the next [`notify`](Self::notify).
#[derive(Debug, Default)]
pub struct Signal {
    generation: Cell<u64>,
    next_id: Cell<u64>,
    waiters: RefCell<Vec<(u64, Waker)>>,
}

impl Signal {
    /// Wakes every current waiter.
    pub fn notify(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for (_, waker) in waiters {
            waker.wake();
        }
    }

    /// A future that resolves once [`notify`](Self::notify) is called after
    /// this call. Create it before checking the state it guards, then await
    /// it: a change in between is not missed.
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            signal: self,
            seen: self.generation.get(),
            id: None,
        }
    }

    /// Waits until `check` has an answer, asking it again after each
    /// [`notify`](Self::notify).
    ///
    /// Cancellation safe: dropping the future only unregisters its waiter.
    pub async fn until<T>(&self, mut check: impl FnMut() -> Option<T>) -> T {
        loop {
            let woken = self.wait();
            if let Some(answer) = check() {
                return answer;
            }
            woken.await;
        }
    }

    fn register(&self, id: Option<u64>, waker: &Waker) -> u64 {
        let mut waiters = self.waiters.borrow_mut();
        if let Some(id) = id
            && let Some(entry) = waiters.iter_mut().find(|(i, _)| *i == id)
        {
            entry.1.clone_from(waker);
            return id;
        }
        let id = id.unwrap_or_else(|| {
            let id = self.next_id.get();
            self.next_id.set(id.wrapping_add(1));
            id
        });
        waiters.push((id, waker.clone()));
        id
    }

    fn unregister(&self, id: u64) {
        self.waiters.borrow_mut().retain(|(i, _)| *i != id);
    }
}

/// The future of [`Signal::wait`].
#[derive(Debug)]
pub struct Wait<'a> {
    signal: &'a Signal,
    seen: u64,
    id: Option<u64>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.generation.get() != self.seen {
            if let Some(id) = self.id.take() {
                self.signal.unregister(id);
            }
            return Poll::Ready(());
        }
        let id = self.signal.register(self.id, cx.waker());
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.signal.unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn wait_resolves_after_notify_and_wakes_once() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let signal = Signal::default();
        let mut wait = pin!(signal.wait());
        assert!(poll_once(wait.as_mut(), &waker).is_pending());
        assert!(poll_once(wait.as_mut(), &waker).is_pending());
        assert_eq!(signal.waiters.borrow().len(), 1, "re-poll keeps one entry");
        signal.notify();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(poll_once(wait.as_mut(), &waker).is_ready());
    }

    #[test]
    fn notify_before_first_poll_is_not_missed() {
        let signal = Signal::default();
        let mut wait = pin!(signal.wait());
        signal.notify();
        assert!(poll_once(wait.as_mut(), Waker::noop()).is_ready());
    }

    #[test]
    fn dropped_wait_unregisters_its_waker() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let signal = Signal::default();
        {
            let mut wait = pin!(signal.wait());
            assert!(poll_once(wait.as_mut(), &waker).is_pending());
        }
        assert!(signal.waiters.borrow().is_empty());
        signal.notify();
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn until_asks_again_after_each_notify_and_unregisters_when_dropped() {
        let signal = Signal::default();
        let state = Cell::new(None);
        let mut until = pin!(signal.until(|| state.get()));
        assert!(poll_once(until.as_mut(), Waker::noop()).is_pending());
        signal.notify();
        assert!(poll_once(until.as_mut(), Waker::noop()).is_pending());
        state.set(Some(7));
        signal.notify();
        assert_eq!(poll_once(until.as_mut(), Waker::noop()), Poll::Ready(7));
        assert!(signal.waiters.borrow().is_empty());
    }
}
