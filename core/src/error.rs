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

/// Applies `$body` to the message of every case that carries one as a
/// plain string, keeping the case.
macro_rules! each_message_case {
    ($error:expr, $m:ident => $body:expr, $other:ident => $fallback:expr) => {
        match $error {
            Error::InvalidArgument($m) => Error::InvalidArgument($body),
            Error::ConnectionRefused($m) => Error::ConnectionRefused($body),
            Error::ConnectionReset($m) => Error::ConnectionReset($body),
            Error::ConnectionAborted($m) => Error::ConnectionAborted($body),
            Error::HostUnreachable($m) => Error::HostUnreachable($body),
            Error::Timeout($m) => Error::Timeout($body),
            Error::NameUnresolvable($m) => Error::NameUnresolvable($body),
            Error::AddressInUse($m) => Error::AddressInUse($body),
            Error::AddressNotAvailable($m) => Error::AddressNotAvailable($body),
            Error::AccessDenied($m) => Error::AccessDenied($body),
            Error::Closed($m) => Error::Closed($body),
            Error::Busy($m) => Error::Busy($body),
            Error::Unsupported($m) => Error::Unsupported($body),
            Error::Tls($m) => Error::Tls($body),
            Error::Other($m) => Error::Other($body),
            $other @ (Error::IncompleteRead { .. } | Error::LimitOverrun { .. }) => $fallback,
        }
    };
}

impl Error {
    /// The message without the kind prefix `Display` adds (for read
    /// errors, their whole text).
    pub fn message(&self) -> String {
        match self {
            Error::InvalidArgument(m)
            | Error::ConnectionRefused(m)
            | Error::ConnectionReset(m)
            | Error::ConnectionAborted(m)
            | Error::HostUnreachable(m)
            | Error::Timeout(m)
            | Error::NameUnresolvable(m)
            | Error::AddressInUse(m)
            | Error::AddressNotAvailable(m)
            | Error::AccessDenied(m)
            | Error::Closed(m)
            | Error::Busy(m)
            | Error::Unsupported(m)
            | Error::Tls(m)
            | Error::Other(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// The same case with `message` instead of its own (read errors, which
    /// carry data rather than a message, are returned as they are).
    pub fn with_message(self, message: String) -> Self {
        each_message_case!(self, _m => message, other => other)
    }

    /// The same case with `context: ` put before its message, as asyncio
    /// prefixes OS errors ("Connect call failed ('127.0.0.1', 1): ...").
    pub fn context(self, context: &str) -> Self {
        each_message_case!(self, m => format!("{context}: {m}"), other => other)
    }
}

impl From<Error> for std::io::Error {
    /// The closest `std::io::ErrorKind`, the error itself as the source.
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

impl From<std::io::Error> for Error {
    /// An OS error as the case asyncio raises for it (the message is the
    /// C library's, see `os_text`; add asyncio's context with
    /// [`Error::context`]).
    fn from(error: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        // One of ours carried through an I/O adapter: give it back as it was.
        if let Some(ours) = error.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
            return ours.clone();
        }
        let message = os_text(&error);
        match error.kind() {
            K::ConnectionRefused => Error::ConnectionRefused(message),
            K::ConnectionReset | K::BrokenPipe => Error::ConnectionReset(message),
            K::ConnectionAborted => Error::ConnectionAborted(message),
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => {
                Error::HostUnreachable(message)
            }
            K::TimedOut => Error::Timeout(message),
            K::AddrInUse => Error::AddressInUse(message),
            K::AddrNotAvailable => Error::AddressNotAvailable(message),
            K::PermissionDenied => Error::AccessDenied(message),
            K::InvalidInput => Error::InvalidArgument(message),
            K::Unsupported => Error::Unsupported(message),
            _ => Error::Other(message),
        }
    }
}

/// An I/O error's text: for an OS error, the C library's words in lower
/// case without Rust's "(os error N)" ("connection reset by peer"), the
/// words the guest gives the same `wasi:sockets` code, so one failure
/// reads the same on every backend; any other error's own text.
fn os_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    let Some(code) = error.raw_os_error() else {
        return text;
    };
    let words = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn expected_text(expected: Option<u64>) -> String {
    expected.map_or_else(|| "undefined".to_owned(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn os_errors_read_as_the_guest_words_them() {
        let cases = [
            (111, Error::ConnectionRefused("connection refused".into())),
            (
                104,
                Error::ConnectionReset("connection reset by peer".into()),
            ),
            (32, Error::ConnectionReset("broken pipe".into())),
            (110, Error::Timeout("connection timed out".into())),
            (113, Error::HostUnreachable("no route to host".into())),
            (98, Error::AddressInUse("address already in use".into())),
            (
                99,
                Error::AddressNotAvailable("cannot assign requested address".into()),
            ),
        ];
        for (code, want) in cases {
            assert_eq!(Error::from(std::io::Error::from_raw_os_error(code)), want);
        }
    }

    #[test]
    fn other_io_errors_keep_their_text() {
        let error = std::io::Error::new(std::io::ErrorKind::TimedOut, "Idle Too Long");
        assert_eq!(Error::from(error), Error::Timeout("Idle Too Long".into()));
    }
}
