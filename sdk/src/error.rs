//! The one error type, with asyncio's exceptions as variants.

use crate::wit;

/// Every failure of a stream, one variant per asyncio exception. Messages
/// match asyncio's where asyncio has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `asyncio.IncompleteReadError`: EOF before the request was met.
    ///
    /// ```
    /// let e = portable_streams::Error::IncompleteRead { partial: vec![0; 18], expected: Some(36) };
    /// assert_eq!(e.to_string(), "18 bytes read on a total of 36 expected bytes");
    /// ```
    #[error("{} bytes read on a total of {} expected bytes", partial.len(), expected.map_or("undefined".to_owned(), |n| n.to_string()))]
    IncompleteRead {
        /// Every byte read before EOF.
        partial: Vec<u8>,
        /// The count asked for (`readexactly`), or `None` (`readuntil`).
        expected: Option<u64>,
    },
    /// `asyncio.LimitOverrunError`.
    #[error("{message}")]
    LimitOverrun {
        /// asyncio's message.
        message: String,
        /// Bytes to be consumed before the separator.
        consumed: u64,
    },
    /// `ValueError`: an argument is out of range.
    #[error("{0}")]
    InvalidArgument(String),
    /// `ConnectionRefusedError`.
    #[error("connection refused: {0}")]
    ConnectionRefused(String),
    /// `ConnectionResetError`.
    #[error("{0}")]
    ConnectionReset(String),
    /// `ConnectionAbortedError`.
    #[error("connection aborted: {0}")]
    ConnectionAborted(String),
    /// `OSError(EHOSTUNREACH)`.
    #[error("host unreachable: {0}")]
    HostUnreachable(String),
    /// `TimeoutError`.
    #[error("timed out: {0}")]
    Timeout(String),
    /// `socket.gaierror`.
    #[error("name does not resolve: {0}")]
    NameUnresolvable(String),
    /// `OSError(EADDRINUSE)`.
    #[error("address in use: {0}")]
    AddressInUse(String),
    /// `OSError(EADDRNOTAVAIL)`.
    #[error("address not available: {0}")]
    AddressNotAvailable(String),
    /// `PermissionError`: the host's policy denied it.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// `RuntimeError`: closed, or illegal in this state.
    #[error("{0}")]
    Closed(String),
    /// `RuntimeError`: another call already waits on this reader.
    #[error("{0}")]
    Busy(String),
    /// `NotImplementedError`: this backend cannot do it.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// `ssl.SSLError`.
    #[error("TLS error: {0}")]
    Tls(String),
    /// Any other `OSError`.
    #[error("{0}")]
    Other(String),
}

impl From<portable_streams_core::Error> for Error {
    fn from(e: portable_streams_core::Error) -> Self {
        use portable_streams_core::Error as C;
        match e {
            C::IncompleteRead { partial, expected } => Error::IncompleteRead {
                partial: partial.to_vec(),
                expected,
            },
            C::LimitOverrun { message, consumed } => Error::LimitOverrun { message, consumed },
            C::InvalidArgument(m) => Error::InvalidArgument(m),
            C::ConnectionRefused(m) => Error::ConnectionRefused(m),
            C::ConnectionReset(m) => Error::ConnectionReset(m),
            C::ConnectionAborted(m) => Error::ConnectionAborted(m),
            C::HostUnreachable(m) => Error::HostUnreachable(m),
            C::Timeout(m) => Error::Timeout(m),
            C::NameUnresolvable(m) => Error::NameUnresolvable(m),
            C::AddressInUse(m) => Error::AddressInUse(m),
            C::AddressNotAvailable(m) => Error::AddressNotAvailable(m),
            C::AccessDenied(m) => Error::AccessDenied(m),
            C::Closed(m) => Error::Closed(m),
            C::Busy(m) => Error::Busy(m),
            C::Unsupported(m) => Error::Unsupported(m),
            C::Tls(m) => Error::Tls(m),
            C::Other(m) => Error::Other(m),
        }
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        use wit::Error as W;
        match e {
            W::IncompleteRead(r) => Error::IncompleteRead {
                partial: r.partial,
                expected: r.expected,
            },
            W::LimitOverrun(o) => Error::LimitOverrun {
                message: o.message,
                consumed: o.consumed,
            },
            W::InvalidArgument(m) => Error::InvalidArgument(m),
            W::ConnectionRefused(m) => Error::ConnectionRefused(m),
            W::ConnectionReset(m) => Error::ConnectionReset(m),
            W::ConnectionAborted(m) => Error::ConnectionAborted(m),
            W::HostUnreachable(m) => Error::HostUnreachable(m),
            W::Timeout(m) => Error::Timeout(m),
            W::NameUnresolvable(m) => Error::NameUnresolvable(m),
            W::AddressInUse(m) => Error::AddressInUse(m),
            W::AddressNotAvailable(m) => Error::AddressNotAvailable(m),
            W::AccessDenied(m) => Error::AccessDenied(m),
            W::Closed(m) => Error::Closed(m),
            W::Busy(m) => Error::Busy(m),
            W::Unsupported(m) => Error::Unsupported(m),
            W::Tls(m) => Error::Tls(m),
            W::Other(m) => Error::Other(m),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match &e {
            Error::IncompleteRead { .. } => K::UnexpectedEof,
            Error::LimitOverrun { .. } | Error::InvalidArgument(_) => K::InvalidInput,
            Error::ConnectionRefused(_) => K::ConnectionRefused,
            Error::ConnectionReset(_) => K::ConnectionReset,
            Error::ConnectionAborted(_) => K::ConnectionAborted,
            Error::HostUnreachable(_) => K::HostUnreachable,
            Error::Timeout(_) => K::TimedOut,
            Error::AddressInUse(_) => K::AddrInUse,
            Error::AddressNotAvailable(_) => K::AddrNotAvailable,
            Error::AccessDenied(_) => K::PermissionDenied,
            Error::Closed(_) => K::BrokenPipe,
            Error::Busy(_) => K::ResourceBusy,
            Error::Unsupported(_) => K::Unsupported,
            Error::NameUnresolvable(_) | Error::Tls(_) | Error::Other(_) => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}
