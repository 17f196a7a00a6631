//! The one error type: core's, with asyncio's exceptions as variants. The
//! WIT `error` is converted to it once, here.
//!
//! ```
//! let e = portable_streams::Error::IncompleteRead { partial: vec![0; 18].into(), expected: Some(36) };
//! assert_eq!(e.to_string(), "18 bytes read on a total of 36 expected bytes");
//! ```

pub use portable_streams_core::Error;

use crate::wit;

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        use wit::Error as W;
        match e {
            W::IncompleteRead(r) => Error::IncompleteRead {
                partial: r.partial.into(),
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
