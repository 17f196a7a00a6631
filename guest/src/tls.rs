//! TLS inside the guest: core's TLS layer (its sides, handshake and
//! `Layer`) over a socket's streams, with rustls and the pure-Rust
//! RustCrypto provider (no C compiler for wasm32, see the README's TLS
//! section for the choice). This file only picks the provider and moves
//! the handshake's bytes.

use std::sync::{Arc, OnceLock};

use portable_streams_core::Error;
use portable_streams_core::tls::{self as core_tls, HandshakeIo, Provider, Side};
use wasip3::clocks::monotonic_clock::wait_for;
use wit_bindgen::StreamResult;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::conv::socket_error;
use crate::transport::{StreamEnd, Transport};

/// The crypto provider: RustCrypto's, pure Rust, with ChaCha20-Poly1305
/// preferred: wasm has no AES instructions, and in software ChaCha20 is
/// 5.5x faster here (193 against 35 MB/s one way, measured in wasm32 on
/// wasmtime 48), as TLS stacks on CPUs without AES hardware prefer it.
/// In a component, TLS 1.3's ChaCha20 runs on WebAssembly SIMD (see
/// `portable-streams-chacha`). Made once; every side shares it.
pub(crate) fn provider() -> Provider {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    PROVIDER.get_or_init(make_provider).clone()
}

fn make_provider() -> Provider {
    let mut provider = rustls_rustcrypto::provider();
    portable_streams_p256::use_p256(&mut provider);
    #[cfg(target_arch = "wasm32")]
    portable_streams_chacha::with_simd_chacha(&mut provider.cipher_suites);
    provider.cipher_suites.sort_by_key(|suite| {
        !matches!(
            suite.suite(),
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        )
    });
    Arc::new(provider)
}

/// The server side for `options` with this backend's provider.
pub(crate) fn server(options: &wit::ServerTlsOptions) -> Result<Side, Error> {
    Side::server(options, provider())
}

/// `side`'s handshake over `transport`'s streams: the transport then
/// carries the layer, and any plaintext that came with the last flight.
pub(crate) async fn secure(mut transport: Transport, side: &Side) -> Result<Transport, Error> {
    let (layer, early) = core_tls::handshake(&mut Streams(&mut transport), side, wait_for).await?;
    transport.tls = Some(layer);
    transport.early = early;
    Ok(transport)
}

/// A transport's streams, for the handshake.
struct Streams<'a>(&'a mut Transport);

impl HandshakeIo for Streams<'_> {
    async fn send(&mut self, flight: Vec<u8>) -> Result<(), Error> {
        let refused = self.0.sink.stream.write_all(flight).await;
        if refused.is_empty() {
            return Ok(());
        }
        Err(ended_under_handshake(self.0.sink.end.take()).await)
    }

    async fn receive(&mut self) -> Result<Vec<u8>, Error> {
        let Some(stream) = self.0.source.stream.as_mut() else {
            return Ok(Vec::new());
        };
        let (result, data) = stream.read(Vec::with_capacity(16 * 1024)).await;
        if result == StreamResult::Dropped {
            self.0.source.stream = None;
            if data.is_empty() {
                return Err(ended_under_handshake(self.0.source.end.take()).await);
            }
        }
        Ok(data)
    }
}

/// A stream that ended under the handshake, as core reports it: the
/// socket's error (its end future's), else the peer closed.
async fn ended_under_handshake(end: Option<StreamEnd>) -> Error {
    let error = match end {
        Some(end) => end.await.err().map(socket_error),
        None => None,
    };
    core_tls::transport_failed(error)
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
