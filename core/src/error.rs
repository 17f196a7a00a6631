//! The one error type, mirroring the WIT `error` variant and asyncio's
//! exceptions case for case.

use bytes::Bytes;

/// The outcome of a read request.
pub type ReadResult = Result<Bytes, Error>;

/// Every failure a stream reports; each case names the asyncio exception it
/// stands for. Messages match asyncio's where asyncio has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `asyncio.IncompleteReadError`: EOF before the request was met.
    #[error("{} bytes read on a total of {} expected bytes", partial.len(), expected_text(*expected))]
    IncompleteRead {
        /// Every byte read before EOF.
        partial: Bytes,
        /// The count asked for (`readexactly`), or `None` (`readuntil`).
        expected: Option<u64>,
    },
    /// `asyncio.LimitOverrunError`: the separator was not found within, or
    /// was found past, the limit.
    #[error("{message}")]
    LimitOverrun {
        /// asyncio's message.
        message: String,
        /// Bytes to be consumed before the separator (or the scanned length).
        consumed: u64,
    },
    /// `ValueError`.
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
    /// `OSError(EHOSTUNREACH)` / `OSError(ENETUNREACH)`.
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
    /// `PermissionError`: denied by the host's policy.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// `RuntimeError`: closed, or illegal in the current state.
    #[error("{0}")]
    Closed(String),
    /// `RuntimeError`: another call already waits on this reader.
    #[error("{0}")]
    Busy(String),
    /// `NotImplementedError`.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// `ssl.SSLError`.
    #[error("TLS error: {0}")]
    Tls(String),
    /// Any other `OSError`.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// asyncio's `ConnectionResetError('Connection lost')`.
    pub fn connection_lost() -> Self {
        Error::ConnectionReset("Connection lost".into())
    }

    /// asyncio's `RuntimeError` for a second waiter on one reader.
    pub fn busy(func_name: &str) -> Self {
        Error::Busy(format!(
            "{func_name}() called while another coroutine is already waiting for incoming data"
        ))
    }
}

fn expected_text(expected: Option<u64>) -> String {
    expected.map_or_else(|| "undefined".to_owned(), |n| n.to_string())
}
