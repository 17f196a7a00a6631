//! The count of open connections that the policy's cap applies to.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use portable_streams_core::Error;

/// Open connections of one store; cloned handles share the count.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCount(Arc<AtomicUsize>);

/// One open connection, counted until dropped.
#[derive(Debug)]
pub(crate) struct Permit(Option<Arc<AtomicUsize>>);

impl ConnectionCount {
    /// The connections open now.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// Counts one more connection, or refuses with `access-denied` when
    /// `max` are open already.
    pub(crate) fn try_permit(&self, max: Option<usize>) -> Result<Permit, Error> {
        let taken = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| match max {
                Some(max) if n >= max => None,
                _ => Some(n + 1),
            });
        match taken {
            Ok(_) => Ok(Permit(Some(self.0.clone()))),
            Err(n) => Err(Error::AccessDenied(format!(
                "the policy allows at most {n} open connections"
            ))),
        }
    }

    /// Counts one more connection regardless of any cap (a connection the
    /// host accepted itself).
    pub(crate) fn permit(&self) -> Permit {
        self.0.fetch_add(1, Ordering::AcqRel);
        Permit(Some(self.0.clone()))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(count) = self.0.take() {
            count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_refuses_and_a_dropped_permit_frees_a_slot() {
        let count = ConnectionCount::default();
        let a = count.try_permit(Some(2)).unwrap();
        let _b = count.try_permit(Some(2)).unwrap();
        assert!(matches!(
            count.try_permit(Some(2)),
            Err(Error::AccessDenied(_))
        ));
        assert_eq!(count.get(), 2);
        drop(a);
        assert_eq!(count.get(), 1);
        assert!(count.try_permit(Some(2)).is_ok());
        assert!(count.try_permit(None).is_ok());
    }
}
