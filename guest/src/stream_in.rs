//! `write-from`: a writer fed by a `stream<u8>`. The export's own task
//! reads the stream and writes each chunk as `write` does; it returns when
//! the stream ends, so whatever the caller does next comes after the
//! stream's bytes.

use bytes::Bytes;
use portable_streams_core::Error;
use wit_bindgen::{StreamReader, StreamResult};

use crate::conn::Conn;

/// The most bytes one read of the stream takes.
const CHUNK: usize = 64 * 1024;

/// Writes every chunk of `data` to `conn` until `data` ends; the first
/// refused chunk ends it early with the error (the stream is dropped).
pub(crate) async fn write_from(conn: &Conn, mut data: StreamReader<u8>) -> Result<(), Error> {
    loop {
        let (result, chunk) = data.read(Vec::with_capacity(CHUNK)).await;
        if !chunk.is_empty() {
            // Copied out, so a small write does not keep a whole chunk's
            // capacity alive in the write buffer.
            let chunk = if chunk.len() < chunk.capacity() / 2 {
                Bytes::copy_from_slice(&chunk)
            } else {
                Bytes::from(chunk)
            };
            let wake = conn.state().engine.write(chunk)?;
            conn.wake(wake);
        }
        if !matches!(result, StreamResult::Complete(_)) {
            return Ok(());
        }
    }
}
