//! `wrap`: a reader over a `stream<u8>` the caller hands in, and a writer
//! whose bytes come out of a new `stream<u8>` handed back (asyncio's
//! `sock=`). It is one connection: `close` flushes, ends the output and
//! gives the reader EOF, as closing a socket would.
//!
//! `wrap` is a synchronous export, so the writer's pump cannot run in the
//! call's own task: wit-bindgen's `spawn_local` queues it and the next task
//! of this component that runs (any async call, e.g. the first `read` or
//! `drain`) adopts it. If that task is cancelled before it returns, the
//! pump restarts itself in the next one without losing bytes. (It does
//! not join the task that runs the sockets' pumps: that task never runs
//! in a call that can be cancelled.) `write`
//! needs no task: it hands its bytes to the output stream at once (see
//! `sink.rs`), where the caller's next read takes them; what follows while
//! that write is still in flight waits for some async call into this
//! component, and so does the end of the output after an `abort` that
//! finds the write in flight (only a task may cancel it).

use portable_streams_core::ReadBuffer;
use wit_bindgen::StreamReader;

use crate::bindings::exports::portable::streams::streams as wit;
use crate::bindings::wit_stream::StreamPayload;
use crate::limits;
use crate::pump;
use crate::sink::SinkStream;
use crate::transport::{Sink, Source, Transport};

/// `wrap(input, options)`. A `limit` of 0 cannot be refused here (`wrap`
/// returns no result), so the reader then holds asyncio's "Limit cannot be
/// <= 0" `invalid-argument` as its stored error: every read (and `drain`)
/// reports it.
pub(crate) fn wrap(
    input: StreamReader<u8>,
    options: wit::WrapOptions,
) -> (wit::Reader, wit::Writer, StreamReader<u8>) {
    let read = limits::reader(options.limit).unwrap_or_else(ReadBuffer::failing);
    let (output, handed_back) = crate::bindings::wit_stream::new::<u8>();
    let conn = pump::start(
        Transport {
            source: Source::new(Some(input), None),
            sink: Sink {
                stream: SinkStream::new(output, <u8 as StreamPayload>::VTABLE),
                end: None,
            },
            peer: None,
            local: None,
            socket: None,
            tls: None,
            early: Default::default(),
        },
        limits::engine(read),
        None,
        None,
        pump::Home::Alone,
    );
    let (reader, writer) = crate::resources(conn);
    (reader, writer, handed_back)
}
