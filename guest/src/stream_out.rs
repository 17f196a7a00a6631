//! `into-stream`: a reader's bytes handed over as a `stream<u8>`. A task
//! of the export's own takes one chunk per read of the stream, through the
//! engine (what is buffered first, then the source), only once the
//! stream's reader waits, so nothing is read ahead; the end future tells
//! EOF from loss.

use std::rc::Rc;

use portable_streams_core::{Error, MAX_RECV, ReadCall};
use wit_bindgen::{FutureReader, FutureWriter, StreamReader, StreamResult, StreamWriter};

use crate::bindings::exports::portable::streams::streams as wit;
use crate::bindings::{wit_future, wit_stream};
use crate::conn::Conn;
use crate::receive::read_call;

/// How a handed-over stream ended: `Ok` at EOF.
type End = Result<(), wit::Error>;

/// Hands `conn`'s reader over (the engine's rule) and starts filling the
/// stream; returns the stream and its end future.
pub(crate) fn into_stream(conn: Rc<Conn>) -> Result<(StreamReader<u8>, FutureReader<End>), Error> {
    conn.state().engine.hand_over()?;
    let (out, stream) = wit_stream::new::<u8>();
    let (end, ended) = wit_future::new::<End>(|| Ok(()));
    wit_bindgen::spawn_local(fill(conn, out, end));
    Ok((stream, ended))
}

/// Moves chunks into `out` until EOF, loss, or its reader goes away, then
/// tells `end` how it ended.
async fn fill(conn: Rc<Conn>, mut out: StreamWriter<u8>, end: FutureWriter<End>) {
    let ended = loop {
        // A zero-length write waits until the reader reads.
        let (ready, _) = out.write(Vec::new()).await;
        if ready == StreamResult::Dropped {
            break Ok(());
        }
        match read_call(&conn, ReadCall::stream_chunk(MAX_RECV)).await {
            Ok(chunk) if chunk.is_empty() => break Ok(()),
            Ok(chunk) => {
                // A chunk that took the whole buffer (the usual case) is
                // its own allocation: no copy.
                if !out.write_all(Vec::from(chunk)).await.is_empty() {
                    // The reader went away: nobody wants the rest.
                    break Ok(());
                }
            }
            Err(error) => break Err(error.into()),
        }
    };
    drop(out);
    let _ = end.write(ended).await;
}
