//! Conversions between core's neutral types and the generated WIT types:
//! core's `From` impls expanded for this binding, and the helpers that
//! apply the policy's caps.

use portable_streams_core::{Connection, Error, ReadBuffer};

use crate::policy::Policy;

use super::wit;

portable_streams_core::wit_conversions!(wit);
portable_streams_core::wit_tls_conversions!(wit);

/// A reader for the WIT's `limit` option within the policy's cap on
/// reader limits (core's rule, `caps::reader`).
pub(crate) fn read_buffer(limit: Option<u32>, policy: &Policy) -> Result<ReadBuffer, Error> {
    portable_streams_core::caps::reader(limit, policy.max_read_buffer())
}

/// A connection engine for `read` under the policy's caps.
pub(crate) fn engine(read: ReadBuffer, policy: &Policy) -> Connection {
    Connection::with_caps(read, policy.caps())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_case() {
        assert!(matches!(
            wit::Error::from(Error::IncompleteRead { partial: "ab".into(), expected: Some(5) }),
            wit::Error::IncompleteRead(wit::IncompleteRead { ref partial, expected: Some(5) }) if partial == b"ab"
        ));
        assert!(matches!(
            wit::Error::from(Error::connection_lost()),
            wit::Error::ConnectionReset(m) if m == "Connection lost"
        ));
    }
}
