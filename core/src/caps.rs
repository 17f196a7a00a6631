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

/// Open connections of one store; cloned handles share the count.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCount(Arc<AtomicUsize>);

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct Permit(Option<Arc<AtomicUsize>>);

impl ConnectionCount {
    /// The connections open now.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// Counts one more connection, or refuses with `access-denied` when
    /// `max` are open already.
    pub fn try_permit(&self, max: Option<usize>) -> Result<Permit, Error> {
        self.take(max, "open connections")
    }

    fn take(&self, max: Option<usize>, what: &str) -> Result<Permit, Error> {
        let taken = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| match max {
                Some(max) if n >= max => None,
                _ => Some(n + 1),
            });
        match taken {
            Ok(_) => Ok(Permit(Some(self.0.clone()))),
            Err(n) => Err(Error::AccessDenied(format!(
                "the policy allows at most {n} {what}"
            ))),
        }
    }
}

/// Listening sockets of one store; cloned handles share the count.
#[derive(Debug, Clone, Default)]
pub struct ListenerCount(ConnectionCount);

impl ListenerCount {
    /// The listening sockets open now.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// Counts one more listening socket, or refuses with `access-denied`
    /// when `max` are open already.
    pub fn try_permit(&self, max: Option<usize>) -> Result<Permit, Error> {
        self.0.take(max, "listening sockets")
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
