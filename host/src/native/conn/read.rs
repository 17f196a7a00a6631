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

impl Conn {
    /// Drives `call` one step further: the engine's steps, receiving from
    /// the source when it asks. A call left pending must be given to
    /// [`Conn::abandon`].
    pub(crate) fn poll_call(
        &self,
        call: &mut ReadCall,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, Error>> {
        loop {
            let mut guard = self.lock();
            let st = &mut *guard;
            let max = match st.engine.poll_read(call) {
                ReadStep::Done(result) => return Poll::Ready(result),
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
            let received = if st.engine.is_sealed() {
                // TLS: the records through the engine's layer.
                receive_tls(&mut st.engine, source, max, cx)
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
