//! `write-from`: a writer fed by a `stream<u8>`. The export's own task
//! reads the stream and writes each chunk as `write` does; it returns when
//! the stream ends, so whatever the caller does next comes after the
//! stream's bytes.

use portable_streams_core::{Error, bytes_without_slack};
use portable_streams_wit_io::read_when_ready;
use wit_bindgen::{StreamReader, StreamResult};

use crate::conn::Conn;

/// The most bytes one read of the stream takes.
const CHUNK: usize = 64 * 1024;

/// Writes every chunk of `data` to `conn` until `data` ends; the first
/// refused chunk ends it early with the error (the stream is dropped).
pub(crate) async fn write_from(conn: &Conn, mut data: StreamReader<u8>) -> Result<(), Error> {
    loop {
        let (result, chunk) = read_when_ready(&mut data, CHUNK, 0).await;
        if !chunk.is_empty() {
            let wake = conn.state().engine.write(bytes_without_slack(chunk))?;
            conn.send_now(wake);
        }
        if !matches!(result, StreamResult::Complete(_)) {
            return Ok(());
        }
    }
}
