//! One pending read: what was asked for, and how far it has got.

use bytes::BytesMut;

use crate::{Error, Separators};

/// The largest `readexactly` size: what a component's 32-bit linear memory
/// can address.
pub const MAX_EXACT: u64 = u32::MAX as u64;

/// A read request, created by the constructor named after the asyncio
/// method it carries out and answered by [`crate::ReadBuffer::poll`].
///
/// Constructors validate their arguments the way asyncio does, before the
/// reader's stored error is looked at.
#[derive(Debug)]
pub struct ReadRequest {
    pub(crate) kind: Kind,
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// `read(n)` with `n >= 0`.
    Read(usize),
    /// `read(-1)`: what was taken so far. Taken bytes go back to the buffer
    /// if the request is abandoned, so a cancelled read loses nothing.
    ToEof(BytesMut),
    /// `readline()`.
    Line(Scan),
    /// `readuntil(separators)`.
    Until(Scan),
    /// `readexactly(n)`.
    Exactly(usize),
}

/// A separator search that resumes where it stopped.
#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) separators: Separators,
    /// Bytes from the buffer's start known to hold no separator match.
    pub(crate) offset: usize,
    /// The reader's front epoch when `offset` was computed.
    pub(crate) epoch: u64,
}

impl ReadRequest {
    /// `read(n)`: up to `n` bytes; `n < 0` reads to EOF; `n == 0` is empty.
    /// An `n` above what the platform can address asks for "all there is",
    /// which is what "up to n" means then.
    pub fn read(n: i64) -> Self {
        let kind = if n < 0 {
            Kind::ToEof(BytesMut::new())
        } else {
            Kind::Read(usize::try_from(n).unwrap_or(usize::MAX))
        };
        Self { kind }
    }

    /// `readline()`.
    pub fn readline() -> Self {
        Self {
            kind: Kind::Line(Scan::new(Separators::newline())),
        }
    }

    /// `readuntil(separators)`; fails with `InvalidArgument` for an empty
    /// list or an empty separator.
    pub fn readuntil<I, B>(separators: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Ok(Self::readuntil_with(Separators::new(separators)?))
    }

    /// `readuntil` with separators validated beforehand.
    pub fn readuntil_with(separators: Separators) -> Self {
        Self {
            kind: Kind::Until(Scan::new(separators)),
        }
    }

    /// `readexactly(n)`; fails with `InvalidArgument` for `n < 0` (asyncio's
    /// message) and for `n` above [`MAX_EXACT`]: the bytes are returned to a
    /// component, whose 32-bit memory cannot hold more, so such a call
    /// could only ever end in `incomplete-read`. The same rule holds on
    /// 32- and 64-bit hosts.
    pub fn readexactly(n: i64) -> Result<Self, Error> {
        if n < 0 {
            return Err(Error::InvalidArgument(
                "readexactly size can not be less than zero".into(),
            ));
        }
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        if n > MAX_EXACT {
            return Err(Error::InvalidArgument(format!(
                "readexactly size {n} is larger than a component can hold ({MAX_EXACT} bytes)"
            )));
        }
        let n = usize::try_from(n).map_err(|_| {
            Error::InvalidArgument(format!("readexactly size {n} does not fit this platform"))
        })?;
        Ok(Self {
            kind: Kind::Exactly(n),
        })
    }

    /// How many bytes the transport read made for this request should ask
    /// for, with `buffered` bytes already in the reader. Searches for a
    /// separator and `read(-1)` receive [`crate::MAX_RECV`] (asyncio's
    /// `max_size`), so limit outcomes are asyncio's for the same arrival of
    /// bytes; `read(n)` and `readexactly(n)` ask for no more than they can
    /// use, which leaves the rest with the transport and changes no limit
    /// outcome (larger blocks only cost copies).
    pub fn receive_size(&self, buffered: usize) -> usize {
        let wanted = match &self.kind {
            Kind::Read(n) => *n,
            Kind::Exactly(n) => n.saturating_sub(buffered),
            Kind::ToEof(_) | Kind::Line(_) | Kind::Until(_) => crate::MAX_RECV,
        };
        wanted.clamp(1, crate::MAX_RECV)
    }

    /// Bytes this request must hold at once to finish: `n` for
    /// `readexactly(n)`, none (no fixed need) for the others.
    pub(crate) fn needs(&self) -> Option<usize> {
        match &self.kind {
            Kind::Exactly(n) => Some(*n),
            _ => None,
        }
    }

    /// Bytes a `read(-1)` has taken out of the buffer so far.
    pub(crate) fn taken(&self) -> usize {
        match &self.kind {
            Kind::ToEof(taken) => taken.len(),
            _ => 0,
        }
    }

    /// The asyncio method name, for the `busy` message.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Read(_) | Kind::ToEof(_) => "read",
            Kind::Line(_) => "readline",
            Kind::Until(_) => "readuntil",
            Kind::Exactly(_) => "readexactly",
        }
    }
}

impl Scan {
    fn new(separators: Separators) -> Self {
        Self {
            separators,
            offset: 0,
            epoch: 0,
        }
    }
}
