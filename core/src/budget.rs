//! A store-wide budget of bytes: what all of a sandbox's connections may
//! hold in memory at once (unread plus unsent), beside each connection's
//! own caps. asyncio has no such thing: a sandbox host needs it so that
//! many connections, each within its caps, cannot add up to gigabytes.
//!
//! A [`ByteBudget`] is shared by a store's connections; each holds a
//! [`Charge`] of it, settled to what it holds after every change and given
//! back when dropped. A connection never receives past the budget (it
//! reserves the room first), and a write that would pass it is refused
//! (see [`Connection`](crate::Connection)).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;

/// Bytes held by one store's connections, under one cap; cloned handles
/// share the count.
#[derive(Debug, Clone, Default)]
pub struct ByteBudget {
    held: Arc<AtomicU64>,
    max: Option<u64>,
}

impl ByteBudget {
    /// A budget of `max` bytes (`None`: no budget, only counted).
    pub fn new(max: Option<u64>) -> Self {
        Self {
            held: Arc::default(),
            max,
        }
    }

    /// The bytes held now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Acquire)
    }

    /// The cap, if any.
    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// Takes as much of `want` as is left (all of it without a cap);
    /// returns how much was taken.
    fn take_up_to(&self, want: u64) -> u64 {
        let Some(max) = self.max else {
            self.held.fetch_add(want, Ordering::AcqRel);
            return want;
        };
        match self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held < max).then(|| held + want.min(max - held))
            }) {
            Ok(before) => want.min(max - before),
            Err(_) => 0,
        }
    }

    /// Takes all of `n`, or nothing when less is left.
    fn try_take(&self, n: u64) -> bool {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                let after = held.checked_add(n)?;
                self.max.is_none_or(|max| after <= max).then_some(after)
            })
            .is_ok()
    }

    /// Takes `n` whatever is left: for bytes that exist already.
    fn take_anyway(&self, n: u64) {
        self.held.fetch_add(n, Ordering::AcqRel);
    }

    fn give_back(&self, n: u64) {
        self.held.fetch_sub(n, Ordering::AcqRel);
    }

    /// `access-denied` for `what` (a refused call, e.g. "a write of 4
    /// bytes is refused"), naming the budget.
    pub fn refusal(&self, what: &str) -> Error {
        let max = self.max.unwrap_or(u64::MAX);
        Error::AccessDenied(format!(
            "{what}: the store's buffer budget is {max} bytes and its connections hold {}",
            self.held()
        ))
    }
}

/// What one holder has taken from a [`ByteBudget`]: the bytes it holds
/// plus room reserved for bytes on their way in. Given back when dropped.
#[derive(Debug, Default)]
pub struct Charge {
    budget: ByteBudget,
    /// Taken from the budget, in all.
    taken: u64,
    /// The part of `taken` reserved for a receive not yet done.
    reserved: u64,
}

impl Charge {
    /// An empty charge on `budget`.
    pub fn new(budget: ByteBudget) -> Self {
        Self {
            budget,
            taken: 0,
            reserved: 0,
        }
    }

    /// The budget charged.
    pub fn budget(&self) -> &ByteBudget {
        &self.budget
    }

    /// What is taken now (held plus reserved).
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Reserves room for a receive of up to `want` bytes beside `held`
    /// (replacing any earlier reservation); returns the room granted,
    /// which may be less, or 0 when the budget is spent.
    pub fn reserve(&mut self, held: u64, want: u64) -> u64 {
        self.settle(held, 0);
        let granted = self.budget.take_up_to(want);
        self.taken += granted;
        self.reserved = granted;
        granted
    }

    /// Takes `n` more bytes for a write, or refuses `what` naming the
    /// budget (and takes nothing).
    pub fn try_grow(&mut self, n: u64, what: &str) -> Result<(), Error> {
        if !self.budget.try_take(n) {
            return Err(self.budget.refusal(what));
        }
        self.taken += n;
        Ok(())
    }

    /// The holder now holds `held` bytes and has `reserved` bytes of room
    /// still reserved: the charge follows (bytes that exist are charged
    /// even past the budget; they were reserved or granted before).
    pub fn settle(&mut self, held: u64, reserved: u64) {
        let target = held.saturating_add(reserved);
        self.reserved = reserved.min(target);
        match target.cmp(&self.taken) {
            std::cmp::Ordering::Greater => self.budget.take_anyway(target - self.taken),
            std::cmp::Ordering::Less => self.budget.give_back(self.taken - target),
            std::cmp::Ordering::Equal => {}
        }
        self.taken = target;
    }

    /// The room still reserved for a receive.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.give_back(self.taken);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_gets_what_is_left_and_settles_to_what_came() {
        let budget = ByteBudget::new(Some(100));
        let mut a = Charge::new(budget.clone());
        let mut b = Charge::new(budget.clone());
        assert_eq!(a.reserve(0, 70), 70);
        assert_eq!(b.reserve(0, 70), 30);
        assert_eq!(budget.held(), 100);
        assert_eq!(b.reserve(0, 70), 30, "a new reservation replaces the old");
        a.settle(10, 0);
        assert_eq!(budget.held(), 40);
        assert_eq!(a.reserve(10, 1000), 60);
        assert_eq!(budget.held(), 100);
        drop(a);
        assert_eq!(budget.held(), 30);
        b.settle(0, 0);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn a_spent_budget_grants_nothing_and_refuses_writes_by_name() {
        let budget = ByteBudget::new(Some(10));
        let mut a = Charge::new(budget.clone());
        a.try_grow(10, "a write of 10 bytes").unwrap();
        let mut b = Charge::new(budget.clone());
        assert_eq!(b.reserve(0, 5), 0);
        let refused = b.try_grow(4, "a write of 4 bytes is refused").unwrap_err();
        assert!(
            matches!(&refused, Error::AccessDenied(m) if m == "a write of 4 bytes is refused: \
                the store's buffer budget is 10 bytes and its connections hold 10"),
            "{refused:?}"
        );
        assert_eq!(budget.held(), 10);
        a.settle(6, 0);
        b.try_grow(4, "a write").unwrap();
        assert_eq!(budget.held(), 10);
    }

    #[test]
    fn without_a_cap_everything_is_counted() {
        let budget = ByteBudget::new(None);
        let mut a = Charge::new(budget.clone());
        assert_eq!(a.reserve(0, 1 << 40), 1 << 40);
        a.settle(5, 0);
        a.try_grow(u64::MAX / 2, "a write").unwrap();
        assert_eq!(budget.held(), 5 + u64::MAX / 2);
        drop(a);
        assert_eq!(budget.held(), 0);
    }
}
