//! Reads: inside the waiting call, straight into the engine's buffer.

use std::cell::RefCell;
use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::Bytes;
use portable_streams_core::{Connection, Error, ReadCall, ReadRequest, ReadStep};
use tokio::io::ReadBuf;
use tokio_util::io::poll_read_buf;

use super::super::transport::Source;
use super::Conn;

/// The most ciphertext one read of a TLS connection takes (two full TLS
/// records: rustls decrypts them into the engine's buffer at once).
const TLS_READ: usize = 32 * 1024;

thread_local! {
    /// The buffer TLS reads on this thread take ciphertext into: nothing
    /// is allocated per read, and an idle connection holds none. Not on
    /// the stack: a read is polled on the fiber stack of the component
    /// that called it, and a 32 KiB frame there made every connection's
    /// fiber touch eight more pages (`serve`: 32 KiB more per idle client,
    /// plain ones too, since the frame was the read loop's).
    static CIPHERTEXT: RefCell<Box<[u8]>> = RefCell::new(vec![0; TLS_READ].into_boxed_slice());
}

impl Conn {
    /// Answers `request`, reading from the transport while the engine asks.
    ///
    /// Cancellation safe: a cancelled call loses no byte (what was read
    /// stays buffered, what a `read(-1)` had taken goes back) and frees the
    /// reader for the next call.
    pub(crate) async fn read(&self, request: ReadRequest) -> Result<Bytes, Error> {
        let mut call = Call {
            conn: self,
            call: ReadCall::new(request),
        };
        poll_fn(|cx| call.poll(cx)).await
    }

    /// `at_eof()`.
    pub(crate) fn at_eof(&self) -> bool {
        self.lock().engine.reader().at_eof()
    }

    /// The reader's limit.
    pub(crate) fn limit(&self) -> usize {
        self.lock().engine.reader().limit()
    }

    /// The reader was dropped: nothing will read again.
    pub(crate) fn reader_dropped(&self) {
        self.lock().source = None;
    }
}

/// One read call; dropped unfinished (cancelled), it gives back what the
/// engine says.
struct Call<'a> {
    conn: &'a Conn,
    call: ReadCall,
}

impl Call<'_> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, Error>> {
        self.conn.poll_call(&mut self.call, cx)
    }
}

/// What a stream chunk's call ended with (see [`Conn::poll_chunk_into`]).
pub(crate) enum Chunk {
    /// This many bytes, received straight into the caller's memory.
    Into(usize),
    /// Bytes from the engine: empty at EOF.
    Taken(Bytes),
}

impl Conn {
    /// Drives `call` one step further: the engine's steps, receiving from
    /// the source when it asks. A call left pending must be given to
    /// [`Conn::abandon`].
    pub(crate) fn poll_call(
        &self,
        call: &mut ReadCall,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, Error>> {
        self.poll_chunk_into(call, cx, &mut []).map(|chunk| {
            chunk.map(|chunk| match chunk {
                Chunk::Taken(bytes) => bytes,
                Chunk::Into(_) => unreachable!("no room was given"),
            })
        })
    }

    /// [`poll_call`](Self::poll_call) for a stream chunk that may land in
    /// `into`, the stream reader's memory: when the engine allows it
    /// ([`Connection::may_receive_direct`]), a plain socket is read straight
    /// into it (one copy, as wasmtime-wasi's own receive stream makes);
    /// otherwise the chunk comes from the engine as for any read.
    pub(crate) fn poll_chunk_into(
        &self,
        call: &mut ReadCall,
        cx: &mut Context<'_>,
        into: &mut [u8],
    ) -> Poll<Result<Chunk, Error>> {
        loop {
            let mut guard = self.lock();
            let st = &mut *guard;
            let max = match st.engine.poll_read(call) {
                ReadStep::Done(result) => return Poll::Ready(result.map(Chunk::Taken)),
                ReadStep::Receive { max } => max,
                ReadStep::WaitForClose => {
                    st.wait_to_read(cx.waker());
                    return Poll::Pending;
                }
            };
            let Some(source) = st.source.as_mut() else {
                st.wait_to_read(cx.waker());
                return Poll::Pending;
            };
            let room = max.min(into.len());
            let received = if st.engine.is_sealed() {
                // TLS: the records through the engine's layer.
                receive_tls(&mut st.engine, source, max, cx)
            } else if room > 0 && st.engine.may_receive_direct(call) {
                // A stream chunk with nothing buffered: into the caller's
                // memory, the engine's buffer untouched.
                match receive_into(source, &mut into[..room], cx) {
                    Poll::Ready(Ok(n)) if n > 0 => {
                        st.engine.received_direct(call, n);
                        return Poll::Ready(Ok(Chunk::Into(n)));
                    }
                    other => other,
                }
            } else {
                // Plain: straight into the engine's buffer, no copy.
                receive_plain(&mut st.engine, source, max, cx)
            };
            match received {
                // EOF; over TLS also without `close_notify` (CPython's
                // `suppress_ragged_eofs`).
                Poll::Ready(Ok(0)) => st.engine.received_eof(),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => {
                    drop(guard);
                    self.lost(Some(error));
                }
                Poll::Pending => {
                    st.engine.receive_idle();
                    st.wait_to_read(cx.waker());
                    return Poll::Pending;
                }
            }
        }
    }

    /// Ends `call` unfinished: nothing it received is lost.
    pub(crate) fn abandon(&self, call: &mut ReadCall) {
        if call.is_pending() {
            self.lock().engine.abandon_read(call);
        }
    }

    /// `into-stream`: the engine's hand-over rule.
    pub(crate) fn hand_over(&self) -> Result<(), Error> {
        self.lock().engine.hand_over()
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        self.conn.abandon(&mut self.call);
    }
}

/// Reads at most `max` bytes from `source` straight into `engine`'s
/// buffer, once bytes are there: the room is taken only then, so a read
/// waiting on a silent peer holds none. Returns the bytes read, 0 at EOF.
fn receive_plain(
    engine: &mut Connection,
    source: &mut Source,
    max: usize,
    cx: &mut Context<'_>,
) -> Poll<Result<usize, Error>> {
    if let Err(e) = std::task::ready!(source.as_mut().poll_readable(cx)) {
        return Poll::Ready(Err(Error::from(e)));
    }
    engine
        .receive_with(max, |room| poll_read_buf(source.as_mut(), cx, room))
        .map_err(Error::from)
}

/// Reads from `source` into `into` once bytes are there. Returns the
/// bytes read, 0 at EOF.
fn receive_into(
    source: &mut Source,
    into: &mut [u8],
    cx: &mut Context<'_>,
) -> Poll<Result<usize, Error>> {
    let mut room = ReadBuf::new(into);
    if let Err(e) = std::task::ready!(source.as_mut().poll_read(cx, &mut room)) {
        return Poll::Ready(Err(Error::from(e)));
    }
    Poll::Ready(Ok(room.filled().len()))
}

/// Reads at most `max` bytes of ciphertext (and no more than [`TLS_READ`])
/// from `source` into `engine`, which decrypts them (the peer's
/// `close_notify` is EOF). Returns the ciphertext bytes read, 0 at EOF.
fn receive_tls(
    engine: &mut Connection,
    source: &mut Source,
    max: usize,
    cx: &mut Context<'_>,
) -> Poll<Result<usize, Error>> {
    CIPHERTEXT.with_borrow_mut(|room| {
        let mut ciphertext = ReadBuf::new(&mut room[..max.clamp(1, TLS_READ)]);
        if let Err(e) = std::task::ready!(source.as_mut().poll_read(cx, &mut ciphertext)) {
            return Poll::Ready(Err(Error::from(e)));
        }
        let n = ciphertext.filled().len();
        if n == 0 {
            return Poll::Ready(Ok(0));
        }
        Poll::Ready(engine.receive_wire(ciphertext.filled()).map(|()| n))
    })
}
