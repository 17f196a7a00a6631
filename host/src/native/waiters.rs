//! A set of wakers to wake when shared state changes (drain, wait-closed
//! and accept wait this way, under their own mutex).

use std::task::Waker;

/// Wakers registered by futures waiting for a change.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    list: Vec<(Option<u64>, Waker)>,
    next_id: u64,
}

impl Waiters {
    /// Registers `waker` unless an equivalent one is already registered.
    /// It stays until the next [`wake_all`](Self::wake_all).
    pub(crate) fn register(&mut self, waker: &Waker) {
        if !self.list.iter().any(|(_, w)| w.will_wake(waker)) {
            self.list.push((None, waker.clone()));
        }
    }

    /// Registers `waker` for the waiter whose entry `id` names (a new one
    /// if none), replacing its previous waker; [`unregister`](Self::unregister)
    /// removes it when that waiter finishes without a wake-up.
    pub(crate) fn register_as(&mut self, id: &mut Option<u64>, waker: &Waker) {
        if let Some(id) = *id
            && let Some((_, kept)) = self.list.iter_mut().find(|(i, _)| *i == Some(id))
        {
            kept.clone_from(waker);
            return;
        }
        let new = *id.get_or_insert_with(|| {
            self.next_id += 1;
            self.next_id
        });
        self.list.push((Some(new), waker.clone()));
    }

    /// Removes the entry `id` names, if it is still there.
    pub(crate) fn unregister(&mut self, id: u64) {
        self.list.retain(|(i, _)| *i != Some(id));
    }

    /// Wakes and forgets every registered waker.
    pub(crate) fn wake_all(&mut self) {
        for (_, waker) in self.list.drain(..) {
            waker.wake();
        }
    }

    /// How many wakers are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyed_waiter_keeps_one_entry_and_removes_it() {
        let mut waiters = Waiters::default();
        let mut id = None;
        waiters.register_as(&mut id, Waker::noop());
        waiters.register_as(&mut id, Waker::noop());
        assert_eq!(waiters.len(), 1);
        let mut other = None;
        waiters.register_as(&mut other, Waker::noop());
        assert_eq!(waiters.len(), 2);
        waiters.unregister(id.unwrap());
        assert_eq!(waiters.len(), 1);
        waiters.wake_all();
        assert_eq!(waiters.len(), 0);
        // Woken, then waiting again: a fresh entry under the same key.
        waiters.register_as(&mut other, Waker::noop());
        assert_eq!(waiters.len(), 1);
    }
}
