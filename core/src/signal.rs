//! Wake-ups between tasks: a [`Signal`] that waiters await and state
//! changes notify. Runtime-free and thread-safe, so every side waits the
//! same way: the guest backend and the SDK inside a component, native on
//! tokio's threads.
//!
//! A waiting future removes its waker when it is dropped: wit-bindgen's
//! cross-task wakers must not be woken once their task was cancelled, and
//! a waiter polled many times keeps one entry.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// A notification point: [`wait`](Self::wait) returns a future that
/// resolves after the next [`notify`](Self::notify).
#[derive(Debug, Default)]
pub struct Signal {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// How many times [`Signal::notify`] was called.
    generation: u64,
    next_id: u64,
    waiters: Vec<(u64, Waker)>,
}

impl Signal {
    /// Wakes every current waiter.
    pub fn notify(&self) {
        let waiters = {
            let mut inner = self.lock();
            inner.generation = inner.generation.wrapping_add(1);
            std::mem::take(&mut inner.waiters)
        };
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
            seen: self.lock().generation,
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

    /// For a poll function that checks its state under a lock the
    /// notifier holds too: registers `waker` for the next
    /// [`notify`](Self::notify) under the key `id` (a new one if `None`),
    /// replacing the waker kept for it. A waiter that ends without being
    /// woken must [`unregister`](Self::unregister) its key.
    pub fn register(&self, id: &mut Option<u64>, waker: &Waker) {
        *id = Some(self.lock().register(*id, waker));
    }

    /// How many wakers are kept (for tests that no waiter leaks one).
    pub fn waiting(&self) -> usize {
        self.lock().waiters.len()
    }

    /// Removes the waker kept under `id`, if it is still there.
    pub fn unregister(&self, id: u64) {
        self.lock().waiters.retain(|(i, _)| *i != id);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing in `Inner` is left half updated by a panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn register(&mut self, id: Option<u64>, waker: &Waker) -> u64 {
        if let Some(id) = id
            && let Some(entry) = self.waiters.iter_mut().find(|(i, _)| *i == id)
        {
            entry.1.clone_from(waker);
            return id;
        }
        let id = id.unwrap_or_else(|| {
            let id = self.next_id;
            self.next_id = id.wrapping_add(1);
            id
        });
        self.waiters.push((id, waker.clone()));
        id
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
        let this = &mut *self;
        // The generation is compared and the waker kept under one lock,
        // so a `notify` from another thread comes before (ready) or after
        // (woken), never in between.
        let mut inner = this.signal.lock();
        if inner.generation != this.seen {
            if let Some(id) = this.id.take() {
                inner.waiters.retain(|(i, _)| *i != id);
            }
            return Poll::Ready(());
        }
        this.id = Some(inner.register(this.id, cx.waker()));
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
    use std::cell::Cell;
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
        assert_eq!(signal.lock().waiters.len(), 1, "re-poll keeps one entry");
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
        assert!(signal.lock().waiters.is_empty());
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
        assert!(signal.lock().waiters.is_empty());
    }

    #[test]
    fn a_keyed_waiter_keeps_one_entry_and_removes_it() {
        let signal = Signal::default();
        let mut id = None;
        signal.register(&mut id, Waker::noop());
        signal.register(&mut id, Waker::noop());
        assert_eq!(signal.lock().waiters.len(), 1);
        let mut other = None;
        signal.register(&mut other, Waker::noop());
        assert_eq!(signal.lock().waiters.len(), 2);
        signal.unregister(id.unwrap());
        assert_eq!(signal.lock().waiters.len(), 1);
        signal.notify();
        assert!(signal.lock().waiters.is_empty());
        // Woken, then waiting again: a fresh entry under the same key.
        signal.register(&mut other, Waker::noop());
        assert_eq!(signal.lock().waiters.len(), 1);
    }

    #[test]
    fn a_signal_is_shared_across_threads() {
        let signal = Arc::new(Signal::default());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut wait = pin!(signal.wait());
        let notifier = {
            let signal = signal.clone();
            std::thread::spawn(move || signal.notify())
        };
        let first = poll_once(wait.as_mut(), &waker);
        notifier.join().unwrap();
        // Either the notify came first (ready now), or it woke the waker.
        assert!(first.is_ready() || count.0.load(Ordering::SeqCst) == 1);
    }
}
