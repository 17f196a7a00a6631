//! What a TLS connection tells of itself (asyncio's
//! `get_extra_info('ssl_object')` details), and the rule that goes with
//! it: TLS has no half-close, so such a connection has no `write_eof`.

use crate::Error;

/// The negotiated parameters of a TLS connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsDetails {
    /// `SSLObject.version()`: `"TLSv1.3"` or `"TLSv1.2"`.
    pub protocol_version: String,
    /// `SSLObject.cipher()[0]`, as the TLS library names the suite.
    pub cipher: String,
    /// `SSLObject.selected_alpn_protocol()`.
    pub alpn_protocol: Option<String>,
    /// The peer's certificate chain in DER, leaf first (empty when the
    /// peer sent none).
    pub peer_certificates: Vec<Vec<u8>>,
}

/// `start_tls` without both directions of the transport to upgrade (one
/// was shut down, or a read holds it).
pub fn upgrade_needs_both_directions() -> Error {
    Error::Closed("start_tls needs both directions of the connection".into())
}

/// `start_tls` cancelled during its handshake: the connection is lost
/// with this error (its streams were half-way into TLS).
pub fn start_tls_cancelled() -> Error {
    Error::ConnectionAborted("start_tls was cancelled during the handshake".into())
}

/// asyncio's error when `ssl_shutdown_timeout` passes while a TLS
/// connection closes.
pub fn shutdown_timed_out() -> Error {
    Error::Timeout("SSL shutdown timed out".into())
}

/// asyncio's `NotImplementedError` for `write_eof` over TLS.
pub fn write_eof_unsupported() -> Error {
    Error::Unsupported(
        "write_eof is not possible on a TLS connection (TLS has no half-close)".into(),
    )
}
