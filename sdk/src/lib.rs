//! asyncio-style network streams for WebAssembly components.
//!
//! A component built with this crate imports `portable:streams` and runs on
//! either backend: composed with the guest component (any WASI 0.3 runtime)
//! or inside the `portable-streams` host. The API follows Python's asyncio
//! streams:
//!
//! ```no_run
//! # async fn demo() -> Result<(), portable_streams::Error> {
//! use portable_streams::open_connection;
//!
//! let (reader, writer) = open_connection("127.0.0.1", 8888).await?;
//! writer.write(b"Hello World!\n")?;
//! writer.drain().await?;
//! let reply = reader.readline().await?;
//! println!("Received: {:?}", String::from_utf8_lossy(&reply));
//! writer.close();
//! writer.wait_closed().await?;
//! # Ok(()) }
//! ```

mod command;
mod connect;
mod error;
mod feed;
mod io;
mod memory_tls;
mod outbox;
mod reader;
mod server;
mod tls;
mod writer;

#[cfg(feature = "handler")]
pub mod handler;

/// Shared, cheaply cloned bytes: what [`Reader::readline_bytes`] returns.
pub use bytes::Bytes;
pub use connect::{
    ConnectOptions, Family, open_connection, open_connection_with, open_unix_connection,
    open_unix_connection_with, wrap,
};
pub use error::Error;
pub use io::{AsyncReader, AsyncWriter};
pub use memory_tls::{MemoryTls, TlsReceived};
pub use reader::{Lines, Reader};
pub use server::{Server, ServerOptions, start_server, start_server_with, start_unix_server};
pub use tls::{ClientTls, ServerTls, TlsInfo};
pub use writer::{SocketAddress, Writer};

/// asyncio's default reader limit: 64 KiB.
pub const DEFAULT_LIMIT: u32 = 64 * 1024;

/// Runs a future to completion on the component's async runtime (for
/// `main`).
pub use wit_bindgen::block_on;

/// Spawns a future on the component's async runtime.
pub use wit_bindgen::spawn_local as spawn;

#[doc(hidden)]
pub use command::report as __command_report;
#[doc(hidden)]
pub use outbox::settle_all as __settle_writers;
#[doc(hidden)]
pub use wasip3 as __wasip3;

/// The raw bindings of the `client` world, generated from the WIT contract.
/// Generated code: its items carry the WIT's doc comments where the
/// generator emits them, so `missing_docs` is not enforced here.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({ world: "client", path: "wit", pub_export_macro: true });
}

pub(crate) use bindings::portable::streams::streams as wit;
