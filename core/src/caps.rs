//! A sandbox's caps, applied the same on every backend: what one
//! connection may hold ([`Caps`], enforced by the connection engine), how
//! many connections and listening sockets may be open
//! ([`ConnectionCount`], [`ListenerCount`]), and how large a reader's
//! limit may be ([`reader`]). asyncio has none of these.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, ReadBuffer};

/// The environment variables that carry a host's caps into a guest
/// backend (a component that runs core's engines inside the sandbox).
pub mod env {
    /// What every one of these names starts with.
    pub const PREFIX: &str = "PORTABLE_STREAMS_";
    /// Connections open at once (connected plus accepted).
    pub const MAX_CONNECTIONS: &str = "PORTABLE_STREAMS_MAX_CONNECTIONS";
    /// The cap on a reader's limit (a connection holds at most twice it).
    pub const MAX_READ_BUFFER: &str = "PORTABLE_STREAMS_MAX_READ_BUFFER";
    /// The bytes a connection's writer may buffer.
    pub const MAX_WRITE_BUFFER: &str = "PORTABLE_STREAMS_MAX_WRITE_BUFFER";
    /// Listening sockets open at once.
    pub const MAX_LISTENERS: &str = "PORTABLE_STREAMS_MAX_LISTENERS";
    /// The bytes all connections hold at once (see [`crate::ByteBudget`]).
    pub const MAX_BUFFERED: &str = "PORTABLE_STREAMS_MAX_BUFFERED";
}

/// Caps on what one connection may hold in memory. A call that would need
/// more fails with `access-denied` naming the cap; nothing already received
/// is lost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// The most bytes the reader holds: buffered plus what a `read(-1)` has
    /// gathered. `readexactly(n)` above it fails at once; `read(-1)` fails
    /// once it has gathered this much (the bytes go back to the buffer, to
    /// be read in smaller pieces); a transport read never receives past it.
    pub read: Option<usize>,
    /// The most bytes the writer buffers: a `write` that would buffer more
    /// fails (and queues nothing), instead of growing without bound.
    pub write: Option<u64>,
}

impl Caps {
    /// The caps that go with a cap on reader limits (`max_read_buffer`):
    /// a reader holds at most twice it (asyncio's 2 x limit), and the
    /// writer buffers at most `max_write_buffer`.
    pub fn from_buffers(max_read_buffer: Option<usize>, max_write_buffer: Option<u64>) -> Self {
        Caps {
            read: max_read_buffer.map(|max| max.saturating_mul(2)),
            write: max_write_buffer,
        }
    }
}

/// A reader for a `limit` option (none = 64 KiB, 0 is invalid) within a
/// cap on reader limits: an explicit limit above the cap is denied, the
/// default shrinks to the cap.
pub fn reader(limit: Option<u32>, max_read_buffer: Option<usize>) -> Result<ReadBuffer, Error> {
    let limit = match (limit, max_read_buffer) {
        (None, Some(max)) if max < ReadBuffer::DEFAULT_LIMIT => {
            Some(i64::try_from(max).unwrap_or(i64::MAX))
        }
        (limit, _) => limit.map(i64::from),
    };
    let buffer = ReadBuffer::with_limit(limit)?;
    if let Some(max) = max_read_buffer
        && buffer.limit() > max
    {
        return Err(Error::AccessDenied(format!(
            "a reader limit of {} bytes is above the policy's cap of {max} bytes",
            buffer.limit()
        )));
    }
    Ok(buffer)
}

/// A cap many stores share besides their own: what one process lets all
/// of its components hold at once (`serve` keeps the rest of its file
/// descriptors for its clients). Cloned handles share the count.
#[derive(Debug, Clone)]
pub struct SharedCap {
    held: Arc<AtomicUsize>,
    max: usize,
    /// Why it exists, for the refusal ("the process keeps ... for ...").
    reason: Arc<str>,
}

impl SharedCap {
    /// A cap of `max` across every store given it; `reason` ends the
    /// refusal's words.
    pub fn new(max: usize, reason: impl Into<Arc<str>>) -> Self {
        Self {
            held: Arc::default(),
            max,
            reason: reason.into(),
        }
    }

    /// What all the stores hold now.
    pub fn get(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    fn take(&self) -> Result<Arc<AtomicUsize>, Error> {
        take_one(&self.held, Some(self.max))
            .map(|()| self.held.clone())
            .map_err(|n| {
                Error::AccessDenied(format!(
                    "the process allows its components at most {n} sockets in all: {}",
                    self.reason
                ))
            })
    }
}

/// Counts one more in `count` unless `max` are held; the count on refusal.
fn take_one(count: &AtomicUsize, max: Option<usize>) -> Result<(), usize> {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| match max {
            Some(max) if n >= max => None,
            _ => Some(n + 1),
        })
        .map(drop)
}

/// Open connections of one store; cloned handles share the count.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCount {
    open: Arc<AtomicUsize>,
    /// A cap the store shares with others, if any.
    shared: Option<SharedCap>,
}

/// One open connection (or listening socket), counted until dropped.
#[derive(Debug)]
pub struct Permit {
    own: Option<Arc<AtomicUsize>>,
    shared: Option<Arc<AtomicUsize>>,
}

impl ConnectionCount {
    /// A count whose connections also count under `shared`.
    pub fn sharing(shared: SharedCap) -> Self {
        Self {
            open: Arc::default(),
            shared: Some(shared),
        }
    }

    /// The connections open now.
    pub fn get(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Counts one more connection, or refuses with `access-denied` when
    /// `max` are open already (or the shared cap is reached).
    pub fn try_permit(&self, max: Option<usize>) -> Result<Permit, Error> {
        self.take(max, "open connections")
    }

    fn take(&self, max: Option<usize>, what: &str) -> Result<Permit, Error> {
        take_one(&self.open, max)
            .map_err(|n| Error::AccessDenied(format!("the policy allows at most {n} {what}")))?;
        let mut permit = Permit {
            own: Some(self.open.clone()),
            shared: None,
        };
        if let Some(shared) = &self.shared {
            // On refusal, dropping the permit gives back the store's place.
            permit.shared = Some(shared.take()?);
        }
        Ok(permit)
    }
}

/// Listening sockets of one store; cloned handles share the count.
#[derive(Debug, Clone, Default)]
pub struct ListenerCount(ConnectionCount);

impl ListenerCount {
    /// A count whose listening sockets also count under `shared`.
    pub fn sharing(shared: SharedCap) -> Self {
        Self(ConnectionCount::sharing(shared))
    }

    /// The listening sockets open now.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// Counts one more listening socket, or refuses with `access-denied`
    /// when `max` are open already (or the shared cap is reached).
    pub fn try_permit(&self, max: Option<usize>) -> Result<Permit, Error> {
        self.0.take(max, "listening sockets")
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        for count in [self.own.take(), self.shared.take()].into_iter().flatten() {
            count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_limits_are_validated_and_capped() {
        assert_eq!(reader(None, None).unwrap().limit(), 64 * 1024);
        assert!(matches!(
            reader(Some(0), None),
            Err(Error::InvalidArgument(_))
        ));
        assert!(reader(Some(1024), Some(1024)).is_ok());
        assert_eq!(reader(None, Some(1024)).unwrap().limit(), 1024);
        assert!(matches!(
            reader(Some(1025), Some(1024)),
            Err(Error::AccessDenied(m)) if m.contains("1024")
        ));
        assert_eq!(
            Caps::from_buffers(Some(1024), Some(7)),
            Caps {
                read: Some(2048),
                write: Some(7)
            }
        );
    }

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

    #[test]
    fn a_shared_cap_holds_across_stores_and_a_refusal_takes_nothing() {
        let shared = SharedCap::new(3, "the rest is kept for serving clients");
        let a = ConnectionCount::sharing(shared.clone());
        let b = ListenerCount::sharing(shared.clone());
        let _a1 = a.try_permit(Some(2)).unwrap();
        let a2 = a.try_permit(Some(2)).unwrap();
        let _b1 = b.try_permit(None).unwrap();
        assert!(matches!(
            b.try_permit(None),
            Err(Error::AccessDenied(m)) if m == "the process allows its components at most 3 \
                sockets in all: the rest is kept for serving clients"
        ));
        assert_eq!(
            (shared.get(), b.get()),
            (3, 1),
            "the refused place was given back"
        );
        drop(a2);
        assert_eq!((shared.get(), a.get()), (2, 1));
        let _b2 = b.try_permit(None).unwrap();
        assert!(
            matches!(a.try_permit(Some(2)), Err(Error::AccessDenied(m)) if m.contains("in all"))
        );
        assert_eq!(a.get(), 1);
    }

    #[test]
    fn listeners_are_counted_apart_and_named() {
        let listeners = ListenerCount::default();
        let _one = listeners.try_permit(Some(1)).unwrap();
        assert!(matches!(
            listeners.try_permit(Some(1)),
            Err(Error::AccessDenied(m)) if m == "the policy allows at most 1 listening sockets"
        ));
        assert_eq!(listeners.get(), 1);
    }
}
