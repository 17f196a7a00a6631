//! A set of wakers to wake when shared state changes (drain, wait-closed,
//! accept and the reader all wait this way, under their own mutex).

use std::task::Waker;

/// Wakers registered by futures waiting for a change.
#[derive(Debug, Default)]
pub(crate) struct Waiters(Vec<Waker>);

impl Waiters {
    /// Registers `waker` unless an equivalent one is already registered.
    pub(crate) fn register(&mut self, waker: &Waker) {
        if !self.0.iter().any(|w| w.will_wake(waker)) {
            self.0.push(waker.clone());
        }
    }

    /// Wakes and forgets every registered waker.
    pub(crate) fn wake_all(&mut self) {
        for waker in self.0.drain(..) {
            waker.wake();
        }
    }
}
