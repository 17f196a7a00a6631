//! One pending read: what was asked for, and how far it has got.

use bytes::BytesMut;

use crate::{Error, Separators};

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
    pub fn read(n: i64) -> Self {
        let kind = match usize::try_from(n) {
            Ok(n) => Kind::Read(n),
            Err(_) => Kind::ToEof(BytesMut::new()),
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

    /// `readexactly(n)`; fails with `InvalidArgument` for `n < 0`.
    pub fn readexactly(n: i64) -> Result<Self, Error> {
        let n = usize::try_from(n).map_err(|_| {
            Error::InvalidArgument("readexactly size can not be less than zero".into())
        })?;
        Ok(Self {
            kind: Kind::Exactly(n),
        })
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
