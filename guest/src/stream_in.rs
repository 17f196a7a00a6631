//! `write-from`: a writer fed by a `stream<u8>`. The export's own task
//! reads the stream and writes each chunk as `write` does; it returns when
//! the stream ends, so whatever the caller does next comes after the
//! stream's bytes.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use portable_streams_core::{Error, bytes_without_slack};
use wit_bindgen::{StreamReader, StreamResult};

use crate::conn::Conn;

/// The most bytes one read of the stream takes.
const CHUNK: usize = 64 * 1024;

/// Writes every chunk of `data` to `conn` until `data` ends; the first
/// refused chunk ends it early with the error (the stream is dropped).
pub(crate) async fn write_from(conn: &Conn, mut data: StreamReader<u8>) -> Result<(), Error> {
    loop {
        let (result, chunk) = read_when_ready(&mut data).await;
        if !chunk.is_empty() {
            let wake = conn.state().engine.write(bytes_without_slack(chunk))?;
            conn.send_now(wake);
        }
        if !matches!(result, StreamResult::Complete(_)) {
            return Ok(());
        }
    }
}

/// Reads at most [`CHUNK`] bytes, holding no buffer while it waits: a read
/// is tried at once, and when nothing is ready a zero-length read waits for
/// the writer (so idle connections do not each keep a chunk's buffer).
async fn read_when_ready(data: &mut StreamReader<u8>) -> (StreamResult, Vec<u8>) {
    loop {
        let attempt = {
            let mut read = pin!(data.read(Vec::with_capacity(CHUNK)));
            match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(done) => done,
                // Cancelling may still yield bytes that raced in.
                Poll::Pending => read.cancel(),
            }
        };
        match attempt {
            (StreamResult::Cancelled | StreamResult::Complete(0), _) => {}
            done => return done,
        }
        let (ready, _) = data.read(Vec::new()).await;
        if ready == StreamResult::Dropped {
            return (StreamResult::Dropped, Vec::new());
        }
    }
}
