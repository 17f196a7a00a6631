//! portable-streams-guest: the component that exports `portable:streams`
//! (asyncio-style streams) over `wasi:sockets` 0.3 (WASI 0.3, native
//! async). Compose it into a client component and the result runs on any
//! WASI 0.3 runtime.
//!
//! Every rule lives in `portable-streams-core` (the connection and server
//! engines, the connect pipeline); this crate only moves bytes between
//! `wasi:sockets` streams and core's engines:
//!
//! * `conn.rs`: one connection: the engine, its streams, its signals;
//!   `transport.rs`: a socket made into a connection.
//! * `reader.rs`: the reader resource; `receive.rs` receives inside the
//!   waiting call when the engine asks (cancel-safe: no received byte is
//!   lost).
//! * `stream_out.rs` and `stream_in.rs`: `into-stream` and `write-from`,
//!   the `stream<u8>` data path for bulk bytes.
//! * `writer.rs` + `sink.rs` + `pump.rs`: `write` sends what the socket
//!   takes at once (core's `send_now`; `sink.rs`: a stream write started
//!   outside a task); a pump, started when its connection first needs
//!   one, runs core's pump loop over the sink, adopting a write left in
//!   flight (`pump_host.rs`: one task runs the pumps).
//! * `connect.rs`: the resolver, attempt and timer for core's pipeline.
//! * `server.rs`: listening sockets and acceptor tasks for core's server
//!   engine.
//! * `tls.rs`: TLS inside the component (core's TLS layer, rustls with
//!   the pure-Rust RustCrypto provider): the provider and the handshake's
//!   byte moves; `start_tls.rs`: `start-tls`. TLS 1.3's ChaCha20-Poly1305 on
//!   WebAssembly SIMD is the `portable-streams-chacha` crate, P-256 on
//!   32-bit limbs the `portable-streams-p256` crate. `tls_object.rs`:
//!   `tls-over-memory`, core's TLS over memory.
//! * `wrap.rs`: streams over caller-provided byte streams.
//! * `conv.rs`: `From` impls and conversions between WIT, core and
//!   `wasi:sockets` types.
//! * `limits.rs`: the sandbox's caps, from the environment the host sets.
//! * `settle.rs`: every async export yields once before an answer that
//!   was ready at once, so composed callers do not hit wasmtime's
//!   one-entry-per-call leak.
//!
//! What this backend cannot do, it reports as `unsupported`: Unix
//! sockets and `reuse_port` (`wasi:sockets` has neither).

mod closing_ports;
mod conn;
mod connect;
mod conv;
mod limits;
mod pump;
mod pump_host;
mod reader;
mod receive;
mod server;
mod settle;
mod sink;
mod start_tls;
mod stream_in;
mod stream_out;
mod tls;
mod tls_object;
mod transport;
mod wrap;
mod writer;

/// Bindings for the `guest` world: the `portable:streams` export side only;
/// the `wasi:sockets` and `wasi:clocks` imports are wasip3's.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "guest",
        path: "../wit",
        with: {
            "wasi:sockets/types@0.3.0": wasip3::sockets::types,
            "wasi:sockets/ip-name-lookup@0.3.0": wasip3::sockets::ip_name_lookup,
            "wasi:clocks/monotonic-clock@0.3.0": wasip3::clocks::monotonic_clock,
            "wasi:clocks/types@0.3.0": wasip3::clocks::types,
        },
    });
}

use std::rc::Rc;

use bindings::exports::portable::streams::streams as wit;
use portable_streams_core::Error;
use wit_bindgen::StreamReader;

use crate::conn::Conn;
use crate::settle::settled;

/// The exported `portable:streams/streams` interface.
pub struct Component;

/// Unix sockets exist only on the host backend.
fn unix_unsupported() -> wit::Error {
    Error::Unsupported(
        "Unix sockets need the host backend: wasi:sockets has no Unix domain sockets".into(),
    )
    .into()
}

/// The reader and writer resources of `conn`.
pub(crate) fn resources(conn: Rc<Conn>) -> (wit::Reader, wit::Writer) {
    (
        wit::Reader::new(reader::Reader::new(conn.clone())),
        wit::Writer::new(writer::Writer::new(conn)),
    )
}

impl wit::Guest for Component {
    type Reader = reader::Reader;
    type Writer = writer::Writer;
    type Server = server::Server;
    type TlsObject = tls_object::TlsObject;

    async fn open_connection(
        host: String,
        port: u16,
        options: wit::ConnectOptions,
    ) -> Result<(wit::Reader, wit::Writer), wit::Error> {
        settled(connect::open_connection(host, port, options))
            .await
            .map_err(Into::into)
    }

    async fn start_server(
        hosts: Vec<String>,
        port: u16,
        options: wit::ServerOptions,
    ) -> Result<wit::Server, wit::Error> {
        settled(server::start_server(hosts, port, options))
            .await
            .map_err(Into::into)
    }

    async fn open_unix_connection(
        _path: String,
        _options: wit::UnixConnectOptions,
    ) -> Result<(wit::Reader, wit::Writer), wit::Error> {
        settled(async { Err(unix_unsupported()) }).await
    }

    async fn start_unix_server(
        _path: String,
        _options: wit::UnixServerOptions,
    ) -> Result<wit::Server, wit::Error> {
        settled(async { Err(unix_unsupported()) }).await
    }

    fn tls_over_memory(side: wit::TlsSide) -> Result<wit::TlsObject, wit::Error> {
        tls_object::tls_over_memory(side)
    }

    fn wrap(
        input: StreamReader<u8>,
        options: wit::WrapOptions,
    ) -> (wit::Reader, wit::Writer, StreamReader<u8>) {
        wrap::wrap(input, options)
    }
}

// The export symbols (names like `[async-lift]portable:streams/...`) only
// make sense in a component; a native cdylib cannot even link them, so
// native builds (clippy, unit tests) type-check the impl without exporting.
#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);
