//! Handshake failures as asyncio reports them: a certificate problem or
//! another TLS alert is `tls` naming it; a timeout is asyncio's message.

use std::time::Duration;

use crate::Error;

/// A rustls failure during the handshake, as the typed `tls` error.
pub fn handshake_error(error: &rustls::Error) -> Error {
    match error {
        rustls::Error::InvalidCertificate(cause) => {
            Error::Tls(format!("certificate verify failed: {cause:?}"))
        }
        other => Error::Tls(format!("TLS handshake failed: {other}")),
    }
}

/// asyncio's error when `ssl_handshake_timeout` passes.
pub fn handshake_timed_out(timeout: Duration) -> Error {
    Error::Timeout(format!(
        "SSL handshake is taking longer than {} seconds: aborting the connection",
        timeout.as_secs_f64()
    ))
}

/// asyncio's error for a client side with no name to verify.
pub fn no_server_name() -> Error {
    Error::InvalidArgument("You must set server_hostname when using ssl without a host".into())
}
