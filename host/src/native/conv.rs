//! Conversions between core's neutral types and the generated WIT types:
//! core's `From` impls expanded for this binding, and the helpers that
//! apply the policy's caps.

use std::sync::Arc;

use portable_streams_core::caps::ConnectionCount;
use portable_streams_core::server::AcceptFailure;
use portable_streams_core::{ByteBudget, Connection, Error, ReadBuffer};

use crate::policy::Policy;

use super::wit;

portable_streams_core::wit_conversions!(wit);
portable_streams_core::wit_tls_conversions!(wit);

/// A reader for the WIT's `limit` option within the policy's cap on
/// reader limits (core's rule, `caps::reader`).
pub(crate) fn read_buffer(limit: Option<u32>, policy: &Policy) -> Result<ReadBuffer, Error> {
    portable_streams_core::caps::reader(limit, policy.max_read_buffer())
}

/// What a store's connections are opened under: its policy, its count of
/// open connections and its byte budget.
#[derive(Debug, Clone)]
pub(crate) struct Allowance {
    pub(crate) policy: Arc<Policy>,
    pub(crate) count: ConnectionCount,
    pub(crate) budget: ByteBudget,
}

impl Allowance {
    /// A connection engine for `read` under the policy's caps, charged to
    /// the store's budget.
    pub(crate) fn engine(&self, read: ReadBuffer) -> Connection {
        Connection::with_caps(read, self.policy.caps()).charging(self.budget.clone())
    }
}

/// What a failure to take a connection off a listener is (the server's
/// and `serve`'s accept loops).
pub(crate) fn accept_failure(error: &std::io::Error) -> AcceptFailure {
    if error.kind() == std::io::ErrorKind::ConnectionAborted {
        return AcceptFailure::Gone;
    }
    match error.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
            AcceptFailure::OutOfResources
        }
        _ => AcceptFailure::Other,
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
